"""Random sequences of ticket service calls keep the ticket's invariants (hypothesis stateful).

The machine drives a few tickets through every workflow a desk has (create, assign, the status
machine, escalate, accept, return, de-escalate, reply, note, re-prioritise, the SLA sweep) with
random actors, inputs and time steps. After every step each ticket must be consistent with its own
history: the status and tier replayed from its events, one live SLA clock per target, OLA clocks
only for the tier that holds it, breaches recorded once, escalation rows matching their events. A
call the domain refuses (DomainError) must leave everything exactly as it was.
"""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

import pytest
from django.db import transaction
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from backline.accounts.choices import Role
from backline.accounts.models import Team, User
from backline.core.errors import DomainError
from backline.escalation import rules as esc_rules
from backline.escalation import services as escalation
from backline.escalation.choices import EscalationState, ReturnReason
from backline.escalation.models import Escalation
from backline.sla.choices import ClockState, Target
from backline.sla.models import OlaTarget, SlaClock, SlaPolicy
from backline.sla.services import sla_sweep
from backline.tickets import rules
from backline.tickets import services as tickets
from backline.tickets.choices import (
    DONE_STATUSES,
    CauseCode,
    EventKind,
    PendingReason,
    ResolutionCode,
    Status,
)
from backline.tickets.models import Comment, Ticket, TicketEvent
from tests.factories import TeamFactory, UserFactory

pytestmark = pytest.mark.django_db

# Shrinking a long failing sequence can take minutes on a busy machine; BACKLINE_SHRINK=0 skips it.
PHASES = (
    [Phase.explicit, Phase.reuse, Phase.generate]
    if os.environ.get("BACKLINE_SHRINK") == "0"
    else list(Phase)
)
START = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)  # a Monday morning
OLA_TARGETS = (Target.OLA_ACCEPT, Target.OLA_RESOLVE)
PACKAGE = {
    "summary": "Reports crash for every user",
    "impact_users": 40,
    "steps_taken": "Cleared caches, tried another browser and account.",
    "reproduction_steps": "Open Reports > Sales > Q1 and press Run.",
    "log_excerpts": "ERROR ReportEngine NullPointerException",
    "hypothesis": "A null column in the new quarter's data",
    "impact_services": "CRM",
    "impact_at_risk": "Sales cannot close the quarter",
    "urgency_justification": "Quarter closes on Friday",
}


@dataclass
class Desk:
    teams: dict[int, Team]  # by tier
    agents: dict[int, User]  # one member per tier
    manager: User
    requester: User

    @property
    def actors(self) -> list[User]:
        return [*self.agents.values(), self.manager, self.requester]


# What each event kind may say about the status, tier and team it leaves the ticket in.
_MOVES = (
    EventKind.ASSIGNED,
    EventKind.ESCALATED,
    EventKind.RETURNED,
    EventKind.DEESCALATED,
    EventKind.ACCEPTED,
)


def _replay(events: list[TicketEvent]) -> tuple[str, int, list[str]]:
    """The status and tier the events lead to, and every inconsistency found on the way."""
    problems: list[str] = []
    status, tier = "", 0
    for e in events:
        data = e.data or {}
        if e.kind == EventKind.CREATED:
            status, tier = data["status"], data["tier"]
        elif e.kind == EventKind.STATUS_CHANGED:
            t = rules.TRANSITIONS.get(data.get("action", ""))
            if data.get("from") != status:
                problems.append(f"event {e.pk} moves from {data.get('from')}, was {status}")
            if t is None or status not in t.sources or t.target != data.get("to"):
                problems.append(f"event {e.pk}: {status} -{data.get('action')}-> {data.get('to')}")
            status = data.get("to", status)
        elif e.kind in _MOVES:
            if "status" in data:
                if data["status"][0] != status:
                    problems.append(f"event {e.pk} moves from {data['status'][0]}, was {status}")
                status = data["status"][1]
            tier = data.get("tier", tier)
    return status, tier, problems


def _snapshot(ticket_ids: list[int]) -> dict[str, Any]:
    """Everything a ticket workflow may write, to compare around a refused call."""
    return {
        "tickets": list(Ticket.objects.order_by("pk").values()),
        "events": list(TicketEvent.objects.order_by("pk").values_list("pk", "kind")),
        "clocks": list(SlaClock.objects.order_by("pk").values()),
        "escalations": list(Escalation.objects.order_by("pk").values()),
        "comments": Comment.objects.count(),
    }


class TicketMachine(RuleBasedStateMachine):
    desk: ClassVar[Desk]

    def __init__(self) -> None:
        super().__init__()
        # Each run works in a savepoint rolled back at teardown: runs never see each other.
        self._atomic = transaction.atomic()
        self._atomic.__enter__()
        self.now = START
        self.ids: list[int] = []
        self.refused = 0
        self.done = 0
        self.errors: Counter = Counter()

    def teardown(self) -> None:
        if os.environ.get("BACKLINE_DEBUG_MACHINE"):
            print(self.done, self.refused, Escalation.objects.count(), self.errors)
        transaction.set_rollback(True)
        self._atomic.__exit__(None, None, None)

    # --- helpers ---------------------------------------------------------------------------

    def _tick(self, minutes: int) -> datetime:
        self.now += timedelta(minutes=minutes)
        return self.now

    def _ticket(self, data: st.DataObject) -> Ticket:
        return Ticket.objects.get(pk=data.draw(st.sampled_from(self.ids), label="ticket"))

    def _actor(self, data: st.DataObject) -> User:
        return data.draw(st.sampled_from(self.desk.actors), label="actor")

    def _team(self, data: st.DataObject) -> Team:
        return self.desk.teams[data.draw(st.sampled_from([1, 2, 3]), label="tier")]

    def _attempt(self, call, **kwargs: Any) -> Any:
        """Make the call; when the domain refuses it, nothing at all may have changed."""
        before = _snapshot(self.ids)
        try:
            result = call(**kwargs)
        except DomainError as exc:
            self.errors[f"{call.__name__}: {exc.message[:40]}"] += 1
            self.refused += 1
            assert _snapshot(self.ids) == before, f"{call.__name__} was refused but wrote"
            return None
        self.done += 1
        return result

    # --- rules -----------------------------------------------------------------------------

    @initialize()
    def open_two_tickets(self) -> None:
        """Every run starts with an L1 and an L2 ticket, so no run is spent finding a first one."""
        for tier in (1, 2):
            ticket = tickets.ticket_create(
                actor=self.desk.agents[tier],
                title="Reports crash",
                requester=self.desk.requester,
                team=self.desk.teams[tier],
                at=self._tick(1),
            )
            self.ids.append(ticket.pk)

    @rule(data=st.data(), impact=st.sampled_from([1, 2, 3]), urgency=st.sampled_from([1, 2, 3]))
    def create(self, data: st.DataObject, impact: int, urgency: int) -> None:
        tier = data.draw(st.sampled_from([1, 2]), label="tier")
        agent = self.desk.agents[tier]
        ticket = self._attempt(
            tickets.ticket_create,
            actor=agent,
            title="Reports crash",
            requester=self.desk.requester,
            team=self.desk.teams[tier],
            assignee=data.draw(st.sampled_from([None, agent]), label="assignee"),
            impact=impact,
            urgency=urgency,
            at=self._tick(1),
        )
        if ticket is not None:
            self.ids.append(ticket.pk)

    @precondition(lambda self: self.ids)
    @rule(data=st.data(), minutes=st.integers(1, 240))
    def assign(self, data: st.DataObject, minutes: int) -> None:
        ticket = self._ticket(data)
        who = data.draw(st.sampled_from([None, *self.desk.agents.values()]), label="assignee")
        self._attempt(
            tickets.ticket_assign,
            actor=self._actor(data),
            ticket=ticket,
            assignee=who,
            at=self._tick(minutes),
        )

    @precondition(lambda self: self.ids)
    @rule(
        data=st.data(),
        action=st.sampled_from([*rules.TRANSITIONS, "explode"]),
        minutes=st.integers(1, 600),
        stale=st.booleans(),
    )
    def transition(self, data: st.DataObject, action: str, minutes: int, stale: bool) -> None:
        ticket = self._ticket(data)
        self._attempt(
            tickets.ticket_transition,
            actor=self._actor(data),
            ticket=ticket,
            action=action,
            version=ticket.version - 1 if stale else ticket.version,
            pending_reason=data.draw(st.sampled_from(["", *PendingReason.values]), label="why"),
            resolution_code=data.draw(st.sampled_from(["", *ResolutionCode.values]), label="rc"),
            resolution_notes=data.draw(st.sampled_from(["", " ", "Restarted"]), label="notes"),
            cause_code=data.draw(st.sampled_from(["", "bogus", *CauseCode.values]), label="cc"),
            note=data.draw(st.sampled_from(["", "Not needed"]), label="note"),
            at=self._tick(minutes),
        )

    @precondition(lambda self: self.ids)
    @rule(data=st.data(), minutes=st.integers(1, 120), full=st.booleans())
    def escalate(self, data: st.DataObject, minutes: int, full: bool) -> None:
        package = PACKAGE if full else {"summary": PACKAGE["summary"]}
        self._attempt(
            escalation.escalation_create,
            actor=self._actor(data),
            ticket=self._ticket(data),
            to_team=self._team(data),
            at=self._tick(minutes),
            **package,
        )

    def _pending(self, data: st.DataObject) -> Escalation | None:
        ticket = self._ticket(data)
        return ticket.escalations.order_by("-pk").first()

    @precondition(lambda self: self.ids)
    @rule(data=st.data(), minutes=st.integers(1, 120), take=st.booleans())
    def accept(self, data: st.DataObject, minutes: int, take: bool) -> None:
        esc = self._pending(data)
        if esc is None:
            return
        self._attempt(
            escalation.escalation_accept,
            actor=self._actor(data),
            escalation=esc,
            assign_to_self=take,
            at=self._tick(minutes),
        )

    @precondition(lambda self: self.ids)
    @rule(data=st.data(), minutes=st.integers(1, 120), guidance=st.sampled_from(["", "Check X"]))
    def return_(self, data: st.DataObject, minutes: int, guidance: str) -> None:
        esc = self._pending(data)
        if esc is None:
            return
        self._attempt(
            escalation.escalation_return,
            actor=self._actor(data),
            escalation=esc,
            reason=data.draw(st.sampled_from(["nonsense", *ReturnReason.values]), label="reason"),
            guidance=guidance,
            at=self._tick(minutes),
        )

    @precondition(lambda self: self.ids)
    @rule(data=st.data(), minutes=st.integers(1, 120), note=st.sampled_from(["", "Fixed; confirm"]))
    def deescalate(self, data: st.DataObject, minutes: int, note: str) -> None:
        ticket = self._ticket(data)
        self._attempt(
            escalation.ticket_deescalate,
            actor=self._actor(data),
            ticket=ticket,
            to_team=self._team(data),
            note=note,
            at=self._tick(minutes),
        )

    @precondition(lambda self: self.ids)
    @rule(data=st.data(), internal=st.booleans(), body=st.sampled_from(["", "Any news?"]))
    def comment(self, data: st.DataObject, internal: bool, body: str) -> None:
        self._attempt(
            tickets.ticket_comment,
            actor=self._actor(data),
            ticket=self._ticket(data),
            body=body,
            internal=internal,
            at=self._tick(5),
        )

    @precondition(lambda self: self.ids)
    @rule(data=st.data(), impact=st.sampled_from([1, 2, 3, 7]), urgency=st.sampled_from([1, 3]))
    def reprioritise(self, data: st.DataObject, impact: int, urgency: int) -> None:
        ticket = self._ticket(data)
        self._attempt(
            tickets.ticket_update,
            actor=self._actor(data),
            ticket=ticket,
            version=ticket.version,
            changes={"impact": impact, "urgency": urgency},
            at=self._tick(10),
        )

    @rule(hours=st.integers(1, 72))
    def time_passes(self, hours: int) -> None:
        """Warnings and breaches are recorded by the sweep as time passes."""
        sla_sweep(now=self._tick(hours * 60))

    # --- invariants ------------------------------------------------------------------------

    @invariant()
    def tickets_agree_with_their_history(self) -> None:
        for ticket in Ticket.objects.filter(pk__in=self.ids):
            events = list(ticket.events.order_by("at", "pk"))
            kinds = Counter(e.kind for e in events)
            where = f"{ticket.number} ({ticket.status}, tier {ticket.tier})"
            assert ticket.status in Status.values, where
            if ticket.status == Status.NEW:
                assert ticket.assignee_id is None, f"{where} is new but assigned"
            if ticket.status == Status.ASSIGNED:
                assert ticket.assignee_id is not None, f"{where} is assigned to nobody"
            status, tier, problems = _replay(events)
            assert not problems, (where, problems)
            assert (status, tier) == (ticket.status, ticket.tier), (where, "replayed", status, tier)
            assert ticket.team is None or ticket.team.tier == ticket.tier, where
            reopens = sum(
                1
                for e in events
                if e.kind == EventKind.STATUS_CHANGED and e.data["action"] == "reopen"
            )
            assert ticket.reopen_count == reopens, where
            resolved = ticket.status in (Status.RESOLVED, Status.CLOSED)
            assert (ticket.resolved_at is not None) == resolved, f"{where} resolved_at"
            assert (ticket.closed_at is not None) == (ticket.status == Status.CLOSED), where
            if ticket.status == Status.PENDING:
                assert ticket.pending_reason in PendingReason.values, where
            assert ticket.priority == rules.priority_for(
                ticket.impact, ticket.urgency, tickets.priority_matrix()
            ), where
            self._check_escalations(ticket, events, kinds, where)
            self._check_clocks(ticket, events, where)

    def _check_escalations(
        self, ticket: Ticket, events: list[TicketEvent], kinds: Counter, where: str
    ) -> None:
        states = Counter(ticket.escalations.values_list("state", flat=True))
        assert kinds[EventKind.ESCALATED] == sum(states.values()), f"{where} escalations"
        assert kinds[EventKind.ACCEPTED] == states[EscalationState.ACCEPTED], f"{where} accepts"
        assert kinds[EventKind.RETURNED] == states[EscalationState.RETURNED], f"{where} returns"
        returns = [
            e for e in events if e.kind == EventKind.BOUNCED and e.data["cause"] == "returned"
        ]
        assert len(returns) == kinds[EventKind.RETURNED], f"{where} bounces by return"
        moves = [(e.kind, e.at, e.data) for e in events if e.kind in esc_rules.MOVE_KINDS]
        trail_bounces = sum(1 for hop in esc_rules.trail(moves) if hop.bounced)
        assert kinds[EventKind.BOUNCED] == trail_bounces, f"{where} bounces vs its trail"
        assert states[EscalationState.PENDING] <= 1, f"{where} has two pending escalations"
        pending = ticket.escalations.filter(state=EscalationState.PENDING).first()
        if pending is not None:
            assert ticket.team_id == pending.to_team_id, f"{where} pending elsewhere"
            assert ticket.status not in DONE_STATUSES, f"{where} closed with a pending escalation"

    def _check_clocks(self, ticket: Ticket, events: list[TicketEvent], where: str) -> None:
        clocks = list(ticket.sla_clocks.all())
        live = [c for c in clocks if c.state != ClockState.STOPPED]
        per_target = Counter(c.target for c in live)
        assert all(n == 1 for n in per_target.values()), f"{where} live clocks {per_target}"
        for clock in live:
            if clock.target in OLA_TARGETS:
                assert clock.tier == ticket.tier, f"{where} runs a tier {clock.tier} OLA clock"
            else:
                assert clock.tier == 0, where
        if ticket.status in DONE_STATUSES:
            assert not live, f"{where} is done but clocks run: {[c.target for c in live]}"
        breaches = Counter(e.data.get("clock") for e in events if e.kind == EventKind.SLA_BREACHED)
        for clock in clocks:
            running = clock.state == ClockState.RUNNING
            assert (clock.running_since is not None) == running, f"{where} clock {clock.pk}"
            if clock.state == ClockState.STOPPED:
                assert clock.stopped_at is not None and clock.met is not None, where
            recorded = breaches[clock.pk]
            assert recorded == (clock.breached_at is not None), (
                f"{where}: clock {clock.pk} breached {recorded} times, breached_at "
                f"{clock.breached_at}"
            )


@pytest.fixture
def desk(db) -> Desk:
    teams = {
        1: TeamFactory(name="Service Desk", tier=1),
        2: TeamFactory(name="Application Support", tier=2),
        3: TeamFactory(name="Engineering", tier=3),
    }
    # The seeded policies only time L2 acceptance; time acceptance and resolution at L2 and L3, so
    # OLA clocks start, stop and move with the ticket.
    for policy in SlaPolicy.objects.all():
        for tier in (2, 3):
            OlaTarget.objects.update_or_create(
                policy=policy, tier=tier, defaults={"accept_minutes": 30, "resolve_minutes": 480}
            )
    agents = {
        tier: UserFactory(username=f"agent{tier}", teams=[team]) for tier, team in teams.items()
    }
    return Desk(
        teams=teams,
        agents=agents,
        manager=UserFactory(username="maria", role=Role.MANAGER),
        requester=UserFactory(username="rita", role=Role.REQUESTER),
    )


def test_random_service_calls_keep_tickets_consistent(desk):
    TicketMachine.desk = desk
    run_state_machine_as_test(
        TicketMachine,
        settings=settings(
            max_examples=30,
            stateful_step_count=30,
            deadline=None,
            derandomize=True,
            database=None,
            phases=PHASES,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )


# --- what the machine found, pinned as plain tests ----------------------------------------------


def _escalated_to_l2(desk: Desk) -> tuple[Ticket, Escalation]:
    ticket = tickets.ticket_create(
        actor=desk.agents[1], title="Reports crash", team=desk.teams[1], at=START
    )
    esc = escalation.escalation_create(
        actor=desk.agents[1], ticket=ticket, to_team=desk.teams[2], at=START, **PACKAGE
    )
    return Ticket.objects.get(pk=ticket.pk), esc


def test_a_ticket_waiting_for_acceptance_cannot_be_reassigned_elsewhere(desk):
    ticket, _ = _escalated_to_l2(desk)
    before = _snapshot([ticket.pk])
    with pytest.raises(DomainError, match="accept or return") as exc:
        tickets.ticket_assign(actor=desk.manager, ticket=ticket, assignee=desk.agents[3])
    assert exc.value.field == "team"
    assert _snapshot([ticket.pk]) == before
    # Within the receiving team it can still be handed to someone.
    ticket = tickets.ticket_assign(actor=desk.manager, ticket=ticket, assignee=desk.agents[2])
    assert (ticket.team, ticket.assignee) == (desk.teams[2], desk.agents[2])


def test_reassigning_to_another_tier_moves_the_ola_clocks(desk):
    ticket, esc = _escalated_to_l2(desk)
    escalation.escalation_accept(actor=desk.agents[2], escalation=esc, at=START)
    ticket = tickets.ticket_assign(
        actor=desk.manager, ticket=Ticket.objects.get(pk=ticket.pk), assignee=desk.agents[3]
    )
    assert ticket.tier == 3
    live = ticket.sla_clocks.exclude(state=ClockState.STOPPED)
    assert sorted(live.filter(target__in=OLA_TARGETS).values_list("target", "tier")) == [
        (Target.OLA_RESOLVE, 3)
    ]
    event = ticket.events.filter(kind=EventKind.ASSIGNED).last()
    assert (event.data["from_tier"], event.data["tier"]) == (2, 3)
