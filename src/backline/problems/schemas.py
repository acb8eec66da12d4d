from __future__ import annotations

from datetime import date, datetime

from ninja import Field, Schema
from pydantic import field_validator

from backline.accounts.schemas import UserRef
from backline.core.api import Id
from backline.problems.choices import ActionKind, Closure
from backline.tickets.choices import CauseCode
from backline.tickets.schemas import Ref

TicketRef = str  # "INC-000042", "inc-42" or "42"


def _not_blank(value: str) -> str:
    value = value.strip()
    if not value:
        raise ValueError("must not be blank")
    return value


class ProblemListItem(Schema):
    id: int
    number: str
    title: str
    state: str
    priority: int
    owner: UserRef | None
    team: Ref | None
    closure: str
    version: int
    created_at: datetime
    updated_at: datetime
    resolved_at: datetime | None
    closed_at: datetime | None
    url: str

    @staticmethod
    def resolve_url(obj) -> str:
        return f"/problems/{obj.number}"


class ProblemOut(ProblemListItem):
    statement: str
    root_cause: str
    cause_code: str
    verify_days: int
    services: list[Ref]
    cis: list[Ref]
    incidents: list[str]

    @staticmethod
    def resolve_services(obj) -> list:
        return list(obj.services.order_by("name"))

    @staticmethod
    def resolve_cis(obj) -> list:
        return list(obj.cis.order_by("name"))

    @staticmethod
    def resolve_incidents(obj) -> list[str]:
        ids = obj.incident_links.order_by("ticket_id").values_list("ticket_id", flat=True)
        return [f"INC-{pk:06d}" for pk in ids]


class ProblemPage(Schema):
    items: list[ProblemListItem]
    count: int
    page: int
    page_size: int
    pages: int


class ProblemIn(Schema):
    title: str = Field(..., max_length=200)
    statement: str = Field("", max_length=20_000)
    priority: int = Field(3, ge=1, le=4)
    owner: Id | None = None
    team: Id | None = None
    services: list[Id] = Field(default_factory=list, max_length=100)
    cis: list[Id] = Field(default_factory=list, max_length=200)
    tickets: list[TicketRef] = Field(default_factory=list, max_length=500)

    _title = field_validator("title")(_not_blank)


class ProblemPatch(Schema):
    version: int = Field(..., ge=1)
    title: str | None = Field(None, max_length=200)
    statement: str | None = Field(None, max_length=20_000)
    priority: int | None = Field(None, ge=1, le=4)
    owner: Id | None = None
    team: Id | None = None
    services: list[Id] | None = Field(None, max_length=100)
    cis: list[Id] | None = Field(None, max_length=200)
    verify_days: int | None = Field(None, ge=1, le=365)


class ProblemTransitionIn(Schema):
    action: str = Field(
        ...,
        max_length=20,
        description="investigate, root_cause_known, start_fix, resolve, close, reopen",
    )
    closure: Closure | None = Field(None, description="Needed to close")
    note: str = Field("", max_length=2000)
    version: int | None = Field(None, ge=1)


class IncidentsIn(Schema):
    tickets: list[TicketRef] = Field(..., min_length=1, max_length=500)


class IncidentOut(Schema):
    ticket: str
    title: str
    status: str
    linked_by: UserRef
    linked_at: datetime


class LinkResult(Schema):
    linked: list[str]
    already: list[str]


class TimelineEntryIn(Schema):
    happened_at: datetime
    text: str = Field(..., max_length=4000)
    ticket_event: Id | None = Field(None, description="A ticket event id")
    change: str | None = Field(None, max_length=30, description="CHG-7 or 7")
    attachment: Id | None = Field(None, description="A ticket attachment id")

    _text = field_validator("text")(_not_blank)


class TimelineEntryOut(Schema):
    id: int
    happened_at: datetime
    text: str
    ticket_event: int | None = Field(None, alias="ticket_event_id")
    ticket: str | None
    change: str | None
    attachment: int | None = Field(None, alias="attachment_id")
    created_by: UserRef

    @staticmethod
    def resolve_ticket(obj) -> str | None:
        return obj.ticket_event.ticket.number if obj.ticket_event_id else None

    @staticmethod
    def resolve_change(obj) -> str | None:
        return obj.change.number if obj.change_id else None


class FactorIn(Schema):
    category: str = Field(..., max_length=30, description="Category slug, e.g. process")
    text: str = Field(..., max_length=2000)

    _text = field_validator("text")(_not_blank)


class FactorOut(Schema):
    id: int
    category: str
    category_name: str
    text: str

    @staticmethod
    def resolve_category(obj) -> str:
        return obj.category.slug

    @staticmethod
    def resolve_category_name(obj) -> str:
        return obj.category.name


class WhysIn(Schema):
    whys: list[str] = Field(..., max_length=10, description="In order; the last is the root cause")
    version: int | None = Field(None, ge=1)


class RootCauseIn(Schema):
    root_cause: str = Field(..., max_length=10_000)
    cause_code: CauseCode | None = None
    version: int | None = Field(None, ge=1)


class RcaOut(Schema):
    problem: str
    version: int
    timeline: list[TimelineEntryOut]
    whys: list[str]
    factors: list[FactorOut]
    root_cause: str
    cause_code: str


class ActionIn(Schema):
    title: str = Field(..., max_length=200)
    kind: ActionKind = ActionKind.CORRECTIVE
    description: str = Field("", max_length=10_000)
    owner: Id | None = None
    team: Id | None = None
    due_date: date | None = None
    change: str | None = Field(None, max_length=30, description="CHG-7 or 7")
    external_ref: str = Field("", max_length=300)

    _title = field_validator("title")(_not_blank)


class ActionPatch(Schema):
    version: int = Field(..., ge=1)
    title: str | None = Field(None, max_length=200)
    kind: ActionKind | None = None
    description: str | None = Field(None, max_length=10_000)
    owner: Id | None = None
    team: Id | None = None
    due_date: date | None = None
    change: str | None = Field(None, max_length=30, description="CHG-7, 7, or '' to unlink")
    external_ref: str | None = Field(None, max_length=300)


class ActionTransitionIn(Schema):
    step: str = Field(..., max_length=10, description="start, done, cancel, reopen")
    version: int | None = Field(None, ge=1)


class ChangeRef(Schema):
    number: str
    title: str
    state: str


class ActionOut(Schema):
    id: int
    problem: str
    kind: str
    title: str
    description: str
    owner: UserRef | None
    team: Ref | None
    due_date: date | None
    state: str
    overdue: bool
    change: ChangeRef | None
    external_ref: str
    created_at: datetime
    done_at: datetime | None
    version: int

    @staticmethod
    def resolve_problem(obj) -> str:
        return f"PRB-{obj.problem_id}"

    @staticmethod
    def resolve_overdue(obj) -> bool:
        return bool(getattr(obj, "overdue", False))


class FactorCategoryIn(Schema):
    name: str = Field(..., max_length=60)
    slug: str = Field("", max_length=30)
    position: int | None = Field(None, ge=0, le=1000)


class FactorCategoryPatch(Schema):
    name: str | None = Field(None, max_length=60)
    position: int | None = Field(None, ge=0, le=1000)
    is_active: bool | None = None


class FactorCategoryOut(Schema):
    id: int
    slug: str
    name: str
    position: int
    is_active: bool
