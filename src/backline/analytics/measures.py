"""The additive measures of each cohort, defined once: aggregated over the ticket facts directly
(any filter) or summed from the daily rollups (period, team, tier and priority filters)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db.models import Count, Q, Sum

from backline.analytics.models import OUTCOME_FIELDS, ROLLUP_MEASURES


def count(q: Q | None = None) -> Count:
    """Facts counted (those matching `q`, when given)."""
    return Count("ticket_id", filter=q) if q is not None else Count("ticket_id")


def _counter(q: Q) -> Callable[[], Count]:
    return lambda: count(q)


def _created() -> dict[str, Callable[[], Any]]:
    measures: dict[str, Callable[[], Any]] = {
        "created": lambda: count(),
        "reached_t2": lambda: count(Q(max_tier__gte=2)),
        "escalated": lambda: count(Q(escalations__gt=0)),
        "bounced": lambda: count(Q(escalations__gt=0, bounces__gt=0)),
        "bounces": lambda: Sum("bounces", filter=Q(escalations__gt=0)),
        "responded": lambda: count(Q(first_response_s__isnull=False)),
        "response_sum": lambda: Sum("first_response_s"),
        "accepted_t2": lambda: count(Q(accept_wait_t2_s__isnull=False)),
        "accept_t2_sum": lambda: Sum("accept_wait_t2_s"),
        "accepted_t3": lambda: count(Q(accept_wait_t3_s__isnull=False)),
        "accept_t3_sum": lambda: Sum("accept_wait_t3_s"),
        "l2": lambda: count(Q(tiers__in=(2, 3, 6, 7))),
        "l1_capable": lambda: count(Q(tiers__in=(2, 3, 6, 7), l1_capable=True)),
    }
    for name in OUTCOME_FIELDS:
        measures[f"met_{name}"] = _counter(Q(**{name: 1}))
        measures[f"decided_{name}"] = _counter(Q(**{f"{name}__isnull": False}))
    return measures


CREATED = _created()
RESOLVED: dict[str, Callable[[], Any]] = {
    "resolved": lambda: count(),
    "l1_resolved": lambda: count(Q(max_tier=1)),
    "kb_deflected": lambda: count(Q(max_tier=1, kb_used=True)),
    "resolve_n": lambda: count(Q(resolve_s__isnull=False)),
    "resolve_sum": lambda: Sum("resolve_s"),
    "with_business": lambda: count(Q(resolve_business_min__isnull=False)),
    "business_sum": lambda: Sum("resolve_business_min"),
    "rated": lambda: count(Q(csat__isnull=False)),
    "satisfied": lambda: count(Q(csat__gte=4)),
    "csat_sum": lambda: Sum("csat"),
}
FIRST_RESOLVED: dict[str, Callable[[], Any]] = {
    "first_resolved": lambda: count(),
    "reopened": lambda: count(Q(reopened=True)),
}
BY_COHORT = {"created": CREATED, "resolved": RESOLVED, "first_resolved": FIRST_RESOLVED}
FLOAT_MEASURES = frozenset({"business_sum"})
ALL = tuple(dict.fromkeys([*CREATED, *RESOLVED, *FIRST_RESOLVED]))

if set(ALL) != set(ROLLUP_MEASURES):  # pragma: no cover - a developer's slip, caught at import
    raise RuntimeError("analytics measures and DayRollup columns disagree")
