"""Functional escalation: collaboration tasks (TSK-) another team does while the ticket stays put.

Writes (`task_create`, `task_update`) follow the service shape of tickets.services; reads
(`tasks_for_ticket`, `task_queue`, `task_get`) join what their pages show, so lists cost a fixed
number of queries. `refuse_resolve_with_open_tasks` is a receiver for
tickets.signals.ticket_transition_requested: a ticket is not resolved while required tasks are open.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from enum import Enum
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import BooleanField, Case, F, Q, QuerySet, Value, When
from django.utils import timezone

from backline.accounts.models import Team, TeamMembership, User
from backline.core.errors import (
    Conflict,
    DomainError,
    NotFound,
    PermissionDenied,
    from_validation_error,
)
from backline.escalation.choices import OPEN_TASK_STATUSES, TaskStatus
from backline.escalation.models import Task
from backline.notifications.choices import NotificationKind
from backline.notifications.services import notify
from backline.tickets.choices import OPEN_STATUSES, EventKind
from backline.tickets.models import Ticket, TicketEvent
from backline.tickets.permissions import require_staff
from backline.tickets.queries import visible_filter
from backline.tickets.services import event_record, event_value


class Unset(Enum):
    """Marks a `task_update` argument that was not given (None is a value: "nobody", "no due")."""

    UNSET = "unset"


UNSET = Unset.UNSET

# The task status machine: where each status may go. Done and cancelled reopen to open.
TASK_TRANSITIONS: dict[str, frozenset[str]] = {
    TaskStatus.OPEN: frozenset({TaskStatus.IN_PROGRESS, TaskStatus.DONE, TaskStatus.CANCELLED}),
    TaskStatus.IN_PROGRESS: frozenset({TaskStatus.DONE, TaskStatus.CANCELLED}),
    TaskStatus.DONE: frozenset({TaskStatus.OPEN}),
    TaskStatus.CANCELLED: frozenset({TaskStatus.OPEN}),
}
# The buttons a task offers in each status, in display order.
TASK_ACTIONS: dict[str, tuple[tuple[str, str], ...]] = {
    TaskStatus.OPEN: (
        (TaskStatus.IN_PROGRESS, "Start"),
        (TaskStatus.DONE, "Done"),
        (TaskStatus.CANCELLED, "Cancel"),
    ),
    TaskStatus.IN_PROGRESS: ((TaskStatus.DONE, "Done"), (TaskStatus.CANCELLED, "Cancel")),
    TaskStatus.DONE: ((TaskStatus.OPEN, "Reopen"),),
    TaskStatus.CANCELLED: ((TaskStatus.OPEN, "Reopen"),),
}
_CLOSED_TASK_STATUSES = (TaskStatus.DONE, TaskStatus.CANCELLED)
_TASK_RELATED = ("ticket", "ticket__team", "team", "assignee", "created_by")
_FK_FIELDS = ["ticket", "team", "assignee", "created_by"]


# --- rules -------------------------------------------------------------------------------------


def task_check_transition(before: str, after: str) -> None:
    """Refuse a status change the task machine does not allow."""
    if after not in TaskStatus.values:
        raise DomainError(f"Unknown task status {after!r}.", field="status")
    if after != before and after not in TASK_TRANSITIONS[before]:
        raise DomainError(
            f"A task that is {TaskStatus(before).label.lower()} cannot become "
            f"{TaskStatus(after).label.lower()}.",
            code="invalid_transition",
            field="status",
        )


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _aware(value: datetime | None) -> datetime | None:
    # A due time without a zone (a form's datetime-local, an API client) means the desk's zone.
    if value is not None and timezone.is_naive(value):
        return timezone.make_aware(value)
    return value


def _check_due(due_at: datetime | None, now: datetime) -> None:
    # Minute precision: a form picker set to "now" is not in the past.
    if due_at is not None and due_at < now.replace(second=0, microsecond=0):
        raise DomainError("The due time is in the past.", field="due_at")


def _check_assignee(team: Team, assignee: User | None) -> None:
    if assignee is None:
        return
    if not assignee.is_active or not assignee.is_staff_member:
        raise DomainError(f"{assignee.display_name} cannot be given tasks.", field="assignee")
    if not TeamMembership.objects.filter(user=assignee, team=team).exists():
        raise DomainError(
            f"{assignee.display_name} is not a member of {team.name}.", field="assignee"
        )


def _clean(task: Task) -> None:
    task.title = (task.title or "").strip()
    task.description = (task.description or "").strip()
    task.outcome = (task.outcome or "").strip()
    if not task.title:
        raise DomainError("Title is required.", field="title")
    try:
        task.full_clean(exclude=_FK_FIELDS, validate_unique=False, validate_constraints=False)
    except ValidationError as exc:
        raise from_validation_error(exc) from exc


def task_can_update(user: User, task: Task, team_ids: Iterable[int] | None = None) -> bool:
    """Members of the task's team or of the ticket's team, and managers, may work a task."""
    if not user.is_active or not user.is_staff_member:
        return False
    if user.is_manager:
        return True
    teams = {pk for pk in (task.team_id, task.ticket.team_id) if pk is not None}
    if team_ids is not None:
        return bool(teams & set(team_ids))
    return user.memberships.filter(team_id__in=teams).exists()


def _task_url(ticket: Ticket) -> str:
    return f"{ticket.get_absolute_url()}#tasks"


def _touch(ticket: Ticket, now: datetime) -> None:
    # Task activity is ticket activity for the queues' "updated", but not a change of its fields,
    # so the ticket's version stays.
    Ticket.objects.filter(pk=ticket.pk).update(updated_at=now)


# --- writes ------------------------------------------------------------------------------------


def task_create(
    *,
    actor: User,
    ticket: Ticket,
    team: Team,
    title: str,
    description: str = "",
    required: bool = True,
    due_at: datetime | None = None,
    assignee: User | None = None,
    at: datetime | None = None,
) -> Task:
    """Ask another team (or a person in it) to do something on an open ticket."""
    require_staff(actor, "open collaboration tasks")
    if ticket.status not in OPEN_STATUSES:
        raise DomainError(
            f"{ticket.number} is {ticket.get_status_display().lower()}; tasks need an open ticket.",
            code="ticket_closed",
            field="ticket",
        )
    now = at or timezone.now()
    due_at = _aware(due_at)
    _check_due(due_at, now)
    _check_assignee(team, assignee)
    task = Task(
        ticket=ticket,
        team=team,
        assignee=assignee,
        title=title,
        description=description,
        required=bool(required),
        due_at=due_at,
        created_by=actor,
        created_at=now,
        updated_at=now,
    )
    _clean(task)
    with transaction.atomic():
        task.save()
        event_record(
            ticket=ticket,
            kind=EventKind.TASK_CREATED,
            actor=actor,
            at=now,
            internal=True,
            data={
                "task": task.pk,
                "number": task.number,
                "team": event_value(team),
                "title": task.title,
                "required": task.required,
                "due_at": _iso(task.due_at),
                "assignee": event_value(assignee),
            },
        )
        _touch(ticket, now)
        recipients = [assignee] if assignee is not None else list(_team_members(team))
        notify(
            recipients=recipients,
            kind=NotificationKind.TASK_ASSIGNED,
            title=f"{task.number} for {team.name}: {task.title}",
            body=f"{ticket.number} {ticket.title}",
            url=_task_url(ticket),
            actor=actor,
            ticket_number=ticket.number,
            at=now,
        )
    return task


def _team_members(team: Team) -> QuerySet[User]:
    return User.objects.filter(memberships__team=team, is_active=True).distinct()


def _lock(task: Task, version: int | None) -> Task:
    """Re-read the task under a row lock and refuse a stale `version` (optimistic locking)."""
    fresh = (
        Task.objects.select_for_update(of=("self",)).select_related(*_TASK_RELATED).get(pk=task.pk)
    )
    if version is not None and fresh.version != version:
        last = (
            TicketEvent.objects.filter(
                ticket_id=fresh.ticket_id,
                kind__in=[EventKind.TASK_CREATED, EventKind.TASK_UPDATED],
                data__task=fresh.pk,
            )
            .select_related("actor")
            .order_by("-at", "-id")
            .first()
        )
        who = last.actor.display_name if last and last.actor else "someone else"
        raise Conflict(
            f"{fresh.number} was changed by {who} after you opened it (version {fresh.version}, "
            f"yours {version}). Reload to see the change.",
            code="version_conflict",
            field="version",
        )
    return fresh


def _apply_status(task: Task, status: str, now: datetime) -> None:
    task_check_transition(task.status, status)
    if status == task.status:
        return
    if status == TaskStatus.OPEN and task.ticket.status not in OPEN_STATUSES:
        raise DomainError(
            f"{task.ticket.number} is no longer open; its tasks cannot be reopened.",
            code="ticket_closed",
            field="status",
        )
    if status == TaskStatus.OPEN:
        # A reopened task starts over; the earlier outcome stays on the timeline.
        task.outcome = ""
    task.status = status
    task.completed_at = now if status in _CLOSED_TASK_STATUSES else None


def task_update(
    *,
    actor: User,
    task: Task,
    version: int | None,
    status: str | Unset = UNSET,
    assignee: User | Unset | None = UNSET,
    outcome: str | Unset = UNSET,
    due_at: datetime | Unset | None = UNSET,
    at: datetime | None = None,
) -> Task:
    """Move a task through its statuses, reassign it within its team, record its outcome."""
    require_staff(actor, "work on tasks")
    if not task_can_update(actor, task):
        raise PermissionDenied(
            f"Only {task.team.name}, the ticket's team or a manager can change {task.number}."
        )
    now = at or timezone.now()
    with transaction.atomic():
        fresh = _lock(task, version)
        before = {
            "status": fresh.status,
            "assignee": fresh.assignee,
            "outcome": fresh.outcome,
            "due_at": fresh.due_at,
        }
        if not isinstance(outcome, Unset):
            fresh.outcome = (outcome or "").strip()
        if not isinstance(status, Unset):
            _apply_status(fresh, status, now)
        if not isinstance(assignee, Unset) and assignee != fresh.assignee:
            _check_assignee(fresh.team, assignee)
            fresh.assignee = assignee
        if not isinstance(due_at, Unset):
            new_due = _aware(due_at)
            if new_due != fresh.due_at:
                _check_due(new_due, now)
                fresh.due_at = new_due
        if fresh.status == TaskStatus.DONE and not fresh.outcome:
            raise DomainError("Say what was done: an outcome is required.", field="outcome")
        changes = _diff(before, fresh)
        if not changes:
            return fresh
        fresh.version += 1
        fresh.updated_at = now
        _clean(fresh)
        fresh.save()
        event_record(
            ticket=fresh.ticket,
            kind=EventKind.TASK_UPDATED,
            actor=actor,
            at=now,
            internal=True,
            data={"task": fresh.pk, "number": fresh.number, "changes": changes},
        )
        _touch(fresh.ticket, now)
        if "assignee" in changes and fresh.assignee is not None:
            notify(
                recipients=[fresh.assignee],
                kind=NotificationKind.TASK_ASSIGNED,
                title=f"{fresh.number} for you: {fresh.title}",
                body=f"{fresh.ticket.number} {fresh.ticket.title}",
                url=_task_url(fresh.ticket),
                actor=actor,
                ticket_number=fresh.ticket.number,
                at=now,
            )
    return fresh


def _diff(before: dict[str, Any], task: Task) -> dict[str, list[Any]]:
    def shown(name: str, value: Any) -> Any:
        return _iso(value) if name == "due_at" else event_value(value)

    return {
        name: [shown(name, old), shown(name, getattr(task, name))]
        for name, old in before.items()
        if shown(name, old) != shown(name, getattr(task, name))
    }


# --- the resolve guard -------------------------------------------------------------------------


def tasks_open_required(ticket: Ticket) -> list[Task]:
    """Required tasks of the ticket that are still open or in progress."""
    return list(
        Task.objects.filter(ticket=ticket, required=True, status__in=OPEN_TASK_STATUSES)
        .select_related("team")
        .order_by("created_at", "id")
    )


def refuse_resolve_with_open_tasks(sender: Any, ticket: Ticket, actor: Any, action: str, **kwargs):
    """ticket_transition_requested receiver: no resolving while required tasks are open."""
    if action != "resolve":
        return
    open_tasks = tasks_open_required(ticket)
    if not open_tasks:
        return
    named = ", ".join(f"{t.number} ({t.team.name})" for t in open_tasks)
    verb = "is" if len(open_tasks) == 1 else "are"
    raise DomainError(
        f"{named} {verb} still open. Finish or cancel required tasks before resolving.",
        code="open_tasks",
        field="action",
    )


# --- reads -------------------------------------------------------------------------------------


def _with_overdue(qs: QuerySet[Task], now: datetime) -> QuerySet[Task]:
    return qs.annotate(
        is_overdue=Case(
            When(Q(status__in=OPEN_TASK_STATUSES, due_at__lt=now), then=Value(True)),
            default=Value(False),
            output_field=BooleanField(),
        )
    )


def tasks_for_ticket(ticket: Ticket) -> list[Task]:
    """The ticket's tasks, oldest first, with team and assignee joined and `is_overdue` set."""
    qs = Task.objects.filter(ticket=ticket).select_related(*_TASK_RELATED)
    return list(_with_overdue(qs, timezone.now()).order_by("created_at", "id"))


def task_queue(
    user: User, *, team_ids: Iterable[int] | None = None, include_done: bool = False
) -> QuerySet[Task]:
    """Tasks of the user's teams (or of `team_ids`) on tickets the user may see: overdue first,
    then by due time."""
    if not user.is_authenticated or not user.is_active or not user.is_staff_member:
        return Task.objects.none()
    if team_ids is None:
        team_ids = user.memberships.values_list("team_id", flat=True)
    qs = Task.objects.filter(visible_filter(user), team_id__in=list(team_ids)).select_related(
        *_TASK_RELATED
    )
    if not include_done:
        qs = qs.filter(status__in=OPEN_TASK_STATUSES)
    return _with_overdue(qs, timezone.now()).order_by(
        F("is_overdue").desc(), F("due_at").asc(nulls_last=True), "created_at", "id"
    )


def task_get(user: User, task_id: int) -> Task:
    """One task, if the user is staff (tasks are internal) and may see its ticket; NotFound
    otherwise."""
    task = None
    if user.is_authenticated and user.is_active and user.is_staff_member:
        qs = Task.objects.filter(visible_filter(user), pk=task_id)
        qs = qs.select_related(*_TASK_RELATED)
        task = _with_overdue(qs, timezone.now()).first()
    if task is None:
        raise NotFound(f"No task TSK-{task_id:06d}.", field="task")
    return task
