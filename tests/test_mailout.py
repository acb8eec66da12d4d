"""Email out: which events email whom (requesters, assignees, teams, mentions; never internal
notes to requesters, never the actor; preferences), and the worker's sweep over real SMTP on
loopback (threading headers, retries on 4xx, giving up on 5xx, expired leases), ending with a
reply to one of our emails landing back on its ticket."""

from __future__ import annotations

import re
import socket
from collections.abc import Iterator
from datetime import timedelta
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import make_msgid

import pytest
from aiosmtpd.controller import Controller
from django.urls import include, path, resolve, reverse
from django.utils import timezone

from backline.accounts.models import TeamMembership
from backline.intake import mail
from backline.intake.models import Mailbox, MailOutcome
from backline.mailout import rules, services
from backline.mailout.choices import EmailKind, EmailStatus
from backline.mailout.models import OutboundEmail
from backline.portal.services import signed_link_open
from backline.tickets.choices import PendingReason, ResolutionCode
from backline.tickets.models import Comment
from backline.tickets.services import ticket_assign, ticket_comment, ticket_transition
from tests.factories import UserFactory, make_ticket

# The preferences page mounted as config/urls.py will mount it (tests use this module as URLconf).
urlpatterns = [
    path("email-preferences/", include("backline.mailout.urls")),
    path("", include("backline.config.urls")),
]
pytestmark = pytest.mark.urls(__name__)

DESK_MAILBOX = "apps@example.test"
BASE_URL = "https://desk.example.test"


class Collector:
    """An SMTP server's handler: answers DATA from a script of replies, then accepts; keeps what
    it accepted."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.data_answers: list[str] = []
        self.rcpt_answer = ""

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.rcpt_answer:
            return self.rcpt_answer
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.data_answers:
            return self.data_answers.pop(0)
        msg = BytesParser(policy=policy.default).parsebytes(envelope.content)
        self.messages.append(msg)
        return "250 Message accepted"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp(settings) -> Iterator[Collector]:
    handler = Collector()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    settings.BACKLINE_SMTP_HOST, settings.BACKLINE_SMTP_PORT = "127.0.0.1", port
    settings.BACKLINE_SMTP_STARTTLS, settings.BACKLINE_SMTP_USER = False, ""
    settings.BACKLINE_MAIL_FROM = "Backline <desk@example.test>"
    settings.BACKLINE_MAIL_DOMAIN = "desk.example.test"
    settings.BACKLINE_BASE_URL = BASE_URL
    yield handler
    controller.stop()


@pytest.fixture
def ticket(smtp, l2_agent, requester, app_support):
    return make_ticket(l2_agent, requester=requester, team=app_support)


def queued(**filters) -> list[OutboundEmail]:
    return list(OutboundEmail.objects.filter(**filters).order_by("id"))


def send(at=None) -> dict:
    return services.emails_send(now=at or timezone.now())


# --- deciding who gets what ---------------------------------------------------------------------


def test_public_reply_is_emailed_to_the_requester_with_thread_headers_and_portal_link(
    smtp, ticket, l2_agent, requester, app_support
):
    Mailbox.objects.create(team=app_support, address=DESK_MAILBOX)
    ticket_comment(actor=l2_agent, ticket=ticket, body="Please restart the print spooler.")

    [email] = queued()
    assert (email.recipient, email.kind) == (requester, EmailKind.REPLY)
    assert send() == {"sent": 1}

    [msg] = smtp.messages
    assert msg["To"] == requester.email
    assert msg["Message-ID"] == email.message_id
    assert msg["Message-ID"].endswith("@desk.example.test>")
    assert msg["Subject"] == f"[{ticket.number}] {ticket.title}"
    assert msg["Auto-Submitted"] == "auto-generated"
    assert msg["Reply-To"] == DESK_MAILBOX
    body = msg.get_content()
    assert "Please restart the print spooler." in body
    link = re.search(rf"{re.escape(BASE_URL)}(\S+)", body).group(1)
    assert link.startswith(reverse("portal:link", args=["x"]).rstrip("x/"))
    assert signed_link_open(resolve(link).kwargs["token"]) == (requester, ticket)
    email.refresh_from_db()
    assert (email.status, email.attempts, email.sent_at is not None) == (EmailStatus.SENT, 1, True)

    # The next email about the ticket answers the first, so mail clients show one thread.
    ticket_comment(actor=l2_agent, ticket=ticket, body="Did that help?")
    send()
    second = smtp.messages[1]
    assert second["In-Reply-To"] == email.message_id
    assert email.message_id in second["References"]


def test_internal_note_emails_no_requester_but_the_mentioned_agent(
    smtp, ticket, l2_agent, l3_agent, requester, app_support
):
    # Omar (L3) may not see the ticket yet: a mention sends him nothing about it.
    ticket_comment(actor=l2_agent, ticket=ticket, body="A driver bug? @omar", internal=True)
    assert queued() == []
    TeamMembership.objects.create(user=l3_agent, team=app_support)
    ticket_comment(
        actor=l2_agent, ticket=ticket, body="Looks like a driver bug @omar", internal=True
    )

    [email] = queued()
    assert (email.recipient, email.kind) == (l3_agent, EmailKind.MENTION)
    send()
    [msg] = smtp.messages
    assert msg["To"] == l3_agent.email
    assert msg["Reply-To"] is None  # staff answer in the desk, never publicly by email
    assert f"{BASE_URL}{ticket.get_absolute_url()}" in msg.get_content()


def test_resolution_and_need_info_reach_the_requester(smtp, ticket, l2_agent, requester):
    ticket_transition(
        actor=l2_agent, ticket=ticket, action="pend", pending_reason=PendingReason.REQUESTER,
        note="Which printer model is it?",
    )  # fmt: skip
    ticket_transition(actor=l2_agent, ticket=ticket, action="resume")
    ticket_transition(
        actor=l2_agent, ticket=ticket, action="resolve",
        resolution_code=ResolutionCode.FIXED, resolution_notes="Replaced the toner.",
    )  # fmt: skip

    assert [e.kind for e in queued(recipient=requester)] == [
        EmailKind.NEED_INFO,
        EmailKind.RESOLVED,
    ]
    assert "Which printer model is it?" in queued(kind=EmailKind.NEED_INFO)[0].text_body
    assert "Replaced the toner." in queued(kind=EmailKind.RESOLVED)[0].text_body


def test_pending_on_a_vendor_emails_nobody(smtp, ticket, l2_agent):
    ticket_transition(
        actor=l2_agent, ticket=ticket, action="pend", pending_reason=PendingReason.VENDOR
    )
    assert queued() == []


def test_preferences_turn_kinds_off(smtp, ticket, l2_agent, requester):
    services.mail_preference_set(actor=requester, kinds=[EmailKind.RESOLVED])

    ticket_comment(actor=l2_agent, ticket=ticket, body="Working on it.")
    assert queued() == []
    ticket_transition(
        actor=l2_agent, ticket=ticket, action="resolve",
        resolution_code=ResolutionCode.FIXED, resolution_notes="Done.",
    )  # fmt: skip
    assert [e.kind for e in queued()] == [EmailKind.RESOLVED]


def test_the_actor_is_not_emailed_about_their_own_action(smtp, ticket, l2_agent, app_support):
    colleague = UserFactory(username="kim", teams=[app_support])

    ticket_assign(actor=l2_agent, ticket=ticket, assignee=l2_agent)
    assert queued() == []
    ticket_assign(actor=l2_agent, ticket=ticket, assignee=colleague)
    assert [(e.recipient, e.kind) for e in queued()] == [(colleague, EmailKind.ASSIGNED)]


def test_users_without_an_address_are_skipped(smtp, ticket, l2_agent, requester):
    requester.email = ""
    requester.save()
    ticket_comment(actor=l2_agent, ticket=ticket, body="Working on it.")
    assert queued() == []


def test_requester_reply_reaches_the_assignee(smtp, ticket, l2_agent, requester):
    ticket_assign(actor=l2_agent, ticket=ticket, assignee=l2_agent)
    ticket_comment(actor=requester, ticket=ticket, body="It happened again.")
    assert [(e.recipient, e.kind) for e in queued()] == [(l2_agent, EmailKind.REQUESTER_REPLIED)]


def test_nothing_is_queued_without_an_smtp_host(smtp, settings, ticket, l2_agent):
    settings.BACKLINE_SMTP_HOST = ""
    ticket_comment(actor=l2_agent, ticket=ticket, body="Working on it.")
    assert queued() == []
    assert send() == {}


# --- sending ------------------------------------------------------------------------------------


def test_temporary_failures_are_retried_until_delivered_once(smtp, ticket, l2_agent):
    smtp.data_answers = ["451 4.3.0 Try again later", "451 4.3.0 Try again later"]
    ticket_comment(actor=l2_agent, ticket=ticket, body="Working on it.")
    [email] = queued()
    now = timezone.now()

    assert send(now) == {"retrying": 1}
    email.refresh_from_db()
    assert email.status == EmailStatus.PENDING and email.next_attempt_at > now
    assert "451" in email.last_error
    assert send(now) == {}  # not due yet
    assert send(email.next_attempt_at) == {"retrying": 1}
    email.refresh_from_db()
    assert send(email.next_attempt_at) == {"sent": 1}

    email.refresh_from_db()
    assert (email.status, email.attempts, email.last_error) == (EmailStatus.SENT, 3, "")
    assert len(smtp.messages) == 1


def test_permanent_refusal_fails_without_retries(smtp, ticket, l2_agent):
    smtp.rcpt_answer = "550 5.1.1 No such user"
    ticket_comment(actor=l2_agent, ticket=ticket, body="Working on it.")

    assert send() == {"failed": 1}
    [email] = queued()
    assert (email.status, email.attempts) == (EmailStatus.FAILED, 1)
    assert "550" in email.last_error
    assert send(timezone.now() + timedelta(days=1)) == {}
    assert smtp.messages == []


def test_gives_up_after_the_last_attempt(smtp, settings, ticket, l2_agent):
    settings.BACKLINE_MAIL_MAX_ATTEMPTS = 2
    smtp.data_answers = ["421 4.7.0 Busy"] * 5
    ticket_comment(actor=l2_agent, ticket=ticket, body="Working on it.")
    [email] = queued()

    assert send() == {"retrying": 1}
    email.refresh_from_db()
    assert send(email.next_attempt_at) == {"failed": 1}


def test_a_row_left_sending_is_sent_again_after_its_lease(smtp, ticket, l2_agent):
    ticket_comment(actor=l2_agent, ticket=ticket, body="Working on it.")
    [email] = queued()
    now = timezone.now()
    OutboundEmail.objects.filter(pk=email.pk).update(status=EmailStatus.SENDING, claimed_at=now)
    assert send(now) == {}  # another worker holds it

    OutboundEmail.objects.filter(pk=email.pk).update(claimed_at=now - timedelta(hours=1))
    assert send(now) == {"sent": 1}
    assert len(smtp.messages) == 1


def test_missed_sla_warnings_are_queued_by_the_sweep(smtp, ticket, l2_agent):
    from backline.tickets.choices import EventKind
    from backline.tickets.models import TicketEvent

    ticket_assign(actor=l2_agent, ticket=ticket, assignee=l2_agent)
    # The SLA sweep writes warnings with bulk_create: no save signal fires.
    TicketEvent.objects.bulk_create(
        [TicketEvent(ticket=ticket, kind=EventKind.SLA_WARNING, at=timezone.now())]
    )
    assert send() == {"queued": 1, "sent": 1}
    assert [(e.recipient, e.kind) for e in queued()] == [(l2_agent, EmailKind.SLA_WARNING)]
    assert send() == {}  # once


# --- round trip ----------------------------------------------------------------------------------


def reply_to(ours: EmailMessage, *, subject: str, body: str) -> bytes:
    msg = EmailMessage()
    msg["From"] = "Rita Sales <rita@example.com>"
    msg["To"] = DESK_MAILBOX
    msg["Subject"] = subject
    msg["Message-ID"] = make_msgid(domain="example.com")
    msg["In-Reply-To"] = ours["Message-ID"]
    msg["References"] = f"{ours['References'] or ''} {ours['Message-ID']}".strip()
    msg.set_content(f"{body}\n\nOn Mon, 2 Mar 2026, Backline wrote:\n> earlier text")
    return msg.as_bytes()


@pytest.fixture
def rita(requester):
    requester.email = "rita@example.com"
    requester.save()
    return requester


def test_a_reply_to_our_email_lands_on_the_ticket(smtp, rita, l2_agent, app_support):
    mailbox = Mailbox.objects.create(team=app_support, address=DESK_MAILBOX)
    ticket = make_ticket(l2_agent, requester=rita, team=app_support)
    ticket_comment(actor=l2_agent, ticket=ticket, body="Please send the log.")
    send()
    [ours] = smtp.messages

    record = mail.message_process(
        reply_to(ours, subject=f"Re: {ours['Subject']}", body="Log attached."), mailbox=mailbox
    )

    assert (record.outcome, record.ticket) == (MailOutcome.REPLIED, ticket)
    assert Comment.objects.filter(ticket=ticket, author=rita).get().body == "Log attached."


def test_a_reply_to_an_email_ticket_threads_by_headers_alone(smtp, rita, l2_agent, app_support):
    mailbox = Mailbox.objects.create(team=app_support, address=DESK_MAILBOX)
    first = EmailMessage()
    first["From"], first["To"], first["Subject"] = "rita@example.com", DESK_MAILBOX, "VPN drops"
    first["Message-ID"] = "<first@example.com>"
    first.set_content("The VPN drops every hour.")
    ticket = mail.message_process(first.as_bytes(), mailbox=mailbox).ticket
    ticket_comment(actor=l2_agent, ticket=ticket, body="Which client version?")
    send()
    [ours] = smtp.messages
    assert ours["In-Reply-To"] == "<first@example.com>"

    # The subject lost the ticket number: the References still lead back to the ticket.
    record = mail.message_process(
        reply_to(ours, subject="Re: your question", body="Version 5.2."), mailbox=mailbox
    )
    assert (record.outcome, record.ticket) == (MailOutcome.REPLIED, ticket)


def test_a_reply_to_a_web_ticket_threads_by_our_message_id_alone(smtp, rita, l2_agent, app_support):
    mailbox = Mailbox.objects.create(team=app_support, address=DESK_MAILBOX)
    ticket = make_ticket(l2_agent, requester=rita, team=app_support)
    ticket_comment(actor=l2_agent, ticket=ticket, body="Please send the log.")
    send()
    [ours] = smtp.messages

    record = mail.message_process(
        reply_to(ours, subject="Re: the log", body="Here."), mailbox=mailbox
    )
    assert (record.outcome, record.ticket) == (MailOutcome.REPLIED, ticket)


# --- rules and the preferences page --------------------------------------------------------------


def test_thread_headers_and_subject():
    assert rules.thread_headers("", "") == ("", "")
    assert rules.thread_headers("<a@x>", "<a@x>") == ("<a@x>", "<a@x>")
    assert rules.thread_headers("<a@x>", "<b@x>") == ("<b@x>", "<a@x> <b@x>")
    assert rules.subject_for("INC-000007", "  Printer\n jams ") == "[INC-000007] Printer jams"
    assert rules.is_permanent(550) and not rules.is_permanent(451)
    assert not rules.is_permanent(None)


def test_requesters_cannot_choose_staff_kinds():
    assert rules.check_kinds([EmailKind.ASSIGNED, EmailKind.REPLY], is_staff=False) == [
        EmailKind.REPLY
    ]
    assert not rules.wants(EmailKind.MENTION, is_staff=False, chosen=None)
    assert rules.wants(EmailKind.MENTION, is_staff=True, chosen=None)


def test_preferences_page_shows_and_saves_the_users_choices(client, l2_agent):
    client.force_login(l2_agent)
    url = reverse("mailout:preferences")

    page = client.get(url).content.decode()
    assert 'value="assigned" checked' in page
    assert 'value="mention" checked' in page

    response = client.post(url, {"kinds": [EmailKind.ASSIGNED]})
    assert response.status_code == 302
    page = client.get(url).content.decode()
    assert 'value="assigned" checked' in page
    assert 'value="mention" checked' not in page


def test_requesters_see_only_their_kinds(client, requester):
    client.force_login(requester)
    page = client.get(reverse("mailout:preferences")).content.decode()
    assert 'value="reply" checked' in page
    assert 'value="assigned"' not in page
