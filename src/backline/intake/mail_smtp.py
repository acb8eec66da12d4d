"""Email in over SMTP: an `aiosmtpd` listener that takes mail for the active mailboxes'
addresses (anything else is refused with 550) and processes each message as it arrives."""

from __future__ import annotations

import argparse
import logging
import threading
from typing import Any

from aiosmtpd.controller import Controller
from asgiref.sync import sync_to_async
from django.db import close_old_connections

logger = logging.getLogger("backline.intake.mail")
DEFAULT_PORT = 8025


def _active_mailbox(address: str) -> int | None:
    from backline.intake.models import Mailbox

    close_old_connections()
    try:
        found = Mailbox.objects.filter(address__iexact=address.strip(), is_active=True).first()
        return found.pk if found is not None else None
    finally:
        close_old_connections()


def _process(raw: bytes, mailbox_id: int | None) -> str:
    from backline.intake.mail import message_process
    from backline.intake.models import Mailbox

    close_old_connections()
    try:
        mailbox = None
        if mailbox_id is not None:
            mailbox = Mailbox.objects.select_related("team").filter(pk=mailbox_id).first()
        return str(message_process(raw, mailbox=mailbox).outcome)
    finally:
        close_old_connections()


class MailHandler:
    """aiosmtpd handler. The handler runs on the listener's event loop, where Django's ORM may
    not run; every database call goes to a worker thread through sync_to_async."""

    async def handle_RCPT(  # the name aiosmtpd calls
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list
    ) -> str:
        mailbox_id = await sync_to_async(_active_mailbox, thread_sensitive=False)(address)
        if mailbox_id is None:
            return "550 5.1.1 No such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(  # the name aiosmtpd calls
        self, server: Any, session: Any, envelope: Any
    ) -> str:
        raw = envelope.original_content or envelope.content
        if isinstance(raw, str):
            raw = raw.encode("utf-8", "surrogateescape")
        # The first accepted recipient names the mailbox (its team gets a new ticket).
        mailbox_id = await sync_to_async(_active_mailbox, thread_sensitive=False)(
            envelope.rcpt_tos[0]
        )
        try:
            outcome = await sync_to_async(_process, thread_sensitive=False)(raw, mailbox_id)
        except Exception:
            # The sender keeps the message and retries; the Message-ID makes a retry harmless.
            logger.exception("email from %s could not be processed", envelope.mail_from)
            return "451 4.3.0 Could not process the message now, try again later"
        logger.info("email from %s: %s", envelope.mail_from, outcome)
        return "250 Message accepted"


def smtp_controller(*, host: str = "127.0.0.1", port: int = DEFAULT_PORT) -> Controller:
    """A listener for mail to the mailboxes; call .start() and .stop() on it."""
    from django.conf import settings

    return Controller(
        MailHandler(),
        hostname=host,
        port=port,
        data_size_limit=settings.BACKLINE_MAX_ATTACHMENT_BYTES * 2,
    )


def run_smtp(args: argparse.Namespace) -> int:
    """Accept email for the mailboxes over SMTP until interrupted."""
    from backline.cli import _setup

    _setup()
    controller = smtp_controller(host=args.host, port=args.port)
    controller.start()
    print(f"Accepting email for the active mailboxes on {args.host}:{args.port}; Ctrl-C stops.")
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        controller.stop()
    return 0


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("smtp", help=run_smtp.__doc__)
    p.add_argument("--host", default="127.0.0.1", help="address to listen on")
    p.add_argument("--port", type=int, default=DEFAULT_PORT, help="port to listen on")
    p.set_defaults(func=run_smtp)
