"""The ratings filter, shared by the API list and any page that lists ratings."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.db.models import QuerySet
from django.utils import timezone
from ninja import Schema
from pydantic import Field, model_validator

from backline.satisfaction.models import Rating


class RatingFilter(Schema):
    team: int | None = Field(None, ge=1, le=2**63 - 1, description="Team id (resolving team)")
    tier: int | None = Field(None, ge=1, le=3, description="Resolving tier, 1–3")
    score: int | None = Field(None, ge=1, le=5, description="Score, 1–5")
    date_from: date | None = Field(None, alias="from", description="Rated on or after (day)")
    date_to: date | None = Field(None, alias="to", description="Rated on or before (day)")

    model_config = {"populate_by_name": True}

    @model_validator(mode="after")
    def _range(self) -> RatingFilter:
        if self.date_from and self.date_to and self.date_from > self.date_to:
            raise ValueError("'from' must not be after 'to'.")
        return self

    def apply(self, qs: QuerySet[Rating]) -> QuerySet[Rating]:
        if self.team is not None:
            qs = qs.filter(team_id=self.team)
        if self.tier is not None:
            qs = qs.filter(tier=self.tier)
        if self.score is not None:
            qs = qs.filter(score=self.score)
        # Days are the desk's days (TIME_ZONE), compared as aware datetimes.
        if self.date_from is not None:
            qs = qs.filter(updated_at__gte=_start_of(self.date_from))
        if self.date_to is not None:
            qs = qs.filter(updated_at__lt=_start_of(self.date_to + timedelta(days=1)))
        return qs


def _start_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))
