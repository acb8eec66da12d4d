"""Every write of the staffing app: team members' weekly schedules."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db import transaction
from django.utils import timezone

from backline.accounts.models import Team, TeamMembership, User
from backline.core.errors import Conflict, DomainError, PermissionDenied
from backline.staffing import rules
from backline.staffing.models import Schedule


def can_plan(actor: User, team: Team) -> bool:
    """Managers plan every team; a team lead plans the teams they lead."""
    if not actor.is_active:
        return False
    if actor.is_manager:
        return True
    return TeamMembership.objects.filter(user=actor, team=team, is_lead=True).exists()


def require_planner(actor: User, team: Team) -> None:
    if not can_plan(actor, team):
        raise PermissionDenied(f"Only managers and the lead of {team.name} can plan its staffing.")


def _week(week: Any, field_prefix: str = "") -> dict[str, list[list[str]]]:
    try:
        return rules.check_week(week)
    except ValueError as exc:
        field = exc.args[1] if len(exc.args) > 1 else "week"
        raise DomainError(str(exc.args[0]), field=f"{field_prefix}{field}") from exc


def _check_version(schedule: Schedule | None, version: int | None) -> None:
    if version is None:
        return
    current = schedule.version if schedule is not None else 0
    if current != version:
        raise Conflict(
            "Someone changed this schedule a moment ago; reload it and try again.",
            field="version",
        )


def schedule_save(
    *,
    actor: User,
    team: Team,
    user: User,
    week: Any,
    valid_from: date | None = None,
    version: int | None = None,
) -> Schedule:
    """Create or replace a member's weekly hours in a team. With `version` (0 for a new one),
    a schedule changed by someone else since it was read is refused with a conflict."""
    require_planner(actor, team)
    clean = _week(week)
    if not TeamMembership.objects.filter(team=team, user=user).exists():
        raise DomainError(f"{user.display_name} is not a member of {team.name}.", field="user")
    with transaction.atomic():
        schedule = Schedule.objects.select_for_update().filter(team=team, user=user).first()
        _check_version(schedule, version)
        if schedule is None:
            schedule = Schedule(team=team, user=user, version=0)
        schedule.week = clean
        schedule.valid_from = valid_from or schedule.valid_from or timezone.localdate()
        schedule.version += 1
        schedule.full_clean()
        schedule.save()
    return schedule


def schedule_delete(*, actor: User, schedule: Schedule, version: int | None = None) -> None:
    """Take a member off the team's schedule."""
    require_planner(actor, schedule.team)
    with transaction.atomic():
        current = Schedule.objects.select_for_update().filter(pk=schedule.pk).first()
        if current is None:
            return
        _check_version(current, version)
        current.delete()


def team_schedule_replace(*, actor: User, team: Team, rows: list[dict[str, Any]]) -> list[Schedule]:
    """Set the whole team's schedule at once: one row per member (`user`, `week`, optional
    `valid_from` and `version`); members left out or with no hours are taken off it. All or
    nothing: one bad row changes nothing."""
    require_planner(actor, team)
    members = {
        m.user_id: m.user for m in TeamMembership.objects.filter(team=team).select_related("user")
    }
    seen: set[int] = set()
    with transaction.atomic():
        saved = []
        for n, row in enumerate(rows):
            user_id = row.get("user")
            if user_id not in members:
                raise DomainError(
                    f"Row {n + 1}: not a member of {team.name}.", field=f"members.{n}.user"
                )
            if user_id in seen:
                raise DomainError(
                    f"Row {n + 1}: this member is listed twice.", field=f"members.{n}.user"
                )
            seen.add(user_id)
            week = _week(row.get("week"), f"members.{n}.week.")
            if week:
                saved.append(
                    schedule_save(
                        actor=actor,
                        team=team,
                        user=members[user_id],
                        week=week,
                        valid_from=row.get("valid_from"),
                        version=row.get("version"),
                    )
                )
            else:
                existing = Schedule.objects.filter(team=team, user_id=user_id).first()
                if existing is not None:
                    schedule_delete(actor=actor, schedule=existing, version=row.get("version"))
        for schedule in Schedule.objects.filter(team=team).exclude(user_id__in=seen):
            schedule_delete(actor=actor, schedule=schedule)
    return saved
