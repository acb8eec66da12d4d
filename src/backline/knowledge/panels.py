"""The knowledge panels: on the ticket page (linked articles, the knowledge decision, lazily
loaded suggestions) and beside the new-ticket form (suggestions while the agent types)."""

from __future__ import annotations

from django.http import HttpRequest

from backline.knowledge import queries
from backline.knowledge.choices import Decision
from backline.tickets.models import Ticket
from backline.tickets.panels import register_panel


def ticket_context(request: HttpRequest, ticket: Ticket) -> dict:
    state = queries.ticket_knowledge_state(ticket)
    uses = queries.ticket_articles(ticket)
    return {
        "uses": uses,
        "decision": state.decision,
        "escalated": state.escalated,
        "decision_required": state.decision_required,
        "decisions": Decision.choices,
        "linked_articles": {u.article.pk: u.article for u in uses}.values(),
        "can_draft": state.escalated or not ticket.is_open,
    }


def create_context(request: HttpRequest, ticket: None) -> dict:
    return {}


def register() -> None:
    register_panel(slot="side", template="knowledge/panels/ticket.html", context=ticket_context)
    register_panel(slot="create", template="knowledge/panels/create.html", context=create_context)
