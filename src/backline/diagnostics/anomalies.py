"""Which templates changed: around the incident (a window around its start against the baseline
before it) and between two logs. Pure functions over per-minute counts.

The statistic is the log-likelihood ratio G of two Poisson counts with different exposures (the
minutes each period covers): how much more likely the counts are under two rates than under one.
It grows with both the size of the change and the number of lines behind it, so a template that
went from 2 to 4 lines does not outrank one that went from 0 to 400. G is signed: positive when
the rate rose. A template with no line in the baseline is "new".
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

MINUTE = 60


@dataclass(frozen=True)
class Series:
    """A template's per-minute counts in one log (minutes since the epoch → lines)."""

    tid: int
    minutes: Mapping[int, int]
    count: int
    level: str = ""


@dataclass(frozen=True)
class Shift:
    """How one template's rate differs between two periods (or two logs)."""

    tid: int
    level: str
    count_a: int  # the window (or the first log)
    count_b: int  # the baseline (or the second log)
    rate_a: float  # lines per minute
    rate_b: float
    score: float  # signed G; positive when the rate rose from b to a

    @property
    def new(self) -> bool:
        return self.count_b == 0 and self.count_a > 0

    @property
    def gone(self) -> bool:
        return self.count_a == 0 and self.count_b > 0

    @property
    def ratio(self) -> float | None:
        """rate_a / rate_b; None when the template is new (no baseline rate to divide by)."""
        return None if self.rate_b == 0 else self.rate_a / self.rate_b


@dataclass(frozen=True)
class Window:
    """The incident window and the baseline before it, as minute ranges [start, end)."""

    start: int
    end: int
    baseline_start: int

    @property
    def minutes(self) -> int:
        return self.end - self.start

    @property
    def baseline_minutes(self) -> int:
        return self.start - self.baseline_start


def g_statistic(a: int, exposure_a: float, b: int, exposure_b: float) -> float:
    """Signed log-likelihood ratio of counts a, b over exposures (rates equal vs not)."""
    total, exposure = a + b, exposure_a + exposure_b
    if total == 0 or exposure_a <= 0 or exposure_b <= 0:
        return 0.0
    expected_a = total * exposure_a / exposure
    expected_b = total * exposure_b / exposure
    g = 0.0
    if a:
        g += a * math.log(a / expected_a)
    if b:
        g += b * math.log(b / expected_b)
    g = max(0.0, 2 * g)
    return g if a / exposure_a >= b / exposure_b else -g


def window(
    *, start_ts: float, before: int, after: int, first_ts: float, last_ts: float
) -> Window | None:
    """The window [start − before, start + after) seconds, clipped to the log, and the baseline
    from the log's first minute to the window; None when the window misses the log entirely."""
    log_start, log_end = int(first_ts // MINUTE), int(last_ts // MINUTE) + 1
    start = max(int((start_ts - before) // MINUTE), log_start)
    end = min(math.ceil((start_ts + after) / MINUTE), log_end)
    if end <= start:
        return None
    return Window(start=start, end=end, baseline_start=log_start)


def _split(minutes: Mapping[int, int], w: Window) -> tuple[int, int]:
    inside = before = 0
    for minute, count in minutes.items():
        if w.start <= minute < w.end:
            inside += count
        elif w.baseline_start <= minute < w.start:
            before += count
    return inside, before


def around(series: Iterable[Series], w: Window) -> tuple[list[Shift], list[Shift]]:
    """Templates that rose (new first among equals) and fell in the window, most changed first.

    Without a baseline (the window starts where the log starts) every template in the window
    counts as new and they rank by their count.
    """
    rose: list[Shift] = []
    fell: list[Shift] = []
    for s in series:
        inside, before = _split(s.minutes, w)
        if not inside and not before:
            continue
        base = w.baseline_minutes
        score = g_statistic(inside, w.minutes, before, base) if base > 0 else float(inside)
        shift = Shift(
            tid=s.tid,
            level=s.level,
            count_a=inside,
            count_b=before,
            rate_a=inside / w.minutes,
            rate_b=before / base if base > 0 else 0.0,
            score=score,
        )
        if score > 0:
            rose.append(shift)
        elif score < 0:
            fell.append(shift)
    rose.sort(key=lambda x: (-x.score, _severity(x.level), x.tid))
    fell.sort(key=lambda x: (x.score, _severity(x.level), x.tid))
    return rose, fell


def compare(
    a: Iterable[Series], minutes_a: float, b: Iterable[Series], minutes_b: float
) -> list[Shift]:
    """Every template of either log with the rate change from log b to log a, biggest first.

    Exposures are the minutes each log spans (or its line count when a log has no times: then
    rates are per line and the comparison is of shares).
    """
    in_b = {s.tid: s for s in b}
    shifts = []
    for s in a:
        other = in_b.pop(s.tid, None)
        shifts.append(_shift(s, other, minutes_a, minutes_b))
    shifts.extend(_shift(None, other, minutes_a, minutes_b) for other in in_b.values())
    shifts.sort(key=lambda x: (-abs(x.score), _severity(x.level), x.tid))
    return shifts


def _shift(a: Series | None, b: Series | None, exp_a: float, exp_b: float) -> Shift:
    count_a, count_b = (a.count if a else 0), (b.count if b else 0)
    level = (a or b).level if (a or b) else ""  # type: ignore[union-attr]
    return Shift(
        tid=(a or b).tid,  # type: ignore[union-attr]
        level=level,
        count_a=count_a,
        count_b=count_b,
        rate_a=count_a / exp_a if exp_a else 0.0,
        rate_b=count_b / exp_b if exp_b else 0.0,
        score=g_statistic(count_a, exp_a, count_b, exp_b),
    )


_SEVERITY = {"critical": 0, "error": 1, "warning": 2, "notice": 3, "info": 4, "debug": 5}


def _severity(level: str) -> int:
    return _SEVERITY.get(level, 6)


def bins(minutes: Mapping[int, int], start: int, end: int, n: int = 40) -> list[int]:
    """Counts in n equal bins over the minutes [start, end): a sparkline's or a chart's bars."""
    span = max(1, end - start)
    out = [0] * n
    for minute, count in minutes.items():
        if start <= minute < end:
            out[min(n - 1, (minute - start) * n // span)] += count
    return out
