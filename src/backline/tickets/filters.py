"""The ticket list filter: one definition for the HTML queues and the API list."""

from __future__ import annotations

from typing import Literal

from django.db.models import Case, F, IntegerField, Q, QuerySet, Value, When
from django.db.models.expressions import OrderBy
from django.http import QueryDict
from pydantic import BaseModel, ConfigDict, Field, field_validator

from backline.accounts.models import User
from backline.core.api import Id
from backline.tickets import rules
from backline.tickets.choices import OPEN_STATUSES, Status

Queue = Literal["mine", "teams", "unassigned", "at_risk", "open", "all"]

QUEUES: dict[str, str] = {
    "mine": "My work",
    "teams": "My teams",
    "unassigned": "Unassigned",
    "at_risk": "At risk",
    "open": "All open",
    "all": "All tickets",
}

_DUE = F("sla_due_at")
SORTS: dict[str, tuple[str | OrderBy, ...]] = {
    "due": (_DUE.asc(nulls_last=True), "-priority", "id"),
    "-due": (_DUE.desc(nulls_last=True), "id"),
    "priority": ("priority", "-updated_at", "-id"),
    "-priority": ("-priority", "-updated_at", "-id"),
    "updated": ("updated_at", "id"),
    "-updated": ("-updated_at", "-id"),
    "created": ("created_at", "id"),
    "-created": ("-created_at", "-id"),
    "number": ("id",),
    "-number": ("-id",),
    "status": ("status_rank", "priority", "-id"),
    "-status": ("-status_rank", "priority", "-id"),
    "title": ("title", "-id"),
    "-title": ("-title", "-id"),
}
# Statuses sort in their life-cycle order, not alphabetically.
STATUS_RANK = Case(
    *(When(status=value, then=Value(rank)) for rank, value in enumerate(Status.values)),
    default=Value(99),
    output_field=IntegerField(),
)

# At risk: breached first, then by time to breach (`sla_due_at`, indexed with the status).
AT_RISK_ORDER: tuple[str | OrderBy, ...] = (
    Case(When(sla_state="breached", then=Value(0)), default=Value(1)).asc(),
    _DUE.asc(nulls_last=True),
    "id",
)

SortKey = Literal[
    "due",
    "-due",
    "priority",
    "-priority",
    "updated",
    "-updated",
    "created",
    "-created",
    "number",
    "-number",
    "status",
    "-status",
    "title",
    "-title",
]

# Kept literal so the OpenAPI schema lists them; a test checks it matches choices.Status.
StatusKey = Literal[
    "open", "new", "assigned", "in_progress", "pending", "resolved", "closed", "cancelled"
]

_LIST_FIELDS = ("status", "priority", "team", "tier", "category", "service")


class TicketFilter(BaseModel):
    """Which tickets to list and in what order."""

    model_config = ConfigDict(extra="ignore")

    queue: Queue | None = Field(
        None,
        description="A preset: mine, teams, unassigned, at_risk (running SLA, breached first, "
        "then by time to breach), open, all",
    )
    status: list[StatusKey] | None = Field(
        None, description="Statuses; `open` stands for every open status"
    )
    priority: list[int] | None = Field(None, description="Priorities 1–4")
    team: list[Id] | None = Field(None, description="Team ids")
    tier: list[int] | None = Field(None, description="Tiers 1–3")
    assignee: str | None = Field(None, description="`me`, `none` or a user id")
    category: list[Id] | None = Field(None, description="Category ids")
    service: list[Id] | None = Field(None, description="Service ids")
    q: str | None = Field(
        None, max_length=200, description="Text in the title or description, or a number"
    )
    sort: SortKey | None = Field(None, description="Sort key; prefix `-` for descending")

    @field_validator("priority")
    @classmethod
    def _priorities(cls, value: list[int] | None) -> list[int] | None:
        if value and any(p not in (1, 2, 3, 4) for p in value):
            raise ValueError("priority must be 1, 2, 3 or 4")
        return value

    @field_validator("tier")
    @classmethod
    def _tiers(cls, value: list[int] | None) -> list[int] | None:
        if value and any(t not in (1, 2, 3) for t in value):
            raise ValueError("tier must be 1, 2 or 3")
        return value

    @field_validator("assignee")
    @classmethod
    def _assignee(cls, value: str | None) -> str | None:
        if (
            value
            and value not in ("me", "none")
            and not (value.isdecimal() and 0 < int(value) < 2**63)
        ):
            raise ValueError("assignee must be `me`, `none` or a user id")
        return value or None

    @classmethod
    def from_query(cls, query: QueryDict) -> TicketFilter:
        """Build from a request's GET parameters (list fields may repeat)."""
        data: dict[str, object] = {}
        for key in cls.model_fields:
            if key in _LIST_FIELDS:
                values = [v for v in query.getlist(key) if v != ""]
                if values:
                    data[key] = values
            elif query.get(key):
                data[key] = query.get(key)
        return cls.model_validate(data)

    @property
    def order(self) -> tuple[str | OrderBy, ...]:
        if self.sort:
            return SORTS[self.sort]
        if self.queue == "at_risk":
            return AT_RISK_ORDER
        if self.queue == "all" or (self.status and "open" not in self.status):
            return SORTS["-number"]
        return SORTS["priority"]

    def apply(self, qs: QuerySet, user: User, team_ids: list[int]) -> QuerySet:
        """Narrow `qs` (already scoped to what `user` may see) by this filter."""
        qs = self._apply_queue(qs, user, team_ids)
        if self.status:
            wanted = set(self.status)
            if "open" in wanted:
                wanted.discard("open")
                wanted.update(OPEN_STATUSES)
            qs = qs.filter(status__in=sorted(wanted))
        for name in ("priority", "team", "tier", "category", "service"):
            values = getattr(self, name)
            if values:
                qs = qs.filter(**{f"{name}__in": values})
        if self.assignee == "me":
            qs = qs.filter(assignee=user)
        elif self.assignee == "none":
            qs = qs.filter(assignee__isnull=True)
        elif self.assignee:
            qs = qs.filter(assignee_id=int(self.assignee))
        if self.q and self.q.strip():
            qs = qs.filter(self._text_query(self.q.strip()))
        if self.sort in ("status", "-status"):
            qs = qs.annotate(status_rank=STATUS_RANK)
        return qs.order_by(*self.order)

    def _apply_queue(self, qs: QuerySet, user: User, team_ids: list[int]) -> QuerySet:
        if self.queue in (None, "all"):
            return qs
        qs = qs.filter(status__in=OPEN_STATUSES)
        if self.queue == "mine":
            return qs.filter(assignee=user)
        if self.queue == "teams":
            return qs.filter(team_id__in=team_ids)
        if self.queue == "at_risk":
            return qs.filter(sla_due_at__isnull=False)
        if self.queue == "unassigned":
            qs = qs.filter(assignee__isnull=True)
            return qs.filter(team_id__in=team_ids) if team_ids else qs
        return qs

    @staticmethod
    def _text_query(text: str) -> Q:
        words = Q(title__icontains=text) | Q(description__icontains=text)
        pk = rules.parse_number(text)
        if pk is None or pk >= 2**63:
            return words
        if text.upper().startswith(rules.NUMBER_PREFIX):
            return Q(pk=pk)
        return Q(pk=pk) | words  # "502" finds INC-000502 and tickets that mention HTTP 502
