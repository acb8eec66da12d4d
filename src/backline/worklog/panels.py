"""The time panel on the ticket page: totals per person and tier, the latest entries, a log form."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from backline.tickets.models import Ticket
from backline.tickets.panels import register_panel
from backline.worklog import queries, services

LATEST = 5


def time_context(request: HttpRequest, ticket: Ticket, **extra: Any) -> dict[str, Any]:
    """What the panel shows; `extra` carries a bound form with errors or a message."""
    data = queries.ticket_time(request.user, ticket, limit=LATEST)
    for entry in data.entries:
        entry.can_delete = services.can_delete(request.user, entry)
    context: dict[str, Any] = {"time": data, "form": None, "error": "", "message": ""}
    context.update(extra)
    return context


def register() -> None:
    """Add the panel to the ticket page's side column (called from WorklogConfig.ready)."""
    register_panel(slot="side", template="worklog/panels/time.html", context=time_context)
