"""Outbound webhooks: signed event deliveries to other systems, retried by the worker."""
