"""API shapes for collaboration tasks, alerts and major incidents."""

from __future__ import annotations

from datetime import datetime

from django.urls import reverse
from ninja import Field, Schema
from pydantic import field_validator

from backline.accounts.schemas import UserRef
from backline.escalation.choices import AlertLevel, TaskStatus
from backline.tickets.schemas import TeamRef


def _not_blank(value: str) -> str:
    value = value.strip()
    if not value:
        raise ValueError("must not be blank")
    return value


class TaskIn(Schema):
    team: int = Field(..., description="Id of the team asked to do the task")
    title: str = Field(..., max_length=200)
    description: str = Field("", max_length=100_000)
    required: bool = Field(True, description="The ticket cannot be resolved while it is open")
    due_at: datetime | None = Field(None, description="ISO 8601; without a zone, the desk's zone")
    assignee: int | None = Field(None, description="User id; must be a member of the team")

    _title = field_validator("title")(_not_blank)


class TaskPatch(Schema):
    version: int = Field(..., description="The version you read; a stale one gets 409")
    status: TaskStatus | None = Field(
        None, description="open, in_progress, done (needs an outcome), cancelled"
    )
    assignee: int | None = Field(None, description="User id in the task's team; null: nobody")
    outcome: str | None = Field(None, max_length=100_000)
    due_at: datetime | None = None


class TaskOut(Schema):
    id: int
    number: str
    ticket: str
    ticket_title: str
    team: TeamRef
    assignee: UserRef | None
    title: str
    description: str
    status: TaskStatus
    required: bool
    due_at: datetime | None
    overdue: bool
    outcome: str
    created_by: UserRef
    created_at: datetime
    updated_at: datetime
    completed_at: datetime | None
    version: int
    url: str

    @staticmethod
    def resolve_ticket(obj) -> str:
        return obj.ticket.number

    @staticmethod
    def resolve_ticket_title(obj) -> str:
        return obj.ticket.title

    @staticmethod
    def resolve_overdue(obj) -> bool:
        return bool(getattr(obj, "is_overdue", False))

    @staticmethod
    def resolve_url(obj) -> str:
        return reverse("collab:task_detail", args=[obj.pk])


class TaskPage(Schema):
    items: list[TaskOut]
    count: int
    page: int
    page_size: int
    pages: int


class AlertIn(Schema):
    level: AlertLevel = Field(..., description="lead: the ticket team's leads; manager: managers")
    reason: str = Field(..., max_length=10_000)

    _reason = field_validator("reason")(_not_blank)


class AlertOut(Schema):
    id: int
    ticket: str
    ticket_title: str
    level: AlertLevel
    reason: str
    raised_by: UserRef
    recipients: list[UserRef]
    created_at: datetime
    acknowledged_by: UserRef | None
    acknowledged_at: datetime | None

    @staticmethod
    def resolve_ticket(obj) -> str:
        return obj.ticket.number

    @staticmethod
    def resolve_ticket_title(obj) -> str:
        return obj.ticket.title

    @staticmethod
    def resolve_recipients(obj) -> list:
        return list(obj.recipients.all())


class MajorIncidentIn(Schema):
    reason: str = Field(..., max_length=10_000)
    users_affected: int | None = Field(None, ge=0)

    _reason = field_validator("reason")(_not_blank)


class MajorIncidentOut(Schema):
    ticket: str
    reason: str
    users_affected: int | None
    declared_by: UserRef
    declared_at: datetime

    @staticmethod
    def resolve_ticket(obj) -> str:
        return obj.ticket.number
