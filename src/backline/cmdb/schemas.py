"""API shapes for the CMDB (`XIn`, `XPatch`, `XOut`, `XPage`)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from ninja import Field, Schema

from backline.cmdb.choices import CiStatus, Criticality, DependencyKind, Environment
from backline.core.api import Id


class NamedRef(Schema):
    id: int
    name: str


class ServiceOut(Schema):
    id: int
    name: str
    description: str
    owner_team: NamedRef | None
    criticality: Criticality
    is_active: bool
    url: str

    @staticmethod
    def resolve_url(obj) -> str:
        return f"/cmdb/services/{obj.pk}"


class ServiceIn(Schema):
    name: str = Field(..., min_length=1, max_length=120)
    description: str = Field("", max_length=5000)
    owner_team: Id | None = None
    criticality: Criticality = Criticality.MEDIUM
    is_active: bool = True


class ServicePatch(Schema):
    name: str = Field(None, min_length=1, max_length=120)
    description: str = Field(None, max_length=5000)
    owner_team: Id | None = None
    criticality: Criticality = None  # type: ignore[assignment]
    is_active: bool = None  # type: ignore[assignment]


class AttributeSpec(Schema):
    name: str
    type: str = "text"
    required: bool = False
    choices: list[str] | None = None


class CiTypeOut(Schema):
    slug: str
    name: str
    description: str
    attributes: list[dict[str, Any]]
    has_expiry: bool
    expiry_warning_days: int


class CiTypeIn(Schema):
    slug: str = Field(..., pattern=r"^[a-z0-9][a-z0-9-]{0,39}$")
    name: str = Field(..., min_length=1, max_length=60)
    description: str = Field("", max_length=200)
    attributes: list[AttributeSpec] = []
    has_expiry: bool = False
    expiry_warning_days: int = Field(14, ge=0, le=3650)


class CiTypePatch(Schema):
    name: str = Field(None, min_length=1, max_length=60)
    description: str = Field(None, max_length=200)
    attributes: list[AttributeSpec] = None  # type: ignore[assignment]
    has_expiry: bool = None  # type: ignore[assignment]
    expiry_warning_days: int = Field(None, ge=0, le=3650)


class CiOut(Schema):
    id: int
    name: str
    ci_type: str
    description: str
    service: NamedRef | None
    owner_team: NamedRef | None
    environment: Environment
    criticality: Criticality
    status: CiStatus
    attributes: dict[str, Any]
    expires_at: date | None
    version: int
    updated_at: datetime | None
    url: str

    @staticmethod
    def resolve_url(obj) -> str:
        return f"/cmdb/cis/{obj.pk}"


class CiPage(Schema):
    items: list[CiOut]
    count: int
    page: int
    page_size: int
    pages: int


class CiIn(Schema):
    name: str = Field(..., min_length=1, max_length=160)
    ci_type: str = Field(..., min_length=1, max_length=40, description="CI type slug")
    description: str = Field("", max_length=5000)
    service: Id | None = None
    owner_team: Id | None = None
    environment: Environment = Environment.PRODUCTION
    criticality: Criticality = Criticality.MEDIUM
    attributes: dict[str, Any] = {}
    expires_at: date | None = None


class CiPatch(Schema):
    version: int = Field(..., ge=1, description="The version you read; a stale one gets 409")
    name: str = Field(None, min_length=1, max_length=160)
    ci_type: str = Field(None, min_length=1, max_length=40)
    description: str = Field(None, max_length=5000)
    service: Id | None = None
    owner_team: Id | None = None
    environment: Environment = None  # type: ignore[assignment]
    criticality: Criticality = None  # type: ignore[assignment]
    status: CiStatus = None  # type: ignore[assignment]
    attributes: dict[str, Any] = None  # type: ignore[assignment]
    expires_at: date | None = None


class DependencyOut(Schema):
    id: int
    source: NamedRef
    kind: DependencyKind
    target_ci: NamedRef | None
    target_service: NamedRef | None
    created_at: datetime


class DependencyIn(Schema):
    source: Id
    kind: DependencyKind
    target_ci: Id | None = None
    target_service: Id | None = None


class ImpactNode(Schema):
    id: int
    name: str
    distance: int


class ImpactOut(Schema):
    ci: NamedRef
    services: list[ImpactNode]
    cis: list[ImpactNode]


class RowErrorOut(Schema):
    line: int
    column: str
    reason: str


class ImportOut(Schema):
    kind: str
    dry_run: bool
    ok: bool
    imported: bool
    rows: int
    created: int
    updated: int
    unchanged: int
    encoding: str
    delimiter: str
    errors: list[RowErrorOut]
