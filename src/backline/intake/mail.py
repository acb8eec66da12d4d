"""Email in: one raw message (from the IMAP poll or the SMTP listener) opens a ticket, or adds a
public reply to the ticket it answers; auto-replies, bounces and repeats of a Message-ID do
nothing but leave a row in the log, so mail loops and redeliveries cannot open tickets."""

from __future__ import annotations

import hashlib
import html
import re
from dataclasses import dataclass, field
from datetime import datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import parseaddr
from typing import Any

import nh3
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone

from backline.accounts.choices import Role
from backline.accounts.models import Team, User
from backline.accounts.services import user_create
from backline.changes.services import system_user
from backline.core.errors import DomainError, from_validation_error
from backline.core.security import refusal_reason
from backline.intake.models import InboundMessage, Mailbox, MailOutcome
from backline.intake.services import require_manager
from backline.mailout.queries import ticket_for_message_ids
from backline.tickets.choices import PendingReason, Source, Status
from backline.tickets.models import Ticket
from backline.tickets.permissions import can_view
from backline.tickets.rules import NUMBER_PREFIX
from backline.tickets.services import (
    ticket_attach,
    ticket_comment,
    ticket_create,
    ticket_transition,
)

AUTO_PRECEDENCE = {"bulk", "junk", "list", "auto_reply"}
BOUNCE_SENDERS = {"mailer-daemon", "postmaster"}
TICKET_IN_SUBJECT = re.compile(rf"\b{re.escape(NUMBER_PREFIX)}(\d{{1,12}})\b", re.IGNORECASE)
SUBJECT_PREFIX = re.compile(r"^\s*((re|fwd?|aw|wg|sv|tr)\s*(\[\d+\])?\s*:\s*)+", re.IGNORECASE)
# "On Tue, 3 Mar 2026, Rita <rita@example.com> wrote:" and Outlook's separator.
QUOTE_HEADER = re.compile(
    r"^(On\b.{0,300}\bwrote:|-{2,}\s*Original Message\s*-{2,})\s*$", re.IGNORECASE | re.MULTILINE
)
BLOCK_END = re.compile(r"<\s*(br\s*/?|/p|/div|/li|/tr|/h[1-6]|/blockquote)\s*>", re.IGNORECASE)
MAX_TITLE = 200
MAX_BODY = 100_000


@dataclass
class Parsed:
    """What processing needs from one message, read once."""

    message_id: str
    sender: str
    sender_name: str
    subject: str
    references: list[str]
    text: str
    attachments: list[tuple[str, str, bytes]] = field(default_factory=list)


# --- reading a message (no database) ------------------------------------------------------------


def _ids(value: str | None) -> list[str]:
    return re.findall(r"<[^<>\s]+>", str(value or ""))


def message_id_of(msg: EmailMessage, raw: bytes) -> str:
    """The Message-ID, or a stable digest of the headers that identify it plus the body."""
    found = _ids(msg.get("Message-ID"))
    if found:
        return found[0][:500]
    digest = hashlib.sha256()
    for name in ("From", "To", "Date", "Subject"):
        digest.update(str(msg.get(name, "")).encode("utf-8", "replace") + b"\n")
    _, _, body = raw.partition(b"\r\n\r\n") if b"\r\n\r\n" in raw else raw.partition(b"\n\n")
    digest.update(body)
    return f"<{digest.hexdigest()}@no-message-id.backline>"


def ignore_reason(msg: EmailMessage, sender: str) -> str:
    """MailOutcome for a bounce or an automatic reply, or "" for mail a person wrote."""
    local = sender.partition("@")[0].lower()
    if local in BOUNCE_SENDERS or msg.get_content_type() == "multipart/report":
        return MailOutcome.IGNORED_BOUNCE
    auto = str(msg.get("Auto-Submitted", "")).strip().lower()
    if auto and auto != "no":
        return MailOutcome.IGNORED_AUTOREPLY
    if str(msg.get("Precedence", "")).strip().lower() in AUTO_PRECEDENCE:
        return MailOutcome.IGNORED_AUTOREPLY
    if msg.get("X-Autoreply") is not None or msg.get("X-Autorespond") is not None:
        return MailOutcome.IGNORED_AUTOREPLY
    return ""


def html_to_text(markup: str) -> str:
    """Safe plain text from HTML: scripts and styles dropped with their content, tags removed."""
    markup = BLOCK_END.sub("\n", markup)
    cleaned = nh3.clean(markup, tags=set(), clean_content_tags={"script", "style", "head"})
    # Unescaping after cleaning gives literal text (the description is rendered escaped).
    text = html.unescape(cleaned).replace("\xa0", " ")
    lines = [line.rstrip() for line in text.splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def strip_quoted(text: str) -> str:
    """Drop the quoted earlier message below an "On … wrote:" line, when there is one."""
    match = QUOTE_HEADER.search(text)
    if match is not None and text[: match.start()].strip():
        text = text[: match.start()]
    return text.strip()


def _body_text(msg: EmailMessage) -> str:
    part = msg.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    try:
        content = part.get_content()
    except (LookupError, ValueError):  # unknown charset or broken encoding: keep what decodes
        payload = part.get_payload(decode=True)
        content = payload.decode("utf-8", "replace") if isinstance(payload, bytes) else ""
    if part.get_content_type() == "text/html":
        return html_to_text(str(content))
    return str(content).replace("\r\n", "\n").strip()


def _attachments(msg: EmailMessage) -> list[tuple[str, str, bytes]]:
    found = []
    for part in msg.iter_attachments():
        payload = part.get_payload(decode=True)
        if not isinstance(payload, bytes):
            continue  # an attached message/rfc822: its text is not a file the desk can use
        name = part.get_filename() or "attachment"
        found.append((name, part.get_content_type(), payload))
    return found


def message_parse(raw: bytes) -> tuple[EmailMessage, Parsed]:
    """Parse the raw bytes with the modern email policy into what processing needs."""
    msg = BytesParser(policy=policy.default).parsebytes(raw)
    assert isinstance(msg, EmailMessage)  # noqa: S101 - policy.default always makes one
    name, addr = parseaddr(str(msg.get("From", "")))
    subject = " ".join(str(msg.get("Subject", "")).split())
    parsed = Parsed(
        message_id=message_id_of(msg, raw),
        sender=addr.strip().lower(),
        sender_name=name.strip(),
        subject=subject[:500],
        references=_ids(msg.get("In-Reply-To")) + _ids(msg.get("References")),
        text=_body_text(msg),
        attachments=_attachments(msg),
    )
    return msg, parsed


# --- finding people and tickets ---------------------------------------------------------------


def _ticket_replied_to(parsed: Parsed) -> Ticket | None:
    if parsed.references:
        known = (
            InboundMessage.objects.filter(message_id__in=parsed.references, ticket__isnull=False)
            .select_related("ticket")
            .order_by("-received_at", "-id")
            .first()
        )
        if known is not None:
            return known.ticket
        # A reply to an email Backline sent (a ticket opened on the web or by an agent).
        sent = ticket_for_message_ids(parsed.references)
        if sent is not None:
            return sent
    match = TICKET_IN_SUBJECT.search(parsed.subject)
    if match is not None:
        return Ticket.objects.filter(pk=int(match.group(1))).first()
    return None


def _unused_username(address: str) -> str:
    base = re.sub(r"[^\w.@+-]", "", address)[:140] or "requester"
    candidate, n = base, 1
    while User.objects.filter(username__iexact=candidate).exists():
        n += 1
        candidate = f"{base}-{n}"
    return candidate


def sender_user(parsed: Parsed) -> User | None:
    """The active account with the sender's address; a new requester for an unknown sender
    unless BACKLINE_MAIL_UNKNOWN_SENDERS is "reject"; None when the mail must be rejected."""
    users = User.objects.filter(email__iexact=parsed.sender).order_by("-is_active", "id")
    user = users.first()
    if user is not None:
        return user if user.is_active else None
    if getattr(settings, "BACKLINE_MAIL_UNKNOWN_SENDERS", "create") == "reject":
        return None
    first, _, last = parsed.sender_name.partition(" ")
    return user_create(
        username=_unused_username(parsed.sender),
        password=None,  # no usable password: they sign in after a reset, if ever
        email=parsed.sender,
        first_name=first[:150],
        last_name=last[:150],
        role=Role.REQUESTER,
    )


# --- acting on a message ----------------------------------------------------------------------


def _split_files(parsed: Parsed) -> tuple[list[SimpleUploadedFile], list[str]]:
    limit = settings.BACKLINE_MAX_ATTACHMENT_BYTES
    kept, notes = [], []
    for name, content_type, content in parsed.attachments:
        if len(content) > limit:
            notes.append(
                f"Attachment {name} ({len(content):,} bytes) was not kept: it is larger than "
                f"the {limit // (1024 * 1024)} MB limit."
            )
        elif reason := refusal_reason(name, content[:4096]):
            notes.append(f"Attachment {name} was not kept: {reason}")
        else:
            kept.append(SimpleUploadedFile(name, content, content_type=content_type))
    return kept, notes


def _with_notes(text: str, notes: list[str]) -> str:
    return "\n\n".join([text, *notes]).strip()[:MAX_BODY]


def _create(parsed: Parsed, sender: User, mailbox: Mailbox | None, now: datetime) -> Ticket:
    files, notes = _split_files(parsed)
    title = SUBJECT_PREFIX.sub("", parsed.subject).strip() or "(no subject)"
    ticket = ticket_create(
        actor=system_user(),  # a requester may not route; the mailbox's team is the route
        title=title[:MAX_TITLE],
        description=_with_notes(parsed.text, notes),
        requester=sender,
        team=mailbox.team if mailbox is not None else None,
        source=Source.EMAIL,
        at=now,
    )
    for upload in files:
        ticket_attach(actor=sender, ticket=ticket, upload=upload, at=now)
    return ticket


def _reply(parsed: Parsed, sender: User, ticket: Ticket, now: datetime) -> None:
    files, notes = _split_files(parsed)
    body = _with_notes(strip_quoted(parsed.text), notes) or "(empty email)"
    if can_view(sender, ticket):
        ticket_comment(actor=sender, ticket=ticket, body=body, files=files, at=now)
    else:
        # Someone outside the ticket (a colleague in Cc, a forged subject): staff see it and
        # decide; the requester's timeline stays theirs.
        ticket_comment(
            actor=system_user(),
            ticket=ticket,
            body=f"Email from {parsed.sender}, who is not on this ticket:\n\n{body}",
            internal=True,
            files=files,
            at=now,
        )
        return
    # The requester's reply is what a ticket pending on them waits for; a resolved ticket they
    # answer was not fixed for them. Requesters may not change status, so the system account does.
    action = ""
    if ticket.status == Status.PENDING and ticket.pending_reason == PendingReason.REQUESTER:
        action = "resume"
    elif ticket.status == Status.RESOLVED:
        action = "reopen"
    if action:
        ticket_transition(
            actor=system_user(),
            ticket=ticket,
            action=action,
            note=f"{parsed.sender} replied by email.",
            at=now,
        )


def _act(parsed: Parsed, mailbox: Mailbox | None, now: datetime) -> tuple[str, Ticket | None, str]:
    if not parsed.sender:
        return MailOutcome.REJECTED, None, "No sender address."
    sender = sender_user(parsed)
    if sender is None:
        return MailOutcome.REJECTED, None, f"{parsed.sender} has no active account."
    ticket = _ticket_replied_to(parsed)
    if ticket is not None and ticket.status in (Status.CLOSED, Status.CANCELLED):
        # Closed is final: a reply starts a new ticket that points back at the old one.
        parsed.text = f"Follow-up to {ticket.number}.\n\n{strip_quoted(parsed.text)}"
        ticket = None
    if ticket is None:
        return MailOutcome.CREATED, _create(parsed, sender, mailbox, now), ""
    _reply(parsed, sender, ticket, now)
    return MailOutcome.REPLIED, ticket, ""


def _own_address(sender: str) -> bool:
    return Mailbox.objects.filter(address__iexact=sender).exists()


def message_process(
    raw: bytes, *, mailbox: Mailbox | None = None, now: datetime | None = None
) -> InboundMessage:
    """Take one raw email: open a ticket, reply on one, or ignore it (auto-reply, bounce,
    repeat); the log row and its effects commit together, so a failure leaves nothing."""
    now = now or timezone.now()
    msg, parsed = message_parse(raw)
    record = InboundMessage(
        message_id=parsed.message_id, mailbox=mailbox, received_at=now,
        from_address=parsed.sender[:320], subject=parsed.subject, raw_size=len(raw),
    )  # fmt: skip
    earlier = InboundMessage.objects.filter(message_id=parsed.message_id).first()
    if earlier is not None:
        record.outcome, record.ticket = MailOutcome.IGNORED_DUPLICATE, earlier.ticket
        return record  # not stored: the first delivery's row is the one that counts
    reason = ignore_reason(msg, parsed.sender)
    if not reason and _own_address(parsed.sender):
        reason = MailOutcome.IGNORED_AUTOREPLY  # our own address writing to us: a loop
    try:
        with transaction.atomic():
            record.outcome = reason or MailOutcome.REJECTED
            record.save()  # first, so a racing delivery of the same Message-ID fails here
            if not reason:
                try:
                    with transaction.atomic():
                        record.outcome, record.ticket, record.detail = _act(parsed, mailbox, now)
                except DomainError as exc:
                    record.outcome, record.ticket = MailOutcome.REJECTED, None
                    record.detail = exc.message[:500]
                record.save(update_fields=["outcome", "ticket", "detail"])
    except IntegrityError:
        earlier = InboundMessage.objects.filter(message_id=parsed.message_id).first()
        if earlier is None:
            raise
        record.pk, record.outcome, record.ticket = (
            None,
            MailOutcome.IGNORED_DUPLICATE,
            earlier.ticket,
        )
    return record


# --- mailboxes --------------------------------------------------------------------------------

MAILBOX_FIELDS = (
    "team", "address", "imap_host", "imap_port", "imap_ssl", "imap_user", "imap_password",
    "imap_folder", "is_active",
)  # fmt: skip


def mailbox_create(*, actor: User, team: Team, address: str, **fields: Any) -> Mailbox:
    """Add a team's address; with an IMAP host it is polled, and it is accepted over SMTP."""
    require_manager(actor)
    unknown = set(fields) - set(MAILBOX_FIELDS)
    if unknown:
        bad = sorted(unknown)[0]
        raise DomainError(f"Unknown field {bad!r}.", field=bad)
    mailbox = Mailbox(team=team, address=(address or "").strip().lower(), **fields)
    _mailbox_check(mailbox)
    mailbox.save()
    return mailbox


def _mailbox_check(mailbox: Mailbox) -> None:
    clash = Mailbox.objects.filter(address__iexact=mailbox.address).exclude(pk=mailbox.pk)
    if clash.exists():
        raise DomainError(f"{mailbox.address} is already a mailbox.", field="address")
    if mailbox.imap_host and not mailbox.imap_user:
        raise DomainError("Give the IMAP login for this host.", field="imap_user")
    try:
        mailbox.full_clean(exclude=["team"], validate_unique=False)
    except ValidationError as exc:
        raise from_validation_error(exc) from exc


def mailbox_update(*, actor: User, mailbox: Mailbox, **fields: Any) -> Mailbox:
    """Change a mailbox (an empty IMAP password keeps the stored one); deactivate to stop it."""
    require_manager(actor)
    unknown = set(fields) - set(MAILBOX_FIELDS)
    if unknown:
        bad = sorted(unknown)[0]
        raise DomainError(f"Unknown field {bad!r}.", field=bad)
    if not fields.get("imap_password"):
        fields.pop("imap_password", None)
    if "address" in fields:
        fields["address"] = (fields["address"] or "").strip().lower()
    with transaction.atomic():
        locked = Mailbox.objects.select_for_update().get(pk=mailbox.pk)
        for name, value in fields.items():
            setattr(locked, name, value)
        _mailbox_check(locked)
        locked.save()
    return locked
