"""Business services, configuration items with types and dependencies, for impact and
investigation ("which services does this CI break?", "what changed upstream of it?")."""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from backline.cmdb.choices import CiStatus, Criticality, DependencyKind, Environment


class Service(models.Model):
    """A business service users depend on (CRM, ERP, collaboration platform…)."""

    name = models.CharField(max_length=120, unique=True)
    description = models.TextField(blank=True)
    owner_team = models.ForeignKey(
        "accounts.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="services"
    )
    criticality = models.PositiveSmallIntegerField(
        choices=Criticality.choices, default=Criticality.MEDIUM
    )
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class CiType(models.Model):
    """A kind of configuration item and the attributes its items carry (configurable)."""

    slug = models.SlugField(max_length=40, unique=True, allow_unicode=False)
    name = models.CharField(max_length=60)
    description = models.CharField(max_length=200, blank=True)
    # [{"name": "hostname", "type": "text", "required": true, "choices": [...]}, ...]
    attributes = models.JSONField(default=list, blank=True)
    has_expiry = models.BooleanField(
        default=False, help_text="Items of this type expire (credentials, certificates)"
    )
    expiry_warning_days = models.PositiveIntegerField(
        default=14, help_text="Open a ticket this many days before an item expires"
    )

    class Meta:
        ordering = ["name"]
        verbose_name = "CI type"

    def __str__(self) -> str:
        return self.name


class ConfigurationItem(models.Model):
    """A component behind a service: application, server, database, link, credential…"""

    name = models.CharField(max_length=160, unique=True)
    ci_type = models.CharField(max_length=40, help_text="Slug of a CI type")
    description = models.TextField(blank=True)
    service = models.ForeignKey(
        Service, null=True, blank=True, on_delete=models.SET_NULL, related_name="items"
    )
    owner_team = models.ForeignKey(
        "accounts.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="items"
    )
    environment = models.CharField(
        max_length=12, choices=Environment.choices, default=Environment.PRODUCTION
    )
    criticality = models.PositiveSmallIntegerField(
        choices=Criticality.choices, default=Criticality.MEDIUM
    )
    status = models.CharField(max_length=8, choices=CiStatus.choices, default=CiStatus.ACTIVE)
    attributes = models.JSONField(default=dict, blank=True)
    expires_at = models.DateField(null=True, blank=True, help_text="Credentials, certificates")
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True, null=True)
    updated_at = models.DateTimeField(auto_now=True, null=True)

    class Meta:
        ordering = ["name"]
        verbose_name = "configuration item"
        indexes = [
            models.Index(fields=["ci_type"], name="ci_type_idx"),
            models.Index(fields=["expires_at"], name="ci_expiry_idx"),
        ]

    def __str__(self) -> str:
        return self.name


class Dependency(models.Model):
    """The source CI runs on, depends on or connects to a target CI or service."""

    source = models.ForeignKey(
        ConfigurationItem, on_delete=models.CASCADE, related_name="dependencies"
    )
    kind = models.CharField(max_length=12, choices=DependencyKind.choices)
    target_ci = models.ForeignKey(
        ConfigurationItem,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="dependents",
    )
    target_service = models.ForeignKey(
        Service, null=True, blank=True, on_delete=models.CASCADE, related_name="dependents"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "dependencies"
        constraints = [
            models.CheckConstraint(
                condition=(Q(target_ci__isnull=False) & Q(target_service__isnull=True))
                | (Q(target_ci__isnull=True) & Q(target_service__isnull=False)),
                name="dependency_one_target",
            ),
            models.CheckConstraint(
                condition=~Q(source=models.F("target_ci")), name="dependency_not_self"
            ),
            models.UniqueConstraint(
                fields=["source", "kind", "target_ci"],
                condition=Q(target_ci__isnull=False),
                name="dependency_unique_ci",
            ),
            models.UniqueConstraint(
                fields=["source", "kind", "target_service"],
                condition=Q(target_service__isnull=False),
                name="dependency_unique_service",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.source_id} {self.kind} {self.target_ci_id or self.target_service_id}"


class CmdbEvent(models.Model):
    """An append-only record of a CMDB write: who changed which service or CI, when, and what."""

    class Kind(models.TextChoices):
        CREATED = "created", "created"
        UPDATED = "updated", "updated"
        RETIRED = "retired", "retired"
        DEPENDENCY_ADDED = "dep_added", "dependency added"
        DEPENDENCY_REMOVED = "dep_removed", "dependency removed"

    kind = models.CharField(max_length=12, choices=Kind.choices)
    ci = models.ForeignKey(
        ConfigurationItem, null=True, blank=True, on_delete=models.CASCADE, related_name="events"
    )
    service = models.ForeignKey(
        Service, null=True, blank=True, on_delete=models.CASCADE, related_name="events"
    )
    actor = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField()
    # Field → [old, new] for updates; the other end of a dependency.
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["at"], name="cmdb_event_at")]

    def __str__(self) -> str:
        return f"{self.kind} {self.ci_id or self.service_id} at {self.at:%Y-%m-%d %H:%M}"

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None and not kwargs.get("force_insert"):
            raise RuntimeError("CMDB events are append-only.")
        super().save(*args, **kwargs)
