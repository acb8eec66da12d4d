"""Ticket policy without the ORM: the status machine and the priority matrix."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from backline.core.errors import DomainError
from backline.tickets.choices import (
    OPEN_STATUSES,
    CauseCode,
    Level,
    PendingReason,
    Priority,
    ResolutionCode,
    Status,
)


@dataclass(frozen=True)
class Transition:
    action: str
    label: str
    sources: frozenset[str]
    target: str
    needs: tuple[str, ...] = ()


_OPEN = frozenset(OPEN_STATUSES)

# The status machine. `assigned` is reached by assignment (see status_after_assignment), not by an
# action; every other move is one of these, enforced for the UI, the API and the CLI alike.
TRANSITIONS: dict[str, Transition] = {
    t.action: t
    for t in (
        Transition(
            "start", "Start work", frozenset({Status.NEW, Status.ASSIGNED}), Status.IN_PROGRESS
        ),
        Transition(
            "pend",
            "Set pending",
            frozenset({Status.NEW, Status.ASSIGNED, Status.IN_PROGRESS}),
            Status.PENDING,
            needs=("pending_reason",),
        ),
        Transition("resume", "Resume", frozenset({Status.PENDING}), Status.IN_PROGRESS),
        Transition(
            "resolve",
            "Resolve",
            _OPEN,
            Status.RESOLVED,
            needs=("resolution_code", "resolution_notes"),
        ),
        Transition("reopen", "Reopen", frozenset({Status.RESOLVED}), Status.IN_PROGRESS),
        Transition("close", "Close", frozenset({Status.RESOLVED}), Status.CLOSED),
        Transition("cancel", "Cancel", _OPEN, Status.CANCELLED, needs=("note",)),
    )
}


def available_actions(status: str) -> list[Transition]:
    """The transitions allowed from `status`, in display order."""
    return [t for t in TRANSITIONS.values() if status in t.sources]


def check_transition(status: str, action: str, inputs: Mapping[str, object]) -> Transition:
    """Return the transition for `action` from `status`, or raise naming what is wrong."""
    transition = TRANSITIONS.get(action)
    if transition is None:
        raise DomainError(
            f"Unknown action {action!r}; expected one of {', '.join(TRANSITIONS)}.",
            code="unknown_action",
            field="action",
        )
    if status not in transition.sources:
        raise DomainError(
            f"Cannot {action} a ticket that is {Status(status).label.lower()}.",
            code="invalid_transition",
            field="action",
        )
    errors = []
    for name in transition.needs:
        value = inputs.get(name)
        if value is None or (isinstance(value, str) and not value.strip()):
            errors.append(
                {"field": name, "message": f"{_NEEDS_LABEL[name]} is required to {action}."}
            )
    _check_choice(inputs, "pending_reason", PendingReason.values, errors)
    _check_choice(inputs, "resolution_code", ResolutionCode.values, errors)
    _check_choice(inputs, "cause_code", CauseCode.values, errors)
    if errors:
        raise DomainError(errors[0]["message"], field=errors[0]["field"], errors=errors)
    return transition


_NEEDS_LABEL = {
    "pending_reason": "A pending reason",
    "resolution_code": "A resolution code",
    "resolution_notes": "A resolution note",
    "note": "A reason",
}


def _check_choice(
    inputs: Mapping[str, object], name: str, allowed: Iterable[str], errors: list
) -> None:
    value = inputs.get(name)
    if value not in (None, "") and value not in set(allowed):
        errors.append(
            {"field": name, "message": f"{value!r} is not a valid {name.replace('_', ' ')}."}
        )


def status_after_assignment(status: str, has_assignee: bool, team_changed: bool = False) -> str:
    """New tickets become assigned when someone takes them, and fall back when released.

    A ticket handed to another team starts over there (new or assigned), since nobody in that
    team has started on it; a pending ticket stays pending, it still waits on the same thing.
    """
    if team_changed and status in (Status.NEW, Status.ASSIGNED, Status.IN_PROGRESS):
        return Status.ASSIGNED if has_assignee else Status.NEW
    if status == Status.NEW and has_assignee:
        return Status.ASSIGNED
    if status == Status.ASSIGNED and not has_assignee:
        return Status.NEW
    return status


# ITIL impact × urgency → priority. Stored in the database so admins can change it; this is the
# default the first migration seeds and the fallback when a cell is missing.
DEFAULT_MATRIX: dict[tuple[int, int], int] = {
    (Level.HIGH, Level.HIGH): Priority.P1,
    (Level.HIGH, Level.MEDIUM): Priority.P2,
    (Level.MEDIUM, Level.HIGH): Priority.P2,
    (Level.HIGH, Level.LOW): Priority.P3,
    (Level.MEDIUM, Level.MEDIUM): Priority.P3,
    (Level.LOW, Level.HIGH): Priority.P3,
    (Level.MEDIUM, Level.LOW): Priority.P4,
    (Level.LOW, Level.MEDIUM): Priority.P4,
    (Level.LOW, Level.LOW): Priority.P4,
}


def priority_for(
    impact: int, urgency: int, matrix: Mapping[tuple[int, int], int] | None = None
) -> int:
    """The priority for an impact and urgency, from `matrix` (falling back to the default)."""
    if impact not in Level.values:
        raise DomainError("Impact must be 1 (high), 2 (medium) or 3 (low).", field="impact")
    if urgency not in Level.values:
        raise DomainError("Urgency must be 1 (high), 2 (medium) or 3 (low).", field="urgency")
    if matrix and (impact, urgency) in matrix:
        return int(matrix[(impact, urgency)])
    return int(DEFAULT_MATRIX[(impact, urgency)])


NUMBER_PREFIX = "INC-"


def format_number(pk: int) -> str:
    """INC-000123: the ticket's primary key, so numbers stay unique under concurrent creates."""
    return f"{NUMBER_PREFIX}{pk:06d}"


def parse_number(text: str) -> int | None:
    """The primary key in `INC-000123`, `inc-123` or `123`; None when it is not a ticket number."""
    text = text.strip().upper()
    if text.startswith(NUMBER_PREFIX):
        text = text[len(NUMBER_PREFIX) :]
    if not text.isdecimal() or len(text) > 12:
        return None
    value = int(text)
    return value if value > 0 else None
