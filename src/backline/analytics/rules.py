"""Pure rules of the analytics app: a ticket's fact from its history, age buckets, warnings.

No ORM here: the services read rows and hand them in, so every rule is tested directly.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from backline.tickets.choices import OPEN_STATUSES, EventKind, ResolutionCode, Status

TIER_BITS = {1: 1, 2: 2, 3: 4}
LOWER_TIER_REASON = "lower_tier"

# The events a fact is read from (the others never change a number).
FACT_EVENT_KINDS = (
    EventKind.CREATED,
    EventKind.ASSIGNED,
    EventKind.STATUS_CHANGED,
    EventKind.ESCALATED,
    EventKind.ACCEPTED,
    EventKind.RETURNED,
    EventKind.BOUNCED,
    EventKind.DEESCALATED,
    EventKind.KB_USED,
)


@dataclass(frozen=True)
class TicketRow:
    """The ticket's own fields a fact needs."""

    id: int
    created_at: datetime
    priority: int
    category_id: int | None
    service_id: int | None
    team_id: int | None
    tier: int
    source: str
    status: str
    first_response_at: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None
    reopen_count: int
    resolution_code: str


@dataclass(frozen=True)
class ClockRow:
    """One SLA or OLA clock's outcome: target, tier (0 for SLAs), met, breached_at."""

    target: str
    tier: int
    met: bool | None
    breached_at: datetime | None


@dataclass
class Fact:
    """The numbers of one ticket (the TicketFact row without its bookkeeping)."""

    values: dict[str, Any] = field(default_factory=dict)


def _tier_of(data: Mapping[str, Any]) -> int | None:
    tier = data.get("tier")
    return tier if isinstance(tier, int) and tier in TIER_BITS else None


def _team_id(value: Any) -> int | None:
    if isinstance(value, Mapping):
        value = value.get("id")
    return value if isinstance(value, int) else None


def _outcomes(clocks: Iterable[ClockRow]) -> dict[str, int | None]:
    """1 when met, 0 when breached (once breached, always breached), None when undecided."""
    out: dict[str, int | None] = {}
    for clock in clocks:
        if clock.target in ("first_response", "resolution"):
            name = "sla_response" if clock.target == "first_response" else "sla_resolution"
        elif clock.target in ("ola_accept", "ola_resolve") and clock.tier in TIER_BITS:
            name = f"{clock.target}_t{clock.tier}"
        else:
            continue
        if clock.breached_at is not None or clock.met is False:
            out[name] = 0
        elif clock.met is True and out.get(name) != 0:
            out[name] = 1
        else:
            out.setdefault(name, None)
    return out


def _local_day(at: datetime | None, tz: ZoneInfo) -> date | None:
    return at.astimezone(tz).date() if at is not None else None


def _seconds(start: datetime, end: datetime | None) -> int | None:
    if end is None:
        return None
    return max(0, int((end - start).total_seconds()))


def fact_values(
    ticket: TicketRow,
    events: Sequence[tuple[str, datetime, Mapping[str, Any]]],
    *,
    clocks: Iterable[ClockRow] = (),
    team_tiers: Mapping[int, int],
    tz: ZoneInfo,
    business_minutes: Callable[[datetime, datetime], float | None] | None = None,
    csat: int | None = None,
    work_minutes: int = 0,
) -> dict[str, Any]:
    """The fact of one ticket from its row and its events in time order (see docs/analytics.md)."""
    tiers = TIER_BITS.get(ticket.tier, 1)
    escalations = bounces = 0
    l1_capable = kb_used = False
    waits: dict[int, int] = {}
    first_resolved: datetime | None = None
    cancelled_at: datetime | None = None
    for kind, at, data in events:
        tier = _tier_of(data)
        if tier:
            tiers |= TIER_BITS[tier]
        if kind == EventKind.ESCALATED:
            escalations += 1
        elif kind == EventKind.BOUNCED:
            bounces += 1
        elif kind == EventKind.RETURNED and data.get("reason") == LOWER_TIER_REASON:
            l1_capable = True
        elif kind == EventKind.KB_USED:
            kb_used = True
        elif kind == EventKind.ACCEPTED:
            accepted_tier = team_tiers.get(_team_id(data.get("team")) or 0)
            waited = data.get("waited_seconds")
            if accepted_tier and isinstance(waited, int) and accepted_tier not in waits:
                waits[accepted_tier] = max(0, waited)
        elif kind == EventKind.STATUS_CHANGED:
            action = data.get("action")
            if action == "resolve":
                first_resolved = first_resolved or at
                l1_capable = l1_capable or bool(data.get("lower_tier_capable"))
                kb_used = kb_used or data.get("resolution_code") == ResolutionCode.KNOWN_ERROR
            elif action == "cancel" or data.get("to") == Status.CANCELLED:
                cancelled_at = at
    resolved_at = ticket.resolved_at
    if ticket.status == Status.CANCELLED:
        done_at = cancelled_at or ticket.closed_at
    elif ticket.status in OPEN_STATUSES:
        done_at = None
    else:
        done_at = resolved_at or ticket.closed_at
    local = ticket.created_at.astimezone(tz)
    business = (
        business_minutes(ticket.created_at, resolved_at)
        if business_minutes is not None and resolved_at is not None
        else None
    )
    values: dict[str, Any] = {
        "created_at": ticket.created_at,
        "created_day": local.date(),
        "created_how": local.weekday() * 24 + local.hour,
        "resolved_day": _local_day(resolved_at, tz),
        "first_resolved_day": _local_day(first_resolved or resolved_at, tz),
        "priority": ticket.priority,
        "category_id": ticket.category_id,
        "service_id": ticket.service_id,
        "team_id": ticket.team_id,
        "source": ticket.source,
        "status": ticket.status,
        "is_open": ticket.status in OPEN_STATUSES,
        "tiers": tiers,
        "max_tier": max(t for t, bit in TIER_BITS.items() if tiers & bit),
        "escalations": escalations,
        "bounces": bounces,
        "l1_capable": l1_capable,
        "first_response_s": _seconds(ticket.created_at, ticket.first_response_at),
        "accept_wait_t2_s": waits.get(2),
        "accept_wait_t3_s": waits.get(3),
        "first_resolved_at": first_resolved or resolved_at,
        "resolved_at": resolved_at,
        "resolve_s": _seconds(ticket.created_at, resolved_at),
        "resolve_business_min": None if business is None else round(business, 2),
        "resolved_tier": ticket.tier if resolved_at else None,
        "resolved_team_id": ticket.team_id if resolved_at else None,
        "done_at": done_at,
        "reopened": ticket.reopen_count > 0,
        "kb_used": kb_used or ticket.resolution_code == ResolutionCode.KNOWN_ERROR,
        "csat": csat,
        "work_minutes": work_minutes,
    }
    # A cancelled ticket's clocks stop "met"; compliance counts only tickets worked to an end.
    outcomes = {} if ticket.status == Status.CANCELLED else _outcomes(clocks)
    for name in (
        "sla_response",
        "sla_resolution",
        "ola_accept_t1",
        "ola_accept_t2",
        "ola_accept_t3",
        "ola_resolve_t1",
        "ola_resolve_t2",
        "ola_resolve_t3",
    ):
        values[name] = outcomes.get(name)
    return values


# Backlog age buckets: (key, label, lower bound inclusive, upper bound exclusive).
AGE_BUCKETS: tuple[tuple[str, str, timedelta, timedelta | None], ...] = (
    ("lt1d", "< 1 day", timedelta(0), timedelta(days=1)),
    ("d1_3", "1–3 days", timedelta(days=1), timedelta(days=3)),
    ("d3_7", "3–7 days", timedelta(days=3), timedelta(days=7)),
    ("d7_30", "7–30 days", timedelta(days=7), timedelta(days=30)),
    ("gt30d", "> 30 days", timedelta(days=30), None),
)


def ratio(part: float | None, whole: float | None) -> float | None:
    """part / whole rounded to 4 places; None when there is nothing to divide by."""
    if not whole or part is None:
        return None
    return round(part / whole, 4)


def change(current: float | None, previous: float | None) -> float | None:
    """Relative change from the previous period (0.25 = +25 %); None when not comparable."""
    if current is None or previous is None or previous == 0:
        return None
    return round((current - previous) / abs(previous), 4)


def _pct(value: float) -> str:
    return f"{value * 100:.0f} %"


@dataclass(frozen=True)
class WarningRule:
    """A classic sign that Level 2 needs strengthening, as a rule with a threshold."""

    key: str
    title: str
    default: float
    unit: str  # what the threshold is: "rise" (relative), "points" (share points), "level"
    help: str
    show: str
    check: Callable[[Mapping[str, Any], Mapping[str, Any], float], str | None]


def _rise(metric: str, what: str, minimum: float = 0) -> Callable[..., str | None]:
    """Fires when `metric` rose by at least the threshold (relative) over the previous period."""

    def check(now: Mapping[str, Any], before: Mapping[str, Any], limit: float) -> str | None:
        value, prior = now.get(metric), before.get(metric)
        if value is None or not prior or value < minimum:
            return None
        rise = (value - prior) / prior
        if rise < limit:
            return None
        return f"{what} rose {_pct(rise)} to {value:g} (previous period {prior:g})."

    return check


def _bounce_level(now: Mapping[str, Any], before: Mapping[str, Any], limit: float) -> str | None:
    rate, escalated = now.get("bounce_rate"), now.get("escalated") or 0
    if rate is None or escalated < 5 or rate < limit:
        return None
    return (
        f"{_pct(rate)} of escalated tickets bounced between tiers "
        f"({now.get('bounces', 0)} bounces on {escalated} escalations)."
    )


def _breaches(now: Mapping[str, Any], before: Mapping[str, Any], limit: float) -> str | None:
    value, prior = now.get("sla_breaches") or 0, before.get("sla_breaches") or 0
    if value < 3 or value < prior * (1 + limit) or value == prior:
        return None
    return f"SLA and OLA breaches rose from {prior} to {value}."


def _recurring(now: Mapping[str, Any], before: Mapping[str, Any], limit: float) -> str | None:
    reopen, recurrence = now.get("reopen_rate"), now.get("recurrence_rate")
    parts = []
    if reopen is not None and reopen >= limit:
        parts.append(f"{_pct(reopen)} of resolved tickets were reopened")
    if recurrence is not None and recurrence >= 2 * limit:
        parts.append(f"{_pct(recurrence)} of incidents recur")
    return "; ".join(parts) + "." if parts else None


def _satisfaction(now: Mapping[str, Any], before: Mapping[str, Any], limit: float) -> str | None:
    share, prior = now.get("csat_share"), before.get("csat_share")
    if share is None or prior is None or (now.get("rated") or 0) < 5:
        return None
    drop = prior - share
    if drop < limit:
        return None
    return f"Ratings of 4–5 fell from {_pct(prior)} to {_pct(share)}."


WARNING_RULES: tuple[WarningRule, ...] = (
    WarningRule(
        "escalation_volume",
        "Rising escalation volume",
        0.2,
        "rise",
        "Tickets reaching L2 or above grew by at least this share over the previous period.",
        "reached_t2",
        _rise("reached_t2", "Tickets reaching L2 or above", minimum=5),
    ),
    WarningRule(
        "resolution_time",
        "Prolonged resolution times",
        0.25,
        "rise",
        "The median business time to resolve grew by at least this share.",
        "resolved",
        _rise("mttr_business_median_h", "The median time to resolve (business hours)"),
    ),
    WarningRule(
        "back_and_forth",
        "Repeated back-and-forth between tiers",
        0.1,
        "level",
        "At least this share of escalated tickets bounced (with at least 5 escalations).",
        "bounced",
        _bounce_level,
    ),
    WarningRule(
        "sla_breaches",
        "Increasing SLA breaches",
        0.2,
        "rise",
        "SLA and OLA breaches grew by at least this share (and are at least 3).",
        "breached:sla_resolution",
        _breaches,
    ),
    WarningRule(
        "recurrence",
        "Recurring issues despite resolution",
        0.08,
        "level",
        "At least this share of resolved tickets reopened (or twice it of incidents recur).",
        "reopened",
        _recurring,
    ),
    WarningRule(
        "satisfaction",
        "Falling satisfaction",
        0.05,
        "points",
        "The share of 4–5 ratings fell by at least this many points (with at least 5 ratings).",
        "rated",
        _satisfaction,
    ),
)
