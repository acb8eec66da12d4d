"""The deterministic demo data set (`backline demo-data`, `make demo`)."""
