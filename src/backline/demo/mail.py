"""Demo email: the L1 and L2 teams' mailboxes and a few email threads in the history window.

Every message is a real RFC 5322 email built with `email.message.EmailMessage` and taken in by
`intake.mail.message_process` at its own time, so the tickets, their timelines and the inbound
log are what the IMAP poll or the SMTP listener would have written:

- twelve days ago a customer service agent emails the Service Desk that the shared mailbox has
  gone from Outlook: a ticket opens; an analyst answers on the ticket, the requester replies by
  email (In-Reply-To her first message), which lands as a public reply, and the analyst resolves;
- two days ago a sales manager emails about flickering monitors on his docking station; the
  analyst's answer is met by his out-of-office auto-reply, which is logged and ignored, and the
  ticket is still being worked;
- the mail server hands the docking-station email over a second time (same Message-ID) after a
  dropped IMAP session; the repeat is ignored and, as always for repeats, leaves no row.

The mailboxes are inactive, with a placeholder IMAP host, so a demo worker never polls a real
server; a manager can point one at a real mailbox and activate it.

`load_demo` opens each thread when its first email arrives in the pass that writes the history
(`Mailroom.openings`, like the alerts), so its ticket's number follows its date; `Mailroom.sweep`
then records the SLA crossings of the clocks still running, as `alerts.Monitoring.sweep` does.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime
from functools import partial
from typing import TYPE_CHECKING

from backline.demo import text as T
from backline.intake.mail import mailbox_create, message_process
from backline.intake.models import InboundMessage, Mailbox
from backline.sla import services as sla
from backline.sla.choices import ClockState
from backline.sla.models import SlaClock
from backline.tickets.models import Ticket
from backline.tickets.services import ticket_assign, ticket_comment, ticket_transition

if TYPE_CHECKING:
    from backline.demo.history import Clock, Org

IMAP_HOST = f"imap.{T.DOMAIN}"
SHARED_MAILBOX_ID = f"<CAF7d2e1.shared-mailbox.4410@mail.{T.DOMAIN}>"
DOCKING_ID = f"<CAF7d2e1.docking-monitors.9152@mail.{T.DOMAIN}>"
_MAILBOX_TEAMS = (T.SD, T.AS, T.NI, T.DB)  # the L1 and L2 teams, which take email


def _email(
    *,
    sender: tuple[str, str],
    to: str,
    subject: str,
    body: str,
    message_id: str,
    at: datetime,
    in_reply_to: str = "",
    headers: tuple[tuple[str, str], ...] = (),
) -> bytes:
    msg = EmailMessage()
    msg["From"] = f"{sender[0]} <{sender[1]}>"
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = format_datetime(at)
    msg["Message-ID"] = message_id
    if in_reply_to:
        msg["In-Reply-To"] = in_reply_to
        msg["References"] = in_reply_to
    for name, value in headers:
        msg[name] = value
    msg.set_content(body)
    return msg.as_bytes()


class Mailroom:
    """The teams' mailboxes (created at once) and the threads their email opens."""

    def __init__(self, *, org: Org, clock: Clock) -> None:
        self.org, self.clock = org, clock
        manager = org.user(T.ADMIN.username)  # mailboxes are configuration: admins only
        self.mailboxes: dict[str, Mailbox] = {}
        for name in _MAILBOX_TEAMS:
            team = org.teams[name]
            address = team.email or f"{name.lower().replace(' ', '-')}@{T.DOMAIN}"
            self.mailboxes[name] = mailbox_create(
                actor=manager, team=team, address=address, imap_host=IMAP_HOST,
                imap_user=address, imap_folder="INBOX", is_active=False,
            )  # fmt: skip
        # What each delivery did, in order (a repeat leaves no row, so it is only seen here).
        self.deliveries: list[InboundMessage] = []

    def openings(self) -> list[tuple[datetime, Callable[[], None]]]:
        """(first email, deliver the thread) per thread, so the caller can number tickets in
        creation order."""
        day, anchor = timedelta(days=1), self.clock.anchor
        shared = anchor - 12 * day + timedelta(minutes=17)
        docking = anchor - 2 * day + timedelta(minutes=42)
        return [
            (shared, partial(self._shared_mailbox, shared)),
            (docking, partial(self._docking, docking)),
        ]

    def tickets(self) -> list[Ticket]:
        """The tickets the demo's email opened, oldest first."""
        return list(
            Ticket.objects.filter(inbound_messages__mailbox__in=self.mailboxes.values())
            .distinct()
            .order_by("created_at")
        )

    def sweep(self, *, now: datetime) -> None:
        """Record the warnings and breaches the worker's SLA sweep would have recorded on the
        email tickets' running clocks up to `now`, each dated when it happened (the approach of
        `alerts.Monitoring.sweep`)."""
        tickets = self.tickets()
        running = SlaClock.objects.filter(ticket__in=tickets, state=ClockState.RUNNING)
        for clock in running.select_related("policy", "ticket").order_by("id"):
            moments = sorted(m for m in (clock.warn_at, clock.due_at) if m is not None)
            for moment in (m for m in moments if m <= now):
                sla._record_crossings(clock, moment)
            clock.save(update_fields=["warned_at", "breached_at"])
        sla.tickets_sla_refresh([t.pk for t in tickets])

    def _receive(self, raw: bytes, at: datetime, team: str = T.SD) -> InboundMessage:
        record = message_process(raw, mailbox=self.mailboxes[team], now=at)
        self.deliveries.append(record)
        return record

    def _person(self, username: str) -> tuple[str, str]:
        user = self.org.user(username)
        return user.get_full_name(), user.email

    def _shared_mailbox(self, start: datetime) -> None:
        desk = self.mailboxes[T.SD].address
        requester = self._person("lhoffmann")
        subject = "Customer Service shared mailbox gone from Outlook"
        first = self._receive(
            _email(
                sender=requester, to=desk, subject=subject, message_id=SHARED_MAILBOX_ID, at=start,
                body="Hi,\n\nsince this morning the Customer Service shared mailbox is no longer "
                "in my Outlook folder list, so I cannot answer the customer emails in it. My own "
                "mailbox works. Lea and Julia still see it.\n\nThanks,\nLea Hoffmann\n"
                "Customer Service",
            ),
            start,
        )  # fmt: skip
        ticket = first.ticket
        assert ticket is not None  # noqa: S101 - a new sender's first email opens a ticket
        analyst = self.org.user("smarquez")
        ticket = ticket_assign(
            actor=analyst, ticket=ticket, assignee=analyst, at=start + timedelta(minutes=24)
        )
        ticket = ticket_transition(
            actor=analyst, ticket=ticket, action="start", at=start + timedelta(minutes=25)
        )
        ticket_comment(
            actor=analyst, ticket=ticket, at=start + timedelta(minutes=31),
            body="Hi Lea, your access to the shared mailbox is still there. Outlook sometimes "
            "drops an automatically mapped mailbox after an update: please close Outlook, open "
            "it again and wait a few minutes. Does the mailbox come back?",
        )  # fmt: skip
        replied = start + timedelta(hours=1, minutes=6)
        self._receive(
            _email(
                sender=requester, to=desk, subject=f"Re: {ticket.number} {subject}",
                message_id=f"<CAF7d2e1.shared-mailbox.4417@mail.{T.DOMAIN}>", at=replied,
                in_reply_to=SHARED_MAILBOX_ID,
                body="Hi Sofia,\n\nthat did it, the mailbox is back after restarting Outlook. "
                "Thank you!\n\nLea\n\nOn the same day, Service Desk wrote:\n> Hi Lea, your "
                "access to the shared mailbox is still there.",
            ),
            replied,
        )  # fmt: skip
        ticket = Ticket.objects.get(pk=ticket.pk)
        ticket_transition(
            actor=analyst, ticket=ticket, action="resolve", resolution_code="advice",
            resolution_notes="Outlook had dropped the automapped shared mailbox; restarting "
            "Outlook restored it.",
            at=replied + timedelta(minutes=9),
        )  # fmt: skip

    def _docking(self, start: datetime) -> None:
        desk = self.mailboxes[T.SD].address
        requester = self._person("ewalsh")
        subject = "Monitors flicker on my docking station"
        raw = _email(
            sender=requester, to=desk, subject=subject, message_id=DOCKING_ID, at=start,
            body="Hello,\n\nboth external monitors on my desk in Manchester go black for a second "
            "every few minutes when the laptop is on the docking station. It started after the "
            "weekend. I am in customer meetings from tomorrow, so a fix today would be great.\n\n"
            "Best regards,\nEmily Walsh\nRegional Sales Manager UK",
        )  # fmt: skip
        ticket = self._receive(raw, start).ticket
        assert ticket is not None  # noqa: S101 - a new sender's first email opens a ticket
        # The IMAP session dropped before the message was flagged; the next poll fetched it again.
        self._receive(raw, start + timedelta(minutes=5))
        analyst = self.org.user("jweber")
        ticket = ticket_assign(
            actor=analyst, ticket=ticket, assignee=analyst, at=start + timedelta(minutes=38)
        )
        ticket = ticket_transition(
            actor=analyst, ticket=ticket, action="start", at=start + timedelta(minutes=39)
        )
        answered = start + timedelta(minutes=46)
        ticket_comment(
            actor=analyst, ticket=ticket, at=answered,
            body="Hi Emily, could you swap the DisplayPort cable of one monitor with a spare "
            "from the meeting room and tell me whether that screen still flickers? Meanwhile I "
            "am checking for a docking station firmware update.",
        )  # fmt: skip
        away = answered + timedelta(minutes=1)
        self._receive(
            _email(
                sender=requester, to=desk,
                subject=f"Automatic reply: [{ticket.number}] {subject}",
                message_id=f"<AM9P190.ooo.77120@mail.{T.DOMAIN}>", at=away,
                in_reply_to=DOCKING_ID,
                headers=(("Auto-Submitted", "auto-replied"), ("X-Autoreply", "yes")),
                body="I am out of the office with customers until Friday with limited access "
                "to email. For urgent matters please contact the Manchester office.",
            ),
            away,
        )  # fmt: skip
