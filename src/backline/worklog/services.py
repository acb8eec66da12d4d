"""Every write to the worklog: log time on a ticket, remove an entry. Each records its event."""

from __future__ import annotations

from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from backline.accounts.models import TeamMembership, User
from backline.core.errors import Conflict, DomainError, PermissionDenied, from_validation_error
from backline.tickets.choices import EventKind
from backline.tickets.models import Ticket
from backline.tickets.permissions import require_staff, require_view
from backline.tickets.services import event_record, event_value
from backline.worklog import rules
from backline.worklog.models import TimeEntry

NOTE_MAX = 300


def can_log_for_others(actor: User, user: User) -> bool:
    """Managers log for any agent; a team lead for the members of the teams they lead."""
    if actor.is_manager:
        return True
    led = TeamMembership.objects.filter(user=actor, is_lead=True).values("team_id")
    return TeamMembership.objects.filter(user=user, team_id__in=led).exists()


def _check_user(actor: User, user: User | None) -> User:
    if user is None or user.pk == actor.pk:
        return actor
    if not user.is_active or not user.is_staff_member:
        raise DomainError(f"{user.display_name} is not support staff.", field="user")
    if not can_log_for_others(actor, user):
        raise PermissionDenied(
            "Only a manager or the person's team lead can log time for someone else.", field="user"
        )
    return user


def _entry_team(ticket: Ticket, user: User) -> tuple[int | None, int]:
    teams = [
        rules.TeamChoice(id=m.team_id, tier=m.team.tier)
        for m in TeamMembership.objects.filter(user=user).select_related("team")
    ]
    return rules.entry_team(
        ticket_team_id=ticket.team_id, ticket_tier=ticket.tier, user_teams=teams
    )


def _check_note(note: str) -> str:
    note = (note or "").strip()
    if len(note) > NOTE_MAX:
        raise DomainError(f"The note is longer than {NOTE_MAX} characters.", field="note")
    return note


def time_entry_log(
    *,
    actor: User,
    ticket: Ticket,
    minutes: int,
    note: str = "",
    spent_at: datetime | None = None,
    user: User | None = None,
    at: datetime | None = None,
) -> TimeEntry:
    """Log minutes worked on a ticket, by the actor or (managers, team leads) for someone else."""
    require_staff(actor, "log time")
    require_view(actor, ticket)
    worker = _check_user(actor, user)
    minutes = rules.check_minutes(minutes)
    note = _check_note(note)
    now = at or timezone.now()
    with transaction.atomic():
        # Read the ticket's team and tier as they are now, not as the caller last saw them.
        locked = Ticket.objects.select_for_update(of=("self",)).get(pk=ticket.pk)
        when = rules.check_spent_at(spent_at or now, now=now, ticket_created_at=locked.created_at)
        team_id, tier = _entry_team(locked, worker)
        entry = TimeEntry(
            ticket=locked,
            user=worker,
            team_id=team_id,
            tier=tier,
            minutes=minutes,
            note=note,
            spent_at=when,
            created_at=now,
        )
        try:
            entry.full_clean(exclude=["ticket", "user", "team"])
        except ValidationError as exc:
            raise from_validation_error(exc) from exc
        entry.save()
        event_record(
            ticket=locked,
            kind=EventKind.TIME_LOGGED,
            actor=actor,
            at=now,
            internal=True,
            data=_event_data(entry, worker),
        )
    return entry


def _event_data(entry: TimeEntry, worker: User) -> dict:
    return {
        "entry": entry.pk,
        "minutes": entry.minutes,
        "user": event_value(worker),
        "team": event_value(entry.team) if entry.team_id else None,
        "tier": entry.tier,
        "note": entry.note,
        "spent_at": entry.spent_at.isoformat(),
    }


def can_delete(actor: User, entry: TimeEntry) -> bool:
    """The person the time belongs to, or a manager."""
    return actor.is_active and (actor.is_manager or entry.user_id == actor.pk)


def time_entry_delete(*, actor: User, entry: TimeEntry, at: datetime | None = None) -> None:
    """Remove a time entry (own entries; managers any), recording what was removed."""
    require_staff(actor, "remove time entries")
    if not can_delete(actor, entry):
        raise PermissionDenied("You can only remove your own time entries.")
    now = at or timezone.now()
    with transaction.atomic():
        locked = (
            TimeEntry.objects.select_for_update(of=("self",))
            .select_related("user", "team", "ticket")
            .filter(pk=entry.pk)
            .first()
        )
        if locked is None:
            raise Conflict("This time entry was already removed.")
        data = _event_data(locked, locked.user)
        ticket = locked.ticket
        locked.delete()
        event_record(
            ticket=ticket,
            kind=EventKind.TIME_REMOVED,
            actor=actor,
            at=now,
            internal=True,
            data=data,
        )
