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
    resolved_day = models.DateField(null=True, blank=True, help_text="Local date of resolved_at")
    first_resolved_day = models.DateField(null=True, blank=True)
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
            # The resolved cohort's aggregates read only these columns (an index-only scan).
            models.Index(
                fields=[
                    "resolved_at",
                    "priority",
                    "team",
                    "max_tier",
                    "kb_used",
                    "csat",
                    "resolved_tier",
                    "resolved_team",
                    "resolve_s",
                    "resolve_business_min",
                ],
                name="fact_resolved_cover",
            ),
            models.Index(fields=["first_resolved_at", "reopened"], name="fact_first_resolved"),
            # The backlog at a period's end: not done by then (done_at null or later).
            models.Index(
                fields=["done_at", "created_at", "team", "priority", "tiers"], name="fact_backlog"
            ),
            # Medians read the middle of a cohort in value order (see queries.median_of).
            models.Index(fields=["first_response_s", "created_at"], name="fact_response_order"),
            models.Index(fields=["accept_wait_t2_s", "created_at"], name="fact_accept2_order"),
            models.Index(fields=["resolve_s", "resolved_at"], name="fact_resolve_order"),
            models.Index(
                fields=["resolve_business_min", "resolved_at"], name="fact_business_order"
            ),
            models.Index(
                fields=["priority", "resolve_business_min", "resolved_at"],
                name="fact_priority_business_order",
            ),
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


# The additive measures a rollup row holds (measures.py defines how each is computed).
ROLLUP_MEASURES = (
    "created",
    "reached_t2",
    "escalated",
    "bounced",
    "bounces",
    "responded",
    "response_sum",
    "accepted_t2",
    "accept_t2_sum",
    "accepted_t3",
    "accept_t3_sum",
    "l2",
    "l1_capable",
    *(f"{kind}_{name}" for name in OUTCOME_FIELDS for kind in ("met", "decided")),
    "resolved",
    "l1_resolved",
    "kb_deflected",
    "resolve_n",
    "resolve_sum",
    "with_business",
    "business_sum",
    "rated",
    "satisfied",
    "csat_sum",
    "first_resolved",
    "reopened",
)


class DayRollup(models.Model):
    """The facts of one local day and cohort summed per team, priority, tiers and resolver, so a
    dashboard over months adds a few thousand rows instead of reading every ticket.

    Rebuilt for a day whenever a fact of that day changes (services.rollups_refresh). Ids are
    plain integers, 0 for none, so the unique key also holds for tickets without a team."""

    day = models.DateField()
    cohort = models.CharField(max_length=16)
    team_id = models.PositiveIntegerField()
    priority = models.PositiveSmallIntegerField()
    tiers = models.PositiveSmallIntegerField()
    resolved_tier = models.PositiveSmallIntegerField()
    resolved_team_id = models.PositiveIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=[
                    "cohort",
                    "day",
                    "team_id",
                    "priority",
                    "tiers",
                    "resolved_tier",
                    "resolved_team_id",
                ],
                name="day_rollup_unique",
            )
        ]

    def __str__(self) -> str:
        return f"{self.cohort} {self.day}"


for _name in ROLLUP_MEASURES:
    _field = models.FloatField if _name == "business_sum" else models.BigIntegerField
    DayRollup.add_to_class(_name, _field(default=0))


class RollupLock(models.Model):
    """One row locked while rollups are rebuilt, so two workers never rebuild a day at once."""

    name = models.CharField(max_length=20, unique=True)

    def __str__(self) -> str:
        return self.name
