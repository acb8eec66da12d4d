"""SLA and OLA clocks of the history tickets, replayed from their events and bulk-written.

The history is inserted with `bulk_create`, so no `event_recorded` signal fires and the live
handlers (`sla.handlers`) never see it. This module applies the same rules in memory instead:
each ticket's events are replayed in order, clocks start, pause, resume, re-plan and stop as
`sla.services` would make them, and between two events every running clock is swept the way
`sla.services.sla_sweep` sweeps it, so a warning or breach is recorded (once, dated when it
happened, with the event `sla.services._fire` writes) when the timeline crossed it. Clocks still
live at the end are swept up to `now` and keep their planned `due_at` and `warn_at`.

Policies are loaded once and matched with `sla.rules.choose_policy`; calendars come from
`sla.services.calendar_of`; the arithmetic is `sla.calendar` and `sla.rules.plan`. Actions on
warning and breach (notifications, raising the priority) are not run for history, as no
notification is sent for any other part of it.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db.models import Model

from backline.accounts.models import TeamMembership
from backline.sla import rules
from backline.sla import services as sla
from backline.sla.calendar import Calendar, business_minutes_between
from backline.sla.choices import ClockState, Target
from backline.sla.models import ClockPause, SlaClock, SlaPolicy
from backline.tickets.choices import OPEN_STATUSES, EventKind, Status
from backline.tickets.models import Ticket, TicketEvent

_OLA = (Target.OLA_ACCEPT, Target.OLA_RESOLVE)
_RESOLVED_STOPS = (Target.FIRST_RESPONSE, Target.RESOLUTION, Target.OLA_RESOLVE, Target.OLA_ACCEPT)
_MOVES = (EventKind.ESCALATED, EventKind.RETURNED, EventKind.DEESCALATED)
_TIERED = (*_MOVES, EventKind.ASSIGNED, EventKind.ACCEPTED)


@dataclass(slots=True)
class _Run:
    """One clock being replayed: its row, its pauses and the crossings the sweep recorded."""

    row: SlaClock
    cal: Calendar
    warn_share: float
    pauses: list[ClockPause] = field(default_factory=list)
    crossings: list[tuple[str, datetime, str | None]] = field(default_factory=list)


@dataclass
class Replayed:
    """The clocks of the replayed tickets, ready to write, and what they add up to."""

    runs: list[_Run] = field(default_factory=list)
    open_tickets: list[Ticket] = field(default_factory=list)

    @property
    def clocks(self) -> list[SlaClock]:
        return [run.row for run in self.runs]


class Policies:
    """Active policies in order, their conditions as facts and their calendars, loaded once."""

    def __init__(self) -> None:
        self.policies: list[SlaPolicy] = sla.policies_in_order()
        self.facts = [sla._facts(p) for p in self.policies]
        self.by_id = {p.pk: p for p in self.policies}
        self.calendars = {p.pk: sla.calendar_of(p.calendar) for p in self.policies}
        self.teams: dict[int, frozenset[int]] = {}
        for user_id, team_id in TeamMembership.objects.values_list("user_id", "team_id"):
            self.teams[user_id] = self.teams.get(user_id, frozenset()) | {team_id}
        self._chosen: dict[tuple, SlaPolicy | None] = {}

    def for_ticket(self, ticket: Ticket, priority: int) -> SlaPolicy | None:
        """What `sla.services.policy_for` answers for the ticket at this priority."""
        key = (
            priority,
            ticket.category_id,
            ticket.service_id,
            ticket.source,
            ticket.requester_id,
        )
        if key not in self._chosen:
            facts = rules.TicketFacts(
                priority=priority,
                category_id=ticket.category_id,
                service_id=ticket.service_id,
                source=ticket.source,
                requester_team_ids=self.teams.get(ticket.requester_id, frozenset()),
            )
            self._chosen[key] = self.by_id.get(rules.choose_policy(self.facts, facts))
        return self._chosen[key]


class _Ticket:
    """The clocks of one ticket while its events are replayed (what sla.handlers would do)."""

    def __init__(self, ticket: Ticket, policies: Policies) -> None:
        self.ticket = ticket
        self.policies = policies
        self.priority = ticket.priority
        self.tier = ticket.tier
        self.runs: list[_Run] = []

    # -- the services, in memory

    def _live(self, targets: Iterable[str] | None = None, tier: int | None = None) -> list[_Run]:
        wanted = None if targets is None else set(targets)
        return [
            run
            for run in self.runs
            if run.row.state != ClockState.STOPPED
            and (wanted is None or run.row.target in wanted)
            and (tier is None or run.row.tier == tier)
        ]

    @staticmethod
    def _replan(run: _Run) -> None:
        clock = run.row
        if clock.state != ClockState.RUNNING or clock.running_since is None:
            clock.due_at = clock.warn_at = None
            return
        plan = rules.plan(
            run.cal,
            target_minutes=clock.target_minutes,
            elapsed_minutes=clock.elapsed_minutes,
            running_since=clock.running_since,
            warn_share=run.warn_share,
        )
        clock.due_at, clock.warn_at = plan.due_at, plan.warn_at

    @staticmethod
    def _bank(run: _Run, at: datetime) -> None:
        clock = run.row
        if (
            clock.state == ClockState.RUNNING
            and clock.running_since is not None
            and at > clock.running_since
        ):
            clock.elapsed_minutes += business_minutes_between(run.cal, clock.running_since, at)
            clock.running_since = at

    def start(self, policy: SlaPolicy, target: str, at: datetime, tier: int = 0) -> None:
        minutes = sla._target_minutes(policy, target, tier)
        if minutes is None or self._live([target], tier):
            return
        clock = SlaClock(
            ticket=self.ticket,
            policy=policy,
            target=target,
            tier=tier,
            target_minutes=minutes,
            state=ClockState.RUNNING,
            started_at=at,
            elapsed_minutes=0.0,
            running_since=at,
        )
        run = _Run(clock, self.policies.calendars[policy.pk], policy.warn_share)
        self._replan(run)
        self.runs.append(run)

    def pause(self, reason: str, at: datetime) -> None:
        for run in self._live():
            clock = run.row
            if clock.state != ClockState.RUNNING or reason not in clock.policy.pause_reasons:
                continue
            self._bank(run, at)
            clock.state, clock.running_since = ClockState.PAUSED, None
            self._replan(run)
            run.pauses.append(ClockPause(clock=clock, reason=reason, paused_at=at))

    def resume(self, at: datetime) -> None:
        for run in self._live():
            clock = run.row
            if clock.state != ClockState.PAUSED:
                continue
            clock.state, clock.running_since = ClockState.RUNNING, at
            self._replan(run)
            for pause in run.pauses:
                if pause.resumed_at is None:
                    pause.resumed_at = at

    def stop(self, targets: Iterable[str], at: datetime, tier: int | None = None) -> None:
        for run in self._live(targets, tier):
            clock = run.row
            self._bank(run, at)
            if clock.state == ClockState.PAUSED:
                for pause in run.pauses:
                    if pause.resumed_at is None:
                        pause.resumed_at = at
            clock.state, clock.running_since, clock.stopped_at = ClockState.STOPPED, None, at
            clock.met = clock.breached_at is None and clock.elapsed_minutes <= clock.target_minutes
            clock.due_at = clock.warn_at = None

    def restart_resolution(self, at: datetime) -> None:
        resolution = [
            run for run in self.runs if run.row.target == Target.RESOLUTION and run.row.tier == 0
        ]
        if not resolution:
            return
        # The latest stopped one, as clocks_restart_resolution orders by -stopped_at.
        run = max(resolution, key=lambda r: (r.row.stopped_at is not None, r.row.stopped_at or at))
        clock = run.row
        if clock.state != ClockState.STOPPED:
            return
        clock.state, clock.running_since, clock.stopped_at, clock.met = (
            ClockState.RUNNING,
            at,
            None,
            None,
        )
        self._replan(run)

    def replan(self, at: datetime) -> None:
        policy = self.policies.for_ticket(self.ticket, self.priority)
        if policy is None:
            return
        for run in self._live(sla.SLA_TARGETS):
            clock = run.row
            self._bank(run, at)
            clock.policy = policy
            run.cal, run.warn_share = self.policies.calendars[policy.pk], policy.warn_share
            clock.target_minutes = (
                sla._target_minutes(policy, clock.target, 0) or clock.target_minutes
            )
            if (
                clock.warned_at is not None
                and clock.elapsed_minutes < clock.target_minutes * policy.warn_share
            ):
                clock.warned_at = None
            self._replan(run)

    # -- the sweep, in memory

    def sweep(self, until: datetime, *, inclusive: bool) -> None:
        """Record what `sla_sweep` would have recorded had it run just before `until`."""
        for run in self.runs:
            clock = run.row
            if clock.state != ClockState.RUNNING:
                continue
            for kind, due in (("warned", clock.warn_at), ("breached", clock.due_at)):
                if due is None or getattr(clock, f"{kind}_at") is not None:
                    continue
                if due < until or (inclusive and due == until):
                    setattr(clock, f"{kind}_at", due)
                    run.crossings.append(
                        (kind, due, clock.due_at.isoformat() if clock.due_at else None)
                    )

    # -- the handlers

    def on_event(self, event: TicketEvent) -> None:
        kind, data, at = event.kind, event.data or {}, event.at
        if kind == EventKind.CREATED:
            self.priority = data.get("priority", self.priority)
            self.tier = data.get("tier", self.tier)
            policy = self.policies.for_ticket(self.ticket, self.priority)
            if policy is not None:
                for target in sla.SLA_TARGETS:
                    self.start(policy, target, at)
                if self.tier >= 2:
                    self.start(policy, Target.OLA_RESOLVE, at, tier=self.tier)
            return
        if kind == EventKind.STATUS_CHANGED:
            self._on_status(data, at)
            return
        if (
            kind == EventKind.REPLIED
            and event.actor is not None
            and event.actor.is_staff_member
            and event.actor.pk != self.ticket.requester_id
        ):
            self.stop([Target.FIRST_RESPONSE], at)
            return
        if kind in _TIERED and "tier" in data:  # the ticket's tier after it, as handlers see it
            self.tier = data["tier"]
        if kind in _MOVES:
            self._on_move(kind, data.get("from_tier"), data.get("tier"), at)
            return
        if kind == EventKind.ACCEPTED:
            self.stop([Target.OLA_ACCEPT], at, tier=self.tier)
            return
        if kind == EventKind.UPDATED and "priority" in (data.get("changes") or {}):
            self.priority = data["changes"]["priority"][1]
            self.replan(at)

    def _on_status(self, data: dict, at: datetime) -> None:
        before, after = data.get("from"), data.get("to")
        if data.get("action") == "start":
            self.stop([Target.FIRST_RESPONSE], at)
        if after == Status.PENDING:
            self.pause(data.get("pending_reason", ""), at)
        elif before == Status.PENDING and after in (
            Status.IN_PROGRESS,
            Status.ASSIGNED,
            Status.NEW,
        ):
            self.resume(at)
        if after == Status.RESOLVED:
            self.stop(_RESOLVED_STOPS, at)
        elif before == Status.RESOLVED and after == Status.IN_PROGRESS:
            self.restart_resolution(at)
        elif after in (Status.CLOSED, Status.CANCELLED):
            self.stop(list(Target.values), at)

    def _on_move(self, kind: str, left: int | None, entered: int | None, at: datetime) -> None:
        if left == entered:
            return
        if left:
            self.stop(_OLA, at, tier=left)
        policy = self.policies.for_ticket(self.ticket, self.priority)
        if policy is None or not entered or entered < 2:
            return
        if kind == EventKind.ESCALATED:
            self.start(policy, Target.OLA_ACCEPT, at, tier=entered)
        self.start(policy, Target.OLA_RESOLVE, at, tier=entered)


def replay(
    timelines: Iterable[tuple[Ticket, Sequence[TicketEvent]]],
    *,
    now: datetime,
    policies: Policies | None = None,
) -> Replayed:
    """The clocks of each (ticket, events in order) as the live handlers and sweep make them."""
    policies = policies or Policies()
    out = Replayed()
    for ticket, events in timelines:
        state = _Ticket(ticket, policies)
        for event in events:
            state.sweep(event.at, inclusive=False)
            state.on_event(event)
        state.sweep(now, inclusive=True)
        out.runs += state.runs
        if ticket.status in OPEN_STATUSES:
            out.open_tickets.append(ticket)
    return out


def write(
    replayed: Replayed, *, now: datetime, insert: Callable[[type[Model], list], None]
) -> None:
    """Insert the clocks (with keys, through `insert`), their pauses and the SLA events."""
    insert(SlaClock, replayed.clocks)
    ClockPause.objects.bulk_create(
        [pause for run in replayed.runs for pause in run.pauses], batch_size=1000
    )
    events = []
    for run in replayed.runs:
        clock = run.row
        for kind, at, due_at in run.crossings:
            events.append(
                TicketEvent(
                    ticket=clock.ticket,
                    kind=EventKind.SLA_WARNING if kind == "warned" else EventKind.SLA_BREACHED,
                    actor=None,
                    at=at,
                    is_internal=True,
                    data={
                        "clock": clock.pk,
                        "target": clock.target,
                        "tier": clock.tier,
                        "policy": clock.policy.name,
                        "due_at": due_at,
                        "noticed_at": at.isoformat(),
                    },
                )
            )
    TicketEvent.objects.bulk_create(events, batch_size=1000)
    _refresh_tickets(replayed.open_tickets)


def _refresh_tickets(tickets: list[Ticket]) -> None:
    """Bring the ticket's own SLA summary (`sla_due_at`, `sla_state`) up to date, where
    `sla.services` keeps one; closed tickets keep the default (no live clock, no state)."""
    refresh: Any = getattr(sla, "ticket_sla_refresh", None)
    if refresh is None:
        return
    by_id = "ticket" not in inspect.signature(refresh).parameters
    for ticket in tickets:
        result = refresh(ticket.pk) if by_id else refresh(ticket=ticket)
        if isinstance(result, tuple) and len(result) == 2:
            ticket.sla_due_at, ticket.sla_state = result
