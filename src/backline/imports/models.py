"""Imports of historical tickets from other systems: one job per uploaded file."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse


class ImportKind(models.TextChoices):
    TICKET_CSV = "ticket_csv", "Ticket CSV (one row per ticket)"
    EVENT_LOG = "event_log", "Event log CSV (one row per event)"


class ImportState(models.TextChoices):
    PENDING = "pending", "Pending"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


class ImportJob(models.Model):
    """One uploaded file, its column mapping and how far its import (or dry run) got."""

    kind = models.CharField(max_length=16, choices=ImportKind.choices)
    file = models.FileField(upload_to="imports/%Y/%m/", max_length=200)
    filename = models.CharField(max_length=255)
    mapping = models.JSONField(default=dict)
    dry_run = models.BooleanField(default=True)
    state = models.CharField(
        max_length=10, choices=ImportState.choices, default=ImportState.PENDING
    )
    rows_total = models.PositiveIntegerField(default=0)
    rows_done = models.PositiveIntegerField(default=0)
    created = models.PositiveIntegerField(
        default=0, help_text="Tickets created (or, dry, that would be)"
    )
    skipped = models.PositiveIntegerField(default=0, help_text="Tickets already imported before")
    error_count = models.PositiveIntegerField(default=0)
    report = models.JSONField(default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    source_job = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="real_runs",
        help_text="The dry run this real run was started from",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(rows_done__lte=models.F("rows_total")) | Q(rows_total=0),
                name="import_rows_done_within_total",
            )
        ]

    def __str__(self) -> str:
        return f"import {self.pk} ({self.kind}, {self.state})"

    def get_absolute_url(self) -> str:
        return reverse("imports:detail", args=[self.pk])

    @property
    def percent(self) -> int:
        if self.state == ImportState.DONE:
            return 100
        if not self.rows_total:
            return 0
        return min(100, int(100 * self.rows_done / self.rows_total))

    @property
    def is_finished(self) -> bool:
        return self.state in (ImportState.DONE, ImportState.FAILED)
