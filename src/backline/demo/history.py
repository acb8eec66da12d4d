"""Six months of ticket history, lived through in memory and bulk-loaded like an import.

Each ticket's life (creation, triage, escalations and bounces, replies and notes, pending spells,
resolution, reopening, closing) is played with the real status machine (`tickets.rules`) and the
event shapes `tickets.services` writes; the ticket's denormalised fields are then derived from
those events, so they cannot disagree. `random.Random(seed)` decides everything but the
calendar: the same seed gives the same tickets, whatever the hour they are anchored to.

Escalations look as if `escalation.services` had made them: an `Escalation` row with a hand-off
package from the category's phrases (`text.HANDOFFS`, every part the receiving tier requires by
default filled) and an ESCALATED event with the data `escalation_create` and `ticket_route`
write; then ACCEPTED (the engineer takes it, or the lead accepts and hands it on), or RETURNED
with a reason and guidance followed by BOUNCED, back to the sender, who usually escalates again.
Some L2 tickets get a collaboration task (`Task`, TASK_CREATED, TASK_UPDATED) done by another
team, and a few are fixed at L2 and handed down (DEESCALATED) for L1 to confirm with the user.
Rows and events that name each other get their ids when written (`Life.bind_ids`).
"""

from __future__ import annotations

import contextlib
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from itertools import accumulate
from zoneinfo import ZoneInfo

from backline.accounts.models import Team, User
from backline.cmdb.models import ConfigurationItem, Service
from backline.demo import text as T
from backline.escalation.choices import EscalationState, TaskStatus
from backline.escalation.models import Escalation, Task
from backline.tickets import rules
from backline.tickets.choices import EventKind, PendingReason, Source, Status
from backline.tickets.models import Category, Comment, Ticket, TicketEvent
from backline.tickets.services import event_value, priority_matrix

HISTORY_DAYS = 182
QUIET_DAYS = 5  # resolved tickets close automatically after this many quiet days
_WORKDAY = (8, 18)  # office hours, local time
_BUSINESS_FACTOR = 168 / 50  # wall-clock minutes per business minute, for estimates

_PRIORITIES = (1, 2, 3, 4)
_PRIORITY_WEIGHTS = (2, 12, 50, 36)
_SOURCES = (Source.PHONE, Source.EMAIL, Source.PORTAL, Source.WEB, Source.CHAT, Source.API)
_SOURCE_WEIGHTS = (24, 24, 28, 10, 6, 8)
_AGENT_LOGGED = {Source.PHONE, Source.WEB, Source.CHAT}
_DAY_WEIGHT = (1.3, 1.1, 1.0, 1.0, 0.85, 0.1, 0.07)  # Monday .. Sunday
# fmt: off
_HOUR_WEIGHT = (  # by local hour: quiet nights, a 09:00-11:00 peak, a dip at lunch
    0.02, 0.02, 0.02, 0.02, 0.02, 0.03, 0.08, 0.3, 1.0, 1.5, 1.4, 1.2,
    0.8, 1.0, 1.1, 1.0, 0.8, 0.5, 0.25, 0.12, 0.08, 0.06, 0.04, 0.03,
)
# fmt: on
# (low, high) minutes per step and priority P1..P4; P1/P2 run on the wall clock, P3/P4 in
# office hours.
_DELAYS = {
    "triage": ((3, 12), (5, 30), (10, 120), (15, 240)),
    "start": ((1, 5), (1, 10), (1, 30), (2, 60)),
    "reply": ((2, 10), (3, 20), (5, 45), (5, 90)),
    "answer": ((10, 40), (15, 120), (30, 480), (60, 900)),
    "l1_work": ((10, 30), (15, 90), (20, 240), (30, 480)),
    "pickup": ((3, 15), (10, 45), (20, 300), (60, 900)),
    "l2_work": ((20, 120), (60, 480), (120, 1500), (240, 2400)),
    "l3_work": ((30, 100), (120, 900), (300, 2400), (900, 6000)),
    "l1_fix": ((20, 120), (30, 240), (20, 600), (60, 4000)),
    "wait": ((60, 300), (120, 1200), (600, 3000), (900, 4500)),
    "short": ((1, 5), (1, 10), (2, 15), (2, 20)),
    "comeback": ((60, 600), (120, 1200), (300, 2400), (300, 3000)),
    "accept": ((2, 16), (5, 36), (10, 240), (20, 480)),  # an L2 inbox to acceptance or return
    "task": ((30, 120), (60, 300), (120, 900), (240, 1500)),  # another team's collaboration task
}
# Some tickets go slowly (a busy week, a hard problem, an engineer out): the work steps of each
# ticket take a log-normal multiple of their drawn time (median 1), P1..P4. With the SLA policies
# seeded by default this breaches about 5-15 % of the resolution targets, fewer for P1.
_PACE_SIGMA = (0.2, 0.45, 0.8, 1.3)
_PACED = {"l1_work", "l1_fix", "l2_work", "l3_work", "task"}
# Events whose write saves the ticket and so bumps its version (tickets.services, ticket_route).
_VERSIONED = {
    EventKind.ASSIGNED,
    EventKind.UPDATED,
    EventKind.STATUS_CHANGED,
    EventKind.ESCALATED,
    EventKind.RETURNED,
    EventKind.DEESCALATED,
}
# Events written as internal (staff only): notes, workflow moves (ticket_route's default) and
# their companions, collaboration tasks.
_INTERNAL = {
    EventKind.NOTED,
    EventKind.ESCALATED,
    EventKind.ACCEPTED,
    EventKind.RETURNED,
    EventKind.BOUNCED,
    EventKind.DEESCALATED,
    EventKind.TASK_CREATED,
    EventKind.TASK_UPDATED,
}
_RETURN_SHARE = 0.11  # L1 -> L2 escalations the receiving team returns
_L3_RETURN_SHARE = 0.12  # L2 -> L3 escalations returned
_DISPATCH_SHARE = 0.2  # the team lead accepts and hands the ticket to an engineer
_TASK_SHARE = 0.09  # L2 tickets that need a collaboration task from another team
_DEESCALATE_SHARE = 0.08  # L2 fixes, then hands down for L1 to confirm with the requester
# Minutes before the anchor within which an escalation may still wait in the inbox, P1..P4.
_INBOX_WINDOW = (60, 240, 1440, 2880)
_TASK_DUE_HOURS = (2, 4, 24, 72)
_GENERIC_L1_FIX = T.Fix(
    "no_fault",
    "unknown",
    "Could not reproduce with the user; it works again after restarting "
    "the application. Asked the user to reply here if it comes back.",
)


@dataclass
class Org:
    """The people and teams the generator hands work to."""

    teams: dict[str, Team] = field(default_factory=dict)
    users: dict[str, User] = field(default_factory=dict)
    people: dict[int, T.Person] = field(default_factory=dict)  # user pk -> profile
    members: dict[str, list[tuple[User, bool]]] = field(default_factory=dict)
    team_ids: dict[int, set[int]] = field(default_factory=dict)  # user pk -> team pks
    requesters: list[User] = field(default_factory=list)
    admin_existed: bool = False

    def user(self, username: str) -> User:
        return self.users[username]


@dataclass
class Cmdb:
    services: dict[str, Service]
    items: dict[str, ConfigurationItem]


# --- time -------------------------------------------------------------------------------------


class Clock:
    """Arrivals on a realistic weekly rhythm and step times in office hours, in local time."""

    def __init__(self, anchor: datetime, tz: ZoneInfo) -> None:
        self.anchor = anchor
        self.tz = tz
        self.local_anchor = anchor.astimezone(tz).replace(tzinfo=None)

    def arrivals(self, n: int, rng: random.Random) -> list[datetime]:
        """`n` sorted local arrival times over the history window."""
        start = self.local_anchor - timedelta(days=HISTORY_DAYS)
        slots = [start + timedelta(hours=h) for h in range(HISTORY_DAYS * 24)]
        weights = [
            _DAY_WEIGHT[s.weekday()]
            * _HOUR_WEIGHT[s.hour]
            * (1.3 if s.weekday() == 0 and 8 <= s.hour <= 11 else 1.0)
            for s in slots
        ]
        picks = rng.choices(range(len(slots)), cum_weights=list(accumulate(weights)), k=n)
        limit = self.local_anchor - timedelta(minutes=10)
        return sorted(min(slots[k] + timedelta(seconds=rng.randrange(3600)), limit) for k in picks)

    def to_utc(self, local: datetime) -> datetime:
        return local.replace(tzinfo=self.tz).astimezone(UTC)

    def local(self, day: date, hhmm: str) -> datetime:
        """Naive local time on `day`, as the rest of the clock works in; see to_utc."""
        return datetime.combine(day, time.fromisoformat(hhmm))

    @staticmethod
    def advance(t: datetime, minutes: float, business: bool) -> datetime:
        if minutes <= 0 or not business:
            return t + timedelta(minutes=minutes)
        opens, closes = _WORKDAY
        while True:
            if t.weekday() >= 5 or t.hour >= closes:
                t = (t + timedelta(days=1)).replace(hour=opens, minute=0, second=0)
                continue
            if t.hour < opens:
                t = t.replace(hour=opens, minute=0, second=0)
            left = (t.replace(hour=closes, minute=0, second=0) - t).total_seconds() / 60
            if minutes <= left:
                return t + timedelta(minutes=minutes)
            minutes -= left
            t = t.replace(hour=closes, minute=0, second=0)

    def times(self, arrival: datetime, steps: list[_Step]) -> list[datetime]:
        """UTC times of the steps, squeezed before the anchor when the plan runs past it."""
        local, out = arrival, []
        for step in steps:
            local = self.advance(local, step.delay, step.business)
            out.append(self.to_utc(local).replace(microsecond=0))
        limit = self.anchor - timedelta(minutes=1)
        first, last = out[0], out[-1]
        if last > limit and last > first:
            scale = max((limit - first) / (last - first), 0.0)
            out = [first + (t - first) * scale for t in out]
        out = [t.replace(microsecond=0) for t in out]
        for i in range(1, len(out)):  # never out of order, whatever DST or squeezing did
            if steps[i].delay == 0:  # written in the same transaction as the step before
                out[i] = out[i - 1]
            elif out[i] <= out[i - 1]:
                out[i] = out[i - 1] + timedelta(seconds=1)
        return out


# --- one ticket's life ------------------------------------------------------------------------


@dataclass(slots=True)
class _Step:
    delay: float  # minutes after the previous step
    business: bool  # counted in office hours rather than on the wall clock
    kind: str
    actor: User | None
    data: dict
    body: str = ""


class _Stop(Exception):
    """The ticket's life ends here: it is still open at the anchor."""


def bumps_version(kind: str, data: dict) -> bool:
    """Whether the service that writes this event saves the ticket (and so bumps its version).

    Acceptance saves the ticket only when the accepting engineer takes it (through ticket_route,
    whose data then carries the assignee change).
    """
    return kind in _VERSIONED or (kind == EventKind.ACCEPTED and "changes" in data)


@dataclass(slots=True)
class _Escalation:
    """An escalation made in a life: its row and the event data that must carry its id."""

    row: Escalation
    created: int  # step index of ESCALATED
    decided: int | None = None  # step index of ACCEPTED or RETURNED
    refs: list[dict] = field(default_factory=list)
    accepted: dict | None = None  # the ACCEPTED event's data, for waited_seconds


@dataclass(slots=True)
class _Task:
    """A collaboration task opened in a life: its row and the event data naming it."""

    row: Task
    created: int  # step index of TASK_CREATED
    due_hours: int
    updates: list[int] = field(default_factory=list)
    done: int | None = None
    refs: list[dict] = field(default_factory=list)


class Life:
    """A history ticket lived through in memory with the services' rules and event shapes."""

    def __init__(self, ticket: Ticket, business: bool, team_ids: dict[int, set[int]]) -> None:
        self.ticket = ticket
        self.business = business
        self.team_ids = team_ids
        self.steps: list[_Step] = []
        self.status: str = Status.NEW
        self.team: Team | None = None
        self.assignee: User | None = None
        self.first_response: int | None = None
        self.resolved: int | None = None
        self.closed: int | None = None
        self.comments: list[Comment] = []
        self.events: list[TicketEvent] = []
        self.escalations: list[_Escalation] = []
        self.tasks: list[_Task] = []
        self.incident_key = ""  # the text.INCIDENTS kind the ticket was made from

    def _step(
        self,
        delay: float,
        kind: str,
        actor: User | None,
        data: dict | None = None,
        body: str = "",
        business: bool | None = None,
    ) -> int:
        business = self.business if business is None else business
        self.steps.append(_Step(delay, business, kind, actor, data or {}, body))
        return len(self.steps) - 1

    def estimate(self) -> float:
        """Wall-clock minutes the steps so far take, roughly."""
        return sum(s.delay * (_BUSINESS_FACTOR if s.business else 1) for s in self.steps)

    def create(self, actor: User | None, team: Team | None, assignee: User | None) -> None:
        t = self.ticket
        self.team, self.assignee = team, assignee
        t.tier = team.tier if team else 1
        self.status = rules.status_after_assignment(Status.NEW, assignee is not None)
        self._step(
            0,
            EventKind.CREATED,
            actor,
            {
                "title": t.title,
                "priority": t.priority,
                "status": self.status,
                "team": event_value(team),
                "assignee": event_value(assignee),
                "source": t.source,
                "tier": t.tier,
            },
        )

    def take(self, delay: float, actor: User, assignee: User, team: Team | None = None) -> None:
        """ticket_assign(assignee=...): keeps the team when the assignee is in it."""
        before: dict = {"assignee": self.assignee}
        new_team = self.team
        if new_team is None or new_team.pk not in self.team_ids[assignee.pk]:
            before["team"], new_team = self.team, team
        self._assign(delay, actor, before, new_team, assignee)

    def _assign(
        self, delay: float, actor: User, before: dict, team: Team | None, assignee: User | None
    ) -> None:
        after = {"team": team, "assignee": assignee}
        old_status = self.status
        self.team, self.assignee = team, assignee
        self.ticket.tier = team.tier if team else self.ticket.tier
        changes = {
            k: [event_value(v), event_value(after[k])]
            for k, v in before.items()
            if event_value(v) != event_value(after[k])
        }
        self.status = rules.status_after_assignment(
            self.status, assignee is not None, team_changed="team" in changes
        )
        data: dict = {"changes": changes, "tier": self.ticket.tier}
        if self.status != old_status:
            data["status"] = [old_status, self.status]
        self._step(delay, EventKind.ASSIGNED, actor, data)

    def reprioritise(
        self, delay: float, actor: User, impact: int, urgency: int, priority: int
    ) -> None:
        t = self.ticket
        changes = {
            name: [getattr(t, name), value]
            for name, value in (("impact", impact), ("urgency", urgency), ("priority", priority))
            if getattr(t, name) != value
        }
        t.impact, t.urgency, t.priority = impact, urgency, priority
        self._step(delay, EventKind.UPDATED, actor, {"changes": changes})

    def _route(
        self,
        delay: float,
        actor: User,
        kind: str,
        team: Team,
        assignee: User | None,
        extra: dict,
    ) -> dict:
        """ticket_route: one event of `kind` with the moves, the tiers and any status reset."""
        before = {"team": self.team, "assignee": self.assignee}
        after = {"team": team, "assignee": assignee}
        old_status, old_tier = self.status, self.ticket.tier
        self.team, self.assignee, self.ticket.tier = team, assignee, team.tier
        changes = {
            k: [event_value(v), event_value(after[k])]
            for k, v in before.items()
            if event_value(v) != event_value(after[k])
        }
        self.status = rules.status_after_assignment(
            self.status, assignee is not None, team_changed="team" in changes
        )
        data: dict = {"changes": changes, "tier": team.tier, "from_tier": old_tier, **extra}
        if self.status != old_status:
            data["status"] = [old_status, self.status]
        self._step(delay, kind, actor, data)
        return data

    def escalate(self, delay: float, actor: User, team: Team, package: dict) -> _Escalation:
        """escalation_create: a pending Escalation row and ESCALATED through ticket_route."""
        t = self.ticket
        row = Escalation(
            ticket=t,
            from_team=self.team,
            to_team=team,
            from_tier=t.tier,
            to_tier=team.tier,
            state=EscalationState.PENDING,
            created_by=actor,
            previous_assignee=self.assignee,
            **{k: v.strip() if isinstance(v, str) else v for k, v in package.items()},
        )
        extra = {
            "escalation": None,  # its id, once the row is inserted
            "from_team": event_value(self.team),
            "to_team": event_value(team),
            "summary": row.summary[:300],
        }
        data = self._route(delay, actor, EventKind.ESCALATED, team, None, extra)
        esc = _Escalation(row, len(self.steps) - 1, refs=[data])
        self.escalations.append(esc)
        return esc

    def accept(self, delay: float, actor: User, esc: _Escalation, *, assign: bool) -> None:
        """escalation_accept(assign_to_self=assign)."""
        row = esc.row
        row.state, row.decided_by = EscalationState.ACCEPTED, actor
        data = {"escalation": None, "team": event_value(row.to_team), "waited_seconds": 0}
        if assign:
            data = self._route(delay, actor, EventKind.ACCEPTED, row.to_team, actor, data)
        else:
            self._step(delay, EventKind.ACCEPTED, actor, data)
        esc.decided, esc.accepted = len(self.steps) - 1, data
        esc.refs.append(data)

    def give_back(
        self, delay: float, actor: User, esc: _Escalation, reason: str, guidance: str
    ) -> None:
        """escalation_return: back to the sending team and its previous assignee; a bounce."""
        row = esc.row
        back, previous = row.from_team, row.previous_assignee
        assignee = (
            previous if previous is not None and back.pk in self.team_ids[previous.pk] else None
        )
        row.state, row.decided_by = EscalationState.RETURNED, actor
        row.return_reason, row.guidance = reason, guidance
        moves = {
            "escalation": None,
            "reason": reason,
            "from_team": event_value(row.to_team),
            "to_team": event_value(back),
        }
        data = self._route(
            delay, actor, EventKind.RETURNED, back, assignee, {**moves, "guidance": guidance}
        )
        esc.decided = len(self.steps) - 1
        bounce = {**moves, "cause": "returned"}
        self._step(0, EventKind.BOUNCED, actor, bounce)
        esc.refs += [data, bounce]

    def hand_down(self, delay: float, actor: User, team: Team, note: str) -> None:
        """ticket_deescalate: down a tier to the whole team; not a bounce."""
        extra = {"note": note, "from_team": event_value(self.team), "to_team": event_value(team)}
        self._route(delay, actor, EventKind.DEESCALATED, team, None, extra)

    def task_open(
        self,
        delay: float,
        actor: User,
        team: Team,
        *,
        title: str,
        description: str,
        assignee: User | None,
        required: bool,
        due_hours: int,
    ) -> _Task:
        """task_create: a Task row and TASK_CREATED (internal; the ticket keeps its version)."""
        row = Task(
            ticket=self.ticket,
            team=team,
            assignee=assignee,
            title=title[:200],
            description=description,
            status=TaskStatus.OPEN,
            required=required,
            created_by=actor,
        )
        data = {
            "task": None,  # its id and number, once the row is inserted
            "number": None,
            "team": event_value(team),
            "title": row.title,
            "required": required,
            "due_at": None,  # set with the times
            "assignee": event_value(assignee),
        }
        self._step(delay, EventKind.TASK_CREATED, actor, data)
        task = _Task(row, len(self.steps) - 1, due_hours, refs=[data])
        self.tasks.append(task)
        return task

    def task_update(
        self,
        delay: float,
        actor: User,
        task: _Task,
        *,
        status: str,
        assignee: User | None = None,
        outcome: str = "",
    ) -> None:
        """task_update: the changed fields (status, assignee, outcome) as before and after."""
        row = task.row
        changes: dict = {"status": [row.status, status]}
        if assignee is not None and assignee != row.assignee:
            changes["assignee"] = [event_value(row.assignee), event_value(assignee)]
            row.assignee = assignee
        if outcome:
            changes["outcome"] = [row.outcome, outcome]
            row.outcome = outcome
        row.status = status
        data = {"task": None, "number": None, "changes": changes}
        self._step(delay, EventKind.TASK_UPDATED, actor, data)
        task.updates.append(len(self.steps) - 1)
        task.refs.append(data)
        if status in (TaskStatus.DONE, TaskStatus.CANCELLED):
            task.done = len(self.steps) - 1

    def transition(
        self,
        delay: float,
        actor: User | None,
        action: str,
        *,
        pending_reason: str = "",
        resolution_code: str = "",
        resolution_notes: str = "",
        cause_code: str = "",
        note: str = "",
        business: bool | None = None,
    ) -> None:
        t = self.ticket
        move = rules.check_transition(
            self.status,
            action,
            {
                "pending_reason": pending_reason,
                "resolution_code": resolution_code,
                "resolution_notes": resolution_notes,
                "cause_code": cause_code,
                "note": note,
            },
        )
        data: dict = {"from": self.status, "to": move.target, "action": action}
        index = len(self.steps)
        if action == "resolve":
            t.resolution_code, t.resolution_notes = resolution_code, resolution_notes.strip()
            t.cause_code = cause_code
            data.update(
                resolution_code=resolution_code,
                cause_code=cause_code,
                resolution_notes=t.resolution_notes,
            )
            self.resolved = index
        elif action == "reopen":
            t.reopen_count += 1
            self.resolved = None
        elif action == "close":
            self.closed = index
        elif action == "start" and self.first_response is None:
            self.first_response = index
        if move.target == Status.PENDING:
            data["pending_reason"] = pending_reason
        if note.strip():
            data["note"] = note.strip()
        self.status = move.target
        t.pending_reason = pending_reason if move.target == Status.PENDING else ""
        self._step(delay, EventKind.STATUS_CHANGED, actor, data, business=business)

    def comment(self, delay: float, actor: User, body: str, *, internal: bool = False) -> None:
        index = self._step(
            delay, EventKind.NOTED if internal else EventKind.REPLIED, actor, body=body
        )
        if (
            not internal
            and actor.is_staff_member
            and actor.pk != self.ticket.requester_id
            and self.first_response is None
        ):
            self.first_response = index

    def finish(self, times: list[datetime]) -> None:
        """Set the ticket's denormalised fields from its events and build the rows."""
        t = self.ticket
        t.created_at, t.updated_at = times[0], times[-1]
        t.status, t.team, t.assignee = self.status, self.team, self.assignee
        t.first_response_at = (
            times[self.first_response] if self.first_response is not None else None
        )
        done = self.status in (Status.RESOLVED, Status.CLOSED)
        t.resolved_at = times[self.resolved] if done and self.resolved is not None else None
        t.closed_at = times[self.closed] if self.closed is not None else None
        t.version = 1 + sum(bumps_version(s.kind, s.data) for s in self.steps)
        for esc in self.escalations:
            esc.row.created_at = times[esc.created]
            if esc.decided is not None:
                esc.row.decided_at = times[esc.decided]
            if esc.accepted is not None:
                waited = times[esc.decided] - times[esc.created]
                esc.accepted["waited_seconds"] = int(waited.total_seconds())
        for task in self.tasks:
            row = task.row
            row.created_at = times[task.created]
            due = row.created_at + timedelta(hours=task.due_hours)
            row.due_at = due.replace(minute=0, second=0) + timedelta(hours=1)  # a round hour
            task.refs[0]["due_at"] = row.due_at.isoformat()
            row.updated_at = times[task.updates[-1]] if task.updates else row.created_at
            row.completed_at = times[task.done] if task.done is not None else None
            row.version = 1 + len(task.updates)
        for step, at in zip(self.steps, times, strict=True):
            comment = None
            internal = step.kind in _INTERNAL
            if step.body:
                comment = Comment(
                    ticket=t, author=step.actor, body=step.body, is_internal=internal, created_at=at
                )
                self.comments.append(comment)
            self.events.append(
                TicketEvent(
                    ticket=t,
                    kind=step.kind,
                    actor=step.actor,
                    at=at,
                    data=step.data,
                    is_internal=internal,
                    comment=comment,
                )
            )

    def bind_ids(self) -> None:
        """Put the ids of the inserted escalations and tasks into the events that name them."""
        for esc in self.escalations:
            for data in esc.refs:
                data["escalation"] = esc.row.pk
        for task in self.tasks:
            for data in task.refs:
                data["task"], data["number"] = task.row.pk, task.row.number


# --- six months of history --------------------------------------------------------------------


class History:
    """Plans and lives through the history tickets, oldest first."""

    def __init__(
        self,
        rng: random.Random,
        org: Org,
        cmdb: Cmdb,
        categories: dict[str, Category],
        clock: Clock,
    ) -> None:
        self.rng = rng
        self.org = org
        self.cmdb = cmdb
        self.categories = categories
        self.clock = clock
        self.pace = 1.0  # the current ticket's pace (see _PACE_SIGMA)
        matrix = priority_matrix() or rules.DEFAULT_MATRIX
        # the impact x urgency cells that give each priority
        self.cells = {p: sorted(c for c, v in matrix.items() if v == p) for p in _PRIORITIES}
        pool = [i for i in T.INCIDENTS if not i.recurring]
        self.by_priority = {p: [i for i in pool if str(p) in i.prios] for p in _PRIORITIES}
        self.recurring = next(i for i in T.INCIDENTS if i.recurring)
        self.by_dept: dict[str, list[User]] = {}
        for user in org.requesters:
            self.by_dept.setdefault(org.people[user.pk].dept, []).append(user)

    def build(self, n: int, time_rng: random.Random, advance: Callable[[int], None]) -> list[Life]:
        arrivals = self.clock.arrivals(n, time_rng)
        if not arrivals:  # `demo-data --tickets 0`: the people and the CMDB only
            return []
        # "CRM report export times out" comes back about once a week (less often in small loads).
        times = 26 if n >= 1000 else max(3, n // 40)
        planted = {
            min(n - 1, int((k + self.rng.uniform(0.2, 0.8)) * n / times)) for k in range(times)
        }
        # ...on a Monday morning: the export is wanted for the Monday sales meeting.
        mondays: dict[date, int] = {}
        for i, arrival in enumerate(arrivals):
            if arrival.weekday() == 0 and 7 <= arrival.hour < 12:
                mondays.setdefault(arrival.date(), i)
        planted = {
            mondays.get(arrivals[i].date() - timedelta(days=arrivals[i].weekday()), i)
            for i in planted
        }
        lives = []
        for i, arrival in enumerate(arrivals):
            age = HISTORY_DAYS * 1440 * (n - i - 0.5) / n  # expected minutes before the anchor
            life = self._live(i in planted, age)
            life.finish(self.clock.times(arrival, life.steps))
            lives.append(life)
            if i % 100 == 99:
                advance(100)
        advance(n % 100)
        return lives

    # -- choices

    def _delay(self, what: str, priority: int) -> float:
        low, high = _DELAYS[what][priority - 1]
        drawn = low * (high / low) ** self.rng.random()
        return drawn * self.pace if what in _PACED else drawn

    def _pick(self, team: Team, avoid: User | None = None) -> User:
        members = [(u, lead) for u, lead in self.org.members[team.name] if u != avoid]
        return self.rng.choices(
            [u for u, _ in members], weights=[0.35 if lead else 1.0 for _, lead in members]
        )[0]

    def _requester(self, incident: T.Incident) -> User:
        if incident.alert:
            return self.org.user(T.MONITORING.username)
        if incident.depts and self.rng.random() < 0.9:
            return self.rng.choice([u for d in incident.depts for u in self.by_dept[d]])
        return self.rng.choice(self.org.requesters)

    def _slots(self, requester: User) -> dict[str, str]:
        rng, person = self.rng, self.org.people[requester.pk]
        slots = {name: rng.choice(values) for name, values in T.SLOTS.items()}
        code = T.SITES[person.site]
        remote = [s for s in T.SITES if s != "Hamburg"]
        slots.update(
            first=requester.first_name,
            site=person.site,
            dept=T.DEPARTMENTS[person.dept],
            remote_site=person.site if person.site in remote else rng.choice(remote),
            time=f"{rng.randint(7, 16):02d}:{rng.randrange(0, 60, 5):02d}",
            printer=f"PRN-{code}-{rng.randint(1, 4)}F-{rng.randint(1, 3):02d}",
            laptop=f"NB-{code}-{rng.randint(1000, 1999)}",
            order=f"WEB-{rng.randint(1030000, 1048000)}",
            vendor_ref=f"{rng.choice(('CS', 'SR', 'TK'))}-{rng.randint(100000, 999999)}",
        )
        return slots

    def _ticket(
        self, incident: T.Incident, priority: int, slots: dict[str, str], requester: User
    ) -> Ticket:
        rng = self.rng
        source = Source.MONITORING if incident.alert else rng.choices(_SOURCES, _SOURCE_WEIGHTS)[0]
        description = rng.choice(incident.descriptions).format_map(slots)
        if source in _AGENT_LOGGED:
            person = self.org.people[requester.pk]
            description += (
                f"\n\nCaller: {requester.get_full_name()}, {person.title}, {person.site}."
            )
        ci = None
        if incident.cis and rng.random() < 0.8:
            ci = self.cmdb.items[rng.choice(incident.cis).format_map(slots)]
        service = (
            self.cmdb.services[incident.service]
            if incident.service
            else (ci.service if ci is not None else None)
        )
        impact, urgency = rng.choice(self.cells[priority])
        return Ticket(
            title=rng.choice(incident.titles).format_map(slots)[:200],
            description=description,
            requester=requester,
            category=self.categories[incident.category],
            impact=impact,
            urgency=urgency,
            priority=priority,
            source=source,
            service=service,
            ci=ci,
        )

    def _outcome(self, age_days: float) -> tuple[str, str]:
        """(outcome, open status) for a ticket of this age: open, cancelled or done."""
        rng = self.rng
        p_open = next(
            (
                p
                for limit, p in ((1, 0.95), (3, 0.75), (7, 0.5), (14, 0.2), (28, 0.05))
                if age_days < limit
            ),
            0.0,
        )
        r = rng.random()
        if r < p_open:
            # Older open tickets mostly wait for someone (which pauses their SLA clocks).
            weights = (
                (25, 15, 45, 15)
                if age_days < 1
                else (5, 10, 50, 35)
                if age_days < 3
                else (2, 4, 30, 64)
            )
            status = rng.choices(
                (Status.NEW, Status.ASSIGNED, Status.IN_PROGRESS, Status.PENDING), weights
            )[0]
            return "open", status
        if r < p_open + 0.015:
            return "cancelled", ""
        return "done", ""

    # -- the life

    def live(self, incident: T.Incident, arrival: datetime, *, force_open: bool = False) -> Life:
        """One ticket of `incident` arriving at `arrival` (local), lived through to the anchor
        (`demo.planted`); `force_open` keeps it open at the anchor."""
        age = (self.clock.local_anchor - arrival).total_seconds() / 60
        usual = self.recurring
        self.recurring = incident
        try:
            life = self._live(True, age, force_open=force_open)
        finally:
            self.recurring = usual
        life.finish(self.clock.times(arrival, life.steps))
        return life

    def _live(self, planted: bool, age: float, *, force_open: bool = False) -> Life:
        rng = self.rng
        if planted:
            incident = self.recurring
            priority = int(rng.choice(incident.prios))
        else:
            priority = rng.choices(_PRIORITIES, _PRIORITY_WEIGHTS)[0]
            pool = self.by_priority[priority]
            incident = rng.choices(pool, [i.weight for i in pool])[0]
        requester = self._requester(incident)
        slots = self._slots(requester)
        ticket = self._ticket(incident, priority, slots, requester)
        final: tuple[int, int, int] | None = (ticket.impact, ticket.urgency, priority)
        if not incident.alert and priority < 4 and rng.random() < 0.04:
            ticket.impact, ticket.urgency = rng.choice(self.cells[priority + 1])
            ticket.priority = priority + 1  # raised once the desk understood the impact
        else:
            final = None
        outcome, open_status = self._outcome(age / 1440)
        if force_open:
            outcome, open_status = "open", Status.IN_PROGRESS
        life = Life(ticket, business=priority >= 3, team_ids=self.org.team_ids)
        life.incident_key = incident.key
        self.pace = rng.lognormvariate(0.0, _PACE_SIGMA[priority - 1])
        plan = _Plan(incident, priority, slots, outcome, open_status, age, final)
        with contextlib.suppress(_Stop):  # the ticket is still open at the anchor
            self._run(life, plan)
        return life

    def _stop_if(self, plan: _Plan, chance: float) -> None:
        if (
            plan.outcome == "open"
            and plan.open_status != Status.PENDING
            and self.rng.random() < chance
        ):
            raise _Stop

    def _decide(self, plan: _Plan, alert: bool) -> None:
        rng, incident = self.rng, plan.incident
        plan.escalate = (
            bool(incident.l2)
            and not alert
            and rng.random() < min(0.97, incident.escalate * (1.3 if plan.priority <= 2 else 1.0))
        )
        plan.l3 = (
            (alert or plan.escalate)
            and bool(incident.l3)
            and rng.random() < incident.l3_share * 0.7
        )
        plan.fix = self._choose_fix(incident, 3 if plan.l3 else 2 if alert or plan.escalate else 1)

    def _choose_fix(self, incident: T.Incident, tier: int) -> T.Fix:
        options = {
            1: incident.l1_fixes or (_GENERIC_L1_FIX,),
            2: incident.l2_fixes or incident.l1_fixes,
            3: incident.l3_fixes or incident.l2_fixes or incident.l1_fixes,
        }[tier]
        return self.rng.choice(options or (_GENERIC_L1_FIX,))

    def _run(self, life: Life, plan: _Plan) -> None:
        rng, p, t = self.rng, plan.priority, life.ticket
        desk = self.org.teams[T.SD]
        alert = t.source == Source.MONITORING
        self._decide(plan, alert)
        if alert:
            owner = self.org.teams[plan.incident.l2 or T.NI]
            life.create(None, owner, None)
            if plan.open_status == Status.NEW:
                raise _Stop
            worker = self._pick(owner)
            life.take(self._delay("triage", p), worker, worker)
            if plan.open_status == Status.ASSIGNED:
                raise _Stop
            life.transition(self._delay("start", p), worker, "start")
            life.comment(self._delay("short", p), worker, self._pickup(plan), internal=True)
        else:
            worker = self._pick(desk)
            if t.source in _AGENT_LOGGED:
                life.create(worker, desk, worker)
            else:
                life.create(t.requester, None, None)
                if plan.open_status == Status.NEW:
                    raise _Stop
                life.take(self._delay("triage", p), worker, worker, team=desk)
            if plan.open_status in (Status.NEW, Status.ASSIGNED):
                raise _Stop
            life.transition(self._delay("start", p), worker, "start")
            self._l1_work(life, plan, worker)
        if plan.outcome == "cancelled":
            life.transition(self._delay("reply", p), worker, "cancel", note=rng.choice(T.CANCEL))
            return
        if plan.escalate:
            worker = self._escalate(life, plan, worker)
        # Tickets still open at the anchor get more tasks, so the teams' task queues show some.
        if t.tier == 2 and rng.random() < _TASK_SHARE * (3 if plan.outcome == "open" else 1):
            self._task(life, plan, worker)
        if plan.l3 and t.tier == 2:
            worker = self._to_l3(life, plan, worker)
        self._resolve(life, plan, worker)

    def _fill(self, phrase: str, plan: _Plan, **extra: str) -> str:
        return phrase.format_map({**plan.slots, **extra})

    def _pickup(self, plan: _Plan) -> str:
        """The L2 engineer's first note: what points to the fix, or a neutral start."""
        if plan.l3 or not plan.fix.finding:
            return self.rng.choice(T.NEUTRAL_PICKUP)
        return self._fill(
            self.rng.choice(T.PICKUP), plan, finding=self._fill(plan.fix.finding, plan)
        )

    def _l1_work(self, life: Life, plan: _Plan, agent: User) -> None:
        rng, p = self.rng, plan.priority
        if rng.random() < 0.55:
            life.comment(self._delay("reply", p), agent, self._fill(rng.choice(T.ACK), plan))
        if plan.final is not None:
            life.reprioritise(self._delay("reply", p), agent, *plan.final)
        if rng.random() < 0.18:
            life.comment(self._delay("reply", p), agent, self._fill(rng.choice(T.ASK), plan))
            life.transition(
                self._delay("short", p), agent, "pend", pending_reason=PendingReason.REQUESTER
            )
            if plan.outcome == "open" and plan.open_status == Status.PENDING and rng.random() < 0.5:
                raise _Stop
            life.comment(
                self._delay("answer", p),
                life.ticket.requester,
                self._fill(rng.choice(T.ANSWER), plan),
            )
            life.transition(self._delay("short", p), agent, "resume")

    # -- escalation

    def _words(self, life: Life, plan: _Plan, **extra: str) -> dict[str, str]:
        """Slots for the escalation phrases: the ticket's own words on top of the plan's."""
        self._business(life, plan)  # decides the users affected
        return self._own_words(life, plan, **extra)

    def _own_words(self, life: Life, plan: _Plan, **extra: str) -> dict[str, str]:
        t = life.ticket
        service = t.service.name if t.service else "the application"
        ci = t.ci.name if t.ci else ""
        dbhost = ci if ci.endswith(("-db-01", "-db")) else T.SERVICE_DB.get(service, "")
        return {
            "title": t.title,
            "service": service,
            "ci": ci or service,
            "users": str(plan.users),
            "dbhost": dbhost or plan.slots["dbhost"],
            **extra,
        }

    def _business(self, life: Life, plan: _Plan) -> dict:
        """Users affected, services and what is at risk, decided once per ticket."""
        if plan.business is None:
            rng, p, t = self.rng, plan.priority, life.ticket
            plan.users = rng.randint(*T.USERS[p - 1])
            words = self._own_words(life, plan)
            h = _handoff_words(t)
            at_risk = ""
            if p <= 2 or (p == 3 and rng.random() < 0.5):
                at_risk = self._fill(rng.choice(h.at_risk), plan, **words)
            plan.business = {
                "impact_users": plan.users,
                "impact_services": t.service.name if t.service else "",
                "impact_at_risk": at_risk,
            }
        return plan.business

    def _urgency(self, life: Life, plan: _Plan) -> str:
        if plan.priority > 2:
            return ""
        words = self._words(life, plan, at_risk=self._business(life, plan)["impact_at_risk"])
        return self._fill(self.rng.choice(T.URGENCY[plan.priority]), plan, **words)

    def _package(self, life: Life, plan: _Plan, *, thin: bool = False, added: str = "") -> dict:
        """What a Service Desk analyst writes when escalating to L2 (every default part filled).

        A thin package is what gets returned for insufficient information: the title as the
        summary and a single check; `added` is what the analyst collected after a return.
        """
        rng, t = self.rng, life.ticket
        h = _handoff_words(t)
        words = self._words(life, plan)
        business = self._business(life, plan)
        if thin:
            checks = [rng.choice(h.steps)]
            return {
                "summary": t.title,
                "impact_users": 1,
                "steps_taken": self._fill(f"- {checks[0]}", plan, **words),
            }
        checks = list(plan.incident.checks) + rng.sample(h.steps, min(2, len(h.steps)))
        steps = "\n".join(f"- {self._fill(c, plan, **words)}" for c in checks)
        if added:
            steps += f"\n{added}"
        return {
            "summary": self._fill(rng.choice(h.summary), plan, **words),
            **business,
            "steps_taken": steps,
            "hypothesis": (
                self._fill(rng.choice(h.hypothesis), plan, **words) if rng.random() < 0.35 else ""
            ),
            "urgency_justification": self._urgency(life, plan),
        }

    def _l3_package(self, life: Life, plan: _Plan, engineer: User, *, thin: bool = False) -> dict:
        """What an L2 engineer writes when escalating to L3: reproduction steps and evidence."""
        rng, t = self.rng, life.ticket
        h = _handoff_words(t)
        words = self._words(life, plan)
        finding = self._fill(
            plan.fix.finding or "Reproducible; configuration and data look right on our side.",
            plan,
        )
        sent = [e.row for e in life.escalations if e.row.to_tier == 2]
        l1_steps = sent[-1].steps_taken if sent else ""
        l2_steps = "\n".join(
            f"- {self._fill(c, plan, **words)}"
            for c in rng.sample(h.l2_steps, min(2, len(h.l2_steps)))
        )
        steps = f"{l1_steps}\n\n{engineer.first_name} ({life.team.name}):\n{l2_steps}".strip()
        reproduction = (
            "1. Repeat the user's steps from the description."
            if thin
            else self._fill(rng.choice(h.reproduction), plan, **words)
        )
        return {
            "summary": f"{t.title}. {finding}",
            **self._business(life, plan),
            "steps_taken": steps,
            "reproduction_steps": reproduction,
            "hypothesis": finding if rng.random() < 0.7 else "",
            "urgency_justification": self._urgency(life, plan),
            "log_excerpts": self._fill(rng.choice(h.logs), plan, **words),
        }

    def _inbox(self, life: Life, plan: _Plan) -> None:
        """An escalation made shortly before the anchor may still wait in the team's inbox."""
        if plan.outcome != "open" or plan.open_status == Status.PENDING:
            return
        recent = plan.age - life.estimate() < _INBOX_WINDOW[plan.priority - 1]
        if recent and self.rng.random() < 0.7:
            raise _Stop

    def _lead(self, team: Team) -> User:
        return next(u for u, lead in self.org.members[team.name] if lead)

    def _accept(
        self, life: Life, plan: _Plan, esc: _Escalation, wait: str, avoid: User | None = None
    ) -> User:
        """The receiving team accepts: an engineer takes it, or the lead accepts and hands it
        to an engineer; then the engineer starts."""
        rng, p = self.rng, plan.priority
        team = esc.row.to_team
        if rng.random() < _DISPATCH_SHARE:
            lead = self._lead(team)
            life.accept(self._delay(wait, p), lead, esc, assign=False)
            engineer = self._pick(team, avoid=avoid if avoid is not None else lead)
            life.take(self._delay("short", p), lead, engineer)
        else:
            engineer = self._pick(team, avoid=avoid)
            life.accept(self._delay(wait, p), engineer, esc, assign=True)
        life.transition(self._delay("short", p), engineer, "start")
        return engineer

    def _return_reason(self, weighted: tuple[tuple[str, int], ...]) -> str:
        reasons, weights = zip(*weighted, strict=True)
        return self.rng.choices(reasons, weights)[0]

    def _other_team(self, right: Team, names: tuple[str, ...]) -> Team:
        return self.org.teams[self.rng.choice([n for n in names if n != right.name])]

    def _escalate(self, life: Life, plan: _Plan, agent: User) -> User:
        """L1 escalates to the L2 team; sometimes it comes back first (a bounce)."""
        rng, p = self.rng, plan.priority
        right = self.org.teams[plan.incident.l2]
        reason = self._return_reason(T.RETURN_REASONS) if rng.random() < _RETURN_SHARE else ""
        target = self._other_team(right, (T.AS, T.NI, T.DB)) if reason == "wrong_team" else right
        package = self._package(life, plan, thin=reason == "insufficient_info")
        esc = life.escalate(self._delay("l1_work", p), agent, target, package)
        self._inbox(life, plan)
        if reason:
            words = self._words(
                life, plan, team=target.name, right=right.name, area=T.TEAM_AREA[right.name]
            )
            guidance = self._fill(rng.choice(T.RETURN_GUIDANCE[reason]), plan, **words)
            life.give_back(self._delay("accept", p), self._pick(target), esc, reason, guidance)
            agent = life.assignee or agent  # back with the analyst who sent it
            self._stop_if(plan, 0.25)  # the guidance is pinned, nobody acted on it yet
            life.transition(self._delay("short", p), agent, "start")
            if reason == "duplicate":
                plan.fix = _filled_fix(T.DUPLICATE_FIX, self._fill, plan, words)
                plan.l3 = False
                return agent
            if reason == "lower_tier" and plan.incident.l1_fixes and rng.random() < 0.6:
                fix = rng.choice(plan.incident.l1_fixes)
                prefix = self._fill(T.LOWER_TIER_DONE, plan, **words)
                plan.fix = T.Fix(fix.code, fix.cause, prefix + self._fill(fix.note, plan))
                plan.l3 = False
                return agent
            followup = self._fill(rng.choice(T.RETURN_FOLLOWUP[reason]), plan, **words)
            life.comment(self._delay("l1_work", p), agent, followup, internal=True)
            added = (
                self._fill(rng.choice(T.STEPS_ADDED), plan, **words)
                if reason == "insufficient_info"
                else ""
            )
            package = self._package(life, plan, added=added)
            esc = life.escalate(self._delay("short", p), agent, right, package)
            self._inbox(life, plan)
        engineer = self._accept(life, plan, esc, "accept")
        life.comment(self._delay("short", p), engineer, self._pickup(plan), internal=True)
        if rng.random() < 0.6:
            hello = rng.choice(T.L2_HELLO)
            life.comment(
                self._delay("short", p),
                engineer,
                self._fill(hello, plan, me=engineer.first_name, team=right.name, when=T.WHEN[p]),
            )
        self._stop_if(plan, 0.3)
        return engineer

    def _to_l3(self, life: Life, plan: _Plan, engineer: User) -> User:
        """L2 escalates to L3 with reproduction steps and evidence; sometimes it comes back."""
        rng, p = self.rng, plan.priority
        l2, right = life.team, self.org.teams[plan.incident.l3]
        reason = self._return_reason(T.L3_RETURN_REASONS) if rng.random() < _L3_RETURN_SHARE else ""
        target = self._other_team(right, (T.ENG, T.SEC, T.OPS)) if reason == "wrong_team" else right
        package = self._l3_package(life, plan, engineer, thin=reason == "insufficient_info")
        esc = life.escalate(self._delay("l2_work", p), engineer, target, package)
        self._inbox(life, plan)
        if reason:
            words = self._words(
                life, plan, team=l2.name, right=right.name, area=T.TEAM_AREA[right.name]
            )
            guidance = self._fill(rng.choice(T.L3_RETURN_GUIDANCE[reason]), plan, **words)
            reviewer = self._pick(target, avoid=engineer)
            life.give_back(self._delay("pickup", p), reviewer, esc, reason, guidance)
            engineer = life.assignee or engineer
            self._stop_if(plan, 0.25)
            life.transition(self._delay("short", p), engineer, "start")
            if reason == "lower_tier" and plan.incident.l2_fixes and rng.random() < 0.5:
                plan.fix = rng.choice(plan.incident.l2_fixes)  # the runbook setting did it
                return engineer
            words["team"] = target.name
            note = self._fill(rng.choice(T.L3_RESEND[reason]), plan, **words)
            life.comment(self._delay("l2_work", p), engineer, note, internal=True)
            package = self._l3_package(life, plan, engineer)
            esc = life.escalate(self._delay("short", p), engineer, right, package)
            self._inbox(life, plan)
        specialist = self._accept(life, plan, esc, "pickup", avoid=engineer)
        life.comment(self._delay("short", p), specialist, rng.choice(T.L3_PICKUP), internal=True)
        if rng.random() < 0.25:
            vendor = rng.random() < 0.5
            life.comment(
                self._delay("short", p),
                specialist,
                self._fill(rng.choice(T.VENDOR if vendor else T.CHANGE), plan),
                internal=True,
            )
            life.transition(
                self._delay("short", p),
                specialist,
                "pend",
                pending_reason=PendingReason.VENDOR if vendor else PendingReason.CHANGE,
            )
            if plan.outcome == "open" and rng.random() < 0.5:
                raise _Stop
            life.transition(self._delay("wait", p), specialist, "resume")
        return specialist

    def _task(self, life: Life, plan: _Plan, engineer: User) -> None:
        """Functional escalation: another team does a piece of the work, then the L2 goes on."""
        rng, p = self.rng, plan.priority
        owner = life.team
        templates = [
            x
            for x in T.TASKS.get(plan.incident.category, ())
            if owner is not None and x.team != owner.name
        ]
        if not templates or engineer not in [u for u, _ in self.org.members[owner.name]]:
            return
        template = rng.choice(templates)
        team = self.org.teams[template.team]
        words = self._words(life, plan)
        assignee = self._pick(team, avoid=engineer) if rng.random() < 0.4 else None
        task = life.task_open(
            self._delay("short", p),
            engineer,
            team,
            title=self._fill(template.title, plan, **words),
            description=self._fill(template.description, plan, **words),
            assignee=assignee,
            required=rng.random() < 0.85,
            due_hours=_TASK_DUE_HOURS[p - 1],
        )
        self._stop_if(plan, 0.2)  # nobody in the team has started on it yet
        helper = assignee or self._pick(team, avoid=engineer)
        life.task_update(
            self._delay("pickup", p), helper, task, status=TaskStatus.IN_PROGRESS, assignee=helper
        )
        self._stop_if(plan, 0.4)
        outcome = self._fill(template.outcome, plan, **words)
        life.task_update(
            self._delay("task", p), helper, task, status=TaskStatus.DONE, outcome=outcome
        )
        if rng.random() < 0.5:
            done = rng.choice(T.TASK_DONE_NOTE)
            note = done.format(team=team.name, title=task.row.title, outcome=outcome)
            life.comment(self._delay("short", p), engineer, note, internal=True)

    def _resolve(self, life: Life, plan: _Plan, worker: User) -> None:
        rng, p, t = self.rng, plan.priority, life.ticket
        tier = t.tier
        work = self._delay({1: "l1_fix", 2: "l2_work", 3: "l3_work"}[tier], p)
        if plan.outcome == "open" or life.estimate() + work * _BUSINESS_FACTOR > plan.age * 0.9:
            # Not done yet at the anchor: still being worked on, or waiting for someone.
            if plan.open_status == Status.PENDING or rng.random() < 0.3:
                reason = (
                    PendingReason.REQUESTER
                    if tier == 1
                    else rng.choice(
                        (PendingReason.REQUESTER, PendingReason.VENDOR, PendingReason.CHANGE)
                    )
                )
                if life.status != Status.PENDING:
                    life.transition(
                        self._delay("l1_work", p), worker, "pend", pending_reason=reason
                    )
            raise _Stop
        if life.assignee is None:
            worker = self._pick(life.team or self.org.teams[T.SD])
            life.take(self._delay("pickup", p), worker, worker)
        if life.status == Status.PENDING:
            life.transition(self._delay("short", p), worker, "resume")
        alert = t.source == Source.MONITORING
        confirmed = False
        if tier == 2 and plan.escalate and rng.random() < _DEESCALATE_SHARE:
            worker = self._hand_down(life, plan, worker, work)
            confirmed = True
        else:
            self._fix(life, plan, plan.fix, worker, work)
        if (
            not alert
            and not confirmed
            and rng.random() < 0.05
            and plan.age > life.estimate() + 5 * 1440
        ):
            life.comment(self._delay("comeback", p), t.requester, rng.choice(T.COMEBACK))
            life.transition(
                self._delay("pickup", p), worker, "reopen", note=rng.choice(T.REOPEN_NOTE)
            )
            again = self._choose_fix(plan.incident, t.tier)
            self._fix(life, plan, again, worker, self._delay("l1_fix", p))
        spent = life.estimate()
        if confirmed and spent + 1440 < plan.age:
            life.transition(self._delay("short", p), worker, "close", note=T.CONFIRM_CLOSE)
        elif not alert and rng.random() < 0.3 and spent + 3 * 1440 < plan.age:
            life.comment(self._delay("answer", p), t.requester, rng.choice(T.CONFIRM))
            life.transition(self._delay("reply", p), worker, "close", note=T.CONFIRM_CLOSE)
        elif spent + (QUIET_DAYS + 1) * 1440 < plan.age:
            life.transition(
                QUIET_DAYS * 1440 + rng.uniform(0, 180),
                None,
                "close",
                note=T.AUTO_CLOSE,
                business=False,
            )

    def _hand_down(self, life: Life, plan: _Plan, engineer: User, work: float) -> User:
        """De-escalation: L2 fixes it and hands it down for L1 to confirm with the requester."""
        rng, p, t = self.rng, plan.priority, life.ticket
        l2, desk = life.team, self.org.teams[T.SD]
        fix_note = self._fill(plan.fix.note, plan)
        note = self._fill(rng.choice(T.DEESCALATE_NOTE), plan, note=fix_note)
        life.hand_down(work, engineer, desk, note)
        agent = self._pick(desk)
        life.take(self._delay("pickup", p), agent, agent)
        ask = self._fill(rng.choice(T.DEESCALATE_ASK), plan, team=l2.name)
        life.comment(self._delay("reply", p), agent, ask)
        life.comment(self._delay("answer", p), t.requester, rng.choice(T.CONFIRM))
        life.transition(
            self._delay("reply", p),
            agent,
            "resolve",
            resolution_code=plan.fix.code,
            resolution_notes=fix_note,
            cause_code=plan.fix.cause,
        )
        return agent

    def _fix(self, life: Life, plan: _Plan, fix: T.Fix, worker: User, work: float) -> None:
        rng = self.rng
        note = self._fill(fix.note, plan)
        if life.ticket.source != Source.MONITORING and rng.random() < 0.75:
            reply = rng.choice(T.RESOLVED_REPLY[fix.code])
            life.comment(work, worker, self._fill(reply, plan, note=note) + T.RESOLVE_TAIL)
            work = self._delay("short", plan.priority)
        life.transition(
            work,
            worker,
            "resolve",
            resolution_code=fix.code,
            resolution_notes=note,
            cause_code=fix.cause,
        )


@dataclass
class _Plan:
    incident: T.Incident
    priority: int
    slots: dict[str, str]
    outcome: str  # open, cancelled, done
    open_status: str
    age: float  # expected minutes between arrival and the anchor
    final: tuple[int, int, int] | None  # (impact, urgency, priority) after a re-rating
    escalate: bool = False  # L1 hands it to the L2 team
    l3: bool = False  # L2 hands it on to the L3 team
    fix: T.Fix = _GENERIC_L1_FIX  # how it ends, chosen first so every note leads there
    users: int = 1  # users affected, as the hand-off packages say
    business: dict | None = None  # the business impact of the packages, decided once


def _handoff_words(ticket: Ticket) -> T.Handoff:
    slug = ticket.category.slug if ticket.category else "other"
    return T.HANDOFFS.get(slug, T.HANDOFFS["other"])


def _filled_fix(fix: T.Fix, fill: Callable[..., str], plan: _Plan, words: dict[str, str]) -> T.Fix:
    return T.Fix(fix.code, fix.cause, fill(fix.note, plan, **words), fix.finding)
