"""API of the worklog: time on a ticket (read, log), remove an entry, the filtered report."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Status

from backline.accounts.models import User
from backline.core.api import ErrorOut, Id
from backline.core.errors import DomainError
from backline.tickets.queries import paginate, ticket_get
from backline.worklog import queries, rules, services
from backline.worklog.schemas import (
    TicketTimeOut,
    TimeEntryIn,
    TimeEntryOut,
    TimePage,
    TimeReportFilter,
)

router = Router(tags=["worklog"])

ERRORS: dict[int, Any] = dict.fromkeys((400, 401, 403, 404, 409, 422, 429), ErrorOut)


def _ticket_time(user: User, number: str) -> dict[str, Any]:
    ticket = ticket_get(user, number)
    data = queries.ticket_time(user, ticket)
    return {
        "ticket": ticket.number,
        "total_minutes": data.total,
        "entries_count": data.count,
        "per_user": [
            {
                "user": {"id": r["user_id"], "username": r["username"], "name": r["name"]},
                "minutes": r["minutes"],
                "entries": r["entries"],
            }
            for r in data.per_user
        ],
        "per_tier": [{"tier": r["tier"], "minutes": r["minutes"]} for r in data.per_tier],
        "entries": data.entries,
    }


@router.get("/tickets/{number}/time", response={200: TicketTimeOut, **ERRORS})
def ticket_time(request: HttpRequest, number: str):
    """Time logged on a ticket: total, per person, per tier, and every entry (newest first)."""
    return _ticket_time(request.user, number)


def _minutes(payload: TimeEntryIn) -> int:
    if payload.minutes is not None and payload.duration is not None:
        raise DomainError("Give minutes or duration, not both.", field="duration")
    if payload.minutes is not None:
        return rules.check_minutes(payload.minutes)
    if payload.duration is not None:
        return rules.parse_duration(payload.duration)
    raise DomainError("Give minutes (an integer) or duration (text).", field="minutes")


@router.post("/tickets/{number}/time", response={201: TimeEntryOut, **ERRORS})
def ticket_time_log(request: HttpRequest, number: str, payload: TimeEntryIn):
    """Log time: `minutes` or `duration` ("1h 30m"); leads and managers may set `user`."""
    ticket = ticket_get(request.user, number)
    minutes = _minutes(payload)
    user = None
    if payload.user is not None:
        user = User.objects.filter(pk=payload.user).first()
        if user is None:
            raise DomainError(f"No user {payload.user}.", field="user")
    entry = services.time_entry_log(
        actor=request.user,
        ticket=ticket,
        minutes=minutes,
        note=payload.note,
        spent_at=payload.spent_at,
        user=user,
    )
    return Status(201, entry)


@router.delete("/time/{entry_id}", response={204: None, **ERRORS})
def time_entry_delete(request: HttpRequest, entry_id: Id):
    """Remove a time entry: your own, or any as a manager."""
    entry = queries.entry_get(request.user, entry_id)
    services.time_entry_delete(actor=request.user, entry=entry)
    return Status(204, None)


@router.get("/time", response={200: TimePage, **ERRORS})
def time_report(
    request: HttpRequest, flt: Query[TimeReportFilter], page: int = 1, page_size: int = 50
):
    """Entries by user, team, tier and days (`from`, `to`, inclusive) with totals; agents see
    their own, managers everyone's."""
    if page < 1 or not 1 <= page_size <= 200:
        raise DomainError("page must be >= 1 and page_size 1–200.", field="page_size")
    report = queries.ReportFilter(
        user=flt.user, team=flt.team, tier=flt.tier, date_from=flt.date_from, date_to=flt.date_to
    )
    qs = queries.report_entries(request.user, report)
    result = paginate(qs, page, page_size)
    return {
        "items": list(result.object_list),
        "count": result.paginator.count,
        "page": result.number,
        "page_size": page_size,
        "pages": result.paginator.num_pages,
        "totals": queries.report_totals(qs),
    }
