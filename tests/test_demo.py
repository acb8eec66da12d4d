"""The demo data set: what someone exploring `make demo` would notice, and timelines that add up."""

from __future__ import annotations

from collections import defaultdict

import pytest
from django.db import transaction
from django.utils import timezone

from backline.accounts.models import Team, TeamMembership, User
from backline.core.errors import DomainError
from backline.demo.generate import DEMO_LOGINS, load_demo
from backline.tickets.choices import OPEN_STATUSES, EventKind, Status
from backline.tickets.models import Comment, Ticket, TicketEvent

pytestmark = pytest.mark.django_db

PASSWORD = "backline-demo"
VERSIONED = {EventKind.ASSIGNED, EventKind.UPDATED, EventKind.STATUS_CHANGED}
REFERENCE_CASES = {
    "CRM crashes whenever users generate reports": "Application Support",
    "Intermittent disconnections from the collaboration platform for many employees": (
        "Network & Infrastructure"
    ),
    "eCommerce orders not syncing into ERP": "Application Support",
}


def _load(seed: int = 7, tickets: int = 200) -> str:
    return load_demo(seed=seed, tickets=tickets, password=PASSWORD, progress=False)


@pytest.fixture
def demo(db) -> str:
    return _load()


def _snapshot() -> list[tuple]:
    # History in arrival order; the reference cases apart, as their place in it follows the clock.
    rows = Ticket.objects.order_by("created_at", "id").values_list(
        "title", "status", "priority", "team__name"
    )
    return [r for r in rows if r[0] not in REFERENCE_CASES] + sorted(
        r for r in rows if r[0] in REFERENCE_CASES
    )


def _replay(timeline: list[TicketEvent], members: set[tuple[int, int]]) -> tuple:
    """(status, team, tier, assignee) after the events; each move starts where the last ended."""
    created = timeline[0].data
    status, team, tier = created["status"], created["team"], created["tier"]
    assignee = created["assignee"]
    for event in timeline[1:]:
        if event.kind == EventKind.ASSIGNED:
            team = event.data["changes"].get("team", [None, team])[1]
            assignee = event.data["changes"].get("assignee", [None, assignee])[1]
            tier = event.data["tier"]
            assert not assignee or (team["id"], assignee["id"]) in members, "assignee outside team"
            if "status" not in event.data:
                continue
            before, after = event.data["status"]
        elif event.kind == EventKind.STATUS_CHANGED:
            before, after = event.data["from"], event.data["to"]
        else:
            continue
        assert before == status, f"{event.kind} starts from {before} but the ticket was {status}"
        status = after
    return status, team and team["id"], tier, assignee and assignee["id"]


def test_teams_have_their_tiers_and_one_lead_each(demo):
    tiers = dict(Team.objects.values_list("name", "tier"))
    assert tiers == {
        "Service Desk": 1,
        "Application Support": 2,
        "Network & Infrastructure": 2,
        "Database": 2,
        "Engineering": 3,
        "Security": 3,
        "DevOps": 3,
    }
    for team in Team.objects.all():
        assert TeamMembership.objects.filter(team=team, is_lead=True).count() == 1, team.name
    assert User.objects.filter(memberships__isnull=False).distinct().count() >= 20
    assert User.objects.filter(role="requester", title__gt="").count() >= 40


def test_every_printed_login_works_with_the_demo_password(demo):
    roles = {}
    for username, what in DEMO_LOGINS:
        user = User.objects.get(username=username)
        assert user.check_password(PASSWORD), username
        assert what
        roles[username] = user.role
    assert sorted(set(roles.values())) == ["admin", "agent", "manager", "requester"]


def test_reference_cases_wait_open_in_their_l2_queues_with_the_l1_story(demo):
    for title, team_name in REFERENCE_CASES.items():
        ticket = Ticket.objects.select_related("team", "service", "ci").get(title=title)
        assert ticket.status in OPEN_STATUSES
        assert (ticket.team.name, ticket.tier) == (team_name, 2)
        assert ticket.service is not None and ticket.ci is not None
        assert ticket.priority <= 2
        comments = Comment.objects.filter(ticket=ticket).select_related("author")
        notes = [c for c in comments if c.is_internal]
        replies = [c for c in comments if not c.is_internal and c.author.is_staff_member]
        assert len(notes) >= 2 and replies, title
        assert any(c.author.memberships.filter(team__name="Service Desk").exists() for c in notes)
        routed = ticket.events.filter(kind=EventKind.ASSIGNED).order_by("at", "id").last()
        assert routed.data["changes"]["team"][0]["name"] == "Service Desk"
        assert routed.data["changes"]["team"][1]["name"] == team_name
        assert ticket.created_at > timezone.now() - timezone.timedelta(days=6)


def test_every_timeline_agrees_with_its_ticket(demo):
    events = defaultdict(list)
    for event in TicketEvent.objects.order_by("at", "id"):
        events[event.ticket_id].append(event)
    now = timezone.now()
    members = set(TeamMembership.objects.values_list("team_id", "user_id"))
    tickets = list(Ticket.objects.all())
    assert len(tickets) == 203
    for ticket in tickets:
        timeline = events[ticket.pk]
        kinds = [e.kind for e in timeline]
        assert kinds[0] == EventKind.CREATED and kinds.count(EventKind.CREATED) == 1, ticket.number
        assert timeline[0].at == ticket.created_at
        assert timeline[-1].at == ticket.updated_at <= now
        assert ticket.version == 1 + sum(k in VERSIONED for k in kinds), ticket.number
        expected = (ticket.status, ticket.team_id, ticket.tier, ticket.assignee_id)
        assert _replay(timeline, members) == expected, ticket.number
        moves = [e for e in timeline if e.kind == EventKind.STATUS_CHANGED]
        if ticket.status in (Status.RESOLVED, Status.CLOSED):
            resolved = [e for e in moves if e.data["to"] == Status.RESOLVED]
            assert resolved and resolved[-1].at == ticket.resolved_at, ticket.number
        else:
            assert ticket.resolved_at is None
        for event in timeline:
            if event.kind in (EventKind.REPLIED, EventKind.NOTED):
                assert event.comment.created_at == event.at
                assert event.comment.is_internal == (event.kind == EventKind.NOTED)


def test_history_looks_like_a_busy_desk(demo):
    statuses = set(Ticket.objects.values_list("status", flat=True))
    assert {Status.CLOSED, Status.IN_PROGRESS} <= statuses
    closed = Ticket.objects.filter(status=Status.CLOSED).count()
    assert closed > Ticket.objects.count() / 2
    assert Ticket.objects.filter(tier=3).exists()
    reached_l2 = (
        TicketEvent.objects.filter(kind=EventKind.ASSIGNED, data__tier=2)
        .values("ticket")
        .distinct()
        .count()
    )
    assert 0.15 < reached_l2 / Ticket.objects.count() < 0.6
    # a recurring incident for similar-incident search and recurrence detection
    assert (
        Ticket.objects.filter(title__icontains="CRM", category__slug="application")
        .filter(title__icontains="export")
        .count()
        >= 3
    )


def test_same_seed_gives_the_same_tickets_and_another_seed_does_not(db):
    with transaction.atomic():
        _load(seed=7, tickets=60)
        first = _snapshot()
        transaction.set_rollback(True)
    with transaction.atomic():
        _load(seed=8, tickets=60)
        other = _snapshot()
        transaction.set_rollback(True)
    _load(seed=7, tickets=60)
    assert _snapshot() == first
    assert [row[0] for row in other] != [row[0] for row in first]


def test_loading_twice_changes_nothing(demo):
    counts = (User.objects.count(), Ticket.objects.count(), TicketEvent.objects.count())
    message = _load()
    assert "already loaded" in message
    assert (User.objects.count(), Ticket.objects.count(), TicketEvent.objects.count()) == counts


def test_refuses_a_database_with_its_teams_and_stores_nothing(service_desk):
    with pytest.raises(DomainError, match="Service Desk"):
        _load(tickets=10)
    assert not User.objects.filter(username="hcarter").exists()


def test_summary_names_the_reference_cases_and_progress_off_is_silent(db, capsys):
    summary = _load(tickets=40)
    assert "43 tickets" in summary
    for title in REFERENCE_CASES:
        assert title in summary
    assert capsys.readouterr() == ("", "")
