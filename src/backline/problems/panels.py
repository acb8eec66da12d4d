"""Problem panels: linked problems on the ticket page (side), and on the queue the "Link to
problem…" bulk action plus the My work strip of overdue problem actions (loaded after the page,
so the queue itself does not run a query more)."""

from __future__ import annotations

from django.http import HttpRequest

from backline.problems import queries
from backline.tickets.models import Ticket
from backline.tickets.panels import register_panel


def ticket_context(request: HttpRequest, ticket: Ticket) -> dict:
    # One query: the problems this incident is linked to.
    return {"links": queries.ticket_problems(ticket)}


def queue_context(request: HttpRequest, ticket: None) -> dict:
    # No query: the overdue strip loads with HTMX on the My work queue only.
    return {"mine": request.GET.get("queue") == "mine"}


def register() -> None:
    """Called from ProblemsConfig.ready()."""
    register_panel(slot="side", template="problems/panels/ticket.html", context=ticket_context)
    register_panel(slot="queue", template="problems/panels/queue.html", context=queue_context)
