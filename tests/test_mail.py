"""Email in: processing one message (new ticket, reply, auto-replies, bounces, repeats, HTML,
attachments, unknown senders, pending and resolved tickets) and the SMTP listener over real SMTP
on loopback. The IMAP poll against a Dovecot server is in test_mail_imap.py."""

from __future__ import annotations

import smtplib
import socket
from collections.abc import Iterator
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

import pytest

from backline.accounts.choices import Role
from backline.accounts.models import User
from backline.intake import mail
from backline.intake.mail_smtp import smtp_controller
from backline.intake.models import InboundMessage, Mailbox, MailOutcome
from backline.tickets.choices import PendingReason, ResolutionCode, Source, Status
from backline.tickets.models import Comment, Ticket
from backline.tickets.services import ticket_transition
from tests.factories import TeamFactory, UserFactory

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
DESK = "support@example.test"


def make_mail(
    *,
    sender: str = "Rita Sales <rita@example.com>",
    to: str = DESK,
    subject: str = "VPN drops every hour",
    body: str | None = "The VPN disconnects every hour since Monday.",
    html: str | None = None,
    message_id: str | None = "",
    in_reply_to: str | None = None,
    headers: dict[str, str] | None = None,
    attachments: tuple[tuple[str, str, bytes], ...] = (),
) -> bytes:
    """A raw email as a mail client would send it."""
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = sender, to, subject
    msg["Date"] = formatdate(localtime=False)
    if message_id is not None:
        msg["Message-ID"] = message_id or make_msgid(domain="example.com")
    if in_reply_to:
        msg["In-Reply-To"] = msg["References"] = in_reply_to
    for name, value in (headers or {}).items():
        msg[name] = value
    if body is not None:
        msg.set_content(body)
        if html is not None:
            msg.add_alternative(html, subtype="html")
    elif html is not None:
        msg.set_content(html, subtype="html")
    for name, content_type, data in attachments:
        maintype, subtype = content_type.split("/")
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return msg.as_bytes()


def thread_messages() -> list[bytes]:
    """The done-when thread: a new message, its reply, an auto-reply and the first again."""
    first = make_mail(message_id="<first@example.com>")
    reply = make_mail(
        subject="Re: VPN drops every hour",
        body="It happened again at 10:00.\n\nOn Mon, 2 Mar 2026, Support wrote:\n> Thanks",
        message_id="<reply@example.com>",
        in_reply_to="<first@example.com>",
    )
    auto = make_mail(
        subject="Out of office: VPN drops every hour",
        body="I am away until Friday.",
        message_id="<ooo@example.com>",
        in_reply_to="<first@example.com>",
        headers={"Auto-Submitted": "auto-replied"},
    )
    return [first, reply, auto, first]


def assert_one_ticket_one_reply(requester_email: str = "rita@example.com") -> Ticket:
    ticket = Ticket.objects.get()
    assert ticket.source == Source.EMAIL
    assert ticket.requester.email == requester_email
    assert ticket.title == "VPN drops every hour"
    replies = list(Comment.objects.filter(ticket=ticket, is_internal=False))
    assert [c.body for c in replies] == ["It happened again at 10:00."]
    assert replies[0].author == ticket.requester
    return ticket


@pytest.fixture
def desk_team(db):
    return TeamFactory(name="Application Support", tier=2)


@pytest.fixture
def mailbox(desk_team):
    return Mailbox.objects.create(team=desk_team, address=DESK, imap_host="")


@pytest.fixture
def rita(db):
    return UserFactory(username="rita", email="rita@example.com", role=Role.REQUESTER)


def process(raw: bytes, mailbox: Mailbox | None) -> InboundMessage:
    return mail.message_process(raw, mailbox=mailbox, now=T0)


# --- processing -------------------------------------------------------------------------------


def test_thread_yields_one_ticket_with_one_reply(mailbox, rita):
    outcomes = [process(raw, mailbox).outcome for raw in thread_messages()]

    assert outcomes == [
        MailOutcome.CREATED,
        MailOutcome.REPLIED,
        MailOutcome.IGNORED_AUTOREPLY,
        MailOutcome.IGNORED_DUPLICATE,
    ]
    ticket = assert_one_ticket_one_reply()
    assert ticket.team == mailbox.team
    assert ticket.requester == rita
    assert InboundMessage.objects.count() == 3  # a repeat is not logged twice


def test_reply_found_by_ticket_number_in_subject(mailbox, rita):
    ticket = process(make_mail(), mailbox).ticket

    record = process(
        make_mail(subject=f"Re: [{ticket.number}] VPN", body="Still broken.", in_reply_to=None),
        mailbox,
    )

    assert record.outcome == MailOutcome.REPLIED
    assert record.ticket == ticket
    assert Ticket.objects.count() == 1
    assert ticket.comments.get().body == "Still broken."


@pytest.mark.parametrize(
    ("sender", "headers", "expected"),
    [
        ("MAILER-DAEMON@mx.example.com", {}, MailOutcome.IGNORED_BOUNCE),
        ("postmaster@example.com", {}, MailOutcome.IGNORED_BOUNCE),
        ("rita@example.com", {"Precedence": "bulk"}, MailOutcome.IGNORED_AUTOREPLY),
        ("rita@example.com", {"X-Autoreply": "yes"}, MailOutcome.IGNORED_AUTOREPLY),
        ("rita@example.com", {"Auto-Submitted": "auto-generated"}, MailOutcome.IGNORED_AUTOREPLY),
        (DESK, {}, MailOutcome.IGNORED_AUTOREPLY),  # our own address: a loop
    ],
)
def test_bounces_and_automatic_mail_open_nothing(mailbox, sender, headers, expected):
    record = process(make_mail(sender=sender, headers=headers), mailbox)

    assert record.outcome == expected
    assert record.pk is not None
    assert not Ticket.objects.exists()
    assert not User.objects.filter(email__iexact=sender).exists()


def test_delivery_status_report_is_a_bounce(mailbox):
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = "mx@example.com", DESK, "Undelivered"
    msg["Message-ID"] = "<dsn@example.com>"
    msg.set_content("Delivery failed.")
    msg.add_attachment("Status: 5.1.1\n", subtype="plain", filename="status.txt")
    msg.replace_header("Content-Type", 'multipart/report; report-type="delivery-status"')

    assert process(msg.as_bytes(), mailbox).outcome == MailOutcome.IGNORED_BOUNCE
    assert not Ticket.objects.exists()


def test_explicit_auto_submitted_no_is_a_person(mailbox, rita):
    record = process(make_mail(headers={"Auto-Submitted": "no"}), mailbox)
    assert record.outcome == MailOutcome.CREATED


def test_html_only_mail_is_sanitised_to_text(mailbox, rita):
    markup = (
        "<html><head><style>p{color:red}</style></head><body><p>Printer <b>jams</b> &amp; "
        "beeps</p><script>alert('x')</script><img src=x onerror=alert(1)>"
        "<div>Floor 3</div></body></html>"
    )
    ticket = process(make_mail(body=None, html=markup), mailbox).ticket

    assert ticket.description == "Printer jams & beeps\nFloor 3"
    for unsafe in ("script", "alert", "onerror", "<", "color:red"):
        assert unsafe not in ticket.description


def test_plain_text_is_preferred_over_html(mailbox, rita):
    ticket = process(make_mail(body="Plain words.", html="<p>HTML words</p>"), mailbox).ticket
    assert ticket.description == "Plain words."


def test_attachments_are_kept_and_oversize_ones_noted(mailbox, rita, settings):
    settings.BACKLINE_MAX_ATTACHMENT_BYTES = 1024 * 1024
    small = b"2026-03-02 09:00 ERROR vpn tunnel down\n"
    big = b"x" * (1024 * 1024 + 1)
    raw = make_mail(
        attachments=(
            ("vpn.log", "text/plain", small),
            ("dump.bin", "application/octet-stream", big),
        )
    )

    ticket = process(raw, mailbox).ticket

    attachment = ticket.attachments.get()
    assert attachment.filename == "vpn.log"
    assert attachment.uploaded_by == rita
    with attachment.file.open("rb") as f:
        assert f.read() == small
    assert "dump.bin" in ticket.description
    assert "not kept" in ticket.description


def test_reply_attachment_is_on_the_comment(mailbox, rita):
    ticket = process(make_mail(message_id="<a@example.com>"), mailbox).ticket
    process(
        make_mail(
            body="Screenshot attached.",
            in_reply_to="<a@example.com>",
            attachments=(("shot.png", "image/png", b"\x89PNG fake"),),
        ),
        mailbox,
    )

    comment = ticket.comments.get()
    assert [a.filename for a in comment.attachments.all()] == ["shot.png"]


def test_unknown_sender_gets_a_requester_account(mailbox):
    record = process(make_mail(sender="Nina New <Nina.New@Example.org>"), mailbox)

    user = User.objects.get(email="nina.new@example.org")
    assert record.ticket.requester == user
    assert user.role == Role.REQUESTER
    assert not user.has_usable_password()
    assert (user.first_name, user.last_name) == ("Nina", "New")


def test_unknown_sender_rejected_when_configured(mailbox, settings):
    settings.BACKLINE_MAIL_UNKNOWN_SENDERS = "reject"

    record = process(make_mail(sender="stranger@example.org"), mailbox)

    assert record.outcome == MailOutcome.REJECTED
    assert "stranger@example.org" in record.detail
    assert not Ticket.objects.exists()
    assert not User.objects.filter(email="stranger@example.org").exists()


def test_disabled_account_is_rejected(mailbox, rita):
    rita.is_active = False
    rita.save()
    assert process(make_mail(), mailbox).outcome == MailOutcome.REJECTED
    assert not Ticket.objects.exists()


def test_reply_resumes_ticket_pending_on_requester(mailbox, rita, l2_agent):
    ticket = process(make_mail(message_id="<p@example.com>"), mailbox).ticket
    ticket_transition(
        actor=l2_agent, ticket=ticket, action="pend", pending_reason=PendingReason.REQUESTER
    )

    process(make_mail(body="Here is the log.", in_reply_to="<p@example.com>"), mailbox)

    ticket.refresh_from_db()
    assert ticket.status == Status.IN_PROGRESS
    assert ticket.pending_reason == ""
    assert ticket.comments.get().body == "Here is the log."


def test_reply_leaves_ticket_pending_on_vendor(mailbox, rita, l2_agent):
    ticket = process(make_mail(message_id="<v@example.com>"), mailbox).ticket
    ticket_transition(
        actor=l2_agent, ticket=ticket, action="pend", pending_reason=PendingReason.VENDOR
    )

    process(make_mail(body="Any news?", in_reply_to="<v@example.com>"), mailbox)

    ticket.refresh_from_db()
    assert ticket.status == Status.PENDING
    assert ticket.comments.count() == 1


def test_reply_reopens_a_resolved_ticket(mailbox, rita, l2_agent):
    ticket = process(make_mail(message_id="<r@example.com>"), mailbox).ticket
    ticket_transition(
        actor=l2_agent, ticket=ticket, action="resolve",
        resolution_code=ResolutionCode.FIXED, resolution_notes="Rekeyed the tunnel.",
    )  # fmt: skip

    process(make_mail(body="No, still dropping.", in_reply_to="<r@example.com>"), mailbox)

    ticket.refresh_from_db()
    assert ticket.status == Status.IN_PROGRESS
    assert ticket.reopen_count == 1


def test_reply_to_a_closed_ticket_opens_a_follow_up(mailbox, rita, l2_agent):
    old = process(make_mail(message_id="<c@example.com>"), mailbox).ticket
    ticket_transition(
        actor=l2_agent, ticket=old, action="resolve",
        resolution_code=ResolutionCode.FIXED, resolution_notes="Done.",
    )  # fmt: skip
    ticket_transition(actor=l2_agent, ticket=old, action="close")

    record = process(make_mail(body="It is back.", in_reply_to="<c@example.com>"), mailbox)

    assert record.outcome == MailOutcome.CREATED
    assert record.ticket != old
    assert record.ticket.description.startswith(f"Follow-up to {old.number}.")


def test_reply_from_someone_off_the_ticket_is_an_internal_note(mailbox, rita):
    ticket = process(make_mail(message_id="<o@example.com>"), mailbox).ticket
    UserFactory(username="rob", email="rob@example.com", role=Role.REQUESTER)

    process(
        make_mail(sender="rob@example.com", body="Me too.", in_reply_to="<o@example.com>"),
        mailbox,
    )

    note = ticket.comments.get()
    assert note.is_internal
    assert "rob@example.com" in note.body


def test_message_without_message_id_counts_once(mailbox, rita):
    raw = make_mail(message_id=None)

    first, second = process(raw, mailbox), process(raw, mailbox)

    assert (first.outcome, second.outcome) == (MailOutcome.CREATED, MailOutcome.IGNORED_DUPLICATE)
    assert Ticket.objects.count() == 1


def test_without_a_mailbox_the_ticket_is_unrouted(rita):
    ticket = process(make_mail(), None).ticket
    assert ticket.team is None
    assert ticket.source == Source.EMAIL


def test_quoted_text_is_stripped_only_below_new_text():
    assert mail.strip_quoted("Yes.\n\nOn Mon, 2 Mar 2026 Bob wrote:\n> Is it down?") == "Yes."
    assert mail.strip_quoted("On Mon, 2 Mar 2026 Bob wrote:\n> q") == (
        "On Mon, 2 Mar 2026 Bob wrote:\n> q"
    )


# --- SMTP over loopback ------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp_port(transactional_db) -> Iterator[int]:
    """The aiosmtpd listener on loopback; its handler's threads use their own DB connections,
    so the test data must be committed (transactional_db)."""
    port = free_port()
    controller = smtp_controller(host="127.0.0.1", port=port)
    controller.start()
    yield port
    controller.stop()


def send(port: int, raw: bytes, to: str = DESK) -> None:
    with smtplib.SMTP("127.0.0.1", port, timeout=30) as client:
        client.sendmail("rita@example.com", [to], raw)


def test_smtp_thread_yields_one_ticket_with_one_reply(smtp_port):
    team = TeamFactory(name="Application Support", tier=2)
    Mailbox.objects.create(team=team, address=DESK)
    UserFactory(username="rita", email="rita@example.com", role=Role.REQUESTER)

    for raw in thread_messages():
        send(smtp_port, raw)

    ticket = assert_one_ticket_one_reply()
    assert ticket.team == team
    assert sorted(InboundMessage.objects.values_list("outcome", flat=True)) == sorted(
        [MailOutcome.CREATED, MailOutcome.REPLIED, MailOutcome.IGNORED_AUTOREPLY]
    )


def test_smtp_refuses_unknown_and_inactive_recipients(smtp_port):
    team = TeamFactory(name="Application Support", tier=2)
    Mailbox.objects.create(team=team, address="old@example.test", is_active=False)

    for to in ("nobody@example.test", "old@example.test"):
        with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
            send(smtp_port, make_mail(to=to), to=to)
        assert refused.value.recipients[to][0] == 550
    assert not Ticket.objects.exists()
    assert not InboundMessage.objects.exists()
