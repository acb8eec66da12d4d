"""Throughput of business-time arithmetic (backline.sla.calendar), one core, pure Python.

    .venv/bin/python bench/sla_calendar.py [--seconds 1.5] [--seed 4]

Two calendars: Europe/Berlin Mon–Fri 08:00–18:00 with the public holidays of Bavaria 2026–2028,
and 24×7. Additions start at random instants in 2026–2028 and add 15 minutes to 10 business days
(log-uniform, the spread of SLA targets); elapsed computations measure random spans of up to 30
days. Each operation runs repeatedly for about `--seconds`, after one warm-up pass that builds the
calendar's per-year tables (the cold cost of a year is printed separately). Issue 4 asks for
>= 100,000 additions per second on one core.
"""

from __future__ import annotations

import argparse
import math
import random
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from backline.sla.calendar import (
    Calendar,
    add_business_minutes,
    business_minutes_between,
    holiday_dates,
)

SAMPLES = 20_000
FIRST = datetime(2026, 1, 1, tzinfo=UTC)
SPAN_SECONDS = int((datetime(2028, 12, 1, tzinfo=UTC) - FIRST).total_seconds())


def random_instants(rng: random.Random, count: int) -> list[datetime]:
    return [FIRST + timedelta(seconds=rng.uniform(0, SPAN_SECONDS)) for _ in range(count)]


def random_targets(rng: random.Random, count: int, business_day_minutes: int) -> list[float]:
    """Log-uniform between 15 minutes and 10 business days, whole minutes as policies use."""
    low, high = math.log(15), math.log(10 * business_day_minutes)
    return [round(math.exp(rng.uniform(low, high))) for _ in range(count)]


def rate(operation: Callable[[], object], seconds: float) -> float:
    """Operations per second: repeat one pass over the samples until `seconds` have gone by."""
    operation()  # warm-up: builds the per-year tables
    done, started = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - started) < seconds:
        operation()
        done += SAMPLES
    return done / elapsed


def measure(name: str, cal: Calendar, day_minutes: int, seconds: float, seed: int) -> list[str]:
    rng = random.Random(seed)
    starts = random_instants(rng, SAMPLES)
    targets = random_targets(rng, SAMPLES, day_minutes)
    ends = [start + timedelta(seconds=rng.uniform(0, 30 * 86400)) for start in starts]
    pairs = list(zip(starts, targets, strict=True))
    spans = list(zip(starts, ends, strict=True))

    def additions() -> None:
        for start, minutes in pairs:
            add_business_minutes(cal, start, minutes)

    def elapsed() -> None:
        for start, end in spans:
            business_minutes_between(cal, start, end)

    cold = Calendar(cal.tz, cal.week, cal.holidays, cal.extra_working_days)
    started = time.perf_counter()
    add_business_minutes(cold, datetime(2027, 6, 1, tzinfo=UTC), 60)  # builds 2027's table
    year_ms = (time.perf_counter() - started) * 1000
    return [
        f"{name:<34} {'add_business_minutes':<26} {rate(additions, seconds):>12,.0f}",
        f"{name:<34} {'business_minutes_between':<26} {rate(elapsed, seconds):>12,.0f}",
        f"{name:<34} {'first use of a year':<26} {year_ms:>9.2f} ms",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=1.5, help="time per measurement")
    parser.add_argument("--seed", type=int, default=4)
    args = parser.parse_args()

    bavaria = Calendar.business_hours(
        "Europe/Berlin", "08:00-18:00", holidays=holiday_dates("DE", range(2026, 2029), "BY")
    )
    always = Calendar.always_open("Europe/Berlin")
    print(f"{'calendar':<34} {'operation':<26} {'per second':>12}")
    for line in measure("Berlin Mon–Fri 08–18, BY holidays", bavaria, 600, args.seconds, args.seed):
        print(line)
    for line in measure("24×7 (Europe/Berlin)", always, 1440, args.seconds, args.seed):
        print(line)


if __name__ == "__main__":
    main()
