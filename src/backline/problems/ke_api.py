"""API: known errors and problem proposals from recurring incidents, and the recurrence
signals (matching incidents after a fix; the same CI and symptom resolved more than once)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router, Status

from backline.cmdb.models import ConfigurationItem, Service
from backline.core.api import ErrorOut
from backline.core.errors import DomainError, PermissionDenied
from backline.problems import known_errors as ke_services
from backline.problems import recurrence, verification
from backline.problems.choices import KnownErrorState, ProposalState
from backline.problems.ke_schemas import (
    KnownErrorAction,
    KnownErrorIn,
    KnownErrorOut,
    KnownErrorPage,
    KnownErrorPatch,
    ProposalAcceptIn,
    ProposalOut,
    RunOut,
    SignalsOut,
)
from backline.problems.ke_views import _problem
from backline.tickets.permissions import require_staff
from backline.tickets.queries import paginate
from backline.tickets.rules import format_number

router = Router(tags=["known errors"])

ERRORS: dict[int, Any] = dict.fromkeys((400, 401, 403, 404, 409, 422, 429), ErrorOut)


def _objects(data: dict[str, Any]) -> dict[str, Any]:
    """Ids of services and CIs → objects, naming the field of an id that does not exist."""
    out = dict(data)
    for name, model in (("services", Service), ("cis", ConfigurationItem)):
        ids = out.get(name)
        if ids is None:
            continue
        found = list(model.objects.filter(pk__in=ids))
        missing = set(ids) - {o.pk for o in found}
        if missing:
            raise DomainError(f"No {name} entry with id {min(missing)}.", field=name)
        out[name] = found
    return out


@router.get("/known-errors", response={200: KnownErrorPage, **ERRORS})
def known_error_list(
    request: HttpRequest,
    q: str = "",
    state: KnownErrorState | None = None,
    page: int = 1,
    page_size: int = 50,
):
    """Known errors the caller may see (published ones; editors every state), newest first."""
    if page < 1 or not 1 <= page_size <= 200:
        raise DomainError("page must be >= 1 and page_size 1–200.", field="page_size")
    qs = ke_services.known_error_list(request.user, q=q[:200], state=state or "")
    result = paginate(qs.prefetch_related("services", "cis"), page, page_size)
    return {
        "items": list(result.object_list),
        "count": result.paginator.count,
        "page": result.number,
        "page_size": page_size,
        "pages": result.paginator.num_pages,
    }


@router.post("/known-errors", response={201: KnownErrorOut, **ERRORS})
def known_error_create(request: HttpRequest, payload: KnownErrorIn):
    """A draft known error; with `problem` its empty fields come from that problem."""
    data = _objects(payload.dict())
    ref = data.pop("problem")
    problem = _problem(request.user, ref) if ref else None
    ke = ke_services.known_error_create(actor=request.user, problem=problem, **data)
    return Status(201, ke)


@router.get("/known-errors/{ref}", response={200: KnownErrorOut, **ERRORS})
def known_error_get(request: HttpRequest, ref: str):
    return ke_services.known_error_get(request.user, ref)


@router.patch("/known-errors/{ref}", response={200: KnownErrorOut, **ERRORS})
def known_error_update(request: HttpRequest, ref: str, payload: KnownErrorPatch):
    """Edit; send the `version` you read (a stale one gets 409)."""
    ke = ke_services.known_error_get(request.user, ref)
    data = _objects(payload.dict(exclude_unset=True))
    version = data.pop("version")
    return ke_services.known_error_update(
        actor=request.user, known_error=ke, version=version, **data
    )


def _transition(request: HttpRequest, ref: str, action: str, payload: KnownErrorAction):
    ke = ke_services.known_error_get(request.user, ref)
    return ke_services.known_error_transition(
        actor=request.user, known_error=ke, action=action, version=payload.version
    )


@router.post("/known-errors/{ref}/publish", response={200: KnownErrorOut, **ERRORS})
def known_error_publish(request: HttpRequest, ref: str, payload: KnownErrorAction):
    """Publish: matching open incidents show the workaround."""
    return _transition(request, ref, "publish", payload)


@router.post("/known-errors/{ref}/retire", response={200: KnownErrorOut, **ERRORS})
def known_error_retire(request: HttpRequest, ref: str, payload: KnownErrorAction):
    return _transition(request, ref, "retire", payload)


@router.get("/problem-proposals", response={200: list[ProposalOut], **ERRORS})
def proposal_list(request: HttpRequest, state: ProposalState = ProposalState.OPEN):
    """Proposed problems in a state (default open), best first (at most 100)."""
    require_staff(request.user, "see problem proposals")
    return recurrence.proposals_list(request.user, state=state)


@router.post("/problem-proposals/run", response={200: RunOut, **ERRORS})
def proposals_run(request: HttpRequest):
    """Run the recurring-incident detection now (managers)."""
    if not request.user.is_manager:
        raise PermissionDenied("Only managers can run the detection by hand.")
    found = recurrence.proposals_detect()
    return {"proposed": [recurrence.proposal_get(request.user, p.pk) for p in found]}


@router.get("/problem-proposals/signals", response={200: SignalsOut, **ERRORS})
def recurrence_signals(request: HttpRequest, days: int = 30):
    """Matching incidents recorded after fixes, and the same CI and symptom resolved more than
    once in the last 30 days."""
    require_staff(request.user, "see recurrence signals")
    if not 1 <= days <= 365:
        raise DomainError("days must be 1–365.", field="days")
    return {
        "recurred": verification.recurrence_signals(days=days),
        "resolved_despite": [
            {**g.__dict__, "tickets": [format_number(pk) for pk in g.tickets]}
            for g in recurrence.resolved_recurrences()
        ],
    }


@router.get("/problem-proposals/{proposal_id}", response={200: ProposalOut, **ERRORS})
def proposal_get(request: HttpRequest, proposal_id: int):
    return recurrence.proposal_get(request.user, proposal_id)


@router.post("/problem-proposals/{proposal_id}/accept", response={200: ProposalOut, **ERRORS})
def proposal_accept(request: HttpRequest, proposal_id: int, payload: ProposalAcceptIn):
    """Open a problem with the proposal's incidents linked."""
    p = recurrence.proposal_accept(actor=request.user, proposal_id=proposal_id, **payload.dict())
    return recurrence.proposal_get(request.user, p.pk)


@router.post("/problem-proposals/{proposal_id}/dismiss", response={200: ProposalOut, **ERRORS})
def proposal_dismiss(request: HttpRequest, proposal_id: int):
    """Dismiss; the same incidents are not proposed together again."""
    p = recurrence.proposal_dismiss(actor=request.user, proposal_id=proposal_id)
    return recurrence.proposal_get(request.user, p.pk)
