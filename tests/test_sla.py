"""SLA and OLA clocks on tickets: planning in business time, pauses, re-planning, the sweep."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection

from backline.escalation import services as escalation
from backline.notifications.models import Notification
from backline.sla import services
from backline.sla.choices import ClockState, Target
from backline.sla.models import SlaClock, SlaPolicy
from backline.tickets import services as tickets
from backline.tickets.choices import EventKind
from backline.tickets.models import TicketEvent
from tests.factories import make_ticket

pytestmark = pytest.mark.django_db
BERLIN = ZoneInfo("Europe/Berlin")
MONDAY_9 = datetime(2026, 11, 16, 9, 0, tzinfo=BERLIN)  # an ordinary Monday in Bavaria


def berlin(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=BERLIN)


def clock(ticket, target=Target.RESOLUTION, tier=0):
    return SlaClock.objects.filter(ticket=ticket, target=target, tier=tier).latest("id")


def test_new_ticket_gets_first_response_and_resolution_clocks_in_business_time(l1_agent):
    ticket = make_ticket(l1_agent, impact=2, urgency=2, at=MONDAY_9)  # P3: 4 h and 3 days
    first = clock(ticket, Target.FIRST_RESPONSE)
    resolution = clock(ticket)
    assert first.policy.name == "P3 Moderate"
    assert first.due_at == berlin(2026, 11, 16, 13, 0)
    assert resolution.due_at == berlin(2026, 11, 19, 9, 0)  # 3 × 10 h days later
    assert resolution.warn_at == berlin(2026, 11, 18, 11, 30)  # at 75 %


def test_p1_runs_around_the_clock(l1_agent):
    saturday_night = datetime(2026, 11, 21, 23, 0, tzinfo=BERLIN)
    ticket = make_ticket(l1_agent, impact=1, urgency=1, at=saturday_night)
    assert clock(ticket, Target.FIRST_RESPONSE).due_at == berlin(2026, 11, 21, 23, 15)
    assert clock(ticket).due_at == berlin(2026, 11, 22, 3, 0)


def test_pending_on_requester_for_two_business_days_moves_the_due_time_two_days(l1_agent):
    ticket = make_ticket(l1_agent, impact=2, urgency=2, at=MONDAY_9)
    before = clock(ticket).due_at
    ticket = tickets.ticket_transition(
        actor=l1_agent,
        ticket=ticket,
        action="pend",
        pending_reason="requester",
        at=MONDAY_9 + timedelta(hours=1),
    )
    paused = clock(ticket)
    assert paused.state == ClockState.PAUSED and paused.due_at is None
    assert paused.elapsed_minutes == 60
    wednesday_10 = datetime(2026, 11, 18, 10, 0, tzinfo=BERLIN)
    tickets.ticket_transition(actor=l1_agent, ticket=ticket, action="resume", at=wednesday_10)
    resumed = clock(ticket)
    assert resumed.due_at == berlin(2026, 11, 23, 9, 0)  # Thursday 09:00 + 2 days
    assert resumed.due_at - before == timedelta(days=4)  # over the weekend
    pause = resumed.pauses.get()
    assert (pause.reason, pause.resumed_at) == ("requester", wednesday_10)


def test_pending_on_a_change_does_not_pause(l1_agent):
    ticket = make_ticket(l1_agent, at=MONDAY_9)
    tickets.ticket_transition(
        actor=l1_agent,
        ticket=ticket,
        action="pend",
        pending_reason="change",
        at=MONDAY_9 + timedelta(hours=1),
    )
    assert clock(ticket).state == ClockState.RUNNING


def test_public_reply_by_staff_meets_the_first_response(l1_agent, requester):
    ticket = make_ticket(l1_agent, requester=requester, at=MONDAY_9)
    tickets.ticket_comment(
        actor=requester, ticket=ticket, body="Any news?", at=MONDAY_9 + timedelta(minutes=5)
    )
    assert clock(ticket, Target.FIRST_RESPONSE).state == ClockState.RUNNING
    tickets.ticket_comment(
        actor=l1_agent, ticket=ticket, body="On it", at=MONDAY_9 + timedelta(minutes=20)
    )
    first = clock(ticket, Target.FIRST_RESPONSE)
    assert first.state == ClockState.STOPPED and first.met and first.elapsed_minutes == 20


def test_resolving_stops_the_clocks_and_reopening_runs_on(l1_agent):
    ticket = make_ticket(l1_agent, at=MONDAY_9)
    ticket = tickets.ticket_transition(
        actor=l1_agent,
        ticket=ticket,
        action="resolve",
        resolution_code="fixed",
        resolution_notes="x",
        at=MONDAY_9 + timedelta(hours=2),
    )
    stopped = clock(ticket)
    assert stopped.state == ClockState.STOPPED and stopped.met and stopped.elapsed_minutes == 120
    tickets.ticket_transition(
        actor=l1_agent, ticket=ticket, action="reopen", at=MONDAY_9 + timedelta(hours=3)
    )
    again = clock(ticket)
    assert again.pk == stopped.pk and again.state == ClockState.RUNNING
    assert again.due_at == berlin(2026, 11, 19, 10, 0)  # one hour later than before


def test_priority_change_replans_from_the_time_already_used(l1_agent):
    ticket = make_ticket(l1_agent, impact=2, urgency=2, at=MONDAY_9)  # P3
    tickets.ticket_update(
        actor=l1_agent,
        ticket=ticket,
        version=1,
        changes={"urgency": 1},
        at=MONDAY_9 + timedelta(hours=1),
    )  # P2: 8 business hours
    resolution = clock(ticket)
    assert resolution.policy.name == "P2 High" and resolution.target_minutes == 480
    assert resolution.elapsed_minutes == 60
    assert resolution.due_at == berlin(2026, 11, 16, 17, 0)


def test_a_breach_while_no_worker_ran_is_recorded_once_and_dated_when_it_happened(l1_agent):
    ticket = make_ticket(l1_agent, impact=2, urgency=2, assignee=l1_agent, at=MONDAY_9)
    due = clock(ticket, Target.FIRST_RESPONSE).due_at
    much_later = MONDAY_9 + timedelta(days=2)
    first = services.sla_sweep(now=much_later)
    second = services.sla_sweep(now=much_later + timedelta(minutes=5))
    assert first["breached"] >= 1 and second == {"warned": 0, "breached": 0}
    breaches = TicketEvent.objects.filter(ticket=ticket, kind=EventKind.SLA_BREACHED)
    first_response = [e for e in breaches if e.data["target"] == Target.FIRST_RESPONSE]
    assert len(first_response) == 1 and first_response[0].at == due
    assert Notification.objects.filter(recipient=l1_agent, kind="alert").exists()
    warnings = TicketEvent.objects.filter(ticket=ticket, kind=EventKind.SLA_WARNING)
    assert [w.data["target"] for w in warnings] == [Target.FIRST_RESPONSE]  # resolution: Wed 11:30


def test_breach_can_raise_the_priority(l1_agent):
    policy = SlaPolicy.objects.get(name="P3 Moderate")
    policy.breach_actions = ["raise_priority"]
    policy.save()
    ticket = make_ticket(l1_agent, impact=2, urgency=2, at=MONDAY_9)
    services.sla_sweep(now=MONDAY_9 + timedelta(days=1))
    ticket.refresh_from_db()
    assert ticket.priority == 2
    raised = TicketEvent.objects.get(ticket=ticket, kind=EventKind.UPDATED)
    assert raised.actor is None and raised.data["reason"] == "SLA breached"


def test_escalation_starts_the_ola_acceptance_clock_and_accepting_stops_it(
    l1_agent, l2_agent, service_desk, app_support
):
    ticket = make_ticket(l1_agent, impact=1, urgency=2, team=service_desk, at=MONDAY_9)  # P2
    esc = escalation.escalation_create(
        actor=l1_agent,
        ticket=ticket,
        to_team=app_support,
        summary="s",
        impact_users=1,
        steps_taken="t",
        at=MONDAY_9 + timedelta(minutes=10),
    )
    accept = clock(ticket, Target.OLA_ACCEPT, tier=2)
    assert accept.due_at == berlin(2026, 11, 16, 9, 40)  # L2 accepts P2 in 30 min
    escalation.escalation_accept(
        actor=l2_agent, escalation=esc, at=MONDAY_9 + timedelta(minutes=25)
    )
    accept = clock(ticket, Target.OLA_ACCEPT, tier=2)
    assert accept.state == ClockState.STOPPED and accept.met and accept.elapsed_minutes == 15


@pytest.mark.django_db(transaction=True)
def test_two_workers_record_each_warning_and_breach_exactly_once(l1_agent):
    for _ in range(6):
        make_ticket(l1_agent, impact=2, urgency=2, at=MONDAY_9)
    now = MONDAY_9 + timedelta(days=5)
    barrier = threading.Barrier(2)
    results = []

    def worker():
        barrier.wait()
        try:
            results.append(services.sla_sweep(now=now, batch=2))
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(r["breached"] for r in results) == 12  # 6 tickets × first response + resolution
    assert TicketEvent.objects.filter(kind=EventKind.SLA_BREACHED).count() == 12
    assert TicketEvent.objects.filter(kind=EventKind.SLA_WARNING).count() == 12


def test_at_most_one_live_clock_per_target(l1_agent):
    from django.db import IntegrityError, transaction

    ticket = make_ticket(l1_agent, at=MONDAY_9)
    live = clock(ticket)
    with pytest.raises(IntegrityError), transaction.atomic():
        SlaClock.objects.create(
            ticket=ticket,
            policy=live.policy,
            target=live.target,
            target_minutes=1,
            started_at=MONDAY_9,
        )


def test_autoclose_closes_resolved_tickets_after_the_quiet_period_once(l1_agent, settings):
    settings.BACKLINE_AUTOCLOSE_DAYS = 5
    ticket = make_ticket(l1_agent, at=MONDAY_9)
    tickets.ticket_transition(
        actor=l1_agent,
        ticket=ticket,
        action="resolve",
        resolution_code="fixed",
        resolution_notes="x",
        at=MONDAY_9,
    )
    assert tickets.tickets_autoclose(now=MONDAY_9 + timedelta(days=4)) == {"closed": 0}
    assert tickets.tickets_autoclose(now=MONDAY_9 + timedelta(days=6)) == {"closed": 1}
    assert tickets.tickets_autoclose(now=MONDAY_9 + timedelta(days=7)) == {"closed": 0}
    ticket.refresh_from_db()
    assert ticket.status == "closed"
    event = TicketEvent.objects.filter(ticket=ticket, kind=EventKind.STATUS_CHANGED).last()
    assert event.actor is None and event.data["to"] == "closed"


@pytest.mark.django_db(transaction=True)
def test_worker_once_runs_every_sweep(l1_agent, capsys):
    from backline import cli

    make_ticket(l1_agent, at=MONDAY_9 - timedelta(days=30))
    assert cli.main(["worker", "--once"]) == 0
    out = capsys.readouterr().out
    assert "'breached': 2" in out and "'autoclose'" in out


@pytest.mark.django_db(transaction=True)
def test_a_task_abandoned_by_a_killed_worker_runs_again(settings):
    from django.utils import timezone
    from django_tasks.base import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    from backline.worker import requeue_abandoned_tasks

    settings.BACKLINE_TASK_LEASE_SECONDS = 60
    now = timezone.now()
    common = {
        "args_kwargs": {"args": [], "kwargs": {}},
        "task_path": "x.y",
        "backend_name": "default",
        "run_after": now,
        "queue_name": "default",
    }
    stale = DBTaskResult.objects.create(
        status=TaskResultStatus.RUNNING, started_at=now - timedelta(minutes=5), **common
    )
    fresh = DBTaskResult.objects.create(status=TaskResultStatus.RUNNING, started_at=now, **common)
    assert requeue_abandoned_tasks(now=now) == 1
    stale.refresh_from_db()
    fresh.refresh_from_db()
    assert stale.status == TaskResultStatus.READY and fresh.status == TaskResultStatus.RUNNING


def test_editing_a_policy_replans_its_live_clocks(l1_agent, admin):
    ticket = make_ticket(l1_agent, impact=2, urgency=2, at=MONDAY_9)  # P3: 3 days
    policy = SlaPolicy.objects.get(name="P3 Moderate")
    services.sla_policy_save(actor=admin, policy=policy, changes={"resolution_minutes": 600})
    resolution = clock(ticket)
    assert resolution.target_minutes == 600 and resolution.elapsed_minutes > 0
    ticket.refresh_from_db()
    assert ticket.sla_due_at == min(
        c.due_at for c in SlaClock.objects.filter(ticket=ticket, tier=0) if c.due_at
    )


def test_a_breach_passed_before_resolving_is_recorded_when_no_sweep_saw_it(l1_agent):
    ticket = make_ticket(l1_agent, impact=1, urgency=1, at=MONDAY_9)  # P1: resolution due 13:00
    tickets.ticket_transition(
        actor=l1_agent,
        ticket=ticket,
        action="resolve",
        resolution_code="fixed",
        resolution_notes="x",
        at=MONDAY_9 + timedelta(hours=6),
    )
    resolution = clock(ticket)
    assert resolution.met is False and resolution.breached_at == berlin(2026, 11, 16, 13, 0)
    breach = TicketEvent.objects.get(
        ticket=ticket, kind=EventKind.SLA_BREACHED, data__target=Target.RESOLUTION
    )
    assert breach.at == berlin(2026, 11, 16, 13, 0)
    assert services.sla_sweep(now=MONDAY_9 + timedelta(days=1))["breached"] == 0


def test_a_breach_passed_before_a_pause_keeps_its_real_time(l1_agent):
    ticket = make_ticket(l1_agent, impact=1, urgency=1, at=MONDAY_9)
    ticket = tickets.ticket_transition(
        actor=l1_agent,
        ticket=ticket,
        action="pend",
        pending_reason="vendor",
        at=MONDAY_9 + timedelta(hours=5),
    )
    tickets.ticket_transition(
        actor=l1_agent, ticket=ticket, action="resume", at=MONDAY_9 + timedelta(days=2)
    )
    services.sla_sweep(now=MONDAY_9 + timedelta(days=2, hours=1))
    breaches = TicketEvent.objects.filter(
        ticket=ticket, kind=EventKind.SLA_BREACHED, data__target=Target.RESOLUTION
    )
    assert [b.at for b in breaches] == [berlin(2026, 11, 16, 13, 0)]


def test_requesters_do_not_see_sla_standing(requester):
    from tests.conftest import api_client_for

    ticket = make_ticket(requester, at=MONDAY_9)
    body = api_client_for(requester).get(f"/api/v1/tickets/{ticket.number}").json()
    assert body["sla_due_at"] is None and body["sla_state"] == ""


def test_absurd_targets_are_refused(admin):
    from backline.core.errors import DomainError

    policy = SlaPolicy.objects.get(name="P3 Moderate")
    with pytest.raises(DomainError) as exc:
        services.sla_policy_save(actor=admin, policy=policy, changes={"resolution_minutes": 10**9})
    assert exc.value.field == "resolution_minutes"
