"""Reads for SLA screens: a ticket's clocks with their explanation, policies, calendars."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from backline.core.errors import NotFound
from backline.sla import services
from backline.sla.calendar import business_minutes_between, explain
from backline.sla.choices import WEEKDAYS, ClockState, Target
from backline.sla.models import BusinessCalendar, SlaClock, SlaPolicy
from backline.tickets.choices import Priority, Source
from backline.tickets.models import Ticket


def ticket_clocks(ticket: Ticket) -> list[SlaClock]:
    """Every clock of the ticket (SLAs first, then OLAs by tier) with policy and pauses."""
    return list(
        SlaClock.objects.filter(ticket=ticket)
        .select_related("policy", "policy__calendar")
        .prefetch_related(
            "pauses", "policy__categories", "policy__services", "policy__requester_teams"
        )
        .order_by("tier", "started_at", "id")
    )


def clock_label(clock: SlaClock) -> str:
    """ "First response", "L2 acceptance (OLA)"."""
    if clock.target == Target.OLA_ACCEPT:
        return f"L{clock.tier} acceptance (OLA)"
    if clock.target == Target.OLA_RESOLVE:
        return f"L{clock.tier} resolution (OLA)"
    return str(Target(clock.target).label)


def elapsed_now(clock: SlaClock, now: datetime) -> float:
    """Business minutes used so far (the banked part plus the running segment)."""
    used = clock.elapsed_minutes
    if clock.state == ClockState.RUNNING and clock.running_since and now > clock.running_since:
        cal = services.calendar_of(clock.policy.calendar)
        used += business_minutes_between(cal, clock.running_since, now)
    return used


def policies_all() -> QuerySet[SlaPolicy]:
    """Every policy in the order they are tried, with what their rows show."""
    return SlaPolicy.objects.select_related("calendar").prefetch_related(
        "categories", "services", "requester_teams", "ola_targets"
    )


def policy_get(policy_id: int) -> SlaPolicy:
    policy = policies_all().filter(pk=policy_id).first()
    if policy is None:
        raise NotFound(f"No SLA policy {policy_id}.", field="id")
    return policy


def calendars_all() -> QuerySet[BusinessCalendar]:
    return BusinessCalendar.objects.all()


def calendar_get(calendar_id: int) -> BusinessCalendar:
    calendar = BusinessCalendar.objects.filter(pk=calendar_id).first()
    if calendar is None:
        raise NotFound(f"No business calendar {calendar_id}.", field="id")
    return calendar


def policy_conditions(policy: SlaPolicy) -> list[str]:
    """The policy's conditions in words (empty: it applies to every ticket)."""
    parts = []
    if policy.priorities:
        parts.append("priority " + ", ".join(f"P{p}" for p in sorted(policy.priorities)))
    if categories := [c.name for c in policy.categories.all()]:
        parts.append("category " + ", ".join(categories))
    if service_names := [s.name for s in policy.services.all()]:
        parts.append("service " + ", ".join(service_names))
    if policy.sources:
        parts.append("source " + ", ".join(str(Source(s).label) for s in policy.sources))
    if teams := [t.name for t in policy.requester_teams.all()]:
        parts.append("requester in " + ", ".join(teams))
    return parts


def week_lines(record: BusinessCalendar) -> list[str]:
    """ "Mon 08:00–12:00, 13:00–17:00" per weekday; closed days say so."""
    lines = []
    for day in WEEKDAYS:
        spans = record.week.get(day) or []
        hours = ", ".join(f"{a}–{b}" for a, b in spans) or "closed"
        lines.append(f"{day.capitalize()} {hours}")
    return lines


def _holidays_between(record: BusinessCalendar, first: date, last: date) -> list[str]:
    cal = services.calendar_of(record)
    names: dict[date, str] = {}
    if record.country:
        import holidays as holidays_package

        found = holidays_package.country_holidays(
            record.country,
            subdiv=record.subdivision or None,
            years=list(range(first.year, last.year + 1)),
        )
        names = dict(found.items())
    return [
        f"{d:%a %Y-%m-%d} {names.get(d, 'closed date')}"
        for d in sorted(cal.holidays)
        if first <= d <= last
    ]


def clock_explanation(clock: SlaClock, ticket: Ticket, now: datetime) -> dict[str, Any]:
    """Why a running clock is due when it is: policy, calendar, target, time used, pauses, and
    the business hours that count towards the rest."""
    policy, record = clock.policy, clock.policy.calendar
    cal = services.calendar_of(record)
    since = clock.running_since or now
    remaining = max(0.0, clock.target_minutes - clock.elapsed_minutes)
    end = clock.due_at or now
    conditions = policy_conditions(policy)
    return {
        "policy": policy,
        "conditions": conditions,
        "ticket_facts": (
            f"{ticket.number} is {Priority(ticket.priority).label}"
            f"{', category ' + ticket.category.name if ticket.category else ''}"
            f"{', service ' + ticket.service.name if ticket.service else ''}"
            f", from {Source(ticket.source).label}"
        ),
        "calendar": record,
        "week": week_lines(record),
        "holidays": _holidays_between(
            record,
            clock.started_at.astimezone(cal.zone).date(),
            end.astimezone(cal.zone).date(),
        ),
        "elapsed": elapsed_now(clock, now),
        "banked": clock.elapsed_minutes,
        "remaining_from": since,
        "lines": explain(cal, since, remaining),
        "pauses": list(clock.pauses.all()),
    }


def ticket_sla_panel(ticket: Ticket) -> list[dict[str, Any]]:
    """Rows for the ticket page: each clock, its time left or used, and why it is due then."""
    now = timezone.now()
    rows = []
    for clock in ticket_clocks(ticket):
        described = services.describe(clock)
        rows.append(
            {
                "clock": clock,
                "label": clock_label(clock),
                "minutes_left": described["minutes_left"],
                "elapsed": elapsed_now(clock, now),
                "pauses": list(clock.pauses.all()),
                "why": clock_explanation(clock, ticket, now)
                if clock.state == ClockState.RUNNING
                else None,
            }
        )
    return rows
