"""Business services and configuration items that tickets point at."""

from __future__ import annotations

from django.db import models


class Service(models.Model):
    """A business service users depend on (CRM, ERP, collaboration platform…)."""

    name = models.CharField(max_length=120, unique=True)
    description = models.TextField(blank=True)
    owner_team = models.ForeignKey(
        "accounts.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="services"
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ConfigurationItem(models.Model):
    """A component behind a service: application, server, database, link, credential…"""

    name = models.CharField(max_length=160, unique=True)
    ci_type = models.CharField(max_length=40, help_text="application, server, database, network…")
    description = models.TextField(blank=True)
    service = models.ForeignKey(
        Service, null=True, blank=True, on_delete=models.SET_NULL, related_name="items"
    )
    owner_team = models.ForeignKey(
        "accounts.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="items"
    )

    class Meta:
        ordering = ["name"]
        verbose_name = "configuration item"

    def __str__(self) -> str:
        return self.name
