"""Monitoring intake: alert sources with their tokens, the rules that map labels to service, CI,
team and priority, the alerts (deduplicated by fingerprint into one open incident) and the log of
the notifications that came in."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from backline.intake.choices import AlertStatus, SourceKind
from backline.tickets.choices import Level

User = settings.AUTH_USER_MODEL


class AlertSource(models.Model):
    """A monitoring system posting alerts with its own token (only its SHA-256 is kept)."""

    name = models.CharField(max_length=100, unique=True)
    kind = models.CharField(max_length=12, choices=SourceKind.choices)
    token_prefix = models.CharField(max_length=12, unique=True)
    token_digest = models.CharField(max_length=64)
    team = models.ForeignKey(
        "accounts.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    impact = models.PositiveSmallIntegerField(choices=Level.choices, default=Level.MEDIUM)
    urgency = models.PositiveSmallIntegerField(choices=Level.choices, default=Level.MEDIUM)
    requester = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    last_received_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def receiver_path(self) -> str:
        return f"/api/v1/alerts/{self.kind}"


class AlertRule(models.Model):
    """Labels → service, CI, team, priority and title; the first matching active rule wins."""

    name = models.CharField(max_length=120)
    source = models.ForeignKey(
        AlertSource, null=True, blank=True, on_delete=models.CASCADE, related_name="rules"
    )
    position = models.PositiveIntegerField(default=0, help_text="Lower runs first")
    is_active = models.BooleanField(default=True)
    # [{"label": "service", "op": "=", "value": "crm"}, …]; all must hold.
    matchers = models.JSONField(default=list, blank=True)
    service = models.ForeignKey(
        "cmdb.Service", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    ci = models.ForeignKey(
        "cmdb.ConfigurationItem", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    team = models.ForeignKey(
        "accounts.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    impact = models.PositiveSmallIntegerField(choices=Level.choices, null=True, blank=True)
    urgency = models.PositiveSmallIntegerField(choices=Level.choices, null=True, blank=True)
    title_template = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.name


class Alert(models.Model):
    """One alert (a fingerprint) and the incident it opened; at most one firing per fingerprint."""

    source = models.ForeignKey(AlertSource, on_delete=models.PROTECT, related_name="alerts")
    fingerprint = models.CharField(max_length=128)
    status = models.CharField(max_length=10, choices=AlertStatus.choices)
    name = models.CharField(max_length=200, blank=True)
    labels = models.JSONField(default=dict, blank=True)
    annotations = models.JSONField(default=dict, blank=True)
    url = models.CharField(max_length=1000, blank=True)
    ticket = models.ForeignKey(
        "tickets.Ticket",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="monitoring_alerts",
    )
    rule = models.ForeignKey(
        AlertRule, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    starts_at = models.DateTimeField(null=True, blank=True)
    ends_at = models.DateTimeField(null=True, blank=True)
    first_seen = models.DateTimeField()
    last_seen = models.DateTimeField()
    resolved_at = models.DateTimeField(null=True, blank=True)
    occurrences = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-last_seen", "-id"]
        constraints = [
            # Two deliveries of a new alert racing each other: the second insert fails here
            # and is retried as a repeat of the first, so they open one incident.
            models.UniqueConstraint(
                fields=["source", "fingerprint"],
                condition=Q(status=AlertStatus.FIRING),
                name="alert_one_firing_per_fingerprint",
            ),
            models.CheckConstraint(condition=Q(occurrences__gte=1), name="alert_occurrences_ge_1"),
        ]
        indexes = [
            models.Index(fields=["source", "fingerprint", "-id"], name="alert_by_fingerprint"),
            models.Index(fields=["source", "-last_seen"], name="alert_source_recent"),
        ]

    def __str__(self) -> str:
        return f"{self.name or self.fingerprint} ({self.status})"


class AlertNotification(models.Model):
    """One accepted delivery from a source: what came in and what each alert did (append-only)."""

    source = models.ForeignKey(AlertSource, on_delete=models.CASCADE, related_name="notifications")
    received_at = models.DateTimeField()
    status = models.CharField(max_length=10, choices=AlertStatus.choices)
    alert_count = models.PositiveIntegerField()
    group_key = models.CharField(max_length=500, blank=True)
    digest = models.CharField(max_length=64, help_text="SHA-256 of the request body")
    # [{"alert": id, "fingerprint", "name", "status", "outcome", "ticket": "INC-…"}]
    outcomes = models.JSONField(default=list)

    class Meta:
        ordering = ["-received_at", "-id"]
        indexes = [models.Index(fields=["source", "-received_at"], name="alert_notif_recent")]

    def __str__(self) -> str:
        return f"{self.source_id} {self.status} ×{self.alert_count} at {self.received_at}"


# --- email in ---------------------------------------------------------------------------------


class MailOutcome(models.TextChoices):
    """What one inbound email did (kept per message, so a Message-ID is processed once)."""

    CREATED = "created", "Opened a ticket"
    REPLIED = "replied", "Added a reply to its ticket"
    IGNORED_AUTOREPLY = "ignored_autoreply", "Ignored (auto-reply)"
    IGNORED_BOUNCE = "ignored_bounce", "Ignored (bounce)"
    IGNORED_DUPLICATE = "ignored_duplicate", "Ignored (already processed)"
    REJECTED = "rejected", "Rejected"


class Mailbox(models.Model):
    """A team's email address: polled over IMAP when a host is set, and accepted over SMTP."""

    team = models.ForeignKey("accounts.Team", on_delete=models.CASCADE, related_name="+")
    address = models.EmailField(unique=True)
    imap_host = models.CharField(max_length=255, blank=True)
    imap_port = models.PositiveIntegerField(default=993)
    imap_ssl = models.BooleanField(default=True)
    imap_user = models.CharField(max_length=255, blank=True)
    # Stored as given; in production supply it from the environment (see docs/email.md).
    imap_password = models.CharField(max_length=255, blank=True)
    imap_folder = models.CharField(max_length=255, default="INBOX")
    is_active = models.BooleanField(default=True)
    last_polled_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["address"]

    def __str__(self) -> str:
        return self.address


class InboundMessage(models.Model):
    """One email received (by IMAP or SMTP) and what it did; unique by Message-ID."""

    message_id = models.CharField(max_length=500, unique=True)
    mailbox = models.ForeignKey(
        Mailbox, null=True, blank=True, on_delete=models.SET_NULL, related_name="messages"
    )
    received_at = models.DateTimeField()
    from_address = models.CharField(max_length=320, blank=True)
    subject = models.CharField(max_length=500, blank=True)
    ticket = models.ForeignKey(
        "tickets.Ticket",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="inbound_messages",
    )
    outcome = models.CharField(max_length=20, choices=MailOutcome.choices)
    detail = models.CharField(max_length=500, blank=True)
    raw_size = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-received_at", "-id"]

    def __str__(self) -> str:
        return f"{self.message_id} ({self.outcome})"
