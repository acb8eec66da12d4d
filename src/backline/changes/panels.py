"""The ticket-page panels: "What changed?" (linked causes now, the ranked candidates loaded
lazily) in the main column, and the affected service and CIs (loaded lazily) at the side."""

from __future__ import annotations

from django.http import HttpRequest

from backline.changes import queries
from backline.changes.views import WINDOWS
from backline.tickets.models import Ticket
from backline.tickets.panels import register_panel


def what_changed_context(request: HttpRequest, ticket: Ticket) -> dict:
    # One query: the causes already linked. The candidates load with HTMX after the page.
    return {"links": queries.ticket_change_links(ticket), "windows": WINDOWS, "hours": 72}


def affected_context(request: HttpRequest, ticket: Ticket) -> dict | None:
    if ticket.service_id is None and ticket.ci_id is None:
        return None
    return {}


def register() -> None:
    register_panel(
        slot="main", template="changes/panels/what_changed.html", context=what_changed_context
    )
    register_panel(slot="side", template="changes/panels/affected.html", context=affected_context)
