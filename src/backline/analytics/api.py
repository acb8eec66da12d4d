"""API: every dashboard number with the dashboard's filters, the tickets behind each number,
the tables the page exports, and the early-warning thresholds."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router

from backline.analytics import dashboard, queries, rules, services
from backline.analytics.filters import Filters, parse, require_scope
from backline.analytics.schemas import (
    FilterIn,
    MetricTicketPage,
    NumberOut,
    SummaryOut,
    TableOut,
    ThresholdOut,
    ThresholdsIn,
    TicketsIn,
)
from backline.core.api import ErrorOut
from backline.core.errors import NotFound
from backline.tickets.permissions import require_staff
from backline.tickets.queries import paginate

router = Router(tags=["analytics"])

ERRORS: dict[int, Any] = dict.fromkeys((400, 401, 403, 404, 409, 422, 429), ErrorOut)


def _filters(request: HttpRequest, data: dict[str, Any]) -> Filters:
    require_staff(request.user, "read the analytics")
    filters = require_scope(request.user, parse(data))
    services.facts_sync(limit=2000)
    return filters


def _period(filters: Filters) -> dict[str, Any]:
    return {
        "start": filters.start,
        "end": filters.end,
        "period": filters.period,
        "filters": filters.params(),
    }


@router.get("/summary", response={200: SummaryOut, **ERRORS})
def summary(request: HttpRequest, filters: Query[FilterIn]):
    """Every metric of DESIGN.md for the period, the previous period of the same length, each
    headline's change, and the early warnings that fire. Shares are fractions (0.25 = 25 %)."""
    f = _filters(request, filters.data())
    data = dashboard.build(f)
    return {
        "period": _period(f),
        "previous_period": _period(f.previous()),
        "metrics": data["summary"],
        "previous": data["previous"],
        "cards": data["cards"],
        "warnings": data["warnings"],
    }


@router.get("/tables/{name}", response={200: TableOut, **ERRORS})
def table(request: HttpRequest, name: str, filters: Query[FilterIn]):
    """One dashboard table: volume, mttr, sla, acceptance, backlog, bounces, recurring,
    csat_tier, csat_team."""
    f = _filters(request, filters.data())
    tables = dashboard.tables(f)
    if name not in tables:
        raise NotFound(f"No table {name!r}; there are {', '.join(tables)}.", field="name")
    t = tables[name]
    return {
        "period": _period(f),
        "name": name,
        "title": t["title"],
        "columns": t["columns"],
        "rows": t["rows"],
    }


@router.get("/numbers", response={200: list[NumberOut], **ERRORS})
def numbers(request: HttpRequest):
    """The numbers whose tickets can be listed, with the cohort each counts in."""
    require_staff(request.user, "read the analytics")
    return [{"key": k, "label": s.label, "cohort": s.cohort} for k, s in queries.SHOW.items()]


@router.get("/tickets", response={200: MetricTicketPage, **ERRORS})
def tickets(request: HttpRequest, filters: Query[TicketsIn]):
    """The tickets behind one number (`show`), newest first, 50 a page."""
    data = filters.data()
    key = data.pop("show", "")  # an empty `show` is dropped with the other blanks
    page_number = data.pop("page", 1)
    f = _filters(request, data)
    if key not in queries.SHOW:
        raise NotFound(f"No number {key!r}; see GET /analytics/numbers.", field="show")
    page = paginate(queries.show_tickets(f, key, request.user), page_number, 50)
    items = [
        {
            "number": fact.ticket.number,
            "title": fact.ticket.title,
            "priority": fact.priority,
            "status": fact.status,
            "team": fact.ticket.team.name if fact.ticket.team else None,
            "max_tier": fact.max_tier,
            "created_at": fact.created_at,
            "resolved_at": fact.resolved_at,
            "bounces": fact.bounces,
        }
        for fact in page
    ]
    return {
        "count": page.paginator.count,
        "page": page.number,
        "pages": page.paginator.num_pages,
        "items": items,
    }


def _thresholds() -> list[dict[str, Any]]:
    limits = dashboard.thresholds()
    return [
        {
            "key": r.key,
            "title": r.title,
            "help": r.help,
            "unit": r.unit,
            "default": r.default,
            "threshold": limits[r.key].threshold,
            "enabled": limits[r.key].enabled,
        }
        for r in rules.WARNING_RULES
    ]


@router.get("/warning-thresholds", response={200: list[ThresholdOut], **ERRORS})
def thresholds(request: HttpRequest):
    """The early-warning rules and their thresholds."""
    require_staff(request.user, "read the analytics")
    return _thresholds()


@router.put("/warning-thresholds", response={200: list[ThresholdOut], **ERRORS})
def thresholds_set(request: HttpRequest, payload: ThresholdsIn):
    """Set thresholds (managers): `{"thresholds": [{"key", "threshold", "enabled"}]}`; all are
    saved or, when one is refused, none."""
    values = {row.key: (row.threshold, row.enabled) for row in payload.thresholds}
    services.warning_thresholds_save(actor=request.user, values=values)
    return _thresholds()
