"""Pure change policy: the state machine, window checks, the "what changed?" ranking and the
expiry arithmetic. No ORM here.

State machine (TRANSITIONS): planned → approved → in progress → done / failed / rolled back;
planned or approved → cancelled; failed → rolled back. Approval is a manager's:
- normal changes need it before they start;
- standard changes are pre-approved (a catalogue of routine work), so they start from planned
  and are never approved one by one;
- emergency changes may start before approval; a manager approves them afterwards (the approval
  is recorded without changing the state), so the record is complete for the review.
Changes that a pipeline or tool records after the fact (standard or emergency) may be created
directly in a started state with their actual start.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from backline.changes.choices import ChangeKind, ChangeState, Risk
from backline.core.errors import DomainError, PermissionDenied

S = ChangeState

# (state, action) → target state.
TRANSITIONS: dict[tuple[str, str], str] = {
    (S.PLANNED, "approve"): S.APPROVED,
    (S.PLANNED, "start"): S.IN_PROGRESS,
    (S.APPROVED, "start"): S.IN_PROGRESS,
    (S.IN_PROGRESS, "complete"): S.DONE,
    (S.IN_PROGRESS, "fail"): S.FAILED,
    (S.IN_PROGRESS, "roll_back"): S.ROLLED_BACK,
    (S.FAILED, "roll_back"): S.ROLLED_BACK,
    (S.PLANNED, "cancel"): S.CANCELLED,
    (S.APPROVED, "cancel"): S.CANCELLED,
}
# Emergency changes are approved after they started: the state stays, the approval is recorded.
LATE_APPROVAL_STATES = (S.IN_PROGRESS, S.DONE, S.FAILED, S.ROLLED_BACK)

ACTION_LABELS = {
    "approve": "Approve",
    "start": "Start",
    "complete": "Complete",
    "fail": "Mark failed",
    "roll_back": "Rolled back",
    "cancel": "Cancel",
}
ACTIONS = tuple(ACTION_LABELS)


def check_transition(*, kind: str, state: str, action: str, approved: bool, manager: bool) -> str:
    """The state `action` leads to, or a DomainError saying why not."""
    if action not in ACTION_LABELS:
        raise DomainError(
            f"Unknown action {action!r}; expected one of {', '.join(ACTIONS)}.", field="action"
        )
    if action == "approve":
        if not manager:
            raise PermissionDenied("Only a manager can approve a change.")
        if kind == ChangeKind.STANDARD:
            raise DomainError("Standard changes are pre-approved.", field="action")
        if approved:
            raise DomainError("This change is already approved.", field="action")
        if kind == ChangeKind.EMERGENCY and state in LATE_APPROVAL_STATES:
            return state
    target = TRANSITIONS.get((state, action))
    if target is None:
        raise DomainError(
            f"A {ChangeState(state).label.lower()} change cannot {ACTION_LABELS[action].lower()}.",
            field="action",
        )
    if action == "start" and kind == ChangeKind.NORMAL and not approved:
        raise DomainError("A normal change needs a manager's approval first.", field="action")
    return target


def available_actions(*, kind: str, state: str, approved: bool, manager: bool) -> list[str]:
    """The actions the user could take now, in button order."""
    out = []
    for action in ACTIONS:
        try:
            check_transition(
                kind=kind, state=state, action=action, approved=approved, manager=manager
            )
        except DomainError:
            continue
        out.append(action)
    return out


def initial_state(kind: str, state: str, actual_start: datetime | None) -> str:
    """The state a new change may start in: planned, or, for work a pipeline or tool already
    did (standard or emergency), a started state with its actual start."""
    if state not in ChangeState.values:
        raise DomainError(f"Unknown state {state!r}.", field="state")
    if state == S.PLANNED:
        return state
    if state in (S.APPROVED, S.CANCELLED):
        raise DomainError("A new change starts planned.", field="state")
    if kind == ChangeKind.NORMAL:
        raise DomainError(
            "A normal change starts planned and needs a manager's approval.", field="state"
        )
    if actual_start is None:
        raise DomainError(
            "A change recorded as started needs its actual start.", field="actual_start"
        )
    return state


def check_window(start: datetime | None, end: datetime | None, field: str) -> None:
    """An end, when both are given, is not before its start."""
    if start is not None and end is not None and end < start:
        raise DomainError("The end must not be before the start.", field=field)


# --- "What changed?" ---------------------------------------------------------------------------
#
# score = 100 × time × graph × outcome × risk, where
#   time    = 1 / (1 + h / 24)     h = hours between the end of the change and the incident start
#                                  (0 when the change was still running or began just after)
#   graph   = 1 / (1 + d)          d = hops from the ticket's CI (0 = the CI itself, 1 = a direct
#                                  dependency…); a CI of the same service that the ticket's CI
#                                  does not rely on counts as SAME_SERVICE_DISTANCE hops
#   outcome = 1.5 when the change failed or was rolled back, else 1
#   risk    = 0.9 low, 1.0 medium, 1.2 high
# A change a day before the incident weighs half as much as one just before; one hop away half
# as much as the CI itself. Every factor is positive and monotonic, so a change closer in time
# or in the graph never ranks lower, all else equal.

SAME_SERVICE_DISTANCE = 3
SLACK = timedelta(minutes=30)  # changes that began just after the ticket was logged still count
BAD_OUTCOME = 1.5
RISK_WEIGHT: dict[str, float] = {Risk.LOW: 0.9, Risk.MEDIUM: 1.0, Risk.HIGH: 1.2}


def score(
    hours_before: float, distance: int, *, bad_outcome: bool = False, risk: str = Risk.MEDIUM
) -> float:
    """How likely a change is the cause, from its closeness in time and in the graph."""
    hours = max(0.0, hours_before)
    time = 1.0 / (1.0 + hours / 24.0)
    graph = 1.0 / (1.0 + max(0, distance))
    outcome = BAD_OUTCOME if bad_outcome else 1.0
    return 100.0 * time * graph * outcome * RISK_WEIGHT.get(risk, 1.0)


def hours_before(end: datetime, incident_start: datetime) -> float:
    """Hours from the end of a change to the incident start (0 if it ended after)."""
    return max(0.0, (incident_start - end).total_seconds() / 3600.0)


def in_window(start: datetime, end: datetime, incident_start: datetime, hours: float) -> bool:
    """The change ran within `hours` before the incident start (or began just after it)."""
    return start <= incident_start + SLACK and end >= incident_start - timedelta(hours=hours)


@dataclass(frozen=True)
class Ranked:
    key: int
    score: float
    hours_before: float
    distance: int


def rank(items: list[Ranked]) -> list[Ranked]:
    """Highest score first; ties go to the closer in time, then in the graph, then the newer."""
    return sorted(items, key=lambda r: (-r.score, r.hours_before, r.distance, -r.key))


def describe_when(start: datetime, end: datetime, incident_start: datetime) -> str:
    if start > incident_start:
        return f"began {_span((start - incident_start).total_seconds())} after"
    if end >= incident_start:
        return "still running when the incident started"
    return f"ended {_span((incident_start - end).total_seconds())} before"


def describe_where(distance: int, via: str, *, same_service: bool = False) -> str:
    if same_service:
        return f"same service: {via}"
    if distance == 0:
        return "on the CI"
    return f"{distance} hop{'s' if distance > 1 else ''} upstream: {via}"


def _span(seconds: float) -> str:
    minutes = seconds / 60
    if minutes < 60:
        return f"{max(1, math.floor(minutes))} min"
    hours = minutes / 60
    if hours < 72:
        return f"{math.floor(hours)} h"
    return f"{math.floor(hours / 24)} d"


def parse_hours(value: object, default: int = 72) -> int:
    """A window length in hours from user input: 1 to 720 (30 days)."""
    if value in (None, ""):
        return default
    try:
        hours = int(str(value))
    except ValueError:
        raise DomainError("The window is a whole number of hours.", field="hours") from None
    if not 1 <= hours <= 720:
        raise DomainError("The window is 1 to 720 hours.", field="hours")
    return hours


# --- credentials and certificates --------------------------------------------------------------


def expiry_horizon(today: date, warning_days: int) -> date:
    """Items expiring on or before this day are due a notice today (expired ones too, if the
    notice was missed): the notice comes `warning_days` before the expiry date."""
    return today + timedelta(days=warning_days)


def expiry_ticket_text(
    *, ci_name: str, type_name: str, expires_at: date, today: date
) -> tuple[str, str]:
    """Title and description of the ticket a coming expiry opens."""
    expired = expires_at < today
    verb = "expired" if expired else "expires"
    title = f"{type_name} {ci_name} {verb} on {expires_at:%Y-%m-%d}"
    days = (expires_at - today).days
    when = f"{-days} days ago" if expired else ("today" if days == 0 else f"in {days} days")
    description = (
        f"The {type_name.lower()} {ci_name!r} {verb} on {expires_at:%Y-%m-%d} ({when}).\n\n"
        "What to do:\n"
        "1. Issue a new one (renew the certificate, rotate the token or key) with the system "
        "that owns it.\n"
        "2. Deploy it to every system that uses it and check the integration works.\n"
        "3. Record the new expiry date on the CI in the CMDB, then resolve this ticket.\n"
        "4. Revoke the old one once nothing uses it."
    )
    return title[:200], description


def rate(part: int, total: int) -> float | None:
    return part / total if total else None
