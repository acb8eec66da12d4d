"""Business-time arithmetic on calendars: pure functions, no ORM, no Django.

A `Calendar` is open at an instant when the local wall clock of its time zone falls inside the
hours in effect on that local date. The hours of a date are, in order of precedence:

1. its entry in `extra_working_days` (a date mapped to explicit hours; this wins over both the
   weekday and `holidays`, so a Saturday or a swapped holiday can be opened with any hours),
2. none if the date is in `holidays`,
3. the weekly hours of its weekday.

Hours are half-open intervals of minutes after local midnight, `0 <= start < end <= 1440`;
1440 is 24:00, so `((0, 1440),)` is a whole day and 24×7 is seven of them.

Business time is real elapsed time while open. Each wall-clock boundary is converted to an instant
on its own date, so an 08:00–17:00 day is 9 business hours on a DST-change day too. An interval
that spans a change counts what really elapses: 00:00–06:00 is 5 h on the spring-forward night and
7 h on the fall-back night (the repeated hour is counted twice, the missing hour does not exist).
A boundary that itself falls in the changing hour is placed like `java.time` and PEP 495 `fold=0`
do it: a time in the missing hour is pushed forward by the gap (02:30 becomes 03:30 summer time),
a time in the repeated hour means its first occurrence. Where that push makes intervals overlap,
the overlap is counted once.

Conventions: inputs are timezone-aware datetimes in any zone, outputs are UTC; times have
microsecond resolution (minutes are rounded to the microsecond). `add_business_minutes` returns the
earliest instant at which the requested business time has elapsed, so a due time is either open time
or the exact end of an open interval (12:00, not 13:00, when lunch starts at 12:00), and adding 0
returns the start itself. A calendar with a whole local calendar year without open time is treated
as never opening again: functions that would have to search past it raise `ValueError`.

Speed: the open intervals of a local year are built on first use (about a millisecond), merged
where they touch (24×7 is one interval a year) and stored with running totals in UTC microseconds,
so every operation is a couple of binary searches, whatever the distance.
"""

from __future__ import annotations

import math
import re
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

Interval = tuple[int, int]
"""Open from `start` to `end` minutes after local midnight (half-open, end may be 1440)."""
DayHours = tuple[Interval, ...]
Span = tuple[int, int]
"""Open from `start` to `end` (half-open), in microseconds since the Unix epoch (UTC)."""

MINUTES_PER_DAY = 1440
MONDAY_TO_FRIDAY = (0, 1, 2, 3, 4)
_US_PER_MINUTE = 60_000_000
_US_PER_DAY = MINUTES_PER_DAY * _US_PER_MINUTE
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_ONE_US = timedelta(microseconds=1)
_ONE_DAY = timedelta(days=1)
_CLOCK = re.compile(r"(\d{1,2}):(\d{2})")
_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def hours(*spans: str) -> DayHours:
    """Parse `"08:00-12:00", "13:00-17:00"` (24:00 allowed as an end) into day hours."""
    parsed = []
    for span in spans:
        start, sep, end = span.replace("–", "-").partition("-")
        if not sep:
            raise ValueError(f"hours must look like 08:00-17:00, got {span!r}")
        parsed.append((_parse_clock(start), _parse_clock(end)))
    return _check_day(tuple(parsed))


def _parse_clock(text: str) -> int:
    match = _CLOCK.fullmatch(text.strip())
    if not match or int(match[2]) > 59:
        raise ValueError(f"a time of day must look like 08:30, got {text!r}")
    return int(match[1]) * 60 + int(match[2])


def _check_day(day: Iterable[Iterable[int]]) -> DayHours:
    intervals = tuple((int(a), int(b)) for a, b in day)
    previous_end = 0
    for start, end in intervals:
        if not 0 <= start < end <= MINUTES_PER_DAY:
            raise ValueError(
                f"an interval must satisfy 00:00 <= start < end <= 24:00, got {_span(start, end)}"
            )
        if start < previous_end:
            raise ValueError(f"intervals of a day must be sorted and not overlap: {intervals}")
        previous_end = end
    return intervals


def _span(start: int, end: int) -> str:
    return f"{start // 60:02d}:{start % 60:02d}–{end // 60:02d}:{end % 60:02d}"


@dataclass(frozen=True, slots=True)
class _Year:
    """Open intervals of one local calendar year, in UTC microseconds, merged where they touch."""

    year: int
    lo: int  # first instant of the local year
    hi: int  # first instant of the next local year
    starts: list[int]
    ends: list[int]
    cum: list[int]  # business microseconds from `lo` to the end of each interval
    total: int


@dataclass(frozen=True, slots=True)
class Calendar:
    """Time zone, weekly hours (Monday first), closed dates, and dates opened with own hours."""

    tz: str
    week: tuple[DayHours, ...]
    holidays: frozenset[date] = frozenset()
    extra_working_days: tuple[tuple[date, DayHours], ...] = ()
    zone: ZoneInfo = field(init=False, repr=False, compare=False)
    _extra: dict[date, DayHours] = field(init=False, repr=False, compare=False)
    _years: dict[int, _Year] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        try:
            zone = ZoneInfo(self.tz)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {self.tz!r}") from exc
        if len(self.week) != 7:
            raise ValueError(f"weekly hours need 7 days (Monday first), got {len(self.week)}")
        week = tuple(_check_day(day) for day in self.week)
        extra_items = (
            self.extra_working_days.items()
            if isinstance(self.extra_working_days, Mapping)
            else self.extra_working_days
        )
        extra = {day: _check_day(hrs) for day, hrs in extra_items}
        if any(not hrs for hrs in extra.values()):
            raise ValueError("an extra working day needs opening hours (use holidays to close)")
        if not any(week) and not extra:
            raise ValueError("a calendar needs some opening hours")
        # Normalise to hashable, canonical values so equal calendars compare and hash equal.
        set_field = object.__setattr__
        set_field(self, "week", week)
        set_field(self, "holidays", frozenset(self.holidays))
        set_field(self, "extra_working_days", tuple(sorted(extra.items())))
        set_field(self, "zone", zone)
        set_field(self, "_extra", extra)
        set_field(self, "_years", {})

    @classmethod
    def always_open(cls, tz: str = "UTC") -> Calendar:
        """24×7: business time equals elapsed time."""
        return cls(tz, (((0, MINUTES_PER_DAY),),) * 7)

    @classmethod
    def business_hours(
        cls,
        tz: str,
        *spans: str,
        weekdays: Iterable[int] = MONDAY_TO_FRIDAY,
        holidays: Iterable[date] = (),
        extra_working_days: Mapping[date, DayHours] | None = None,
    ) -> Calendar:
        """The same hours on the given weekdays (0 = Monday): `("Europe/Berlin", "08:00-17:00")`."""
        day = hours(*spans)
        open_days = set(weekdays)
        week = tuple(day if weekday in open_days else () for weekday in range(7))
        return cls(tz, week, frozenset(holidays), tuple((extra_working_days or {}).items()))

    def hours_on(self, day: date) -> DayHours:
        """The wall-clock hours in effect on a local date."""
        extra = self._extra.get(day)
        if extra is not None:
            return extra
        if day in self.holidays:
            return ()
        return self.week[day.weekday()]

    def spans_on(self, day: date) -> list[Span]:
        """Open intervals of a local date in UTC microseconds minus any emptied by a DST gap."""
        spans = []
        for start, end in self.hours_on(day):
            lo, hi = self._local_us(day, start), self._local_us(day, end)
            if hi > lo:
                spans.append((lo, hi))
        return spans

    def _local_us(self, day: date, minute: int) -> int:
        if minute == MINUTES_PER_DAY:
            day, minute = day + _ONE_DAY, 0
        hour, minute = divmod(minute, 60)
        local = datetime(day.year, day.month, day.day, hour, minute, tzinfo=self.zone)
        return (local - _EPOCH) // _ONE_US

    def _year(self, year: int) -> _Year:
        cached = self._years.get(year)
        if cached is None:
            cached = self._years[year] = self._build_year(year)
        return cached

    def _build_year(self, year: int) -> _Year:
        spans, lo, hi = self._year_spans(year)
        # A boundary pushed out of a DST gap can reorder or overlap a day's intervals: count once.
        spans.sort()
        starts: list[int] = []
        ends: list[int] = []
        cum: list[int] = []
        total = 0
        for raw_start, raw_end in spans:
            start, end = max(raw_start, lo), min(raw_end, hi)
            if ends and start <= ends[-1]:
                if end > ends[-1]:
                    total += end - ends[-1]
                    ends[-1], cum[-1] = end, total
            elif end > start:
                total += end - start
                starts.append(start)
                ends.append(end)
                cum.append(total)
        return _Year(year, lo, hi, starts, ends, cum, total)

    def _year_spans(self, year: int) -> tuple[list[Span], int, int]:
        """Open intervals of every day of a local year, and the year's first and last instant."""
        spans: list[Span] = []
        day = date(year, 1, 1)
        first = midnight = self._local_us(day, 0)
        while day.year == year:
            following = day + _ONE_DAY
            next_midnight = self._local_us(following, 0)
            day_hours = self.hours_on(day)
            if day_hours and next_midnight - midnight == _US_PER_DAY:
                # No clock change today (no zone changes twice a day): wall time is elapsed time.
                spans.extend(
                    (midnight + start * _US_PER_MINUTE, midnight + end * _US_PER_MINUTE)
                    for start, end in day_hours
                )
            elif day_hours:
                spans.extend(self.spans_on(day))
            day, midnight = following, next_midnight
        return spans, first, midnight

    def _year_at(self, us: int, year_hint: int) -> _Year:
        # The hint is the year of the input in its own zone: at most one year off.
        found = self._year(year_hint)
        while us < found.lo:
            found = self._year(found.year - 1)
        while us >= found.hi:
            found = self._year(found.year + 1)
        return found

    def _year_after(self, current: _Year) -> _Year:
        following = self._year(current.year + 1)
        if not following.total:
            raise ValueError(
                f"calendar ({self.tz}) has no open time in {following.year}: it never opens again"
            )
        return following


def holiday_dates(
    country: str,
    years: Iterable[int],
    subdiv: str | None = None,
    *,
    closed: Iterable[date] = (),
) -> frozenset[date]:
    """Public holidays of a country (and subdivision) from the `holidays` package, plus `closed`."""
    # Imported here: the package takes ~0.1 s to import and only calendar set-up needs it.
    import holidays as holidays_package

    try:
        found = holidays_package.country_holidays(country, subdiv=subdiv, years=list(years))
    except NotImplementedError as exc:
        raise ValueError(str(exc)) from exc
    return frozenset(found) | frozenset(closed)


def add_business_minutes(cal: Calendar, start: datetime, minutes: float) -> datetime:
    """The earliest instant (UTC) by which `minutes` of business time have elapsed since `start`."""
    us = _to_us(start)
    remaining = _minutes_to_us(minutes)
    if not remaining:
        return _from_us(us)
    year = cal._year_at(us, start.year)
    target = _elapsed_in_year(year, us) + remaining
    while target > year.total:
        target -= year.total
        year = cal._year_after(year)
    k = bisect_left(year.cum, target)
    return _from_us(year.ends[k] - (year.cum[k] - target))


def business_minutes_between(cal: Calendar, start: datetime, end: datetime) -> float:
    """Business minutes elapsed from `start` to `end`; 0 when `end <= start`."""
    start_us, end_us = _to_us(start), _to_us(end)
    if end_us <= start_us:
        return 0.0
    first, last = cal._year_at(start_us, start.year), cal._year_at(end_us, end.year)
    elapsed = _elapsed_in_year(last, end_us) - _elapsed_in_year(first, start_us)
    for year in range(first.year, last.year):
        elapsed += cal._year(year).total
    return elapsed / _US_PER_MINUTE


def is_open(cal: Calendar, at: datetime) -> bool:
    """Whether business time runs at this instant."""
    us = _to_us(at)
    year = cal._year_at(us, at.year)
    i = bisect_right(year.starts, us) - 1
    return i >= 0 and us < year.ends[i]


def next_opening(cal: Calendar, at: datetime) -> datetime:
    """`at` (in UTC) when open, else the instant the calendar next opens."""
    us = _to_us(at)
    year = cal._year_at(us, at.year)
    i = bisect_right(year.starts, us)
    if i and us < year.ends[i - 1]:
        return _from_us(us)
    while i == len(year.starts):
        year, i = cal._year_after(year), 0
    return _from_us(year.starts[i])


def explain(cal: Calendar, start: datetime, minutes: float, *, max_days: int = 62) -> list[str]:
    """Human-readable lines: which local days and hours counted towards a due time, and why not."""
    due = add_business_minutes(cal, start, minutes)
    start_us, due_us = _to_us(start), _to_us(due)
    lines = [f"{_duration(minutes)} of business time from {_local(cal, start)} ({cal.tz})"]
    day = start.astimezone(cal.zone).date()
    last_day = _from_us(max(due_us - 1, start_us)).astimezone(cal.zone).date()
    shown = 0
    while day <= last_day and due_us > start_us:
        if shown == max_days:
            lines.append(f"… {(last_day - day).days + 1} more days")
            break
        lines.append(
            f"{_WEEKDAYS[day.weekday()]} {day.isoformat()}: {_day_note(cal, day, start_us, due_us)}"
        )
        shown += 1
        day += _ONE_DAY
    lines.append(f"Due {_local(cal, due)} ({due:%Y-%m-%d %H:%M} UTC)")
    return lines


def _day_note(cal: Calendar, day: date, start_us: int, due_us: int) -> str:
    if not cal.hours_on(day):
        return "closed (holiday)" if day in cal.holidays else "closed (no working hours)"
    counted = []
    for lo, hi in cal.spans_on(day):
        lo, hi = max(lo, start_us), min(hi, due_us)
        if hi > lo:
            counted.append((_from_us(lo), _from_us(hi), hi - lo))
    note = "extra working day, " if day in cal._extra else ""
    if not counted:
        opening = ", ".join(_span(a, b) for a, b in cal.hours_on(day))
        return f"{note}open {opening}, nothing counted"
    parts = ", ".join(f"{_clock(cal, lo)}–{_clock(cal, hi)}" for lo, hi, _ in counted)
    total = sum(length for *_, length in counted) / _US_PER_MINUTE
    return f"{note}counted {parts} ({_duration(total)})"


def _local(cal: Calendar, at: datetime) -> str:
    return f"{at.astimezone(cal.zone):%a %Y-%m-%d %H:%M %Z}"


def _clock(cal: Calendar, at: datetime) -> str:
    return f"{at.astimezone(cal.zone):%H:%M}"


def _duration(minutes: float) -> str:
    whole = round(minutes)
    if not math.isclose(whole, minutes, abs_tol=1e-6):
        return f"{minutes:g} min"
    hours_part, minutes_part = divmod(whole, 60)
    if not hours_part:
        return f"{minutes_part} min"
    return f"{hours_part} h" + (f" {minutes_part} min" if minutes_part else "")


def _elapsed_in_year(year: _Year, us: int) -> int:
    """Business microseconds from the start of `year` to `us` (which lies inside it)."""
    i = bisect_right(year.starts, us) - 1
    if i < 0:
        return 0
    overshoot = year.ends[i] - us
    return year.cum[i] - overshoot if overshoot > 0 else year.cum[i]


def _to_us(at: datetime) -> int:
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError(f"a timezone-aware datetime is required, got {at!r}")
    return (at - _EPOCH) // _ONE_US


def _from_us(us: int) -> datetime:
    return _EPOCH + timedelta(microseconds=us)


def _minutes_to_us(minutes: float) -> int:
    if not math.isfinite(minutes) or minutes < 0:
        raise ValueError(f"business minutes must be a finite number >= 0, got {minutes!r}")
    return round(minutes * _US_PER_MINUTE)
