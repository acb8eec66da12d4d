"""The satisfaction panel on the staff ticket page: the requester's rating and comment."""

from __future__ import annotations

from django.http import HttpRequest

from backline.satisfaction import queries
from backline.satisfaction.choices import Score
from backline.tickets.models import Ticket
from backline.tickets.panels import register_panel


def rating_context(request: HttpRequest, ticket: Ticket) -> dict | None:
    rating = queries.rating_of(ticket)
    if rating is None:
        return None
    return {"rating": rating, "label": Score(rating.score).label}


def register() -> None:
    register_panel(slot="side", template="satisfaction/panels/rating.html", context=rating_context)
