"""Ticket-page panels for collaboration tasks, alerts and major incidents.

Each context function takes optional extras (a bound form with errors, a refusal message) so the
views can re-render one panel in place after a refused HTMX post. Lookups shared by several panels
are memoised on the request, so the page pays for each once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from django.http import HttpRequest

from backline.accounts.choices import STAFF_ROLES
from backline.accounts.models import Team, TeamMembership
from backline.escalation import collaboration, hierarchy
from backline.escalation.choices import OPEN_TASK_STATUSES, AlertLevel
from backline.escalation.models import Task
from backline.tickets.choices import Priority
from backline.tickets.models import Ticket
from backline.tickets.panels import register_panel

T = TypeVar("T")


def _memo(request: HttpRequest, key: str, load: Callable[[], T]) -> T:
    cache: dict[str, Any] = request.__dict__.setdefault("_collab_memo", {})
    if key not in cache:
        cache[key] = load()
    return cache[key]


def my_team_ids(request: HttpRequest) -> list[int]:
    """The signed-in user's team ids, read once per request."""
    return _memo(
        request,
        "team_ids",
        lambda: list(request.user.memberships.values_list("team_id", flat=True)),
    )


def decorate(tasks: Iterable[Task], request: HttpRequest) -> list[Task]:
    """Give each task the buttons the user may press (`actions`, `can_update`)."""
    team_ids = my_team_ids(request)
    out = []
    for task in tasks:
        task.can_update = collaboration.task_can_update(request.user, task, team_ids)
        task.actions = collaboration.TASK_ACTIONS[task.status] if task.can_update else ()
        out.append(task)
    return out


def task_form_choices(request: HttpRequest) -> dict[str, Any]:
    """Teams for the task form, and staff grouped by team for its assignee picker."""
    teams = list(Team.objects.order_by("tier", "name"))
    members: dict[int, list] = {team.pk: [] for team in teams}
    rows = (
        TeamMembership.objects.filter(user__is_active=True, user__role__in=list(STAFF_ROLES))
        .select_related("user")
        .order_by("user__first_name", "user__last_name", "user__username")
    )
    mine = []
    for row in rows:
        members.setdefault(row.team_id, []).append(row.user)
        if row.user_id == request.user.pk:
            mine.append(row.team_id)
    # The same rows tell which teams the user is in; spare the page that query.
    _memo(request, "team_ids", lambda: mine)
    return {
        "teams": teams,
        "assignee_groups": [(team, members[team.pk]) for team in teams if members[team.pk]],
    }


def tasks_context(request: HttpRequest, ticket: Ticket, **extra: Any) -> dict[str, Any]:
    choices = task_form_choices(request) if ticket.is_open else {}
    tasks = decorate(collaboration.tasks_for_ticket(ticket), request)
    context: dict[str, Any] = {
        "tasks": tasks,
        "open_required": sum(1 for t in tasks if t.required and t.status in OPEN_TASK_STATUSES),
        "form": None,
        "error": "",
        "conflict": "",
        "task_error_id": None,
        "open_done": None,
    }
    context.update(choices)
    context.update(extra)
    return context


def major_incident(request: HttpRequest, ticket: Ticket):
    return _memo(request, f"major:{ticket.pk}", lambda: hierarchy.major_incident_for(ticket))


def header_context(request: HttpRequest, ticket: Ticket) -> dict[str, Any] | None:
    incident = major_incident(request, ticket)
    return {"incident": incident} if incident is not None else None


def actions_context(request: HttpRequest, ticket: Ticket, **extra: Any) -> dict[str, Any] | None:
    if not ticket.is_open:
        return None
    incident = major_incident(request, ticket)
    context: dict[str, Any] = {
        "levels": [
            (AlertLevel.LEAD, "Alert lead…", "Alert the team lead"),
            (AlertLevel.MANAGER, "Alert manager…", "Alert a manager"),
        ],
        "alerts": hierarchy.alerts_for_ticket(ticket, limit=5),
        "can_declare": ticket.priority == Priority.P1 and incident is None,
        "form": None,
        "major_form": None,
        "open_form": "",
    }
    context.update(extra)
    return context


def register() -> None:
    """Add the panels to the ticket page (called from EscalationConfig.ready)."""
    register_panel(
        slot="header", template="escalation/collab/panel_major.html", context=header_context
    )
    register_panel(
        slot="actions", template="escalation/collab/panel_actions.html", context=actions_context
    )
    register_panel(
        slot="side", template="escalation/collab/panel_tasks.html", context=tasks_context
    )
