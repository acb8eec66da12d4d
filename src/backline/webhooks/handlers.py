"""Timeline events become queued deliveries, in the transaction that writes the event."""

from __future__ import annotations

import logging
from typing import Any

from django.db import DatabaseError
from django.db.models.signals import post_save

logger = logging.getLogger("backline.webhooks")


def on_ticket_event(
    sender: Any, instance: Any, created: bool, raw: bool = False, **kw: Any
) -> None:
    from backline.webhooks import services

    if not created or raw:
        return
    try:
        services.deliveries_queue_ticket_event(instance)
    except DatabaseError:  # in its own savepoint: a webhook problem never fails the ticket write
        logger.exception("could not queue webhooks for ticket event %s", instance.pk)


def on_problem_event(
    sender: Any, instance: Any, created: bool, raw: bool = False, **kw: Any
) -> None:
    from backline.webhooks import services

    if not created or raw:
        return
    try:
        services.deliveries_queue_problem_event(instance)
    except DatabaseError:
        logger.exception("could not queue webhooks for problem event %s", instance.pk)


def connect() -> None:
    from backline.problems.models import ProblemEvent
    from backline.tickets.models import TicketEvent

    post_save.connect(on_ticket_event, sender=TicketEvent, dispatch_uid="webhooks.ticket_event")
    post_save.connect(on_problem_event, sender=ProblemEvent, dispatch_uid="webhooks.problem_event")
