"""The outbound email queue (an outbox the worker drains over SMTP) and each user's choice of
which kinds of email they receive."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from backline.mailout.choices import EmailKind, EmailStatus

User = settings.AUTH_USER_MODEL


class OutboundEmail(models.Model):
    """One email to one person (about one ticket, or none: the weekly report); retried until
    sent or given up."""

    recipient = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    # The address at queue time: a later change of address does not redirect a queued email.
    to_address = models.EmailField(max_length=320)
    subject = models.CharField(max_length=300)
    text_body = models.TextField()
    html_body = models.TextField(blank=True)
    # `<…@BACKLINE_MAIL_DOMAIN>`; replies quote it in In-Reply-To, which threads them back.
    message_id = models.CharField(max_length=500, unique=True)
    in_reply_to = models.CharField(max_length=500, blank=True)
    references = models.TextField(blank=True)
    reply_to = models.CharField(max_length=320, blank=True)
    ticket = models.ForeignKey(
        "tickets.Ticket",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="outbound_emails",
    )
    event = models.ForeignKey(
        "tickets.TicketEvent", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    kind = models.CharField(max_length=20, choices=EmailKind.choices)
    status = models.CharField(
        max_length=10, choices=EmailStatus.choices, default=EmailStatus.PENDING
    )
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    # When a worker took it; a `sending` row claimed longer ago than the lease is taken again.
    claimed_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="outbound_email_due"),
            models.Index(fields=["ticket", "created_at"], name="outbound_email_thread"),
        ]
        constraints = [
            # One email per event, person and kind, however often a receiver or sweep runs.
            models.UniqueConstraint(
                fields=["event", "recipient", "kind"],
                condition=Q(event__isnull=False),
                name="outbound_email_once",
            ),
            models.CheckConstraint(
                condition=Q(status__in=EmailStatus.values), name="outbound_email_status"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} to {self.to_address} ({self.status})"


class MailPreference(models.Model):
    """The kinds of email one user receives; without a row, the defaults for their role."""

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="mail_preference")
    kinds = models.JSONField(default=list, blank=True)
    updated_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"email preferences of {self.user_id}"
