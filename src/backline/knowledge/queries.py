"""Reads for the knowledge base, scoped by who may read which audience."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from backline.accounts.models import User
from backline.core.errors import NotFound
from backline.knowledge import rules
from backline.knowledge.choices import ArticleState, ReviewState, UseKind
from backline.knowledge.models import (
    Article,
    ArticleFeedback,
    ArticleReview,
    ArticleUse,
    ArticleVersion,
    KnowledgeDecision,
    KnowledgePolicy,
)
from backline.tickets.choices import EventKind
from backline.tickets.models import Ticket, TicketEvent


@dataclass(frozen=True)
class Reader:
    """What a user may do in the knowledge base."""

    user_id: int | None
    staff: bool
    tier: int
    manager: bool

    @property
    def audiences(self) -> tuple[str, ...]:
        return rules.readable_audiences(staff=self.staff, tier=self.tier, manager=self.manager)

    @property
    def editor(self) -> bool:
        return rules.is_editor(staff=self.staff, tier=self.tier, manager=self.manager)


def reader_of(user: User) -> Reader:
    """The user's reading rights (their highest team tier decides), cached on the user object."""
    cached = getattr(user, "_kb_reader", None)
    if cached is not None:
        return cached
    if not user.is_authenticated or not user.is_active:
        return Reader(None, False, 0, False)
    tiers = user.memberships.values_list("team__tier", flat=True)
    reader = Reader(user.pk, user.is_staff_member, max(tiers, default=1), user.is_manager)
    user._kb_reader = reader  # type: ignore[attr-defined]
    return reader


def article_scope(user: User, *, state_field: str = "state") -> Q | None:
    """The condition on articles (or on their search documents, whose state is `status`) that
    the user may open: published ones in their audiences; editors every state; other staff also
    their own drafts. None: nothing at all."""
    reader = reader_of(user)
    if reader.user_id is None:
        return None
    if reader.editor:
        return Q()
    published = Q(**{state_field: ArticleState.PUBLISHED}, audience__in=reader.audiences)
    if reader.staff:
        return published | Q(owner_id=reader.user_id)
    return published


def articles_visible_to(user: User) -> QuerySet[Article]:
    """Articles the user may open (see article_scope)."""
    scope = article_scope(user)
    return Article.objects.none() if scope is None else Article.objects.filter(scope)


def article_list(
    user: User,
    *,
    q: str = "",
    state: str = "",
    audience: str = "",
    category_id: int | None = None,
    service_id: int | None = None,
    stale: bool = False,
    owner_id: int | None = None,
    today: date | None = None,
) -> QuerySet[Article]:
    """The KB list page and API list, with counts for each row."""
    qs = articles_visible_to(user).select_related("owner", "category")
    if q.strip():
        words = q.split()
        for word in words[:8]:
            qs = qs.filter(
                Q(title__icontains=word) | Q(keywords__icontains=word) | Q(symptoms__icontains=word)
            )
    if state:
        qs = qs.filter(state=state)
    if audience:
        qs = qs.filter(audience=audience)
    if category_id:
        qs = qs.filter(category_id=category_id)
    if service_id:
        qs = qs.filter(services__id=service_id)
    if owner_id:
        qs = qs.filter(owner_id=owner_id)
    if stale:
        qs = qs.filter(state=ArticleState.PUBLISHED, review_by__lt=today or timezone.localdate())
    return qs.annotate(
        used=Count("uses", filter=Q(uses__kind=UseKind.SOLVED), distinct=True),
    ).order_by("-updated_at", "-id")


def article_get(user: User, number: str | int) -> Article:
    """The article with this number (KB-12 or 12), if the user may read it; NotFound otherwise."""
    pk = parse_number(number)
    article = (
        articles_visible_to(user)
        .select_related("owner", "category", "source_ticket")
        .filter(pk=pk)
        .first()
        if pk
        else None
    )
    if article is None:
        raise NotFound(f"No article {number}.")
    return article


def parse_number(number: str | int) -> int | None:
    """12, "12", "KB-12" or "kb-12" → 12; anything else → None."""
    if isinstance(number, int):
        return number if 0 < number < 2**63 else None
    text = str(number).strip().upper().removeprefix("KB-")
    return int(text) if text.isdecimal() and len(text) <= 18 and int(text) > 0 else None


def article_stats(article: Article) -> dict[str, int]:
    """Views, uses and votes of one article."""
    counts = ArticleFeedback.objects.filter(article=article).aggregate(
        yes=Count("id", filter=Q(helpful=True)), no=Count("id", filter=Q(helpful=False))
    )
    votes = {"helpful": counts["yes"], "not_helpful": counts["no"]}
    uses = ArticleUse.objects.filter(article=article).aggregate(
        solved=Count("id", filter=Q(kind=UseKind.SOLVED)),
        linked=Count("id", filter=Q(kind=UseKind.LINKED)),
    )
    return {"views": article.view_count, **votes, **uses}


def article_versions(article: Article) -> QuerySet[ArticleVersion]:
    return article.versions.select_related("author").order_by("-number")


def version_content(version: ArticleVersion) -> dict[str, str]:
    from backline.knowledge.models import CONTENT_FIELDS

    return {f: getattr(version, f) for f in CONTENT_FIELDS}


def reviews_for(user: User, *, state: str = ReviewState.OPEN) -> QuerySet[ArticleReview]:
    """Review tasks assigned to the user."""
    return (
        ArticleReview.objects.filter(assignee=user, state=state)
        .select_related("article", "feedback", "feedback__user")
        .order_by("created_at")
    )


def ticket_articles(ticket: Ticket) -> list[ArticleUse]:
    """Articles linked to or used on a ticket, newest first."""
    return list(ArticleUse.objects.filter(ticket=ticket).select_related("article", "by"))


def ticket_decision(ticket: Ticket) -> KnowledgeDecision | None:
    return KnowledgeDecision.objects.filter(ticket=ticket).select_related("article", "by").first()


@dataclass(frozen=True)
class TicketKnowledge:
    escalated: bool
    decision_required: bool
    decision: KnowledgeDecision | None


def ticket_knowledge_state(ticket: Ticket) -> TicketKnowledge:
    """Whether the ticket was escalated, whether its team requires a knowledge decision, and the
    decision so far — in one query (plus one when a decision exists)."""
    row = (
        Ticket.objects.filter(pk=ticket.pk)
        .annotate(
            reached=Exists(TicketEvent.objects.filter(ticket_id=OuterRef("pk"), data__tier__gte=2)),
            required=Exists(
                KnowledgePolicy.objects.filter(team_id=OuterRef("team_id"), require_decision=True)
            ),
            decided=Exists(KnowledgeDecision.objects.filter(ticket_id=OuterRef("pk"))),
        )
        .values("reached", "required", "decided")
        .first()
    ) or {"reached": False, "required": False, "decided": False}
    escalated = ticket.tier >= 2 or row["reached"]
    decision = ticket_decision(ticket) if escalated and row["decided"] else None
    return TicketKnowledge(escalated, escalated and row["required"], decision)


def was_escalated(ticket: Ticket) -> bool:
    """The ticket reached Level 2 or higher at some point (read from its events)."""
    return ticket.tier >= 2 or TicketEvent.objects.filter(ticket=ticket, data__tier__gte=2).exists()


def kb_metrics(*, start: datetime, end: datetime) -> dict[str, Any]:
    """Knowledge metrics for tickets resolved in [start, end), read from events.

    KB deflection (DESIGN.md) = L1-resolved tickets that used an article / L1-resolved tickets,
    where L1-resolved means resolved in the period and never at tier >= 2, and "used" means an
    article was recorded as what solved it (`kb_used` event).
    """
    resolved = TicketEvent.objects.filter(
        kind=EventKind.STATUS_CHANGED, data__to="resolved", at__gte=start, at__lt=end
    ).values("ticket_id")
    reached_l2 = TicketEvent.objects.filter(ticket_id=OuterRef("pk"), data__tier__gte=2)
    used = TicketEvent.objects.filter(ticket_id=OuterRef("pk"), kind=EventKind.KB_USED)
    l1 = Ticket.objects.filter(pk__in=resolved).annotate(l2=Exists(reached_l2)).filter(l2=False)
    counts = l1.annotate(kb=Exists(used)).aggregate(
        total=Count("id"), with_kb=Count("id", filter=Q(kb=True))
    )
    states = dict(
        Article.objects.values_list("state").annotate(n=Count("id")).values_list("state", "n")
    )
    votes = ArticleFeedback.objects.filter(created_at__gte=start, created_at__lt=end).aggregate(
        yes=Count("id", filter=Q(helpful=True)), total=Count("id")
    )
    rate = rules.deflection_rate(counts["total"], counts["with_kb"])
    return {
        "start": start,
        "end": end,
        "l1_resolved": counts["total"],
        "l1_resolved_with_kb": counts["with_kb"],
        "deflection_rate": round(rate, 4) if rate is not None else None,
        "articles_by_state": {s: states.get(s, 0) for s in ArticleState.values},
        "stale_articles": Article.objects.filter(
            state=ArticleState.PUBLISHED, review_by__lt=timezone.localdate()
        ).count(),
        "feedback_votes": votes["total"],
        "helpful_share": round(votes["yes"] / votes["total"], 4) if votes["total"] else None,
        "open_reviews": ArticleReview.objects.filter(state=ReviewState.OPEN).count(),
    }


def top_articles(*, start: datetime, end: datetime, limit: int = 10) -> list[dict[str, Any]]:
    """Articles most often recorded as solving tickets in the period."""
    rows = (
        ArticleUse.objects.filter(kind=UseKind.SOLVED, at__gte=start, at__lt=end)
        .values("article_id", "article__title")
        .annotate(n=Count("id"))
        .order_by("-n", "article_id")[:limit]
    )
    return [
        {
            "number": f"KB-{r['article_id']}",
            "id": r["article_id"],
            "title": r["article__title"],
            "used": r["n"],
        }
        for r in rows
    ]
