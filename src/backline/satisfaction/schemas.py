from __future__ import annotations

from datetime import datetime

from ninja import Field, Schema

from backline.accounts.schemas import UserRef
from backline.tickets.schemas import TeamRef


class RatingOut(Schema):
    ticket: str = Field(..., description="The ticket's number")
    score: int = Field(..., description="1 (very poor) to 5 (excellent)")
    comment: str
    tier: int = Field(..., description="The tier that resolved the ticket")
    team: TeamRef | None = Field(None, description="The team that resolved the ticket")
    requester: UserRef
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_ticket(obj) -> str:
        return obj.ticket.number


class RatingIn(Schema):
    score: int = Field(..., description="1 (very poor) to 5 (excellent)")
    comment: str | None = Field(
        None, description="Up to 2000 characters; leave out to keep the comment already given"
    )


class CsatOut(Schema):
    count: int
    satisfied: int = Field(..., description="Ratings of 4 or 5")
    satisfied_share: float | None = Field(..., description="satisfied / count (CSAT), 0–1")
    mean: float | None


class RatingPage(Schema):
    items: list[RatingOut]
    count: int
    page: int
    page_size: int
    pages: int
    summary: CsatOut = Field(..., description="CSAT over every rating the filter matches")
