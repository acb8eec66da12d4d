"""The SLA panel on the ticket page: clocks, pauses, and why each is due when it is."""

from __future__ import annotations

from django.http import HttpRequest

from backline.sla import queries
from backline.tickets.models import Ticket
from backline.tickets.panels import register_panel


def sla_context(request: HttpRequest, ticket: Ticket) -> dict | None:
    rows = queries.ticket_sla_panel(ticket)
    if not rows:
        return None
    return {"rows": rows}


def register() -> None:
    register_panel(slot="side", template="sla/panels/clocks.html", context=sla_context)
