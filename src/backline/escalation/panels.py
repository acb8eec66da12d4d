"""The escalation panels on the ticket page: the trail and pinned guidance, and the actions."""

from __future__ import annotations

from django.http import HttpRequest

from backline.escalation import queries
from backline.escalation.forms import DeescalateForm
from backline.tickets.models import Ticket
from backline.tickets.panels import register_panel


def trail_context(request: HttpRequest, ticket: Ticket) -> dict:
    escalations = queries.ticket_escalations(ticket)
    pending = next((e for e in escalations if e.state == "pending"), None)
    return {
        "hops": queries.ticket_trail(ticket),
        "pinned": queries.pinned_guidance(escalations),
        "pending": pending,
        "escalations": escalations,
    }


def actions_context(request: HttpRequest, ticket: Ticket) -> dict | None:
    if not ticket.is_open:
        return None
    down = queries.deescalation_targets(ticket) if ticket.tier > 1 else None
    form = None
    if down is not None:
        form = DeescalateForm(teams=down, initial={"version": ticket.version})
    return {"can_escalate": ticket.tier < 3, "deescalate_form": form}


def register() -> None:
    register_panel(slot="header", template="escalation/panels/trail.html", context=trail_context)
    register_panel(
        slot="actions", template="escalation/panels/actions.html", context=actions_context
    )
