"""Reads for the requester portal: a user's own requests, their public side only, and the
published public articles that might answer a question before it is asked."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Max, Q, QuerySet

from backline.accounts.models import User
from backline.cmdb.models import Service
from backline.core.errors import NotFound
from backline.knowledge.choices import ArticleState, Audience
from backline.knowledge.models import Article
from backline.knowledge.queries import articles_visible_to, parse_number
from backline.knowledge.suggestions import strong
from backline.search import queries as search
from backline.tickets import rules
from backline.tickets.choices import EventKind, PendingReason, Status
from backline.tickets.models import Attachment, Ticket, TicketEvent
from backline.tickets.queries import tickets_visible_to

# What a requester sees of the timeline: the conversation, shared files and status moves.
PUBLIC_KINDS = (EventKind.CREATED, EventKind.REPLIED, EventKind.ATTACHED, EventKind.STATUS_CHANGED)

_PLAIN_STATUS = {
    Status.NEW: "Received",
    Status.ASSIGNED: "Received",
    Status.IN_PROGRESS: "Being worked on",
    Status.PENDING: "On hold",
    Status.RESOLVED: "Solved: please confirm",
    Status.CLOSED: "Closed",
    Status.CANCELLED: "Cancelled",
}


def plain_status(ticket: Ticket) -> str:
    """The ticket's status in words a requester understands."""
    if ticket.status == Status.PENDING and ticket.pending_reason == PendingReason.REQUESTER:
        return "Waiting for your answer"
    return _PLAIN_STATUS.get(Status(ticket.status), ticket.get_status_display())


def my_requests(user: User) -> QuerySet[Ticket]:
    """The user's own tickets, newest activity first, each with its last public update."""
    return (
        tickets_visible_to(user)
        .filter(requester=user)
        .annotate(
            last_public=Max("events__at", filter=Q(events__is_internal=False)),
        )
        .only("id", "title", "status", "pending_reason", "created_at", "updated_at")
        .order_by("-last_public", "-id")
    )


def my_ticket(user: User, number: str) -> Ticket:
    """One of the user's own tickets; anyone else's (even for staff) is reported as missing."""
    pk = rules.parse_number(number)
    ticket = (
        tickets_visible_to(user).filter(requester=user, pk=pk).select_related("service").first()
        if pk
        else None
    )
    if ticket is None:
        raise NotFound(f"No request {number}.", field="number")
    return ticket


def public_timeline(ticket: Ticket) -> list[TicketEvent]:
    """The ticket's public events, oldest first, with their comment and file joined."""
    return list(
        TicketEvent.objects.filter(ticket=ticket, is_internal=False, kind__in=PUBLIC_KINDS)
        .exclude(comment__is_internal=True)
        .exclude(attachment__is_internal=True)
        .select_related("actor", "comment", "attachment")
        .order_by("at", "id")
    )


def public_attachments(ticket: Ticket) -> list[Attachment]:
    """Files on the ticket that the requester may download, by comment (for the timeline)."""
    return list(ticket.attachments.filter(is_internal=False).order_by("created_at", "id"))


def requestable_services() -> QuerySet[Service]:
    """Services a requester may pick when asking for help (the active ones)."""
    return Service.objects.filter(is_active=True).order_by("name")


def _public_articles(user: User) -> QuerySet[Article]:
    # Portal pages show public articles only, even to staff who could read more.
    return articles_visible_to(user).filter(state=ArticleState.PUBLISHED, audience=Audience.PUBLIC)


@dataclass(frozen=True)
class ArticleSuggestion:
    article: Article
    snippet: str


def article_suggestions(
    user: User, *, text: str, service_id: int | None = None, limit: int = 3
) -> list[ArticleSuggestion]:
    """Published public articles like the text being typed, best first."""
    if len(text.strip()) < 3:
        return []
    hits = search.similar(
        user=user,
        text=text,
        kinds={"article": [ArticleState.PUBLISHED]},
        service_id=service_id,
        limit=limit,
    ).get("article", [])
    hits = strong(hits)
    articles = _public_articles(user).in_bulk([h.object_id for h in hits])
    out = []
    for hit in hits:
        article = articles.get(hit.object_id)
        if article is not None:
            out.append(ArticleSuggestion(article, _snippet(article)))
    return out


def _snippet(article: Article) -> str:
    text = article.symptoms or article.resolution or article.body
    return " ".join(text.split())[:160]


def public_article(user: User, number: str) -> Article:
    """A published public article (KB-12 or 12); NotFound for every other one."""
    pk = parse_number(number)
    article = _public_articles(user).filter(pk=pk).first() if pk else None
    if article is None:
        raise NotFound(f"No article {number}.")
    return article
