"""The Level 2 dashboard over six months of a 1M-ticket desk: build time, page time, slow SQL.

    .venv/bin/python bench/analytics.py [--tickets 1000000] [--db sqlite|postgres] [--repeat 5]
                                        [--keep]

Generates (or with `--keep` reuses) a bench database: an org of teams in tiers 1–3, categories,
services and users, `--tickets` tickets spread over 24 months with their `TicketFact` rows built
directly (priority mix, ~35 % reaching L2, ~8 % L3, resolution times by priority and tier, ~5 %
open, ~4 % reopened, bounces on ~12 % of escalated tickets with one "bounced" event each, ratings
on ~30 % of resolved, ~90 % of SLA targets met) and ~300 problems with 2–30 incidents each.
Rows go in with executemany (SQLite) or COPY (PostgreSQL) inside one transaction.

Then it times, for a custom 182-day period ending at the data's end, `dashboard.build()` (all
teams, one L2 team, priority 2; min / median / max of `--repeat` runs after a warm-up) and the
full page `GET /analytics/?start=…&end=…&view=all` as a manager, and lists the query count and
the five slowest statements of one build. Issue 10 asks for under 1 s on SQLite and PostgreSQL.

SQLite lives in `backline-bench-analytics` under the temp dir; PostgreSQL uses the database
`backline_bench_analytics` at 127.0.0.1:5432 (user postgres). Both are removed unless `--keep`.
The daily rollups are rebuilt after generating (timed), as `backline analytics rebuild` does.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shutil
import statistics
import sys
import tempfile
import time
import traceback
import warnings
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

PG_ADMIN = "postgres://postgres@127.0.0.1:5432/postgres"
PG_NAME = "backline_bench_analytics"
SQLITE_DIR = Path(tempfile.gettempdir()) / "backline-bench-analytics"
END = datetime(2026, 11, 1, 0, 0)  # noqa: DTZ001 (naive UTC: the data's end)
DAYS = 730
BATCH = 20_000
PRIORITIES, PRIORITY_WEIGHTS = (1, 2, 3, 4), (2, 13, 55, 30)
RESOLVE_MEDIAN_H = {1: 4, 2: 12, 3: 30, 4: 60}  # wall-clock hours, before the tier factor
SOURCES = ("web", "email", "portal", "phone", "chat", "monitoring")
SOURCE_WEIGHTS = (25, 30, 25, 10, 5, 5)
HOUR_WEIGHTS = [1, 1, 1, 1, 1, 2, 4, 10, 18, 20, 19, 17, 12, 16, 18, 16, 12, 8, 5, 3, 2, 2, 1, 1]
CSAT, CSAT_WEIGHTS = (5, 4, 3, 2, 1), (50, 25, 12, 7, 6)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--keep", action="store_true", help="keep (and reuse) the bench database")
    parser.add_argument("--seed", type=int, default=10)
    return parser.parse_args()


def configure(args: argparse.Namespace) -> str:
    """Point Django at a bench database of its own before it starts."""
    os.environ["DJANGO_SETTINGS_MODULE"] = "backline.config.settings"
    os.environ.setdefault("BACKLINE_ALLOWED_HOSTS", "testserver")
    if args.db == "postgres":
        import psycopg
        from psycopg import sql

        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            query = "SELECT 1 FROM pg_database WHERE datname = %s"
            exists = conn.execute(query, [PG_NAME]).fetchone() is not None
            if exists and not args.keep:
                conn.execute(sql.SQL("DROP DATABASE {}").format(sql.Identifier(PG_NAME)))
                exists = False
            if not exists:
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(PG_NAME)))
        os.environ["DATABASE_URL"] = PG_ADMIN.rsplit("/", 1)[0] + "/" + PG_NAME
        os.environ["BACKLINE_CONN_MAX_AGE"] = "0"
        return os.environ["DATABASE_URL"]
    os.environ.pop("DATABASE_URL", None)
    if SQLITE_DIR.exists() and not args.keep:
        shutil.rmtree(SQLITE_DIR)
    SQLITE_DIR.mkdir(parents=True, exist_ok=True)
    os.environ["BACKLINE_DATA_DIR"] = str(SQLITE_DIR)
    return str(SQLITE_DIR / "backline.sqlite3")


def drop(args: argparse.Namespace) -> None:
    from django.db import connections

    connections.close_all()
    if args.db == "postgres":
        import psycopg

        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{PG_NAME}"')
    else:
        shutil.rmtree(SQLITE_DIR, ignore_errors=True)


def machine(vendor: str) -> str:
    import sqlite3

    from django.db import connection

    cpuinfo = Path("/proc/cpuinfo").read_text().splitlines()
    cpu = next((x.split(":", 1)[1].strip() for x in cpuinfo if x.startswith("model name")), "?")
    meminfo = Path("/proc/meminfo").read_text().splitlines()
    mem = next(int(x.split()[1]) for x in meminfo if x.startswith("MemTotal"))
    parts = [
        f"CPU {cpu}, {os.cpu_count()} cores, {mem / 2**20:.1f} GB RAM",
        f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}",
    ]
    if vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            parts.append(f"PostgreSQL {cursor.fetchone()[0]}")
    return "; ".join(parts)


# --- generating ------------------------------------------------------------------------------


def insert(model, names: list[str], rows: list[list]) -> None:
    """Insert rows (values for the columns `names`) with COPY on PostgreSQL, else executemany."""
    from django.db import connection

    table = model._meta.db_table
    columns = [model._meta.get_field(n).column for n in names]
    if connection.vendor == "postgresql":
        raw = connection.connection.cursor()
        with raw.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        return
    marks = ", ".join(["%s"] * len(columns))
    with connection.cursor() as cursor:
        cursor.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", rows)  # noqa: S608


def org(rng: random.Random) -> dict:
    from backline.accounts.models import Team, TeamMembership, User
    from backline.cmdb.models import Service
    from backline.tickets.models import Category

    teams: dict[int, list[int]] = {1: [], 2: [], 3: []}
    names = {1: ["Service Desk North", "Service Desk South", "Chat Desk"],
             2: ["Workplace", "Network", "Identity", "Business Apps", "Collaboration", "Printing"],
             3: ["Platform Engineering", "Database", "ERP Vendor", "Security"]}  # fmt: skip
    manager = User.objects.create_user("bench-manager", password="x", role="manager")  # noqa: S106
    for tier, tier_names in names.items():
        for name in tier_names:
            team = Team.objects.create(name=name, slug=name.lower().replace(" ", "-"), tier=tier)
            teams[tier].append(team.pk)
            for i in range(6 if tier == 1 else 4):
                agent = User.objects.create_user(f"{team.slug}-{i}", role="agent")
                TeamMembership.objects.create(user=agent, team=team)
    parents = [Category.objects.create(name=n, slug=f"bench-{n.lower()}") for n in
               ("Hardware", "Software", "Access", "Network", "Request")]  # fmt: skip
    for i in range(15):
        Category.objects.create(
            name=f"Topic {i + 1}", slug=f"bench-topic-{i + 1}", parent=parents[i % 5]
        )
    for i in range(30):
        Service.objects.create(name=f"Service {i + 1:02d}", owner_team_id=rng.choice(teams[2]))
    requesters = User.objects.bulk_create(
        [User(username=f"bench-req-{i}", role="requester") for i in range(500)]
    )
    return {
        "teams": teams,
        "manager": manager,
        "categories": list(Category.objects.values_list("id", flat=True)),
        "services": list(Service.objects.values_list("id", flat=True)),
        "requesters": [u.pk for u in requesters],
    }


def lognormal(rng: random.Random, median_s: float, sigma: float = 0.9) -> int:
    return max(30, int(median_s * rng.lognormvariate(0, sigma)))


def local_day(at: datetime | None, tz: ZoneInfo):
    return at.replace(tzinfo=UTC).astimezone(tz).date() if at is not None else None


def ticket_and_fact(k: int, at: datetime, rng: random.Random, o: dict, tz: ZoneInfo) -> tuple:
    """The Ticket row, the TicketFact row and the bounce event (or None) of ticket `k`."""
    teams = o["teams"]
    priority = rng.choices(PRIORITIES, PRIORITY_WEIGHTS)[0]
    roll = rng.random()
    max_tier = 3 if roll < 0.08 else 2 if roll < 0.35 else 1
    tiers = (1, 3, 7)[max_tier - 1]
    escalations = max_tier - 1
    bounced = escalations and rng.random() < 0.12
    bounces = (2 if rng.random() < 0.15 else 1) if bounced else 0
    escalations += bounces
    t1_team = rng.choice(teams[1])
    team = rng.choice(teams[max_tier])
    local = at.replace(tzinfo=UTC).astimezone(tz)
    age_days = (END - at).total_seconds() / 86400
    open_p = 0.5 if age_days < 14 else 0.15 if age_days < 60 else 0.03
    resolve_s = lognormal(rng, RESOLVE_MEDIAN_H[priority] * 3600 * (1, 2, 3.5)[max_tier - 1])
    resolved_at = at + timedelta(seconds=resolve_s)
    is_open = rng.random() < open_p or resolved_at >= END
    reopened = not is_open and rng.random() < 0.04
    first_response_s = lognormal(rng, 900) if not (is_open and rng.random() < 0.2) else None
    accept_t2 = lognormal(rng, 2400) if max_tier >= 2 else None
    accept_t3 = lognormal(rng, 5400) if max_tier == 3 else None
    met = lambda p: 1 if rng.random() < p else 0  # noqa: E731
    cancelled = not is_open and rng.random() < 0.02
    done = not is_open
    resolved = done and not cancelled
    status = (
        rng.choice(("new", "assigned", "in_progress")) if is_open
        else "cancelled" if cancelled
        else "closed" if resolved_at < END - timedelta(days=7) else "resolved"
    )  # fmt: skip
    csat = rng.choices(CSAT, CSAT_WEIGHTS)[0] if resolved and rng.random() < 0.3 else None
    first_resolved = (
        at + timedelta(seconds=resolve_s * 0.6 if reopened else resolve_s) if resolved else None
    )
    fact = {
        "ticket_id": k, "created_at": at, "created_day": local.date(),
        "created_how": local.weekday() * 24 + local.hour, "priority": priority,
        "category_id": rng.choice(o["categories"]), "service_id": rng.choice(o["services"]),
        "team_id": team, "source": rng.choices(SOURCES, SOURCE_WEIGHTS)[0], "status": status,
        "is_open": is_open, "tiers": tiers, "max_tier": max_tier, "escalations": escalations,
        "bounces": bounces, "l1_capable": max_tier >= 2 and rng.random() < 0.2,
        "first_response_s": first_response_s, "accept_wait_t2_s": accept_t2,
        "accept_wait_t3_s": accept_t3,
        "first_resolved_at": first_resolved,
        "first_resolved_day": local_day(first_resolved, tz),
        "resolved_day": local_day(resolved_at if resolved else None, tz),
        "resolved_at": resolved_at if resolved else None,
        "resolve_s": resolve_s if resolved else None,
        "resolve_business_min": round(resolve_s / 60 * rng.uniform(0.25, 0.45), 1)
        if resolved else None,
        "resolved_tier": max_tier if resolved else None,
        "resolved_team_id": team if resolved else None,
        "done_at": resolved_at if done else None, "reopened": reopened,
        "kb_used": resolved and max_tier == 1 and rng.random() < 0.25,
        "sla_response": met(0.95) if first_response_s else None,
        "sla_resolution": met(0.9) if resolved else None, "ola_accept_t1": met(0.93),
        "ola_accept_t2": met(0.9) if accept_t2 else None,
        "ola_accept_t3": met(0.88) if accept_t3 else None,
        "ola_resolve_t1": met(0.9) if resolved and max_tier == 1 else None,
        "ola_resolve_t2": met(0.87) if resolved and max_tier == 2 else None,
        "ola_resolve_t3": met(0.85) if resolved and max_tier == 3 else None,
        "csat": csat, "work_minutes": rng.randint(5, 240), "refreshed_at": END,
    }  # fmt: skip
    ticket = {
        "id": k, "title": f"Bench ticket {k}", "requester_id": rng.choice(o["requesters"]),
        "category_id": fact["category_id"], "priority": priority, "status": status,
        "tier": max_tier, "team_id": team, "service_id": fact["service_id"],
        "source": fact["source"], "created_at": at, "updated_at": fact["done_at"] or at,
        "first_response_at": at + timedelta(seconds=first_response_s) if first_response_s else None,
        "resolved_at": fact["resolved_at"],
        "closed_at": fact["resolved_at"] + timedelta(days=7) if status == "closed" else None,
        "resolution_code": "fixed" if resolved else "", "reopen_count": int(reopened),
    }  # fmt: skip
    event = None
    if bounced:
        src, dst = team, t1_team if max_tier == 2 else rng.choice(teams[2])
        bounce_at = at + timedelta(seconds=(accept_t2 or 600) + rng.randint(600, 7200))
        data = json.dumps({"from_team": {"id": src}, "to_team": {"id": dst}})
        event = [k, "bounced", bounce_at, False, data]
    return ticket, fact, event


def generate(n: int, seed: int) -> None:
    from django.db import connection, transaction

    from backline.analytics.models import TicketFact
    from backline.tickets.models import Ticket, TicketEvent

    rng = random.Random(seed)
    tz = ZoneInfo("Europe/Berlin")
    o = org(rng)
    base = Ticket(title="", requester_id=o["requesters"][0], created_at=END, updated_at=END)
    t_names = [f.attname for f in Ticket._meta.concrete_fields]
    t_base = [getattr(base, name) for name in t_names]
    f_names = [f.attname for f in TicketFact._meta.concrete_fields]
    e_names = ["ticket_id", "kind", "at", "is_internal", "data"]
    # Creation times: weekdays and office hours dominate; ids rise with time.
    start = END - timedelta(days=DAYS)
    stamps = []
    for _ in range(n):
        day = rng.randrange(DAYS)
        while (start + timedelta(days=day)).weekday() >= 5 and rng.random() < 0.75:
            day = rng.randrange(DAYS)
        hour = rng.choices(range(24), HOUR_WEIGHTS)[0]
        stamps.append(day * 86400 + hour * 3600 + rng.randrange(3600))
    stamps.sort()
    started = time.perf_counter()
    with transaction.atomic():
        for first in range(0, n, BATCH):
            t_rows, f_rows, e_rows = [], [], []
            for k in range(first + 1, min(n, first + BATCH) + 1):
                at = start + timedelta(seconds=stamps[k - 1])
                ticket, fact, event = ticket_and_fact(k, at, rng, o, tz)
                row = list(t_base)
                for i, name in enumerate(t_names):
                    if name in ticket:
                        row[i] = ticket[name]
                t_rows.append(row)
                f_rows.append([fact[name] for name in f_names])
                if event:
                    e_rows.append(event)
            insert(Ticket, t_names, t_rows)
            insert(TicketFact, f_names, f_rows)
            insert(TicketEvent, e_names, e_rows)
            done = first + len(t_rows)
            rate = done / (time.perf_counter() - started)
            end = "\n" if done >= n else ""
            print(f"\r  tickets + facts: {done:,}/{n:,} ({rate:,.0f}/s)", end=end, file=sys.stderr)
        problems(rng, n, o)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT setval(pg_get_serial_sequence('tickets_ticket', 'id'), %s)", [n])


def problems(rng: random.Random, n: int, o: dict) -> None:
    from backline.problems.models import Problem, ProblemIncident

    at = datetime(2026, 1, 1, tzinfo=UTC)
    made = Problem.objects.bulk_create(
        [
            Problem(
                title=f"Recurring fault {i}",
                created_by=o["manager"],
                created_at=at,
                updated_at=at,
                team_id=rng.choice(o["teams"][2]),
            )
            for i in range(300)
        ]
    )
    links = [
        ProblemIncident(problem=problem, ticket_id=ticket, linked_by=o["manager"], linked_at=at)
        for problem in made
        for ticket in {rng.randint(1, n) for _ in range(rng.randint(2, 30))}
    ]
    ProblemIncident.objects.bulk_create(links, batch_size=2000)


# --- measuring -------------------------------------------------------------------------------


def timed(call, repeat: int) -> list[float]:
    call()  # warm-up
    out = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        out.append(time.perf_counter() - started)
    return out


def measure(args: argparse.Namespace) -> None:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from backline.accounts.models import User
    from backline.analytics import dashboard
    from backline.analytics.filters import parse
    from backline.analytics.models import TicketFact

    last = (
        END.replace(tzinfo=UTC).astimezone(ZoneInfo("Europe/Berlin")) - timedelta(days=1)
    ).date()
    params = {"start": (last - timedelta(days=181)).isoformat(), "end": last.isoformat()}
    filters = parse(params)
    team = (
        TicketFact.objects.filter(max_tier=2).values("team_id").order_by("team_id").first() or {}
    ).get("team_id")
    variants = {
        "build(): all teams": filters,
        f"build(): team {team} (L2)": parse({**params, "team": team}),
        "build(): priority 2": parse({**params, "priority": 2}),
    }
    results = {
        label: timed(lambda f=f: dashboard.build(f), args.repeat) for label, f in variants.items()
    }
    client = Client()
    client.force_login(User.objects.get(username="bench-manager"))
    url = f"/analytics/?start={params['start']}&end={params['end']}&view=all"

    def page() -> None:
        response = client.get(url)
        if response.status_code != 200:
            raise SystemExit(f"GET {url} answered {response.status_code}")

    try:
        results[f"GET {url}"] = timed(page, args.repeat)
    except Exception as exc:  # the page is someone's work in progress: report, go on
        print(f"GET {url} failed: {type(exc).__name__}: {exc}")
    by_caller: dict[str, list[float]] = defaultdict(lambda: [0, 0.0])

    def blame(execute, sql, params, many, context):  # SQL time per analytics function
        caller = next(
            (f"{f.f_code.co_name}()" for f, _ in traceback.walk_stack(None)
             if "backline/analytics/" in f.f_code.co_filename),
            "other",
        )  # fmt: skip
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            by_caller[caller][0] += 1
            by_caller[caller][1] += time.perf_counter() - started

    with CaptureQueriesContext(connection) as captured, connection.execute_wrapper(blame):
        data = dashboard.build(filters)
    queries = sorted(captured.captured_queries, key=lambda q: -float(q["time"]))
    total_sql = sum(float(q["time"]) for q in captured.captured_queries)
    s = data["summary"]
    print(f"\nperiod {params['start']} … {params['end']} (182 days): {s['created']:,} created, "
          f"{s['resolved']:,} resolved, backlog {s['backlog']:,}")  # fmt: skip
    print(f"one build(): {len(captured.captured_queries)} queries, {total_sql:.3f} s in SQL")
    ranked = sorted(by_caller.items(), key=lambda kv: -kv[1][1])
    print("SQL time by caller: " + ", ".join(f"{k} {n}× {t:.3f} s" for k, (n, t) in ranked))
    print("slowest 5 statements:")
    for q in queries[:5]:
        sql = " ".join(q["sql"].split())
        print(f"  {float(q['time']):7.3f} s  {sql[:300]}{' …' if len(sql) > 300 else ''}")
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"dashboard, 182 days of {args.tickets:,} tickets ({connection.vendor})")
    for column in ("what", "runs", "min s", "median s", "max s", "target"):
        table.add_column(column, justify="left" if column == "what" else "right")
    for label, values in results.items():
        low, mid, high = min(values), statistics.median(values), max(values)
        table.add_row(label, str(len(values)), f"{low:.3f}", f"{mid:.3f}", f"{high:.3f}", "< 1 s")
    Console(width=140).print(table)


def main() -> None:
    args = parse_args()
    where = configure(args)
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
    import django

    django.setup()
    warnings.filterwarnings("ignore", message="No directory at")  # static files are not built
    from django.conf import settings

    static = "django.contrib.staticfiles.storage.StaticFilesStorage"  # no collected manifest
    settings.STORAGES = {**settings.STORAGES, "staticfiles": {"BACKEND": static}}
    from django.core.management import call_command
    from django.db import connection

    from backline.analytics.models import TicketFact
    from backline.analytics.services import rollups_rebuild

    print(machine(connection.vendor))
    print(f"database: {where}")
    call_command("migrate", verbosity=0)
    have = TicketFact.objects.count()
    if have != args.tickets:
        if have:
            raise SystemExit(f"the kept database holds {have:,} tickets; run without --keep")
        started = time.perf_counter()
        generate(args.tickets, args.seed)
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")
        print(f"generated {args.tickets:,} tickets in {time.perf_counter() - started:.0f} s")
        started = time.perf_counter()
        rows = rollups_rebuild()
        print(f"daily rollups: {rows:,} rows in {time.perf_counter() - started:.1f} s")
    else:
        print(f"reusing {have:,} tickets")
    try:
        measure(args)
    finally:
        if not args.keep:
            drop(args)


if __name__ == "__main__":
    main()
