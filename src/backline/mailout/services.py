"""Every write to email out: queueing emails for timeline events (inside the writing
transaction), a user's preferences, and the worker's SMTP sweep.

Emails are an outbox: an event inserts its OutboundEmail rows in the transaction that writes the
event, so a rolled-back request emails nobody and a committed one cannot lose its email; only the
worker talks SMTP, so a slow or failing mail server never holds up a request."""

from __future__ import annotations

import logging
import secrets
import smtplib
import ssl
from collections.abc import Iterable
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from backline.accounts.models import User
from backline.core.errors import DomainError
from backline.intake.models import InboundMessage, Mailbox
from backline.mailout import queries, rules
from backline.mailout.choices import EmailKind, EmailStatus
from backline.mailout.models import MailPreference, OutboundEmail
from backline.tickets.choices import EventKind, PendingReason, Status
from backline.tickets.models import Ticket, TicketEvent
from backline.tickets.permissions import can_view

logger = logging.getLogger("backline.mailout")
_random = secrets.SystemRandom()
REQUESTER_FACING = frozenset(rules.REQUESTER_KINDS)


def _setting(name: str, default: float) -> float:
    return float(getattr(settings, name, default))


def mail_enabled() -> bool:
    """Email out is on once an SMTP host is configured; until then nothing is queued."""
    return bool(getattr(settings, "BACKLINE_SMTP_HOST", ""))


# --- preferences --------------------------------------------------------------------------------


def mail_preference_set(
    *, actor: User, kinds: Iterable[str], at: datetime | None = None
) -> MailPreference:
    """Choose which kinds of email the actor receives (their own preferences only)."""
    values = list(kinds)
    unknown = [k for k in values if k not in EmailKind.values]
    if unknown:
        raise DomainError(f"Unknown kind of email {unknown[0]!r}.", field="kinds")
    chosen = rules.check_kinds(values, is_staff=actor.is_staff_member, is_manager=actor.is_manager)
    pref, _ = MailPreference.objects.update_or_create(
        user=actor, defaults={"kinds": chosen, "updated_at": at or timezone.now()}
    )
    return pref


# --- deciding who gets what (no SMTP) ------------------------------------------------------------


def _team_members(team_id: int | None) -> list[User]:
    if team_id is None:
        return []
    return list(User.objects.filter(memberships__team_id=team_id).distinct())


def _user(value: Any) -> User | None:
    user_id = value.get("id") if isinstance(value, dict) else None
    return User.objects.filter(pk=user_id).first() if user_id else None


def _staff_recipients(event: TicketEvent, ticket: Ticket) -> list[tuple[User, str]]:
    data = event.data or {}
    if event.kind == EventKind.ASSIGNED or "assignee" in (data.get("changes") or {}):
        new = (data.get("changes") or {}).get("assignee") or [None, None]
        user = _user(new[1]) if len(new) == 2 else None
        return [(user, EmailKind.ASSIGNED)] if user is not None else []
    if event.kind in (EventKind.ESCALATED, EventKind.DEESCALATED):
        to_team = data.get("to_team") or {}
        return [(u, EmailKind.ESCALATED) for u in _team_members(to_team.get("id"))]
    if event.kind == EventKind.NOTED and event.comment is not None:
        from backline.notifications.mentions import mentioned_users

        return [(u, EmailKind.MENTION) for u in mentioned_users(event.comment.body)]
    if event.kind == EventKind.SLA_WARNING:
        owners = [ticket.assignee] if ticket.assignee else _team_members(ticket.team_id)
        return [(u, EmailKind.SLA_WARNING) for u in owners]
    if (
        event.kind == EventKind.REPLIED
        and not event.is_internal
        and ticket.assignee is not None
        and event.actor_id == ticket.requester_id
    ):
        return [(ticket.assignee, EmailKind.REQUESTER_REPLIED)]
    return []


def _requester_kind(event: TicketEvent) -> str | None:
    if event.is_internal:
        return None  # internal notes and internal events never reach the requester
    data = event.data or {}
    if event.kind == EventKind.REPLIED:
        actor = event.actor
        return EmailKind.REPLY if actor is not None and actor.is_staff_member else None
    if event.kind == EventKind.STATUS_CHANGED:
        if data.get("to") == Status.RESOLVED:
            return EmailKind.RESOLVED
        if data.get("to") == Status.PENDING and data.get("pending_reason") == (
            PendingReason.REQUESTER
        ):
            return EmailKind.NEED_INFO
    return None


def recipients_for(event: TicketEvent, ticket: Ticket) -> list[tuple[User, str]]:
    """(person, kind) for each email this event should send: never the actor, never an inactive
    user or one without an address, and only kinds the person receives."""
    found = _staff_recipients(event, ticket)
    kind = _requester_kind(event)
    if kind is not None:
        found.append((ticket.requester, kind))
    chosen: list[tuple[User, str]] = []
    seen: set[int] = set()
    for user, k in found:
        if user.pk in seen or user.pk == event.actor_id or not user.is_active or not user.email:
            continue
        if k not in REQUESTER_FACING and not user.is_staff_member:
            continue
        if not can_view(user, ticket):  # a watcher of a ticket since made restricted, …
            continue
        staff = user.is_staff_member
        if rules.wants(k, is_staff=staff, chosen=queries.chosen_kinds(user)):
            seen.add(user.pk)
            chosen.append((user, k))
    return chosen


# --- building the emails ------------------------------------------------------------------------


def ticket_thread(ticket: Ticket) -> tuple[str, str]:
    """(first, last) Message-ID of the mail about this ticket, received or sent ("" if none)."""
    found: list[tuple[datetime, str]] = []
    inbound = InboundMessage.objects.filter(ticket=ticket)
    for qs in (inbound.order_by("received_at", "id"), inbound.order_by("-received_at", "-id")):
        row = qs.values_list("received_at", "message_id").first()
        if row:
            found.append(row)
    outbound = OutboundEmail.objects.filter(ticket=ticket)
    for ordering in (("created_at", "id"), ("-created_at", "-id")):
        sent = outbound.order_by(*ordering).values_list("created_at", "message_id").first()
        if sent:
            found.append(sent)
    if not found:
        return "", ""
    found.sort()
    return found[0][1], found[-1][1]


def desk_url(path: str) -> str:
    return f"{settings.BACKLINE_BASE_URL.rstrip('/')}{path}"


def link_for(ticket: Ticket, user: User) -> str:
    """A signed portal link for the ticket's requester; the desk page for everyone else."""
    from backline.portal.services import signed_link

    if user.pk == ticket.requester_id and not user.is_staff_member and not user.is_superuser:
        return signed_link(ticket, user)
    return desk_url(ticket.get_absolute_url())


def preferences_url() -> str:
    """The absolute address of the email preferences page ("" when it is not mounted)."""
    return _preferences_url()


def _preferences_url() -> str:
    try:
        return desk_url(reverse("mailout:preferences"))
    except NoReverseMatch:  # the page is not mounted: the email simply does not link it
        return ""


def _reply_to(ticket: Ticket) -> str:
    if ticket.team_id is None:
        return ""
    mailboxes = Mailbox.objects.filter(team_id=ticket.team_id, is_active=True).order_by("address")
    return mailboxes.values_list("address", flat=True).first() or ""


def _rating_links(ticket: Ticket, user: User, kind: str) -> list[tuple[int, str]]:
    """The one-click satisfaction links (scores 1–5) for the requester's "resolved" email."""
    if kind != EmailKind.RESOLVED or user.pk != ticket.requester_id or user.is_staff_member:
        return []
    from backline.satisfaction.services import rating_links

    return rating_links(ticket)


def _render(event: TicketEvent, ticket: Ticket, user: User, kind: str) -> str:
    data = event.data or {}
    context = {
        "ticket": ticket,
        "recipient": user,
        "actor": event.actor.display_name if event.actor else "Backline",
        "comment": event.comment.body if event.comment is not None else "",
        "note": data.get("note", ""),
        "resolution_notes": data.get("resolution_notes", ""),
        "summary": data.get("summary", ""),
        "to_team": (data.get("to_team") or {}).get("name", ""),
        "link": link_for(ticket, user),
        "reply_by_email": kind in REQUESTER_FACING,
        "preferences_url": _preferences_url(),
        "rating_links": _rating_links(ticket, user, kind),
    }
    return render_to_string(f"mailout/{kind}.txt", context).strip() + "\n"


def emails_for_event(*, event: TicketEvent, at: datetime | None = None) -> list[OutboundEmail]:
    """Queue the emails a timeline event sends (call inside the writing transaction)."""
    if not mail_enabled():
        return []
    # The event's ticket object may predate this write (a stale assignee or status): reread it.
    ticket = Ticket.objects.select_related("requester", "assignee", "team").get(pk=event.ticket_id)
    recipients = recipients_for(event, ticket)
    if not recipients:
        return []
    first, last = ticket_thread(ticket)
    in_reply_to, references = rules.thread_headers(first, last)
    team_mailbox = _reply_to(ticket)
    now = at or timezone.now()
    rows = [
        OutboundEmail(
            recipient=user,
            to_address=user.email,
            subject=rules.subject_for(ticket.number, ticket.title),
            text_body=_render(event, ticket, user, kind),
            message_id=make_msgid(domain=settings.BACKLINE_MAIL_DOMAIN),
            in_reply_to=in_reply_to,
            references=references,
            # Staff answer in the desk: a reply by email would become a public comment.
            reply_to=team_mailbox if kind in REQUESTER_FACING else "",
            ticket=ticket,
            event=event,
            kind=kind,
            next_attempt_at=now,
            created_at=now,
        )
        for user, kind in recipients
    ]
    # The unique (event, recipient, kind) constraint makes a second queueing a no-op; the
    # savepoint keeps a failed insert from breaking the transaction of the ticket write.
    with transaction.atomic():
        return OutboundEmail.objects.bulk_create(rows, ignore_conflicts=True)


def emails_queue_missed(*, now: datetime, limit: int = 200) -> int:
    """Queue emails for SLA warnings the SLA sweep wrote in bulk (no save signal fires for those);
    an event that already has its emails is skipped."""
    if not mail_enabled():
        return 0
    lookback = timedelta(hours=_setting("BACKLINE_MAIL_LOOKBACK_HOURS", 24))
    already = OutboundEmail.objects.filter(event=OuterRef("pk"))
    events = (
        TicketEvent.objects.filter(kind=EventKind.SLA_WARNING, at__gte=now - lookback)
        .exclude(Exists(already))
        .select_related("actor", "comment", "ticket__assignee", "ticket__requester")
        .order_by("-pk")[:limit]
    )
    return sum(len(emails_for_event(event=e, at=now)) for e in events)


def email_queue(
    *,
    recipient: User,
    kind: str,
    subject: str,
    text_body: str,
    html_body: str = "",
    message_key: str,
    at: datetime,
) -> OutboundEmail | None:
    """Queue one email that is not about a ticket (the weekly report). Its Message-ID is derived
    from `message_key`, so queueing the same key again — a repeated sweep, a second worker — is a
    no-op that returns None."""
    if kind not in EmailKind.values:
        raise DomainError(f"Unknown kind of email {kind!r}.", field="kind")
    if not recipient.email:
        raise DomainError("The recipient has no email address.", field="recipient")
    message_id = queries.message_id_for(message_key)
    if OutboundEmail.objects.filter(message_id=message_id).exists():
        return None
    email = OutboundEmail(
        recipient=recipient,
        to_address=recipient.email,
        subject=" ".join(subject.split())[:300],
        text_body=text_body,
        html_body=html_body,
        message_id=message_id,
        kind=kind,
        next_attempt_at=at,
        created_at=at,
    )
    try:
        # A savepoint: losing the race to another worker must not break the caller's transaction.
        with transaction.atomic():
            email.save()
    except IntegrityError:
        return None
    return email


# --- sending (the worker) -----------------------------------------------------------------------


def message_build(email: OutboundEmail) -> EmailMessage:
    """The MIME message for a queued email, with the headers that thread replies back."""
    msg = EmailMessage()
    msg["From"] = settings.BACKLINE_MAIL_FROM
    msg["To"] = email.to_address
    msg["Subject"] = email.subject
    msg["Date"] = formatdate(email.created_at.timestamp(), usegmt=True)
    msg["Message-ID"] = email.message_id
    if email.in_reply_to:
        msg["In-Reply-To"] = email.in_reply_to
    if email.references:
        msg["References"] = email.references
    if email.reply_to:
        msg["Reply-To"] = email.reply_to
    # Tells auto-responders (RFC 3834) and Exchange not to answer: no out-of-office loops.
    msg["Auto-Submitted"] = "auto-generated"
    msg["X-Auto-Response-Suppress"] = "All"
    msg.set_content(email.text_body)
    if email.html_body:
        msg.add_alternative(email.html_body, subtype="html")
    return msg


def smtp_deliver(msg: EmailMessage) -> tuple[int | None, str]:
    """Send one message: (SMTP code of a refusal or None on a connection problem, error text);
    (250, "") when the server accepted it."""
    timeout = _setting("BACKLINE_SMTP_TIMEOUT_SECONDS", 30)
    try:
        client = smtplib.SMTP(
            settings.BACKLINE_SMTP_HOST, settings.BACKLINE_SMTP_PORT, timeout=timeout
        )
    except (OSError, smtplib.SMTPException) as exc:
        return None, f"Connection failed: {type(exc).__name__}: {exc}"
    try:
        if settings.BACKLINE_SMTP_STARTTLS:
            client.starttls(context=ssl.create_default_context())
        if settings.BACKLINE_SMTP_USER:
            client.login(settings.BACKLINE_SMTP_USER, settings.BACKLINE_SMTP_PASSWORD)
        client.send_message(msg)
    except smtplib.SMTPAuthenticationError as exc:
        # A 535 is about our login, not this email: retry once an admin fixes the password.
        return None, f"Login refused: {exc.smtp_code} {_text(exc.smtp_error)}"
    except smtplib.SMTPRecipientsRefused as exc:
        code, text = next(iter(exc.recipients.values()))
        return code, f"{code} {_text(text)}"
    except smtplib.SMTPResponseException as exc:
        return exc.smtp_code, f"{exc.smtp_code} {_text(exc.smtp_error)}"
    except (OSError, smtplib.SMTPException) as exc:
        return None, f"{type(exc).__name__}: {exc}"
    finally:
        try:
            client.quit()
        except (OSError, smtplib.SMTPException):
            client.close()  # the message was accepted or refused already; closing is enough
    return 250, ""


def _text(value: bytes | str) -> str:
    return value.decode(errors="replace") if isinstance(value, bytes) else str(value)


def _due(now: datetime) -> Q:
    lease = timedelta(seconds=_setting("BACKLINE_MAIL_LEASE_SECONDS", 300))
    return Q(status=EmailStatus.PENDING, next_attempt_at__lte=now) | Q(
        status=EmailStatus.SENDING, claimed_at__lt=now - lease
    )


def email_claim(email_pk: int, *, now: datetime) -> bool:
    """Take a due email for this worker (False: another worker has it)."""
    return bool(
        OutboundEmail.objects.filter(_due(now), pk=email_pk).update(
            status=EmailStatus.SENDING, claimed_at=now
        )
    )


def email_send(email: OutboundEmail, *, now: datetime) -> str:
    """Send a claimed email once and record the outcome: sent, retrying or failed."""
    try:
        code, error = smtp_deliver(message_build(email))
    except Exception as exc:  # anything unforeseen is one failed attempt, never a stuck row
        logger.exception("email %s failed", email.pk)
        code, error = None, f"{type(exc).__name__}: {exc}"
    attempts = email.attempts + 1
    changes: dict[str, Any] = {"attempts": attempts, "claimed_at": None}
    if not error:
        outcome = "sent"
        changes.update(status=EmailStatus.SENT, sent_at=now, next_attempt_at=None, last_error="")
    elif rules.is_permanent(code) or rules.gives_up(
        attempts, int(_setting("BACKLINE_MAIL_MAX_ATTEMPTS", 6))
    ):
        outcome = "failed"
        changes.update(status=EmailStatus.FAILED, next_attempt_at=None, last_error=error[:2000])
    else:
        outcome = "retrying"
        delay = rules.retry_delay(
            attempts,
            base=_setting("BACKLINE_MAIL_RETRY_BASE_SECONDS", 60),
            cap=_setting("BACKLINE_MAIL_RETRY_CAP_SECONDS", 6 * 3600),
            jitter=_random.random(),
        )
        changes.update(
            status=EmailStatus.PENDING, next_attempt_at=now + delay, last_error=error[:2000]
        )
    # Only while this worker still holds the claim: a slower one must not undo a newer result.
    OutboundEmail.objects.filter(
        pk=email.pk, status=EmailStatus.SENDING, claimed_at=email.claimed_at
    ).update(**changes)
    return outcome


def emails_send(*, now: datetime) -> dict[str, int]:
    """Send the emails that are due (the worker's sweep): pending ones whose time has come, and
    ones a killed worker left `sending` once their lease ran out. Safe with many workers: each
    email is claimed with a conditional update."""
    if not mail_enabled():
        return {}
    counts = {"queued": emails_queue_missed(now=now), "sent": 0, "retrying": 0, "failed": 0}
    batch = int(_setting("BACKLINE_MAIL_BATCH", 50))
    due = list(
        OutboundEmail.objects.filter(_due(now))
        .order_by("next_attempt_at", "pk")
        .values_list("pk", flat=True)[:batch]
    )
    for pk in due:
        if not email_claim(pk, now=now):
            continue
        email = OutboundEmail.objects.get(pk=pk)
        counts[email_send(email, now=now)] += 1
    return {k: v for k, v in counts.items() if v}
