"""The benchmark suite: one command, a big database, every performance promise in one table.

    make bench [TICKETS=20000]                 # SQLite
    make bench-postgres [TICKETS=20000]        # PostgreSQL
    .venv/bin/python bench/suite.py [--tickets N] [--data-dir DIR] [--database-url URL]
        [--only NAME[,NAME]] [--json PATH] [--runs 40] [--seconds 10] [--workers 2]

The database. SQLite lives in --data-dir (default $TMPDIR/backline-bench-1m-sqlite, or
…-<N> for a smaller --tickets); PostgreSQL is --database-url (default
postgres://postgres@127.0.0.1:5432/backline_bench, created if missing; data dir
$TMPDIR/backline-bench-1m-postgres for the secret key and static files). It is reused when it
holds at least --tickets tickets, else built with `backline generate --tickets N` (build time
printed). Runs write to it: each run's API-create case adds its tickets ("Bench create …"); the
tokens it makes are revoked at the end; the SLA sweep is rolled back; the mined log is deleted.

The server. `backline serve` (gunicorn, production settings: DEBUG off, BACKLINE_ALLOWED_HOSTS,
--workers 2) on a free port. API rate limits are switched off for it
(BACKLINE_API_READS_PER_MINUTE=0, BACKLINE_API_WRITES_PER_MINUTE=0) and every create client has
its own token as well, so the create case measures the server, not the abuse limit. Pages are
fetched with a session from the real login form; the API with tokens of the same users.

Rows (NAME for --only in brackets). Latency rows are one client, sequential, `--runs` requests
(fewer if a row passes 15 s) after two warm-up requests: n, median, p95, and throughput = n ÷
wall time. Rows marked `N clients` run N client processes at once for --seconds.
- ceilings [always run]: GET /healthz (a trivial view) with 4 clients (req/s) and with one
  client (mean latency); GET /readyz (one query) with 4 clients; raw insert = rows/s of one
  executemany of 100k rows (3 int + 1 text) into a scratch table in one transaction.
- [create] POST /api/v1/tickets, 4 client processes with keep-alive connections; tickets/s, p50,
  p95 and the clients' own CPU time (so a saturated client side is visible). Target >= 400/s, p95
  <= 50 ms.
- [queue] /tickets/ as the L2 engineer (tbecker) and the manager (hcarter): first page and page
  1,000 of common filters (team open queue by last update, the team's closed tickets, P1+P2, all
  tickets), and the HTMX fragment (HX-Request). Page 1,000 is read as the app reaches it: with
  the cursor of page 999's Next link (keyset pagination), or by number where the sort has no
  cursor or the list is shorter (then it is past the end); the note says which. Target p95 <= 80.
- [ticket] the ticket whose event count is closest to 50, topped up to 50 with internal notes
  (generated histories stop near 35; done once, later runs find it at 50): the page, and the
  panels it loads lazily (hx-trigger="load"), each request timed in turn. Target p95 <= 60 ms
  (the page).
- [api] GET /api/v1/tickets: first page, a filtered page, page 1,000 by cursor. Target p95 <= 60.
- [search] /search/?q= and /api/v1/search?q= over rotating queries (common word, rare word, two
  words, a number). Target p95 <= 100 ms.
- [suggestions] the ticket's KB suggestions panel, POST /api/v1/search/similar with its text,
  and the new-ticket form's POST /kb/suggest.
- [dashboard] /analytics/?period=182d as the manager. Target <= 1 s (p95).
- [sla] one `sla_sweep(now=now)` in this process, in a transaction that is rolled back.
- [logs] bench/log_ingest.py's synthetic log (--log-mb) attached to a ticket and processed as the
  worker does (`log_process`), lines/s; then deleted.
- [memory] VmRSS of each gunicorn worker after the HTTP cases. Target <= 250 MB.

Ratios, so a noisy machine's numbers stay comparable:
- × trivial lat = the row's median ÷ the mean latency of GET /healthz with one client;
- share trivial rps = the row's throughput ÷ /healthz's req/s with the same 4 clients (concurrent
  rows only);
- share insert = tickets/s (or rows/s) ÷ the raw executemany insert rate.

Output: the table on stdout and JSON (meta, ceilings, every row) at --json, by default
<data dir>/results/<vendor>-<tickets>-<git short sha>.json: results stay out of the repository,
and a later run's file sits beside an earlier one's for comparison. Exit 0 even when targets are
missed (the table says so); 1 on any error, e.g. an unexpected 4xx or 5xx.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
import traceback
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script: `bench` is importable from the checkout
    sys.path.insert(0, str(ROOT))

from bench import suite_db as db  # noqa: E402
from bench.suite_cases import CASES, Context  # noqa: E402
from bench.suite_stats import (  # noqa: E402
    Ceilings,
    Row,
    apply_ratios,
    git_short_sha,
    render_table,
    to_json,
)

NAMES = ("create", "queue", "ticket", "api", "search", "suggestions", "dashboard", "memory")
IN_PROCESS = ("sla", "logs")
ALL = NAMES + IN_PROCESS


def parse_only(value: str) -> tuple[str, ...]:
    """`--only a,b`: known case names, in the suite's order."""
    wanted = {v.strip() for v in value.split(",") if v.strip()}
    unknown = wanted - set(ALL) - {"ceilings"}
    if unknown:
        raise argparse.ArgumentTypeError(
            f"unknown case {', '.join(sorted(unknown))}; choose from {', '.join(ALL)}"
        )
    return tuple(n for n in ALL if n in wanted)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        description="Backline's benchmark suite (see the module docstring)."
    )
    parser.add_argument("--tickets", type=int, default=1_000_000, help="database size")
    parser.add_argument("--seed", type=int, default=7, help="for `backline generate`")
    parser.add_argument("--postgres", action="store_true", help="use the default PostgreSQL URL")
    parser.add_argument("--database-url", default="", help="PostgreSQL URL (implies --postgres)")
    parser.add_argument("--data-dir", type=Path, default=None)
    parser.add_argument("--only", type=parse_only, default=ALL, help="NAME[,NAME]: a subset")
    parser.add_argument("--json", type=Path, default=None, help="where to write the results")
    parser.add_argument("--runs", type=int, default=40, help="requests per latency row")
    parser.add_argument("--seconds", type=float, default=10, help="length of concurrent rows")
    parser.add_argument("--clients", type=int, default=4, help="concurrent client processes")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--log-mb", type=int, default=20, help="size of the mined log")
    return parser


def resolve(args: argparse.Namespace) -> argparse.Namespace:
    """Fill the defaults that depend on other arguments."""
    if args.postgres and not args.database_url:
        args.database_url = db.PG_DEFAULT
    vendor = "postgres" if args.database_url else "sqlite"
    size = "1m" if args.tickets == 1_000_000 else str(args.tickets)
    if args.data_dir is None:
        args.data_dir = Path(tempfile.gettempdir()) / f"backline-bench-{size}-{vendor}"
    args.data_dir = args.data_dir.resolve()
    args.vendor = vendor
    if args.json is None:
        name = f"{vendor}-{args.tickets}-{git_short_sha(ROOT)}.json"
        args.json = args.data_dir / "results" / name
    return args


@dataclass
class Run:
    rows: list[Row]
    meta: dict


def prepare(args: argparse.Namespace) -> tuple[dict[str, str], dict]:
    """Environment, Django, the database (built if too small), static files."""
    env = db.prepare_environment(args.data_dir, args.database_url)
    db.setup_django()
    meta: dict = {"started": datetime.now(UTC).isoformat(timespec="seconds")}
    found = db.ticket_count()
    if found < args.tickets:
        print(f"The database holds {found:,} tickets (< {args.tickets:,}): building it …")
        took = db.build_database(args.tickets, args.seed)
        print(f"Built {args.tickets:,} tickets in {took / 60:.1f} min.")
        meta["build_seconds"] = round(took, 1)
        found = db.ticket_count()
    else:
        print(f"Reusing the database ({found:,} tickets) in {args.data_dir}.")
    started = time.perf_counter()
    db.collect_static()
    print(f"  static files: {time.perf_counter() - started:.0f} s", flush=True)
    meta.update(tickets=found, **db.describe_database())
    return env, meta


def run(args: argparse.Namespace) -> Run:
    env, meta = prepare(args)
    started = time.perf_counter()
    fixtures = db.load_fixtures(creators=args.clients)
    rows = [db.insert_ceiling()]
    print(f"  fixtures and raw inserts: {time.perf_counter() - started:.0f} s", flush=True)
    ctx = Context(args=args, env=env, fixtures=fixtures, rows=rows)
    try:
        measure(ctx)
    finally:
        db.revoke_tokens(fixtures.token_ids)
    meta.update(
        busy_ticket=f"{fixtures.busy_ticket} ({fixtures.busy_events} events)",
        machine=f"{platform.platform()}, {os.cpu_count()} cpus, Python {platform.python_version()}",
        commit=git_short_sha(ROOT),
        workers=args.workers,
        clients=args.clients,
    )
    return Run(rows, meta)


def measure(ctx: Context) -> None:
    """The HTTP cases against one server, then the in-process ones (which write)."""
    args, rows = ctx.args, ctx.rows
    try:
        ctx.start()
        for name in ("ceilings", *[n for n in NAMES if n in args.only]):
            started = time.perf_counter()
            CASES[name](ctx)
            print(f"  {name}: {time.perf_counter() - started:.0f} s", flush=True)
    finally:
        ctx.stop()
    if "sla" in args.only:
        rows.append(db.sla_sweep_row())
    if "logs" in args.only:
        rows.append(db.log_mining_row(ctx.fixtures, args.data_dir / "bench-logs", args.log_mb))


def report(result: Run, args: argparse.Namespace) -> None:
    from rich.console import Console

    ceilings = ceilings_of(result.rows)
    apply_ratios(result.rows, ceilings)
    m = result.meta
    title = (
        f"Backline bench — {m['tickets']:,} tickets on {m['vendor']}, commit {m['commit']}, "
        f"{args.workers} gunicorn workers"
    )
    Console(width=200).print(render_table(result.rows, title))
    print(f"machine: {m['machine']}; busy ticket {m['busy_ticket']}")
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(to_json(result.rows, ceilings, m))
    print(f"JSON: {args.json}")


def ceilings_of(rows: list[Row]) -> Ceilings:
    by_name = {r.name: r for r in rows}
    trivial = by_name.get("GET /healthz")
    single = by_name.get("GET /healthz, one client")
    insert = by_name.get("raw insert (executemany)")
    return Ceilings(
        trivial_rps=trivial.throughput if trivial else None,
        trivial_ms=single.mean_ms if single else None,
        insert_rows_s=insert.throughput if insert else None,
    )


def main(argv: list[str] | None = None) -> int:
    args = resolve(build_parser().parse_args(argv))
    try:
        result = run(args)
    except Exception:  # any failure is the suite's error exit, with the reason printed
        traceback.print_exc()
        return 1
    report(result, args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
