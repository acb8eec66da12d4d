"""Suggestions for a ticket or a ticket being typed: similar past incidents (with how they were
resolved) and articles, ranked by the search app's similarity (text plus shared CI, service and
category)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from backline.accounts.models import User
from backline.knowledge.models import Article
from backline.search import queries as search
from backline.search.registry import providers
from backline.tickets.models import Ticket
from backline.tickets.queries import tickets_visible_to

# kind → statuses a suggestion may have (past incidents are resolved or closed)
WANTED: dict[str, list[str] | None] = {
    "article": ["published"],
    "known_error": ["published"],
    "ticket": ["resolved", "closed"],
}


@dataclass(frozen=True)
class Suggestion:
    hit: Any  # search.Hit
    obj: Any  # the Article or Ticket behind it


def suggestions_for(
    user: User,
    *,
    text: str,
    service_id: int | None = None,
    ci_id: int | None = None,
    category_id: int | None = None,
    exclude_ticket: int | None = None,
    limit: int = 5,
) -> dict[str, list[Suggestion]]:
    """Articles and past incidents like this text, best first (empty when there is no text)."""
    out: dict[str, list[Suggestion]] = {"article": [], "ticket": [], "known_error": []}
    if len(text.split()) == 0 or not user.is_staff_member:
        return out
    registered = providers()
    kinds = {k: v for k, v in WANTED.items() if k in registered}
    hits = search.similar(
        user=user,
        text=text,
        kinds=kinds,
        service_id=service_id,
        ci_id=ci_id,
        category_id=category_id,
        exclude=("ticket", exclude_ticket) if exclude_ticket else None,
        limit=limit,
    )
    hits = {kind: strong(found) for kind, found in hits.items()}
    articles = Article.objects.in_bulk([h.object_id for h in hits.get("article", [])])
    tickets = (
        tickets_visible_to(user)
        .select_related("service", "ci")
        .in_bulk([h.object_id for h in hits.get("ticket", [])])
    )
    for kind, objects in (("article", articles), ("ticket", tickets)):
        out[kind] = [
            Suggestion(h, objects[h.object_id])
            for h in hits.get(kind, [])
            if h.object_id in objects
        ]
    known = _known_errors([h.object_id for h in hits.get("known_error", [])])
    out["known_error"] = [
        Suggestion(h, known.get(h.object_id)) for h in hits.get("known_error", [])
    ]
    return out


# A suggestion scoring under this share of the best one of its kind is noise beside it (one shared
# common word); showing it would teach agents to ignore the panel.
RELATIVE_FLOOR = 0.3


def strong(hits: list[Any]) -> list[Any]:
    best = max((h.score for h in hits), default=0.0)
    return [h for h in hits if h.score >= best * RELATIVE_FLOOR]


def _known_errors(ids: list[int]) -> dict[int, Any]:
    """Known errors by id (problem management registers them with search; none without it)."""
    if not ids:
        return {}
    from django.apps import apps

    return apps.get_model("problems", "KnownError").objects.in_bulk(ids)


def ticket_text(ticket: Ticket) -> str:
    return f"{ticket.title}\n{ticket.description}"
