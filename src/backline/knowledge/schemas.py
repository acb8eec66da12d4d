from __future__ import annotations

from datetime import date, datetime

from ninja import Field, Schema
from pydantic import field_validator

from backline.accounts.schemas import UserRef
from backline.core.api import Id
from backline.knowledge.choices import Audience, Decision
from backline.tickets.schemas import Ref, TicketIn


class ArticleListItem(Schema):
    id: int
    number: str
    title: str
    state: str
    audience: str
    keywords: str
    category: Ref | None
    owner: UserRef
    review_by: date | None
    stale: bool = False
    version: int
    view_count: int
    created_at: datetime
    updated_at: datetime
    published_at: datetime | None
    url: str

    @staticmethod
    def resolve_url(obj) -> str:
        return f"/kb/{obj.number}"


class ArticleOut(ArticleListItem):
    symptoms: str
    cause: str
    resolution: str
    body: str
    services: list[Ref]
    cis: list[Ref]
    source_ticket: str | None
    stats: dict[str, int]

    @staticmethod
    def resolve_services(obj) -> list:
        return list(obj.services.all())

    @staticmethod
    def resolve_cis(obj) -> list:
        return list(obj.cis.all())

    @staticmethod
    def resolve_source_ticket(obj) -> str | None:
        return f"INC-{obj.source_ticket_id}" if obj.source_ticket_id else None


class ArticlePage(Schema):
    items: list[ArticleListItem]
    count: int
    page: int
    page_size: int
    pages: int


def _title(value: str) -> str:
    value = value.strip()
    if not value:
        raise ValueError("title must not be blank")
    return value


class ArticleIn(Schema):
    title: str = Field(..., max_length=200)
    symptoms: str = Field("", max_length=20_000)
    cause: str = Field("", max_length=20_000)
    resolution: str = Field("", max_length=50_000, description="Markdown")
    body: str = Field("", max_length=100_000, description="Markdown")
    keywords: str = Field("", max_length=300, description="Comma-separated")
    audience: Audience = Audience.L1
    category: Id | None = None
    services: list[Id] = Field(default_factory=list, max_length=50)
    cis: list[Id] = Field(default_factory=list, max_length=50)
    owner: Id | None = Field(None, description="User id; defaults to the caller")
    review_by: date | None = None
    note: str = Field("", max_length=300)

    _title = field_validator("title")(_title)


class ArticlePatch(Schema):
    version: int = Field(..., description="The version you read; a stale one gets 409")
    title: str | None = Field(None, max_length=200)
    symptoms: str | None = Field(None, max_length=20_000)
    cause: str | None = Field(None, max_length=20_000)
    resolution: str | None = Field(None, max_length=50_000)
    body: str | None = Field(None, max_length=100_000)
    keywords: str | None = Field(None, max_length=300)
    audience: Audience | None = None
    category: Id | None = None
    services: list[Id] | None = Field(None, max_length=50)
    cis: list[Id] | None = Field(None, max_length=50)
    owner: Id | None = None
    review_by: date | None = None
    note: str = Field("", max_length=300)

    @field_validator("title", "symptoms", "cause", "resolution", "body", "keywords", "audience")
    @classmethod
    def _not_null(cls, value: object) -> object:
        if value is None:
            raise ValueError("cannot be null")
        return value


class ArticleTransitionIn(Schema):
    action: str = Field(..., max_length=20, description="submit, publish, reject, retire, restore")
    note: str = Field("", max_length=2000)
    version: int | None = None


class VersionOut(Schema):
    number: int
    title: str
    symptoms: str
    cause: str
    resolution: str
    body: str
    keywords: str
    audience: str
    note: str
    author: UserRef
    created_at: datetime


class DiffOut(Schema):
    field: str
    lines: list[tuple[str, str]]


class FeedbackIn(Schema):
    helpful: bool
    comment: str = Field("", max_length=5000)
    ticket: str | None = Field(None, max_length=30, description="INC number it was used on")


class FeedbackOut(Schema):
    article: str
    helpful: bool
    comment: str
    review_opened: bool
    created_at: datetime


class UseIn(Schema):
    ticket: str = Field(..., max_length=30, description="INC number")
    solved: bool = Field(False, description="true: this article solved the ticket")


class UseOut(Schema):
    article: str
    ticket: str
    kind: str
    at: datetime


class DecisionIn(Schema):
    decision: Decision
    article: str | None = Field(None, max_length=30, description="KB number (for linked/drafted)")
    reason: str = Field("", max_length=2000)


class DecisionOut(Schema):
    ticket: str
    decision: str
    article: str | None
    reason: str
    by: UserRef
    at: datetime


class SuggestIn(Schema):
    text: str = Field(..., min_length=1, max_length=10_000, description="Title and description")
    service: Id | None = None
    ci: Id | None = None
    category: Id | None = None
    limit: int = Field(5, ge=1, le=20)


class SuggestionOut(Schema):
    kind: str
    id: int
    number: str
    title: str
    url: str
    score: float
    reasons: list[str]
    status: str
    resolution: str = Field("", description="How the incident was resolved, or the article's steps")


class SuggestionsOut(Schema):
    articles: list[SuggestionOut]
    incidents: list[SuggestionOut]
    known_errors: list[SuggestionOut]


class SolvedTicketIn(TicketIn):
    article: str = Field(..., max_length=30, description="KB number of the article that solved it")


class ReviewOut(Schema):
    id: int
    article: str
    reason: str
    state: str
    assignee: UserRef
    created_at: datetime
    closed_at: datetime | None
    outcome: str

    @staticmethod
    def resolve_article(obj) -> str:
        return f"KB-{obj.article_id}"


class ReviewCloseIn(Schema):
    outcome: str = Field(..., min_length=1, max_length=2000)


class KnowledgePolicyOut(Schema):
    team: int
    team_name: str
    require_decision: bool


class KnowledgePolicyIn(Schema):
    require_decision: bool


class KnowledgeMetricsOut(Schema):
    start: datetime
    end: datetime
    l1_resolved: int
    l1_resolved_with_kb: int
    deflection_rate: float | None
    articles_by_state: dict[str, int]
    stale_articles: int
    feedback_votes: int
    helpful_share: float | None
    open_reviews: int
    top_articles: list[dict]
