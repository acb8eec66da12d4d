"""API shapes of the analytics endpoints."""

from __future__ import annotations

from typing import Any

from ninja import Field, Schema


class FilterIn(Schema):
    """The dashboard's filters; dates are local days of the desk's time zone."""

    period: str | None = Field(None, description="7d, 30d, 90d, 182d, 365d or custom")
    start: str | None = Field(None, description="First day of a custom period, 2026-03-01")
    end: str | None = Field(None, description="Last day of a custom period (included)")
    team: str | None = Field(None, description="Team id: the ticket's current team")
    tier: str | None = Field(None, description="1–3: tickets that reached this tier")
    category: str | None = Field(None, description="Category id")
    service: str | None = Field(None, description="Service id")
    priority: str | None = Field(None, description="1–4")

    def data(self) -> dict[str, Any]:
        return {k: v for k, v in self.dict().items() if v not in (None, "")}


class TicketsIn(FilterIn):
    show: str = Field(..., description="Which number's tickets: see GET /analytics/numbers")
    page: int = Field(1, ge=1)


class PeriodOut(Schema):
    start: Any
    end: Any
    period: str
    filters: dict[str, Any]


class SummaryOut(Schema):
    period: PeriodOut
    previous_period: PeriodOut
    metrics: dict[str, Any]
    previous: dict[str, Any]
    cards: list[dict[str, Any]]
    warnings: list[dict[str, Any]]


class TableOut(Schema):
    period: PeriodOut
    name: str
    title: str
    columns: list[str]
    rows: list[dict[str, Any]]


class NumberOut(Schema):
    key: str
    label: str
    cohort: str


class MetricTicketOut(Schema):
    number: str
    title: str
    priority: int
    status: str
    team: str | None
    max_tier: int
    created_at: Any
    resolved_at: Any | None
    bounces: int


class MetricTicketPage(Schema):
    count: int
    page: int
    pages: int
    items: list[MetricTicketOut]


class ThresholdOut(Schema):
    key: str
    title: str
    help: str
    unit: str
    default: float
    threshold: float
    enabled: bool


class ThresholdIn(Schema):
    key: str
    threshold: float
    enabled: bool = True


class ThresholdsIn(Schema):
    thresholds: list[ThresholdIn]
