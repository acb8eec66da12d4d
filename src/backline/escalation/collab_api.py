"""API: collaboration tasks, alerts to leads and managers, major incidents."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Status

from backline.accounts.models import Team, User
from backline.core.errors import DomainError, NotFound
from backline.core.idempotency import idempotent_response
from backline.escalation import collaboration, hierarchy
from backline.escalation.collab_schemas import (
    AlertIn,
    AlertOut,
    MajorIncidentIn,
    MajorIncidentOut,
    TaskIn,
    TaskOut,
    TaskPage,
    TaskPatch,
)
from backline.tickets.api import ERRORS
from backline.tickets.permissions import require_staff
from backline.tickets.queries import paginate, ticket_get

router = Router(tags=["collaboration"])


def _team(team_id: int) -> Team:
    team = Team.objects.filter(pk=team_id).first()
    if team is None:
        raise DomainError(f"No team with id {team_id}.", field="team")
    return team


def _user(user_id: int | None) -> User | None:
    if user_id is None:
        return None
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None:
        raise DomainError(f"No assignee with id {user_id}.", field="assignee")
    return user


def _task_body(user: User, task_id: int) -> dict[str, Any]:
    return TaskOut.from_orm(collaboration.task_get(user, task_id)).model_dump(mode="json")


@router.get("/tickets/{number}/tasks", response={200: list[TaskOut], **ERRORS})
def ticket_tasks(request: HttpRequest, number: str):
    """The ticket's collaboration tasks, oldest first."""
    ticket = ticket_get(request.user, number)
    require_staff(request.user, "see collaboration tasks")
    return collaboration.tasks_for_ticket(ticket)


@router.post("/tickets/{number}/tasks", response={201: TaskOut, 200: TaskOut, **ERRORS})
def task_create(request: HttpRequest, number: str, payload: TaskIn):
    """Ask another team for a task on the ticket. An `Idempotency-Key` makes retries safe."""
    ticket = ticket_get(request.user, number)
    data = payload.dict()

    def create() -> tuple[int, dict]:
        task = collaboration.task_create(
            actor=request.user,
            ticket=ticket,
            team=_team(data["team"]),
            title=data["title"],
            description=data["description"],
            required=data["required"],
            due_at=data["due_at"],
            assignee=_user(data["assignee"]),
        )
        return 201, _task_body(request.user, task.pk)

    return idempotent_response(
        user=request.user,
        scope=f"task_create:{ticket.pk}",
        key=request.headers.get("Idempotency-Key"),
        payload=data,
        create=create,
    )


@router.get("/tasks", response={200: TaskPage, **ERRORS})
def task_list(
    request: HttpRequest,
    team: Query[list[int] | None] = None,
    include_done: bool = False,
    page: int = 1,
    page_size: int = 50,
):
    """Tasks of my teams (or of the `team` ids), overdue first, then by due time."""
    require_staff(request.user, "see team tasks")
    if page < 1 or not 1 <= page_size <= 200:
        raise DomainError("page must be >= 1 and page_size 1–200.", field="page_size")
    qs = collaboration.task_queue(request.user, team_ids=team or None, include_done=include_done)
    result = paginate(qs, page, page_size)
    return {
        "items": list(result.object_list),
        "count": result.paginator.count,
        "page": result.number,
        "page_size": page_size,
        "pages": result.paginator.num_pages,
    }


@router.get("/tasks/{task_id}", response={200: TaskOut, **ERRORS})
def task_detail(request: HttpRequest, task_id: int):
    return collaboration.task_get(request.user, task_id)


@router.patch("/tasks/{task_id}", response={200: TaskOut, **ERRORS})
def task_patch(request: HttpRequest, task_id: int, payload: TaskPatch):
    """Change status, assignee, outcome or due time; a stale `version` gets 409."""
    task = collaboration.task_get(request.user, task_id)
    changes = payload.dict(exclude_unset=True)
    version = changes.pop("version")
    if "status" in changes and changes["status"] is None:
        raise DomainError("status cannot be null.", field="status")
    if changes.get("status") is not None:
        changes["status"] = payload.status.value if payload.status else None
    if "assignee" in changes:
        changes["assignee"] = _user(changes["assignee"])
    if "outcome" in changes:
        changes["outcome"] = changes["outcome"] or ""
    collaboration.task_update(actor=request.user, task=task, version=version, **changes)
    return collaboration.task_get(request.user, task_id)


@router.post("/tickets/{number}/alerts", response={201: AlertOut, **ERRORS})
def alert_raise(request: HttpRequest, number: str, payload: AlertIn):
    """Alert the ticket team's lead or a manager, with a reason."""
    ticket = ticket_get(request.user, number)
    alert = hierarchy.alert_raise(
        actor=request.user, ticket=ticket, level=payload.level.value, reason=payload.reason
    )
    return Status(201, hierarchy.alert_get(request.user, alert.pk))


@router.get("/alerts", response={200: list[AlertOut], **ERRORS})
def alert_list(request: HttpRequest, open_only: bool = True):
    """Alerts sent to me, newest first: the tickets escalated to me as lead or manager."""
    require_staff(request.user, "receive alerts")
    return list(hierarchy.alerts_for(request.user, open_only=open_only)[:200])


@router.post("/alerts/{alert_id}/acknowledge", response={200: AlertOut, **ERRORS})
def alert_acknowledge(request: HttpRequest, alert_id: int):
    alert = hierarchy.alert_get(request.user, alert_id)
    hierarchy.alert_acknowledge(actor=request.user, alert=alert)
    return hierarchy.alert_get(request.user, alert_id)


@router.post("/tickets/{number}/major-incident", response={201: MajorIncidentOut, **ERRORS})
def major_incident_declare(request: HttpRequest, number: str, payload: MajorIncidentIn):
    """Declare a P1 ticket a major incident; once per ticket."""
    ticket = ticket_get(request.user, number)
    incident = hierarchy.major_incident_declare(
        actor=request.user,
        ticket=ticket,
        reason=payload.reason,
        users_affected=payload.users_affected,
    )
    return Status(201, incident)


@router.get("/tickets/{number}/major-incident", response={200: MajorIncidentOut, **ERRORS})
def major_incident_detail(request: HttpRequest, number: str):
    ticket = ticket_get(request.user, number)
    require_staff(request.user, "see major incidents")
    incident = hierarchy.major_incident_for(ticket)
    if incident is None:
        raise NotFound(f"{ticket.number} is not a major incident.", field="number")
    return incident
