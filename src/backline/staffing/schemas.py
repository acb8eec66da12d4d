"""API shapes of the staffing app."""

from __future__ import annotations

from datetime import date, datetime

from ninja import Field, Schema


class HourOut(Schema):
    index: int = Field(..., description="Hour of the week, 0 = Monday 00:00 local time")
    label: str
    rate: float = Field(..., description="Arrivals per hour (with the volume what-if)")
    aht_minutes: float | None
    load: float | None = Field(None, description="Offered load in Erlangs")
    required: int | None = Field(None, description="Engineers Erlang C requires for the target")
    scheduled: float
    gap: float | None = Field(None, description="Scheduled − required; negative means short")
    predicted_sl: float | None = Field(None, description="Service level with the scheduled heads")


class HandleOut(Schema):
    minutes: float | None
    tickets: int
    source: str = Field(..., description='"window", "all history" or "none"')


class ForecastOut(Schema):
    team: str
    target_share: float
    target_minutes: float
    weeks: int
    volume_pct: float
    handle_pct: float
    window_start: datetime
    window_end: datetime
    handle_time: HandleOut
    aht_minutes: float | None
    totals: dict
    hours: list[HourOut]


class ScheduleRowIn(Schema):
    user: str = Field(..., description="Username of a team member")
    week: dict[str, list[list[str]]] = Field(..., description='{"mon": [["08:00", "17:00"]]}')
    valid_from: date | None = None
    version: int | None = Field(None, description="Version read; a newer one gives 409")


class ScheduleIn(Schema):
    members: list[ScheduleRowIn]


class ScheduleRowOut(Schema):
    user: str
    name: str
    is_lead: bool
    week: dict[str, list[list[str]]]
    valid_from: date | None
    version: int
    hours_per_week: float


class ScheduleOut(Schema):
    team: str
    members: list[ScheduleRowOut]
