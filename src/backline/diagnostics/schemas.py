from __future__ import annotations

from datetime import datetime

from ninja import Field, Schema


class LogOut(Schema):
    id: int
    name: str
    source: str
    size: int
    compressed: bool
    status: str
    progress: int
    lines: int
    format: str = Field(alias="format_name")
    format_label: str
    pattern: str
    tz: str
    first_at: datetime | None
    last_at: datetime | None
    seconds: float | None
    error: str
    created_at: datetime


class ShareIn(Schema):
    path: str = Field(..., min_length=1, max_length=500)
    pattern: str = Field("", max_length=500)
    tz: str = Field("", max_length=64)


class ReprocessIn(Schema):
    pattern: str | None = Field(None, max_length=500)
    tz: str = Field("", max_length=64)


class TemplateOut(Schema):
    template: int
    text: str
    signature: str
    count: int
    level: str
    component: str
    first_line: int
    first_at: datetime | None
    last_at: datetime | None
    levels: dict[str, int]
    spark: list[int]


class ShiftOut(Schema):
    template: int
    text: str
    level: str
    new: bool
    gone: bool
    count_a: int
    count_b: int
    rate_a: float
    rate_b: float
    ratio: float | None
    score: float
    first_at: datetime | None = None  # when the template first appears in the (first) log


class AroundOut(Schema):
    start: datetime
    before: int
    after: int
    window_minutes: int
    baseline_minutes: int
    rising: list[ShiftOut]
    falling: list[ShiftOut]


class CompareOut(Schema):
    log: int
    other: int
    per: str
    shifts: list[ShiftOut]


class LineOut(Schema):
    line: int  # counted from 1, as editors do
    text: str


class LinesOut(Schema):
    lines: list[LineOut]
    next: int | None  # the next page: `after` for templates and search, `start` for lines


class MemoryOut(Schema):
    template: int
    text: str
    ticket: str
    ticket_title: str
    resolved_at: datetime | None
    resolution_notes: str
    known_errors: list[str]


class EvidenceIn(Schema):
    template: int | None = None
    line_from: int | None = Field(None, ge=1)
    line_to: int | None = Field(None, ge=1)
    note: str = Field("", max_length=500)


class EvidenceOut(Schema):
    id: int
    log: int | None = Field(alias="log_id")
    template: int | None
    line_from: int | None
    line_to: int | None
    happened_at: datetime | None
    title: str
    excerpt: str
    note: str
    pinned_by: str
    pinned_at: datetime

    @staticmethod
    def resolve_template(obj) -> int | None:
        return obj.template.number if obj.template_id else None

    @staticmethod
    def resolve_pinned_by(obj) -> str:
        return obj.pinned_by.username
