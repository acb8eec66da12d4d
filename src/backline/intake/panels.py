"""The ticket-page side panel of an alert-born incident: its alert, how often it fired, and
whether it is still firing."""

from __future__ import annotations

from django.http import HttpRequest

from backline.intake.queries import ticket_alerts
from backline.tickets.models import Ticket
from backline.tickets.panels import register_panel


def alert_context(request: HttpRequest, ticket: Ticket) -> dict | None:
    alerts = ticket_alerts(ticket)  # no query unless the ticket came from monitoring
    return {"alerts": alerts} if alerts else None


def register() -> None:
    register_panel(slot="side", template="intake/panels/alert.html", context=alert_context)
