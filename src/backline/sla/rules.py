"""SLA policy without the ORM: which policy applies, where due and warning times fall."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from backline.sla.calendar import Calendar, add_business_minutes, hours
from backline.sla.choices import WEEKDAYS


@dataclass(frozen=True)
class PolicyFacts:
    """A policy's conditions as plain values (empty = any)."""

    id: int
    priorities: frozenset[int] = frozenset()
    category_ids: frozenset[int] = frozenset()
    service_ids: frozenset[int] = frozenset()
    sources: frozenset[str] = frozenset()
    requester_team_ids: frozenset[int] = frozenset()


@dataclass(frozen=True)
class TicketFacts:
    priority: int
    category_id: int | None = None
    service_id: int | None = None
    source: str = ""
    requester_team_ids: frozenset[int] = field(default_factory=frozenset)


def policy_matches(policy: PolicyFacts, ticket: TicketFacts) -> bool:
    """Every condition the policy sets holds for the ticket."""
    return (
        (not policy.priorities or ticket.priority in policy.priorities)
        and (not policy.category_ids or ticket.category_id in policy.category_ids)
        and (not policy.service_ids or ticket.service_id in policy.service_ids)
        and (not policy.sources or ticket.source in policy.sources)
        and (
            not policy.requester_team_ids
            or bool(policy.requester_team_ids & ticket.requester_team_ids)
        )
    )


def choose_policy(policies: Sequence[PolicyFacts], ticket: TicketFacts) -> int | None:
    """The id of the first policy (in order) whose conditions hold, or None."""
    return next((p.id for p in policies if policy_matches(p, ticket)), None)


def build_calendar(
    *,
    tz: str,
    week: Mapping[str, Iterable[Iterable[str]]],
    holidays: Iterable[date] = (),
    extra_working_days: Mapping[str, Iterable[Iterable[str]]] | None = None,
) -> Calendar:
    """A Calendar from the stored JSON shapes: {"mon": [["08:00", "17:00"]]}, ISO-dated extras."""
    days = tuple(hours(*(f"{start}-{end}" for start, end in week.get(day, []))) for day in WEEKDAYS)
    extra = {
        date.fromisoformat(day): hours(*(f"{s}-{e}" for s, e in spans))
        for day, spans in (extra_working_days or {}).items()
    }
    return Calendar(tz, days, frozenset(holidays), tuple(extra.items()))


@dataclass(frozen=True)
class Plan:
    due_at: datetime
    warn_at: datetime


def plan(
    cal: Calendar,
    *,
    target_minutes: float,
    elapsed_minutes: float,
    running_since: datetime,
    warn_share: float,
) -> Plan:
    """Due and warning instants of a running clock, from the business time already used.

    Re-planning (a new priority, a resumed pause) keeps what has elapsed and only moves the end.
    """
    remaining = max(0.0, target_minutes - elapsed_minutes)
    until_warning = max(0.0, target_minutes * warn_share - elapsed_minutes)
    return Plan(
        due_at=add_business_minutes(cal, running_since, remaining),
        warn_at=add_business_minutes(cal, running_since, until_warning),
    )


def raised_priority(priority: int) -> int:
    """One step more urgent (P1 stays P1)."""
    return max(1, priority - 1)
