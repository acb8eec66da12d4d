"""Portal writes: asking for help, confirming or rejecting a resolution, and signed links.

Tickets are created, answered and given files through the ticket services. Confirming and
rejecting a resolution are the two status moves a requester makes: `ticket_transition` is for
support staff only (it refuses requesters), so the moves are written here, through the same
status table (`tickets.rules`), the same signals and the same event as a staff transition, with
the requester as the actor.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from backline.accounts.choices import Role
from backline.accounts.models import User
from backline.cmdb.models import Service
from backline.core.errors import Conflict, DomainError, NotFound, PermissionDenied
from backline.tickets import rules, signals
from backline.tickets import services as tickets
from backline.tickets.choices import EventKind, Source
from backline.tickets.models import Ticket

LINK_SALT = "backline.portal.ticket-link"
DEFAULT_LINK_MAX_AGE_DAYS = 7


def portal_ticket_create(
    *,
    actor: User,
    title: str,
    description: str = "",
    service: Service | None = None,
    upload: UploadedFile | None = None,
) -> Ticket:
    """Raise a ticket from the portal (with an optional file), all or nothing."""
    with transaction.atomic():
        ticket = tickets.ticket_create(
            actor=actor,
            title=title,
            description=description,
            service=service,
            source=Source.PORTAL,
        )
        if upload is not None:
            tickets.ticket_attach(actor=actor, ticket=ticket, upload=upload)
    return ticket


def _require_requester_of(actor: User, ticket: Ticket) -> None:
    if not actor.is_active or ticket.requester_id != actor.pk:
        raise NotFound(f"No request {ticket.number}.")


def _requester_transition(
    *, actor: User, ticket: Ticket, action: str, version: int | None, note: str, now: datetime
) -> Ticket:
    """Apply `action` (close or reopen) for the requester; call inside a transaction."""
    fresh = Ticket.objects.select_for_update(of=("self",)).get(pk=ticket.pk)
    if version is not None and fresh.version != version:
        raise Conflict(
            f"{fresh.number} changed while you were reading it. Reload and try again.",
            code="version_conflict",
            field="version",
        )
    transition = rules.check_transition(fresh.status, action, {})
    signals.ticket_transition_requested.send(
        sender=Ticket, ticket=fresh, actor=actor, action=action
    )
    old_status = fresh.status
    fresh.status = transition.target
    if action == "reopen":
        # As a staff reopen: the old resolution stays on the timeline, the ticket drops it.
        fresh.reopen_count += 1
        fresh.resolved_at = None
        fresh.resolution_code = fresh.resolution_notes = fresh.cause_code = ""
    else:
        fresh.closed_at = now
    fresh.version += 1
    fresh.updated_at = now
    fresh.save()
    data: dict[str, Any] = {
        "from": old_status,
        "to": fresh.status,
        "action": action,
        "by": "requester",
    }
    if note:
        data["note"] = note
    tickets.event_record(
        ticket=fresh, kind=EventKind.STATUS_CHANGED, actor=actor, at=now, data=data
    )
    signals.ticket_transitioned.send(
        sender=Ticket,
        ticket=fresh,
        actor=actor,
        at=now,
        before=old_status,
        after=fresh.status,
        action=action,
    )
    return fresh


def resolution_confirm(
    *, actor: User, ticket: Ticket, version: int | None = None, at: datetime | None = None
) -> Ticket:
    """The requester confirms the fix: the resolved ticket is closed."""
    _require_requester_of(actor, ticket)
    now = at or timezone.now()
    with transaction.atomic():
        return _requester_transition(
            actor=actor,
            ticket=ticket,
            action="close",
            version=version,
            note="Confirmed as fixed by the requester.",
            now=now,
        )


def resolution_reject(
    *,
    actor: User,
    ticket: Ticket,
    comment: str,
    version: int | None = None,
    at: datetime | None = None,
) -> Ticket:
    """The requester says it is still broken: the comment becomes a public reply, it reopens."""
    _require_requester_of(actor, ticket)
    comment = (comment or "").strip()
    if not comment:
        raise DomainError("Tell us what is still wrong.", field="comment")
    now = at or timezone.now()
    with transaction.atomic():
        fresh = _requester_transition(
            actor=actor,
            ticket=ticket,
            action="reopen",
            version=version,
            note="Rejected by the requester: still broken.",
            now=now,
        )
        tickets.ticket_comment(actor=actor, ticket=fresh, body=comment, at=now)
    return fresh


def _signer() -> signing.TimestampSigner:
    return signing.TimestampSigner(salt=LINK_SALT)


def link_max_age() -> timedelta:
    """How long a signed link works (BACKLINE_PORTAL_LINK_MAX_AGE_DAYS, read at call time)."""
    days = getattr(settings, "BACKLINE_PORTAL_LINK_MAX_AGE_DAYS", DEFAULT_LINK_MAX_AGE_DAYS)
    return timedelta(days=days)


def signed_link(ticket: Ticket, user: User) -> str:
    """A link for notification emails that signs `user` (the ticket's requester, a requester by
    role) into the portal and opens the ticket; valid for BACKLINE_PORTAL_LINK_MAX_AGE_DAYS."""
    if user.role != Role.REQUESTER or user.is_superuser or ticket.requester_id != user.pk:
        raise PermissionDenied("Signed links are only for the requester of the ticket.")
    token = _signer().sign_object({"u": user.pk, "t": ticket.pk})
    path = reverse("portal:link", args=[token])
    return f"{settings.BACKLINE_BASE_URL.rstrip('/')}{path}"


def signed_link_open(token: str) -> tuple[User, Ticket]:
    """The requester and ticket a signed link is for; DomainError when it is expired, tampered
    with, or no longer fits (the user is disabled, is no longer a requester, or lost the ticket)."""
    try:
        payload = _signer().unsign_object(token, max_age=link_max_age())
    except signing.SignatureExpired as exc:
        raise DomainError(
            "This link has expired. Sign in to see your request.", code="link_expired"
        ) from exc
    except (signing.BadSignature, ValueError, TypeError) as exc:
        raise DomainError("This link is not valid.", code="link_invalid") from exc
    user = User.objects.filter(pk=payload.get("u"), is_active=True).first()
    ticket = Ticket.objects.filter(pk=payload.get("t")).first()
    if user is None or ticket is None or ticket.requester_id != user.pk:
        raise DomainError("This link is not valid.", code="link_invalid")
    if user.role != Role.REQUESTER or user.is_superuser:
        raise DomainError(
            "Support staff sign in with their password, not with a link.", code="link_staff"
        )
    return user, ticket
