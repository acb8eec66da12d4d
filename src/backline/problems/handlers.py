"""Reactions to ticket signals: a new incident is checked against resolved problems still in
their verification window (fix verification)."""

from __future__ import annotations

from typing import Any

from backline.problems.verification import recurrence_check
from backline.tickets import signals
from backline.tickets.models import Ticket


def check_recurrence(sender: Any, *, ticket: Ticket, at: Any = None, **kwargs: Any) -> None:
    recurrence_check(ticket=ticket, at=at)


def connect() -> None:
    signals.ticket_created.connect(check_recurrence, dispatch_uid="problems_recurrence_check")
