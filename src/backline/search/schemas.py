"""Search API and page parameters (one definition for both) and the API's answers."""

from __future__ import annotations

from datetime import date, datetime

from django.http import QueryDict
from ninja import Schema
from pydantic import BaseModel, ConfigDict, Field, model_validator

from backline.core.api import Id
from backline.search.queries import SearchFilter

_LIST_FIELDS = {"kind", "status"}


class SearchParams(BaseModel):
    """What to search for: the query text and its filters."""

    model_config = ConfigDict(extra="ignore")

    q: str = Field("", max_length=2000, description='Words, "phrases", prefix*, -exclude, OR')
    kind: list[str] | None = Field(None, description="ticket, article… (repeat for several)")
    status: list[str] | None = Field(None, description="Statuses (repeat for several)")
    service: Id | None = Field(None, description="Service id")
    ci: Id | None = Field(None, description="Configuration item id")
    category: Id | None = Field(None, description="Category id")
    team: Id | None = Field(None, description="Team id")
    updated_after: date | None = Field(None, description="Updated on or after (YYYY-MM-DD)")
    updated_before: date | None = Field(None, description="Updated on or before (YYYY-MM-DD)")
    page: int = Field(1, ge=1, le=50)

    @model_validator(mode="after")
    def _dates(self) -> SearchParams:
        if self.updated_after and self.updated_before and self.updated_after > self.updated_before:
            raise ValueError("updated_after must not be later than updated_before")
        return self

    @classmethod
    def from_query(cls, query: QueryDict) -> SearchParams:
        """Build from a request's GET parameters (kind and status may repeat)."""
        data: dict[str, object] = {}
        for key in cls.model_fields:
            if key in _LIST_FIELDS:
                values = [v for v in query.getlist(key) if v != ""]
                if values:
                    data[key] = values
            elif query.get(key):
                data[key] = query.get(key)
        return cls.model_validate(data)

    def to_filter(self, kinds: tuple[str, ...] | None = None) -> SearchFilter:
        return SearchFilter(
            kinds=kinds if kinds is not None else tuple(self.kind or ()),
            status=tuple(self.status or ()),
            service_id=self.service,
            ci_id=self.ci,
            category_id=self.category,
            team_id=self.team,
            updated_after=self.updated_after,
            updated_before=self.updated_before,
        )


class HitOut(Schema):
    kind: str
    id: int
    number: str
    title: str
    url: str
    snippet: str = Field(description="HTML-escaped text with <mark> around matched words")
    score: float
    status: str
    updated_at: datetime | None
    reasons: list[str] = []


class SearchOut(Schema):
    items: list[HitOut]
    total: int
    total_capped: bool = Field(False, description="More matches than counted (total is a floor)")
    page: int
    has_next: bool
    terms: list[str] = Field([], description="The query as understood")


class SimilarIn(Schema):
    text: str = Field(..., min_length=1, max_length=20_000)
    service: Id | None = None
    ci: Id | None = None
    category: Id | None = None
    kinds: dict[str, list[str] | None] | None = Field(
        None,
        description='kind → allowed statuses (null = any); default {"ticket": ["resolved", '
        '"closed"], "article": ["published"]}',
    )
    exclude_ticket: Id | None = None
    limit: int = Field(5, ge=1, le=20)


class SimilarOut(Schema):
    ticket: list[HitOut] = []
    article: list[HitOut] = []
