"""API: a ticket's SLA/OLA clocks (staff), policies and business calendars (read: staff; write:
managers and admins)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja import Router, Status

from backline.accounts.models import Team
from backline.cmdb.models import Service
from backline.core.errors import DomainError
from backline.sla import queries, services
from backline.sla.models import BusinessCalendar
from backline.sla.schemas import (
    CalendarIn,
    CalendarOut,
    CalendarPatch,
    ClockOut,
    PolicyPatch,
    SlaPolicyIn,
    SlaPolicyOut,
)
from backline.tickets import queries as ticket_queries
from backline.tickets.api import ERRORS
from backline.tickets.models import Category
from backline.tickets.permissions import require_staff

router = Router(tags=["sla"])

_REFS: dict[str, Any] = {
    "categories": Category.objects.all(),
    "services": Service.objects.all(),
    "requester_teams": Team.objects.all(),
}


@router.get("/tickets/{number}/clocks", response={200: list[ClockOut], **ERRORS})
def ticket_clocks(request: HttpRequest, number: str):
    """The ticket's SLA and OLA clocks, with business time left and used, and their pauses."""
    require_staff(request.user, "read SLA clocks")
    ticket = ticket_queries.ticket_get(request.user, number)
    now = timezone.now()
    return [
        {
            **{f: getattr(c, f) for f in ClockOut.model_fields if hasattr(c, f)},
            "policy": c.policy,
            "minutes_left": services.describe(c)["minutes_left"],
            "elapsed_minutes": queries.elapsed_now(c, now),
            "pauses": list(c.pauses.all()),
        }
        for c in queries.ticket_clocks(ticket)
    ]


def _policy_changes(payload: PolicyPatch) -> dict[str, Any]:
    changes = payload.dict(exclude_unset=True)
    for name, value in list(changes.items()):
        if value is None and name != "ola_targets":
            raise DomainError(f"{name} cannot be null.", field=name)
    for name, qs in _REFS.items():
        if name in changes:
            ids = set(changes[name])
            found = list(qs.filter(pk__in=ids))
            if len(found) != len(ids):
                missing = sorted(ids - {o.pk for o in found})[0]
                raise DomainError(f"No {name.rstrip('s')} with id {missing}.", field=name)
            changes[name] = found
    if "calendar" in changes:
        calendar = BusinessCalendar.objects.filter(pk=changes["calendar"]).first()
        if calendar is None:
            raise DomainError(f"No calendar with id {changes['calendar']}.", field="calendar")
        changes["calendar"] = calendar
    return changes


@router.get("/sla/policies", response={200: list[SlaPolicyOut], **ERRORS})
def policy_list(request: HttpRequest):
    """Every policy in the order they are tried."""
    require_staff(request.user, "read SLA policies")
    return list(queries.policies_all())


@router.post("/sla/policies", response={201: SlaPolicyOut, **ERRORS})
def policy_create(request: HttpRequest, payload: SlaPolicyIn):
    """Add a policy (managers and admins), tried after the existing ones."""
    services.require_sla_manager(request.user)
    policy = services.sla_policy_save(actor=request.user, changes=_policy_changes(payload))
    return Status(201, queries.policy_get(policy.pk))


@router.get("/sla/policies/{policy_id}", response={200: SlaPolicyOut, **ERRORS})
def policy_detail(request: HttpRequest, policy_id: int):
    require_staff(request.user, "read SLA policies")
    return queries.policy_get(policy_id)


@router.patch("/sla/policies/{policy_id}", response={200: SlaPolicyOut, **ERRORS})
def policy_patch(request: HttpRequest, policy_id: int, payload: PolicyPatch):
    """Change any field (managers, admins); running clocks keep their targets until re-planned."""
    services.require_sla_manager(request.user)
    policy = queries.policy_get(policy_id)
    services.sla_policy_save(actor=request.user, policy=policy, changes=_policy_changes(payload))
    return queries.policy_get(policy_id)


def _calendar_changes(payload: CalendarPatch) -> dict[str, Any]:
    changes = payload.dict(exclude_unset=True)
    for name, value in changes.items():
        if value is None:
            raise DomainError(f"{name} cannot be null.", field=name)
    return changes


@router.get("/sla/calendars", response={200: list[CalendarOut], **ERRORS})
def calendar_list(request: HttpRequest):
    require_staff(request.user, "read business calendars")
    return list(queries.calendars_all())


@router.post("/sla/calendars", response={201: CalendarOut, **ERRORS})
def calendar_create(request: HttpRequest, payload: CalendarIn):
    """Add a calendar (managers and admins)."""
    services.require_sla_manager(request.user)
    record = services.business_calendar_save(actor=request.user, changes=_calendar_changes(payload))
    return Status(201, record)


@router.get("/sla/calendars/{calendar_id}", response={200: CalendarOut, **ERRORS})
def calendar_detail(request: HttpRequest, calendar_id: int):
    require_staff(request.user, "read business calendars")
    return queries.calendar_get(calendar_id)


@router.patch("/sla/calendars/{calendar_id}", response={200: CalendarOut, **ERRORS})
def calendar_patch(request: HttpRequest, calendar_id: int, payload: CalendarPatch):
    """Change any field (managers and admins)."""
    services.require_sla_manager(request.user)
    record = queries.calendar_get(calendar_id)
    return services.business_calendar_save(
        actor=request.user, calendar=record, changes=_calendar_changes(payload)
    )
