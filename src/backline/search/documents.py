"""What each kind of object gives the search index: one flat, app-independent document."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Document:
    """The searchable text and the filter fields of one object (ticket, article, problem…)."""

    kind: str  # "ticket" | "article" | later "problem", "known_error"
    object_id: int
    title: str
    body: str  # all searchable text except title/keywords
    keywords: str = ""
    status: str = ""  # ticket status / article state ("published", "draft"...)
    audience: str = ""  # articles: "public" | "l1" | "internal"; "" for tickets
    owner_id: int | None = None  # tickets: requester id (requesters only see their own)
    team_id: int | None = None
    service_id: int | None = None
    ci_id: int | None = None
    category_id: int | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
