"""Every knowledge-base write: articles and their versions, state changes, feedback, review
tasks, articles used on tickets, knowledge decisions and the per-team policy."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Max
from django.utils import timezone

from backline.accounts.models import Team, User
from backline.cmdb.models import ConfigurationItem, Service
from backline.core.errors import (
    Conflict,
    DomainError,
    NotFound,
    PermissionDenied,
    from_validation_error,
)
from backline.knowledge import queries, rules
from backline.knowledge.choices import (
    ArticleEventKind,
    ArticleState,
    Audience,
    Decision,
    ReviewState,
    UseKind,
)
from backline.knowledge.index import article_reindex
from backline.knowledge.models import (
    CONTENT_FIELDS,
    Article,
    ArticleEvent,
    ArticleFeedback,
    ArticleReview,
    ArticleUse,
    ArticleVersion,
    KnowledgeDecision,
    KnowledgePolicy,
)
from backline.notifications.choices import NotificationKind
from backline.notifications.services import notify
from backline.tickets.choices import EventKind, ResolutionCode
from backline.tickets.models import Category, Ticket
from backline.tickets.permissions import require_staff, require_view
from backline.tickets.services import event_record, ticket_create, ticket_transition

_TEXT_LIMITS = {"symptoms": 20_000, "cause": 20_000, "resolution": 50_000, "body": 100_000}


def _check_content(fields: dict[str, Any]) -> None:
    title = (fields.get("title") or "").strip()
    if not title:
        raise DomainError("Title is required.", field="title")
    fields["title"] = title
    for name, limit in _TEXT_LIMITS.items():
        value = fields.get(name) or ""
        if len(value) > limit:
            raise DomainError(f"At most {limit:,} characters.", field=name)
        fields[name] = value.strip()
    fields["keywords"] = ", ".join(
        w.strip() for w in (fields.get("keywords") or "").split(",") if w.strip()
    )
    if fields.get("audience", Audience.L1) not in Audience.values:
        raise DomainError(f"Unknown audience {fields['audience']!r}.", field="audience")


def _clean(article: Article) -> None:
    try:
        article.full_clean(
            exclude=("owner", "created_by", "category", "source_ticket"), validate_constraints=False
        )
    except ValidationError as exc:
        raise from_validation_error(exc) from exc


def _record(article: Article, kind: str, actor: User | None, at: datetime, note: str = "") -> None:
    ArticleEvent.objects.create(article=article, kind=kind, actor=actor, at=at, note=note)


def _snapshot(article: Article, *, author: User, at: datetime, note: str) -> ArticleVersion:
    # Content versions count 1, 2, 3…; `article.version` is the lock and also moves on state
    # changes and metadata edits, so it is not the version label.
    last = article.versions.aggregate(n=Max("number"))["n"] or 0
    return ArticleVersion.objects.create(
        article=article,
        number=last + 1,
        author=author,
        created_at=at,
        note=note[:300],
        **{f: getattr(article, f) for f in CONTENT_FIELDS},
    )


def _check_owner(owner: User) -> None:
    if not owner.is_active or not owner.is_staff_member:
        raise DomainError(f"{owner.display_name} cannot own articles.", field="owner")


def article_create(
    *,
    actor: User,
    title: str,
    symptoms: str = "",
    cause: str = "",
    resolution: str = "",
    body: str = "",
    keywords: str = "",
    audience: str = Audience.L1,
    category: Category | None = None,
    services: Iterable[Service] = (),
    cis: Iterable[ConfigurationItem] = (),
    owner: User | None = None,
    review_by: date | None = None,
    source_ticket: Ticket | None = None,
    note: str = "",
    at: datetime | None = None,
) -> Article:
    """Write a new draft article (version 1); the author owns it unless someone else is named."""
    require_staff(actor, "write knowledge articles")
    fields: dict[str, Any] = {
        "title": title, "symptoms": symptoms, "cause": cause, "resolution": resolution,
        "body": body, "keywords": keywords, "audience": audience,
    }  # fmt: skip
    _check_content(fields)
    owner = owner or actor
    _check_owner(owner)
    if source_ticket is not None:
        require_view(actor, source_ticket)
    now = at or timezone.now()
    article = Article(
        **fields,
        category=category,
        owner=owner,
        review_by=review_by,
        source_ticket=source_ticket,
        created_by=actor,
        created_at=now,
        updated_at=now,
    )
    _clean(article)
    with transaction.atomic():
        article.save()
        article.services.set(list(services))
        article.cis.set(list(cis))
        _snapshot(article, author=actor, at=now, note=note or "First version")
        _record(article, ArticleEventKind.CREATED, actor, now)
        article_reindex(article)
    return article


def _lock(article: Article, version: int | None) -> Article:
    fresh = Article.objects.select_for_update().filter(pk=article.pk).first()
    if fresh is None:
        raise NotFound(f"No article {article.number}.")
    if version is not None and fresh.version != version:
        editor = fresh.versions.select_related("author").order_by("-number").first()
        who = editor.author.display_name if editor else "someone"
        raise Conflict(
            f"{who} changed {fresh.number} since you opened it (now version {fresh.version}). "
            "Reload to see their changes.",
            field="version",
        )
    return fresh


def _require_edit(actor: User, article: Article) -> None:
    reader = queries.reader_of(actor)
    if not reader.staff:
        raise PermissionDenied("Only support staff can edit knowledge articles.")
    if article.state == ArticleState.RETIRED:
        raise DomainError("Restore the article to draft before editing it.", field="state")
    if not reader.editor and not (
        article.owner_id == actor.pk and article.state == ArticleState.DRAFT
    ):
        raise PermissionDenied("Level 1 agents can edit only their own drafts.")


def article_update(
    *,
    actor: User,
    article: Article,
    version: int | None = None,
    note: str = "",
    at: datetime | None = None,
    **changes: Any,
) -> Article:
    """Edit an article; a change of content writes a new version, metadata changes do not."""
    allowed = {*CONTENT_FIELDS, "category", "services", "cis", "owner", "review_by"}
    unknown = set(changes) - allowed
    if unknown:
        raise DomainError(f"Unknown field {sorted(unknown)[0]!r}.", field=sorted(unknown)[0])
    now = at or timezone.now()
    with transaction.atomic():
        fresh = _lock(article, version)
        _require_edit(actor, fresh)
        content = {f: changes.get(f, getattr(fresh, f)) for f in CONTENT_FIELDS}
        _check_content(content)
        changed_content = any(content[f] != getattr(fresh, f) for f in CONTENT_FIELDS)
        changed_meta = (
            any(f in changes and changes[f] != getattr(fresh, f) for f in ("category", "review_by"))
            or (changes.get("owner") is not None and changes["owner"] != fresh.owner)
        ) or any(
            changes.get(rel) is not None
            and {o.pk for o in changes[rel]}
            != set(getattr(fresh, rel).values_list("pk", flat=True))
            for rel in ("services", "cis")
        )
        if not changed_content and not changed_meta:
            return fresh  # nothing to save: no new version, no event
        for f, value in content.items():
            setattr(fresh, f, value)
        for f in ("category", "review_by"):
            if f in changes:
                setattr(fresh, f, changes[f])
        if changes.get("owner") is not None:
            _check_owner(changes["owner"])
            fresh.owner = changes["owner"]
        _clean(fresh)
        fresh.version += 1
        fresh.updated_at = now
        fresh.save()
        for rel in ("services", "cis"):
            if changes.get(rel) is not None:
                getattr(fresh, rel).set(list(changes[rel]))
        if changed_content:
            _snapshot(fresh, author=actor, at=now, note=note)
        _record(fresh, ArticleEventKind.EDITED, actor, now, note)
        article_reindex(fresh)
    return fresh


_TRANSITION_EVENTS = {
    "submit": ArticleEventKind.SUBMITTED,
    "publish": ArticleEventKind.PUBLISHED,
    "reject": ArticleEventKind.REJECTED,
    "retire": ArticleEventKind.RETIRED,
    "restore": ArticleEventKind.RESTORED,
}


def article_transition(
    *,
    actor: User,
    article: Article,
    action: str,
    note: str = "",
    version: int | None = None,
    at: datetime | None = None,
) -> Article:
    """Move an article through draft → review → published → retired (rules.TRANSITIONS)."""
    reader = queries.reader_of(actor)
    if not reader.staff:
        raise PermissionDenied("Only support staff can change an article's state.")
    now = at or timezone.now()
    with transaction.atomic():
        fresh = _lock(article, version)
        transition = rules.check_transition(fresh.state, action, editor=reader.editor, note=note)
        if action == "submit" and not reader.editor and fresh.owner_id != actor.pk:
            raise PermissionDenied("Only the owner can submit this draft.")
        fresh.state = transition.target
        if transition.target == ArticleState.PUBLISHED:
            fresh.published_at = now
            if fresh.review_by is None or fresh.review_by <= timezone.localdate(now):
                # A published article is checked again within six months by default.
                fresh.review_by = timezone.localdate(now) + rules.REVIEW_PERIOD
        fresh.version += 1
        fresh.updated_at = now
        fresh.save()
        _record(fresh, _TRANSITION_EVENTS[action], actor, now, note.strip())
        article_reindex(fresh)
    return fresh


def article_viewed(*, article: Article) -> None:
    """Count one reading of the article."""
    Article.objects.filter(pk=article.pk).update(view_count=F("view_count") + 1)


def article_feedback(
    *,
    actor: User,
    article: Article,
    helpful: bool,
    comment: str = "",
    ticket: Ticket | None = None,
    at: datetime | None = None,
) -> ArticleFeedback:
    """Record a reader's vote (a second vote replaces the first); "not helpful" with a comment
    opens a review task for the owner."""
    queries.article_get(actor, article.pk)
    comment = (comment or "").strip()
    if len(comment) > 5000:
        raise DomainError("At most 5,000 characters.", field="comment")
    if ticket is not None:
        require_view(actor, ticket)
    now = at or timezone.now()
    with transaction.atomic():
        feedback, _ = ArticleFeedback.objects.update_or_create(
            article=article,
            user=actor,
            defaults={"helpful": helpful, "comment": comment, "ticket": ticket, "created_at": now},
        )
        open_for_vote = ArticleReview.objects.filter(feedback=feedback, state=ReviewState.OPEN)
        if not helpful and comment and not open_for_vote.update(reason=comment):
            # A reader who votes again while their review is open refines it, not duplicates it.
            _open_review(article, feedback=feedback, reason=comment, actor=actor, at=now)
    return feedback


def _open_review(
    article: Article,
    *,
    feedback: ArticleFeedback | None,
    reason: str,
    actor: User | None,
    at: datetime,
) -> ArticleReview:
    review = ArticleReview.objects.create(
        article=article, feedback=feedback, reason=reason, assignee=article.owner, created_at=at
    )
    _record(article, ArticleEventKind.REVIEW_OPENED, actor, at, reason)
    notify(
        recipients=[article.owner],
        kind=NotificationKind.KB_REVIEW,
        title=f"{article.number} needs a review",
        body=reason[:500],
        url=f"/kb/{article.number}",
        actor=actor,
        at=at,
    )
    return review


def review_close(
    *, actor: User, review: ArticleReview, outcome: str, at: datetime | None = None
) -> ArticleReview:
    """Close a review task with what was done about it (the owner or an editor)."""
    reader = queries.reader_of(actor)
    if review.assignee_id != actor.pk and not reader.editor:
        raise PermissionDenied("Only the article's owner or an editor can close this review.")
    if not (outcome or "").strip():
        raise DomainError("Say what you did about it.", field="outcome")
    now = at or timezone.now()
    with transaction.atomic():
        fresh = ArticleReview.objects.select_for_update().get(pk=review.pk)
        if fresh.state != ReviewState.OPEN:
            raise Conflict("This review is already closed.", field="state")
        fresh.state, fresh.closed_at, fresh.closed_by = ReviewState.DONE, now, actor
        fresh.outcome = outcome.strip()
        fresh.save()
        _record(fresh.article, ArticleEventKind.REVIEW_DONE, actor, now, fresh.outcome)
    return fresh


def stale_reviews_open(*, today: date | None = None) -> dict[str, int]:
    """Open a review task for each published article past its review-by day that has none."""
    today = today or timezone.localdate()
    now = timezone.now()
    opened = 0
    stale = Article.objects.filter(state=ArticleState.PUBLISHED, review_by__lt=today).exclude(
        reviews__state=ReviewState.OPEN
    )
    for article in stale.select_related("owner")[:500]:
        with transaction.atomic():
            # Two workers may sweep at once: the row lock lets only the first open the task.
            Article.objects.select_for_update().filter(pk=article.pk).first()
            if article.reviews.filter(state=ReviewState.OPEN).exists():
                continue
            _open_review(
                article,
                feedback=None,
                reason=f"Review-by date {article.review_by:%Y-%m-%d} has passed.",
                actor=None,
                at=now,
            )
        opened += 1
    return {"opened": opened}


def article_use(
    *,
    actor: User,
    article: Article,
    ticket: Ticket,
    solved: bool = False,
    at: datetime | None = None,
) -> ArticleUse:
    """Link an article to a ticket, or record that it solved the ticket (counts for deflection)."""
    require_staff(actor, "link articles to tickets")
    require_view(actor, ticket)
    queries.article_get(actor, article.pk)
    if solved and article.state != ArticleState.PUBLISHED:
        raise DomainError("Only a published article can be recorded as the fix.", field="article")
    kind = UseKind.SOLVED if solved else UseKind.LINKED
    now = at or timezone.now()
    existing = ArticleUse.objects.filter(article=article, ticket=ticket, kind=kind).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            use = ArticleUse.objects.create(
                article=article, ticket=ticket, kind=kind, by=actor, at=now
            )
            event_record(
                ticket=ticket,
                kind=EventKind.KB_USED if solved else EventKind.KB_LINKED,
                actor=actor,
                at=now,
                data={"article": article.number, "title": article.title, "tier": ticket.tier},
                internal=article.audience == Audience.INTERNAL,
            )
    except IntegrityError:
        # Two clicks at once: the first one recorded it.
        return ArticleUse.objects.get(article=article, ticket=ticket, kind=kind)
    return use


def _package_of(ticket: Ticket) -> dict[str, str]:
    from backline.escalation.queries import ticket_escalations

    escalations = ticket_escalations(ticket)
    if not escalations:
        return {}
    latest = escalations[-1]
    return {
        name: getattr(latest, name) or ""
        for name in ("summary", "hypothesis", "steps_taken", "log_excerpts")
    }


def article_draft_from_ticket(
    *, actor: User, ticket: Ticket, at: datetime | None = None
) -> Article:
    """A draft pre-filled from the ticket, its latest hand-off package and its internal notes,
    linked back to the ticket; for an escalated ticket it is also the knowledge decision."""
    require_staff(actor, "draft knowledge articles")
    require_view(actor, ticket)
    notes = list(
        ticket.comments.filter(is_internal=True)
        .order_by("created_at")
        .values_list("body", flat=True)
    )
    words = [x.name for x in (ticket.service, ticket.ci, ticket.category) if x is not None]
    draft = rules.draft_from_incident(
        title=ticket.title,
        description=ticket.description,
        resolution_notes=ticket.resolution_notes,
        cause_label=ticket.get_cause_code_display() if ticket.cause_code else "",
        package=_package_of(ticket),
        notes=notes[-10:],
        keywords=words,
    )
    now = at or timezone.now()
    with transaction.atomic():
        article = article_create(
            actor=actor,
            title=draft.title,
            symptoms=draft.symptoms,
            cause=draft.cause,
            resolution=draft.resolution,
            body=draft.body,
            keywords=draft.keywords,
            audience=Audience.L1,
            category=ticket.category,
            services=[ticket.service] if ticket.service else [],
            cis=[ticket.ci] if ticket.ci else [],
            source_ticket=ticket,
            note=f"Drafted from {ticket.number}",
            at=now,
        )
        article_use(actor=actor, article=article, ticket=ticket, at=now)
        if queries.was_escalated(ticket):
            _decide(actor, ticket, Decision.DRAFTED, article, "", now)
    return article


def _decide(
    actor: User, ticket: Ticket, decision: str, article: Article | None, reason: str, at: datetime
) -> KnowledgeDecision:
    row, _ = KnowledgeDecision.objects.update_or_create(
        ticket=ticket,
        defaults={
            "decision": decision,
            "article": article,
            "reason": reason,
            "by": actor,
            "at": at,
        },
    )
    event_record(
        ticket=ticket,
        kind=EventKind.KB_DECISION,
        actor=actor,
        at=at,
        data={
            "decision": decision,
            "label": Decision(decision).label,
            "article": article.number if article else None,
            "reason": reason,
            "tier": ticket.tier,
        },
        internal=True,
    )
    return row


def ticket_kb_decide(
    *,
    actor: User,
    ticket: Ticket,
    decision: str,
    article: Article | None = None,
    reason: str = "",
    at: datetime | None = None,
) -> KnowledgeDecision:
    """Record what the resolver decided about knowledge: an existing article linked, a new
    draft written, or no article needed (with the reason)."""
    require_staff(actor, "record knowledge decisions")
    require_view(actor, ticket)
    if decision not in Decision.values:
        raise DomainError(
            f"Unknown decision {decision!r}; expected one of {', '.join(Decision.values)}.",
            field="decision",
        )
    reason = (reason or "").strip()
    if decision == Decision.NOT_NEEDED and not reason:
        raise DomainError("Say why no article is needed.", field="reason")
    if decision != Decision.NOT_NEEDED and article is None:
        raise DomainError("Name the article.", field="article")
    if (
        decision == Decision.DRAFTED
        and article is not None
        and article.source_ticket_id != ticket.pk
    ):
        raise DomainError(f"{article.number} was not drafted from this ticket.", field="article")
    now = at or timezone.now()
    with transaction.atomic():
        if article is not None and decision == Decision.LINKED:
            article_use(actor=actor, article=article, ticket=ticket, at=now)
        return _decide(actor, ticket, decision, article, reason, now)


def ticket_create_solved(
    *, actor: User, article: Article, at: datetime | None = None, **ticket_fields: Any
) -> Ticket:
    """Log a ticket that an article solved on the spot: created, recorded as solved by the
    article and resolved by the agent in one step (the L1 deflection path)."""
    require_staff(actor, "resolve tickets with an article")
    queries.article_get(actor, article.pk)
    if article.state != ArticleState.PUBLISHED:
        raise DomainError("Only a published article can be recorded as the fix.", field="article")
    if ticket_fields.get("team") is None and ticket_fields.get("assignee") is None:
        ticket_fields["assignee"] = actor
    now = at or timezone.now()
    with transaction.atomic():
        ticket = ticket_create(actor=actor, at=now, **ticket_fields)
        article_use(actor=actor, article=article, ticket=ticket, solved=True, at=now)
        return ticket_transition(
            actor=actor,
            ticket=ticket,
            action="resolve",
            resolution_code=ResolutionCode.ADVICE,
            resolution_notes=f"Solved with {article.number}: {article.title}",
            at=now,
        )


def knowledge_policy_set(*, actor: User, team: Team, require_decision: bool) -> KnowledgePolicy:
    """Whether resolving a ticket escalated to `team` needs a knowledge decision first."""
    if not actor.is_manager:
        raise PermissionDenied("Only managers can change knowledge policies.")
    with transaction.atomic():
        policy, _ = KnowledgePolicy.objects.update_or_create(
            team=team, defaults={"require_decision": require_decision, "updated_by": actor}
        )
    return policy
