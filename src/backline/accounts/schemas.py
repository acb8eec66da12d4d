from __future__ import annotations

from ninja import Schema


class UserRef(Schema):
    id: int
    username: str
    name: str

    @staticmethod
    def resolve_name(obj) -> str:
        return obj.display_name


class TeamOut(Schema):
    id: int
    name: str
    slug: str
    tier: int
    description: str
    email: str


class MembershipOut(Schema):
    team: TeamOut
    is_lead: bool


class MeOut(Schema):
    id: int
    username: str
    name: str
    email: str
    role: str
    teams: list[MembershipOut]
