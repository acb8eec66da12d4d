"""API of the staffing app: the Erlang C forecast of a team and its members' schedules."""

from __future__ import annotations

from typing import Any, cast

from django.http import HttpRequest
from ninja import Router

from backline.accounts.models import Team, User
from backline.core.api import ErrorOut
from backline.core.errors import DomainError
from backline.staffing import queries, services
from backline.staffing.schemas import ForecastOut, ScheduleIn, ScheduleOut

router = Router(tags=["staffing"])

ERRORS: dict[int, Any] = dict.fromkeys((400, 401, 403, 404, 409, 422, 429), ErrorOut)


def _user(request: HttpRequest) -> User:
    return cast(User, request.user)  # the API's authentication guarantees a signed-in user


def forecast_out(result: queries.Forecast) -> dict:
    p = result.params
    return {
        "team": result.team.slug,
        "target_share": p.target_share,
        "target_minutes": p.target_minutes,
        "weeks": p.weeks,
        "volume_pct": p.volume_pct,
        "handle_pct": p.handle_pct,
        "window_start": result.window[0],
        "window_end": result.window[1],
        "handle_time": result.handle,
        "aht_minutes": result.aht_minutes,
        "totals": result.totals,
        "hours": result.hours,
    }


def _schedule_out(team: Team) -> dict:
    members = [
        {
            "user": row["user"].username,
            "name": row["user"].display_name,
            "is_lead": row["is_lead"],
            "week": row["week"],
            "valid_from": row["valid_from"],
            "version": row["version"],
            "hours_per_week": round(row["hours"], 2),
        }
        for row in queries.schedule_rows(team)
    ]
    return {"team": team.slug, "members": members}


@router.get("/staffing/forecast", response={200: ForecastOut, **ERRORS})
def forecast(
    request: HttpRequest,
    team: str,
    target_share: float = 0.8,
    target_minutes: float = 30,
    weeks: int = queries.DEFAULT_WEEKS,
    volume_pct: float = 0,
    handle_pct: float = 0,
):
    """168 hours of the week (local time): arrivals, handle time, Erlang C requirement, the
    scheduled people and the gap. `volume_pct` and `handle_pct` are what-ifs in percent."""
    record = queries.team_for_planner(_user(request), team)
    result = queries.forecast(
        record,
        target_share=target_share,
        target_minutes=target_minutes,
        weeks=weeks,
        volume_pct=volume_pct,
        handle_pct=handle_pct,
    )
    return forecast_out(result)


@router.get("/staffing/teams/{slug}/schedule", response={200: ScheduleOut, **ERRORS})
def schedule_get(request: HttpRequest, slug: str):
    """Every member of the team with their weekly hours (empty when not on the schedule)."""
    return _schedule_out(queries.team_for_planner(_user(request), slug))


@router.put("/staffing/teams/{slug}/schedule", response={200: ScheduleOut, **ERRORS})
def schedule_put(request: HttpRequest, slug: str, payload: ScheduleIn):
    """Replace the team's schedule; members left out or with no hours are taken off it."""
    team = queries.team_for_planner(_user(request), slug)
    users = dict(
        User.objects.filter(username__in=[m.user for m in payload.members]).values_list(
            "username", "pk"
        )
    )
    rows = []
    for n, member in enumerate(payload.members):
        if member.user not in users:
            raise DomainError(f"No user {member.user!r}.", field=f"members.{n}.user")
        rows.append({**member.dict(), "user": users[member.user]})
    services.team_schedule_replace(actor=_user(request), team=team, rows=rows)
    return _schedule_out(team)
