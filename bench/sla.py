"""SLA engine throughput: business-time additions per second, and one sweep over 1M open clocks.

    .venv/bin/python bench/sla.py [--clocks 1000000] [--due-share 0.005] [--reuse]
    .venv/bin/python bench/sla.py --database-url postgres://postgres@127.0.0.1:5432/backline_bench

(a) Additions per second on one core: Europe/Berlin Mon–Fri 08:00–18:00 with the public holidays
of Bavaria (the approach of bench/sla_calendar.py, whose `measure` this reuses).

(b) One `sla.services.sla_sweep(now=...)` over `--clocks` running clocks: the bench database gets
`--clocks / 2` minimal open P3 tickets with a first-response and a resolution clock each, inserted
with bulk_create in batches of 10,000. Most clocks are far from due; `--due-share` of them are due:
half past their warning only, half past warning and due time (a warning and a breach each). The
sweep is timed once, with its SQL grouped by statement kind, so a slow sweep shows where its time
goes. `--reuse` keeps a database built earlier (the clocks the last sweep fired are reset first).

Databases: SQLite in `--data-dir` (default: a `backline-bench-sla` directory under the system temp
dir, or `$BACKLINE_DATA_DIR/bench-sla` when that is set; never the application's own database),
or `--database-url` for PostgreSQL: use a throwaway database name, it is created when missing and
its tickets and clocks are replaced. Issue 4 asks for >= 100,000 additions/s and a sweep over 1M
clocks in under 10 s on SQLite and PostgreSQL.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

BATCH = 10_000
NOW = datetime(2026, 11, 18, 12, 0, tzinfo=UTC)  # a Wednesday noon: the sweep's "now"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clocks", type=int, default=1_000_000, help="open clocks to sweep")
    parser.add_argument("--due-share", type=float, default=0.005, help="share of clocks due")
    parser.add_argument("--reuse", action="store_true", help="keep a bench database built before")
    parser.add_argument("--database-url", help="PostgreSQL URL of a throwaway database")
    parser.add_argument("--data-dir", help="where the SQLite bench database lives")
    parser.add_argument("--seconds", type=float, default=1.5, help="time per calendar measurement")
    parser.add_argument("--skip-sweep", action="store_true", help="only the calendar arithmetic")
    return parser.parse_args()


def configure(args: argparse.Namespace) -> str:
    """Point Django at the bench database before it starts; returns a description of it."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backline.config.settings")
    if args.database_url:
        create_postgres_database(args.database_url)
        os.environ["DATABASE_URL"] = args.database_url
        return args.database_url
    os.environ.pop("DATABASE_URL", None)
    if args.data_dir:
        data = Path(args.data_dir)
    elif os.environ.get("BACKLINE_DATA_DIR"):
        data = Path(os.environ["BACKLINE_DATA_DIR"]) / "bench-sla"
    else:
        data = Path(tempfile.gettempdir()) / "backline-bench-sla"
    data.mkdir(parents=True, exist_ok=True)
    os.environ["BACKLINE_DATA_DIR"] = str(data)
    return str(data / "backline.sqlite3")


def create_postgres_database(url: str) -> None:
    """CREATE DATABASE when missing (connecting to the server's `postgres` database)."""
    import psycopg
    from psycopg import sql

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    if not name or name in ("postgres", "template0", "template1"):
        raise SystemExit("--database-url must name a throwaway database, e.g. backline_bench")
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        found = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not found:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            print(f"created database {name}")


# --- (a) calendar arithmetic -----------------------------------------------------------------


def calendar_rows(seconds: float) -> list[tuple[str, str, str]]:
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import sla_calendar

    from backline.sla.calendar import Calendar, holiday_dates

    bavaria = Calendar.business_hours(
        "Europe/Berlin", "08:00-18:00", holidays=holiday_dates("DE", range(2026, 2029), "BY")
    )
    rng = sla_calendar.random.Random(4)
    starts = sla_calendar.random_instants(rng, sla_calendar.SAMPLES)
    targets = sla_calendar.random_targets(rng, sla_calendar.SAMPLES, 600)
    pairs = list(zip(starts, targets, strict=True))

    def additions() -> None:
        for start, minutes in pairs:
            sla_calendar.add_business_minutes(bavaria, start, minutes)

    per_second = sla_calendar.rate(additions, seconds)
    return [
        (
            "add_business_minutes, Berlin Mon–Fri 08–18 + BY holidays, 1 core",
            f"{per_second:,.0f} /s",
            "target >= 100,000 /s",
        )
    ]


# --- (b) the sweep ---------------------------------------------------------------------------


def progress(label: str, done: int, total: int, started: float) -> None:
    rate = done / max(time.perf_counter() - started, 1e-9)
    end = "\n" if done >= total else ""
    print(f"\r  {label}: {done:,}/{total:,} ({rate:,.0f}/s)", end=end, file=sys.stderr, flush=True)


def build(clocks: int, due_share: float) -> None:
    """Replace the bench tickets and clocks with `clocks` running ones (two per ticket).

    Rows are minimal and written with executemany in batches of 10,000 (bulk_create is held to
    ~40 rows a statement by SQLite's variable limit on a table as wide as tickets)."""
    from django.core.management.color import no_style
    from django.db import connection, transaction

    from backline.accounts.models import User
    from backline.sla.choices import ClockState, Target
    from backline.sla.models import SlaClock, SlaPolicy
    from backline.tickets.choices import Status
    from backline.tickets.models import Ticket

    policy = SlaPolicy.objects.get(name="P3 Moderate")
    requester, _ = User.objects.get_or_create(
        username="bench-requester", defaults={"role": "requester", "first_name": "Bench"}
    )
    print("  removing earlier bench rows…", file=sys.stderr)
    _truncate()
    created = NOW - timedelta(hours=2)
    ticket = Ticket(
        title="bench",
        requester=requester,
        priority=3,
        status=Status.IN_PROGRESS,
        created_at=created,
        updated_at=created,
    )
    clock = SlaClock(
        ticket_id=0,
        policy=policy,
        target=Target.RESOLUTION,
        target_minutes=0,
        state=ClockState.RUNNING,
        started_at=created,
        running_since=created,
    )
    ticket_sql, ticket_row = _template(connection, ticket)
    clock_sql, clock_row = _template(connection, clock)
    clock_fields = [f.attname for f in SlaClock._meta.concrete_fields]
    at = {name: clock_fields.index(name) for name in ("id", "ticket_id", "target", "due_at")}
    at |= {name: clock_fields.index(name) for name in ("warn_at", "target_minutes")}
    due_field = SlaClock._meta.get_field("due_at")
    prepared: dict[datetime, object] = {}

    def prep(value: datetime) -> object:
        if value not in prepared:
            prepared[value] = due_field.get_db_prep_save(value, connection)
        return prepared[value]

    minutes = {
        Target.FIRST_RESPONSE: policy.first_response_minutes,
        Target.RESOLUTION: policy.resolution_minutes,
    }
    due_every = max(1, round(1 / due_share)) if due_share > 0 else 0
    started = time.perf_counter()
    n = 0
    while n < clocks:
        size = min(BATCH, clocks - n)
        tickets, rows = [], []
        for k in range(n + 1, n + size + 1):
            ticket_id = (k + 1) // 2
            if k % 2:
                tickets.append((ticket_id, *ticket_row[1:]))
            target = Target.FIRST_RESPONSE if k % 2 else Target.RESOLUTION
            # Far from due by default; every `due_every`-th clock is due for a warning only
            # (odd ones) or for a warning and a breach (even ones).
            due, warn = NOW + timedelta(days=2 + k % 5), NOW + timedelta(days=1)
            if due_every and k % due_every == 0:
                breach = (k // due_every) % 2 == 0
                due = NOW - timedelta(minutes=5) if breach else NOW + timedelta(hours=1)
                warn = NOW - timedelta(minutes=30)
            row = list(clock_row)
            row[at["id"]], row[at["ticket_id"]], row[at["target"]] = k, ticket_id, target
            row[at["due_at"]], row[at["warn_at"]] = prep(due), prep(warn)
            row[at["target_minutes"]] = minutes[target]
            rows.append(row)
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.executemany(ticket_sql, tickets)
            cursor.executemany(clock_sql, rows)
        n += size
        progress("clocks (and their tickets)", n, clocks, started)
    with connection.cursor() as cursor:
        for statement in connection.ops.sequence_reset_sql(no_style(), [Ticket, SlaClock]):
            cursor.execute(statement)


def _template(connection, obj) -> tuple[str, list]:
    """INSERT of every concrete column, and the row of `obj` prepared for the database."""
    fields = obj._meta.concrete_fields
    quote = connection.ops.quote_name
    columns = ", ".join(quote(f.column) for f in fields)
    marks = ", ".join(["%s"] * len(fields))
    sql = f"INSERT INTO {quote(obj._meta.db_table)} ({columns}) VALUES ({marks})"  # noqa: S608
    row = [f.get_db_prep_save(f.pre_save(obj, add=True), connection) for f in fields]
    return sql, row


def _truncate() -> None:
    """Empty the bench's tables fast (the ORM deletes 1M rows one cascade at a time)."""
    from django.db import connection

    from backline.sla.models import ClockPause, SlaClock
    from backline.tickets.models import Ticket, TicketEvent

    tables = [m._meta.db_table for m in (ClockPause, SlaClock, TicketEvent, Ticket)]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"TRUNCATE {', '.join(tables)} CASCADE")
        else:
            for table in tables:
                cursor.execute(f"DELETE FROM {table}")  # noqa: S608 (model tables)


def reset_fired() -> None:
    """Undo what an earlier sweep recorded, so a reused database sweeps the same work again."""
    from backline.sla.models import SlaClock
    from backline.tickets.choices import EventKind
    from backline.tickets.models import Ticket, TicketEvent

    TicketEvent.objects.filter(kind__in=[EventKind.SLA_WARNING, EventKind.SLA_BREACHED]).delete()
    SlaClock.objects.filter(warn_at__lte=NOW).update(warned_at=None, breached_at=None)
    if hasattr(Ticket, "sla_state"):
        Ticket.objects.exclude(sla_state="").update(sla_state="", sla_due_at=None)


class QueryClock:
    """Counts and times the SQL run while it is installed, by statement kind."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)
        self.count: dict[str, int] = defaultdict(int)

    def __call__(self, execute, sql, params, many, context):
        kind = sql.lstrip().split(None, 1)[0].upper() if sql.strip() else "?"
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.seconds[kind] += time.perf_counter() - started
            self.count[kind] += 1


def sweep_rows(args: argparse.Namespace, where: str) -> list[tuple[str, str, str]]:
    from django.core.management import call_command
    from django.db import connection

    from backline.sla import services
    from backline.sla.choices import ClockState
    from backline.sla.models import SlaClock

    call_command("migrate", verbosity=0)
    running = SlaClock.objects.filter(state=ClockState.RUNNING).count()
    if args.reuse and running >= args.clocks:
        print(f"  reusing {running:,} running clocks in {where}", file=sys.stderr)
        reset_fired()
    else:
        build(args.clocks, args.due_share)
        running = SlaClock.objects.filter(state=ClockState.RUNNING).count()
    due_warn = SlaClock.objects.filter(state=ClockState.RUNNING, warn_at__lte=NOW).count()
    due_breach = SlaClock.objects.filter(state=ClockState.RUNNING, due_at__lte=NOW).count()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    queries = QueryClock()
    with connection.execute_wrapper(queries):
        started = time.perf_counter()
        counts = services.sla_sweep(now=NOW)
        seconds = time.perf_counter() - started
    fired = counts["warned"] + counts["breached"]
    sql_seconds = sum(queries.seconds.values())
    total_queries = sum(queries.count.values())
    rows = [
        (
            f"sweep over {running:,} running clocks ({connection.vendor})",
            f"{seconds:.2f} s",
            "< 10 s",
        ),
        (
            "  recorded warnings / breaches",
            f"{counts['warned']:,} / {counts['breached']:,}",
            f"due: {due_warn:,} / {due_breach:,}",
        ),
        (
            "  SQL statements, time in SQL",
            f"{total_queries:,}, {sql_seconds:.2f} s",
            f"{total_queries / max(fired, 1):.1f} per fired clock",
        ),
        (
            "  time per fired clock",
            f"{seconds / max(fired, 1) * 1000:.2f} ms",
            f"Python outside SQL: {seconds - sql_seconds:.2f} s",
        ),
    ]
    rows += [
        (f"    {kind}", f"{queries.seconds[kind]:.2f} s", f"{queries.count[kind]:,} statements")
        for kind in sorted(queries.seconds, key=queries.seconds.get, reverse=True)
    ]
    return rows


def main() -> None:
    args = parse_args()
    where = configure(args)
    import django

    django.setup()
    rows = calendar_rows(args.seconds)
    if not args.skip_sweep:
        rows += sweep_rows(args, where)
    width = max(len(r[0]) for r in rows)
    print(f"database: {where}")
    print(f"{'measurement':<{width}}  {'result':>22}  note")
    for name, result, note in rows:
        print(f"{name:<{width}}  {result:>22}  {note}")


if __name__ == "__main__":
    main()
