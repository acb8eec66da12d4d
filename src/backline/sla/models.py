"""Business calendars, SLA policies with OLA targets, and the clocks running on tickets."""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from backline.sla.choices import ClockState, Target


def default_week() -> dict:
    return {day: [["08:00", "17:00"]] for day in ("mon", "tue", "wed", "thu", "fri")}


class BusinessCalendar(models.Model):
    """Working hours in a time zone, with public holidays and custom closed or open dates."""

    name = models.CharField(max_length=100, unique=True)
    timezone = models.CharField(max_length=64, default="Europe/Berlin")
    week = models.JSONField(
        default=default_week, help_text='{"mon": [["08:00", "17:00"]], …}; missing days are closed'
    )
    country = models.CharField(max_length=8, blank=True, help_text="Holidays, e.g. DE")
    subdivision = models.CharField(max_length=16, blank=True, help_text="e.g. BY")
    closed_dates = models.JSONField(default=list, blank=True, help_text="ISO dates")
    extra_working_days = models.JSONField(
        default=dict, blank=True, help_text='{"2026-12-19": [["09:00", "13:00"]]}'
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class SlaPolicy(models.Model):
    """Targets for tickets matching its conditions; the first active policy by position applies."""

    name = models.CharField(max_length=120, unique=True)
    position = models.PositiveIntegerField(default=0)
    is_active = models.BooleanField(default=True)
    priorities = models.JSONField(default=list, blank=True, help_text="1–4; empty = any")
    categories = models.ManyToManyField("tickets.Category", blank=True, related_name="+")
    services = models.ManyToManyField("cmdb.Service", blank=True, related_name="+")
    sources = models.JSONField(default=list, blank=True, help_text="ticket sources; empty = any")
    requester_teams = models.ManyToManyField(
        "accounts.Team",
        blank=True,
        related_name="+",
        help_text="Requester group: the requester belongs to one of these teams; empty = anyone",
    )
    calendar = models.ForeignKey(
        BusinessCalendar, on_delete=models.PROTECT, related_name="policies"
    )
    first_response_minutes = models.PositiveIntegerField(help_text="Business minutes")
    resolution_minutes = models.PositiveIntegerField(help_text="Business minutes")
    pause_reasons = models.JSONField(
        default=list, blank=True, help_text="Pending reasons that pause the clocks"
    )
    warn_share = models.FloatField(default=0.75)
    warning_actions = models.JSONField(default=list, blank=True)
    breach_actions = models.JSONField(default=list, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["position", "id"]
        verbose_name_plural = "SLA policies"
        constraints = [
            models.CheckConstraint(
                condition=Q(warn_share__gt=0) & Q(warn_share__lt=1), name="sla_warn_share_range"
            )
        ]

    def __str__(self) -> str:
        return self.name


class OlaTarget(models.Model):
    """A policy's promise between tiers: accept an escalation, resolve while in the tier."""

    policy = models.ForeignKey(SlaPolicy, on_delete=models.CASCADE, related_name="ola_targets")
    tier = models.PositiveSmallIntegerField()
    accept_minutes = models.PositiveIntegerField(null=True, blank=True)
    resolve_minutes = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["tier"]
        constraints = [
            models.UniqueConstraint(fields=["policy", "tier"], name="ola_target_unique_tier")
        ]

    def __str__(self) -> str:
        return f"{self.policy}: L{self.tier}"


class SlaClock(models.Model):
    """One target's clock on one ticket, measured in the policy calendar's business time."""

    ticket = models.ForeignKey(
        "tickets.Ticket", on_delete=models.CASCADE, related_name="sla_clocks"
    )
    policy = models.ForeignKey(SlaPolicy, on_delete=models.PROTECT, related_name="clocks")
    target = models.CharField(max_length=16, choices=Target.choices)
    tier = models.PositiveSmallIntegerField(
        default=0, help_text="The tier of an OLA clock; 0 for SLAs"
    )
    target_minutes = models.PositiveIntegerField()
    state = models.CharField(max_length=10, choices=ClockState.choices, default=ClockState.RUNNING)
    started_at = models.DateTimeField()
    elapsed_minutes = models.FloatField(
        default=0, help_text="Business minutes before `running_since`"
    )
    running_since = models.DateTimeField(null=True, blank=True)
    due_at = models.DateTimeField(null=True, blank=True, db_index=True)
    warn_at = models.DateTimeField(null=True, blank=True)
    warned_at = models.DateTimeField(null=True, blank=True)
    breached_at = models.DateTimeField(null=True, blank=True)
    stopped_at = models.DateTimeField(null=True, blank=True)
    met = models.BooleanField(null=True, blank=True, help_text="Set when stopped")

    class Meta:
        ordering = ["started_at", "id"]
        indexes = [
            models.Index(fields=["state", "due_at"], name="sla_clock_due"),
            models.Index(fields=["state", "warn_at"], name="sla_clock_warn"),
            models.Index(fields=["ticket", "target"], name="sla_clock_ticket"),
        ]
        constraints = [
            # One live clock per ticket and target (and tier for OLAs).
            models.UniqueConstraint(
                fields=["ticket", "target", "tier"],
                condition=~Q(state="stopped"),
                name="sla_one_live_clock",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.target} on {self.ticket_id} ({self.state})"


class ClockPause(models.Model):
    """A stretch of time during which a clock did not count (pending on the requester…)."""

    clock = models.ForeignKey(SlaClock, on_delete=models.CASCADE, related_name="pauses")
    reason = models.CharField(max_length=40)
    paused_at = models.DateTimeField()
    resumed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["paused_at", "id"]

    def __str__(self) -> str:
        return f"{self.clock_id} paused {self.reason}"
