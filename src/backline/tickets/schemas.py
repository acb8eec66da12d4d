from __future__ import annotations

from datetime import datetime
from typing import Any

from ninja import Field, Schema
from pydantic import field_validator

from backline.accounts.schemas import UserRef
from backline.core.api import Id
from backline.tickets.choices import Source


class Ref(Schema):
    id: int
    name: str

    @staticmethod
    def resolve_name(obj) -> str:
        return str(obj)


class TeamRef(Schema):
    id: int
    name: str
    tier: int


class TicketListItem(Schema):
    number: str
    title: str
    status: str
    pending_reason: str
    priority: int
    impact: int
    urgency: int
    tier: int
    team: TeamRef | None
    assignee: UserRef | None
    requester: UserRef
    category: Ref | None
    service: Ref | None
    source: str
    created_at: datetime
    updated_at: datetime
    version: int
    sla_due_at: datetime | None = Field(
        None, description="Earliest due time of the running SLA clocks (first response, resolution)"
    )
    sla_state: str = Field(
        "", description="'' (no SLA), ok, warning, breached or paused; see /tickets/{number}/clocks"
    )

    # SLA standing is internal to the desk: requesters get it blank.
    @staticmethod
    def resolve_sla_due_at(obj, context) -> datetime | None:
        return obj.sla_due_at if _is_staff(context) else None

    @staticmethod
    def resolve_sla_state(obj, context) -> str:
        return obj.sla_state if _is_staff(context) else ""


def _is_staff(context) -> bool:
    request = (context or {}).get("request")
    user = getattr(request, "user", None)
    return bool(user is not None and getattr(user, "is_staff_member", False))


class TicketOut(TicketListItem):
    description: str
    ci: Ref | None
    first_response_at: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None
    resolution_code: str
    resolution_notes: str
    cause_code: str
    reopen_count: int
    external_system: str = Field("", description="The L1 tool this ticket came from, or ''")
    external_id: str = Field("", description="The record's id in that tool, or ''")
    url: str

    @staticmethod
    def resolve_url(obj) -> str:
        return obj.get_absolute_url()


class TicketPage(Schema):
    items: list[TicketListItem]
    count: int = Field(description="Matching tickets; when `count_exact` is false, at least this")
    count_exact: bool = Field(description="False when the list is longer than counting goes")
    page: int
    page_size: int
    pages: int | None = Field(description="Number of pages; null when the count is not exact")
    next: str | None = Field(
        None, description="Cursor for the next page (pass as `after`); null on the last page"
    )
    previous: str | None = Field(
        None, description="Cursor for the previous page (pass as `before`); null on the first"
    )


def _stripped_title(value: str) -> str:
    value = value.strip()
    if not value:
        raise ValueError("title must not be blank")
    return value


class TicketByRefIn(Schema):
    """A new ticket's fields; the L1 reference comes from the URL."""

    title: str = Field(..., max_length=200)
    description: str = Field("", max_length=100_000)
    requester: Id | None = Field(None, description="User id; defaults to the caller")
    category: Id | None = None
    impact: int = Field(2, ge=1, le=3, description="1 high, 2 medium, 3 low")
    urgency: int = Field(2, ge=1, le=3, description="1 high, 2 medium, 3 low")
    team: Id | None = None
    assignee: Id | None = None
    service: Id | None = None
    ci: Id | None = None
    source: Source = Source.API

    _title = field_validator("title")(_stripped_title)


class TicketIn(TicketByRefIn):
    external_system: str = Field(
        "", max_length=30, description="The L1 tool's slug (servicenow, zammad …); with external_id"
    )
    external_id: str = Field(
        "", max_length=100, description="The record's id in the L1 tool; unique per system"
    )


class TicketPatch(Schema):
    version: int = Field(..., description="The version you read; a stale one gets 409")
    title: str | None = Field(None, max_length=200)
    description: str | None = Field(None, max_length=100_000)
    category: Id | None = None
    impact: int | None = Field(None, ge=1, le=3)
    urgency: int | None = Field(None, ge=1, le=3)
    team: Id | None = None
    assignee: Id | None = None
    service: Id | None = None
    ci: Id | None = None

    @field_validator("title")
    @classmethod
    def _title(cls, value: str | None) -> str | None:
        if value is None:
            raise ValueError("cannot be null")
        return _stripped_title(value)

    @field_validator("description", "impact", "urgency")
    @classmethod
    def _not_null(cls, value: object) -> object:
        # Only runs when the field is sent; null would erase a value that must exist.
        if value is None:
            raise ValueError("cannot be null")
        return value


class TransitionIn(Schema):
    action: str = Field(..., description="start, pend, resume, resolve, reopen, close, cancel")
    version: int | None = Field(None, description="When given, a stale version gets 409")
    pending_reason: str = ""
    resolution_code: str = ""
    resolution_notes: str = Field("", max_length=100_000)
    cause_code: str = ""
    lower_tier_capable: bool = Field(
        False, description="On resolve: a lower tier could have solved it (counted in analytics)"
    )
    note: str = Field("", max_length=10_000)


class CommentIn(Schema):
    body: str = Field(..., max_length=100_000)
    internal: bool = Field(False, description="An internal note, hidden from the requester")


class CommentOut(Schema):
    id: int
    author: UserRef
    body: str
    internal: bool = Field(..., alias="is_internal")
    created_at: datetime


class EventOut(Schema):
    id: int
    kind: str
    actor: UserRef | None
    at: datetime
    internal: bool = Field(..., alias="is_internal")
    data: dict[str, Any]
    comment: CommentOut | None
    attachment_id: int | None


class AttachmentOut(Schema):
    id: int
    filename: str
    content_type: str
    size: int
    sha256: str
    internal: bool = Field(..., alias="is_internal")
    uploaded_by: UserRef
    created_at: datetime
    download_url: str

    @staticmethod
    def resolve_download_url(obj) -> str:
        return f"/api/v1/tickets/attachments/{obj.pk}"


class LinkIn(Schema):
    target: str = Field(..., description="The other ticket's number, e.g. INC-000042")
    kind: str = Field("related", description="related, duplicate_of, parent_of")


class LinkOut(Schema):
    id: int
    kind: str
    label: str
    ticket: str
