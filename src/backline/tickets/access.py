"""Who has been involved with a ticket: the rows behind "an agent sees tickets they or their team
have handled" (docs/security.md). Written by `event_record` as events happen; rebuilt from the
timeline for history inserted in bulk (demo data, imports, the migration that introduced it)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from backline.accounts.choices import STAFF_ROLES
from backline.tickets.choices import EventKind
from backline.tickets.models import Ticket, TicketAccess, TicketEvent

_BATCH = 2000
# Events whose data can name a team (CREATED names the first one; moves hold both sides).
_TEAM_KINDS = [
    EventKind.CREATED,
    EventKind.UPDATED,
    EventKind.ASSIGNED,
    EventKind.ESCALATED,
    EventKind.ACCEPTED,
    EventKind.RETURNED,
    EventKind.BOUNCED,
    EventKind.DEESCALATED,
    EventKind.TASK_CREATED,
    EventKind.TASK_UPDATED,
]


def teams_in_event(data: Any) -> set[int]:
    """Team ids an event's data names: the team of a CREATED event, both sides of a team change."""
    ids: set[int] = set()
    if not isinstance(data, dict):
        return ids
    team = data.get("team")
    if isinstance(team, dict) and isinstance(team.get("id"), int):
        ids.add(team["id"])
    changes = data.get("changes")
    pair = changes.get("team") if isinstance(changes, dict) else None
    if isinstance(pair, list):
        ids.update(v["id"] for v in pair if isinstance(v, dict) and isinstance(v.get("id"), int))
    return ids


def _rows(ticket_id: int, team_ids: Iterable[int | None], user_ids: Iterable[int]) -> list:
    rows = [TicketAccess(ticket_id=ticket_id, team_id=t) for t in set(team_ids) if t]
    rows += [TicketAccess(ticket_id=ticket_id, user_id=u) for u in set(user_ids)]
    return rows


def access_grant_for_event(event: TicketEvent) -> None:
    """Record the ticket's current team, the teams the event names and its staff actor."""
    ticket = event.ticket
    actor = event.actor
    users = [actor.pk] if actor is not None and actor.role in STAFF_ROLES else []
    teams = {ticket.team_id, *teams_in_event(event.data)}
    # ignore_conflicts: a team or user already recorded is the common case, and is no error.
    TicketAccess.objects.bulk_create(_rows(ticket.pk, teams, users), ignore_conflicts=True)


def access_rebuild(ticket_ids: Iterable[int] | None = None) -> int:
    """Add the rows the timeline implies for these tickets (all when None); returns rows written."""
    if ticket_ids is None:
        pks = list(Ticket.objects.values_list("pk", flat=True))
    else:
        pks = list(ticket_ids)
    written = 0
    for start in range(0, len(pks), 500):
        written += _rebuild_chunk(pks[start : start + 500])
    return written


def _rebuild_chunk(pks: list[int]) -> int:
    teams: dict[int, set[int | None]] = {
        pk: {team_id}
        for pk, team_id in Ticket.objects.filter(pk__in=pks).values_list("pk", "team_id")
    }
    users: dict[int, set[int]] = {pk: set() for pk in teams}
    events = TicketEvent.objects.filter(ticket_id__in=pks)
    staff = events.filter(actor__role__in=list(STAFF_ROLES)).values_list("ticket_id", "actor_id")
    for ticket_id, actor_id in staff:
        users[ticket_id].add(actor_id)
    for ticket_id, data in events.filter(kind__in=_TEAM_KINDS).values_list("ticket_id", "data"):
        teams[ticket_id] |= teams_in_event(data)
    rows = [row for pk in teams for row in _rows(pk, teams[pk], users[pk])]
    existing = TicketAccess.objects.filter(ticket_id__in=pks)
    before = existing.count()
    # ignore_conflicts returns every row given, inserted or not: count what the table gained.
    TicketAccess.objects.bulk_create(rows, batch_size=_BATCH, ignore_conflicts=True)
    return existing.count() - before
