"""The demo data set: what someone exploring `make demo` would notice, and timelines that add up."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import timedelta

import pytest
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from backline.accounts.models import Team, TeamMembership, User
from backline.cmdb.models import ConfigurationItem
from backline.core.errors import DomainError
from backline.demo import planted
from backline.demo.generate import DEMO_LOGINS, load_demo
from backline.escalation import queries, rules, services
from backline.escalation.choices import EscalationState, TaskStatus
from backline.escalation.models import Escalation, Task
from backline.tickets.choices import OPEN_STATUSES, EventKind, Status
from backline.tickets.models import Comment, Ticket, TicketEvent

pytestmark = pytest.mark.django_db

PASSWORD = "backline-demo"
PLANTED = sum(len(g.days) for g in planted.GROUPS)  # the planted recurring groups' tickets
ALERTS = 4  # the incidents the demo's monitoring alerts opened (demo.alerts)
MAIL = 2  # the tickets the demo's email threads opened (demo.mail)
# Events whose service saves the ticket (and bumps its version); acceptance only when the
# accepting engineer takes the ticket through ticket_route (then its data has "changes").
VERSIONED = {
    EventKind.ASSIGNED,
    EventKind.UPDATED,
    EventKind.STATUS_CHANGED,
    EventKind.ESCALATED,
    EventKind.RETURNED,
    EventKind.DEESCALATED,
}
# Events that move the ticket between teams or people (ticket_update, ticket_route).
MOVES = {
    EventKind.ASSIGNED,
    EventKind.ESCALATED,
    EventKind.ACCEPTED,
    EventKind.RETURNED,
    EventKind.DEESCALATED,
}
SLA_EVENTS = {EventKind.SLA_WARNING, EventKind.SLA_BREACHED}
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


def _bumps(event: TicketEvent) -> bool:
    return event.kind in VERSIONED or (event.kind == EventKind.ACCEPTED and "changes" in event.data)


def _replay(timeline: list[TicketEvent], members: set[tuple[int, int]]) -> tuple:
    """(status, team, tier, assignee) after the events; each move starts where the last ended."""
    created = timeline[0].data
    status, team, tier = created["status"], created["team"], created["tier"]
    assignee = created["assignee"]
    for event in timeline[1:]:
        if event.kind in MOVES and "changes" in event.data:
            changes = event.data["changes"]
            if "team" in changes:
                assert changes["team"][0] == team, f"{event.kind} moves from another team"
                team = changes["team"][1]
            if "assignee" in changes:
                assert changes["assignee"][0] == assignee, f"{event.kind} from another assignee"
                assignee = changes["assignee"][1]
            assert event.data.get("from_tier", tier) == tier, f"{event.kind} from another tier"
            tier = event.data["tier"]
            assert not assignee or (team["id"], assignee["id"]) in members, "assignee outside team"
            if "status" not in event.data:
                continue
            before, after = event.data["status"]
        elif event.kind == EventKind.STATUS_CHANGED:
            before, after = event.data["from"], event.data["to"]
            # starting an unassigned ticket takes it (ticket_transition)
            assignee = event.data.get("changes", {}).get("assignee", [None, assignee])[1]
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
        escalated = ticket.events.filter(kind=EventKind.ESCALATED).order_by("at", "id").last()
        assert escalated.data["changes"]["team"][0]["name"] == "Service Desk"
        assert escalated.data["changes"]["team"][1]["name"] == team_name
        assert escalated.actor.memberships.filter(team__name="Service Desk").exists()
        assert ticket.created_at > timezone.now() - timezone.timedelta(days=6)


def _package(escalation: Escalation) -> rules.Package:
    return rules.Package(
        **{name: getattr(escalation, name) for name in services.PACKAGE_TEXT_FIELDS},
        impact_users=escalation.impact_users,
        evidence_count=escalation.evidence.count(),
    )


def test_reference_cases_carry_full_handoff_packages_and_one_waits_in_an_inbox(demo):
    states = {}
    for title, team_name in REFERENCE_CASES.items():
        ticket = Ticket.objects.get(title=title)
        escalations = list(ticket.escalations.select_related("to_team", "from_team"))
        assert escalations, title
        for esc in escalations:
            assert rules.missing_parts(_package(esc), services.handoff_required(esc.to_team)) == []
            # a good analyst writes more than the minimum
            assert esc.reproduction_steps and esc.hypothesis and esc.urgency_justification
            assert esc.impact_at_risk and esc.impact_users and len(esc.steps_taken) > 300
            assert esc.from_team.name == "Service Desk"
        last = escalations[-1]
        assert last.to_team.name == team_name
        states[title] = [(e.to_team.name, e.state) for e in escalations]
    crm, collaboration, shop = (states[t] for t in REFERENCE_CASES)
    assert crm == [("Database", "returned"), ("Application Support", "accepted")]
    assert collaboration == [("Network & Infrastructure", "pending")]
    assert shop == [("Application Support", "pending")]
    tbecker = User.objects.get(username="tbecker")
    fhaddad = User.objects.get(username="fhaddad")
    assert any(e.ticket.title in REFERENCE_CASES for e in queries.inbox(tbecker))
    assert any(e.ticket.title in REFERENCE_CASES for e in queries.inbox(fhaddad))
    crm_ticket = Ticket.objects.get(title=next(iter(REFERENCE_CASES)))
    assert crm_ticket.assignee == tbecker
    returned = crm_ticket.escalations.get(state=EscalationState.RETURNED)
    assert returned.return_reason == "wrong_team" and "Application Support" in returned.guidance
    hops = [(h.label, h.how, h.bounced) for h in queries.ticket_trail(crm_ticket)]
    assert hops == [
        ("L1 Service Desk", "created", False),
        ("L2 Database", "escalated", False),
        ("L1 Service Desk", "returned", True),
        ("L2 Application Support", "escalated", False),
    ]


def test_every_timeline_agrees_with_its_ticket(demo):
    events = defaultdict(list)
    # SLA warnings and breaches are recorded by the sweep without touching the ticket, and so
    # are the links problem_link_incidents records on the incidents of the demo problems, and
    # the requesters' ratings (a rating never bumps the ticket, so it cannot conflict an edit).
    untouched = {*SLA_EVENTS, EventKind.PROBLEM_LINKED, EventKind.PROBLEM_UNLINKED, EventKind.RATED}
    for event in TicketEvent.objects.exclude(kind__in=untouched).order_by("at", "id"):
        events[event.ticket_id].append(event)
    now = timezone.now()
    members = set(TeamMembership.objects.values_list("team_id", "user_id"))
    tickets = list(Ticket.objects.all())
    assert len(tickets) == 203 + PLANTED + ALERTS + MAIL
    # Numbers follow creation time, whichever way a ticket was written.
    assert [t.pk for t in sorted(tickets, key=lambda t: (t.created_at, t.pk))] == sorted(
        t.pk for t in tickets
    )
    for ticket in tickets:
        timeline = events[ticket.pk]
        kinds = [e.kind for e in timeline]
        assert kinds[0] == EventKind.CREATED and kinds.count(EventKind.CREATED) == 1, ticket.number
        assert timeline[0].at == ticket.created_at
        assert timeline[-1].at == ticket.updated_at <= now
        assert ticket.version == 1 + sum(_bumps(e) for e in timeline), ticket.number
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
    reached_l2 = TicketEvent.objects.filter(data__tier=2).values("ticket").distinct().count()
    assert 0.15 < reached_l2 / Ticket.objects.count() < 0.6
    # Between teams, tickets move only by escalation, return and de-escalation; a plain
    # assignment sets the team only when a ticket is first routed.
    for event in TicketEvent.objects.filter(kind=EventKind.ASSIGNED):
        move = event.data["changes"].get("team")
        assert move is None or move[0] is None, event.ticket_id
    # a recurring incident for similar-incident search and recurrence detection
    assert (
        Ticket.objects.filter(title__icontains="CRM", category__slug="application")
        .filter(title__icontains="export")
        .count()
        >= 3
    )


def test_every_escalation_event_names_its_escalation_row(demo):
    rows = {e.pk: e for e in Escalation.objects.all()}
    assert rows
    seen: dict[str, Counter] = defaultdict(Counter)
    events = TicketEvent.objects.filter(
        kind__in=[EventKind.ESCALATED, EventKind.ACCEPTED, EventKind.RETURNED, EventKind.BOUNCED]
    ).order_by("at", "id")
    for event in events:
        assert event.is_internal, "packages and guidance never reach requesters"
        data = event.data
        esc = rows[data["escalation"]]
        assert esc.ticket_id == event.ticket_id
        seen[event.kind][esc.pk] += 1
        if event.kind == EventKind.ESCALATED:
            assert data["from_team"]["id"] == esc.from_team_id == data["changes"]["team"][0]["id"]
            assert data["to_team"]["id"] == esc.to_team_id == data["changes"]["team"][1]["id"]
            assert (data["from_tier"], data["tier"]) == (esc.from_tier, esc.to_tier)
            assert esc.to_tier > esc.from_tier
            assert data["summary"] == esc.summary[:300]
            assert (event.at, event.actor_id) == (esc.created_at, esc.created_by_id)
            assert data["changes"]["assignee"][0] == (
                {"id": esc.previous_assignee_id, "name": esc.previous_assignee.display_name}
                if esc.previous_assignee_id
                else None
            )
        elif event.kind == EventKind.ACCEPTED:
            assert esc.state == EscalationState.ACCEPTED
            assert data["team"]["id"] == esc.to_team_id
            assert (event.at, event.actor_id) == (esc.decided_at, esc.decided_by_id)
            waited = (esc.decided_at - esc.created_at).total_seconds()
            assert data["waited_seconds"] == int(waited) >= 0
            if "changes" in data:  # assign_to_self
                assert data["changes"]["assignee"][1]["id"] == event.actor_id
        elif event.kind == EventKind.RETURNED:
            assert esc.state == EscalationState.RETURNED
            assert (data["reason"], data["guidance"]) == (esc.return_reason, esc.guidance)
            assert data["from_team"]["id"] == esc.to_team_id
            assert data["to_team"]["id"] == esc.from_team_id == data["changes"]["team"][1]["id"]
            assert (event.at, event.actor_id) == (esc.decided_at, esc.decided_by_id)
        else:
            assert data["cause"] == "returned" and data["reason"] == esc.return_reason
            assert event.at == esc.decided_at
    for esc in rows.values():
        assert seen[EventKind.ESCALATED][esc.pk] == 1
        assert rules.missing_parts(_package(esc), services.handoff_required(esc.to_team)) == []
        if esc.state == EscalationState.RETURNED:
            assert seen[EventKind.RETURNED][esc.pk] == seen[EventKind.BOUNCED][esc.pk] == 1
            assert esc.return_reason and esc.guidance
        elif esc.state == EscalationState.ACCEPTED:
            assert seen[EventKind.ACCEPTED][esc.pk] == 1
        else:
            assert esc.decided_at is None and esc.decided_by_id is None
            ticket = esc.ticket
            assert (ticket.team_id, ticket.assignee_id) == (esc.to_team_id, None)
    pending = Counter(
        Escalation.objects.filter(state=EscalationState.PENDING).values_list("ticket", flat=True)
    )
    assert all(n == 1 for n in pending.values())


def test_a_bounced_history_ticket_shows_the_return_in_its_trail(demo):
    bounced = (
        TicketEvent.objects.filter(kind=EventKind.BOUNCED)
        .exclude(ticket__title__in=REFERENCE_CASES)
        .values_list("ticket", flat=True)
    )
    assert bounced
    for ticket in Ticket.objects.filter(pk__in=list(bounced)):
        hops = queries.ticket_trail(ticket)
        assert any(h.how == "returned" and h.bounced for h in hops), ticket.number
        returned = [i for i, h in enumerate(hops) if h.how == "returned"]
        assert all(hops[i].tier < hops[i - 1].tier for i in returned), ticket.number


def test_collaboration_tasks_match_their_events_and_are_done_before_resolving(demo):
    tasks = list(Task.objects.select_related("ticket", "team"))
    assert tasks
    events = defaultdict(list)
    for event in TicketEvent.objects.filter(
        kind__in=[EventKind.TASK_CREATED, EventKind.TASK_UPDATED]
    ).order_by("at", "id"):
        assert event.is_internal
        events[event.data["task"]].append(event)
    for task in tasks:
        created, *updates = events[task.pk]
        assert created.kind == EventKind.TASK_CREATED
        assert created.data["number"] == task.number and created.data["title"] == task.title
        assert created.data["team"]["id"] == task.team_id
        assert created.data["assignee"] is None or updates[0].actor_id == task.assignee_id
        assert created.data["due_at"] == task.due_at.isoformat() and task.due_at > created.at
        assert (created.at, created.actor_id) == (task.created_at, task.created_by_id)
        assert task.version == 1 + len(updates)
        assert task.updated_at == (updates[-1].at if updates else task.created_at)
        status = TaskStatus.OPEN
        for update in updates:
            before, after = update.data["changes"]["status"]
            assert before == status
            status = after
        assert status == task.status
        if task.status == TaskStatus.DONE:
            assert task.outcome and task.completed_at == updates[-1].at
            resolved = task.ticket.events.filter(
                kind=EventKind.STATUS_CHANGED, data__to=Status.RESOLVED
            )
            assert all(e.at > task.completed_at for e in resolved)
        else:
            assert task.ticket.status in OPEN_STATUSES and task.completed_at is None


def test_a_larger_history_has_plausible_escalation_metrics_and_every_kind_of_path(db):
    _load(tickets=1000)
    now = timezone.now()
    m = queries.escalation_metrics(start=now - timedelta(days=183), end=now + timedelta(hours=1))
    assert m["tickets_created"] == 1003 + PLANTED + ALERTS + MAIL
    # The history is anchored on the hour it is loaded, so the rate moves a little with the
    # clock (0.402 at 18:00 UTC): a band, not a point.
    assert 0.30 <= m["escalation_rate"] <= 0.42
    assert 0.05 <= m["bounce_rate"] <= 0.15
    for row in m["acceptance"]:
        assert 1 <= row["median_minutes"] <= 240, row
    assert {row["team"] for row in m["acceptance"]} >= {
        "Application Support",
        "Network & Infrastructure",
        "Database",
        "Engineering",
    }
    returns = {row["reason"]: row["count"] for row in m["returns"]}
    assert returns["insufficient_info"] == max(returns.values())
    assert {"insufficient_info", "wrong_team", "lower_tier"} <= set(returns)
    share = Escalation.objects.filter(state="returned").count() / Escalation.objects.count()
    assert 0.06 <= share <= 0.14
    # wrong-team returns are escalated again to another team of the same tier
    for esc in Escalation.objects.filter(return_reason="wrong_team").select_related("ticket"):
        later = esc.ticket.escalations.filter(created_at__gt=esc.created_at).first()
        if later is not None:
            assert later.to_team_id != esc.to_team_id and later.to_tier == esc.to_tier
    deescalated = TicketEvent.objects.filter(kind=EventKind.DEESCALATED)
    assert deescalated.exists()
    for event in deescalated:
        assert (
            event.is_internal
            and event.data["note"]
            and event.data["tier"] < event.data["from_tier"]
        )
        assert event.data["to_team"]["name"] == "Service Desk"
    assert Task.objects.count() >= 10
    assert len(set(Task.objects.values_list("team__name", flat=True))) >= 3


def test_without_returned_keys_the_rows_get_explicit_ids_that_events_name(db, monkeypatch):
    from django.db import connection

    # Backends that cannot return keys from a bulk insert get ids after the current maximum;
    # the reference cases, saved one by one in between, must not collide with them.
    monkeypatch.setattr(type(connection.features), "can_return_rows_from_bulk_insert", False)
    _load(tickets=120)
    assert Ticket.objects.count() == 123 + PLANTED + ALERTS + MAIL
    rows = {e.pk: e for e in Escalation.objects.all()}
    assert len(rows) > 10
    for event in TicketEvent.objects.filter(kind=EventKind.ESCALATED):
        assert rows[event.data["escalation"]].ticket_id == event.ticket_id
    for event in TicketEvent.objects.filter(kind=EventKind.TASK_CREATED):
        assert Task.objects.get(pk=event.data["task"]).ticket_id == event.ticket_id
    with_comment = TicketEvent.objects.filter(comment__isnull=False)
    assert with_comment.count() == Comment.objects.count()
    assert not with_comment.exclude(comment__ticket=F("ticket")).exists()


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
    assert f"{43 + PLANTED + ALERTS + MAIL} tickets" in summary
    for title in REFERENCE_CASES:
        assert title in summary
    assert capsys.readouterr() == ("", "")


def _history(ticket: Ticket) -> bool:
    return ticket.title not in REFERENCE_CASES


def test_every_history_ticket_has_its_sla_clocks_and_one_live_clock_per_target(demo):
    from backline.sla import services as sla
    from backline.sla.choices import ClockState, Target
    from backline.sla.models import SlaClock

    clocks = defaultdict(list)
    for clock in SlaClock.objects.all():
        clocks[clock.ticket_id].append(clock)
    for ticket in filter(_history, Ticket.objects.select_related("requester")):
        if sla.policy_for(ticket) is None:
            continue
        targets = Counter((c.target, c.tier) for c in clocks[ticket.pk])
        assert targets[(Target.FIRST_RESPONSE, 0)] == 1, ticket.number
        assert targets[(Target.RESOLUTION, 0)] == 1, ticket.number
        live = Counter((c.target, c.tier) for c in clocks[ticket.pk] if c.state != "stopped")
        assert all(n == 1 for n in live.values()), ticket.number
        for clock in clocks[ticket.pk]:
            if clock.state == ClockState.STOPPED:
                assert clock.met == (
                    clock.breached_at is None and clock.elapsed_minutes <= clock.target_minutes
                )
                assert clock.due_at is None and clock.stopped_at <= ticket.updated_at
            elif clock.state == ClockState.RUNNING:
                assert clock.due_at is not None and clock.warn_at <= clock.due_at
            else:
                assert clock.due_at is None and clock.pauses.filter(resumed_at=None).count() == 1
        if not ticket.is_open:
            assert not live, f"{ticket.number} is {ticket.status} with live clocks"


def test_history_clocks_agree_with_the_live_handlers_on_the_reference_cases(demo):
    """The reference cases got their clocks from sla.handlers; replaying their events in memory
    must give the same clocks (the sweep has not run on them, so compare without crossings)."""
    from backline.demo import clocks
    from backline.sla.models import SlaClock

    fields = ("target", "tier", "policy_id", "state", "started_at", "elapsed_minutes")
    fields += ("running_since", "due_at", "warn_at", "stopped_at", "met", "target_minutes")
    cases = [t for t in Ticket.objects.all() if not _history(t)]
    assert len(cases) == 3
    for ticket in cases:
        events = list(ticket.events.exclude(kind__in=SLA_EVENTS).order_by("at", "id"))
        replayed = clocks.replay([(ticket, events)], now=events[0].at - timedelta(days=1))
        got = sorted(tuple(getattr(c, f) for f in fields) for c in replayed.clocks)
        live = SlaClock.objects.filter(ticket=ticket)
        assert got == sorted(tuple(getattr(c, f) for f in fields) for c in live), ticket.number
        assert any(c.target == "ola_accept" for c in live)


def test_each_breach_and_warning_is_one_event_dated_when_it_happened(demo):
    from backline.sla.models import SlaClock

    events = defaultdict(list)
    for event in TicketEvent.objects.filter(kind__in=SLA_EVENTS):
        assert event.is_internal and event.actor is None
        events[(event.kind, event.data["clock"])].append(event)
    breached = SlaClock.objects.filter(breached_at__isnull=False).select_related("policy")
    assert breached.exists()
    for clock in breached:
        (event,) = events.pop((EventKind.SLA_BREACHED, clock.pk))
        assert event.at == clock.breached_at and event.ticket_id == clock.ticket_id
        assert event.data["target"] == clock.target and event.data["tier"] == clock.tier
        assert event.data["policy"] == clock.policy.name and event.data["due_at"]
        assert set(event.data) == {"clock", "target", "tier", "policy", "due_at", "noticed_at"}
    for clock in SlaClock.objects.filter(warned_at__isnull=False):
        assert events.pop((EventKind.SLA_WARNING, clock.pk))[-1].at == clock.warned_at
    # No other SLA events (a re-planned clock may have warned twice, both are popped above).
    assert not [k for k in events if k[0] == EventKind.SLA_BREACHED]


def test_breaches_have_a_realistic_share_per_priority_and_some_open_tickets_are_at_risk(db):
    from backline.sla.choices import ClockState, Target
    from backline.sla.models import SlaClock

    _load(tickets=1500)
    resolution = SlaClock.objects.filter(target=Target.RESOLUTION, tier=0).exclude(
        ticket__title__in=list(REFERENCE_CASES)
    )
    shares = {}
    for priority in (1, 2, 3, 4):
        clocks = resolution.filter(policy__priorities=[priority])
        shares[priority] = clocks.filter(breached_at__isnull=False).count() / clocks.count()
    assert all(0.03 <= share <= 0.18 for share in shares.values()), shares
    first = SlaClock.objects.filter(target=Target.FIRST_RESPONSE, breached_at__isnull=False)
    assert 0 < first.count() < 0.05 * resolution.count()
    # When the demo starts, some open tickets are at risk and some have breached.
    live = SlaClock.objects.filter(
        ticket__status__in=OPEN_STATUSES, state=ClockState.RUNNING
    ).exclude(ticket__title__in=list(REFERENCE_CASES))  # the worker sweeps those when it starts
    now = timezone.now()
    at_risk = live.filter(warned_at__isnull=False, breached_at__isnull=True, due_at__gt=now)
    assert at_risk.values("ticket").distinct().count() >= 2
    assert live.filter(breached_at__isnull=False).exists()
    assert not live.filter(warn_at__lte=now, warned_at__isnull=True).exists()  # nothing missed
    assert not live.filter(due_at__lte=now, breached_at__isnull=True).exists()
    if hasattr(Ticket, "sla_state"):
        states = Counter(Ticket.objects.filter(status__in=OPEN_STATUSES).values_list("sla_state"))
        # How many are still "warning" depends on the hour the demo is loaded (business time
        # stops in the evening); the at-risk clocks above hold at any hour.
        assert states[("breached",)] >= 1, states
        assert states[("warning",)] + states[("breached",)] >= 3, states


def test_alert_born_incidents_sit_in_the_history_and_their_clocks_are_swept(demo):
    from backline.demo.alerts import CASE_C_FINGERPRINT
    from backline.intake.models import Alert
    from backline.sla.choices import ClockState
    from backline.sla.models import SlaClock

    incidents = list(
        Ticket.objects.filter(monitoring_alerts__isnull=False).distinct().order_by("created_at")
    )
    assert len(incidents) == ALERTS
    for ticket in incidents:  # numbered among the history tickets of their day
        assert not Ticket.objects.filter(created_at__lt=ticket.created_at, pk__gt=ticket.pk)
        assert Ticket.objects.filter(created_at__gt=ticket.created_at, pk__gt=ticket.pk).exists()
    # Their clocks came from the live handlers; what the sweep would have recorded by now is
    # recorded, dated when it happened, with its event.
    now = timezone.now()
    clocks = SlaClock.objects.filter(ticket__in=incidents)
    running = clocks.filter(state=ClockState.RUNNING)
    assert not running.filter(warn_at__lte=now, warned_at__isnull=True).exists()
    assert not running.filter(due_at__lte=now, breached_at__isnull=True).exists()
    for kind, field in (
        (EventKind.SLA_WARNING, "warned_at"),
        (EventKind.SLA_BREACHED, "breached_at"),
    ):
        for clock in clocks.filter(**{f"{field}__isnull": False}):
            at = getattr(clock, field)
            assert TicketEvent.objects.filter(kind=kind, data__clock=clock.pk, at=at).exists()
    case_c = Alert.objects.get(fingerprint=CASE_C_FINGERPRINT).ticket
    phoned_in = Ticket.objects.get(title="eCommerce orders not syncing into ERP")
    assert case_c.status == Status.NEW and case_c.pk < phoned_in.pk
    assert case_c.created_at < phoned_in.created_at


# --- the knowledge base -----------------------------------------------------------------------


def test_knowledge_base_has_about_sixty_articles_in_every_state_and_audience(demo):
    from backline.demo import text as T
    from backline.demo.knowledge import ARTICLES, incident_key_of_article_title
    from backline.knowledge.models import Article, ArticleEvent

    states = Counter(Article.objects.values_list("state", flat=True))
    assert 50 <= sum(states.values()) <= 70, states
    assert all(states[s] for s in ("draft", "review", "published", "retired")), states
    published = Article.objects.filter(state="published")
    audiences = Counter(published.values_list("audience", flat=True))
    assert audiences["l1"] >= 20 and audiences["internal"] >= 10 and audiences["public"] >= 5
    stale = published.filter(review_by__lt=timezone.localdate()).count()
    assert 5 <= stale <= 12
    assert not published.filter(review_by__isnull=True).exists()
    # Months of history: versions and events dated in the past, by several owners.
    assert Article.objects.filter(created_at__lt=timezone.now() - timedelta(days=180)).count() > 10
    assert Article.objects.filter(versions__number__gt=1).distinct().count() >= 10
    assert Article.objects.values("owner").distinct().count() >= 10
    assert not ArticleEvent.objects.filter(at__gt=timezone.now()).exists()
    for article in Article.objects.filter(state="retired"):
        note = article.events.get(kind="retired").note
        assert note.startswith("Superseded by KB-"), note
    # Every article is about incident kinds the history has, and every kind has an article.
    keys = {i.key for i in T.INCIDENTS}
    assert {k for spec in ARTICLES for k in spec.keys} == keys
    assert {spec.title for spec in ARTICLES} == set(Article.objects.values_list("title", flat=True))
    assert incident_key_of_article_title("VPN will not connect or keeps dropping") == "vpn"
    assert incident_key_of_article_title("No such article") is None


def test_reference_cases_have_articles_written_while_working_them(demo):
    from backline.knowledge.models import Article

    articles = Article.objects.filter(source_ticket__isnull=False).select_related("source_ticket")
    assert {a.source_ticket.title for a in articles} == set(REFERENCE_CASES)
    for article in articles:
        ticket = article.source_ticket
        assert ticket.number in article.cause
        assert article.versions.count() == 2  # edited after the first draft
        assert article.created_at > ticket.created_at
        assert article.category_id == ticket.category_id
        assert list(article.services.all()) == [ticket.service]
    assert {a.state for a in articles} == {"draft", "review", "published"}


def test_kb_usage_history_has_the_shapes_the_services_write(demo):
    from backline.knowledge.models import Article, ArticleReview, ArticleUse, KnowledgeDecision
    from backline.knowledge.queries import kb_metrics

    now = timezone.now()
    metrics = kb_metrics(start=now - timedelta(days=90), end=now)
    assert 0.10 <= metrics["deflection_rate"] <= 0.60, metrics
    assert 0.7 <= metrics["helpful_share"] < 1
    events = {
        (e.ticket_id, e.data["article"]): e for e in TicketEvent.objects.filter(kind="kb_used")
    }
    solved = ArticleUse.objects.filter(kind="solved").select_related("article", "ticket")
    assert len(events) == solved.count() > 10
    for use in solved:
        event = events[(use.ticket_id, use.article.number)]
        ticket = use.ticket
        assert (event.at, event.actor_id, event.data["tier"]) == (use.at, use.by_id, 1)
        assert ticket.created_at < use.at < ticket.resolved_at
        assert use.article.published_at <= use.at and use.article.audience != "internal"
        assert not TicketEvent.objects.filter(ticket=ticket, data__tier__gte=2).exists()
    linked = set(ArticleUse.objects.filter(kind="linked").values_list("ticket", "article"))
    assert TicketEvent.objects.filter(kind="kb_linked").count() == len(linked) > 5
    decisions = KnowledgeDecision.objects.all()
    assert {d.decision for d in decisions} >= {"linked", "not_needed"}
    for decision in decisions:
        event = TicketEvent.objects.get(ticket=decision.ticket_id, kind="kb_decision")
        assert event.is_internal and event.data["decision"] == decision.decision
        assert event.at == decision.at < decision.ticket.resolved_at
        if decision.decision == "linked":
            assert (decision.ticket_id, decision.article_id) in linked
        else:
            assert decision.reason
    # Unhelpful comments became review tasks for the owners; some are done.
    reviews = ArticleReview.objects.select_related("article", "feedback")
    assert {r.state for r in reviews} == {"open", "done"}
    for review in reviews:
        assert review.assignee_id == review.article.owner_id and not review.feedback.helpful
    assert Article.objects.filter(state="published", view_count=0).count() == 0


def test_same_seed_gives_the_same_knowledge_base(db):
    from backline.knowledge.models import Article, ArticleUse

    def snapshot() -> tuple:
        articles = list(
            Article.objects.order_by("pk").values_list("title", "state", "version", "view_count")
        )
        uses = sorted(
            ArticleUse.objects.values_list("ticket__title", "ticket__created_at", "article__title")
        )
        return articles, uses

    with transaction.atomic():
        _load(seed=7, tickets=80)
        first = snapshot()
        transaction.set_rollback(True)
    _load(seed=7, tickets=80)
    assert snapshot() == first
    assert first[1]


# --- the CMDB estate and the change history (issue 6 part 8) ---------------------------------


def _case(title_start: str) -> Ticket:
    return Ticket.objects.get(title__startswith=title_start)


def test_the_estate_has_about_300_valid_items_over_every_kind_with_a_sound_graph(demo):
    from backline.cmdb import rules as cmdb_rules
    from backline.cmdb.models import CiType, ConfigurationItem, Dependency

    items = list(ConfigurationItem.objects.all())
    assert 250 <= len(items) <= 350
    types = Counter(ci.ci_type for ci in items)
    assert len(types) >= 10, types
    schemas = dict(CiType.objects.values_list("slug", "attributes"))
    for ci in items:
        assert ci.ci_type in schemas, ci.name
        assert cmdb_rules.validate_attributes(schemas[ci.ci_type], ci.attributes) == ci.attributes
        assert ci.owner_team_id is not None, ci.name
    environments = Counter(ci.environment for ci in items)
    assert environments["production"] > 0.8 * len(items)
    assert environments["staging"] and environments["test"]
    ids = {ci.pk for ci in items}
    deps = list(Dependency.objects.all())
    assert len(deps) > len(items)
    for dep in deps:
        assert dep.source_id in ids
        assert (dep.target_ci_id in ids) != (dep.target_service_id is not None)
    # The chains behind the reference cases.
    names = {(d.source.name, d.target_ci.name) for d in deps if d.target_ci_id}
    assert ("crm-app-01", "crm-db-01") in names
    assert ("crm-db-01", "crm-db-01 configuration") in names
    assert ("edge-rtr-muc-01", "QoS policy on edge routers") in names
    assert ("Shop-to-ERP order integration", "ERP API credential for the order integration") in (
        names
    )


def test_the_erp_token_expired_on_the_day_case_c_starts(demo):
    from backline.cmdb.models import ConfigurationItem

    token = ConfigurationItem.objects.get(name="ERP API credential for the order integration")
    opened = timezone.localdate(_case("eCommerce orders not syncing").created_at)
    assert token.expires_at == opened


def test_what_changed_ranks_the_db_parameter_change_first_on_case_a_and_qos_on_case_b(demo):
    from backline.changes.models import TicketChangeLink
    from backline.changes.queries import what_changed

    crm = _case("CRM crashes")
    ranked = what_changed(crm)
    assert ranked[0].change.title.startswith("Tune CRM database parameters")
    assert ranked[0].distance == 2 and ranked[0].via.name == "crm-db-01 configuration"
    titles = [c.change.title for c in ranked]
    assert any("crm-app-02" in t for t in titles)
    assert not any("hr-web-01" in t or "Index maintenance on crm-db-01" in t for t in titles)
    assert not TicketChangeLink.objects.filter(ticket=crm).exists()  # for the engineer to find
    collaboration = _case("Intermittent disconnections")
    assert what_changed(collaboration)[0].change.title.startswith("Rework QoS policy")
    assert what_changed(_case("eCommerce orders not syncing")) == []


def test_change_history_has_every_kind_and_a_realistic_change_induced_rate(demo):
    from backline.changes.models import Change, ChangeEvent, TicketChangeLink
    from backline.changes.queries import change_induced_rate

    changes = list(Change.objects.all())
    assert 150 <= len(changes) <= 250
    kinds = Counter(c.kind for c in changes)
    states = Counter(c.state for c in changes)
    assert kinds["standard"] and kinds["normal"] and kinds["emergency"]
    assert states["done"] and states["failed"] and states["rolled_back"] and states["planned"]
    assert Counter(c.source for c in changes)["pipeline"] > 10
    for change in changes:
        if change.source == "pipeline":
            assert change.external_ref
        if change.kind == "normal" and change.state not in ("planned", "cancelled"):
            assert change.approved_by.role == "manager" and change.approved_at < change.actual_start
        steps = list(ChangeEvent.objects.filter(change=change).exclude(kind="linked"))
        assert steps[-1].kind == "created"  # newest first
        assert [e.at for e in steps] == sorted((e.at for e in steps), reverse=True)
        assert change.version == len(steps)
    now = timezone.now()
    rate = change_induced_rate(now - timedelta(days=400), now + timedelta(days=1))
    assert 0.03 <= rate["rate"] <= 0.20, rate
    for link in TicketChangeLink.objects.select_related("change", "ticket"):
        assert link.change.cis.exists()
        assert (link.change.actual_start or link.change.planned_start) < link.ticket.created_at
        assert link.at >= link.ticket.created_at
        event = TicketEvent.objects.filter(ticket=link.ticket, kind="change_linked").last()
        assert event.data["change"] == link.change.number and event.data["kind"] == link.kind


def test_the_expiry_sweep_finds_work_in_the_demo_once(demo):
    from backline.changes.services import credentials_expiry_sweep

    first = credentials_expiry_sweep()
    assert first["opened"] >= 1
    from backline.changes.models import ExpiryNotice

    titles = set(ExpiryNotice.objects.values_list("ticket__title", flat=True))
    assert len(titles) == first["opened"]
    assert any("ERP API credential for the order integration expire" in t for t in titles), titles
    assert credentials_expiry_sweep()["opened"] == 0


def test_same_seed_gives_the_same_estate_and_changes(db):
    from backline.changes.models import Change, TicketChangeLink
    from backline.cmdb.models import ConfigurationItem, Dependency

    def snapshot() -> tuple:
        items = sorted(
            ConfigurationItem.objects.values_list("name", "ci_type", "attributes", "expires_at")
        )
        deps = sorted(
            Dependency.objects.values_list("source__name", "kind", "target_ci__name",
                                           "target_service__name"), key=str,
        )  # fmt: skip
        changes = list(
            Change.objects.order_by("pk").values_list("title", "kind", "state", "actual_start")
        )
        links = sorted(
            TicketChangeLink.objects.values_list("ticket__title", "change__title", "kind")
        )
        return items, deps, changes, links

    with transaction.atomic():
        _load(seed=7, tickets=80)
        first = snapshot()
        transaction.set_rollback(True)
    _load(seed=7, tickets=80)
    assert snapshot() == first


# --- problems, known errors and the planted recurring groups (issue 7 part 8) ----------------


def test_problems_cover_the_states_and_finished_ones_have_a_complete_rca(demo):
    from backline.problems.choices import ActionState, Closure, ProblemState
    from backline.problems.models import Problem

    problems = list(Problem.objects.prefetch_related("whys", "factors", "actions", "timeline"))
    assert 6 <= len(problems) <= 8
    states = Counter(p.state for p in problems)
    assert len(states) >= 5, states
    for p in problems:
        if p.state in (ProblemState.RESOLVED, ProblemState.CLOSED):
            whys = [w.text for w in p.whys.all()]
            assert len(whys) >= 4 and p.root_cause and p.cause_code, p.number
            assert len({f.category_id for f in p.factors.all()}) >= 3, p.number
            corrective = [a for a in p.actions.all() if a.kind == "corrective"]
            assert corrective and all(a.state == ActionState.DONE for a in corrective), p.number
            assert any(a.change_id for a in corrective), p.number
            assert any(e.ticket_event_id for e in p.timeline.all()), p.number
            assert any(e.change_id for e in p.timeline.all()), p.number
    closed = next(p for p in problems if p.state == ProblemState.CLOSED)
    assert closed.closure == Closure.RECURRENCE_STOPPED
    assert all(a.state == ActionState.DONE for a in closed.actions.all())
    assert {a.kind for a in closed.actions.all()} == {"corrective", "preventive"}
    # Every write went through the services with past times: nothing is dated after now.
    now = timezone.now()
    assert all(p.created_at < now and p.updated_at < now for p in problems)


def test_the_crm_export_problem_does_not_give_away_case_a(demo):
    from backline.problems.models import Problem

    problem = Problem.objects.get(title__icontains="CRM report export")
    assert problem.state == "investigating" and not problem.root_cause
    case_a = Ticket.objects.get(title=next(iter(REFERENCE_CASES)))
    assert not problem.incident_links.filter(ticket=case_a).exists()
    linked = set(problem.incident_links.values_list("ticket_id", flat=True))
    marked = TicketEvent.objects.filter(data__planted_group="crm_export")
    assert linked and linked <= set(marked.values_list("ticket_id", flat=True))
    words = " ".join(
        [
            problem.statement,
            *problem.whys.values_list("text", flat=True),
            *problem.timeline.values_list("text", flat=True),
            *problem.factors.values_list("text", flat=True),
        ]
    ).lower()
    for secret in ("parameter", "query plan", "chg-"):
        assert secret not in words


def test_known_errors_are_published_with_workarounds_and_show_on_an_open_ticket(demo):
    from backline.problems.known_errors import matching_known_errors
    from backline.problems.models import KnownError

    published = KnownError.objects.filter(state="published")
    assert 4 <= published.count() <= 6
    assert all(k.workaround and k.symptoms for k in published)
    assert published.filter(problem__isnull=True).count() >= 1
    assert published.filter(problem__isnull=False).count() >= 3
    assert KnownError.objects.filter(state="draft").count() == 1
    agent = User.objects.get(username="tbecker")
    shown = {}
    for ticket in Ticket.objects.filter(status__in=OPEN_STATUSES).select_related("ci", "service"):
        found = matching_known_errors(agent, ticket, text=f"{ticket.title}\n{ticket.description}")
        if found:
            shown[ticket.title] = found[0].known_error.title
    assert any("Outlook search" in title for title in shown.values()), shown
    assert not any(title in REFERENCE_CASES for title in shown), shown


def test_overdue_actions_wait_for_tbecker_and_cmendes(demo):
    from backline.problems.models import Action
    from backline.problems.queries import overdue_actions

    for username in ("tbecker", "cmendes"):
        user = User.objects.get(username=username)
        assert overdue_actions(user), username
    overdue = overdue_actions(User.objects.get(username="tbecker"))
    assert any(a.change_id and a.external_ref and a.kind == "corrective" for a in overdue)
    assert Action.objects.filter(state="done").count() >= 3


def test_planted_groups_are_marked_and_detection_proposes_the_unlinked_ones(demo):
    from django.db.models import Max

    from backline.problems import recurrence
    from backline.problems.models import ProblemIncident

    marked = defaultdict(set)
    for ticket_id, group in TicketEvent.objects.filter(data__has_key="planted_group").values_list(
        "ticket_id", "data__planted_group"
    ):
        marked[group].add(ticket_id)
    assert set(marked) == set(planted.KEYS)
    for group in planted.GROUPS:
        assert len(marked[group.incident.key]) == len(group.days)
        linked = ProblemIncident.objects.filter(ticket_id__in=marked[group.incident.key])
        assert linked.exists() == group.linked, group.incident.key
    now = Ticket.objects.aggregate(m=Max("created_at"))["m"]
    found = {}
    for proposal in recurrence.proposals_detect(now=now):
        ids = set(proposal.tickets.values_list("id", flat=True))
        for key in planted.UNLINKED:
            share = len(ids & marked[key])
            if share * 3 >= len(marked[key]) * 2 and share * 3 > len(ids) * 2:
                found[key] = proposal.title
    assert len(found) >= 1, found


def test_no_tickets_loads_the_people_and_the_cmdb_only(db):
    summary = _load(tickets=0)
    assert User.objects.filter(username="tbecker").exists()
    assert ConfigurationItem.objects.filter(name="crm-db-01").exists()
    # The reference cases and the alert-born incidents (fixed, like them), without a history.
    assert Ticket.objects.count() == 3 + ALERTS + MAIL
    assert "297 configuration items" in summary
