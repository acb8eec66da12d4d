"""API: who am I, and the teams."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Router

from backline.accounts.queries import teams_all
from backline.accounts.schemas import MeOut, TeamOut
from backline.core.api import ErrorOut
from backline.core.errors import NotFound

router = Router(tags=["accounts"])


@router.get("/me", response={200: MeOut, 401: ErrorOut})
def me(request: HttpRequest):
    user = request.user
    memberships = user.memberships.select_related("team").order_by("team__tier", "team__name")
    return {
        "id": user.pk,
        "username": user.username,
        "name": user.display_name,
        "email": user.email,
        "role": user.role,
        "teams": list(memberships),
    }


@router.get("/teams", response={200: list[TeamOut], 401: ErrorOut})
def team_list(request: HttpRequest):
    return teams_all()


@router.get("/teams/{slug}", response={200: TeamOut, 401: ErrorOut, 404: ErrorOut})
def team_detail(request: HttpRequest, slug: str):
    team = teams_all().filter(slug=slug).first()
    if team is None:
        raise NotFound(f"No team {slug!r}.", field="slug")
    return team
