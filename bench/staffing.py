"""Erlang C against simulation on the demo history: prints the comparison table.

    .venv/bin/python bench/staffing.py [--weeks 8] [--target-share 0.8] [--target-minutes 30]
                                       [--hours 5] [--sim-hours 20000] [--data-dir DIR --reuse]

Loads the demo data set (`load_demo`, which runs `demo.effort.effort_load` for schedules and time
entries) into a fresh temporary SQLite database, picks the L2 team with the most arrivals in the
window and computes its forecast. Then two comparisons:

1. Formula vs Poisson simulation: for the busiest hours of the week, Erlang C's service level with
   the required N next to a long simulation of the same M/M/N queue (Poisson arrivals, exponential
   handle times). This is the check of the formula; the documented tolerance is ±0.02.
2. Formula vs history replay: the real arrival times of the window replayed through the queue,
   each ticket taking the minutes the team logged on it (tickets without time get a logged total
   drawn from the team's other tickets), staffed hour by hour with the forecast's required N.
   This checks the model's assumptions on real data: few arrivals per hour, handle times that are
   not exponential, and calls spilling over into hours nobody is required.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "bench-staffing"  # noqa: S105 - the throwaway demo users' password


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--weeks", type=int, default=8)
    parser.add_argument("--target-share", type=float, default=0.8)
    parser.add_argument("--target-minutes", type=float, default=30)
    parser.add_argument("--hours", type=int, default=5, help="busiest hours to simulate")
    parser.add_argument("--sim-hours", type=float, default=20_000, help="simulated hours each")
    parser.add_argument("--tickets", type=int, default=3000, help="demo history size")
    parser.add_argument("--data-dir", help="where the SQLite database lives (default: a temp dir)")
    parser.add_argument("--reuse", action="store_true", help="keep a database loaded before")
    return parser.parse_args()


def configure(args: argparse.Namespace) -> Path:
    os.environ.pop("DATABASE_URL", None)
    data = Path(args.data_dir) if args.data_dir else Path(tempfile.mkdtemp(prefix="bl-staffing-"))
    data.mkdir(parents=True, exist_ok=True)
    os.environ["BACKLINE_DATA_DIR"] = str(data)
    os.environ["DJANGO_SETTINGS_MODULE"] = "backline.config.settings"
    sys.path.insert(0, str(ROOT / "src"))
    return data


def load_data(args: argparse.Namespace) -> str:
    from django.core.management import call_command

    from backline.accounts.models import User
    from backline.demo.generate import load_demo
    from backline.staffing.models import Schedule
    from backline.worklog.models import TimeEntry

    if args.reuse and User.objects.filter(username="hcarter").exists():
        return "reused"
    call_command("migrate", verbosity=0)
    started = time.monotonic()
    load_demo(seed=7, tickets=args.tickets, password=PASSWORD)  # with demo.effort's rows
    return (
        f"demo loaded in {time.monotonic() - started:.0f} s: {Schedule.objects.count()} "
        f"schedules, {TimeEntry.objects.count():,} time entries"
    )


def busiest_l2_team(weeks: int):
    from backline.accounts.models import Team
    from backline.staffing import queries

    teams = Team.objects.filter(tier=2)
    return max(teams, key=lambda t: sum(queries.arrivals_per_hour(t, weeks=weeks)))


def replay(result, args: argparse.Namespace) -> list[tuple]:
    """Real arrivals of the window through the queue, staffed with the required N per hour."""
    from django.conf import settings
    from django.db.models import Sum

    from backline.staffing import erlang, queries
    from backline.staffing.simulation import simulate
    from backline.worklog.models import TimeEntry

    team, (start, end) = result.team, result.window
    zone = ZoneInfo(settings.TIME_ZONE)
    events = list(
        queries.arrival_events(team, start, end).order_by("at").values_list("at", "ticket_id")
    )
    logged = dict(
        TimeEntry.objects.filter(team=team)
        .values("ticket_id")
        .annotate(total=Sum("minutes"))
        .order_by()
        .values_list("ticket_id", "total")
    )
    pool = sorted(logged.values())
    rng = random.Random(3)
    hours = lambda at: (at - start).total_seconds() / 3600  # noqa: E731 - local helper
    arrivals = [hours(at) for at, _ in events]
    services = [(logged.get(tid) or rng.choice(pool)) / 60 for _, tid in events]
    steps, slot = [], start
    while slot < end:
        local = slot.astimezone(zone)
        index = local.weekday() * 24 + local.hour
        steps.append((hours(slot), result.hours[index].required or 0))
        slot += timedelta(hours=1)
    t = args.target_minutes / 60
    sim = simulate(arrivals, services, steps, target_wait=t, horizon=hours(end))
    by_hour: dict[int, list[float]] = {}
    for (at, _), wait in zip(events, sim.waits, strict=True):
        local = at.astimezone(zone)
        by_hour.setdefault(local.weekday() * 24 + local.hour, []).append(wait)
    rows = []
    for h in queries.busiest_hours(result, args.hours):
        waits = by_hour.get(h.index, [])
        formula = erlang.service_level(h.required, h.load, t, h.aht_minutes / 60)
        within = sum(1 for w in waits if w <= t) / len(waits) if waits else float("nan")
        rows.append((h.label, len(waits), h.required, formula, within, within - formula))
    formula_all = sum(
        h.rate * erlang.service_level(h.required, h.load, t, h.aht_minutes / 60)
        for h in result.hours
        if h.rate and h.required
    ) / max(sum(h.rate for h in result.hours if h.rate and h.required), 1e-9)
    cv = _cv(services)
    rows.append(
        ("all hours", sim.calls, "-", formula_all, sim.share_within, sim.share_within - formula_all)
    )
    return rows, sim, cv


def _cv(values: list[float]) -> float:
    mean = sum(values) / len(values)
    var = sum((v - mean) ** 2 for v in values) / len(values)
    return var**0.5 / mean


def main() -> None:
    args = parse_args()
    data = configure(args)
    import django

    django.setup()
    print(f"database: {data / 'backline.sqlite3'}")
    print(load_data(args))
    from backline.staffing import queries

    team = busiest_l2_team(args.weeks)
    result = queries.forecast(
        team,
        target_share=args.target_share,
        target_minutes=args.target_minutes,
        weeks=args.weeks,
    )
    totals = result.totals
    print(
        f"team: {team.label}; {totals['arrivals_per_week']:.1f} arrivals/week over {args.weeks} "
        f"weeks; AHT {result.aht_minutes:.1f} min ({result.handle.source}, "
        f"{result.handle.tickets} tickets); target {args.target_share:.0%} within "
        f"{args.target_minutes:g} min"
    )
    print(
        f"required engineer-hours/week {totals['required_hours']}, scheduled "
        f"{totals['scheduled_hours']:.0f}, hours short {totals['short_hours']}"
    )
    started = time.monotonic()
    rows = queries.validate(result, count=args.hours, duration_hours=args.sim_hours)
    took = time.monotonic() - started
    print(f"\n1. Erlang C vs Poisson simulation ({args.sim_hours:,.0f} h each, {took:.1f} s)")
    head = ("hour", "λ/h", "N", "A", "formula", "sim", "diff", "ASA f", "ASA s", "calls")
    print("{:<10} {:>6} {:>3} {:>6} {:>8} {:>8} {:>7} {:>7} {:>7} {:>9}".format(*head))
    worst = 0.0
    for r in rows:
        worst = max(worst, abs(r["difference"]))
        erlangs = r["rate"] * result.aht_minutes / 60
        print(
            f"{r['label']:<10} {r['rate']:>6.2f} {r['agents']:>3} {erlangs:>6.2f} "
            f"{r['formula_sl']:>8.3f} {r['simulated_sl']:>8.3f} {r['difference']:>+7.3f} "
            f"{r['formula_asa_minutes']:>6.1f}m {r['simulated_asa_minutes']:>6.1f}m "
            f"{r['calls']:>9,}"
        )
    print(f"largest |difference|: {worst:.3f} (tolerance ±0.02)")
    table, sim, cv = replay(result, args)
    print(
        "\n2. Erlang C vs replay of the real arrivals "
        f"(N = required per hour; handle-time CV {cv:.2f}, exponential = 1)"
    )
    print(f"{'hour':<10} {'calls':>6} {'N':>3} {'formula':>8} {'replay':>8} {'diff':>7}")
    for label, calls, n, formula, within, diff in table:
        print(f"{label:<10} {calls:>6} {n!s:>3} {formula:>8.3f} {within:>8.3f} {diff:>+7.3f}")
    print(
        f"replay mean wait {sim.mean_wait * 60:.1f} min, "
        f"utilisation of the required N {sim.utilisation:.2f}"
    )


if __name__ == "__main__":
    main()
