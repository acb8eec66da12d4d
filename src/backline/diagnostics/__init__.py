"""Diagnostics: a ticket's logs mined into templates, anomalies around the incident, evidence."""
