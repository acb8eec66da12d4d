"""API: the ratings list with CSAT (staff), one ticket's rating, and rating as the requester."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router

from backline.core.api import ErrorOut
from backline.core.errors import DomainError, NotFound
from backline.satisfaction import queries, services
from backline.satisfaction.filters import RatingFilter
from backline.satisfaction.schemas import RatingIn, RatingOut, RatingPage
from backline.tickets.queries import paginate, ticket_get

router = Router(tags=["satisfaction"])

ERRORS: dict[int, Any] = dict.fromkeys((400, 401, 403, 404, 409, 422, 429), ErrorOut)


@router.get("/ratings", response={200: RatingPage, **ERRORS})
def rating_list(request: HttpRequest, flt: Query[RatingFilter], page: int = 1, page_size: int = 50):
    """Ratings, newest change first, with the CSAT (share of 4–5, mean) of all that match."""
    if page < 1 or not 1 <= page_size <= 200:
        raise DomainError("page must be >= 1 and page_size 1–200.", field="page_size")
    qs = queries.ratings_list(request.user, flt)
    result = paginate(qs, page, page_size)
    return {
        "items": list(result.object_list),
        "count": result.paginator.count,
        "page": result.number,
        "page_size": page_size,
        "pages": result.paginator.num_pages,
        "summary": queries.csat_summary(qs),
    }


@router.get("/tickets/{number}/rating", response={200: RatingOut, **ERRORS})
def rating_get(request: HttpRequest, number: str):
    """The ticket's rating (staff, or the requester of the ticket); 404 when it has none."""
    ticket = ticket_get(request.user, number)
    rating = queries.rating_of(ticket)
    if rating is None:
        raise NotFound(f"{ticket.number} has no rating.")
    return rating


@router.post("/tickets/{number}/rating", response={200: RatingOut, **ERRORS})
def rating_post(request: HttpRequest, number: str, payload: RatingIn):
    """Rate a resolved or closed ticket as its requester (their own API token); rating again
    replaces the score. Staff cannot rate on anyone's behalf."""
    ticket = ticket_get(request.user, number)
    return services.rating_submit(
        ticket=ticket, score=payload.score, comment=payload.comment, actor=request.user
    )
