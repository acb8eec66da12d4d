"""Satisfaction writes: recording a requester's rating and the signed one-click rating links.

A rating belongs to a resolved (or closed) ticket and is the requester's own: it comes either
from a signed link in the "resolved" email (the link proves who clicked, no sign-in) or from the
requester signed in (portal, API). Rating again replaces the score, so a reopened and re-resolved
ticket, or a change of mind, keeps one rating per ticket; each change is a RATED event.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from backline.accounts.models import User
from backline.core.errors import DomainError, NotFound, PermissionDenied
from backline.satisfaction.models import Rating
from backline.tickets import services as tickets
from backline.tickets.choices import EventKind, Status
from backline.tickets.models import Ticket

LINK_SALT = "backline.satisfaction.rating-link"
LINK_MAX_AGE = timedelta(days=30)
COMMENT_MAX = 2000
EVENT_COMMENT_MAX = 300
RATEABLE = (Status.RESOLVED, Status.CLOSED)


def _check_score(score: Any) -> int:
    if isinstance(score, bool) or not isinstance(score, int) or not 1 <= score <= 5:
        raise DomainError("Choose a score from 1 to 5.", code="invalid_score", field="score")
    return score


def _check_comment(comment: str | None) -> str | None:
    if comment is None:
        return None
    comment = comment.strip()
    if "\x00" in comment:
        raise DomainError("The comment contains characters we cannot store.", field="comment")
    if len(comment) > COMMENT_MAX:
        raise DomainError(
            f"Keep the comment under {COMMENT_MAX} characters (it has {len(comment)}).",
            field="comment",
        )
    return comment


def rating_submit(
    *,
    ticket: Ticket,
    score: int,
    comment: str | None = "",
    actor: User | None = None,
    at: datetime | None = None,
) -> Rating:
    """Record (or change) the requester's rating of a resolved or closed ticket.

    `actor` is the requester signed in, or None when a signed link proves the requester.
    `comment=None` keeps the comment already given (a click on another score changes only the
    score). Submitting the same score and comment again changes nothing and records no event."""
    score = _check_score(score)
    comment = _check_comment(comment)
    if actor is not None and actor.is_staff_member:
        # A rating is the requester's own voice: staff filling it in would skew the CSAT.
        raise PermissionDenied("Only the requester of a ticket can rate it.")
    if actor is not None and (not actor.is_active or actor.pk != ticket.requester_id):
        raise NotFound(f"No request {ticket.number} of yours to rate.", field="ticket")
    now = at or timezone.now()
    with transaction.atomic():
        # The ticket row lock serialises two clicks on the same ticket (one rating per ticket).
        fresh = (
            Ticket.objects.select_for_update(of=("self",))
            .select_related("team", "requester")
            .get(pk=ticket.pk)
        )
        if fresh.status not in RATEABLE:
            raise DomainError(
                f"{fresh.number} is not resolved yet: rate it once it is.",
                code="not_resolved",
                field="ticket",
            )
        rating = Rating.objects.filter(ticket=fresh).first()
        previous = rating.score if rating is not None else None
        if rating is None:
            rating = Rating(ticket=fresh, requester=fresh.requester, created_at=now)
        elif (
            rating.score == score
            and (comment is None or rating.comment == comment)
            and rating.tier == fresh.tier
            and rating.team_id == fresh.team_id
        ):
            return rating  # a repeated click: nothing changes
        rating.score = score
        if comment is not None:
            rating.comment = comment
        rating.tier, rating.team = fresh.tier, fresh.team
        rating.updated_at = now
        rating.full_clean(exclude=["ticket", "requester"])
        rating.save()
        data: dict[str, Any] = {
            "score": score,
            "comment": rating.comment[:EVENT_COMMENT_MAX],
            "tier": rating.tier,
            "team": tickets.event_value(rating.team),
            "by": "link" if actor is None else "requester",
        }
        if previous is not None:
            data["previous"] = previous
        tickets.event_record(
            ticket=fresh, kind=EventKind.RATED, actor=actor or fresh.requester, at=now, data=data
        )
    return rating


# --- signed links ---------------------------------------------------------------------------


def _signer() -> signing.TimestampSigner:
    return signing.TimestampSigner(salt=LINK_SALT)


def link_token(ticket: Ticket) -> str:
    """The signed token of a ticket's rating links: it names the ticket and its requester."""
    return _signer().sign_object({"t": ticket.pk, "u": ticket.requester_id})


def rating_link(ticket: Ticket, score: int) -> str:
    """The one-click link that rates `ticket` with `score` for its requester (valid 30 days)."""
    path = reverse("satisfaction:rate", args=[link_token(ticket), _check_score(score)])
    return f"{settings.BACKLINE_BASE_URL.rstrip('/')}{path}"


def rating_links(ticket: Ticket) -> list[tuple[int, str]]:
    """(score, link) for the scores 1 to 5, signed once."""
    token = link_token(ticket)
    base = settings.BACKLINE_BASE_URL.rstrip("/")
    return [(s, f"{base}{reverse('satisfaction:rate', args=[token, s])}") for s in range(1, 6)]


def rating_link_open(token: str) -> Ticket:
    """The ticket a rating link is for; DomainError when the link is expired, tampered with, or
    no longer fits (the ticket is gone, has another requester, or the requester is disabled)."""
    try:
        payload = _signer().unsign_object(token, max_age=LINK_MAX_AGE)
    except signing.SignatureExpired as exc:
        raise DomainError(
            "This rating link has expired. Sign in to rate your request from its page.",
            code="link_expired",
        ) from exc
    except (signing.BadSignature, ValueError, TypeError) as exc:
        raise DomainError("This rating link is not valid.", code="link_invalid") from exc
    if not isinstance(payload, dict) or not isinstance(payload.get("t"), int):
        raise DomainError("This rating link is not valid.", code="link_invalid")
    ticket = Ticket.objects.select_related("requester", "team").filter(pk=payload["t"]).first()
    if ticket is None or ticket.requester_id != payload.get("u") or not ticket.requester.is_active:
        raise DomainError("This rating link is not valid.", code="link_invalid")
    return ticket
