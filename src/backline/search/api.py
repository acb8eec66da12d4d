"""API: full-text search and "similar to this text" suggestions."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router

from backline.core.api import ErrorOut
from backline.core.errors import DomainError
from backline.search import queries
from backline.search.registry import providers
from backline.search.schemas import HitOut, SearchOut, SearchParams, SimilarIn

router = Router(tags=["Search"])

ERRORS: dict[int, Any] = dict.fromkeys((400, 401, 403, 404, 422, 429), ErrorOut)
DEFAULT_SIMILAR: dict[str, list[str] | None] = {
    "ticket": ["resolved", "closed"],
    "article": ["published"],
}


def _out(hit: queries.Hit) -> dict[str, Any]:
    return HitOut(
        kind=hit.kind,
        id=hit.object_id,
        number=hit.number,
        title=hit.title,
        url=hit.url,
        snippet=str(hit.snippet),
        score=hit.score,
        status=hit.status,
        updated_at=hit.updated_at,
        reasons=list(hit.reasons),
    ).model_dump(mode="json")


def _check_kinds(kinds: list[str] | None) -> None:
    unknown = sorted(set(kinds or ()) - set(providers()))
    if unknown:
        raise DomainError(f"Unknown kind {', '.join(unknown)}.", field="kind")


@router.get("/search", response={200: SearchOut, **ERRORS})
def search(request: HttpRequest, params: Query[SearchParams]):
    """Search tickets, articles and more: words (all must match), "phrases", prefix*, -word,
    `a OR b`; a number like INC-42 puts that object first."""
    _check_kinds(params.kind)
    result = queries.search(user=request.user, q=params.q, flt=params.to_filter(), page=params.page)
    return {
        "items": [_out(h) for h in result.hits],
        "total": result.total,
        "total_capped": result.total_capped,
        "page": result.page,
        "has_next": result.has_next,
        "terms": list(result.terms),
    }


@router.post("/search/similar", response={200: dict[str, list[HitOut]], **ERRORS})
def similar(request: HttpRequest, payload: SimilarIn):
    """Past tickets and articles like this text (e.g. a ticket being written), best first, with
    the reasons beyond the words (same CI, service, category)."""
    if payload.kinds is not None:
        _check_kinds(list(payload.kinds))
    kinds = payload.kinds if payload.kinds is not None else DEFAULT_SIMILAR
    wanted = {k: v for k, v in kinds.items() if k in providers()}
    hits = queries.similar(
        user=request.user,
        text=payload.text,
        kinds=wanted,
        service_id=payload.service,
        ci_id=payload.ci,
        category_id=payload.category,
        exclude=("ticket", payload.exclude_ticket) if payload.exclude_ticket else None,
        limit=payload.limit,
    )
    return {kind: [_out(h) for h in items] for kind, items in hits.items()}
