"""The index follows the ticket services: each signal is sent inside the service's transaction,
so the ticket's search document commits (or rolls back) with the change."""

from __future__ import annotations

from typing import Any

from backline.tickets import signals

_UID = "search-ticket-index"


def on_ticket(sender: Any, ticket: Any, **kwargs: Any) -> None:
    """Re-read the ticket as saved and write its document."""
    from backline.search.services import document_index
    from backline.search.tickets import ticket_documents

    for doc in ticket_documents([ticket.pk]):
        document_index(doc)


def connect() -> None:
    for signal in (signals.ticket_created, signals.ticket_changed, signals.ticket_transitioned):
        signal.connect(on_ticket, dispatch_uid=f"{_UID}-{id(signal)}")
