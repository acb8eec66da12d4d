"""The CI list filter: one definition for the HTML list and the API list."""

from __future__ import annotations

from typing import Any

from django.http import QueryDict
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from backline.cmdb.choices import CiStatus, Criticality, Environment
from backline.core.api import Id


class CiFilter(BaseModel):
    model_config = ConfigDict(extra="ignore")

    q: str = Field("", max_length=200, description="Part of the name")
    type: str = Field("", max_length=40, description="CI type slug")
    service: Id | None = None
    owner_team: Id | None = None
    environment: Environment | None = None
    criticality: Criticality | None = None
    status: CiStatus | None = Field(None, description="Default: active and retired")
    expiring: bool = Field(False, description="Expired or within its type's warning window")

    @classmethod
    def from_query(cls, query: QueryDict) -> CiFilter:
        """The filter from a page's query string; a bad value is ignored, not a 500."""
        data: dict[str, Any] = {k: v for k, v in query.items() if v not in ("", None)}
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            bad = {str(e["loc"][0]) for e in exc.errors() if e.get("loc")}
            return cls.model_validate({k: v for k, v in data.items() if k not in bad})
