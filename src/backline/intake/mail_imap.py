"""Email in over IMAP: each active mailbox with a host is polled for unseen messages, which are
processed and only then flagged \\Seen, so a crash in between re-reads a message whose
Message-ID is already known (and so does nothing the second time)."""

from __future__ import annotations

import contextlib
import imaplib
import logging
from datetime import datetime

from django.utils import timezone

from backline.intake.mail import message_process
from backline.intake.models import Mailbox

logger = logging.getLogger("backline.intake.mail")
IMAP_TIMEOUT = 30
MAX_PER_POLL = 200  # a flooded inbox is worked through over several polls


class MailboxError(Exception):
    """The IMAP server refused a step (login, select, search)."""


def _check(response: tuple[str, list], step: str) -> list:
    status, data = response
    if status != "OK":
        detail = b" ".join(d for d in data if isinstance(d, bytes)).decode("utf-8", "replace")
        raise MailboxError(f"{step} failed: {detail or status}")
    return data


def _connect(mailbox: Mailbox) -> imaplib.IMAP4:
    if mailbox.imap_ssl:
        return imaplib.IMAP4_SSL(mailbox.imap_host, mailbox.imap_port, timeout=IMAP_TIMEOUT)
    return imaplib.IMAP4(mailbox.imap_host, mailbox.imap_port, timeout=IMAP_TIMEOUT)


def _fetch(client: imaplib.IMAP4, uid: str) -> bytes:
    # BODY.PEEK, not RFC822: fetching must not set \Seen before the message is processed.
    data = _check(client.uid("FETCH", uid, "(BODY.PEEK[])"), "FETCH")
    for item in data:
        if isinstance(item, tuple) and len(item) == 2:
            return bytes(item[1])
    raise MailboxError(f"FETCH of {uid} returned no message")


def _mark_seen(client: imaplib.IMAP4, uid: str) -> None:
    _check(client.uid("STORE", uid, "+FLAGS", "(\\Seen)"), "STORE")


def mailbox_poll(*, mailbox: Mailbox, now: datetime) -> dict[str, int]:
    """Process the mailbox's unseen messages; returns how many came to each outcome."""
    counts: dict[str, int] = {}
    client = _connect(mailbox)
    try:
        _check(client.login(mailbox.imap_user, mailbox.imap_password), "LOGIN")
        _check(client.select(_quoted(mailbox.imap_folder)), "SELECT")
        uids = _check(client.uid("SEARCH", "UNSEEN"), "SEARCH")[0].decode().split()
        for uid in uids[:MAX_PER_POLL]:
            record = message_process(_fetch(client, uid), mailbox=mailbox, now=now)
            _mark_seen(client, uid)  # only now: the processing above has committed
            counts[str(record.outcome)] = counts.get(str(record.outcome), 0) + 1
    finally:
        # The connection is going away either way.
        with contextlib.suppress(OSError, imaplib.IMAP4.error):
            client.logout()
    return counts


def _quoted(folder: str) -> str:
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'


def mailboxes_poll(*, now: datetime | None = None) -> dict:
    """The worker's sweep: poll every active IMAP mailbox; one failing mailbox records its error
    and the others still run."""
    now = now or timezone.now()
    totals: dict[str, int] = {"mailboxes": 0, "errors": 0}
    for mailbox in (
        Mailbox.objects.filter(is_active=True).exclude(imap_host="").select_related("team")
    ):
        totals["mailboxes"] += 1
        error = ""
        try:
            for outcome, n in mailbox_poll(mailbox=mailbox, now=now).items():
                totals[outcome] = totals.get(outcome, 0) + n
        except Exception as exc:  # any failure is the mailbox's, shown to admins
            logger.exception("polling %s failed", mailbox.address)
            error = f"{type(exc).__name__}: {exc}"[:2000]
            totals["errors"] += 1
        Mailbox.objects.filter(pk=mailbox.pk).update(last_polled_at=now, last_error=error)
    return totals
