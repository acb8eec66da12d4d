"""Business-calendar arithmetic (backline.sla.calendar): hand-checked cases and properties.

Pure functions: no database, no Django. Hand-checked cases use a Europe/Berlin calendar; the
properties draw random calendars in five zones and random instants around DST changes, and compare
against a deliberately naive day-by-day reference implementation.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from backline.sla.calendar import (
    MINUTES_PER_DAY,
    Calendar,
    DayHours,
    add_business_minutes,
    business_minutes_between,
    explain,
    holiday_dates,
    hours,
    is_open,
    next_opening,
)

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
ONE_US = timedelta(microseconds=1)


def berlin(*args: int, fold: int = 0) -> datetime:
    return datetime(*args, tzinfo=BERLIN, fold=fold)  # type: ignore[misc]


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


def office(*spans: str, **kwargs) -> Calendar:
    return Calendar.business_hours("Europe/Berlin", *(spans or ("08:00-17:00",)), **kwargs)


# --- hand-checked cases -----------------------------------------------------------------------


def test_spring_forward_weekend_keeps_a_nine_hour_day():
    cal = office()
    # Fri 27 Mar 2026 is CET (UTC+1); Mon 30 Mar is CEST (UTC+2).
    assert add_business_minutes(cal, berlin(2026, 3, 27, 16), 120) == utc(2026, 3, 30, 7)
    assert business_minutes_between(cal, berlin(2026, 3, 27, 8), berlin(2026, 3, 30, 17)) == 1080
    assert business_minutes_between(cal, berlin(2026, 3, 30, 8), berlin(2026, 3, 30, 17)) == 540


def test_fall_back_weekend_keeps_a_nine_hour_day():
    cal = office()
    assert add_business_minutes(cal, berlin(2026, 10, 23, 16), 120) == utc(2026, 10, 26, 8)
    assert business_minutes_between(cal, berlin(2026, 10, 23, 8), berlin(2026, 10, 26, 17)) == 1080


def test_interval_spanning_the_change_counts_real_time():
    night = Calendar("Europe/Berlin", ((),) * 6 + (hours("00:00-06:00"),))
    spring, autumn = date(2026, 3, 29), date(2026, 10, 25)
    assert business_minutes_between(night, berlin(2026, 3, 28), berlin(2026, 3, 30)) == 5 * 60
    assert business_minutes_between(night, berlin(2026, 10, 24), berlin(2026, 10, 26)) == 7 * 60
    assert spring.weekday() == autumn.weekday() == 6


def test_boundary_in_the_changing_hour():
    late = Calendar("Europe/Berlin", ((),) * 6 + (hours("02:30-05:00"),))
    # Missing 02:30 is pushed forward by the gap: the day opens at 03:30 CEST (01:30 UTC).
    assert next_opening(late, berlin(2026, 3, 29)) == utc(2026, 3, 29, 1, 30)
    assert business_minutes_between(late, berlin(2026, 3, 29), berlin(2026, 3, 30)) == 90
    # Repeated 02:30 means its first occurrence (CEST, 00:30 UTC); 05:00 CET is 04:00 UTC.
    assert next_opening(late, berlin(2026, 10, 25)) == utc(2026, 10, 25, 0, 30)
    assert business_minutes_between(late, berlin(2026, 10, 25), berlin(2026, 10, 26)) == 210


def test_intervals_overlapping_after_the_push_count_once():
    # On 29 Mar 2026, 02:05–02:30 becomes 03:05–03:30 CEST and overlaps 03:00–03:10.
    week = ((),) * 6 + (hours("02:05-02:30", "03:00-03:10"),)
    cal = Calendar("Europe/Berlin", week)
    assert next_opening(cal, berlin(2026, 3, 29)) == utc(2026, 3, 29, 1)  # 03:00 CEST
    assert business_minutes_between(cal, berlin(2026, 3, 29), berlin(2026, 3, 30)) == 30
    assert add_business_minutes(cal, berlin(2026, 3, 29), 30) == utc(2026, 3, 29, 1, 30)
    # 00:00–02:05 ends at 03:05 CEST and swallows 03:00–03:05: 2 h 5 min of real time.
    week = ((),) * 6 + (hours("00:00-02:05", "03:00-03:05"),)
    cal = Calendar("Europe/Berlin", week)
    assert business_minutes_between(cal, berlin(2026, 3, 29), berlin(2026, 3, 30)) == 125


def test_german_public_holidays_are_skipped():
    cal = office(holidays=holiday_dates("DE", [2025, 2026]))
    # Good Friday 3 Apr and Easter Monday 6 Apr 2026.
    assert add_business_minutes(cal, berlin(2026, 4, 2, 16), 120) == utc(2026, 4, 7, 7)
    # German Unity Day, Friday 3 Oct 2025.
    assert add_business_minutes(cal, berlin(2025, 10, 2, 16), 120) == utc(2025, 10, 6, 7)


def test_subdivision_holidays_differ():
    # Corpus Christi (Thu 4 Jun 2026) is a holiday in Bavaria, not in Berlin.
    bavaria = office(holidays=holiday_dates("DE", [2026], subdiv="BY"))
    berlin_state = office(holidays=holiday_dates("DE", [2026], subdiv="BE"))
    start = berlin(2026, 6, 3, 16)
    assert add_business_minutes(bavaria, start, 120) == utc(2026, 6, 5, 7)
    assert add_business_minutes(berlin_state, start, 120) == utc(2026, 6, 4, 7)


def test_year_end_with_christmas_and_new_year_closed():
    cal = office(holidays=holiday_dates("DE", [2026, 2027], closed=[date(2026, 12, 24)]))
    start = berlin(2026, 12, 23, 16)
    # 60 min on Wed 23 Dec, 24–27 closed, 4 full days 28–31 Dec, 1–3 Jan closed.
    assert add_business_minutes(cal, start, 60 + 4 * 540) == utc(2026, 12, 31, 16)
    assert add_business_minutes(cal, start, 60 + 4 * 540 + 120) == utc(2027, 1, 4, 9)
    assert business_minutes_between(cal, start, berlin(2027, 1, 4, 10)) == 2340


def test_clock_starts_at_the_next_opening_outside_hours():
    cal = office()
    monday_0830 = utc(2026, 5, 11, 6, 30)
    assert add_business_minutes(cal, berlin(2026, 5, 8, 18, 30), 30) == monday_0830  # Fri evening
    assert add_business_minutes(cal, berlin(2026, 5, 9, 11), 30) == monday_0830  # Saturday
    assert add_business_minutes(cal, berlin(2026, 5, 11, 6), 30) == monday_0830  # early Monday
    # Same instant as Friday 18:30 Berlin, given in New York time.
    friday_ny = datetime(2026, 5, 8, 12, 30, tzinfo=NEW_YORK)
    assert add_business_minutes(cal, friday_ny, 30) == monday_0830
    assert not is_open(cal, berlin(2026, 5, 9, 11))
    assert next_opening(cal, berlin(2026, 5, 9, 11)) == utc(2026, 5, 11, 6)
    assert next_opening(cal, berlin(2026, 5, 11, 9, 15)) == utc(2026, 5, 11, 7, 15)


def test_always_open_across_dst_is_elapsed_time():
    cal = Calendar.always_open("Europe/Berlin")
    # 01:30 CET on the spring-forward night plus one hour is 03:30 CEST.
    due = add_business_minutes(cal, berlin(2026, 3, 29, 1, 30), 60)
    assert due == utc(2026, 3, 29, 1, 30)
    assert due.astimezone(BERLIN).strftime("%H:%M %Z") == "03:30 CEST"
    # 02:30 CEST (first occurrence) on the fall-back night plus one hour is 02:30 CET.
    due = add_business_minutes(cal, berlin(2026, 10, 25, 2, 30), 60)
    assert due == utc(2026, 10, 25, 1, 30)
    assert due.astimezone(BERLIN).strftime("%H:%M %Z") == "02:30 CET"
    assert business_minutes_between(cal, berlin(2026, 10, 25), berlin(2026, 10, 25, 6)) == 420
    # A decade in one step, across ten year ends.
    assert add_business_minutes(cal, utc(2026, 1, 1), 10 * 365 * 1440) == utc(2035, 12, 30)


def test_split_day_with_lunch_break():
    cal = office("08:00-12:00", "13:00-17:00")
    assert add_business_minutes(cal, berlin(2026, 5, 11, 11, 30), 60) == utc(2026, 5, 11, 11, 30)
    # Ends at the close of the morning, not at the reopening after lunch.
    assert add_business_minutes(cal, berlin(2026, 5, 11, 11, 30), 30) == utc(2026, 5, 11, 10)
    assert not is_open(cal, berlin(2026, 5, 11, 12, 30))
    assert next_opening(cal, berlin(2026, 5, 11, 12, 30)) == utc(2026, 5, 11, 11)
    assert next_opening(cal, berlin(2026, 5, 11, 12)) == utc(2026, 5, 11, 11)  # at the close
    assert next_opening(cal, berlin(2026, 5, 15, 17)) == utc(2026, 5, 18, 6)  # Friday close
    assert business_minutes_between(cal, berlin(2026, 5, 11, 7), berlin(2026, 5, 11, 18)) == 480


def test_zero_minutes_is_the_start_itself():
    cal = office()
    open_at, closed_at = berlin(2026, 5, 11, 9, 15, 7, 123), berlin(2026, 5, 9, 11)
    assert add_business_minutes(cal, open_at, 0) == open_at.astimezone(UTC)
    assert add_business_minutes(cal, closed_at, 0) == closed_at.astimezone(UTC)
    assert add_business_minutes(cal, open_at, 0).tzinfo is UTC
    assert business_minutes_between(cal, open_at, open_at) == 0
    assert business_minutes_between(cal, berlin(2026, 5, 12, 9), open_at) == 0  # end before start


def test_extra_working_day_on_a_saturday():
    saturday = date(2026, 11, 28)
    plain = office()
    opened = office(extra_working_days={saturday: hours("09:00-13:00")})
    assert add_business_minutes(plain, berlin(2026, 11, 27, 16), 120) == utc(2026, 11, 30, 8)
    assert add_business_minutes(opened, berlin(2026, 11, 27, 16), 120) == utc(2026, 11, 28, 9)
    assert business_minutes_between(opened, berlin(2026, 11, 28), berlin(2026, 11, 29)) == 240


def test_extra_working_day_wins_over_a_holiday():
    eve = date(2026, 12, 24)
    cal = office(holidays={eve}, extra_working_days={eve: hours("08:00-12:00")})
    assert is_open(cal, berlin(2026, 12, 24, 10))
    assert not is_open(cal, berlin(2026, 12, 24, 13))
    assert cal.hours_on(eve) == ((480, 720),)


def test_two_business_days_pending_moves_the_due_time_two_business_days():
    cal = office()
    start = berlin(2026, 5, 11, 9)  # Monday
    due = add_business_minutes(cal, start, 480)
    assert due == utc(2026, 5, 11, 15)  # Monday 17:00
    paused, resumed = berlin(2026, 5, 11, 10), berlin(2026, 5, 13, 10)  # Mon 10:00 → Wed 10:00
    consumed = business_minutes_between(cal, start, paused)
    due_after_pause = add_business_minutes(cal, resumed, 480 - consumed)
    assert due_after_pause == utc(2026, 5, 13, 15)  # Wednesday 17:00
    assert due_after_pause == add_business_minutes(cal, due, 2 * 540)


def test_explain_names_counted_hours_and_skipped_holidays():
    cal = office(holidays=holiday_dates("DE", [2026]))
    lines = explain(cal, berlin(2026, 4, 2, 16), 120)
    assert lines[0] == "2 h of business time from Thu 2026-04-02 16:00 CEST (Europe/Berlin)"
    assert "Thu 2026-04-02: counted 16:00–17:00 (1 h)" in lines
    assert "Fri 2026-04-03: closed (holiday)" in lines
    assert "Sat 2026-04-04: closed (no working hours)" in lines
    assert "Mon 2026-04-06: closed (holiday)" in lines
    assert "Tue 2026-04-07: counted 08:00–09:00 (1 h)" in lines
    assert lines[-1] == "Due Tue 2026-04-07 09:00 CEST (2026-04-07 07:00 UTC)"
    long = explain(cal, berlin(2026, 4, 2, 16), 100 * 540, max_days=5)
    assert long[-2].startswith("… ") and long[-2].endswith(" more days")


def test_calendar_is_a_hashable_value():
    first = office(holidays=holiday_dates("DE", [2026]))
    add_business_minutes(first, berlin(2026, 4, 2, 16), 120)  # fills the cache
    second = office(holidays=holiday_dates("DE", [2026]))
    assert first == second
    assert hash(first) == hash(second)
    assert {first: 1}[second] == 1
    assert first != office(holidays=holiday_dates("DE", [2026], subdiv="BY"))


def test_hours_parsing():
    assert hours("08:00-12:00", "13:00–24:00") == ((480, 720), (780, MINUTES_PER_DAY))
    for bad in ("8-17", "08:00-25:00", "17:00-08:00", "08:00-08:00", "08:60-09:00"):
        with pytest.raises(ValueError):
            hours(bad)
    with pytest.raises(ValueError, match="overlap"):
        hours("08:00-12:00", "11:00-17:00")


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: Calendar("Mars/Olympus", ((),) * 7), "unknown time zone"),
        (lambda: Calendar("UTC", ((),) * 7), "needs some opening hours"),
        (lambda: Calendar("UTC", ((),) * 6), "7 days"),
        (lambda: Calendar("UTC", (((600, 1500),),) * 7), "24:00"),
        (lambda: office(extra_working_days={date(2026, 1, 3): ()}), "needs opening hours"),
        (lambda: holiday_dates("XX", [2026]), "XX"),
        (lambda: holiday_dates("DE", [2026], subdiv="XX"), "XX"),
    ],
)
def test_invalid_calendars_are_refused(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_invalid_arguments_are_refused():
    cal = office()
    with pytest.raises(ValueError, match="timezone-aware"):
        add_business_minutes(cal, datetime(2026, 5, 11, 9), 10)  # noqa: DTZ001 - on purpose
    for bad in (-1, float("nan"), float("inf")):
        with pytest.raises(ValueError, match="finite number >= 0"):
            add_business_minutes(cal, berlin(2026, 5, 11, 9), bad)


def test_a_year_without_open_time_is_refused_not_looped():
    mondays = [date(2026, 6, 1) + timedelta(weeks=n) for n in range(83)]  # to 27 Dec 2027
    cal = Calendar.business_hours("UTC", "09:00-10:00", weekdays=[0], holidays=mondays)
    with pytest.raises(ValueError, match="no open time in 2027"):
        add_business_minutes(cal, utc(2026, 7, 1), 10)
    with pytest.raises(ValueError, match="no open time in 2027"):
        next_opening(cal, utc(2026, 7, 1))
    assert business_minutes_between(cal, utc(2026, 1, 1), utc(2029, 1, 1)) == (21 + 52) * 60


# --- reference implementation: day by day, plain datetimes ------------------------------------


def ref_spans(cal: Calendar, day: date) -> list[tuple[datetime, datetime]]:
    """Open intervals of a local date as UTC datetimes, straight from the calendar's fields."""
    extra = dict(cal.extra_working_days)
    day_hours = extra.get(day, () if day in cal.holidays else cal.week[day.weekday()])
    midnight = datetime.combine(day, time(), tzinfo=ZoneInfo(cal.tz))
    spans = []
    for start, end in day_hours:
        # Aware + timedelta is wall-clock arithmetic; fold=0 places the result like the module.
        lo = (midnight + timedelta(minutes=start)).astimezone(UTC)
        hi = (midnight + timedelta(minutes=end)).astimezone(UTC)
        if hi > lo:
            spans.append((lo, hi))
    # A boundary pushed forward out of a DST gap can reorder or overlap a day's intervals.
    return sorted(spans)


def ref_days(cal: Calendar, start: datetime):
    """Open intervals from the day before `start` on, each instant only once (overlaps cut)."""
    day = start.astimezone(ZoneInfo(cal.tz)).date() - timedelta(days=1)
    counted_until = datetime.min.replace(tzinfo=UTC)
    while True:
        for lo, hi in ref_spans(cal, day):
            lo = max(lo, counted_until)
            if hi > lo:
                yield lo, hi
                counted_until = hi
        day += timedelta(days=1)


def ref_add(cal: Calendar, start: datetime, minutes: float) -> datetime:
    start = start.astimezone(UTC)
    remaining = timedelta(microseconds=round(minutes * 60_000_000))
    if not remaining:
        return start
    for lo, hi in ref_days(cal, start):
        lo = max(lo, start)
        if hi > lo:
            if hi - lo >= remaining:
                return lo + remaining
            remaining -= hi - lo
    raise AssertionError("unreachable")


def ref_between(cal: Calendar, start: datetime, end: datetime) -> float:
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    total = timedelta()
    for lo, hi in ref_days(cal, start):
        if lo >= end:
            break
        lo, hi = max(lo, start), min(hi, end)
        if hi > lo:
            total += hi - lo
    return total / timedelta(minutes=1)


# --- strategies -------------------------------------------------------------------------------

ZONE_NAMES = ["Europe/Berlin", "America/New_York", "Australia/Sydney", "Asia/Kolkata", "UTC"]
ZONES = [ZoneInfo(name) for name in ZONE_NAMES]
FIRST, LAST = datetime(2024, 1, 1), datetime(2029, 12, 31)  # noqa: DTZ001 - bounds for hypothesis


def dst_changes(zone: ZoneInfo) -> list[datetime]:
    """Every UTC hour at which the zone changes its offset between FIRST and LAST."""
    changes = []
    day = FIRST.replace(tzinfo=UTC)
    while day < LAST.replace(tzinfo=UTC):
        offset = day.astimezone(zone).utcoffset()
        if (day + timedelta(days=1)).astimezone(zone).utcoffset() != offset:
            hour = day
            while hour.astimezone(zone).utcoffset() == offset:
                hour += timedelta(hours=1)
            changes.append(hour)
        day += timedelta(days=1)
    return changes


DST_CHANGES = {zone.key: dst_changes(zone) for zone in ZONES}
REAL_HOLIDAYS = [
    frozenset(),
    holiday_dates("DE", range(2023, 2031), subdiv="BY"),
    holiday_dates("US", range(2023, 2031), subdiv="NY"),
    holiday_dates("AU", range(2023, 2031), subdiv="NSW"),
    holiday_dates("IN", range(2023, 2031)),
]


def _pair_up(points: list[int]) -> DayHours:
    points = sorted(points)[: len(points) // 2 * 2]
    return tuple(zip(points[::2], points[1::2], strict=True))


# Boundaries on a 5-minute grid, some only in 00:00–04:00, hit the hours clocks change in.
open_hours = st.lists(st.integers(0, 288), min_size=2, max_size=6, unique=True).map(
    lambda points: _pair_up([point * 5 for point in points])
)
night_hours = st.lists(st.integers(0, 48), min_size=2, max_size=4, unique=True).map(
    lambda points: _pair_up([point * 5 for point in points])
)
day_hours = st.one_of(st.just(()), st.just(((0, MINUTES_PER_DAY),)), open_hours, night_hours)
anywhere = st.datetimes(FIRST, LAST, timezones=st.sampled_from(ZONES))


def near_change(tz: str) -> st.SearchStrategy[datetime]:
    """Instants within three days of one of the zone's DST changes, in a random zone."""
    if not DST_CHANGES[tz]:
        return anywhere
    return st.builds(
        lambda change, seconds, zone: (change + timedelta(seconds=seconds)).astimezone(zone),
        st.sampled_from(DST_CHANGES[tz]),
        st.integers(-3 * 86400, 3 * 86400),
        st.sampled_from(ZONES),
    )


@st.composite
def scenarios(draw) -> tuple[Calendar, datetime]:
    """A random calendar and a start, with its closed and extra days near the start."""
    tz = draw(st.sampled_from(ZONE_NAMES))
    start = draw(st.one_of(anywhere, near_change(tz), near_change(tz)))
    if draw(st.booleans()):  # on the 5-minute grid, so whole minutes often end exactly at a close
        start = start.replace(minute=start.minute // 5 * 5, second=0, microsecond=0)
    week = draw(st.lists(day_hours, min_size=7, max_size=7))
    if not any(week):
        week[draw(st.integers(0, 6))] = ((540, 1020),)
    soon = st.integers(-2, 60).map(lambda days: start.date() + timedelta(days=days))
    closed = set(draw(st.sampled_from(REAL_HOLIDAYS))) | draw(st.sets(soon, max_size=12))
    if draw(st.booleans()):  # a long closure, e.g. a site shutdown
        first = draw(soon)
        closed |= {first + timedelta(days=n) for n in range(draw(st.integers(1, 60)))}
    extra = draw(st.dictionaries(soon, open_hours, max_size=3))
    return Calendar(tz, tuple(week), frozenset(closed), tuple(extra.items())), start


later = st.integers(0, 40 * 86400 * 10**6).map(lambda us: timedelta(microseconds=us))
minutes = st.one_of(
    st.integers(0, 6000),
    st.floats(0, 6000, allow_nan=False, allow_infinity=False),
    st.integers(0, 120),
)
whole_microseconds = minutes.map(lambda m: round(m * 60_000_000) / 60_000_000)
properties = settings(max_examples=100, deadline=None)


def as_utc(*instants: datetime) -> list[datetime]:
    # Aware datetimes sharing a tzinfo compare by wall clock; compare instants in UTC only.
    return [at.astimezone(UTC) for at in instants]


# --- properties -------------------------------------------------------------------------------


@properties
@given(scenarios(), minutes)
def test_add_matches_the_reference(scenario, m):
    cal, start = scenario
    assert add_business_minutes(cal, start, m) == ref_add(cal, start, m)


@properties
@given(scenarios(), later)
def test_between_matches_the_reference(scenario, length):
    cal, start = scenario
    end = start.astimezone(UTC) + length
    assert business_minutes_between(cal, start, end) == pytest.approx(
        ref_between(cal, start, end), abs=1e-6
    )


@properties
@given(scenarios(), minutes)
def test_elapsed_until_add_is_the_minutes_added(scenario, m):
    cal, start = scenario
    due = add_business_minutes(cal, start, m)
    assert business_minutes_between(cal, start, due) == pytest.approx(m, abs=1e-6)


@properties
@given(scenarios(), minutes, minutes)
def test_add_is_monotonic(scenario, a, b):
    cal, start = scenario
    low, high = sorted([a, b])
    assert add_business_minutes(cal, start, low) <= add_business_minutes(cal, start, high)


@properties
@given(scenarios(), minutes, minutes)
def test_add_is_additive(scenario, a, b):
    # Exact in real numbers because add returns the *earliest* instant; minutes are rounded to
    # whole microseconds, so float inputs may differ by a microsecond.
    cal, start = scenario
    stepwise = add_business_minutes(cal, add_business_minutes(cal, start, a), b)
    at_once = add_business_minutes(cal, start, a + b)
    tolerance = timedelta(0) if isinstance(a, int) and isinstance(b, int) else 2 * ONE_US
    assert abs(stepwise - at_once) <= tolerance


@properties
@given(scenarios(), later, later)
def test_elapsed_is_additive_over_a_split(scenario, first, second):
    cal, start = scenario
    (start,) = as_utc(start)
    middle, end = sorted([start + first, start + second])
    whole = business_minutes_between(cal, start, end)
    parts = business_minutes_between(cal, start, middle) + business_minutes_between(
        cal, middle, end
    )
    assert whole == pytest.approx(parts, abs=1e-6)
    assert whole <= (end - start) / timedelta(minutes=1) + 1e-6


@properties
@given(scenarios(), whole_microseconds.filter(lambda m: m > 0), later, later)
def test_pausing_adds_no_elapsed_time(scenario, target, pause_after, pause_length):
    """A clock paused over [paused, resumed) reaches its target the paused business time later."""
    cal, start = scenario
    (start,) = as_utc(start)
    due = add_business_minutes(cal, start, target)
    paused = start + pause_after
    resumed = paused + pause_length
    consumed = business_minutes_between(cal, start, paused)
    if consumed >= target:
        return  # met before the pause: nothing to re-plan
    due_after_pause = add_business_minutes(cal, resumed, target - consumed)
    paused_business = business_minutes_between(cal, paused, resumed)
    elapsed_running = business_minutes_between(cal, start, due_after_pause) - paused_business
    assert elapsed_running == pytest.approx(target, abs=1e-6)
    assert due_after_pause >= due
    if paused_business == 0:  # paused only while closed: the due time does not move
        assert abs(due_after_pause - due) <= ONE_US


@properties
@given(scenarios(), minutes.filter(lambda m: m >= 1e-6))  # less rounds to 0 µs
def test_due_time_is_open_or_the_end_of_an_open_interval(scenario, m):
    cal, start = scenario
    due = add_business_minutes(cal, start, m)
    assert due.tzinfo is UTC
    assert due > start.astimezone(UTC)
    assert is_open(cal, due) or is_open(cal, due - ONE_US)
    assert is_open(cal, next_opening(cal, due))


@properties
@given(scenarios(), st.integers(0, 15))
def test_closing_times_match_the_reference(scenario, nth):
    """At each close: open just before, closed at it, reached exactly by add, reopens on time."""
    cal, start = scenario
    (start,) = as_utc(start)
    spans = ref_days(cal, start)
    lo, hi = next(spans)
    while True:
        next_lo, next_hi = next(spans)
        if next_lo > hi and hi > start:  # a real close: the next interval does not touch it
            if nth == 0:
                break
            nth -= 1
        lo, hi = (lo, next_hi) if next_lo <= hi else (next_lo, next_hi)
    close, reopening = hi, next_lo
    assert is_open(cal, close - ONE_US)
    assert not is_open(cal, close)
    assert next_opening(cal, close) == reopening
    elapsed = business_minutes_between(cal, start, close)
    assert add_business_minutes(cal, start, elapsed) == close
    assert elapsed == pytest.approx(ref_between(cal, start, close), abs=1e-6)


@properties
@given(scenarios())
def test_next_opening(scenario):
    cal, at = scenario
    opening = next_opening(cal, at)
    (at,) = as_utc(at)
    assert opening >= at
    assert is_open(cal, opening)
    assert business_minutes_between(cal, at, opening) == 0
    assert (opening == at) == is_open(cal, at)


@properties
@given(st.sampled_from(ZONE_NAMES), anywhere, later, minutes)
def test_always_open_is_wall_clock_arithmetic(tz, start, length, m):
    cal = Calendar.always_open(tz)
    (start,) = as_utc(start)
    expected = start + timedelta(microseconds=round(m * 60_000_000))
    assert add_business_minutes(cal, start, m) == expected
    elapsed = length / timedelta(minutes=1)
    assert business_minutes_between(cal, start, start + length) == pytest.approx(elapsed, abs=1e-6)
    assert is_open(cal, start)
