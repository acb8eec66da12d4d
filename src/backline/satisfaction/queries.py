"""Satisfaction reads: the ratings list (staff), one ticket's rating, and the CSAT summary."""

from __future__ import annotations

from typing import TypedDict

from django.db.models import Avg, Count, Q, QuerySet

from backline.accounts.models import User
from backline.satisfaction.choices import SATISFIED_MIN
from backline.satisfaction.filters import RatingFilter
from backline.satisfaction.models import Rating
from backline.tickets.models import Ticket
from backline.tickets.permissions import require_staff
from backline.tickets.queries import visible_filter


class CsatSummary(TypedDict):
    count: int
    satisfied: int
    satisfied_share: float | None
    mean: float | None


def ratings_list(user: User, flt: RatingFilter | None = None) -> QuerySet[Rating]:
    """Ratings of tickets the user may see (newest change first) with their ticket, requester and
    team; staff only."""
    require_staff(user, "see satisfaction ratings")
    qs = Rating.objects.select_related("ticket", "requester", "team").order_by("-updated_at", "-id")
    if not user.is_manager:  # managers and admins see every ticket
        qs = qs.filter(visible_filter(user))
    return flt.apply(qs) if flt is not None else qs


def rating_of(ticket: Ticket) -> Rating | None:
    """The ticket's rating, or None (the caller has checked the ticket may be seen)."""
    return Rating.objects.select_related("team", "requester").filter(ticket=ticket).first()


def csat_summary(qs: QuerySet[Rating]) -> CsatSummary:
    """How many ratings, how many are 4–5 and their share (0–1), and the mean score; one query."""
    row = qs.order_by().aggregate(
        count=Count("id"),
        satisfied=Count("id", filter=Q(score__gte=SATISFIED_MIN)),
        mean=Avg("score"),
    )
    count = row["count"] or 0
    satisfied = row["satisfied"] or 0
    return {
        "count": count,
        "satisfied": satisfied,
        "satisfied_share": round(satisfied / count, 4) if count else None,
        "mean": round(float(row["mean"]), 2) if row["mean"] is not None else None,
    }
