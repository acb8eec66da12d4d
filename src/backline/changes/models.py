"""Changes (CHG-) to configuration items, their history, the incidents they caused, and the
notices that make expiring credentials open exactly one ticket each."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from backline.changes.choices import (
    CauseKind,
    ChangeEventKind,
    ChangeKind,
    ChangeSource,
    ChangeState,
    Risk,
)

User = settings.AUTH_USER_MODEL


class Change(models.Model):
    """A planned or recorded change to one or more CIs: deployment, patch, configuration edit."""

    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    kind = models.CharField(max_length=10, choices=ChangeKind.choices, default=ChangeKind.NORMAL)
    state = models.CharField(
        max_length=12, choices=ChangeState.choices, default=ChangeState.PLANNED
    )
    risk = models.CharField(max_length=6, choices=Risk.choices, default=Risk.MEDIUM)
    cis = models.ManyToManyField("cmdb.ConfigurationItem", blank=True, related_name="changes")
    implementer_team = models.ForeignKey(
        "accounts.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="changes"
    )
    requested_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    approved_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    planned_start = models.DateTimeField(null=True, blank=True)
    planned_end = models.DateTimeField(null=True, blank=True)
    actual_start = models.DateTimeField(null=True, blank=True)
    actual_end = models.DateTimeField(null=True, blank=True)
    backout_plan = models.TextField(blank=True)
    source = models.CharField(
        max_length=10, choices=ChangeSource.choices, default=ChangeSource.MANUAL
    )
    external_ref = models.CharField(
        max_length=200, blank=True, help_text="Pipeline run, job or tool reference"
    )
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["state", "kind"], name="change_state_kind"),
            models.Index(fields=["actual_start"], name="change_actual_start"),
            models.Index(fields=["planned_start"], name="change_planned_start"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(planned_end__isnull=True)
                | Q(planned_start__isnull=True)
                | Q(planned_end__gte=F("planned_start")),
                name="change_planned_window_order",
            ),
            models.CheckConstraint(
                condition=Q(actual_end__isnull=True)
                | Q(actual_start__isnull=True)
                | Q(actual_end__gte=F("actual_start")),
                name="change_actual_window_order",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    def get_absolute_url(self) -> str:
        return f"/changes/{self.number}"

    @property
    def number(self) -> str:
        return f"CHG-{self.pk}"


class ChangeEvent(models.Model):
    """One step in a change's life; append-only."""

    change = models.ForeignKey(Change, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=12, choices=ChangeEventKind.choices)
    actor = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField()
    data = models.JSONField(default=dict, blank=True)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"CHG-{self.change_id} {self.kind}"

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None:
            raise ValueError("Change events are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("Change events are append-only.")


class TicketChangeLink(models.Model):
    """A change named as the suspected or confirmed cause of an incident (the latest kind wins)."""

    ticket = models.ForeignKey(
        "tickets.Ticket", on_delete=models.CASCADE, related_name="change_links"
    )
    change = models.ForeignKey(Change, on_delete=models.CASCADE, related_name="ticket_links")
    kind = models.CharField(max_length=10, choices=CauseKind.choices)
    by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField()

    class Meta:
        ordering = ["-at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["ticket", "change"], name="ticket_change_once")
        ]
        indexes = [models.Index(fields=["change", "kind"], name="ticket_change_by_change")]

    def __str__(self) -> str:
        return f"INC-{self.ticket_id} {self.kind} CHG-{self.change_id}"


class ExpiryNotice(models.Model):
    """The ticket opened because a credential or certificate expires; one per CI and date."""

    ci = models.ForeignKey(
        "cmdb.ConfigurationItem", on_delete=models.CASCADE, related_name="expiry_notices"
    )
    expires_at = models.DateField()
    ticket = models.ForeignKey(
        "tickets.Ticket", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # The guard that makes two racing sweeps open one ticket, not two.
            models.UniqueConstraint(fields=["ci", "expires_at"], name="expiry_notice_once")
        ]

    def __str__(self) -> str:
        return f"{self.ci_id} expires {self.expires_at}"
