"""Reads for users and teams."""

from __future__ import annotations

from django.db.models import QuerySet

from backline.accounts.choices import STAFF_ROLES
from backline.accounts.models import ApiToken, Team, User


def teams_all() -> QuerySet[Team]:
    """Every team, ordered by tier then name."""
    return Team.objects.order_by("tier", "name")


def team_ids_of(user: User) -> list[int]:
    """Ids of the teams the user belongs to (read once per user object: a request asks often)."""
    cached = getattr(user, "_backline_team_ids", None)
    if cached is None:
        cached = list(user.memberships.values_list("team_id", flat=True))
        user._backline_team_ids = cached  # type: ignore[attr-defined]
    return list(cached)


def staff_users() -> QuerySet[User]:
    """Active users who can work tickets, for assignee pickers."""
    return User.objects.filter(is_active=True, role__in=list(STAFF_ROLES)).order_by(
        "first_name", "last_name", "username"
    )


def tokens_of(user: User) -> QuerySet[ApiToken]:
    """A user's API tokens, newest first."""
    return ApiToken.objects.filter(user=user).order_by("-created_at")
