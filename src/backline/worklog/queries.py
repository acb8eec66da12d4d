"""Reads of the worklog: a ticket's time, the filtered report and "my week"; sums in SQL."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import Count, QuerySet, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from backline.accounts.models import User
from backline.core.errors import DomainError, NotFound, PermissionDenied
from backline.tickets.models import Ticket
from backline.tickets.permissions import require_staff, require_view
from backline.tickets.queries import visible_filter
from backline.worklog.models import TimeEntry

_RELATED = ("user", "team", "ticket")


@dataclass
class ReportFilter:
    """Who, which team and tier, and which days (inclusive) a report covers."""

    user: int | None = None
    team: int | None = None
    tier: int | None = None
    date_from: date | None = None
    date_to: date | None = None

    def check(self) -> ReportFilter:
        if self.tier is not None and self.tier not in (1, 2, 3):
            raise DomainError("Tier is 1, 2 or 3.", field="tier")
        if self.date_from and self.date_to and self.date_from > self.date_to:
            raise DomainError("The start date is after the end date.", field="from")
        if self.date_from and self.date_to and (self.date_to - self.date_from).days > 366:
            raise DomainError("Choose a range of at most a year.", field="to")
        return self


@dataclass
class TicketTime:
    """A ticket's logged time: the total, per person, per tier, and the latest entries."""

    total: int = 0
    count: int = 0
    per_user: list[dict[str, Any]] = field(default_factory=list)
    per_tier: list[dict[str, Any]] = field(default_factory=list)
    entries: list[TimeEntry] = field(default_factory=list)


def ticket_time(user: User, ticket: Ticket, *, limit: int | None = None) -> TicketTime:
    """The time logged on a ticket (staff only), newest entries first.

    One grouped query (per person and tier) gives every total; the entries are read only when
    there are some, so the ticket page pays one query for a ticket nobody logged time on."""
    require_staff(user, "see time worked")
    require_view(user, ticket)
    qs = TimeEntry.objects.filter(ticket=ticket)
    groups = (
        qs.values("user_id", "user__username", "user__first_name", "user__last_name", "tier")
        .annotate(minutes=Sum("minutes"), entries=Count("id"))
        .order_by()
    )
    people: dict[int, dict[str, Any]] = {}
    tiers: dict[int, dict[str, Any]] = {}
    for g in groups:
        name = f"{g['user__first_name']} {g['user__last_name']}".strip() or g["user__username"]
        person = people.setdefault(
            g["user_id"],
            {
                "user_id": g["user_id"],
                "username": g["user__username"],
                "name": name,
                "minutes": 0,
                "entries": 0,
            },
        )
        tier = tiers.setdefault(g["tier"], {"tier": g["tier"], "minutes": 0, "entries": 0})
        for row in (person, tier):
            row["minutes"] += g["minutes"]
            row["entries"] += g["entries"]
    per_tier = [tiers[t] for t in sorted(tiers)]
    entries: list[TimeEntry] = []
    if tiers:
        ordered = qs.select_related(*_RELATED).order_by("-spent_at", "-id")
        entries = list(ordered[:limit] if limit else ordered)
    return TicketTime(
        total=sum(r["minutes"] for r in per_tier),
        count=sum(r["entries"] for r in per_tier),
        per_user=sorted(people.values(), key=lambda r: (-r["minutes"], r["username"])),
        per_tier=per_tier,
        entries=entries,
    )


def entry_get(user: User, entry_id: int) -> TimeEntry:
    """One entry on a ticket the user may see, for staff; NotFound otherwise."""
    require_staff(user, "see time worked")
    qs = TimeEntry.objects.select_related(*_RELATED).filter(visible_filter(user))
    entry = qs.filter(pk=entry_id).first()
    if entry is None:
        raise NotFound(f"No time entry {entry_id}.", field="id")
    return entry


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def report_entries(user: User, flt: ReportFilter) -> QuerySet[TimeEntry]:
    """Entries matching the filter; agents see only their own unless they are managers."""
    require_staff(user, "see time worked")
    flt.check()
    qs = TimeEntry.objects.select_related(*_RELATED)
    if not user.is_manager:
        if flt.user is not None and flt.user != user.pk:
            raise PermissionDenied("Only managers can see other people's time.", field="user")
        qs = qs.filter(user=user)
    elif flt.user is not None:
        qs = qs.filter(user_id=flt.user)
    if flt.team is not None:
        qs = qs.filter(team_id=flt.team)
    if flt.tier is not None:
        qs = qs.filter(tier=flt.tier)
    if flt.date_from:
        qs = qs.filter(spent_at__gte=_day_start(flt.date_from))
    if flt.date_to:
        qs = qs.filter(spent_at__lt=_day_start(flt.date_to + timedelta(days=1)))
    return qs.order_by("-spent_at", "-id")


def report_totals(qs: QuerySet[TimeEntry]) -> dict[str, Any]:
    """Total minutes and entries of a report, and the minutes per tier."""
    per_tier = {
        row["tier"]: row["minutes"]
        for row in qs.order_by().values("tier").annotate(minutes=Sum("minutes"))
    }
    agg = qs.order_by().aggregate(minutes=Sum("minutes"), entries=Count("id"))
    return {
        "minutes": agg["minutes"] or 0,
        "entries": agg["entries"],
        "per_tier": [{"tier": t, "minutes": per_tier[t]} for t in sorted(per_tier)],
    }


def week_bounds(day: date) -> tuple[date, date]:
    """Monday and Sunday of the week holding `day`."""
    monday = day - timedelta(days=day.weekday())
    return monday, monday + timedelta(days=6)


def per_day_and_ticket(qs: QuerySet[TimeEntry]) -> dict[str, Any]:
    """Minutes per local day and per ticket (with its title) of a report."""
    tz = timezone.get_current_timezone()
    days = list(
        qs.order_by()
        .annotate(day=TruncDate("spent_at", tzinfo=tz))
        .values("day")
        .annotate(minutes=Sum("minutes"))
        .order_by("day")
    )
    tickets: list[dict[str, Any]] = [
        {
            "number": Ticket(pk=r["ticket_id"]).number,
            "title": r["ticket__title"],
            "minutes": r["minutes"],
            "entries": r["entries"],
        }
        for r in qs.order_by()
        .values("ticket_id", "ticket__title")
        .annotate(minutes=Sum("minutes"), entries=Count("id"))
        .order_by("-minutes", "ticket_id")
    ]
    return {"days": days, "tickets": tickets}
