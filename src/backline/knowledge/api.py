"""API: knowledge articles, their versions, feedback, use on tickets, decisions, suggestions,
review tasks, the knowledge policy and the knowledge metrics (KB deflection)."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from ninja import Router, Status

from backline.accounts.models import Team, User
from backline.cmdb.models import ConfigurationItem, Service
from backline.core.api import ErrorOut, Id, resolve_refs
from backline.core.errors import DomainError, NotFound
from backline.core.idempotency import run_idempotent
from backline.core.time import local_day_range
from backline.knowledge import queries, rules, services
from backline.knowledge.choices import ArticleState, ReviewState
from backline.knowledge.models import CONTENT_FIELDS, ArticleReview, KnowledgePolicy
from backline.knowledge.schemas import (
    ArticleIn,
    ArticleOut,
    ArticlePage,
    ArticlePatch,
    ArticleTransitionIn,
    DecisionIn,
    DecisionOut,
    DiffOut,
    FeedbackIn,
    FeedbackOut,
    KnowledgeMetricsOut,
    KnowledgePolicyIn,
    KnowledgePolicyOut,
    ReviewCloseIn,
    ReviewOut,
    SolvedTicketIn,
    SuggestIn,
    SuggestionOut,
    SuggestionsOut,
    UseIn,
    UseOut,
    VersionOut,
)
from backline.knowledge.suggestions import suggestions_for, ticket_text
from backline.tickets.models import Category
from backline.tickets.permissions import require_staff
from backline.tickets.queries import ticket_get
from backline.tickets.schemas import TicketOut

router = Router(tags=["knowledge base"])

ERRORS: dict[int, Any] = dict.fromkeys((400, 401, 403, 404, 409, 413, 422, 429), ErrorOut)

_REFS: dict[str, Any] = {
    "category": Category.objects.all(),
    "owner": User.objects.filter(is_active=True),
}


def _resolve(data: dict[str, Any]) -> dict[str, Any]:
    out = resolve_refs(data, _REFS)
    for name, model in (("services", Service), ("cis", ConfigurationItem)):
        ids = out.get(name)
        if ids is None:
            continue
        found = list(model.objects.filter(pk__in=ids))
        missing = set(ids) - {o.pk for o in found}
        if missing:
            raise DomainError(
                f"No {name[:-1] if name == 'services' else 'ci'} with id {min(missing)}.",
                field=name,
            )
        out[name] = found
    return out


def _out(article: Any) -> Any:
    """The article with the computed parts ArticleOut shows (usage counts, staleness)."""
    article.stats = queries.article_stats(article)
    article.stale = rules.is_stale(article.state, article.review_by, timezone.localdate())
    return article


def _json(article: Any) -> dict:
    return ArticleOut.from_orm(_out(article)).model_dump(mode="json")


def _created(status: int, body: dict, replayed: bool) -> JsonResponse:
    response = JsonResponse(body, status=status)
    if replayed:
        response["Idempotent-Replayed"] = "true"
    return response


@router.get("/articles", response={200: ArticlePage, **ERRORS})
def article_list(
    request: HttpRequest,
    q: str = "",
    state: ArticleState | None = None,
    audience: str = "",
    category: Id | None = None,
    service: Id | None = None,
    stale: bool = False,
    owner: Id | None = None,
    page: int = 1,
    page_size: int = 50,
):
    """Articles the caller may read, newest change first."""
    if page < 1 or not 1 <= page_size <= 200:
        raise DomainError("page must be >= 1 and page_size 1–200.", field="page_size")
    from backline.tickets.queries import paginate

    qs = queries.article_list(
        request.user, q=q[:200], state=state or "", audience=audience[:20], category_id=category,
        service_id=service, stale=stale, owner_id=owner,
    )  # fmt: skip
    result = paginate(qs, page, page_size)
    today = timezone.localdate()
    items = list(result.object_list)
    for a in items:
        a.stale = rules.is_stale(a.state, a.review_by, today)
    return {
        "items": items,
        "count": result.paginator.count,
        "page": result.number,
        "page_size": page_size,
        "pages": result.paginator.num_pages,
    }


@router.post("/articles", response={201: ArticleOut, 200: ArticleOut, **ERRORS})
def article_create(request: HttpRequest, payload: ArticleIn):
    """Write a draft article. With an `Idempotency-Key` header a retry returns the same article."""
    data = payload.dict()

    def create() -> tuple[int, dict]:
        article = services.article_create(actor=request.user, **_resolve(data))
        return 201, _json(article)

    return _created(
        *run_idempotent(
            user=request.user,
            scope="article_create",
            key=request.headers.get("Idempotency-Key"),
            payload=data,
            create=create,
        )
    )


@router.get("/articles/{number}", response={200: ArticleOut, **ERRORS})
def article_get(request: HttpRequest, number: str):
    article = queries.article_get(request.user, number)
    services.article_viewed(article=article)
    article.view_count += 1
    return _out(article)


@router.patch("/articles/{number}", response={200: ArticleOut, **ERRORS})
def article_update(request: HttpRequest, number: str, payload: ArticlePatch):
    """Edit an article; send the `version` you read (a stale one gets 409)."""
    article = queries.article_get(request.user, number)
    data = payload.dict(exclude_unset=True)
    version = data.pop("version")
    note = data.pop("note", "")
    article = services.article_update(
        actor=request.user, article=article, version=version, note=note, **_resolve(data)
    )
    return _out(article)


@router.post("/articles/{number}/transition", response={200: ArticleOut, **ERRORS})
def article_transition(request: HttpRequest, number: str, payload: ArticleTransitionIn):
    article = queries.article_get(request.user, number)
    article = services.article_transition(actor=request.user, article=article, **payload.dict())
    return _out(article)


@router.get("/articles/{number}/versions", response={200: list[VersionOut], **ERRORS})
def article_versions(request: HttpRequest, number: str):
    article = queries.article_get(request.user, number)
    return list(queries.article_versions(article))


@router.get("/articles/{number}/diff", response={200: list[DiffOut], **ERRORS})
def article_diff(request: HttpRequest, number: str, a: int, b: int):
    """What changed between versions `a` and `b`, field by field, line by line."""
    article = queries.article_get(request.user, number)
    found = {v.number: v for v in article.versions.filter(number__in=[a, b])}
    for n, name in ((a, "a"), (b, "b")):
        if n not in found:
            raise DomainError(f"{article.number} has no version {n}.", field=name)
    diff = rules.diff_versions(
        queries.version_content(found[a]), queries.version_content(found[b]), CONTENT_FIELDS
    )
    return [{"field": d.field, "lines": d.lines} for d in diff]


@router.post("/articles/{number}/feedback", response={200: FeedbackOut, **ERRORS})
def article_feedback(request: HttpRequest, number: str, payload: FeedbackIn):
    """Vote helpful or not; "not helpful" with a comment opens a review task for the owner."""
    article = queries.article_get(request.user, number)
    ticket = ticket_get(request.user, payload.ticket) if payload.ticket else None
    feedback = services.article_feedback(
        actor=request.user,
        article=article,
        helpful=payload.helpful,
        comment=payload.comment,
        ticket=ticket,
    )
    return {
        "article": article.number,
        "helpful": feedback.helpful,
        "comment": feedback.comment,
        # the vote's review task (opened now, or refined when one was already open)
        "review_opened": ArticleReview.objects.filter(
            feedback=feedback, state=ReviewState.OPEN
        ).exists(),
        "created_at": feedback.created_at,
    }


@router.post("/articles/{number}/use", response={200: UseOut, **ERRORS})
def article_use(request: HttpRequest, number: str, payload: UseIn):
    """Link the article to a ticket, or (`solved: true`) record it as what solved the ticket."""
    article = queries.article_get(request.user, number)
    ticket = ticket_get(request.user, payload.ticket)
    use = services.article_use(
        actor=request.user, article=article, ticket=ticket, solved=payload.solved
    )
    return {"article": article.number, "ticket": ticket.number, "kind": use.kind, "at": use.at}


@router.post("/tickets/{number}/draft", response={201: ArticleOut, **ERRORS})
def draft_from_ticket(request: HttpRequest, number: str):
    """Draft an article pre-filled from the ticket, its hand-off package and internal notes."""
    ticket = ticket_get(request.user, number)
    article = services.article_draft_from_ticket(actor=request.user, ticket=ticket)
    return Status(201, _out(article))


@router.post("/tickets/{number}/decision", response={200: DecisionOut, **ERRORS})
def ticket_decide(request: HttpRequest, number: str, payload: DecisionIn):
    ticket = ticket_get(request.user, number)
    article = queries.article_get(request.user, payload.article) if payload.article else None
    row = services.ticket_kb_decide(
        actor=request.user,
        ticket=ticket,
        decision=payload.decision,
        article=article,
        reason=payload.reason,
    )
    return {
        "ticket": ticket.number,
        "decision": row.decision,
        "article": row.article.number if row.article else None,
        "reason": row.reason,
        "by": row.by,
        "at": row.at,
    }


def _suggestions_out(found: dict) -> dict:
    def rows(kind: str, resolution: Any) -> list[dict]:
        return [
            SuggestionOut(
                kind=s.hit.kind,
                id=s.hit.object_id,
                number=s.hit.number,
                title=s.hit.title,
                url=s.hit.url,
                score=round(s.hit.score, 4),
                reasons=list(s.hit.reasons),
                status=s.hit.status,
                resolution=resolution(s.obj) if s.obj is not None else "",
            ).model_dump()
            for s in found.get(kind, [])
        ]

    return {
        "articles": rows("article", lambda a: a.resolution),
        "incidents": rows("ticket", lambda t: t.resolution_notes),
        "known_errors": rows("known_error", lambda _: ""),
    }


@router.get("/tickets/{number}/suggestions", response={200: SuggestionsOut, **ERRORS})
def ticket_suggestions(request: HttpRequest, number: str, limit: int = 5):
    """Articles and similar past incidents for a ticket."""
    require_staff(request.user, "see suggestions")
    if not 1 <= limit <= 20:
        raise DomainError("limit must be 1–20.", field="limit")
    ticket = ticket_get(request.user, number)
    found = suggestions_for(
        request.user,
        text=ticket_text(ticket),
        service_id=ticket.service_id,
        ci_id=ticket.ci_id,
        category_id=ticket.category_id,
        exclude_ticket=ticket.pk,
        limit=limit,
    )
    return _suggestions_out(found)


@router.post("/suggestions", response={200: SuggestionsOut, **ERRORS})
def suggest(request: HttpRequest, payload: SuggestIn):
    """Suggestions for a ticket being written (title and description as `text`)."""
    require_staff(request.user, "see suggestions")
    found = suggestions_for(
        request.user,
        text=payload.text,
        service_id=payload.service,
        ci_id=payload.ci,
        category_id=payload.category,
        limit=payload.limit,
    )
    return _suggestions_out(found)


@router.post("/solved-tickets", response={201: TicketOut, 200: TicketOut, **ERRORS})
def create_solved(request: HttpRequest, payload: SolvedTicketIn):
    """Log a ticket an article solved on the spot: created, recorded as solved, resolved."""
    from backline.tickets.api import _resolve as resolve_ticket_refs

    data = payload.dict()
    number = data.pop("article")

    def create() -> tuple[int, dict]:
        article = queries.article_get(request.user, number)
        ticket = services.ticket_create_solved(
            actor=request.user, article=article, **resolve_ticket_refs(data)
        )
        return 201, TicketOut.from_orm(ticket).model_dump(mode="json")

    return _created(
        *run_idempotent(
            user=request.user,
            scope="ticket_create_solved",
            key=request.headers.get("Idempotency-Key"),
            payload={**data, "article": number},
            create=create,
        )
    )


@router.get("/reviews", response={200: list[ReviewOut], **ERRORS})
def review_list(request: HttpRequest, state: str = "open"):
    """Review tasks assigned to the caller."""
    if state not in ("open", "done"):
        raise DomainError("state must be open or done.", field="state")
    return list(queries.reviews_for(request.user, state=state)[:200])


@router.post("/reviews/{review_id}/close", response={200: ReviewOut, **ERRORS})
def review_close(request: HttpRequest, review_id: Id, payload: ReviewCloseIn):
    review = ArticleReview.objects.filter(pk=review_id).first()
    if (
        review is None
        or queries.articles_visible_to(request.user).filter(pk=review.article_id).count() == 0
    ):
        raise NotFound(f"No review task {review_id}.")
    return services.review_close(actor=request.user, review=review, outcome=payload.outcome)


@router.get("/policies", response={200: list[KnowledgePolicyOut], **ERRORS})
def policy_list(request: HttpRequest):
    require_staff(request.user, "see knowledge policies")
    required = set(
        KnowledgePolicy.objects.filter(require_decision=True).values_list("team_id", flat=True)
    )
    return [
        {"team": t.pk, "team_name": t.name, "require_decision": t.pk in required}
        for t in Team.objects.order_by("tier", "name")
    ]


@router.put("/policies/{team_id}", response={200: KnowledgePolicyOut, **ERRORS})
def policy_set(request: HttpRequest, team_id: Id, payload: KnowledgePolicyIn):
    team = Team.objects.filter(pk=team_id).first()
    if team is None:
        raise NotFound(f"No team {team_id}.")
    policy = services.knowledge_policy_set(
        actor=request.user, team=team, require_decision=payload.require_decision
    )
    return {"team": team.pk, "team_name": team.name, "require_decision": policy.require_decision}


@router.get("/metrics", response={200: KnowledgeMetricsOut, **ERRORS})
def metrics(request: HttpRequest, start: date | None = None, end: date | None = None):
    """Knowledge metrics for tickets resolved in [start, end] (local days; default: 30 days),
    including KB deflection as DESIGN.md defines it."""
    require_staff(request.user, "see knowledge metrics")
    since, until = local_day_range(start, end, default_days=30)
    m = queries.kb_metrics(start=since, end=until)
    return {**m, "top_articles": queries.top_articles(start=since, end=until)}
