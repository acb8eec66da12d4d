"""Reads of the staffing app: arrivals and handle time from history, scheduled heads, and the
Erlang C forecast that puts them together."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import ExtractHour, ExtractIsoWeekDay
from django.utils import timezone

from backline.accounts.models import Team, User
from backline.core.errors import DomainError, NotFound
from backline.staffing import erlang, rules, services
from backline.staffing.models import Schedule
from backline.tickets.choices import EventKind
from backline.tickets.models import TicketEvent
from backline.worklog.models import TimeEntry

DEFAULT_WEEKS = 8
MAX_WEEKS = 52


def teams_for_planner(user: User) -> QuerySet[Team]:
    """The teams whose staffing `user` may see and plan: all for managers, led teams for leads."""
    teams = Team.objects.order_by("tier", "name")
    if user.is_manager:
        return teams
    return teams.filter(memberships__user=user, memberships__is_lead=True).distinct()


def team_for_planner(user: User, slug: str) -> Team:
    team = Team.objects.filter(slug=slug).first()
    if team is None:
        raise NotFound(f"No team {slug!r}.", field="team")
    services.require_planner(user, team)
    return team


def _zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def arrival_events(team: Team, start: datetime, end: datetime) -> QuerySet[TicketEvent]:
    """ESCALATED into the team, and tickets created directly in it."""
    return TicketEvent.objects.filter(at__gte=start, at__lt=end).filter(
        Q(kind=EventKind.ESCALATED, data__to_team__id=team.pk)
        | Q(kind=EventKind.CREATED, data__team__id=team.pk)
    )


def window(weeks: int, now: datetime | None = None) -> tuple[datetime, datetime]:
    """The last `weeks` whole weeks up to the current hour."""
    end = (now or timezone.now()).replace(minute=0, second=0, microsecond=0)
    return end - timedelta(weeks=weeks), end


def arrivals_per_hour(
    team: Team, *, weeks: int = DEFAULT_WEEKS, now: datetime | None = None
) -> list[float]:
    """Mean arrivals per week in each of the 168 local hours of the week (Monday 00:00 first)."""
    start, end = window(weeks, now)
    zone = _zone()
    counts = (
        arrival_events(team, start, end)
        .annotate(dow=ExtractIsoWeekDay("at", tzinfo=zone), hour=ExtractHour("at", tzinfo=zone))
        .values("dow", "hour")
        .annotate(n=Count("id"))
        .order_by()
    )
    per_hour = [0.0] * rules.HOURS_OF_WEEK
    for row in counts:
        per_hour[(row["dow"] - 1) * 24 + row["hour"]] += row["n"] / weeks
    return per_hour


def arrival_times(team: Team, start: datetime, end: datetime) -> list[datetime]:
    """When escalations and new tickets arrived in the team, in order (for replays)."""
    return list(arrival_events(team, start, end).order_by("at").values_list("at", flat=True))


@dataclass(frozen=True, slots=True)
class HandleTime:
    """Mean logged minutes per ticket, and where it came from."""

    minutes: float | None
    tickets: int
    source: str  # "window", "all history" or "none"


def _per_ticket_minutes(team: Team, ticket_ids: QuerySet | None = None) -> list[int]:
    entries = TimeEntry.objects.filter(team=team)
    if ticket_ids is not None:
        entries = entries.filter(ticket_id__in=ticket_ids)
    return list(
        entries.values("ticket_id")
        .annotate(total=Sum("minutes"))
        .order_by()
        .values_list("total", flat=True)
    )


def handle_time(
    team: Team, *, weeks: int = DEFAULT_WEEKS, now: datetime | None = None
) -> HandleTime:
    """Mean of the team's logged minutes per ticket over the tickets that arrived in the window;
    the team's mean across all history when none of them has time logged."""
    start, end = window(weeks, now)
    arrived = arrival_events(team, start, end).values("ticket_id")
    totals = _per_ticket_minutes(team, arrived)
    if totals:
        return HandleTime(sum(totals) / len(totals), len(totals), "window")
    totals = _per_ticket_minutes(team)
    if totals:
        return HandleTime(sum(totals) / len(totals), len(totals), "all history")
    return HandleTime(None, 0, "none")


def scheduled_per_hour(team: Team, *, on: datetime | None = None) -> list[float]:
    """People on the team's schedule in each hour of the week (fractions for part hours), counting
    schedules valid on the given day."""
    day = timezone.localtime(on or timezone.now(), _zone()).date()
    heads = [0.0] * rules.HOURS_OF_WEEK
    for week in Schedule.objects.filter(team=team, valid_from__lte=day).values_list(
        "week", flat=True
    ):
        for i, share in enumerate(rules.coverage(week)):
            heads[i] += share
    return heads


def schedule_rows(team: Team) -> list[dict]:
    """One row per team member with their schedule (or none), for the editor and the API."""
    schedules = {s.user_id: s for s in Schedule.objects.filter(team=team)}
    rows = []
    memberships = team.memberships.select_related("user").order_by(
        "-is_lead", "user__last_name", "user__first_name"
    )
    for m in memberships:
        s = schedules.get(m.user_id)
        rows.append(
            {
                "user": m.user,
                "is_lead": m.is_lead,
                "schedule": s,
                "week": s.week if s else {},
                "valid_from": s.valid_from if s else None,
                "version": s.version if s else 0,
                "hours": sum(rules.coverage(s.week)) if s else 0.0,
            }
        )
    return rows


@dataclass(frozen=True, slots=True)
class Params:
    """What the forecast is asked for; `check` names the field at fault."""

    target_share: float = 0.8
    target_minutes: float = 30
    weeks: int = DEFAULT_WEEKS
    volume_pct: float = 0
    handle_pct: float = 0

    def check(self) -> Params:
        checks = [
            ("target_share", 0 < self.target_share < 1, "between 0 and 1, e.g. 0.8"),
            ("target_minutes", 0 < self.target_minutes <= 1440, "between 1 and 1440 minutes"),
            ("weeks", 1 <= self.weeks <= MAX_WEEKS, f"between 1 and {MAX_WEEKS}"),
            ("volume_pct", -100 < self.volume_pct <= 1000, "above −100 % and at most +1000 %"),
            ("handle_pct", -100 < self.handle_pct <= 1000, "above −100 % and at most +1000 %"),
        ]
        for name, ok, hint in checks:
            value = getattr(self, name)
            if not ok or (isinstance(value, float) and not math.isfinite(value)):
                raise DomainError(f"{name} must be {hint}.", field=name)
        return self


@dataclass(slots=True)
class Hour:
    """One hour of the week in the forecast."""

    index: int
    label: str
    rate: float  # arrivals per hour
    aht_minutes: float | None
    load: float | None  # Erlangs
    required: int | None
    scheduled: float
    gap: float | None  # scheduled − required: negative means short
    predicted_sl: float | None  # with the scheduled people (whole heads)


@dataclass(slots=True)
class Forecast:
    team: Team
    params: Params
    window: tuple[datetime, datetime]
    handle: HandleTime
    aht_minutes: float | None
    hours: list[Hour]
    totals: dict = field(default_factory=dict)


def forecast(
    team: Team,
    *,
    target_share: float = 0.8,
    target_minutes: float = 30,
    weeks: int = DEFAULT_WEEKS,
    volume_pct: float = 0,
    handle_pct: float = 0,
    now: datetime | None = None,
) -> Forecast:
    """Per hour of the week: arrival rate, handle time, offered load, the engineers Erlang C
    requires for the target, the people scheduled, the gap, and the service level they give."""
    params = Params(target_share, target_minutes, weeks, volume_pct, handle_pct).check()
    rates = [r * (1 + volume_pct / 100) for r in arrivals_per_hour(team, weeks=weeks, now=now)]
    handle = handle_time(team, weeks=weeks, now=now)
    aht = handle.minutes * (1 + handle_pct / 100) if handle.minutes is not None else None
    scheduled = scheduled_per_hour(team, on=now)
    hours = [_hour(i, rate, aht, scheduled[i], params) for i, rate in enumerate(rates)]
    return Forecast(team, params, window(weeks, now), handle, aht, hours, _totals(hours))


def _hour(index: int, rate: float, aht: float | None, scheduled: float, p: Params) -> Hour:
    heads = math.floor(scheduled + 1e-9)
    if rate == 0:
        required, load, sl = 0, 0.0, 1.0
    elif aht is None:
        required, load, sl = None, None, None
    else:
        aht_h = aht / 60
        load = erlang.offered_load(rate, aht_h)
        required = erlang.required_agents(
            rate, aht_h, target_share=p.target_share, target_time=p.target_minutes / 60
        )
        sl = erlang.service_level(heads, load, p.target_minutes / 60, aht_h)
    gap = None if required is None else round(scheduled - required, 2)
    return Hour(
        index, rules.hour_label(index), rate, aht, load, required, round(scheduled, 2), gap, sl
    )


def _totals(hours: list[Hour]) -> dict:
    known = [h for h in hours if h.required is not None]
    return {
        "arrivals_per_week": sum(h.rate for h in hours),
        "required_hours": sum(h.required or 0 for h in known),
        "scheduled_hours": round(sum(h.scheduled for h in hours), 2),
        "short_hours": sum(1 for h in known if h.gap is not None and h.gap < 0),
        "short_person_hours": round(
            sum(-h.gap for h in known if h.gap is not None and h.gap < 0), 2
        ),
        "over_person_hours": round(sum(h.gap for h in known if h.gap is not None and h.gap > 0), 2),
        "peak_required": max((h.required or 0 for h in known), default=0),
    }


def busiest_hours(result: Forecast, count: int = 5) -> list[Hour]:
    """The hours of the week with the most arrivals (and a known handle time)."""
    known = [h for h in result.hours if h.rate > 0 and h.required is not None]
    return sorted(known, key=lambda h: (-h.rate, h.index))[:count]


def validate(
    result: Forecast, *, count: int = 5, duration_hours: float = 4000, seed: int = 1
) -> list[dict]:
    """For the busiest hours: Erlang C's service level with the required N next to the simulated
    one (Poisson arrivals, exponential handle times, the same N, `duration_hours` simulated)."""
    from backline.staffing.simulation import simulate_erlang

    rows = []
    p = result.params
    for h in busiest_hours(result, count):
        if h.required is None or h.aht_minutes is None or h.load is None:
            continue  # busiest_hours only returns hours with a known handle time
        aht_h, t = h.aht_minutes / 60, p.target_minutes / 60
        sim = simulate_erlang(
            h.rate, aht_h, h.required, target_wait=t, duration=duration_hours, seed=seed + h.index
        )
        formula = erlang.service_level(h.required, h.load, t, aht_h)
        rows.append(
            {
                "label": h.label,
                "rate": h.rate,
                "agents": h.required,
                "formula_sl": formula,
                "simulated_sl": sim.share_within,
                "difference": sim.share_within - formula,
                "formula_asa_minutes": erlang.average_speed_of_answer(h.required, h.load, aht_h)
                * 60,
                "simulated_asa_minutes": sim.mean_wait * 60,
                "utilisation": sim.utilisation,
                "calls": sim.calls,
            }
        )
    return rows
