"""The change list filter, shared by the HTML list and the API list."""

from __future__ import annotations

from datetime import date

from ninja import Schema
from pydantic import Field

from backline.changes.choices import ChangeKind, ChangeSource, ChangeState


class ChangeFilter(Schema):
    q: str = Field("", max_length=200, description="Words in the title, or a CHG- number")
    state: ChangeState | None = None
    kind: ChangeKind | None = None
    source: ChangeSource | None = None
    ci: int | None = Field(None, ge=1, le=2**63 - 1, description="CI id")
    team: int | None = Field(None, ge=1, le=2**63 - 1, description="Implementer team id")
    start: date | None = Field(None, description="Began on or after this day")
    end: date | None = Field(None, description="Began on or before this day")
