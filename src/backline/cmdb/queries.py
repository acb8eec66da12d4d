"""Reads for services and configuration items."""

from __future__ import annotations

from django.db.models import QuerySet

from backline.cmdb.models import ConfigurationItem, Service


def services_all() -> QuerySet[Service]:
    """Every service, by name."""
    return Service.objects.order_by("name")


def items_all() -> QuerySet[ConfigurationItem]:
    """Every configuration item with its service, by name."""
    return ConfigurationItem.objects.select_related("service").order_by("name")
