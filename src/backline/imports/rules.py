"""Pure import policy: the mapping, one row's parsing, and a case's events played into a ticket
life with the event shapes `tickets.services` and `escalation.services` write. No ORM here:
teams and users arrive as `Ref`s the service resolved (or, in a dry run, made up)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from backline.core.errors import DomainError
from backline.tickets.choices import OPEN_STATUSES as OPEN
from backline.tickets.choices import EventKind, Status
from backline.tickets.models import EXTERNAL_ID_PATTERN, EXTERNAL_SYSTEM_PATTERN
from backline.tickets.rules import TRANSITIONS, status_after_assignment

TICKET_FIELDS = (
    "ticket_id",
    "opened",
    "resolved",
    "closed",
    "priority",
    "category",
    "team",
    "assignee",
    "status",
    "title",
)
TICKET_REQUIRED = ("ticket_id", "opened")
EVENT_FIELDS = (
    "case_id",
    "activity",
    "timestamp",
    "resource",
    "group",
    "priority",
    "category",
    "title",
)
EVENT_REQUIRED = ("case_id", "activity", "timestamp")
FIELDS = {"ticket_csv": TICKET_FIELDS, "event_log": EVENT_FIELDS}
REQUIRED = {"ticket_csv": TICKET_REQUIRED, "event_log": EVENT_REQUIRED}

# What an activity means; anything not listed only moves the ticket (when its group changed).
ACTIONS = (
    "create",
    "assign",
    "accept",
    "start",
    "pend",
    "resume",
    "resolve",
    "close",
    "reopen",
    "cancel",
    "return",
    "ignore",
)
DEFAULT_ACTIVITIES: dict[str, str] = {
    "create": "create",
    "created": "create",
    "open": "create",
    "opened": "create",
    "register": "create",
    "registered": "create",
    "new": "create",
    "log": "create",
    "assign": "assign",
    "assigned": "assign",
    "reassign": "assign",
    "reassigned": "assign",
    "accept": "accept",
    "accepted": "accept",
    "take": "accept",
    "taken": "accept",
    "start": "start",
    "start work": "start",
    "started": "start",
    "in progress": "start",
    "work in progress": "start",
    "pending": "pend",
    "pend": "pend",
    "wait": "pend",
    "on hold": "pend",
    "awaiting user": "pend",
    "resume": "resume",
    "resumed": "resume",
    "resolve": "resolve",
    "resolved": "resolve",
    "solved": "resolve",
    "fixed": "resolve",
    "close": "close",
    "closed": "close",
    "reopen": "reopen",
    "reopened": "reopen",
    "cancel": "cancel",
    "cancelled": "cancel",
    "canceled": "cancel",
    "withdrawn": "cancel",
    "return": "return",
    "returned": "return",
    "send back": "return",
}
PRIORITY_WORDS = {
    "1": 1,
    "p1": 1,
    "critical": 1,
    "urgent": 1,
    "2": 2,
    "p2": 2,
    "high": 2,
    "3": 3,
    "p3": 3,
    "moderate": 3,
    "medium": 3,
    "normal": 3,
    "4": 4,
    "p4": 4,
    "low": 4,
    "planning": 4,
}
STATUS_WORDS = {
    "new": Status.NEW,
    "open": Status.NEW,
    "assigned": Status.ASSIGNED,
    "in progress": Status.IN_PROGRESS,
    "in_progress": Status.IN_PROGRESS,
    "work in progress": Status.IN_PROGRESS,
    "pending": Status.PENDING,
    "on hold": Status.PENDING,
    "resolved": Status.RESOLVED,
    "solved": Status.RESOLVED,
    "closed": Status.CLOSED,
    "cancelled": Status.CANCELLED,
    "canceled": Status.CANCELLED,
}
# Events whose native write saves the ticket (bumps its version) and that are staff-only.
VERSIONED = {
    EventKind.ASSIGNED,
    EventKind.STATUS_CHANGED,
    EventKind.ESCALATED,
    EventKind.RETURNED,
    EventKind.DEESCALATED,
}
INTERNAL = {
    EventKind.ESCALATED,
    EventKind.ACCEPTED,
    EventKind.RETURNED,
    EventKind.BOUNCED,
    EventKind.DEESCALATED,
}
IMPORT_NOTE = "Imported from {system}."


class RowError(Exception):
    """One row the import cannot use; `column` names the mapped field at fault."""

    def __init__(self, column: str, message: str) -> None:
        super().__init__(message)
        self.column = column
        self.message = message


@dataclass(frozen=True)
class Mapping_:
    """A validated mapping: which column holds which field, tiers, activities, time format."""

    kind: str
    system: str
    columns: dict[str, str]  # field -> column header
    groups: dict[str, int]  # group name (lowercase) -> tier
    activities: dict[str, str]  # activity (lowercase) -> action
    timestamp_format: str
    tz: tzinfo
    default_title: str = "{system} {id}"

    def column(self, name: str) -> str | None:
        return self.columns.get(name)


def _norm(value: str) -> str:
    return " ".join(value.strip().lower().split())


def mapping_clean(kind: str, raw: Mapping[str, Any], header: Iterable[str]) -> Mapping_:
    """Check a mapping against the file's header; raise naming the first thing wrong."""
    if kind not in FIELDS:
        raise DomainError(f"Unknown import kind {kind!r}.", field="kind")
    if not isinstance(raw, Mapping):
        raise DomainError("The mapping must be a JSON object.", field="mapping")
    system = str(raw.get("system") or "").strip()
    if not re.match(EXTERNAL_SYSTEM_PATTERN, system):
        raise DomainError(
            "mapping.system must be a slug of 2–30 lowercase letters, digits, '-' or '_'.",
            field="mapping.system",
        )
    header_set = {h.strip() for h in header}
    columns = _columns(kind, raw.get("columns"), header_set)
    groups = _groups(raw.get("groups") or {})
    activities = dict(DEFAULT_ACTIVITIES)
    extra = raw.get("activities") or {}
    if not isinstance(extra, Mapping):
        raise DomainError(
            "mapping.activities must map activity → action.", field="mapping.activities"
        )
    for activity, action in extra.items():
        if action not in ACTIONS:
            raise DomainError(
                f"Activity {activity!r}: unknown action {action!r}; "
                f"use one of {', '.join(ACTIONS)}.",
                field="mapping.activities",
            )
        activities[_norm(str(activity))] = str(action)
    fmt = str(raw.get("timestamp_format") or "")
    if fmt and "%" not in fmt:
        raise DomainError(
            "mapping.timestamp_format is a strptime format such as %d.%m.%Y %H:%M.",
            field="mapping.timestamp_format",
        )
    try:
        tz: tzinfo = ZoneInfo(str(raw.get("timezone") or "UTC"))
    except (ZoneInfoNotFoundError, ValueError):
        raise DomainError(
            f"Unknown time zone {raw.get('timezone')!r}.", field="mapping.timezone"
        ) from None
    return Mapping_(kind, system, columns, groups, activities, fmt, tz)


def _columns(kind: str, raw: Any, header: set[str]) -> dict[str, str]:
    if not isinstance(raw, Mapping) or not raw:
        raise DomainError(
            "mapping.columns must map each CSV column to a field.", field="mapping.columns"
        )
    out: dict[str, str] = {}
    for column, target in raw.items():
        if not target:
            continue  # a column left unmapped
        if target not in FIELDS[kind]:
            raise DomainError(
                f"Column {column!r}: unknown field {target!r}; "
                f"use one of {', '.join(FIELDS[kind])}.",
                field="mapping.columns",
            )
        if column.strip() not in header:
            raise DomainError(
                f"Column {column!r} is not in the file's header.", field="mapping.columns"
            )
        if target in out:
            raise DomainError(f"Field {target!r} is mapped twice.", field="mapping.columns")
        out[target] = column.strip()
    missing = [name for name in REQUIRED[kind] if name not in out]
    if missing:
        raise DomainError(f"Map a column to {', '.join(missing)}.", field="mapping.columns")
    return out


def _groups(raw: Any) -> dict[str, int]:
    if not isinstance(raw, Mapping):
        raise DomainError("mapping.groups must map group → tier.", field="mapping.groups")
    out = {}
    for group, tier in raw.items():
        try:
            number = int(tier)
        except (TypeError, ValueError):
            number = 0
        if number not in (1, 2, 3):
            raise DomainError(f"Group {group!r}: tier must be 1, 2 or 3.", field="mapping.groups")
        out[_norm(str(group))] = number
    return out


# --- one row ------------------------------------------------------------------------------------


def parse_time(value: str, mapping: Mapping_, column: str) -> datetime:
    text = value.strip()
    if not text:
        raise RowError(column, "is empty")
    try:
        if mapping.timestamp_format:
            at = datetime.strptime(text, mapping.timestamp_format)  # noqa: DTZ007 - made aware below
        else:
            at = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        expected = mapping.timestamp_format or "ISO 8601 (2024-03-01 09:30)"
        raise RowError(column, f"{text!r} is not a date and time in {expected}") from None
    if at.tzinfo is None:
        at = at.replace(tzinfo=mapping.tz)
    return at.astimezone(UTC)


def parse_priority(value: str, column: str) -> int | None:
    text = _norm(value)
    if not text:
        return None
    if text not in PRIORITY_WORDS:
        raise RowError(
            column,
            f"unknown priority {value.strip()!r} (use 1–4, P1–P4 or critical/high/moderate/low)",
        )
    return PRIORITY_WORDS[text]


def parse_id(value: str, column: str) -> str:
    text = value.strip()
    if not text:
        raise RowError(column, "is empty")
    if not re.match(EXTERNAL_ID_PATTERN, text):
        raise RowError(column, f"{text!r}: use 1–100 letters, digits or . _ : @ + = ~ -")
    return text


@dataclass(slots=True)
class EventRow:
    """One parsed event-log row."""

    row: int
    case_id: str
    at: datetime
    activity: str
    action: str
    resource: str = ""
    group: str = ""
    priority: int | None = None
    category: str = ""
    title: str = ""


def _cell(record: Mapping[str, str], mapping: Mapping_, name: str) -> str:
    column = mapping.column(name)
    return (record.get(column) or "").strip() if column else ""


def parse_event_row(row: int, record: Mapping[str, str], mapping: Mapping_) -> EventRow:
    """A CSV record as an EventRow; raise RowError naming the column."""
    case_id = parse_id(_cell(record, mapping, "case_id"), mapping.columns["case_id"])
    at = parse_time(_cell(record, mapping, "timestamp"), mapping, mapping.columns["timestamp"])
    activity = _cell(record, mapping, "activity")
    if not activity:
        raise RowError(mapping.columns["activity"], "is empty")
    group = _cell(record, mapping, "group")
    if group and _norm(group) not in mapping.groups:
        raise RowError(mapping.columns["group"], f"group {group!r} has no tier in the mapping")
    return EventRow(
        row=row,
        case_id=case_id,
        at=at,
        activity=activity,
        action=mapping.activities.get(_norm(activity), "ignore"),
        resource=_cell(record, mapping, "resource"),
        group=group,
        priority=parse_priority(
            _cell(record, mapping, "priority"), mapping.columns.get("priority", "")
        ),
        category=_cell(record, mapping, "category"),
        title=_cell(record, mapping, "title")[:200],
    )


@dataclass(slots=True)
class TicketRow:
    """One parsed ticket-CSV row."""

    row: int
    ticket_id: str
    opened: datetime
    resolved: datetime | None
    closed: datetime | None
    priority: int | None
    category: str
    team: str
    assignee: str
    status: str
    title: str


def parse_ticket_row(row: int, record: Mapping[str, str], mapping: Mapping_) -> TicketRow:
    """A CSV record as a TicketRow; raise RowError naming the column."""
    cols = mapping.columns

    def when(name: str) -> datetime | None:
        text = _cell(record, mapping, name)
        return parse_time(text, mapping, cols[name]) if text else None

    ticket_id = parse_id(_cell(record, mapping, "ticket_id"), cols["ticket_id"])
    opened = parse_time(_cell(record, mapping, "opened"), mapping, cols["opened"])
    resolved, closed = when("resolved"), when("closed")
    for name, at in (("resolved", resolved), ("closed", closed)):
        if at is not None and at < opened:
            raise RowError(cols[name], "is before the ticket was opened")
    if resolved and closed and closed < resolved:
        raise RowError(cols["closed"], "is before the ticket was resolved")
    status_text = _norm(_cell(record, mapping, "status"))
    if status_text and status_text not in STATUS_WORDS:
        raise RowError(cols["status"], f"unknown status {status_text!r}")
    team = _cell(record, mapping, "team")
    if team and _norm(team) not in mapping.groups:
        raise RowError(cols["team"], f"team {team!r} has no tier in the mapping")
    return TicketRow(
        row=row,
        ticket_id=ticket_id,
        opened=opened,
        resolved=resolved,
        closed=closed,
        priority=parse_priority(_cell(record, mapping, "priority"), cols.get("priority", "")),
        category=_cell(record, mapping, "category"),
        team=team,
        assignee=_cell(record, mapping, "assignee"),
        status=STATUS_WORDS.get(status_text, ""),
        title=_cell(record, mapping, "title")[:200],
    )


# --- a ticket's life ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Ref:
    """A team or user as the events name it; `tier` only for teams."""

    id: int | None
    name: str
    tier: int = 0

    def value(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name}


def _value(ref: Ref | None) -> dict[str, Any] | None:
    return ref.value() if ref is not None else None


@dataclass(slots=True)
class Event:
    kind: str
    at: datetime
    actor: Ref | None
    data: dict[str, Any]
    internal: bool = False


@dataclass
class Life:
    """A ticket lived through with the status machine; its fields follow from its events."""

    external_id: str
    system: str
    status: str = Status.NEW
    tier: int = 1
    team: Ref | None = None
    assignee: Ref | None = None
    priority: int = 3
    category: str = ""
    title: str = ""
    created_at: datetime | None = None
    first_response_at: datetime | None = None
    resolved_at: datetime | None = None
    closed_at: datetime | None = None
    reopen_count: int = 0
    events: list[Event] = field(default_factory=list)
    errors: list[tuple[int, str, str]] = field(default_factory=list)  # (row, column, message)
    holders: list[int | str] = field(default_factory=list)  # teams held, oldest first
    escalated_at: datetime | None = None  # an escalation not yet accepted

    @property
    def version(self) -> int:
        return 1 + sum(
            e.kind in VERSIONED or (e.kind == EventKind.ACCEPTED and "changes" in e.data)
            for e in self.events
        )

    @property
    def updated_at(self) -> datetime | None:
        return self.events[-1].at if self.events else None

    def _emit(self, kind: str, at: datetime, actor: Ref | None, data: dict[str, Any]) -> None:
        self.events.append(Event(kind, at, actor, data, internal=kind in INTERNAL))

    def _hold(self, team: Ref) -> None:
        self.holders.append(team.id if team.id is not None else team.name)

    def create(
        self, at: datetime, actor: Ref | None, team: Ref | None, assignee: Ref | None, source: str
    ) -> None:
        """ticket_create's CREATED event."""
        self.created_at, self.team, self.assignee = at, team, assignee
        self.tier = team.tier if team else 1
        self.status = status_after_assignment(Status.NEW, assignee is not None)
        if team is not None:
            self._hold(team)
        self._emit(
            EventKind.CREATED,
            at,
            actor,
            {
                "title": self.title,
                "priority": self.priority,
                "status": self.status,
                "team": _value(team),
                "assignee": _value(assignee),
                "source": source,
                "tier": self.tier,
            },
        )

    def move(self, at: datetime, actor: Ref | None, team: Ref, *, returned: bool = False) -> None:
        """A group change: escalated up a tier, reassigned within it, or handed down."""
        if self.team is not None and team.name == self.team.name:
            return
        before_team, before_tier = self.team, self.tier
        key = team.id if team.id is not None else team.name
        bounce = key in self.holders
        if team.tier > before_tier:
            kind = EventKind.ESCALATED
        elif team.tier == before_tier and not returned:
            kind = EventKind.ASSIGNED
        else:
            kind = EventKind.RETURNED if returned else EventKind.DEESCALATED
        changes: dict[str, Any] = {"team": [_value(before_team), team.value()]}
        if self.assignee is not None:
            changes["assignee"] = [self.assignee.value(), None]
        old_status = self.status
        self.team, self.assignee, self.tier = team, None, team.tier
        self.status = status_after_assignment(self.status, False, team_changed=True)
        data: dict[str, Any] = {"changes": changes, "tier": self.tier}
        moves = {"from_team": _value(before_team), "to_team": team.value()}
        if kind == EventKind.ESCALATED:
            data.update(from_tier=before_tier, **moves)
            self.escalated_at = at
        elif kind == EventKind.DEESCALATED:
            data.update(from_tier=before_tier, note=IMPORT_NOTE.format(system=self.system), **moves)
        elif kind == EventKind.RETURNED:
            data.update(from_tier=before_tier, reason="other", guidance="", **moves)
            self.escalated_at = None
        if self.status != old_status:
            data["status"] = [old_status, self.status]
        self._emit(kind, at, actor, data)
        self._hold(team)
        if kind == EventKind.RETURNED:
            self._emit(
                EventKind.BOUNCED, at, actor, {"reason": "other", **moves, "cause": "returned"}
            )
        elif bounce and kind == EventKind.ASSIGNED:
            # As escalation.handlers does: only a plain reassignment back is a bounce; workflow
            # moves (escalate, de-escalate) are not, and a return is one by itself.
            self._emit(EventKind.BOUNCED, at, actor, {"cause": "reassigned", **moves})

    def assign(self, at: datetime, actor: Ref | None, assignee: Ref) -> None:
        """ticket_assign within the current team: ASSIGNED with the assignee change."""
        if self.assignee is not None and self.assignee.name == assignee.name:
            return
        old_status = self.status
        changes = {"assignee": [_value(self.assignee), assignee.value()]}
        self.assignee = assignee
        self.status = status_after_assignment(self.status, True)
        data: dict[str, Any] = {"changes": changes, "tier": self.tier}
        if self.status != old_status:
            data["status"] = [old_status, self.status]
        self._emit(EventKind.ASSIGNED, at, actor, data)

    def accept(self, at: datetime, actor: Ref | None) -> None:
        """escalation_accept: ACCEPTED (through ticket_route when the engineer takes it)."""
        escalated, self.escalated_at = self.escalated_at, None
        if escalated is None or self.team is None:
            return
        data: dict[str, Any] = {
            "team": self.team.value(),
            "waited_seconds": int((at - escalated).total_seconds()),
        }
        if actor is not None and (self.assignee is None or self.assignee.name != actor.name):
            old_status, old_tier = self.status, self.tier
            data = {
                "changes": {"assignee": [_value(self.assignee), actor.value()]},
                "tier": self.tier,
                "from_tier": old_tier,
                **data,
            }
            self.assignee = actor
            self.status = status_after_assignment(self.status, True)
            if self.status != old_status:
                data["status"] = [old_status, self.status]
        self._emit(EventKind.ACCEPTED, at, actor, data)

    def transition(
        self, row: int, column: str, at: datetime, actor: Ref | None, action: str
    ) -> None:
        """ticket_transition's STATUS_CHANGED; a move the status machine refuses is a row error."""
        move = TRANSITIONS[action]
        if self.status not in move.sources:
            self.errors.append(
                (
                    row,
                    column,
                    f"cannot {action} a ticket that is {Status(self.status).label.lower()}",
                )
            )
            return
        data: dict[str, Any] = {"from": self.status, "to": move.target, "action": action}
        note = IMPORT_NOTE.format(system=self.system)
        if action == "resolve":
            self.resolved_at = at
            data.update(resolution_code="", cause_code="", resolution_notes=note)
        elif action == "reopen":
            self.reopen_count += 1
            self.resolved_at = None
        elif action == "close":
            self.closed_at = at
        elif action == "start":
            if self.first_response_at is None:
                self.first_response_at = at
            if self.assignee is None and actor is not None:
                data["changes"] = {"assignee": [None, actor.value()]}
                self.assignee = actor
        elif action == "pend":
            data["pending_reason"] = "other"
        if action in ("cancel", "close"):
            data["note"] = note
        self.status = move.target
        self._emit(EventKind.STATUS_CHANGED, at, actor, data)

    @property
    def pending_reason(self) -> str:
        return "other" if self.status == Status.PENDING else ""


def play_case(
    rows: list[EventRow],
    *,
    system: str,
    teams: Mapping[str, Ref],
    users: Mapping[str, Ref],
    source: str,
) -> Life:
    """One case's events (sorted by time) as a ticket life."""
    first = rows[0]
    life = Life(external_id=first.case_id, system=system)
    life.priority = next((r.priority for r in rows if r.priority), 3)
    life.category = next((r.category for r in rows if r.category), "")
    life.title = next((r.title for r in rows if r.title), "") or f"{system} {first.case_id}"
    team = teams.get(_norm(first.group)) if first.group else None
    life.create(first.at, users.get(first.resource), team, None, source)
    for r in rows:
        actor = users.get(r.resource) if r.resource else None
        _play(life, r, actor, teams)
    return life


def _play(life: Life, r: EventRow, actor: Ref | None, teams: Mapping[str, Ref]) -> None:
    if r.group:
        life.move(r.at, actor, teams[_norm(r.group)], returned=r.action == "return")
    action, column = r.action, "activity"
    if action == "assign" and actor is not None:
        life.assign(r.at, actor, actor)
    elif action == "accept":
        # escalation_accept when it answers an escalation, else the resource takes the ticket.
        if life.escalated_at is not None:
            life.accept(r.at, actor)
        elif actor is not None:
            life.assign(r.at, actor, actor)
        if life.first_response_at is None and life.status in OPEN:
            life.first_response_at = r.at
    elif action == "start":
        life.accept(r.at, actor)
        if life.status in (Status.NEW, Status.ASSIGNED):
            life.transition(r.row, column, r.at, actor, "start")
    elif action == "close" and life.status not in (
        Status.RESOLVED,
        Status.CLOSED,
        Status.CANCELLED,
    ):
        life.transition(r.row, column, r.at, actor, "resolve")
        life.transition(r.row, column, r.at, actor, "close")
    elif action == "resolve" and life.status == Status.RESOLVED:
        return  # a second "resolved" row for the same resolution
    elif action in ("pend", "resume", "resolve", "close", "reopen", "cancel"):
        if action == "pend" and life.status == Status.PENDING:
            return
        life.transition(r.row, column, r.at, actor, action)


def play_ticket(
    t: TicketRow, *, system: str, teams: Mapping[str, Ref], users: Mapping[str, Ref], source: str
) -> Life:
    """One ticket-CSV row as a ticket life: created, then resolved, closed or cancelled."""
    life = Life(
        external_id=t.ticket_id,
        system=system,
        priority=t.priority or 3,
        category=t.category,
        title=t.title or f"{system} {t.ticket_id}",
    )
    team = teams.get(_norm(t.team)) if t.team else None
    assignee = users.get(t.assignee) if t.assignee else None
    life.create(t.opened, None, team, assignee, source)
    status = t.status or (Status.CLOSED if t.closed else Status.RESOLVED if t.resolved else "")
    if status == Status.CANCELLED:
        life.transition(t.row, "status", t.closed or t.resolved or t.opened, assignee, "cancel")
    elif status == Status.IN_PROGRESS:
        life.transition(t.row, "status", t.opened, assignee, "start")
    elif status == Status.PENDING:
        life.transition(t.row, "status", t.opened, assignee, "pend")
    elif status in (Status.RESOLVED, Status.CLOSED):
        done = t.resolved or t.closed
        if done is None:
            raise RowError("resolved", f"a {status} ticket needs its resolved or closed time")
        life.transition(t.row, "resolved", done, assignee, "resolve")
        if status == Status.CLOSED:
            life.transition(t.row, "closed", t.closed or done, assignee, "close")
    return life
