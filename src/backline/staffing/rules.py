"""Pure rules of the staffing app: weekly hours in the SLA calendar shape, and hours of the week."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from backline.sla.calendar import hours

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DAY_LABELS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
HOURS_OF_WEEK = 168


def check_week(week: Any) -> dict[str, list[list[str]]]:
    """Validate `{"mon": [["08:00", "17:00"]], …}` and return it normalised (days in order,
    closed days left out); raises ValueError naming the day at fault as `args[1]`."""
    if week is None:
        return {}
    if not isinstance(week, Mapping):
        raise ValueError('Weekly hours must look like {"mon": [["08:00", "17:00"]]}.', "week")
    unknown = sorted(set(week) - set(WEEKDAYS))
    if unknown:
        raise ValueError(f"Unknown weekday {unknown[0]!r} (use mon … sun).", "week")
    clean: dict[str, list[list[str]]] = {}
    for day in WEEKDAYS:
        spans = week.get(day) or []
        try:
            pairs = [[str(a).strip(), str(b).strip()] for a, b in spans]
            hours(*(f"{a}-{b}" for a, b in pairs))
        except (TypeError, ValueError) as exc:
            raise ValueError(f"{day.capitalize()}: {exc}", day) from exc
        if pairs:
            clean[day] = pairs
    return clean


def coverage(week: Mapping[str, Any]) -> list[float]:
    """For each of the 168 hours of the week (Monday 00:00 first), the share of the hour the
    weekly hours cover, between 0 and 1."""
    covered = [0.0] * HOURS_OF_WEEK
    for index, day in enumerate(WEEKDAYS):
        for start, end in hours(*(f"{a}-{b}" for a, b in week.get(day) or [])):
            for hour in range(start // 60, (end + 59) // 60):
                overlap = min(end, (hour + 1) * 60) - max(start, hour * 60)
                if overlap > 0:
                    covered[index * 24 + hour] += overlap / 60
    return covered


def parse_spans(text: str) -> list[list[str]]:
    """ "08:00-12:00, 13:00-17:00" → [["08:00", "12:00"], ["13:00", "17:00"]]; "" → []."""
    spans = []
    for part in (text or "").replace(";", ",").split(","):
        part = part.strip()
        if not part:
            continue
        start, sep, end = part.replace("–", "-").partition("-")
        if not sep:
            raise ValueError(f"Write hours like 08:00-17:00, not {part!r}.")
        spans.append([start.strip(), end.strip()])
    return spans


def format_spans(spans: list) -> str:
    return ", ".join(f"{a}-{b}" for a, b in spans or [])


def hour_label(index: int) -> str:
    """ "Mon 09:00" for hour-of-week 9."""
    return f"{DAY_LABELS[index // 24]} {index % 24:02d}:00"
