"""Webhook subscriptions, the deliveries queued for them (an outbox the worker drains) and the
log of every attempt."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q

from backline.webhooks.choices import DeliveryStatus, SourceType

User = settings.AUTH_USER_MODEL


class Subscription(models.Model):
    """An endpoint of another system and the event kinds it receives, signed with its secret."""

    name = models.CharField(max_length=120)
    url = models.CharField(max_length=500, help_text="http:// or https:// endpoint")
    # Kept readable: every delivery is signed with it. It is shown once, when made or rotated.
    secret = models.CharField(max_length=100)
    event_types = models.JSONField(default=list, help_text="Catalogue kinds, e.g. ticket.created")
    is_active = models.BooleanField(default=True)
    # Ticket events up to this id happened before the subscription existed and are never sent.
    since_event_id = models.BigIntegerField(default=0)
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    secret_rotated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name

    @property
    def secret_hint(self) -> str:
        return f"…{self.secret[-4:]}" if self.secret else ""


class Delivery(models.Model):
    """One event for one subscription; retried until delivered or given up."""

    subscription = models.ForeignKey(
        Subscription, on_delete=models.CASCADE, related_name="deliveries"
    )
    # Sent as X-Backline-Delivery and unchanged across retries and replays: receivers dedupe on it.
    delivery_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # The event's own id (the payload's "id"), the same for every subscription that receives it.
    event_id = models.CharField(max_length=40)
    source_type = models.CharField(max_length=10, choices=SourceType.choices)
    source_id = models.BigIntegerField(null=True, blank=True)
    event_type = models.CharField(max_length=40)
    ticket = models.ForeignKey(
        "tickets.Ticket", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    payload = models.JSONField()
    status = models.CharField(
        max_length=12, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveIntegerField(default=0)
    # Attempts made before the last replay: the retry budget counts from there.
    attempts_before_replay = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_response_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField()
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "deliveries"
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="webhook_delivery_due"),
            models.Index(fields=["subscription", "-created_at"], name="webhook_delivery_log"),
        ]
        constraints = [
            # An event is queued once per subscription, however often a receiver or sweep runs.
            models.UniqueConstraint(
                fields=["subscription", "source_type", "source_id"],
                condition=Q(source_id__isnull=False),
                name="webhook_delivery_once",
            ),
            models.CheckConstraint(
                condition=Q(status__in=DeliveryStatus.values), name="webhook_delivery_status"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} → {self.subscription_id} ({self.status})"

    @property
    def number(self) -> str:
        return f"#{self.pk}"


class Attempt(models.Model):
    """One POST of a delivery: when, how long, what came back."""

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="attempt_log")
    number = models.PositiveIntegerField()
    at = models.DateTimeField()
    response_code = models.PositiveSmallIntegerField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    response_excerpt = models.TextField(blank=True)

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.delivery_id} attempt {self.number}"

    @property
    def succeeded(self) -> bool:
        return self.response_code is not None and 200 <= self.response_code < 300
