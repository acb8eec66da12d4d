"""API: changes (created by hand, by a CI/CD pipeline or a configuration tool, idempotently),
their state transitions, "what changed?" before an incident, cause links and the metric."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Status

from backline.accounts.models import Team
from backline.changes import queries, rules, services
from backline.changes.filters import ChangeFilter
from backline.changes.schemas import (
    CauseLinkIn,
    CauseLinkOut,
    ChangeIn,
    ChangeMetricsOut,
    ChangeOut,
    ChangePage,
    ChangePatch,
    ChangeTransitionIn,
    WhatChangedOut,
)
from backline.cmdb.models import ConfigurationItem
from backline.core.api import ErrorOut, resolve_refs
from backline.core.errors import DomainError
from backline.core.idempotency import idempotent_response
from backline.core.time import local_day_range
from backline.tickets.permissions import require_staff
from backline.tickets.queries import paginate, ticket_get

router = Router(tags=["changes"])

ERRORS: dict[int, Any] = dict.fromkeys((400, 401, 403, 404, 409, 422, 429), ErrorOut)


def _cis(refs: list[int | str]) -> list[ConfigurationItem]:
    """CIs named by id or by name; the first unknown one is a field error."""
    ids = {r for r in refs if isinstance(r, int)}
    names = {r.strip() for r in refs if isinstance(r, str)}
    found = list(ConfigurationItem.objects.filter(pk__in=ids)) + list(
        ConfigurationItem.objects.filter(name__in=names)
    )
    known = {ci.pk for ci in found} | {ci.name for ci in found}
    for ref in refs:
        key = ref.strip() if isinstance(ref, str) else ref
        if key not in known:
            raise DomainError(f"No CI {ref!r}.", field="cis")
    return list({ci.pk: ci for ci in found}.values())


def _resolve(data: dict[str, Any]) -> dict[str, Any]:
    out = resolve_refs(data, {"implementer_team": Team.objects.all()})
    if out.get("cis") is not None:
        out["cis"] = _cis(out["cis"])
    return out


def _json(change: Any) -> dict:
    return ChangeOut.from_orm(change).model_dump(mode="json")


@router.get("", response={200: ChangePage, **ERRORS})
def change_list(request: HttpRequest, flt: Query[ChangeFilter], page: int = 1, page_size: int = 50):
    """Changes matching the filter, latest start first."""
    if page < 1 or not 1 <= page_size <= 200:
        raise DomainError("page must be >= 1 and page_size 1–200.", field="page_size")
    result = paginate(queries.change_list(request.user, flt), page, page_size)
    return {
        "items": list(result.object_list),
        "count": result.paginator.count,
        "page": result.number,
        "page_size": page_size,
        "pages": result.paginator.num_pages,
    }


@router.post("", response={201: ChangeOut, 200: ChangeOut, **ERRORS})
def change_create(request: HttpRequest, payload: ChangeIn):
    """Record a change. Pipelines send an `Idempotency-Key` so a retried job records it once;
    CIs may be named by id or by name."""
    data = payload.dict()

    def create() -> tuple[int, dict]:
        change = services.change_create(actor=request.user, **_resolve(data))
        return 201, _json(change)

    return idempotent_response(
        user=request.user,
        scope="change_create",
        key=request.headers.get("Idempotency-Key"),
        payload=data,
        create=create,
    )


@router.get("/metrics", response={200: ChangeMetricsOut, **ERRORS})
def metrics(request: HttpRequest, start: date | None = None, end: date | None = None):
    """Change-induced incident rate: tickets created in the period with a confirmed cause
    change, over all tickets created in it (default: the last 30 days)."""
    require_staff(request.user, "see change metrics")
    since, until = local_day_range(start, end, default_days=30)
    return queries.change_induced_rate(since, until)


@router.get("/tickets/{number}/what-changed", response={200: WhatChangedOut, **ERRORS})
def what_changed(request: HttpRequest, number: str, hours: int = 72):
    """Changes before the incident on its CI, what the CI relies on and its service, ranked."""
    ticket = ticket_get(request.user, number)
    require_staff(request.user, "see what changed")
    hours = rules.parse_hours(hours)
    return {
        "ticket": ticket.number,
        "incident_start": ticket.created_at,
        "hours": hours,
        "candidates": queries.what_changed(ticket, hours=hours),
    }


def _link_out(link: Any) -> dict:
    return {
        "ticket": link.ticket.number,
        "change": link.change.number,
        "kind": link.kind,
        "by": link.by,
        "at": link.at,
    }


@router.get("/tickets/{number}/causes", response={200: list[CauseLinkOut], **ERRORS})
def ticket_causes(request: HttpRequest, number: str):
    ticket = ticket_get(request.user, number)
    require_staff(request.user, "see change links")
    return [_link_out(link) for link in queries.ticket_change_links(ticket)]


@router.post("/tickets/{number}/causes", response={200: CauseLinkOut, **ERRORS})
def ticket_link(request: HttpRequest, number: str, payload: CauseLinkIn):
    """Link a change as the suspected or confirmed cause (again with the other kind replaces it)."""
    ticket = ticket_get(request.user, number)
    change = queries.change_get(request.user, payload.change)
    link = services.ticket_change_link(
        actor=request.user, ticket=ticket, change=change, kind=payload.kind
    )
    return _link_out(link)


@router.delete("/tickets/{number}/causes/{change}", response={204: None, **ERRORS})
def ticket_unlink(request: HttpRequest, number: str, change: str):
    ticket = ticket_get(request.user, number)
    found = queries.change_get(request.user, change)
    services.ticket_change_unlink(actor=request.user, ticket=ticket, change=found)
    return Status(204, None)


@router.get("/{number}", response={200: ChangeOut, **ERRORS})
def change_get(request: HttpRequest, number: str):
    return queries.change_get(request.user, number)


@router.patch("/{number}", response={200: ChangeOut, **ERRORS})
def change_update(request: HttpRequest, number: str, payload: ChangePatch):
    """Edit a change; send the `version` you read (a stale one gets 409)."""
    change = queries.change_get(request.user, number)
    data = payload.dict(exclude_unset=True)
    version = data.pop("version")
    for text in ("title", "description", "backout_plan", "external_ref"):
        if text in data and data[text] is None:
            raise DomainError(f"{text} must not be null.", field=text)
    return services.change_update(
        actor=request.user, change=change, version=version, **_resolve(data)
    )


@router.post("/{number}/transition", response={200: ChangeOut, **ERRORS})
def change_transition(request: HttpRequest, number: str, payload: ChangeTransitionIn):
    """approve (managers), start, complete, fail, roll_back, cancel."""
    change = queries.change_get(request.user, number)
    return services.change_transition(actor=request.user, change=change, **payload.dict())
