from __future__ import annotations

from datetime import datetime

from ninja import Field, Schema
from pydantic import field_validator

from backline.accounts.schemas import UserRef
from backline.changes.choices import CauseKind, ChangeKind, ChangeSource, ChangeState, Risk
from backline.core.api import Id
from backline.tickets.schemas import Ref

# A CI by id (42) or by its unique name ("crm-db-01"), so pipelines need not look ids up.
CiRef = Id | str


class ChangeCiOut(Schema):
    id: int
    name: str
    ci_type: str


class ChangeListItem(Schema):
    id: int
    number: str
    title: str
    kind: str
    state: str
    risk: str
    source: str
    external_ref: str
    implementer_team: Ref | None
    requested_by: UserRef
    approved_by: UserRef | None
    approved_at: datetime | None
    planned_start: datetime | None
    planned_end: datetime | None
    actual_start: datetime | None
    actual_end: datetime | None
    version: int
    created_at: datetime
    updated_at: datetime
    url: str

    @staticmethod
    def resolve_url(obj) -> str:
        return obj.get_absolute_url()


class ChangeOut(ChangeListItem):
    description: str
    backout_plan: str
    cis: list[ChangeCiOut]
    incidents: list[dict]

    @staticmethod
    def resolve_cis(obj) -> list:
        return list(obj.cis.order_by("name"))

    @staticmethod
    def resolve_incidents(obj, context) -> list[dict]:
        # Only the incidents the caller may see; without a request (a stored idempotent reply
        # of a create) there are none yet.
        from backline.changes.queries import change_incidents

        user = getattr((context or {}).get("request"), "user", None)
        if user is None:
            return []
        return [
            {"ticket": f"INC-{link.ticket_id:06d}", "kind": link.kind, "at": link.at.isoformat()}
            for link in change_incidents(obj, user)
        ]


class ChangePage(Schema):
    items: list[ChangeListItem]
    count: int
    page: int
    page_size: int
    pages: int


class ChangeIn(Schema):
    title: str = Field(..., max_length=200)
    description: str = Field("", max_length=20_000)
    kind: ChangeKind = ChangeKind.NORMAL
    risk: Risk = Risk.MEDIUM
    state: ChangeState = Field(
        ChangeState.PLANNED,
        description="planned, or for standard/emergency work already done: in_progress, done, "
        "failed, rolled_back (with actual_start)",
    )
    cis: list[CiRef] = Field(default_factory=list, max_length=200, description="ids or names")
    implementer_team: Id | None = None
    planned_start: datetime | None = None
    planned_end: datetime | None = None
    actual_start: datetime | None = None
    actual_end: datetime | None = None
    backout_plan: str = Field("", max_length=20_000)
    source: ChangeSource = ChangeSource.API
    external_ref: str = Field("", max_length=200)

    @field_validator("title")
    @classmethod
    def _title(cls, value: str) -> str:
        value = value.strip()
        if not value:
            raise ValueError("title must not be blank")
        return value


class ChangePatch(Schema):
    version: int = Field(..., ge=1)
    title: str | None = Field(None, max_length=200)
    description: str | None = Field(None, max_length=20_000)
    kind: ChangeKind | None = None
    risk: Risk | None = None
    cis: list[CiRef] | None = Field(None, max_length=200)
    implementer_team: Id | None = None
    planned_start: datetime | None = None
    planned_end: datetime | None = None
    actual_start: datetime | None = None
    actual_end: datetime | None = None
    backout_plan: str | None = Field(None, max_length=20_000)
    external_ref: str | None = Field(None, max_length=200)


class ChangeTransitionIn(Schema):
    action: str = Field(
        ..., max_length=20, description="approve, start, complete, fail, roll_back, cancel"
    )
    note: str = Field("", max_length=2000)
    version: int | None = Field(None, ge=1)


class CauseLinkIn(Schema):
    change: str = Field(..., max_length=30, description="CHG-42 or 42")
    kind: CauseKind = CauseKind.SUSPECTED


class CauseLinkOut(Schema):
    ticket: str
    change: str
    kind: str
    by: UserRef
    at: datetime


class CandidateOut(Schema):
    change: ChangeListItem
    score: float
    hours_before: float
    distance: int
    via: ChangeCiOut
    reasons: list[str]
    link_kind: str | None


class WhatChangedOut(Schema):
    ticket: str
    incident_start: datetime
    hours: int
    candidates: list[CandidateOut]


class ChangeMetricsOut(Schema):
    start: datetime
    end: datetime
    tickets: int
    change_induced: int
    with_cause_link: int
    causing_changes: int
    rate: float | None
