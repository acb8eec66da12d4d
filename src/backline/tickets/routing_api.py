"""API: routing rules (reads for staff, writes for managers) and the rule tester."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from backline.accounts.models import Team, User
from backline.cmdb.models import Service
from backline.core.api import resolve_refs
from backline.core.errors import DomainError
from backline.tickets import routing
from backline.tickets.api import ERRORS
from backline.tickets.models import Category, RoutingRule
from backline.tickets.permissions import require_staff
from backline.tickets.schemas import Ref, TeamRef

router = Router(tags=["routing"])

Mode = RoutingRule.Mode


class RoutingRuleOut(Schema):
    id: int
    name: str
    position: int = Field(..., description="0 runs first")
    is_active: bool
    mode: Mode
    category: Ref | None
    service: Ref | None
    keywords: list[str]
    priorities: list[int]
    team: TeamRef
    catch_all: bool = Field(..., description="No conditions: matches every ticket")
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_keywords(obj: RoutingRule) -> list[str]:
        return routing.normalise_keywords(obj.keywords)

    @staticmethod
    def resolve_catch_all(obj: RoutingRule) -> bool:
        return routing.is_catch_all(routing.spec_of(obj))


_KEYWORDS_DOC = "Words or phrases (a list, or one comma-separated string); any one must occur"


class RoutingRuleIn(Schema):
    name: str = Field(..., max_length=120)
    team: int = Field(..., description="Team id")
    mode: Mode = Mode.SUGGEST
    is_active: bool = True
    category: int | None = None
    service: int | None = None
    keywords: list[str] | str = Field([], description=_KEYWORDS_DOC)
    priorities: list[int] = Field([], description="Priorities 1–4; empty = any")
    position: int | None = Field(None, ge=0, description="Insert here; default: at the end")


class RoutingRulePatch(Schema):
    name: str | None = Field(None, max_length=120)
    team: int | None = None
    mode: Mode | None = None
    is_active: bool | None = None
    category: int | None = None
    service: int | None = None
    keywords: list[str] | str | None = Field(None, description=_KEYWORDS_DOC)
    priorities: list[int] | None = None
    position: int | None = Field(None, ge=0, description="Move the rule here (0 runs first)")


class SampleIn(Schema):
    title: str = Field("", max_length=200)
    description: str = Field("", max_length=100_000)
    category: int | None = None
    service: int | None = None
    priority: int = Field(3, ge=1, le=4)


class RoutingTestOut(Schema):
    matched: RoutingRuleOut | None
    team: TeamRef | None
    reasons: list[str]


_REFS: dict[str, Any] = {
    "team": Team.objects.all(),
    "category": Category.objects.all(),
    "service": Service.objects.all(),
}
# Set to null, these clear the condition; `team` cannot be cleared (a rule needs a team).
_NULLABLE = {"category", "service"}


def _resolve(data: dict[str, Any]) -> dict[str, Any]:
    return resolve_refs(data, _REFS)


def _changes(payload: RoutingRulePatch) -> dict[str, Any]:
    changes = payload.dict(exclude_unset=True)
    for name, value in list(changes.items()):
        if value is None and name not in _NULLABLE and name != "team":
            raise DomainError(f"{name} cannot be null.", field=name)
    return _resolve(changes)


@router.get("", response={200: list[RoutingRuleOut], **ERRORS})
def rule_list(request: HttpRequest):
    """Every rule in the order they run."""
    require_staff(request.user, "read routing rules")
    return list(routing.routing_rules())


@router.post("", response={201: RoutingRuleOut, **ERRORS})
def rule_create(request: HttpRequest, payload: RoutingRuleIn):
    """Add a rule (managers and admins); at the end unless `position` is given."""
    _require_write(request.user)
    rule = routing.routing_rule_create(actor=request.user, **_resolve(payload.dict()))
    return Status(201, routing.routing_rule_get(rule.pk))


@router.post("/test", response={200: RoutingTestOut, **ERRORS})
def rule_test(request: HttpRequest, payload: SampleIn):
    """Which active rule a sample ticket matches, its team, and why (null when none)."""
    require_staff(request.user, "test routing rules")
    rule, reasons = routing.match_for(**_resolve(payload.dict()))
    return {"matched": rule, "team": rule.team if rule else None, "reasons": reasons}


@router.get("/{rule_id}", response={200: RoutingRuleOut, **ERRORS})
def rule_detail(request: HttpRequest, rule_id: int):
    require_staff(request.user, "read routing rules")
    return routing.routing_rule_get(rule_id)


@router.patch("/{rule_id}", response={200: RoutingRuleOut, **ERRORS})
def rule_patch(request: HttpRequest, rule_id: int, payload: RoutingRulePatch):
    """Change any field (managers and admins); `position` moves the rule."""
    _require_write(request.user)
    rule = routing.routing_rule_get(rule_id)
    return routing.routing_rule_update(actor=request.user, rule=rule, changes=_changes(payload))


@router.delete("/{rule_id}", response={204: None, **ERRORS})
def rule_delete(request: HttpRequest, rule_id: int):
    _require_write(request.user)
    routing.routing_rule_delete(actor=request.user, rule=routing.routing_rule_get(rule_id))
    return Status(204, None)


def _require_write(user: User) -> None:
    # Refuse before looking the rule up, so a non-manager cannot probe which ids exist.
    routing.require_admin(user)
