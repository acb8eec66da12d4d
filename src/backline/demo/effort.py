"""Effort for the demo: team schedules and the time agents logged on the history's tickets.

Run after `load_demo` (it reads the teams, members and ticket timelines it wrote):

- Schedules: L1 covers 07:00–19:00 on weekdays in two shifts; L2 teams work office hours with
  one member on a late shift (12:00–20:00), and on Monday mornings the lead and one engineer
  start late (team meeting, weekend on-call rest), so the forecast shows a gap there; L3 teams
  work 09:00–17:30.
- Time entries: every ticket's timeline is walked through its assignments (creation, assigning,
  escalation, acceptance, return, de-escalation); each spell of an agent holding the ticket in a
  team gets one to three entries dated inside the spell, with minutes plausible for the tier and
  priority (L1 5–20, L2 30–120, L3 60–240, more for P1/P2).

`random.Random(seed)` decides the minutes and dates; the same data and seed give the same rows.
"""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from backline.accounts.models import Team, TeamMembership
from backline.staffing import rules
from backline.staffing.models import Schedule
from backline.tickets.choices import EventKind
from backline.tickets.models import Ticket, TicketEvent
from backline.worklog.models import TimeEntry

_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri")
_MINUTES = {1: (5, 20, 9), 2: (30, 120, 55), 3: (60, 240, 120)}  # low, high, mode per tier
_PRIORITY_FACTOR = {1: 1.5, 2: 1.25, 3: 1.0, 4: 0.8}
_HOLDER_KINDS = (
    EventKind.CREATED,
    EventKind.ASSIGNED,
    EventKind.ESCALATED,
    EventKind.ACCEPTED,
    EventKind.RETURNED,
    EventKind.DEESCALATED,
)
_BATCH = 2000


def _days(spans: list[list[str]], **overrides: list[list[str]]) -> dict:
    week = dict.fromkeys(_WEEKDAYS, spans)
    week.update(overrides)
    return week


def _week_for(team: Team, index: int, is_lead: bool, size: int) -> dict:
    """The weekly hours of the `index`-th member (lead first) of a team."""
    if team.tier == 1:
        return _days([["07:00", "15:30"]] if index % 2 == 0 else [["10:30", "19:00"]])
    if team.tier == 3:
        return _days([["09:00", "17:30"]])
    if index == size - 1 and size > 2:  # the late shift
        return _days([["12:00", "20:00"]])
    if is_lead or index == 1:  # Monday morning: team meeting and on-call rest
        return _days([["08:00", "17:00"]], mon=[["11:00", "18:00"]])
    return _days([["08:00", "12:00"], ["12:30", "17:00"]])


def _schedules(valid_from) -> list[Schedule]:
    members = defaultdict(list)
    for m in TeamMembership.objects.select_related("team").order_by(
        "team_id", "-is_lead", "user__username"
    ):
        members[m.team].append(m)
    rows = []
    for team, memberships in members.items():
        for i, m in enumerate(memberships):
            week = rules.check_week(_week_for(team, i, m.is_lead, len(memberships)))
            rows.append(Schedule(team=team, user_id=m.user_id, week=week, valid_from=valid_from))
    return rows


@dataclass(slots=True)
class _Spell:
    ticket_id: int
    user_id: int
    team_id: int
    start: datetime
    end: datetime | None = None


def _new(value: Any) -> int | None:
    return value.get("id") if isinstance(value, dict) else None


def _spells(ticket_ends: dict[int, datetime]) -> list[_Spell]:
    """Who held each ticket in which team, and from when to when."""
    spells: list[_Spell] = []
    events = (
        TicketEvent.objects.filter(kind__in=_HOLDER_KINDS)
        .order_by("ticket_id", "at", "id")
        .values_list("ticket_id", "kind", "at", "actor_id", "data")
    )
    ticket = team = user = None
    open_spell: _Spell | None = None

    def close(at: datetime) -> None:
        nonlocal open_spell
        if open_spell is not None:
            open_spell.end = at
            spells.append(open_spell)
            open_spell = None

    for ticket_id, kind, at, actor_id, data in events.iterator(chunk_size=5000):
        if ticket_id != ticket:
            if open_spell is not None:
                close(ticket_ends.get(open_spell.ticket_id, open_spell.start))
            ticket, team, user = ticket_id, None, None
        if kind == EventKind.CREATED:
            team, user = _new(data.get("team")), _new(data.get("assignee"))
        else:
            changes = data.get("changes") or {}
            if "team" in changes:
                team = _new(changes["team"][1])
            if "assignee" in changes:
                user = _new(changes["assignee"][1])
            if kind == EventKind.ACCEPTED and user is None:
                team, user = _new(data.get("team")) or team, actor_id  # accepted, works it
        if open_spell is None or (open_spell.user_id, open_spell.team_id) != (user, team):
            close(at)
            if user is not None and team is not None:
                open_spell = _Spell(ticket_id, user, team, at)
    if open_spell is not None:
        close(ticket_ends.get(open_spell.ticket_id, open_spell.start))
    return spells


def _entries(spells: list[_Spell], rng: random.Random, now: datetime) -> list[TimeEntry]:
    tickets = dict(Ticket.objects.values_list("pk", "priority"))
    tiers = dict(Team.objects.values_list("pk", "tier"))
    rows = []
    for spell in spells:
        tier = tiers[spell.team_id]
        low, high, mode = _MINUTES[tier]
        total = rng.triangular(low, high, mode) * _PRIORITY_FACTOR.get(tickets[spell.ticket_id], 1)
        end = min(spell.end or now, now)
        length = max((end - spell.start).total_seconds(), 60.0)
        parts = 1 if total < 60 else rng.choice((1, 2, 2, 3))
        for k in range(parts):
            minutes = max(1, round(total / parts))
            at = spell.start + timedelta(seconds=length * rng.uniform(k / parts, (k + 1) / parts))
            at = min(max(at.replace(second=0, microsecond=0), spell.start), now)
            rows.append(
                TimeEntry(
                    ticket_id=spell.ticket_id,
                    user_id=spell.user_id,
                    team_id=spell.team_id,
                    tier=tier,
                    minutes=minutes,
                    spent_at=at,
                    created_at=at,
                )
            )
    return rows


def effort_load(*, seed: int = 11) -> dict:
    """Create the demo schedules and time entries (each part only when it has no rows yet);
    returns how many of each were written."""
    rng = random.Random(seed)
    now = timezone.now()
    written = {"schedules": 0, "time_entries": 0}
    with transaction.atomic():
        if not Schedule.objects.exists():
            first = Ticket.objects.order_by("created_at").values_list("created_at", flat=True)
            start = first.first() or now
            rows = _schedules(timezone.localtime(start).date())
            Schedule.objects.bulk_create(rows, batch_size=_BATCH)
            written["schedules"] = len(rows)
        if not TimeEntry.objects.exists():
            ends = {
                pk: closed or resolved or updated
                for pk, closed, resolved, updated in Ticket.objects.values_list(
                    "pk", "closed_at", "resolved_at", "updated_at"
                )
            }
            entries = _entries(_spells(ends), rng, now)
            TimeEntry.objects.bulk_create(entries, batch_size=_BATCH)
            written["time_entries"] = len(entries)
    return written
