"""The dashboard's filters, shared by the page, the exports and the API: a period and the
team, tier, category, service and priority of the tickets."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from backline.core.errors import DomainError, PermissionDenied


def tier_values(tier: int) -> list[int]:
    """The `tiers` bit sets (1 = L1, 2 = L2, 4 = L3) that include this tier."""
    bit = 1 << (tier - 1)
    return [value for value in range(1, 8) if value & bit]


PERIODS = {"7d": 7, "30d": 30, "90d": 90, "182d": 182, "365d": 365}
DEFAULT_PERIOD = "30d"
MAX_DAYS = 3 * 366
FILTER_KEYS = ("period", "start", "end", "team", "tier", "category", "service", "priority")


@dataclass(frozen=True)
class Filters:
    """A period [start, end) in UTC and the ticket attributes to keep."""

    start: datetime
    end: datetime
    period: str = DEFAULT_PERIOD
    team: int | None = None
    tier: int | None = None
    category: int | None = None
    service: int | None = None
    priority: int | None = None

    @property
    def first_day(self) -> date:
        """The period's first local day."""
        return self.start.astimezone(ZoneInfo(settings.TIME_ZONE)).date()

    @property
    def last_day(self) -> date:
        """The period's last local day (included)."""
        return (self.end - timedelta(seconds=1)).astimezone(ZoneInfo(settings.TIME_ZONE)).date()

    @property
    def days(self) -> int:
        return max(1, round((self.end - self.start).total_seconds() / 86400))

    def previous(self) -> Filters:
        """The same filters over the period just before this one, of the same length."""
        length = self.end - self.start
        return replace(self, start=self.start - length, end=self.start)

    def ticket_q(self, prefix: str = "") -> Q:
        """The attribute filters on TicketFact (or on a relation to it, with `prefix`)."""
        q = Q()
        for name in ("team", "category", "service", "priority"):
            value = getattr(self, name)
            if value is not None:
                column = f"{name}_id" if name != "priority" else name
                q &= Q(**{f"{prefix}{column}": value})
        if self.tier:
            q &= Q(**{f"{prefix}tiers__in": tier_values(self.tier)})
        return q

    @property
    def rollup_ready(self) -> bool:
        """Whether the daily rollups hold these filters (they have no category or service)."""
        return self.category is None and self.service is None

    def rollup_q(self) -> Q:
        """The attribute filters on DayRollup rows."""
        q = Q()
        if self.team is not None:
            q &= Q(team_id=self.team)
        if self.priority is not None:
            q &= Q(priority=self.priority)
        if self.tier:
            q &= Q(tiers__in=tier_values(self.tier))
        return q

    def params(self, **extra: Any) -> dict[str, Any]:
        """Query parameters that reproduce these filters (for links and exports)."""
        out: dict[str, Any] = {"period": self.period}
        if self.period == "custom":
            tz = ZoneInfo(settings.TIME_ZONE)
            out["start"] = self.start.astimezone(tz).date().isoformat()
            out["end"] = (self.end.astimezone(tz) - timedelta(seconds=1)).date().isoformat()
        for name in ("team", "tier", "category", "service", "priority"):
            if getattr(self, name) is not None:
                out[name] = getattr(self, name)
        out.update({k: v for k, v in extra.items() if v is not None})
        return out

    def query(self, **extra: Any) -> str:
        return urlencode(self.params(**extra))


def _int(data: Mapping[str, Any], name: str, low: int, high: int | None = None) -> int | None:
    raw = data.get(name)
    if raw in (None, ""):
        return None
    try:
        value = int(str(raw))
    except ValueError:
        raise DomainError(f"{name} must be a whole number.", field=name) from None
    if value < low or (high is not None and value > high):
        limit = f"between {low} and {high}" if high is not None else f"at least {low}"
        raise DomainError(f"{name} must be {limit}.", field=name)
    return value


def _day(data: Mapping[str, Any], name: str) -> date:
    raw = data.get(name)
    if not raw:
        raise DomainError(f"Give the {name} date of a custom period.", field=name)
    try:
        return date.fromisoformat(str(raw))
    except ValueError:
        raise DomainError(f"{name} must be a date like 2026-01-31.", field=name) from None


def require_scope(user: Any, filters: Filters) -> Filters:
    """Agents see the dashboard of their own teams only (one of them must be chosen); managers
    and admins every team's. PermissionDenied (403) otherwise."""
    if user.is_manager:
        return filters
    own = set(user.memberships.values_list("team_id", flat=True))
    if filters.team is None or filters.team not in own:
        raise PermissionDenied(
            "Agents see the dashboard of their own teams; choose one of them.", field="team"
        )
    return filters


def parse(data: Mapping[str, Any], *, now: datetime | None = None) -> Filters:
    """Filters from query parameters; a bad value raises DomainError naming the field."""
    now = now or timezone.now()
    tz = ZoneInfo(settings.TIME_ZONE)
    period = str(data.get("period") or "")
    if not period:
        period = "custom" if data.get("start") or data.get("end") else DEFAULT_PERIOD
    if period == "custom":
        first, last = _day(data, "start"), _day(data, "end")
        if last < first:
            raise DomainError("The end date is before the start date.", field="end")
        if (last - first).days + 1 > MAX_DAYS:
            raise DomainError(f"A period can be at most {MAX_DAYS} days.", field="end")
        start = datetime.combine(first, time.min, tz)
        end = datetime.combine(last + timedelta(days=1), time.min, tz)
    elif period in PERIODS:
        # Whole local days: today and the days before it.
        tomorrow = datetime.combine(now.astimezone(tz).date() + timedelta(days=1), time.min, tz)
        start, end = tomorrow - timedelta(days=PERIODS[period]), tomorrow
    else:
        raise DomainError(f"period must be one of {', '.join(PERIODS)} or custom.", field="period")
    return Filters(
        start=start.astimezone(ZoneInfo("UTC")),
        end=end.astimezone(ZoneInfo("UTC")),
        period=period,
        team=_int(data, "team", 1),
        tier=_int(data, "tier", 1, 3),
        category=_int(data, "category", 1),
        service=_int(data, "service", 1),
        priority=_int(data, "priority", 1, 4),
    )
