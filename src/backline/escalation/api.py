"""API: escalate, the inbox, accept or return, de-escalate, the trail, policies, metrics."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Status

from backline.accounts.models import Team
from backline.core.errors import DomainError, NotFound
from backline.core.idempotency import idempotent_response
from backline.core.time import local_day_range
from backline.escalation import queries, services
from backline.escalation.models import Escalation
from backline.escalation.schemas import (
    AcceptIn,
    DeescalateIn,
    EscalationIn,
    EscalationMetricsOut,
    EscalationOut,
    HandoffPolicyIn,
    HandoffPolicyOut,
    HopOut,
    MetricsQuery,
    ReturnIn,
)
from backline.tickets import queries as ticket_queries
from backline.tickets.api import ERRORS, ticket_by_ref
from backline.tickets.models import Ticket
from backline.tickets.permissions import require_staff
from backline.tickets.schemas import TicketOut

router = Router(tags=["escalation"])


def _team(team_id: int, field: str) -> Team:
    team = Team.objects.filter(pk=team_id).first()
    if team is None:
        raise DomainError(f"No team with id {team_id}.", field=field)
    return team


def _escalation(request: HttpRequest, escalation_id: int):
    require_staff(request.user, "see escalations")
    escalation = services.escalation_get(escalation_id)
    ticket_queries.ticket_get(request.user, escalation.ticket.number)  # visibility
    return escalation


@router.post("/tickets/{number}/escalations", response={201: EscalationOut, **ERRORS})
def escalate(request: HttpRequest, number: str, payload: EscalationIn):
    """Escalate to a higher-tier team with a hand-off package; missing required parts are 422s."""
    ticket = ticket_queries.ticket_get(request.user, number)
    return Status(201, _escalate(request, ticket, payload.dict()))


@router.post(
    "/tickets/by-ref/{system}/{external_id}/escalations",
    response={201: EscalationOut, 200: EscalationOut, **ERRORS},
)
def escalate_by_ref(request: HttpRequest, system: str, external_id: str, payload: EscalationIn):
    """Escalate the ticket for an L1 record; an `Idempotency-Key` retry returns the first answer."""
    ticket = ticket_by_ref(request.user, system, external_id)
    data = payload.dict()

    def create() -> tuple[int, dict]:
        escalation = _escalate(request, ticket, dict(data))
        return 201, EscalationOut.from_orm(escalation).model_dump(mode="json")

    return idempotent_response(
        user=request.user,
        scope="escalation_create",
        key=request.headers.get("Idempotency-Key"),
        payload={**data, "ticket": ticket.pk},
        create=create,
    )


def _escalate(request: HttpRequest, ticket: Ticket, data: dict[str, Any]) -> Escalation:
    return services.escalation_create(
        actor=request.user,
        ticket=ticket,
        to_team=_team(data.pop("to_team"), "to_team"),
        version=data.pop("version"),
        evidence_ids=data.pop("evidence"),
        **data,
    )


@router.get("/tickets/{number}/escalations", response={200: list[EscalationOut], **ERRORS})
def ticket_escalations(request: HttpRequest, number: str):
    require_staff(request.user, "see hand-off packages")
    return queries.ticket_escalations(ticket_queries.ticket_get(request.user, number))


@router.get("/tickets/{number}/trail", response={200: list[HopOut], **ERRORS})
def trail(request: HttpRequest, number: str):
    """The ticket's path through the tiers, oldest first; returns are bounces."""
    require_staff(request.user, "see the escalation trail")
    return queries.ticket_trail(ticket_queries.ticket_get(request.user, number))


@router.post("/tickets/{number}/deescalate", response={200: TicketOut, **ERRORS})
def deescalate(request: HttpRequest, number: str, payload: DeescalateIn):
    """Hand the ticket down to a lower tier (not a bounce)."""
    ticket = ticket_queries.ticket_get(request.user, number)
    services.ticket_deescalate(
        actor=request.user,
        ticket=ticket,
        to_team=_team(payload.to_team, "to_team"),
        note=payload.note,
        version=payload.version,
    )
    return ticket_queries.ticket_get(request.user, number)


@router.get("/escalations", response={200: list[EscalationOut], **ERRORS})
def inbox(request: HttpRequest, team: Query[list[int]] | None = None):
    """Escalations waiting for acceptance by your teams (or the given teams), oldest first."""
    require_staff(request.user, "see escalation inboxes")
    return list(queries.inbox(request.user, team_ids=team or None))


@router.get("/escalations/{escalation_id}", response={200: EscalationOut, **ERRORS})
def escalation_detail(request: HttpRequest, escalation_id: int):
    return _escalation(request, escalation_id)


@router.post("/escalations/{escalation_id}/accept", response={200: EscalationOut, **ERRORS})
def accept(request: HttpRequest, escalation_id: int, payload: AcceptIn):
    escalation = _escalation(request, escalation_id)
    return services.escalation_accept(
        actor=request.user, escalation=escalation, assign_to_self=payload.assign_to_self
    )


@router.post("/escalations/{escalation_id}/return", response={200: EscalationOut, **ERRORS})
def return_(request: HttpRequest, escalation_id: int, payload: ReturnIn):
    """Return to the sending team with a reason and guidance (counts as a bounce)."""
    escalation = _escalation(request, escalation_id)
    return services.escalation_return(
        actor=request.user, escalation=escalation, reason=payload.reason, guidance=payload.guidance
    )


def _team_by_slug(slug: str) -> Team:
    team = Team.objects.filter(slug=slug).first()
    if team is None:
        raise NotFound(f"No team {slug!r}.", field="slug")
    return team


@router.get("/teams/{slug}/handoff-policy", response={200: HandoffPolicyOut, **ERRORS})
def policy(request: HttpRequest, slug: str):
    team = _team_by_slug(slug)
    return {"team": team.name, "required": services.handoff_required(team)}


@router.put("/teams/{slug}/handoff-policy", response={200: HandoffPolicyOut, **ERRORS})
def policy_set(request: HttpRequest, slug: str, payload: HandoffPolicyIn):
    team = _team_by_slug(slug)
    result = services.handoff_policy_set(actor=request.user, team=team, required=payload.required)
    return {"team": team.name, "required": result.required}


@router.get("/metrics/escalation", response={200: EscalationMetricsOut, **ERRORS})
def metrics(request: HttpRequest, params: Query[MetricsQuery]):
    """Escalation rate, bounce rate and bounces per ticket, acceptance time per team, returns."""
    require_staff(request.user, "see metrics")
    start, end = local_day_range(params.start, params.end)
    return queries.escalation_metrics(start=start, end=end, team_ids=params.team or None)
