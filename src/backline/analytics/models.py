"""One derived row per ticket that the dashboard aggregates in SQL, rebuilt from the ticket's
events (and its clocks, time entries and rating) whenever they change."""

from __future__ import annotations

from django.db import models

# SLA and OLA outcomes are stored as 1 (met), 0 (breached) or NULL (no clock, or undecided).
OUTCOME_FIELDS = (
    "sla_response",
    "sla_resolution",
    "ola_accept_t1",
    "ola_accept_t2",
    "ola_accept_t3",
    "ola_resolve_t1",
    "ola_resolve_t2",
    "ola_resolve_t3",
)


class TicketFact(models.Model):
    """A ticket's life in the numbers the metrics of DESIGN.md need (see docs/analytics.md)."""

    ticket = models.OneToOneField(
        "tickets.Ticket", primary_key=True, on_delete=models.CASCADE, related_name="fact"
    )
    created_at = models.DateTimeField()
    created_day = models.DateField(help_text="Local date of creation (TIME_ZONE)")
    created_how = models.PositiveSmallIntegerField(help_text="Local hour of the week, Monday 0")
    priority = models.PositiveSmallIntegerField()
    category = models.ForeignKey(
        "tickets.Category", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    service = models.ForeignKey(
        "cmdb.Service", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    team = models.ForeignKey(
        "accounts.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    source = models.CharField(max_length=16)
    status = models.CharField(max_length=16)
    is_open = models.BooleanField()
    # Tiers the ticket passed through, as bits: 1 = L1, 2 = L2, 4 = L3.
    tiers = models.PositiveSmallIntegerField(default=1)
    max_tier = models.PositiveSmallIntegerField(default=1)
    escalations = models.PositiveIntegerField(default=0)
    bounces = models.PositiveIntegerField(default=0)
    l1_capable = models.BooleanField(default=False)
    first_response_s = models.PositiveIntegerField(null=True, blank=True)
    accept_wait_t2_s = models.PositiveIntegerField(null=True, blank=True)
    accept_wait_t3_s = models.PositiveIntegerField(null=True, blank=True)
    first_resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolve_s = models.PositiveIntegerField(null=True, blank=True)
    resolve_business_min = models.FloatField(null=True, blank=True)
    resolved_tier = models.PositiveSmallIntegerField(null=True, blank=True)
    resolved_team = models.ForeignKey(
        "accounts.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    done_at = models.DateTimeField(
        null=True, blank=True, help_text="When it left the backlog (resolved or cancelled)"
    )
    reopened = models.BooleanField(default=False)
    kb_used = models.BooleanField(default=False)
    sla_response = models.PositiveSmallIntegerField(null=True, blank=True)
    sla_resolution = models.PositiveSmallIntegerField(null=True, blank=True)
    ola_accept_t1 = models.PositiveSmallIntegerField(null=True, blank=True)
    ola_accept_t2 = models.PositiveSmallIntegerField(null=True, blank=True)
    ola_accept_t3 = models.PositiveSmallIntegerField(null=True, blank=True)
    ola_resolve_t1 = models.PositiveSmallIntegerField(null=True, blank=True)
    ola_resolve_t2 = models.PositiveSmallIntegerField(null=True, blank=True)
    ola_resolve_t3 = models.PositiveSmallIntegerField(null=True, blank=True)
    csat = models.PositiveSmallIntegerField(null=True, blank=True)
    work_minutes = models.PositiveIntegerField(default=0)
    refreshed_at = models.DateTimeField()

    class Meta:
        indexes = [
            models.Index(fields=["created_at"], name="fact_created"),
            models.Index(fields=["resolved_at"], name="fact_resolved"),
            models.Index(fields=["first_resolved_at"], name="fact_first_resolved"),
            models.Index(fields=["is_open", "created_at"], name="fact_open_created"),
        ]

    def __str__(self) -> str:
        return f"fact of {self.ticket_id}"


class FactDirty(models.Model):
    """A ticket whose fact must be rebuilt; written in the same transaction as its events.

    `token` changes on every mark, so a rebuild that read the ticket before a later mark
    leaves the row in place (it deletes only the token it saw)."""

    ticket_id = models.BigIntegerField(primary_key=True)
    token = models.CharField(max_length=32)
    marked_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"dirty {self.ticket_id}"


class WarningThreshold(models.Model):
    """A manager's threshold for one early-warning rule (rules.WARNING_RULES); defaults apply
    to rules without a row."""

    key = models.CharField(max_length=40, unique=True)
    threshold = models.FloatField()
    enabled = models.BooleanField(default=True)
    updated_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.key} ≥ {self.threshold}"
