"""The problem list filter, shared by the HTML list and the API list."""

from __future__ import annotations

from ninja import Schema
from pydantic import Field

from backline.problems.choices import ProblemState

_ID = {"ge": 1, "le": 2**63 - 1}


class ProblemFilter(Schema):
    q: str = Field("", max_length=200, description="Words in the title or statement, or PRB-")
    state: ProblemState | None = None
    open: bool | None = Field(None, description="Only open (true) or only resolved/closed")
    priority: int | None = Field(None, ge=1, le=4)
    team: int | None = Field(None, description="Owning team id", **_ID)
    owner: int | None = Field(None, description="Owner user id", **_ID)
    service: int | None = Field(None, description="Affected service id", **_ID)
    ci: int | None = Field(None, description="Affected CI id", **_ID)
