"""Pure policy for time entries: durations as people type them, and which team an entry counts for.

No Django here, so the parser and the team choice are tested directly (and by hypothesis)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from backline.core.errors import DomainError

MAX_MINUTES = 24 * 60
FIELD = "duration"

_HOURS = {"h", "hr", "hrs", "hour", "hours"}
_MINUTES = {"m", "min", "mins", "minute", "minutes"}
_CLOCK = re.compile(r"^(\d{1,2}):([0-5]\d)$")
# One number with an optional unit; "1h30" leaves the unit of the last number out.
_PART = re.compile(r"(\d+(?:[.,]\d+)?)\s*([a-z]*)")
_EXAMPLES = "Write it as 45, 45m, 1h 30m, 1:30 or 1.5h."


def _refuse(message: str, code: str = "invalid_duration") -> DomainError:
    return DomainError(message, code=code, field=FIELD)


def check_minutes(minutes: int, field: str = "minutes") -> int:
    """A whole number of minutes from 1 to 24 h."""
    if isinstance(minutes, bool) or not isinstance(minutes, int):
        raise DomainError("Minutes must be a whole number.", field=field)
    if minutes < 1:
        raise DomainError("Log at least one minute.", code="too_short", field=field)
    if minutes > MAX_MINUTES:
        raise DomainError(
            "One entry can hold at most 24 hours; log each day separately.",
            code="too_long",
            field=field,
        )
    return minutes


def _units(text: str) -> float:
    """Minutes in a text of numbers with units ("1h 30m", "2 h 5 min", "1.5h", "1h30")."""
    total = 0.0
    pos = 0
    seen_unit = ""
    parts = list(_PART.finditer(text))
    if not parts:
        raise _refuse(f"“{text}” is not a duration. {_EXAMPLES}")
    for index, match in enumerate(parts):
        if text[pos : match.start()].strip():
            raise _refuse(f"“{text}” is not a duration. {_EXAMPLES}")
        pos = match.end()
        number = float(match.group(1).replace(",", "."))
        unit = match.group(2)
        if not unit:
            # A bare number is minutes when alone or after hours ("1h 30"), never after minutes.
            if index == 0 and len(parts) > 1:
                raise _refuse(f"Add a unit to {match.group(1)} in “{text}”. {_EXAMPLES}")
            unit = "m" if seen_unit in ("", "h") else "?"
        if unit in _HOURS:
            if seen_unit:
                raise _refuse(f"Hours come first, once, in “{text}”. {_EXAMPLES}")
            total += number * 60
            seen_unit = "h"
        elif unit in _MINUTES:
            if seen_unit == "m":
                raise _refuse(f"Minutes appear twice in “{text}”. {_EXAMPLES}")
            if number != int(number):
                raise _refuse("Minutes must be whole numbers.")
            total += number
            seen_unit = "m"
        else:
            raise _refuse(f"Unknown unit “{unit}” in “{text}”. {_EXAMPLES}")
    if text[pos:].strip():
        raise _refuse(f"“{text}” is not a duration. {_EXAMPLES}")
    return total


def parse_duration(text: str) -> int:
    """Minutes in a duration as typed: 45, 45m, 1h, 1h 30m, 1:30, 1.5h, 2 h 5 min (1 min–24 h)."""
    raw = (text or "").strip().lower()
    if not raw:
        raise _refuse(f"Enter the time you worked. {_EXAMPLES}", code="required")
    if raw.startswith("-"):
        raise _refuse("Time worked cannot be negative.", code="too_short")
    clock = _CLOCK.match(raw)
    total = int(clock.group(1)) * 60 + int(clock.group(2)) if clock else _units(raw)
    if total != int(total):
        raise _refuse(f"“{text.strip()}” is not a whole number of minutes.")
    minutes = int(total)
    if minutes < 1:
        raise _refuse("Log at least one minute.", code="too_short")
    if minutes > MAX_MINUTES:
        raise _refuse(
            "One entry can hold at most 24 hours; log each day separately.", code="too_long"
        )
    return minutes


def format_duration(minutes: int) -> str:
    """Minutes as the parser reads them back: 45m, 2h, 1h 30m."""
    hours, rest = divmod(int(minutes), 60)
    if hours and rest:
        return f"{hours}h {rest}m"
    if hours:
        return f"{hours}h"
    return f"{rest}m"


def check_spent_at(spent_at: datetime, *, now: datetime, ticket_created_at: datetime) -> datetime:
    """When the work was done: not in the future, not before the ticket existed."""
    if spent_at.tzinfo is None:
        raise DomainError("Give the time with its time zone.", field="spent_at")
    if spent_at > now:
        raise DomainError("Work cannot be logged in the future.", field="spent_at")
    if spent_at < ticket_created_at:
        raise DomainError(
            "The ticket did not exist yet at that time.", code="too_early", field="spent_at"
        )
    return spent_at


@dataclass(frozen=True)
class TeamChoice:
    """A team the user belongs to, as far as the choice of the entry's team needs it."""

    id: int
    tier: int
    name: str = ""


def entry_team(
    *,
    ticket_team_id: int | None,
    ticket_tier: int,
    user_teams: Iterable[TeamChoice],
) -> tuple[int | None, int]:
    """(team id, tier) an entry counts for.

    The ticket's team and tier when the user is in that team (or in no team at all); otherwise
    the user's team whose tier is closest to the ticket's, the higher tier winning a tie (the work
    was done at that level), and the tier of that team."""
    teams = sorted(user_teams, key=lambda t: (t.tier, t.id))
    if not teams or any(t.id == ticket_team_id for t in teams):
        return ticket_team_id, ticket_tier
    best = min(teams, key=lambda t: (abs(t.tier - ticket_tier), -t.tier, t.id))
    return best.id, best.tier
