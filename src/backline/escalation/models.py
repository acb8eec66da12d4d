"""Escalations and their hand-off packages, collaboration tasks, alerts to leads and managers."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from backline.escalation.choices import (
    AlertLevel,
    EscalationState,
    ReturnReason,
    TaskStatus,
)

User = settings.AUTH_USER_MODEL

# The free-text parts of a hand-off package (business impact also has `impact_users`).
PACKAGE_TEXT_FIELDS = (
    "summary",
    "impact_services",
    "impact_at_risk",
    "steps_taken",
    "reproduction_steps",
    "hypothesis",
    "urgency_justification",
    "log_excerpts",
)


class HandoffPolicy(models.Model):
    """Which hand-off package parts a team requires before it receives an escalation."""

    team = models.OneToOneField(
        "accounts.Team", on_delete=models.CASCADE, related_name="handoff_policy"
    )
    required = models.JSONField(default=list, help_text="PackagePart values")
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name_plural = "hand-off policies"

    def __str__(self) -> str:
        return f"{self.team}: {', '.join(self.required) or 'nothing required'}"


class Escalation(models.Model):
    """A vertical escalation of a ticket to a higher-tier team, with its hand-off package."""

    ticket = models.ForeignKey(
        "tickets.Ticket", on_delete=models.CASCADE, related_name="escalations"
    )
    from_team = models.ForeignKey(
        "accounts.Team", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    to_team = models.ForeignKey(
        "accounts.Team", on_delete=models.PROTECT, related_name="received_escalations"
    )
    from_tier = models.PositiveSmallIntegerField()
    to_tier = models.PositiveSmallIntegerField()
    state = models.CharField(
        max_length=16, choices=EscalationState.choices, default=EscalationState.PENDING
    )
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()
    previous_assignee = models.ForeignKey(
        User,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Who held the ticket in the sending team; a return gives it back to them",
    )
    # The hand-off package
    summary = models.TextField(blank=True)
    impact_users = models.PositiveIntegerField(null=True, blank=True)
    impact_services = models.TextField(blank=True)
    impact_at_risk = models.TextField(blank=True, help_text="Revenue or deadline at risk")
    steps_taken = models.TextField(blank=True)
    reproduction_steps = models.TextField(blank=True)
    hypothesis = models.TextField(blank=True)
    urgency_justification = models.TextField(blank=True)
    log_excerpts = models.TextField(blank=True)
    evidence = models.ManyToManyField("tickets.Attachment", blank=True, related_name="+")
    # The receiving team's decision
    decided_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    return_reason = models.CharField(max_length=20, choices=ReturnReason.choices, blank=True)
    guidance = models.TextField(blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["to_team", "state", "created_at"], name="escalation_inbox"),
            models.Index(fields=["ticket", "created_at"], name="escalation_ticket"),
        ]
        constraints = [
            # At most one escalation per ticket waits for acceptance at a time.
            models.UniqueConstraint(
                fields=["ticket"], condition=Q(state="pending"), name="escalation_one_pending"
            ),
            models.CheckConstraint(
                condition=~Q(state="returned") | ~Q(return_reason=""),
                name="escalation_return_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.ticket_id} → {self.to_team_id} ({self.state})"


class Task(models.Model):
    """A collaboration task (TSK-) another team does on a ticket while ownership stays put."""

    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.CASCADE, related_name="tasks")
    team = models.ForeignKey("accounts.Team", on_delete=models.PROTECT, related_name="tasks")
    assignee = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="assigned_tasks"
    )
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    status = models.CharField(max_length=16, choices=TaskStatus.choices, default=TaskStatus.OPEN)
    required = models.BooleanField(
        default=True, help_text="The ticket cannot be resolved while a required task is open"
    )
    due_at = models.DateTimeField(null=True, blank=True)
    outcome = models.TextField(blank=True)
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    completed_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["team", "status", "due_at"], name="task_team_queue")]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    @property
    def number(self) -> str:
        return f"TSK-{self.pk:06d}" if self.pk else "TSK-new"


class Alert(models.Model):
    """Hierarchical escalation: a team lead or manager is alerted about a ticket."""

    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.CASCADE, related_name="alerts")
    level = models.CharField(max_length=10, choices=AlertLevel.choices)
    reason = models.TextField()
    raised_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    recipients = models.ManyToManyField(User, related_name="alerts_received")
    created_at = models.DateTimeField()
    acknowledged_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    acknowledged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.level} alert on {self.ticket_id}"


class MajorIncident(models.Model):
    """A P1 ticket declared a major incident; the managers of the teams involved are notified."""

    ticket = models.OneToOneField(
        "tickets.Ticket", on_delete=models.CASCADE, related_name="major_incident"
    )
    reason = models.TextField()
    users_affected = models.PositiveIntegerField(null=True, blank=True)
    declared_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    declared_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"Major incident {self.ticket_id}"
