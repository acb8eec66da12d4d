"""Time helpers shared by views and APIs. Storage is UTC; days are the desk's local days."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.utils import timezone

from backline.core.errors import DomainError

# The days a report or filter may name (see local_day_range).
FIRST_DAY = date(1970, 1, 1)
LAST_DAY = date(9998, 12, 31)


def local_day_range(start: date | None, end: date | None, *, default_days: int = 30):
    """[start of `start`, start of the day after `end`) in the local time zone, as aware datetimes.

    Missing ends default to the last `default_days` days up to today; start after end is refused.
    """
    # Long ago zoneinfo answers local mean time (offsets with seconds, not valid RFC 3339),
    # and the last day of year 9999 has no day after it.
    for name, day in (("start", start), ("end", end)):
        if day is not None and not FIRST_DAY <= day <= LAST_DAY:
            raise DomainError(f"Choose a day between {FIRST_DAY} and {LAST_DAY}.", field=name)
    end = end or timezone.localdate()
    start = start or max(end - timedelta(days=default_days), FIRST_DAY)
    if start > end:
        raise DomainError("The start day must not be after the end day.", field="start")
    tz = timezone.get_current_timezone()
    return (
        datetime.combine(start, time.min, tzinfo=tz),
        datetime.combine(end + timedelta(days=1), time.min, tzinfo=tz),
    )


def parse_day(text: str | None) -> date | None:
    """A YYYY-MM-DD day, or None when empty or malformed."""
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None
