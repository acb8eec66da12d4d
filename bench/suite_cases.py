"""The benchmark suite's HTTP cases: each adds rows to the run (see bench/suite.py's docstring)."""

from __future__ import annotations

import argparse
import json
import re
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from html import unescape
from itertools import cycle
from typing import Any
from urllib.parse import urlencode

from bench.suite_db import Fixtures, deep_cursor
from bench.suite_http import (
    BenchError,
    Conn,
    LoadSpec,
    free_port,
    login,
    run_concurrent,
    start_server,
    stop_server,
    ticket_payload,
    time_sequential,
    worker_rss_mb,
)
from bench.suite_stats import Row, Target, latency_row

QUEUE_P95 = [Target("p95_ms", "<=", 80)]
TICKET_P95 = [Target("p95_ms", "<=", 60)]
API_P95 = [Target("p95_ms", "<=", 60)]
SEARCH_P95 = [Target("p95_ms", "<=", 100)]
DASHBOARD = [Target("p95_ms", "<=", 1000)]
CREATE = [Target("throughput", ">=", 400, "/s"), Target("p95_ms", "<=", 50)]
MEMORY = [Target("value", "<=", 250, " MB")]
SEARCHES = ("vpn", "payslip", "crm report", "4711")  # common, rare, two words, a number
DEEP_PAGE = 1000
BUDGET_S = 15.0


@dataclass
class Context:
    """The server, signed-in clients and the rows measured so far."""

    args: argparse.Namespace
    env: dict[str, str]
    fixtures: Fixtures
    rows: list[Row]
    port: int = 0
    server: subprocess.Popen | None = None
    web: dict[str, Conn] = field(default_factory=dict)  # username -> session
    api: dict[str, Conn] = field(default_factory=dict)  # username -> token connection

    def start(self) -> None:
        self.port = free_port()
        self.server = start_server(self.args.data_dir, self.port, self.args.workers, self.env)
        f = self.fixtures
        for user, purpose in ((f.agent, "agent"), (f.manager, "manager")):
            self.web[user] = login(self.port, user, f.password)
            self.api[user] = Conn(self.port, token=f.tokens[purpose])

    def stop(self) -> None:
        if self.server is not None:
            stop_server(self.server)
            self.server = None

    def sequential(
        self,
        group: str,
        name: str,
        call: Callable[[], tuple[int, bytes, dict]],
        targets: list[Target] | None = None,
        note: str = "",
    ) -> Row:
        samples, seconds = time_sequential(call, runs=self.args.runs, budget_s=BUDGET_S, label=name)
        row = latency_row(group, name, samples, seconds, targets=targets or [], note=note)
        self.rows.append(row)
        return row

    def concurrent(self, group: str, name: str, specs: list[LoadSpec], **extra) -> Row:
        latencies, wall, client_cpu = run_concurrent(specs)
        row = latency_row(group, name, latencies, wall, concurrent=len(specs), **extra)
        # The clients share the machine with the server: their CPU is the server's loss.
        row.note = f"client CPU {client_cpu / wall:.2f} cores"
        self.rows.append(row)
        return row


def _get(conn: Conn, path: str, htmx: bool = False) -> Callable[[], tuple[int, bytes, dict]]:
    headers = {"HX-Request": "true"} if htmx else {}
    return lambda: conn.get(path, **headers)


def _rotating(conn: Conn, paths: list[str]) -> Callable[[], tuple[int, bytes, dict]]:
    it = cycle(paths)
    return lambda: conn.get(next(it))


# ----------------------------------------------------------------------------- cases


def ceilings(ctx: Context) -> None:
    port, secs, n = ctx.port, ctx.args.seconds / 2, ctx.args.clients
    for path in ("/healthz", "/readyz"):
        warm = Conn(port)
        status = warm.get(path)[0]
        if status == 404:
            raise BenchError(f"{path} is missing: the trivial-view ceiling cannot be measured")
        specs = [LoadSpec(port, path, secs, client=i) for i in range(n)]
        ctx.concurrent("ceilings", f"GET {path}", specs)
    single = Conn(port)
    samples, seconds = time_sequential(_get(single, "/healthz"), runs=1000, budget_s=5)
    ctx.rows.append(latency_row("ceilings", "GET /healthz, one client", samples, seconds))


def create(ctx: Context) -> None:
    f = ctx.fixtures
    specs = [
        LoadSpec(
            ctx.port,
            "/api/v1/tickets",
            ctx.args.seconds,
            token=f.tokens[f"create{i}"],
            create_team=f.team_id,
            client=i,
        )
        for i in range(ctx.args.clients)
    ]
    ctx.concurrent("write", "API create", specs, unit="tickets/s", targets=CREATE)
    # One client, one at a time: the server's own time per create, without queueing.
    conn, spec = Conn(ctx.port, token=f.tokens["create0"]), specs[0]
    counter = iter(range(10**9))

    def one() -> tuple[int, bytes, dict]:
        return conn.post_json(spec.path, ticket_payload(spec, -next(counter) - 1))

    ctx.sequential("write", "API create, one client", one)


def _deep(user: str, params: dict[str, Any], per_page: int) -> tuple[dict[str, Any], str]:
    """Page DEEP_PAGE as the app reaches it: by the cursor of the Next link when the sort has one
    (keyset pagination), else by number (OFFSET); and a note saying which."""
    cursor = deep_cursor(user, params, DEEP_PAGE, per_page)
    if cursor:
        return {**params, "after": cursor, "page": DEEP_PAGE}, "by cursor"
    return {**params, "page": DEEP_PAGE}, "by number (short list or no cursor for this sort)"


def queue(ctx: Context) -> None:
    f = ctx.fixtures
    cases: list[tuple[str, str, dict[str, Any]]] = [
        (f.agent, "my teams", {"queue": "teams"}),
        (
            f.agent,
            "team open, by updated",
            {"queue": "open", "team": f.team_id, "sort": "-updated"},
        ),
        (f.agent, "team closed", {"status": "closed", "team": f.team_id}),
        (f.agent, "all tickets", {"queue": "all"}),
        (f.agent, "mine", {"queue": "mine"}),
        (f.manager, "all open P1+P2", {"queue": "open", "priority": [1, 2]}),
        (f.manager, "all tickets, by updated", {"queue": "all", "sort": "-updated"}),
        (
            f.manager,
            "closed P2, by priority",
            {"status": "closed", "priority": 2, "sort": "priority"},
        ),
    ]
    for user, label, params in cases:
        for page in (1, DEEP_PAGE):
            query, note = ({**params, "page": 1}, "") if page == 1 else _deep(user, params, 50)
            path = "/tickets/?" + urlencode(query, doseq=True)
            ctx.sequential(
                "queue", f"{user}: {label}, p{page}", _get(ctx.web[user], path), QUEUE_P95, note
            )
    path = "/tickets/?" + urlencode({"queue": "teams", "sort": "-updated", "page": 1})
    ctx.sequential(
        "queue",
        f"{f.agent}: my teams, HTMX fragment",
        _get(ctx.web[f.agent], path, True),
        QUEUE_P95,
    )


def lazy_panels(html: str) -> list[str]:
    """URLs the page loads by itself (`hx-get` on an element with hx-trigger containing load)."""
    urls = []
    for tag in re.findall(r"<[a-z]+\s[^>]*hx-trigger=\"[^\"]*\bload\b[^\"]*\"[^>]*>", html):
        match = re.search(r'hx-get="([^"]+)"', tag)
        if match:
            urls.append(unescape(match.group(1)))
    return urls


def ticket(ctx: Context) -> None:
    f = ctx.fixtures
    conn = ctx.web[f.agent]
    path = f"/tickets/{f.busy_ticket}/"
    status, body, _ = conn.get(path)
    if status != 200:
        raise BenchError(f"{path}: HTTP {status}")
    note = f"{f.busy_ticket}, {f.busy_events} events"
    ctx.sequential("ticket", "ticket page", _get(conn, path), TICKET_P95, note)
    for url in lazy_panels(body.decode()):
        ctx.sequential("ticket", f"  panel {url}", _get(conn, url, htmx=True))


def api(ctx: Context) -> None:
    f = ctx.fixtures
    conn = ctx.api[f.agent]
    deep, how = _deep(f.agent, {"page_size": 50}, 50)
    cases = [
        ("first page", {"page_size": 50}, ""),
        ("team open, by updated", {"team": f.team_id, "status": "open", "sort": "-updated"}, ""),
        (f"page {DEEP_PAGE:,}", deep, how),
    ]
    for label, params, note in cases:
        path = "/api/v1/tickets?" + urlencode(params)
        status, _, _ = conn.get(path)
        if status != 200:
            raise BenchError(f"{path}: HTTP {status}")
        ctx.sequential("api", f"API list: {label}", _get(conn, path), API_P95, note)


def search(ctx: Context) -> None:
    f = ctx.fixtures
    pages = [f"/search/?{urlencode({'q': q})}" for q in SEARCHES]
    apis = [f"/api/v1/search?{urlencode({'q': q})}" for q in SEARCHES]
    note = "rotating: " + ", ".join(SEARCHES)
    ctx.sequential("search", "search page", _rotating(ctx.web[f.agent], pages), SEARCH_P95, note)
    ctx.sequential("search", "API search", _rotating(ctx.api[f.agent], apis), SEARCH_P95, note)


def suggestions(ctx: Context) -> None:
    f = ctx.fixtures
    web, api_conn = ctx.web[f.agent], ctx.api[f.agent]
    kb = f"/kb/tickets/{f.busy_ticket}/suggestions"
    ctx.sequential("suggestions", "KB suggestions on a ticket", _get(web, kb, htmx=True))
    status, body, _ = api_conn.get(f"/api/v1/tickets/{f.busy_ticket}")
    if status != 200:
        raise BenchError(f"ticket {f.busy_ticket} via the API: HTTP {status}")
    data = json.loads(body)
    text = f"{data['title']}\n{data.get('description', '')}"[:2000]
    payload = {"text": text, "exclude_ticket": f.busy_ticket_id}

    def similar() -> tuple[int, bytes, dict]:
        return api_conn.post_json("/api/v1/search/similar", payload)

    ctx.sequential("suggestions", "API similar incidents", similar)
    form = {"title": data["title"], "description": data.get("description", "")[:500]}

    def typing() -> tuple[int, bytes, dict]:
        return web.post_form("/kb/suggest", form, **{"HX-Request": "true"})

    ctx.sequential("suggestions", "new-ticket form suggestions", typing)


def dashboard(ctx: Context) -> None:
    conn = ctx.web[ctx.fixtures.manager]
    path = "/analytics/?period=182d"
    ctx.sequential("dashboard", "dashboard, six months", _get(conn, path), DASHBOARD)


def memory(ctx: Context) -> None:
    """Each worker's own memory (anonymous + shared memory) against the target, with the file
    pages it maps (the database's page cache under SQLite's mmap) in the note."""
    assert ctx.server is not None  # noqa: S101 - started before the cases
    for pid, mb in sorted(worker_rss_mb(ctx.server.pid).items()):
        own = mb["RssAnon"] + mb["RssShmem"]
        note = f"VmRSS {mb['VmRSS']:.0f} MB incl. {mb['RssFile']:.0f} MB mapped files"
        ctx.rows.append(
            Row(
                "memory",
                f"gunicorn worker {pid} own RSS — {note}",
                value=own,
                value_unit="MB",
                targets=MEMORY,
            )
        )


CASES: dict[str, Callable[[Context], None]] = {
    "ceilings": ceilings,
    "create": create,
    "queue": queue,
    "ticket": ticket,
    "api": api,
    "search": search,
    "suggestions": suggestions,
    "dashboard": dashboard,
    "memory": memory,
}
