"""API shapes of the worklog: entries, a ticket's time, the report with totals."""

from __future__ import annotations

from datetime import date, datetime

from ninja import Field, Schema

from backline.accounts.schemas import UserRef


class WorklogTeamRef(Schema):
    id: int
    name: str
    tier: int


class TimeEntryOut(Schema):
    id: int
    ticket: str = Field(..., description="Ticket number, INC-000042")
    user: UserRef
    team: WorklogTeamRef | None
    tier: int
    minutes: int
    note: str
    spent_at: datetime
    created_at: datetime

    @staticmethod
    def resolve_ticket(obj) -> str:
        return obj.ticket.number


class TimeEntryIn(Schema):
    """Give `minutes` (an integer) or `duration` (text such as "1h 30m"), not both."""

    minutes: int | None = Field(None, description="Whole minutes, 1 to 1440")
    duration: str | None = Field(None, max_length=40, description='"45m", "1h 30m", "1:30"')
    note: str = Field("", max_length=300)
    spent_at: datetime | None = Field(None, description="When the work was done; default now")
    user: int | None = Field(
        None, ge=1, le=2**63 - 1, description="Log for someone else (managers, team leads)"
    )


class PersonRef(Schema):
    id: int
    username: str
    name: str


class UserMinutes(Schema):
    user: PersonRef
    minutes: int
    entries: int


class TierMinutes(Schema):
    tier: int
    minutes: int


class TicketTimeOut(Schema):
    ticket: str
    total_minutes: int
    entries_count: int
    per_user: list[UserMinutes]
    per_tier: list[TierMinutes]
    entries: list[TimeEntryOut]


class ReportTotals(Schema):
    minutes: int
    entries: int
    per_tier: list[TierMinutes]


class TimeReportFilter(Schema):
    user: int | None = Field(None, ge=1, le=2**63 - 1, description="User id (managers)")
    team: int | None = Field(None, ge=1, le=2**63 - 1, description="Team id")
    tier: int | None = Field(None, ge=1, le=3)
    date_from: date | None = Field(None, alias="from", description="First day, inclusive")
    date_to: date | None = Field(None, alias="to", description="Last day, inclusive")


class TimePage(Schema):
    items: list[TimeEntryOut]
    count: int
    page: int
    page_size: int
    pages: int
    totals: ReportTotals
