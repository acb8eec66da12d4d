"""Latency of the pages people live in, against the database in BACKLINE_DATA_DIR / DATABASE_URL.

    BACKLINE_DATA_DIR=var .venv/bin/python bench/pages.py [--runs 50]

Uses Django's test client in-process (no HTTP server), so the numbers are the application's own
time per request: queries, rendering, serialisation. Prints median and p95 in milliseconds and the
number of SQL queries each request ran. Needs a populated database (`make demo` or
`backline demo-data`).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backline.config.settings")
os.environ.setdefault("BACKLINE_ALLOWED_HOSTS", "testserver")

import django

django.setup()

from django.db import connection, reset_queries, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from backline.accounts.models import User  # noqa: E402
from backline.accounts.services import token_create  # noqa: E402
from backline.tickets.models import Ticket  # noqa: E402


def measure(name: str, call, runs: int) -> dict:
    call()  # warm caches and templates
    with CaptureQueriesContext(connection) as queries:
        call()
    query_count = len(queries.captured_queries)  # read now: later requests clear the log
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        response = call()
        times.append((time.perf_counter() - start) * 1000)
        if response.status_code not in (200, 201):
            raise SystemExit(f"{name}: HTTP {response.status_code}")
    times.sort()
    return {
        "name": name,
        "median_ms": round(statistics.median(times), 1),
        "p95_ms": round(times[int(len(times) * 0.95) - 1], 1),
        "queries": query_count,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    args = parser.parse_args()

    with transaction.atomic():
        run(args)
        transaction.set_rollback(True)


def run(args: argparse.Namespace) -> None:
    """Measure every case; the caller rolls back what they wrote (the token, created tickets)."""
    agent = User.objects.filter(role="agent", memberships__team__tier=2).first()
    if agent is None or not Ticket.objects.exists():
        raise SystemExit("No data: run `make demo` or `backline demo-data` first.")
    web = Client()
    web.force_login(agent)
    _, secret = token_create(user=agent, name="bench")
    api = Client(HTTP_AUTHORIZATION=f"Bearer {secret}")
    busiest = Ticket.objects.order_by("-version").first()
    total = Ticket.objects.count()
    last_page = max(1, (total + 49) // 50)
    counter = iter(range(10**9))

    cases = [
        ("queue: all open, first page", lambda: web.get("/tickets/?queue=open")),
        ("queue: all tickets, first page", lambda: web.get("/tickets/?queue=all")),
        ("queue: all tickets, last page", lambda: web.get(f"/tickets/?queue=all&page={last_page}")),
        ("queue: text filter", lambda: web.get("/tickets/?queue=all&q=crm")),
        (
            "queue: htmx fragment, P2 in L2",
            lambda: web.get("/tickets/?queue=all&priority=2&tier=2", HTTP_HX_REQUEST="true"),
        ),
        (f"ticket page ({busiest.number})", lambda: web.get(f"/tickets/{busiest.number}/")),
        ("api: list 50", lambda: api.get("/api/v1/tickets?page_size=50")),
        ("api: get ticket", lambda: api.get(f"/api/v1/tickets/{busiest.number}")),
        (
            "api: create",
            lambda: api.post(
                "/api/v1/tickets",
                data=json.dumps({"title": f"bench {next(counter)}"}),
                content_type="application/json",
            ),
        ),
    ]
    reset_queries()
    results = [measure(name, call, args.runs) for name, call in cases]
    if args.json:
        print(
            json.dumps(
                {"tickets": total, "vendor": connection.vendor, "results": results}, indent=2
            )
        )
        return
    print(f"{total} tickets on {connection.vendor}, {args.runs} runs each")
    print(f"{'case':<40} {'median ms':>10} {'p95 ms':>10} {'queries':>8}")
    for r in results:
        print(f"{r['name']:<40} {r['median_ms']:>10} {r['p95_ms']:>10} {r['queries']:>8}")


if __name__ == "__main__":
    main()
