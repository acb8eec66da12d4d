"""Worker scaling: what a second `backline worker` process adds, on PostgreSQL.

    .venv/bin/python bench/workers.py [--database-url postgres://postgres@127.0.0.1:5432/backline_workers_bench]
        [--clocks 200000] [--due-share 0.05] [--deliveries 800] [--paced-deliveries 200]
        [--delay-ms 20] [--interval 1] [--sla-repeat 1] [--json PATH]

Each measurement runs the worker's own sweep functions in 1 and then in 2 separate processes
(this script started again with --child), all started first and then released together, and the
wall time runs from that release until every process has finished. Connections are pooled as
in production (the default settings for a DATABASE_URL).

(a) SLA sweep: `--clocks` running clocks (two per ticket, built by bench/sla.py's `build`), of
which `--due-share` are due: all for a warning, half also for a breach. Every process runs
`sla_sweep(now=...)` once, as `run_once` does; the sweep locks each batch of 500 with
SKIP LOCKED, so processes should take different batches. Checked: every due warning and breach
recorded, each exactly once (SLA events per clock in the timeline).

(b) Webhook delivery: `--deliveries` pending deliveries to a local receiver (http.server in a
thread of this process) that answers 200 after `--delay-ms`, like a real endpoint. Two ways:
  drain   each process calls `deliveries_run` back to back until nothing is due: the capacity
          of the delivery sweep itself;
  paced   each process does what `backline worker` does: one `deliveries_run` per round (it
          takes batches until none is due or BACKLINE_WEBHOOK_SWEEP_SECONDS, 10 s, are spent),
          then sleeps `--interval` s (production: BACKLINE_WORKER_INTERVAL, 15 s).
Both use the shipped `webhooks.services` (reservation with SKIP LOCKED, claim on the row itself).
Checked at the receiver: every delivery arrived, each exactly once.

Timings on a machine shared with other work vary by tens of percent from run to run; the table
also shows each process's own CPU seconds, which say how the work was split whatever the load,
and `--sla-repeat 3` reports the median of three SLA runs.

The database (default backline_workers_bench) is created when missing and migrated; its tickets,
clocks and deliveries are replaced (a database holding `--clocks` clocks is reused, the fired
ones reset). Never point it at a database you care about.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/backline_workers_bench"
sys.path.insert(0, str(BENCH_DIR))


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=DEFAULT_URL, help="throwaway PostgreSQL DB")
    parser.add_argument("--clocks", type=int, default=200_000, help="running SLA clocks")
    parser.add_argument("--due-share", type=float, default=0.05, help="share of clocks due")
    parser.add_argument("--deliveries", type=int, default=800, help="pending deliveries (drain)")
    parser.add_argument(
        "--paced-deliveries", type=int, default=200, help="pending deliveries (paced, 0: skip)"
    )
    parser.add_argument("--delay-ms", type=float, default=20, help="receiver's answer delay")
    parser.add_argument("--interval", type=float, default=1.0, help="paced: sleep between rounds")
    parser.add_argument("--processes", default="1,2", help="process counts to compare")
    parser.add_argument(
        "--sla-repeat", type=int, default=1, help="SLA runs per process count (median shown)"
    )
    parser.add_argument("--skip-sla", action="store_true")
    parser.add_argument("--skip-webhooks", action="store_true")
    parser.add_argument("--json", help="write the results here as JSON")
    parser.add_argument("--child", choices=["sla", "drain", "paced"], help=argparse.SUPPRESS)
    return parser.parse_args()


def configure(url: str) -> None:
    """Point Django at the bench database (never the application's own) before setup."""
    os.environ["DJANGO_SETTINGS_MODULE"] = "backline.config.settings"
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("BACKLINE_SECRET_KEY", "bench-only-secret-key-not-for-production")
    data = Path(tempfile.gettempdir()) / "backline-bench-workers"
    data.mkdir(parents=True, exist_ok=True)
    os.environ["BACKLINE_DATA_DIR"] = str(data)
    os.environ.setdefault("BACKLINE_LOG_LEVEL", "WARNING")


# --- child processes -------------------------------------------------------------------------


def child(kind: str, interval: float) -> None:
    """One worker process: set up, say "ready", wait for "go", sweep, print the counts as JSON."""
    import django

    django.setup()
    from django.db import connection

    from backline.audit.context import audit_scope

    connection.ensure_connection()  # the pool is open before the clock starts
    print("ready", flush=True)
    sys.stdin.readline()
    started, cpu = time.perf_counter(), time.process_time()
    with audit_scope("worker"):
        if kind == "sla":
            result = _child_sla()
        else:
            result = _child_webhooks(paced=kind == "paced", interval=interval)
    result["seconds"] = round(time.perf_counter() - started, 3)
    # CPU this process used itself; the rest of its wall time it waited (PostgreSQL, HTTP).
    result["cpu_seconds"] = round(time.process_time() - cpu, 3)
    print(json.dumps(result), flush=True)


def _child_sla() -> dict:
    from sla import NOW

    from backline.sla.services import sla_sweep

    errors = 0
    try:
        counts = sla_sweep(now=NOW)
    except Exception as exc:  # a deadlock or lock timeout is a finding, not a crash
        print(f"sweep failed: {type(exc).__name__}: {exc}", file=sys.stderr)
        counts, errors = {"warned": 0, "breached": 0}, 1
    return {**counts, "errors": errors, "rounds": 1}


def _child_webhooks(*, paced: bool, interval: float) -> dict:
    from django.utils import timezone

    from backline.webhooks.choices import DeliveryStatus
    from backline.webhooks.models import Delivery
    from backline.webhooks.services import deliveries_run

    totals: Counter[str] = Counter()
    rounds = 0
    while True:
        counts = deliveries_run(now=timezone.now())
        rounds += 1
        totals.update(counts)
        sent = sum(counts.get(k, 0) for k in ("delivered", "retrying", "failed"))
        open_ = Delivery.objects.filter(
            status__in=[DeliveryStatus.PENDING, DeliveryStatus.DELIVERING]
        ).exists()
        if not open_:
            break
        if paced:
            time.sleep(interval)  # what run_forever does between rounds
        elif not sent:
            time.sleep(0.02)  # the other process holds the rest; wait for it to finish
    return {**totals, "rounds": rounds}


def run_processes(kind: str, n: int, args: argparse.Namespace) -> tuple[float, list[dict]]:
    """Start n children, release them together, and time until the last one is done."""
    command = [sys.executable, __file__, "--child", kind, "--database-url", args.database_url]
    command += ["--interval", str(args.interval)]
    procs = [
        subprocess.Popen(  # noqa: S603 - this script with its own arguments
            command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        for _ in range(n)
    ]
    for proc in procs:
        line = proc.stdout.readline().strip()  # type: ignore[union-attr]
        if line != "ready":
            raise SystemExit(f"a {kind} worker did not start: {line!r}")
    started = time.perf_counter()
    for proc in procs:
        proc.stdin.write("go\n")  # type: ignore[union-attr]
        proc.stdin.flush()  # type: ignore[union-attr]
    results = []
    for proc in procs:
        out, _ = proc.communicate()
        results.append(json.loads(out.strip().splitlines()[-1]))
    return time.perf_counter() - started, results


# --- (a) SLA sweep -----------------------------------------------------------------------------


def sla_prepare(args: argparse.Namespace) -> tuple[int, int]:
    """Build (or reset) the clocks; returns the due warnings and breaches."""
    import sla
    from django.db import connection

    from backline.sla.choices import ClockState
    from backline.sla.models import SlaClock

    running = SlaClock.objects.filter(state=ClockState.RUNNING).count()
    if running == args.clocks:
        sla.reset_fired()
    else:
        sla.build(args.clocks, args.due_share)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    running_due = SlaClock.objects.filter(state=ClockState.RUNNING)
    return (
        running_due.filter(warn_at__lte=sla.NOW).count(),
        running_due.filter(due_at__lte=sla.NOW).count(),
    )


def sla_check() -> dict[str, int]:
    """SLA events in the timeline, and clocks with more than one of a kind (must be none)."""
    from django.db.models import Count

    from backline.tickets.choices import EventKind
    from backline.tickets.models import TicketEvent

    out = {}
    for name, kind in (("warning", EventKind.SLA_WARNING), ("breach", EventKind.SLA_BREACHED)):
        events = TicketEvent.objects.filter(kind=kind)
        out[f"{name}_events"] = events.count()
        out[f"{name}_duplicates"] = (
            events.values("data__clock").annotate(n=Count("id")).filter(n__gt=1).count()
        )
    return out


def sla_rows(args: argparse.Namespace, counts: list[int]) -> list[dict]:
    rows = []
    for n in counts:
        runs = []
        for _ in range(args.sla_repeat):
            due_warn, due_breach = sla_prepare(args)
            seconds, results = run_processes("sla", n, args)
            check = sla_check()
            once = (
                check["warning_events"] == due_warn
                and check["breach_events"] == due_breach
                and not check["warning_duplicates"]
                and not check["breach_duplicates"]
            )
            runs.append((seconds, results, check, once))
        # The median run: a shared machine makes single timings noisy.
        seconds, results, check, _ = sorted(runs, key=lambda run: run[0])[len(runs) // 2]
        rows.append(
            {
                "measurement": "sla_sweep",
                "processes": n,
                "seconds": round(seconds, 2),
                "runs_seconds": [round(run[0], 2) for run in runs],
                "due_warnings": due_warn,
                "due_breaches": due_breach,
                "per_process": [
                    {
                        k: r.get(k, 0)
                        for k in ("warned", "breached", "errors", "seconds", "cpu_seconds")
                    }
                    for r in results
                ],
                **check,
                "exactly_once": all(run[3] for run in runs),
            }
        )
        print(table_line(rows[-1]), file=sys.stderr, flush=True)
    return rows


# --- (b) webhook deliveries --------------------------------------------------------------------


class Receiver:
    """A local webhook endpoint: counts each delivery id, answers 200 after a fixed delay."""

    def __init__(self, delay: float) -> None:
        self.seen: Counter[str] = Counter()
        lock = threading.Lock()
        seen = self.seen

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.0"

            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                time.sleep(delay)
                with lock:
                    seen[self.headers.get("X-Backline-Delivery", "?")] += 1
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def deliveries_seed(url: str, count: int) -> None:
    """Replace all deliveries with `count` pending ones to `url`, due now."""
    from django.utils import timezone

    from backline.accounts.models import User
    from backline.webhooks.choices import SourceType
    from backline.webhooks.models import Attempt, Delivery, Subscription

    Attempt.objects.all()._raw_delete(Attempt.objects.db)
    Delivery.objects.all()._raw_delete(Delivery.objects.db)
    now = timezone.now()
    user, _ = User.objects.get_or_create(
        username="bench-webhooks", defaults={"role": "admin", "first_name": "Bench"}
    )
    Subscription.objects.filter(name="bench").update(is_active=False)
    sub = Subscription.objects.create(
        name="bench",
        url=url,
        secret="bench-secret",  # noqa: S106 - a local receiver that checks nothing
        event_types=["ticket.created"],
        created_by=user,
        created_at=now,
        updated_at=now,
    )
    Delivery.objects.bulk_create(
        (
            Delivery(
                subscription=sub,
                event_id=f"evt_bench_{i}",
                source_type=SourceType.TICKET,
                source_id=i,
                event_type="ticket.created",
                payload={"id": f"evt_bench_{i}", "kind": "ticket.created", "n": i},
                next_attempt_at=now - timedelta(seconds=1),
                created_at=now,
            )
            for i in range(1, count + 1)
        ),
        batch_size=1000,
    )


def webhook_rows(args: argparse.Namespace, counts: list[int]) -> list[dict]:
    from backline.webhooks.choices import DeliveryStatus
    from backline.webhooks.models import Delivery

    receiver = Receiver(args.delay_ms / 1000)
    rows = []
    try:
        modes = [("drain", args.deliveries), ("paced", args.paced_deliveries)]
        for mode, total in modes:
            if not total:
                continue
            for n in counts:
                deliveries_seed(receiver.url, total)
                receiver.seen.clear()
                seconds, results = run_processes(mode, n, args)
                delivered = Delivery.objects.filter(status=DeliveryStatus.DELIVERED).count()
                rows.append(
                    {
                        "measurement": f"webhooks_{mode}",
                        "processes": n,
                        "deliveries": total,
                        "seconds": round(seconds, 2),
                        "per_second": round(total / seconds, 1),
                        "per_process": [
                            {
                                k: r.get(k, 0)
                                for k in ("delivered", "rounds", "seconds", "cpu_seconds")
                            }
                            for r in results
                        ],
                        "received": sum(receiver.seen.values()),
                        "distinct_received": len(receiver.seen),
                        "marked_delivered": delivered,
                        "exactly_once": len(receiver.seen) == total
                        and all(v == 1 for v in receiver.seen.values())
                        and delivered == total,
                    }
                )
                print(table_line(rows[-1]), file=sys.stderr, flush=True)
    finally:
        receiver.close()
    return rows


# --- report ------------------------------------------------------------------------------------


HEADER = (
    f"{'measurement':<22} {'procs':>5} {'work':>16} {'wall s':>7} {'rate':>9}  "
    f"{'split':<11} {'cpu s per process':<18} once"
)


def print_table(rows: list[dict]) -> None:
    print(HEADER)
    for r in rows:
        print(table_line(r))


def table_line(r: dict) -> str:
    """One row: work done, wall time, rate, how the processes split it, their own CPU time."""
    if r["measurement"] == "sla_sweep":
        work = f"{r['due_warnings']:,}w+{r['due_breaches']:,}b"
        rate = f"{(r['due_warnings'] + r['due_breaches']) / r['seconds']:,.0f}/s"
        split = "/".join(str(p["warned"] + p["breached"]) for p in r["per_process"])
    else:
        work = f"{r['deliveries']:,} deliv."
        rate = f"{r['per_second']:,.1f}/s"
        split = "/".join(str(p["delivered"]) for p in r["per_process"])
    cpu = "/".join(f"{p['cpu_seconds']:.1f}" for p in r["per_process"])
    once = "yes" if r["exactly_once"] else "NO"
    return (
        f"{r['measurement']:<22} {r['processes']:>5} {work:>16} {r['seconds']:>7.2f} "
        f"{rate:>9}  {split:<11} {cpu:<18} {once}"
    )


def main() -> None:
    args = parse_args()
    configure(args.database_url)
    if args.child:
        child(args.child, args.interval)
        return
    import sla

    sla.create_postgres_database(args.database_url)
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    if connection.vendor != "postgresql":
        raise SystemExit("this bench needs PostgreSQL (--database-url)")
    call_command("migrate", verbosity=0)
    counts = [int(n) for n in args.processes.split(",")]
    rows: list[dict] = []
    if not args.skip_sla:
        rows += sla_rows(args, counts)
    if not args.skip_webhooks:
        rows += webhook_rows(args, counts)
    print(f"database: {args.database_url}")
    print_table(rows)
    if args.json:
        Path(args.json).write_text(json.dumps({"args": vars(args), "rows": rows}, indent=2))
        print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
