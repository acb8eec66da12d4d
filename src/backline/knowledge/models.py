"""Knowledge articles (KB-), their versions, feedback, use on tickets and review tasks."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from backline.knowledge.choices import (
    ArticleEventKind,
    ArticleState,
    Audience,
    Decision,
    ReviewState,
    UseKind,
)

User = settings.AUTH_USER_MODEL

# The parts of an article a version records and a diff compares, in reading order.
CONTENT_FIELDS = ("title", "symptoms", "cause", "resolution", "body", "keywords", "audience")


class Article(models.Model):
    """A knowledge article: symptoms, cause and resolution steps, written for an audience."""

    title = models.CharField(max_length=200)
    symptoms = models.TextField(blank=True, help_text="What the user or the agent sees")
    cause = models.TextField(blank=True)
    resolution = models.TextField(blank=True, help_text="Steps that fix it (Markdown)")
    body = models.TextField(blank=True, help_text="More detail (Markdown)")
    keywords = models.CharField(max_length=300, blank=True)
    category = models.ForeignKey(
        "tickets.Category", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    services = models.ManyToManyField("cmdb.Service", blank=True, related_name="articles")
    cis = models.ManyToManyField("cmdb.ConfigurationItem", blank=True, related_name="articles")
    audience = models.CharField(max_length=10, choices=Audience.choices, default=Audience.L1)
    state = models.CharField(
        max_length=10, choices=ArticleState.choices, default=ArticleState.DRAFT
    )
    owner = models.ForeignKey(User, on_delete=models.PROTECT, related_name="owned_articles")
    review_by = models.DateField(null=True, blank=True, help_text="Stale after this day")
    source_ticket = models.ForeignKey(
        "tickets.Ticket",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="drafted_articles",
    )
    version = models.PositiveIntegerField(default=1)
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    published_at = models.DateTimeField(null=True, blank=True)
    view_count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-updated_at", "-id"]
        indexes = [
            models.Index(fields=["state", "audience"], name="article_state_audience"),
            models.Index(fields=["review_by"], name="article_review_by"),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    @property
    def number(self) -> str:
        return f"KB-{self.pk}"


class ArticleVersion(models.Model):
    """The content of an article as one save left it; versions are never rewritten."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    title = models.CharField(max_length=200)
    symptoms = models.TextField(blank=True)
    cause = models.TextField(blank=True)
    resolution = models.TextField(blank=True)
    body = models.TextField(blank=True)
    keywords = models.CharField(max_length=300, blank=True)
    audience = models.CharField(max_length=10, choices=Audience.choices)
    note = models.CharField(max_length=300, blank=True, help_text="What changed")
    author = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["article", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["article", "number"], name="article_version_unique")
        ]

    def __str__(self) -> str:
        return f"KB-{self.article_id} v{self.number}"


class ArticleEvent(models.Model):
    """One step in an article's life: created, edited, submitted, published, retired…"""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=20, choices=ArticleEventKind.choices)
    actor = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField()
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"KB-{self.article_id} {self.kind}"


class ArticleFeedback(models.Model):
    """A reader's helpful / not helpful vote, with an optional comment; one per reader."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="feedback")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    helpful = models.BooleanField()
    comment = models.TextField(blank=True)
    ticket = models.ForeignKey(
        "tickets.Ticket", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["article", "user"], name="article_feedback_once")
        ]

    def __str__(self) -> str:
        return f"KB-{self.article_id} {'+' if self.helpful else '-'} {self.user_id}"


class ArticleUse(models.Model):
    """An article linked to a ticket, or recorded as what solved it."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="uses")
    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.CASCADE, related_name="kb_uses")
    kind = models.CharField(max_length=10, choices=UseKind.choices)
    by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField()

    class Meta:
        ordering = ["-at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["article", "ticket", "kind"], name="article_use_once")
        ]
        indexes = [models.Index(fields=["ticket", "kind"], name="article_use_ticket")]

    def __str__(self) -> str:
        return f"KB-{self.article_id} {self.kind} INC-{self.ticket_id}"


class KnowledgeDecision(models.Model):
    """What the resolver decided about knowledge for an escalated ticket (the latest counts)."""

    ticket = models.OneToOneField(
        "tickets.Ticket", on_delete=models.CASCADE, related_name="kb_decision"
    )
    decision = models.CharField(max_length=12, choices=Decision.choices)
    article = models.ForeignKey(
        Article, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.TextField(blank=True)
    by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(decision="not_needed") | Q(article__isnull=False),
                name="kb_decision_names_article",
            ),
            models.CheckConstraint(
                condition=~Q(decision="not_needed") | ~Q(reason=""),
                name="kb_decision_not_needed_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"INC-{self.ticket_id}: {self.decision}"


class KnowledgePolicy(models.Model):
    """Per team: whether resolving an escalated ticket needs a knowledge decision first."""

    team = models.OneToOneField(
        "accounts.Team", on_delete=models.CASCADE, related_name="knowledge_policy"
    )
    require_decision = models.BooleanField(default=False)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name_plural = "knowledge policies"

    def __str__(self) -> str:
        return f"{self.team}: {'decision required' if self.require_decision else 'optional'}"


class ArticleReview(models.Model):
    """A task for an article's owner: a reader found it unhelpful, or it went stale."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="reviews")
    feedback = models.ForeignKey(
        ArticleFeedback, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.TextField()
    assignee = models.ForeignKey(User, on_delete=models.PROTECT, related_name="kb_reviews")
    state = models.CharField(max_length=8, choices=ReviewState.choices, default=ReviewState.OPEN)
    created_at = models.DateTimeField()
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    outcome = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["assignee", "state"], name="article_review_inbox")]

    def __str__(self) -> str:
        return f"Review of KB-{self.article_id} ({self.state})"
