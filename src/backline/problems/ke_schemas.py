"""API shapes for known errors, problem proposals and recurrence signals."""

from __future__ import annotations

from datetime import datetime

from ninja import Field, Schema

from backline.core.api import Id
from backline.tickets.rules import format_number
from backline.tickets.schemas import Ref


class KnownErrorIn(Schema):
    problem: str | None = Field(None, description="PRB-3: start from this problem")
    title: str = Field("", max_length=200)
    symptoms: str = Field("", max_length=20000)
    workaround: str = Field("", max_length=20000)
    services: list[Id] | None = None
    cis: list[Id] | None = None


class KnownErrorPatch(Schema):
    version: int
    title: str | None = Field(None, max_length=200)
    symptoms: str | None = Field(None, max_length=20000)
    workaround: str | None = Field(None, max_length=20000)
    services: list[Id] | None = None
    cis: list[Id] | None = None


class KnownErrorAction(Schema):
    version: int | None = None


class KnownErrorOut(Schema):
    id: int
    number: str
    title: str
    symptoms: str
    workaround: str
    state: str
    problem: str | None
    services: list[Ref]
    cis: list[Ref]
    version: int
    created_at: datetime
    updated_at: datetime
    published_at: datetime | None
    url: str

    @staticmethod
    def resolve_problem(obj) -> str | None:
        return f"PRB-{obj.problem_id}" if obj.problem_id else None

    @staticmethod
    def resolve_services(obj) -> list:
        return list(obj.services.all())

    @staticmethod
    def resolve_cis(obj) -> list:
        return list(obj.cis.all())

    @staticmethod
    def resolve_url(obj) -> str:
        return f"/known-errors/{obj.pk}"


class KnownErrorPage(Schema):
    items: list[KnownErrorOut]
    count: int
    page: int
    page_size: int
    pages: int


class ProposalOut(Schema):
    id: int
    title: str
    state: str
    score: float
    reasons: list[str]
    tickets: list[str]
    problem: str | None
    created_at: datetime
    decided_at: datetime | None

    @staticmethod
    def resolve_tickets(obj) -> list[str]:
        return [format_number(t.pk) for t in obj.tickets.all()]

    @staticmethod
    def resolve_problem(obj) -> str | None:
        return f"PRB-{obj.problem_id}" if obj.problem_id else None


class ProposalAcceptIn(Schema):
    title: str = Field("", max_length=200)


class RunOut(Schema):
    proposed: list[ProposalOut]


class ResolvedRecurrenceOut(Schema):
    ci_id: int
    ci: str
    tickets: list[str]
    words: list[str]


class RecurrenceOut(Schema):
    problem: str
    ticket: str | None
    at: datetime
    days_after_fix: int


class SignalsOut(Schema):
    recurred: list[RecurrenceOut]
    resolved_despite: list[ResolvedRecurrenceOut]
