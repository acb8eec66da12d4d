"""Known-error panels on the ticket page (matching workarounds, recurrence signals) and
reactions to ticket signals, registered from ProblemsConfig.ready()."""

from __future__ import annotations

from django.http import HttpRequest

from backline.problems import handlers
from backline.problems.index import register_known_errors
from backline.problems.known_errors import matching_known_errors
from backline.problems.recurrence import ticket_resolved_recurrence
from backline.problems.verification import ticket_recurrences
from backline.search import queries as search
from backline.tickets.models import Ticket
from backline.tickets.panels import register_panel
from backline.tickets.rules import format_number

SIMILAR_LIMIT = 5


def ticket_context(request: HttpRequest, ticket: Ticket) -> dict | None:
    """Matching published known errors, resolved problems this incident matched, and resolved
    incidents on its CI with the same symptom. Open tickets only (staff only: the panel is
    staff_only). Cost: search.similar() plus at most three small queries."""
    if not ticket.is_open:
        return None
    text = f"{ticket.title}\n{ticket.description}"
    hits = search.similar(
        user=request.user,
        text=text,
        kinds={"known_error": ["published"]},
        service_id=ticket.service_id,
        ci_id=ticket.ci_id,
        limit=SIMILAR_LIMIT,
    ).get("known_error", [])
    known = matching_known_errors(
        request.user,  # type: ignore[arg-type]  # staff_only panel: always a signed-in User
        ticket,
        text=text,
        candidate_ids=[h.object_id for h in hits],
    )
    recurred = ticket_recurrences(ticket)
    resolved = ticket_resolved_recurrence(ticket)
    if not known and not recurred and not resolved:
        return None
    return {
        "known": known,
        "recurred": recurred,
        "resolved": [format_number(pk) for pk in resolved],
        "ticket": ticket,
    }


def register() -> None:
    """Called from ProblemsConfig.ready()."""
    register_known_errors()
    handlers.connect()
    register_panel(slot="main", template="problems/known_errors/panel.html", context=ticket_context)
