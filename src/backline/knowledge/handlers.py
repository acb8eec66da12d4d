"""Reactions to ticket signals: the knowledge decision a team's policy requires before resolve."""

from __future__ import annotations

from typing import Any

from backline.core.errors import DomainError
from backline.knowledge import queries
from backline.knowledge.models import KnowledgeDecision, KnowledgePolicy
from backline.tickets import signals
from backline.tickets.models import Ticket


def require_decision_on_resolve(sender: Any, *, ticket: Ticket, action: str, **kwargs: Any) -> None:
    """Refuse to resolve an escalated ticket without a knowledge decision when the owning
    team's policy asks for one."""
    if action != "resolve" or ticket.team_id is None:
        return
    policy = KnowledgePolicy.objects.filter(team_id=ticket.team_id, require_decision=True)
    if not policy.exists() or not queries.was_escalated(ticket):
        return
    if KnowledgeDecision.objects.filter(ticket=ticket).exists():
        return
    raise DomainError(
        "Record a knowledge decision first: link an article, draft one, or say why none is "
        "needed (Knowledge panel).",
        code="kb_decision_required",
        field="kb_decision",
    )


def connect() -> None:
    signals.ticket_transition_requested.connect(
        require_decision_on_resolve, dispatch_uid="knowledge_decision_on_resolve"
    )
