"""Vertical escalation: hand-off packages, accept, return (bounce), de-escalate, trail, metrics."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from backline.core.errors import Conflict, DomainError, PermissionDenied
from backline.escalation import queries, rules, services
from backline.escalation.choices import EscalationState
from backline.escalation.models import Escalation
from backline.notifications.models import Notification
from backline.tickets import services as ticket_services
from backline.tickets.choices import EventKind, Status
from backline.tickets.models import TicketEvent
from tests.factories import TeamFactory, UserFactory, make_ticket

pytestmark = pytest.mark.django_db

L2_PACKAGE = {
    "summary": "CRM crashes on every sales report",
    "impact_users": 40,
    "steps_taken": "Other browser, cleared cache, another account: same crash.",
}


@pytest.fixture
def database_team(db):
    return TeamFactory(name="Database", tier=2)


@pytest.fixture
def dba(database_team):
    return UserFactory(username="dana", first_name="Dana", last_name="Base", teams=[database_team])


@pytest.fixture
def ticket(l1_agent, service_desk):
    return make_ticket(l1_agent, team=service_desk, assignee=l1_agent, title="CRM crashes")


def kinds(ticket):
    return list(
        TicketEvent.objects.filter(ticket=ticket).order_by("id").values_list("kind", flat=True)
    )


def test_l2_requires_summary_impact_and_steps_by_default(l1_agent, ticket, app_support):
    with pytest.raises(DomainError) as exc:
        services.escalation_create(actor=l1_agent, ticket=ticket, to_team=app_support)
    assert exc.value.code == "incomplete_handoff"
    assert {e["field"] for e in exc.value.errors} == {"summary", "business_impact", "steps_taken"}
    assert not Escalation.objects.exists()
    ticket.refresh_from_db()
    assert ticket.team.name == "Service Desk" and ticket.version == 1


def test_l3_requires_reproduction_steps_and_evidence(l2_agent, app_support, engineering):
    ticket = make_ticket(l2_agent, team=app_support)
    with pytest.raises(DomainError) as exc:
        services.escalation_create(actor=l2_agent, ticket=ticket, to_team=engineering, **L2_PACKAGE)
    assert {e["field"] for e in exc.value.errors} == {"reproduction_steps", "evidence"}
    log = ticket_services.ticket_attach(
        actor=l2_agent, ticket=ticket, upload=SimpleUploadedFile("pg.log", b"seq scan")
    )
    escalation = services.escalation_create(
        actor=l2_agent,
        ticket=ticket,
        to_team=engineering,
        evidence_ids=[log.pk],
        reproduction_steps="Run the pipeline report for DACH",
        **L2_PACKAGE,
    )
    assert list(escalation.evidence.all()) == [log]


def test_pasted_log_excerpts_count_as_evidence(l2_agent, app_support, engineering):
    ticket = make_ticket(l2_agent, team=app_support)
    services.escalation_create(
        actor=l2_agent,
        ticket=ticket,
        to_team=engineering,
        reproduction_steps="Run report",
        log_excerpts="ERROR canceling statement due to statement timeout",
        **L2_PACKAGE,
    )


def test_team_policy_overrides_the_default(manager, l1_agent, ticket, app_support):
    services.handoff_policy_set(actor=manager, team=app_support, required=["hypothesis", "summary"])
    assert services.handoff_required(app_support) == ["summary", "hypothesis"]
    with pytest.raises(DomainError) as exc:
        services.escalation_create(actor=l1_agent, ticket=ticket, to_team=app_support, summary="x")
    assert exc.value.field == "hypothesis"


def test_only_managers_set_policies_and_parts_are_validated(l2_agent, manager, app_support):
    with pytest.raises(PermissionDenied):
        services.handoff_policy_set(actor=l2_agent, team=app_support, required=[])
    with pytest.raises(DomainError) as exc:
        services.handoff_policy_set(actor=manager, team=app_support, required=["horoscope"])
    assert exc.value.field == "required"


def test_escalation_moves_the_ticket_up_and_notifies_the_team(
    l1_agent, l2_agent, ticket, app_support
):
    escalation = services.escalation_create(
        actor=l1_agent, ticket=ticket, to_team=app_support, version=1, **L2_PACKAGE
    )
    ticket.refresh_from_db()
    assert (ticket.team, ticket.tier, ticket.assignee, ticket.status) == (
        app_support,
        2,
        None,
        Status.NEW,
    )
    assert escalation.state == EscalationState.PENDING
    assert escalation.previous_assignee == l1_agent
    event = TicketEvent.objects.get(ticket=ticket, kind=EventKind.ESCALATED)
    assert event.data["escalation"] == escalation.pk and event.data["from_tier"] == 1
    assert event.data["tier"] == 2
    assert Notification.objects.get(recipient=l2_agent).kind == "escalation_received"
    assert list(queries.inbox(l2_agent)) == [escalation]


def test_escalation_must_go_up_and_only_one_may_wait(l1_agent, ticket, app_support, service_desk):
    with pytest.raises(DomainError) as exc:
        services.escalation_create(
            actor=l1_agent, ticket=ticket, to_team=service_desk, **L2_PACKAGE
        )
    assert exc.value.field == "to_team"
    services.escalation_create(actor=l1_agent, ticket=ticket, to_team=app_support, **L2_PACKAGE)
    ticket.refresh_from_db()
    with pytest.raises(DomainError) as exc:
        services.escalation_create(
            actor=l1_agent,
            ticket=ticket,
            to_team=TeamFactory(name="Engineering", tier=3),
            **L2_PACKAGE,
        )
    assert exc.value.code == "pending_escalation"


def test_stale_version_conflicts(l1_agent, ticket, app_support):
    ticket_services.ticket_update(actor=l1_agent, ticket=ticket, version=1, changes={"urgency": 1})
    with pytest.raises(Conflict):
        services.escalation_create(
            actor=l1_agent, ticket=ticket, to_team=app_support, version=1, **L2_PACKAGE
        )
    assert not Escalation.objects.exists()


def test_evidence_must_belong_to_the_ticket(l1_agent, ticket, app_support):
    other = make_ticket(l1_agent)
    foreign = ticket_services.ticket_attach(
        actor=l1_agent, ticket=other, upload=SimpleUploadedFile("x.log", b"x")
    )
    with pytest.raises(DomainError) as exc:
        services.escalation_create(
            actor=l1_agent,
            ticket=ticket,
            to_team=app_support,
            evidence_ids=[foreign.pk],
            **L2_PACKAGE,
        )
    assert exc.value.field == "evidence"


def test_accept_takes_ownership(l1_agent, l2_agent, ticket, app_support):
    escalation = services.escalation_create(
        actor=l1_agent, ticket=ticket, to_team=app_support, **L2_PACKAGE
    )
    services.escalation_accept(actor=l2_agent, escalation=escalation, assign_to_self=True)
    ticket.refresh_from_db()
    escalation.refresh_from_db()
    assert ticket.assignee == l2_agent and ticket.status == Status.ASSIGNED
    assert escalation.state == EscalationState.ACCEPTED and escalation.decided_by == l2_agent
    accepted = TicketEvent.objects.get(ticket=ticket, kind=EventKind.ACCEPTED)
    assert accepted.data["waited_seconds"] >= 0
    assert Notification.objects.filter(recipient=l1_agent, kind="escalation_accepted").exists()
    with pytest.raises(Conflict):
        services.escalation_accept(actor=l2_agent, escalation=escalation)


def test_only_the_receiving_team_decides(l1_agent, dba, ticket, app_support):
    escalation = services.escalation_create(
        actor=l1_agent, ticket=ticket, to_team=app_support, **L2_PACKAGE
    )
    with pytest.raises(PermissionDenied):
        services.escalation_accept(actor=dba, escalation=escalation)
    with pytest.raises(PermissionDenied):
        services.escalation_return(
            actor=l1_agent, escalation=escalation, reason="other", guidance="no"
        )


def test_return_sends_it_back_with_guidance_and_counts_a_bounce(
    l1_agent, l2_agent, ticket, app_support, service_desk
):
    escalation = services.escalation_create(
        actor=l1_agent, ticket=ticket, to_team=app_support, **L2_PACKAGE
    )
    with pytest.raises(DomainError) as exc:
        services.escalation_return(
            actor=l2_agent, escalation=escalation, reason="insufficient_info", guidance="  "
        )
    assert exc.value.field == "guidance"
    with pytest.raises(DomainError) as exc:
        services.escalation_return(
            actor=l2_agent, escalation=escalation, reason="bored", guidance="x"
        )
    assert exc.value.field == "reason"
    services.escalation_return(
        actor=l2_agent,
        escalation=escalation,
        reason="insufficient_info",
        guidance="Attach the CRM server log from 08:50.",
    )
    ticket.refresh_from_db()
    assert (ticket.team, ticket.tier, ticket.assignee) == (service_desk, 1, l1_agent)
    assert kinds(ticket)[-2:] == [EventKind.RETURNED, EventKind.BOUNCED]
    pinned = queries.pinned_guidance(queries.ticket_escalations(ticket))
    assert pinned.guidance == "Attach the CRM server log from 08:50."
    note = Notification.objects.get(recipient=l1_agent, kind="escalation_returned")
    assert "Insufficient information" in note.title


def test_reescalation_prefills_the_last_package_and_unpins_guidance(
    l1_agent, l2_agent, ticket, app_support
):
    first = services.escalation_create(
        actor=l1_agent, ticket=ticket, to_team=app_support, hypothesis="Index?", **L2_PACKAGE
    )
    services.escalation_return(
        actor=l2_agent, escalation=first, reason="insufficient_info", guidance="Need logs"
    )
    ticket.refresh_from_db()
    prefill = queries.handoff_prefill(ticket)
    assert prefill["hypothesis"] == "Index?" and prefill["impact_users"] == 40
    services.escalation_create(actor=l1_agent, ticket=ticket, to_team=app_support, **L2_PACKAGE)
    assert queries.pinned_guidance(queries.ticket_escalations(ticket)) is None


def test_prefill_collects_internal_notes(l1_agent, ticket):
    ticket_services.ticket_comment(actor=l1_agent, ticket=ticket, body="Tried Edge", internal=True)
    ticket_services.ticket_comment(actor=l1_agent, ticket=ticket, body="Hello Rita")
    prefill = queries.handoff_prefill(ticket)
    assert "Tried Edge" in prefill["steps_taken"] and "Hello Rita" not in prefill["steps_taken"]
    assert prefill["summary"].startswith("CRM crashes")


def test_deescalation_hands_down_without_a_bounce(
    l1_agent, l2_agent, ticket, app_support, service_desk
):
    escalation = services.escalation_create(
        actor=l1_agent, ticket=ticket, to_team=app_support, **L2_PACKAGE
    )
    services.escalation_accept(actor=l2_agent, escalation=escalation, assign_to_self=True)
    ticket.refresh_from_db()
    with pytest.raises(DomainError) as exc:
        services.ticket_deescalate(actor=l2_agent, ticket=ticket, to_team=service_desk, note=" ")
    assert exc.value.field == "note"
    services.ticket_deescalate(
        actor=l2_agent,
        ticket=ticket,
        to_team=service_desk,
        note="Fixed the index; please confirm with Rita.",
    )
    ticket.refresh_from_db()
    assert ticket.team == service_desk and ticket.tier == 1
    assert EventKind.BOUNCED not in kinds(ticket)
    assert [h.how for h in queries.ticket_trail(ticket)] == ["created", "escalated", "de-escalated"]


def test_plain_reassignment_back_to_an_earlier_team_is_a_bounce(
    l1_agent, l2_agent, ticket, app_support, service_desk
):
    ticket = ticket_services.ticket_update(
        actor=l1_agent, ticket=ticket, version=1, changes={"team": app_support}
    )
    assert EventKind.BOUNCED not in kinds(ticket)
    ticket_services.ticket_update(
        actor=l2_agent, ticket=ticket, version=ticket.version, changes={"team": service_desk}
    )
    bounce = TicketEvent.objects.get(ticket=ticket, kind=EventKind.BOUNCED)
    assert bounce.data["cause"] == "reassigned"
    assert bounce.data["to_team"]["name"] == "Service Desk"


def test_trail_shows_every_hop_and_marks_the_bounce(
    l1_agent, l2_agent, l3_agent, dba, ticket, app_support, database_team, engineering
):
    first = services.escalation_create(
        actor=l1_agent, ticket=ticket, to_team=database_team, **L2_PACKAGE
    )
    services.escalation_return(
        actor=dba,
        escalation=first,
        reason="wrong_team",
        guidance="Application Support owns the CRM.",
    )
    ticket.refresh_from_db()
    second = services.escalation_create(
        actor=l1_agent, ticket=ticket, to_team=app_support, **L2_PACKAGE
    )
    services.escalation_accept(actor=l2_agent, escalation=second, assign_to_self=True)
    ticket.refresh_from_db()
    services.escalation_create(
        actor=l2_agent,
        ticket=ticket,
        to_team=engineering,
        reproduction_steps="Run report",
        log_excerpts="ERR",
        **L2_PACKAGE,
    )
    hops = queries.ticket_trail(ticket)
    assert [(h.label, h.how, h.bounced) for h in hops] == [
        ("L1 Service Desk", "created", False),
        ("L2 Database", "escalated", False),
        ("L1 Service Desk", "returned", True),
        ("L2 Application Support", "escalated", False),
        ("L3 Engineering", "escalated", False),
    ]
    assert kinds(ticket).count(EventKind.BOUNCED) == 1


def test_trail_rule_is_pure():
    events = [
        ("created", None, {"team": {"id": 1, "name": "Desk"}, "tier": 1}),
        ("assigned", None, {"changes": {"team": [{"id": 1}, {"id": 2, "name": "App"}]}, "tier": 2}),
        (
            "assigned",
            None,
            {"changes": {"team": [{"id": 2}, {"id": 1, "name": "Desk"}]}, "tier": 1},
        ),
        ("noted", None, {}),
    ]
    hops = rules.trail(events)
    assert [h.bounced for h in hops] == [False, False, True]


@pytest.fixture
def metrics_world(l1_agent, l2_agent, dba, service_desk, app_support, database_team):
    """Five tickets with known paths, created over one day:
    A escalated to App Support, accepted after 10 min;
    B escalated to Database, returned (wrong team), escalated to App Support, accepted after 30 min;
    C escalated to App Support, returned (insufficient info) — still at L1;
    D created directly in App Support (tier 2), never escalated;
    E stays at the desk.
    """
    t0 = timezone.now() - timedelta(days=2)
    at = lambda minutes: t0 + timedelta(minutes=minutes)  # noqa: E731
    tickets = {
        name: make_ticket(l1_agent, team=service_desk, title=name, at=at(i))
        for i, name in enumerate("ABCE")
    }
    tickets["D"] = make_ticket(l1_agent, team=app_support, title="D", at=at(5))
    a = services.escalation_create(
        actor=l1_agent, ticket=tickets["A"], to_team=app_support, at=at(60), **L2_PACKAGE
    )
    services.escalation_accept(actor=l2_agent, escalation=a, at=at(70))
    b1 = services.escalation_create(
        actor=l1_agent, ticket=tickets["B"], to_team=database_team, at=at(60), **L2_PACKAGE
    )
    services.escalation_return(
        actor=dba, escalation=b1, reason="wrong_team", guidance="App", at=at(80)
    )
    tickets["B"].refresh_from_db()
    b2 = services.escalation_create(
        actor=l1_agent, ticket=tickets["B"], to_team=app_support, at=at(90), **L2_PACKAGE
    )
    services.escalation_accept(actor=l2_agent, escalation=b2, at=at(120))
    c = services.escalation_create(
        actor=l1_agent, ticket=tickets["C"], to_team=app_support, at=at(60), **L2_PACKAGE
    )
    services.escalation_return(
        actor=l2_agent, escalation=c, reason="insufficient_info", guidance="logs", at=at(65)
    )
    return t0, tickets


def test_metrics_match_hand_computed_values(metrics_world, app_support):
    t0, _ = metrics_world
    m = queries.escalation_metrics(start=t0, end=t0 + timedelta(days=1))
    assert m["tickets_created"] == 5
    assert m["reached_tier2"] == 4  # A, B, C (while escalated) and D
    assert m["escalation_rate"] == 0.8
    assert m["escalated_tickets"] == 3  # A, B, C
    assert m["bounced_tickets"] == 2  # B, C
    assert m["bounce_rate"] == round(2 / 3, 4)
    assert m["bounces"] == 2 and m["bounces_per_ticket"] == round(2 / 3, 4)
    acceptance = {row["team"]: row for row in m["acceptance"]}
    assert acceptance["Application Support"]["accepted"] == 2
    assert acceptance["Application Support"]["mean_minutes"] == 20.0  # (10 + 30) / 2
    assert acceptance["Application Support"]["median_minutes"] == 20.0
    assert [(r["reason"], r["count"], r["share"]) for r in m["returns"]] == [
        ("insufficient_info", 1, 0.5),
        ("wrong_team", 1, 0.5),
    ]
    only_app = queries.escalation_metrics(
        start=t0, end=t0 + timedelta(days=1), team_ids=[app_support.pk]
    )
    assert [(r["reason"], r["count"]) for r in only_app["returns"]] == [("insufficient_info", 1)]


def test_metrics_of_an_empty_period_are_none_not_errors(db):
    now = timezone.now()
    m = queries.escalation_metrics(start=now - timedelta(days=1), end=now)
    assert m["tickets_created"] == 0 and m["escalation_rate"] is None and m["acceptance"] == []
