"""API: problems, their incidents, root cause analysis, actions and the post-incident report."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from ninja import Query, Router, Status

from backline.accounts.models import Team, User
from backline.changes import queries as change_queries
from backline.changes.models import Change
from backline.cmdb.models import ConfigurationItem, Service
from backline.core.api import ErrorOut, resolve_refs
from backline.core.errors import DomainError, NotFound
from backline.core.idempotency import idempotent_response
from backline.problems import export, queries, services
from backline.problems.filters import ProblemFilter
from backline.problems.models import ContributingFactor, FactorCategory, TimelineEntry
from backline.problems.schemas import (
    ActionIn,
    ActionOut,
    ActionPatch,
    ActionTransitionIn,
    FactorCategoryIn,
    FactorCategoryOut,
    FactorCategoryPatch,
    FactorIn,
    FactorOut,
    IncidentOut,
    IncidentsIn,
    LinkResult,
    ProblemIn,
    ProblemListItem,
    ProblemOut,
    ProblemPage,
    ProblemPatch,
    ProblemTransitionIn,
    RcaOut,
    RootCauseIn,
    TimelineEntryIn,
    TimelineEntryOut,
    WhysIn,
)
from backline.tickets.models import Attachment, TicketEvent
from backline.tickets.permissions import require_staff
from backline.tickets.queries import paginate, ticket_get

router = Router(tags=["problems"])

ERRORS: dict[int, Any] = dict.fromkeys((400, 401, 403, 404, 409, 422, 429), ErrorOut)
_REFS = {"owner": User.objects.filter(is_active=True), "team": Team.objects.all()}


def _many(model: Any, ids: list[int], field: str) -> list:
    found = {obj.pk: obj for obj in model.objects.filter(pk__in=ids)}
    for pk in ids:
        if pk not in found:
            raise DomainError(f"No {field[:-1]} with id {pk}.", field=field)
    return list(found.values())


def _resolve(user: User, data: dict[str, Any]) -> dict[str, Any]:
    out = resolve_refs(data, _REFS)
    if out.get("services") is not None:
        out["services"] = _many(Service, out["services"], "services")
    if out.get("cis") is not None:
        out["cis"] = _many(ConfigurationItem, out["cis"], "cis")
    if out.get("tickets") is not None:
        out["tickets"] = queries.tickets_by_numbers(user, out["tickets"])
    if out.get("change") is not None:
        out["change"] = _change(user, out["change"])
    return out


def _change(user: User, ref: str) -> Change | None:
    if not ref.strip():
        return None
    try:
        return change_queries.change_get(user, ref)
    except NotFound:
        raise DomainError(f"No change {ref}.", field="change") from None


def _json(problem: Any) -> dict:
    return ProblemOut.from_orm(problem).model_dump(mode="json")


@router.get("", response={200: ProblemPage, **ERRORS})
def problem_list(
    request: HttpRequest, flt: Query[ProblemFilter], page: int = 1, page_size: int = 50
):
    """Problems matching the filter, open and urgent first."""
    require_staff(request.user, "see problems")
    if page < 1 or not 1 <= page_size <= 200:
        raise DomainError("page must be >= 1 and page_size 1–200.", field="page_size")
    result = paginate(queries.problem_list(request.user, flt), page, page_size)
    return {
        "items": list(result.object_list),
        "count": result.paginator.count,
        "page": result.number,
        "page_size": page_size,
        "pages": result.paginator.num_pages,
    }


@router.post("", response={201: ProblemOut, 200: ProblemOut, **ERRORS})
def problem_create(request: HttpRequest, payload: ProblemIn):
    """Open a problem, optionally with its incidents (send an `Idempotency-Key` to retry safely)."""
    data = payload.dict()

    def create() -> tuple[int, dict]:
        problem = services.problem_create(actor=request.user, **_resolve(request.user, data))
        return 201, _json(problem)

    return idempotent_response(
        user=request.user,
        scope="problem_create",
        key=request.headers.get("Idempotency-Key"),
        payload=data,
        create=create,
    )


# --- configuration and my actions (before /{number}) --------------------------------------------


@router.get("/factor-categories", response={200: list[FactorCategoryOut], **ERRORS})
def categories(request: HttpRequest, retired: bool = False):
    """The categories of contributing factor (with `retired=true`, retired ones too)."""
    require_staff(request.user, "see factor categories")
    return queries.factor_categories(active_only=not retired)


@router.post("/factor-categories", response={201: FactorCategoryOut, **ERRORS})
def category_create(request: HttpRequest, payload: FactorCategoryIn):
    """Add a category of contributing factor (managers)."""
    return Status(201, services.factor_category_create(actor=request.user, **payload.dict()))


@router.patch("/factor-categories/{slug}", response={200: FactorCategoryOut, **ERRORS})
def category_update(request: HttpRequest, slug: str, payload: FactorCategoryPatch):
    """Rename, reorder or retire a category (managers)."""
    category = FactorCategory.objects.filter(slug=slug).first()
    if category is None:
        raise NotFound(f"No factor category {slug!r}.")
    return services.factor_category_update(
        actor=request.user, category=category, **payload.dict(exclude_unset=True)
    )


@router.get("/actions/mine", response={200: list[ActionOut], **ERRORS})
def my_actions(request: HttpRequest, overdue: bool = False, closed: bool = False):
    """The actions I own, overdue first (`closed=true` adds done and cancelled ones;
    `overdue=true` gives only the overdue ones)."""
    if overdue:
        require_staff(request.user, "see problem actions")
        return queries.overdue_actions(request.user)
    return queries.actions_for(request.user, include_closed=closed)


@router.get("/tickets/{number}", response={200: list[ProblemListItem], **ERRORS})
def ticket_problems(request: HttpRequest, number: str):
    """The problems an incident is linked to."""
    ticket = ticket_get(request.user, number)
    require_staff(request.user, "see problems")
    return [link.problem for link in queries.ticket_problems(ticket)]


# --- one problem --------------------------------------------------------------------------------


@router.get("/{number}", response={200: ProblemOut, **ERRORS})
def problem_get(request: HttpRequest, number: str):
    return queries.problem_get(request.user, number)


@router.patch("/{number}", response={200: ProblemOut, **ERRORS})
def problem_update(request: HttpRequest, number: str, payload: ProblemPatch):
    """Edit a problem; send the `version` you read (a stale one gets 409)."""
    problem = queries.problem_get(request.user, number)
    data = payload.dict(exclude_unset=True)
    version = data.pop("version")
    for name in ("title", "statement", "priority", "services", "cis", "verify_days"):
        if name in data and data[name] is None:
            raise DomainError(f"{name} must not be null.", field=name)
    return services.problem_update(
        actor=request.user, problem=problem, version=version, **_resolve(request.user, data)
    )


@router.post("/{number}/transition", response={200: ProblemOut, **ERRORS})
def problem_transition(request: HttpRequest, number: str, payload: ProblemTransitionIn):
    """investigate, root_cause_known, start_fix, resolve, close (with a closure), reopen."""
    problem = queries.problem_get(request.user, number)
    data = payload.dict()
    data["closure"] = data["closure"] or ""
    return services.problem_transition(actor=request.user, problem=problem, **data)


@router.get("/{number}/incidents", response={200: list[IncidentOut], **ERRORS})
def incidents(request: HttpRequest, number: str):
    problem = queries.problem_get(request.user, number)
    return [
        {
            "ticket": link.ticket.number,
            "title": link.ticket.title,
            "status": link.ticket.status,
            "linked_by": link.linked_by,
            "linked_at": link.linked_at,
        }
        for link in queries.problem_incidents(problem, request.user)
    ]


@router.post("/{number}/incidents", response={200: LinkResult, **ERRORS})
def incidents_link(request: HttpRequest, number: str, payload: IncidentsIn):
    """Link incidents (a queue selection of up to 500); ones already linked are reported."""
    problem = queries.problem_get(request.user, number)
    tickets = queries.tickets_by_numbers(request.user, payload.tickets)
    created = services.problem_link_incidents(actor=request.user, problem=problem, tickets=tickets)
    new = {link.ticket_id for link in created}
    return {
        "linked": [t.number for t in tickets if t.pk in new],
        "already": sorted({t.number for t in tickets if t.pk not in new}),
    }


@router.delete("/{number}/incidents/{ticket}", response={204: None, **ERRORS})
def incident_unlink(request: HttpRequest, number: str, ticket: str):
    problem = queries.problem_get(request.user, number)
    found = ticket_get(request.user, ticket)
    if not services.problem_unlink_incident(actor=request.user, problem=problem, ticket=found):
        raise NotFound(f"{found.number} is not linked to {problem.number}.", field="ticket")
    return Status(204, None)


# --- root cause analysis -------------------------------------------------------------------------


def _rca(problem: Any, user: User) -> dict:
    rca = queries.problem_rca(problem, user)
    return {
        "problem": problem.number,
        "version": problem.version,
        "timeline": rca.timeline,
        "whys": [w.text for w in rca.whys],
        "factors": rca.factors,
        "root_cause": problem.root_cause,
        "cause_code": problem.cause_code,
    }


@router.get("/{number}/rca", response={200: RcaOut, **ERRORS})
def rca_get(request: HttpRequest, number: str):
    """The whole root cause analysis: timeline, 5 whys, factors, root cause."""
    return _rca(queries.problem_get(request.user, number), request.user)


@router.put("/{number}/rca/whys", response={200: RcaOut, **ERRORS})
def rca_whys(request: HttpRequest, number: str, payload: WhysIn):
    """Replace the 5 whys chain (1–10 steps; the last is the root cause; [] clears it)."""
    problem = queries.problem_get(request.user, number)
    problem = services.whys_set(
        actor=request.user, problem=problem, whys=payload.whys, version=payload.version
    )
    return _rca(problem, request.user)


@router.put("/{number}/rca/root-cause", response={200: RcaOut, **ERRORS})
def rca_root_cause(request: HttpRequest, number: str, payload: RootCauseIn):
    problem = queries.problem_get(request.user, number)
    problem = services.root_cause_set(
        actor=request.user,
        problem=problem,
        root_cause=payload.root_cause,
        cause_code=payload.cause_code or "",
        version=payload.version,
    )
    return _rca(problem, request.user)


def _evidence(request: HttpRequest, payload: TimelineEntryIn) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if payload.ticket_event is not None:
        event = TicketEvent.objects.select_related("ticket").filter(pk=payload.ticket_event).first()
        if event is None:
            raise DomainError(f"No ticket event {payload.ticket_event}.", field="ticket_event")
        out["ticket_event"] = event
    if payload.change:
        out["change"] = _change(request.user, payload.change)
    if payload.attachment is not None:
        att = Attachment.objects.select_related("ticket").filter(pk=payload.attachment).first()
        if att is None:
            raise DomainError(f"No attachment {payload.attachment}.", field="attachment")
        out["attachment"] = att
    return out


@router.post("/{number}/rca/timeline", response={201: TimelineEntryOut, **ERRORS})
def timeline_add(request: HttpRequest, number: str, payload: TimelineEntryIn):
    """Add a moment to the investigation timeline with its evidence (a ticket event, a change,
    an attachment)."""
    problem = queries.problem_get(request.user, number)
    entry = services.timeline_entry_add(
        actor=request.user,
        problem=problem,
        happened_at=payload.happened_at,
        text=payload.text,
        **_evidence(request, payload),
    )
    return Status(201, entry)


@router.delete("/{number}/rca/timeline/{entry_id}", response={204: None, **ERRORS})
def timeline_remove(request: HttpRequest, number: str, entry_id: int):
    problem = queries.problem_get(request.user, number)
    entry = TimelineEntry.objects.filter(problem=problem, pk=entry_id).first()
    if entry is None:
        raise NotFound(f"{problem.number} has no timeline entry {entry_id}.")
    entry.problem = problem
    services.timeline_entry_remove(actor=request.user, entry=entry)
    return Status(204, None)


@router.post("/{number}/rca/factors", response={201: FactorOut, **ERRORS})
def factor_add(request: HttpRequest, number: str, payload: FactorIn):
    problem = queries.problem_get(request.user, number)
    category = FactorCategory.objects.filter(slug=payload.category).first()
    if category is None:
        raise DomainError(f"No factor category {payload.category!r}.", field="category")
    factor = services.factor_add(
        actor=request.user, problem=problem, category=category, text=payload.text
    )
    return Status(201, factor)


@router.delete("/{number}/rca/factors/{factor_id}", response={204: None, **ERRORS})
def factor_remove(request: HttpRequest, number: str, factor_id: int):
    problem = queries.problem_get(request.user, number)
    factor = ContributingFactor.objects.filter(problem=problem, pk=factor_id).first()
    if factor is None:
        raise NotFound(f"{problem.number} has no factor {factor_id}.")
    factor.problem = problem
    services.factor_remove(actor=request.user, factor=factor)
    return Status(204, None)


# --- actions -------------------------------------------------------------------------------------


@router.get("/{number}/actions", response={200: list[ActionOut], **ERRORS})
def action_list(request: HttpRequest, number: str):
    return queries.problem_actions(queries.problem_get(request.user, number))


@router.post("/{number}/actions", response={201: ActionOut, **ERRORS})
def action_create(request: HttpRequest, number: str, payload: ActionIn):
    """Add a corrective or preventive action; `change` (CHG-) or `external_ref` carries the fix."""
    problem = queries.problem_get(request.user, number)
    action = services.action_create(
        actor=request.user, problem=problem, **_resolve(request.user, payload.dict())
    )
    return Status(201, queries.action_get(problem, action.pk))


@router.patch("/{number}/actions/{action_id}", response={200: ActionOut, **ERRORS})
def action_update(request: HttpRequest, number: str, action_id: int, payload: ActionPatch):
    """Edit an action; send the `version` you read (a stale one gets 409)."""
    problem = queries.problem_get(request.user, number)
    action = queries.action_get(problem, action_id)
    data = payload.dict(exclude_unset=True)
    version = data.pop("version")
    if "title" in data and data["title"] is None:
        raise DomainError("title must not be null.", field="title")
    if "kind" in data and data["kind"] is None:
        raise DomainError("kind must not be null.", field="kind")
    unlink = data.get("change") == ""
    data = _resolve(request.user, {k: v for k, v in data.items() if not (unlink and k == "change")})
    if unlink:
        data["change"] = None
    services.action_update(actor=request.user, action=action, version=version, **data)
    return queries.action_get(problem, action_id)


@router.post("/{number}/actions/{action_id}/transition", response={200: ActionOut, **ERRORS})
def action_transition(
    request: HttpRequest, number: str, action_id: int, payload: ActionTransitionIn
):
    """start, done, cancel or reopen."""
    problem = queries.problem_get(request.user, number)
    action = queries.action_get(problem, action_id)
    services.action_transition(actor=request.user, action=action, **payload.dict())
    return queries.action_get(problem, action_id)


# --- the post-incident report --------------------------------------------------------------------


@router.get("/{number}/report.md", response={200: str, **ERRORS})
def report_md(request: HttpRequest, number: str):
    """The post-incident report as Markdown (a download)."""
    problem = queries.problem_get(request.user, number)
    response = HttpResponse(
        export.report_markdown(problem, request.user), content_type="text/markdown; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{problem.number}-report.md"'
    return response


@router.get("/{number}/report.html", response={200: str, **ERRORS})
def report_html(request: HttpRequest, number: str):
    """The post-incident report as a printable HTML page."""
    problem = queries.problem_get(request.user, number)
    html = render_to_string(
        "problems/report.html",
        {"problem": problem, "body": export.report_html(problem, request.user)},
    )
    return HttpResponse(html, content_type="text/html; charset=utf-8")
