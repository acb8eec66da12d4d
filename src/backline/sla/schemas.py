"""API shapes for SLA clocks, policies and business calendars."""

from __future__ import annotations

from datetime import datetime

from ninja import Field, Schema

from backline.sla.choices import ClockState, SlaAction, Target
from backline.tickets.schemas import Ref


class PauseOut(Schema):
    reason: str
    paused_at: datetime
    resumed_at: datetime | None


class ClockOut(Schema):
    id: int
    target: Target
    tier: int = Field(..., description="The tier of an OLA clock; 0 for SLAs")
    policy: Ref
    state: ClockState
    target_minutes: int = Field(..., description="Business minutes")
    started_at: datetime
    due_at: datetime | None = Field(None, description="Null unless running")
    minutes_left: float | None = Field(
        None, description="Business minutes to the due time (negative: overdue); null when stopped"
    )
    elapsed_minutes: float = Field(..., description="Business minutes used so far")
    met: bool | None
    warned_at: datetime | None
    breached_at: datetime | None
    stopped_at: datetime | None
    pauses: list[PauseOut]


class OlaTargetOut(Schema):
    tier: int
    accept_minutes: int | None
    resolve_minutes: int | None


class OlaTargetIn(Schema):
    accept_minutes: int | None = None
    resolve_minutes: int | None = None


class SlaPolicyOut(Schema):
    id: int
    name: str
    position: int = Field(..., description="Policies are tried in ascending position")
    is_active: bool
    priorities: list[int]
    categories: list[Ref]
    services: list[Ref]
    sources: list[str]
    requester_teams: list[Ref]
    calendar: Ref
    first_response_minutes: int
    resolution_minutes: int
    pause_reasons: list[str]
    warn_share: float
    warning_actions: list[SlaAction]
    breach_actions: list[SlaAction]
    ola_targets: list[OlaTargetOut]
    updated_at: datetime

    @staticmethod
    def resolve_categories(obj) -> list:
        return list(obj.categories.all())

    @staticmethod
    def resolve_services(obj) -> list:
        return list(obj.services.all())

    @staticmethod
    def resolve_requester_teams(obj) -> list:
        return list(obj.requester_teams.all())

    @staticmethod
    def resolve_ola_targets(obj) -> list:
        return list(obj.ola_targets.all())


_OLA_DOC = 'Per tier (2, 3): {"2": {"accept_minutes": 30, "resolve_minutes": 480}}; nulls remove'


class PolicyPatch(Schema):
    name: str | None = Field(None, max_length=120)
    position: int | None = Field(None, ge=0)
    is_active: bool | None = None
    priorities: list[int] | None = Field(None, description="1–4; empty = any")
    categories: list[int] | None = Field(None, description="Category ids; empty = any")
    services: list[int] | None = Field(None, description="Service ids; empty = any")
    sources: list[str] | None = Field(None, description="Ticket sources; empty = any")
    requester_teams: list[int] | None = Field(None, description="Team ids; empty = anyone")
    calendar: int | None = Field(None, description="Business calendar id")
    first_response_minutes: int | None = None
    resolution_minutes: int | None = None
    pause_reasons: list[str] | None = Field(None, description="Pending reasons that pause")
    warn_share: float | None = Field(None, description="Between 0 and 1, e.g. 0.75")
    warning_actions: list[str] | None = None
    breach_actions: list[str] | None = None
    ola_targets: dict[int, OlaTargetIn] | None = Field(None, description=_OLA_DOC)


class SlaPolicyIn(PolicyPatch):
    name: str = Field(..., max_length=120)  # type: ignore[assignment]
    calendar: int = Field(..., description="Business calendar id")  # type: ignore[assignment]
    first_response_minutes: int  # type: ignore[assignment]
    resolution_minutes: int  # type: ignore[assignment]


class CalendarOut(Schema):
    id: int
    name: str
    timezone: str
    week: dict[str, list[list[str]]] = Field(..., description='{"mon": [["08:00", "17:00"]]}')
    country: str
    subdivision: str
    closed_dates: list[str]
    extra_working_days: dict[str, list[list[str]]]
    updated_at: datetime


class CalendarPatch(Schema):
    name: str | None = Field(None, max_length=100)
    timezone: str | None = Field(None, description="IANA zone, e.g. Europe/Berlin")
    week: dict[str, list[list[str]]] | None = Field(
        None, description='Weekday hours, {"mon": [["08:00", "12:00"], ["13:00", "17:00"]]}'
    )
    country: str | None = Field(None, description="Public holidays, e.g. DE; empty for none")
    subdivision: str | None = Field(None, description="e.g. BY")
    closed_dates: list[str] | None = Field(None, description="ISO dates")
    extra_working_days: dict[str, list[list[str]]] | None = Field(
        None, description='{"2026-12-19": [["09:00", "13:00"]]}'
    )


class CalendarIn(CalendarPatch):
    name: str = Field(..., max_length=100)  # type: ignore[assignment]
