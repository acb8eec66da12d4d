"""Timeline events become queued emails, in the transaction that writes the event."""

from __future__ import annotations

import logging
from typing import Any

from django.db import DatabaseError
from django.db.models.signals import post_save

logger = logging.getLogger("backline.mailout")


def on_ticket_event(
    sender: Any, instance: Any, created: bool, raw: bool = False, **kw: Any
) -> None:
    from backline.mailout import services

    if not created or raw:
        return
    try:
        services.emails_for_event(event=instance)
    except DatabaseError:  # in its own savepoint: an email problem never fails the ticket write
        logger.exception("could not queue emails for ticket event %s", instance.pk)


def connect() -> None:
    from backline.tickets.models import TicketEvent

    post_save.connect(on_ticket_event, sender=TicketEvent, dispatch_uid="mailout.ticket_event")
