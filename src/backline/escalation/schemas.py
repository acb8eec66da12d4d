from __future__ import annotations

from datetime import date, datetime

from ninja import Field, Schema

from backline.accounts.schemas import UserRef
from backline.tickets.schemas import TeamRef


class EscalationIn(Schema):
    to_team: int = Field(..., description="Id of a team above the ticket's tier")
    version: int | None = Field(None, description="When given, a stale ticket version gets 409")
    summary: str = Field("", max_length=20_000)
    impact_users: int | None = Field(None, ge=0)
    impact_services: str = Field("", max_length=2_000)
    impact_at_risk: str = Field("", max_length=2_000)
    steps_taken: str = Field("", max_length=50_000)
    reproduction_steps: str = Field("", max_length=20_000)
    hypothesis: str = Field("", max_length=10_000)
    urgency_justification: str = Field("", max_length=5_000)
    log_excerpts: str = Field("", max_length=200_000)
    evidence: list[int] = Field(default_factory=list, description="Attachment ids of the ticket")


class HandoffEvidenceOut(Schema):
    id: int
    filename: str
    size: int


class EscalationOut(Schema):
    id: int
    ticket: str
    state: str
    from_team: TeamRef | None
    to_team: TeamRef
    from_tier: int
    to_tier: int
    created_by: UserRef
    created_at: datetime
    summary: str
    impact_users: int | None
    impact_services: str
    impact_at_risk: str
    steps_taken: str
    reproduction_steps: str
    hypothesis: str
    urgency_justification: str
    log_excerpts: str
    evidence: list[HandoffEvidenceOut]
    decided_by: UserRef | None
    decided_at: datetime | None
    return_reason: str
    guidance: str

    @staticmethod
    def resolve_ticket(obj) -> str:
        return obj.ticket.number

    @staticmethod
    def resolve_evidence(obj) -> list:
        return list(obj.evidence.all())


class AcceptIn(Schema):
    assign_to_self: bool = False


class ReturnIn(Schema):
    reason: str = Field(
        ..., description="insufficient_info, wrong_team, lower_tier, duplicate, other"
    )
    guidance: str = Field(..., max_length=10_000)


class DeescalateIn(Schema):
    to_team: int
    note: str = Field(..., max_length=10_000)
    version: int | None = None


class HopOut(Schema):
    team_id: int | None
    team: str
    tier: int
    how: str
    at: datetime | None
    bounced: bool


class HandoffPolicyIn(Schema):
    required: list[str]


class HandoffPolicyOut(Schema):
    team: str
    required: list[str]


class AcceptanceRow(Schema):
    team_id: int
    team: str
    accepted: int
    mean_minutes: float
    median_minutes: float


class ReturnRow(Schema):
    reason: str
    label: str
    count: int
    share: float | None


class EscalationMetricsOut(Schema):
    start: datetime
    end: datetime
    tickets_created: int
    reached_tier2: int
    escalation_rate: float | None
    escalated_tickets: int
    bounced_tickets: int
    bounce_rate: float | None
    bounces: int
    bounces_per_ticket: float | None
    acceptance: list[AcceptanceRow]
    returns: list[ReturnRow]


class MetricsQuery(Schema):
    start: date | None = Field(None, description="First day (default: 30 days ago)")
    end: date | None = Field(None, description="Last day, inclusive (default: today)")
    team: list[int] | None = Field(None, description="Receiving team ids")
