"""Mixed traffic against the real server, then a check that no acknowledged write was lost.

    .venv/bin/python bench/load.py [--seconds 60] [--rate 30] [--clients 8] [--workers 3]
    .venv/bin/python bench/load.py --postgres            # a throwaway PostgreSQL database

Starts `backline serve` (gunicorn) on a fresh data dir: SQLite by default, or with `--postgres` a
database it drops and recreates (`backline_load` on the local server, or `--database-url`). It
seeds a desk (teams at L1, L2 and L3, agents with passwords and API tokens, some tickets), signs
every agent in through the login form, and runs several concurrent clients that start requests
on a fixed schedule of `--rate` requests per second:

- agents browsing: queue pages, the queue's HTMX fragment, ticket pages, HTMX panels of the ticket
  page, the escalation inbox, the search page (with a session cookie);
- the API with each agent's token: ticket creates (with an Idempotency-Key), comments, escalations
  up a tier with a hand-off package, accepting them, ticket lists and searches;
- replies posted through the ticket page's form (session, CSRF, HTMX).

Each ticket is used by one request at a time (a lease), so the run has no real write conflicts;
any 4xx is reported, and only 409s on escalations count as expected. Every write the server
acknowledged is recorded and, after the server has stopped, looked up in the database: a
missing ticket, comment, escalation or acceptance is a lost write. Prints the achieved rate,
requests and p50/p95/p99 latency per kind, errors, and lost writes; exits 1 on any error or lost
write. Measure what the machine sustains by raising `--rate` until errors appear or the achieved
rate falls behind the target; the CPU time the server (and PostgreSQL) spent per request, also
printed, gives the same answer on a machine busy with other work.

`--data-dir` reuses a data dir (e.g. holding a migrated SQLite database): its teams and agents are
kept, with new passwords and tokens. A clean run removes what it made; a failed one keeps it.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter, defaultdict, deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

PG_DEFAULT = "postgres://postgres@127.0.0.1:5432/backline_load"
TEAMS = (("Service Desk", 1), ("Application Support", 2), ("Engineering", 3))
WORDS = (
    "printer",
    "vpn",
    "outlook",
    "login",
    "password",
    "laptop",
    "database",
    "timeout",
    "payroll",
    "invoice",
    "export",
    "backup",
    "certificate",
    "disk",
    "memory",
    "network",
    "latency",
    "report",
    "dashboard",
    "sync",
    "crash",
    "upload",
    "mailbox",
)
# Which actions an agent at each tier takes, and how often (relative weights).
MIX: dict[int, dict[str, int]] = {
    1: {
        "queue_page": 12,
        "queue_fragment": 6,
        "ticket_page": 12,
        "ticket_fragment": 5,
        "api_list": 4,
        "search_api": 6,
        "search_page": 4,
        "api_create": 18,
        "api_comment": 10,
        "web_comment": 5,
        "escalate": 10,
    },
    2: {
        "queue_page": 12,
        "queue_fragment": 6,
        "ticket_page": 12,
        "ticket_fragment": 5,
        "inbox_page": 4,
        "api_inbox": 3,
        "search_api": 6,
        "search_page": 3,
        "api_create": 4,
        "api_comment": 10,
        "web_comment": 5,
        "escalate": 4,
        "accept": 12,
    },
    3: {
        "queue_page": 12,
        "queue_fragment": 6,
        "ticket_page": 12,
        "ticket_fragment": 5,
        "inbox_page": 4,
        "api_inbox": 3,
        "search_api": 6,
        "api_comment": 10,
        "web_comment": 5,
        "accept": 12,
    },
}
WRITES = {"api_create", "api_comment", "web_comment", "escalate", "accept"}
EXPECTED_4XX = {"escalate": {409}, "accept": {409}}


# ----------------------------------------------------------------------------- environment


def prepare_environment(args: argparse.Namespace) -> Path:
    """Point this process (and the server it starts) at a fresh data dir and database."""
    data_dir = Path(args.data_dir or tempfile.mkdtemp(prefix="backline-load-")).resolve()
    os.environ["BACKLINE_DATA_DIR"] = str(data_dir)
    os.environ["DJANGO_SETTINGS_MODULE"] = "backline.config.settings"
    os.environ["BACKLINE_ALLOWED_HOSTS"] = "127.0.0.1,localhost"
    for name in ("DEBUG", "BACKLINE_SECRET_KEY", "BACKLINE_TEST_DATABASE_URL"):
        os.environ.pop(name, None)  # production-like: the key is generated in the data dir
    url = args.database_url or (PG_DEFAULT if args.postgres else "")
    if url:
        recreate_postgres(url)
        os.environ["DATABASE_URL"] = url
    else:
        os.environ.pop("DATABASE_URL", None)
    return data_dir


def recreate_postgres(url: str, *, create: bool = True) -> None:
    """Drop (and create) the bench's own database, so every run starts empty."""
    import psycopg
    from psycopg import sql

    name = url.rsplit("/", 1)[1].split("?", 1)[0]
    if not name.startswith("backline_"):
        raise SystemExit(f"Refusing to drop {name!r}: the bench's database name starts backline_")
    admin = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
        if create:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def clean_up(args: argparse.Namespace, data_dir: Path, failed: bool) -> None:
    """Remove what the run made, unless it failed (then the server's log is worth reading)."""
    from django.db import connections

    connections.close_all()
    if failed or args.keep:
        print(f"Kept the data dir {data_dir} (server.log) and the database.")
        return
    if os.environ.get("DATABASE_URL"):
        recreate_postgres(os.environ["DATABASE_URL"], create=False)
    if not args.data_dir:
        shutil.rmtree(data_dir, ignore_errors=True)


def setup_database(clock: Stopwatch) -> None:
    """Migrate the database and collect the static files, as `backline init` does."""
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    clock.lap("migrate")
    call_command("collectstatic", interactive=False, verbosity=0)
    clock.lap("collectstatic")


# ----------------------------------------------------------------------------- seed


@dataclass
class Agent:
    username: str
    password: str
    token: str
    tier: int
    team_id: int
    team_slug: str


def seed(
    *, agents_per_team: int, tickets_per_team: int, rng: random.Random
) -> tuple[list[Agent], dict]:
    """Teams L1–L3 with agents (passwords, tokens) and open tickets in each team's queue.

    A data dir seeded by an earlier run keeps its teams and agents (with new passwords and
    tokens); only the tickets made now are the run's to work on.
    """
    from django.db import connections

    from backline.accounts.models import Team
    from backline.accounts.services import team_add_member, team_create, token_create
    from backline.tickets.services import ticket_create

    agents: list[Agent] = []
    owned: dict[str, list[str]] = {}
    teams: dict[str, dict] = {}
    for name, tier in TEAMS:
        team = Team.objects.filter(name=name).first() or team_create(name=name, tier=tier)
        owned[team.slug], teams[team.slug] = [], {"id": team.pk, "tier": team.tier}
        members = []
        for i in range(agents_per_team):
            password = secrets.token_urlsafe(18)
            user = _agent(f"l{tier}-agent-{i + 1}", password, tier)
            team_add_member(team=team, user=user)
            _, token = token_create(user=user, name="load bench")
            agents.append(Agent(user.username, password, token, tier, team.pk, team.slug))
            members.append(user)
        for _ in range(tickets_per_team):
            ticket = ticket_create(
                actor=rng.choice(members),
                title=_title(rng),
                description=" ".join(rng.choices(WORDS, k=30)),
                team=team,
                impact=rng.randint(1, 3),
                urgency=rng.randint(1, 3),
            )
            owned[team.slug].append(ticket.number)
    connections.close_all()  # nothing of ours holds the SQLite file while the server runs
    return agents, {"owned": owned, "teams": teams}


def _agent(username: str, password: str, tier: int):
    from backline.accounts.models import User
    from backline.accounts.services import user_create

    user = User.objects.filter(username=username).first()
    if user is None:
        return user_create(
            username=username,
            password=password,
            first_name="Load",
            last_name=username,
            email=f"{username}@example.com",
            role="agent",
        )
    user.set_password(password)
    user.save(update_fields=["password"])
    return user


def _title(rng: random.Random) -> str:
    a, b = rng.sample(WORDS, 2)
    return f"{a.capitalize()} {b} problem {rng.randint(1, 99_999)}"


# ----------------------------------------------------------------------------- server


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Server:
    process: subprocess.Popen
    port: int


class Stopwatch:
    """Seconds per setup step (wall clock, and this process's CPU), for the setup line."""

    def __init__(self) -> None:
        self.last, self.cpu, self.laps = time.monotonic(), time.process_time(), list[str]()

    def lap(self, name: str) -> None:
        now, cpu = time.monotonic(), time.process_time()
        self.laps.append(f"{name} {now - self.last:.1f} s (cpu {cpu - self.cpu:.1f})")
        self.last, self.cpu = now, cpu

    def __str__(self) -> str:
        return ", ".join(self.laps)


def start_server(data_dir: Path, port: int, workers: int) -> Server:
    log = (data_dir / "server.log").open("wb")
    command = [sys.executable, "-m", "backline.cli", "serve", "--port", str(port)]
    process = subprocess.Popen(  # noqa: S603 - our own interpreter and fixed arguments
        [*command, "--workers", str(workers)],
        stdout=log,
        stderr=subprocess.STDOUT,
        env=os.environ.copy(),
        start_new_session=True,  # its own process group, so stopping it stops every worker
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(
                f"The server exited with {process.returncode}; see {data_dir}/server.log"
            )
        try:
            if requests.get(f"{base}/accounts/login/", timeout=2).status_code == 200:
                return Server(process, port)
        except requests.RequestException:
            pass
        time.sleep(0.3)
    stop_server(process)
    raise SystemExit(f"The server did not answer within 90 s; see {data_dir}/server.log")


def stop_server(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


# ----------------------------------------------------------------------------- the desk's state


@dataclass
class Ledger:
    """What the server acknowledged, and the tickets free for the next request."""

    owned: dict[str, list[str]]
    teams: dict[str, dict]
    pending: dict[str, deque] = field(default_factory=lambda: defaultdict(deque))
    tickets: dict[str, str] = field(default_factory=dict)  # number -> title
    comments: dict[str, str] = field(default_factory=dict)  # marker -> ticket number
    escalations: dict[int, tuple[str, str]] = field(default_factory=dict)  # id -> (number, team)
    accepted: set[int] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def lease(self, team: str, rng: random.Random) -> str | None:
        """Take one of the team's tickets out of the pool for the length of a request."""
        with self.lock:
            pool = self.owned[team]
            if not pool:
                return None
            i = rng.randrange(len(pool))
            pool[i], pool[-1] = pool[-1], pool[i]
            return pool.pop()

    def give_back(self, team: str, number: str) -> None:
        with self.lock:
            self.owned[team].append(number)

    def higher_team(self, tier: int) -> str | None:
        return next((s for s, t in self.teams.items() if t["tier"] == tier + 1), None)


# ----------------------------------------------------------------------------- one client


@dataclass
class Result:
    kind: str
    status: int  # 0 = connection error
    ms: float
    ok: bool
    expected: bool = False
    detail: str = ""


class Client:
    """One agent: a signed-in browser session and an API token."""

    def __init__(self, base: str, agent: Agent, ledger: Ledger, seed: int) -> None:
        self.base, self.agent, self.ledger = base, agent, ledger
        self.rng = random.Random(seed)
        self.web = requests.Session()
        self.api = requests.Session()
        self.api.headers["Authorization"] = f"Bearer {agent.token}"
        kinds = MIX[agent.tier]
        self.kinds, self.weights = list(kinds), list(kinds.values())

    def login(self) -> None:
        url = f"{self.base}/accounts/login/"
        self.web.get(url, timeout=30).raise_for_status()
        response = self.web.post(
            url,
            data={
                "username": self.agent.username,
                "password": self.agent.password,
                "csrfmiddlewaretoken": self.web.cookies["csrftoken"],
            },
            headers={"Referer": url},
            allow_redirects=False,
            timeout=30,
        )
        if response.status_code != 302 or "sessionid" not in self.web.cookies:
            raise SystemExit(
                f"Sign-in of {self.agent.username} failed: HTTP {response.status_code}"
            )

    def act(self) -> Result:
        kind = self.rng.choices(self.kinds, self.weights)[0]
        start = time.perf_counter()
        try:
            status, ok, expected, detail = getattr(self, f"do_{kind}")()
        except requests.RequestException as exc:
            status, ok, expected, detail = 0, False, False, type(exc).__name__
        except _Skip as skip:  # nothing to act on: counted as the read it fell back to
            kind, (status, ok, expected, detail) = skip.kind, skip.outcome
        return Result(kind, status, (time.perf_counter() - start) * 1000, ok, expected, detail)

    # --- helpers

    def _get(self, path: str, *, htmx: bool = False, api: bool = False, **params: Any):
        session = self.api if api else self.web
        headers = {"HX-Request": "true"} if htmx else {}
        return session.get(
            self.base + path, params=params, headers=headers, allow_redirects=False, timeout=60
        )

    def _page(self, response: requests.Response) -> tuple[int, bool, bool, str]:
        """A page answer: 2xx, or a redirect that is not to the login page."""
        location = response.headers.get("Location", "")
        ok = response.status_code < 300 or (
            response.status_code < 400 and "/accounts/login" not in location
        )
        return response.status_code, ok, False, "" if ok else (location or response.text[:200])

    def _with_ticket(self, action):
        team = self.agent.team_slug
        number = self.ledger.lease(team, self.rng)
        if number is None:
            raise _Skip("queue_page", self._page(self._get("/tickets/", queue="teams")))
        try:
            return action(number)
        finally:
            self.ledger.give_back(team, number)

    # --- reads

    def do_queue_page(self):
        return self._page(self._get("/tickets/", queue=self.rng.choice(["teams", "open", "mine"])))

    def do_queue_fragment(self):
        sort = self.rng.choice(["due", "-priority", "-updated", "created"])
        return self._page(self._get("/tickets/", htmx=True, queue="teams", sort=sort, page=1))

    def do_ticket_page(self):
        return self._with_ticket(lambda n: self._page(self._get(f"/tickets/{n}/")))

    def do_ticket_fragment(self):
        if self.rng.random() < 0.5:
            return self._page(self._get("/notifications/menu/", htmx=True))
        return self._with_ticket(
            lambda n: self._page(self._get(f"/kb/tickets/{n}/suggestions", htmx=True))
        )

    def do_inbox_page(self):
        return self._page(self._get("/escalations/"))

    def do_api_inbox(self):
        return self._page(self._get("/api/v1/escalations", api=True))

    def do_api_list(self):
        params = {"team": self.agent.team_id, "page_size": 25}
        return self._page(self._get("/api/v1/tickets", api=True, **params))

    def do_search_api(self):
        return self._page(self._get("/api/v1/search", api=True, q=self.rng.choice(WORDS)))

    def do_search_page(self):
        return self._page(self._get("/search/", q=self.rng.choice(WORDS)))

    # --- writes

    def do_api_create(self):
        title = _title(self.rng)
        response = self.api.post(
            f"{self.base}/api/v1/tickets",
            json={
                "title": title,
                "description": " ".join(self.rng.choices(WORDS, k=20)),
                "team": self.agent.team_id,
                "impact": self.rng.randint(1, 3),
                "urgency": self.rng.randint(1, 3),
            },
            headers={"Idempotency-Key": str(uuid.uuid4())},
            timeout=60,
        )
        if response.status_code == 201:
            number = response.json()["number"]
            with self.ledger.lock:
                self.ledger.tickets[number] = title
            self.ledger.give_back(self.agent.team_slug, number)
            return 201, True, False, ""
        return response.status_code, False, False, response.text[:200]

    def do_api_comment(self):
        def comment(number: str):
            marker = uuid.uuid4().hex
            response = self.api.post(
                f"{self.base}/api/v1/tickets/{number}/comments",
                json={"body": f"[load {marker}] checked the logs", "internal": True},
                timeout=60,
            )
            if response.status_code == 201:
                with self.ledger.lock:
                    self.ledger.comments[marker] = number
                return 201, True, False, ""
            return response.status_code, False, False, response.text[:200]

        return self._with_ticket(comment)

    def do_web_comment(self):
        def comment(number: str):
            marker = uuid.uuid4().hex
            response = self.web.post(
                f"{self.base}/tickets/{number}/comment/",
                data={"body": f"[load {marker}] replied from the page", "internal": "on"},
                headers={
                    "HX-Request": "true",
                    "X-CSRFToken": self.web.cookies.get("csrftoken") or "",
                    "Referer": f"{self.base}/tickets/{number}/",
                },
                allow_redirects=False,
                timeout=60,
            )
            # The answer is the re-rendered ticket, which shows the new reply.
            if response.status_code == 200 and marker in response.text:
                with self.ledger.lock:
                    self.ledger.comments[marker] = number
                return 200, True, False, ""
            return response.status_code, False, False, response.text[:200]

        return self._with_ticket(comment)

    def do_escalate(self):
        target = self.ledger.higher_team(self.agent.tier)
        number = self.ledger.lease(self.agent.team_slug, self.rng) if target else None
        if number is None:
            raise _Skip("queue_page", self._page(self._get("/tickets/", queue="teams")))
        try:
            response = self.api.post(
                f"{self.base}/api/v1/tickets/{number}/escalations",
                json={
                    "to_team": self.ledger.teams[target]["id"],
                    "summary": "Users cannot work; L1 checks done.",
                    "impact_users": self.rng.randint(1, 500),
                    "impact_services": "Email",
                    "steps_taken": "Restarted the client, cleared the cache, checked status.",
                    "reproduction_steps": "Sign in, open the inbox, wait 30 s.",
                    "log_excerpts": "ERROR 2026-01-01T10:00:00Z timeout talking to upstream",
                },
                timeout=60,
            )
        except requests.RequestException:
            self.ledger.give_back(self.agent.team_slug, number)  # unknown outcome: keep it ours
            raise
        if response.status_code == 201:
            escalation = response.json()["id"]
            with self.ledger.lock:
                self.ledger.escalations[escalation] = (number, target)
                self.ledger.pending[target].append((escalation, number))
            return 201, True, False, ""
        self.ledger.give_back(self.agent.team_slug, number)
        expected = response.status_code in EXPECTED_4XX["escalate"]
        return response.status_code, expected, expected, response.text[:200]

    def do_accept(self):
        team = self.agent.team_slug
        with self.ledger.lock:
            item = self.ledger.pending[team].popleft() if self.ledger.pending[team] else None
        if item is None:
            raise _Skip("api_inbox", self.do_api_inbox())
        escalation, number = item
        try:
            response = self.api.post(
                f"{self.base}/api/v1/escalations/{escalation}/accept",
                json={"assign_to_self": self.rng.random() < 0.5},
                timeout=60,
            )
        except requests.RequestException:
            with self.ledger.lock:
                self.ledger.pending[team].append(item)
            raise
        if response.status_code == 200 and response.json().get("state") == "accepted":
            with self.ledger.lock:
                self.ledger.accepted.add(escalation)
            self.ledger.give_back(team, number)
            return 200, True, False, ""
        with self.ledger.lock:
            self.ledger.pending[team].append(item)
        expected = response.status_code in EXPECTED_4XX["accept"]
        return response.status_code, expected, expected, response.text[:200]


class _Skip(Exception):
    """Nothing to act on: the client did a read instead."""

    def __init__(self, kind: str, outcome: tuple) -> None:
        self.kind, self.outcome = kind, outcome


# ----------------------------------------------------------------------------- the run


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time of these processes so far (Linux /proc; 0 elsewhere)."""
    total = 0
    for pid in pids:
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            continue  # gone, or no /proc
        fields = stat[stat.rindex(")") + 2 :].split()
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def server_pids(master: int) -> list[int]:
    """The gunicorn master and its workers."""
    pids = [master]
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        if int(text[text.rindex(")") + 2 :].split()[1]) == master:
            pids.append(int(stat.parent.name))
    return pids


def database_pids() -> list[int]:
    """PostgreSQL's server processes for the bench's database (none for SQLite: in-process)."""
    url = os.environ.get("DATABASE_URL")
    if not url:
        return []
    import psycopg

    name = url.rsplit("/", 1)[1].split("?", 1)[0]
    with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
        rows = conn.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s", [name])
        return [pid for (pid,) in rows.fetchall()]


@dataclass
class CpuMeter:
    """CPU the server (and PostgreSQL) spent on the traffic: the machine-independent cost."""

    master: int
    start_server: float = 0.0
    start_db: dict[int, float] = field(default_factory=dict)

    def start(self) -> None:
        self.start_server = cpu_seconds(server_pids(self.master))
        self.start_db = {pid: cpu_seconds([pid]) for pid in database_pids()}

    def stop(self) -> tuple[float, float]:
        server = cpu_seconds(server_pids(self.master)) - self.start_server
        db = sum(cpu_seconds([pid]) - self.start_db.get(pid, 0.0) for pid in database_pids())
        return server, db


def run_traffic(
    clients: list[Client], rate: float, seconds: float
) -> tuple[list[Result], float, float]:
    """Start request k at t0 + k/rate on whichever client is free; returns results, elapsed, lag."""
    results: list[Result] = []
    lock = threading.Lock()
    slot = iter(range(10**9))
    t0 = time.monotonic() + 0.2
    lag = [0.0]

    def loop(client: Client) -> None:
        while True:
            with lock:
                k = next(slot)
            due = t0 + k / rate
            if due >= t0 + seconds:
                return
            wait = due - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            else:
                with lock:
                    lag[0] = max(lag[0], -wait)
            result = client.act()
            with lock:
                results.append(result)

    threads = [threading.Thread(target=loop, args=(c,), daemon=True) for c in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results, time.monotonic() - t0, lag[0]


def verify(ledger: Ledger) -> dict[str, list]:
    """Look every acknowledged write up in the database (after the server has stopped)."""
    from django.db import connections

    from backline.escalation.models import Escalation
    from backline.tickets.models import Comment, Ticket, TicketEvent
    from backline.tickets.rules import format_number, parse_number

    connections.close_all()
    lost: dict[str, list] = {}
    ids = [pk for pk in map(parse_number, ledger.tickets) if pk is not None]
    found = {
        format_number(pk): title
        for pk, title in Ticket.objects.filter(pk__in=ids).values_list("pk", "title")
    }
    lost["tickets"] = [n for n, title in ledger.tickets.items() if found.get(n) != title]
    created = {
        format_number(pk)
        for pk in TicketEvent.objects.filter(ticket_id__in=ids, kind="created").values_list(
            "ticket_id", flat=True
        )
    }
    lost["created events"] = [n for n in ledger.tickets if n not in created]
    stored: dict[str, str] = {}
    for body, pk in Comment.objects.filter(body__startswith="[load ").values_list(
        "body", "ticket_id"
    ):
        match = re.match(r"\[load ([0-9a-f]{32})\]", body)
        if match:
            stored[match.group(1)] = format_number(pk)
    lost["comments"] = [m for m, n in ledger.comments.items() if stored.get(m) != n]
    rows = {
        e.pk: e
        for e in Escalation.objects.filter(pk__in=ledger.escalations).select_related("to_team")
    }
    lost["escalations"] = [
        pk
        for pk, (number, team) in ledger.escalations.items()
        if pk not in rows
        or (format_number(rows[pk].ticket_id), rows[pk].to_team.slug) != (number, team)
    ]
    lost["acceptances"] = [
        pk for pk in ledger.accepted if pk not in rows or rows[pk].state != "accepted"
    ]
    return lost


def server_problems(log: Path) -> list[str]:
    """Lines in the server's log that mean a request failed inside the server."""
    markers = ("Traceback", "WORKER TIMEOUT", "[CRITICAL]", "Internal Server Error")
    text = log.read_text(errors="replace") if log.exists() else ""
    return [line for line in text.splitlines() if any(m in line for m in markers)]


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def report(results, elapsed, lag, lost, problems, args, database: str, cpu) -> dict:
    by_kind: dict[str, list[Result]] = defaultdict(list)
    for r in results:
        by_kind[r.kind].append(r)
    errors = [r for r in results if not r.ok]
    expected = [r for r in results if r.expected]
    return {
        "database": database,
        "target_rate": args.rate,
        "achieved_rate": round(len(results) / elapsed, 1),
        "seconds": round(elapsed, 1),
        "clients": args.clients,
        "server_workers": args.workers,
        "requests": len(results),
        "writes_acknowledged": sum(1 for r in results if r.ok and r.kind in WRITES),
        "max_start_lag_ms": round(lag * 1000),
        # Other work on the machine slows every request: the 1-minute load average after the run.
        "load_average": round(os.getloadavg()[0], 1),
        # CPU per request does not depend on what else runs, so it tells the capacity of the cores.
        "server_cpu_ms_per_request": round(cpu[0] * 1000 / len(results), 1),
        "database_cpu_ms_per_request": round(cpu[1] * 1000 / len(results), 1),
        "client_cpu_ms_per_request": round(cpu[2] * 1000 / len(results), 1),
        "capacity_estimate_per_core": round(len(results) / max(cpu[0] + cpu[1], 1e-9), 1),
        "kinds": {
            kind: {
                "n": len(rs),
                "errors": sum(1 for r in rs if not r.ok),
                "p50_ms": round(percentile([r.ms for r in rs], 50), 1),
                "p95_ms": round(percentile([r.ms for r in rs], 95), 1),
                "p99_ms": round(percentile([r.ms for r in rs], 99), 1),
            }
            for kind, rs in sorted(by_kind.items())
        },
        "errors": len(errors),
        "error_samples": [f"{r.kind} HTTP {r.status}: {r.detail[:160]}" for r in errors[:10]],
        "errors_by_status": dict(Counter(f"{r.kind} {r.status}" for r in errors)),
        "expected_4xx": len(expected),
        "lost_writes": {k: v for k, v in lost.items() if v},
        "lost_write_count": sum(len(v) for v in lost.values()),
        "server_log_problems": problems[:10],
    }


def print_table(summary: dict) -> None:
    s = summary
    print(
        f"\n{s['database']}: {s['requests']} requests in {s['seconds']} s = {s['achieved_rate']}/s "
        f"(target {s['target_rate']}/s, {s['clients']} clients, {s['server_workers']} gunicorn "
        f"workers; worst start lag {s['max_start_lag_ms']} ms; load average {s['load_average']})"
    )
    print(f"{'kind':<16}{'n':>6}{'errors':>8}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}")
    for kind, k in s["kinds"].items():
        print(
            f"{kind:<16}{k['n']:>6}{k['errors']:>8}{k['p50_ms']:>9}{k['p95_ms']:>9}{k['p99_ms']:>9}"
        )
    print(
        f"CPU per request: server {s['server_cpu_ms_per_request']} ms, database "
        f"{s['database_cpu_ms_per_request']} ms, this client {s['client_cpu_ms_per_request']} ms "
        f"=> about {s['capacity_estimate_per_core']} requests/s per fully available core"
    )
    print(f"acknowledged writes: {s['writes_acknowledged']}")
    print(f"errors: {s['errors']}   expected 4xx: {s['expected_4xx']}")
    for line in s["error_samples"]:
        print(f"  {line}")
    for line in s["server_log_problems"]:
        print(f"  server log: {line}")
    print(f"lost writes: {s['lost_write_count']}")
    for what, items in s["lost_writes"].items():
        print(f"  {what}: {items[:10]}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--rate", type=float, default=30, help="requests per second to start")
    parser.add_argument("--clients", type=int, default=8, help="concurrent clients (agents)")
    parser.add_argument("--workers", type=int, default=3, help="gunicorn worker processes")
    parser.add_argument("--postgres", action="store_true", help=f"use {PG_DEFAULT} (recreated)")
    parser.add_argument("--database-url", default="", help="a PostgreSQL URL to recreate and use")
    parser.add_argument("--data-dir", default="", help="default: a new temporary directory")
    parser.add_argument("--tickets", type=int, default=40, help="seeded open tickets per team")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--json", action="store_true", help="print the summary as JSON")
    parser.add_argument("--keep", action="store_true", help="keep the data dir and database")
    args = parser.parse_args()
    if args.rate <= 0 or args.seconds <= 0 or args.clients < 1 or args.workers < 1:
        parser.error("--rate, --seconds, --clients and --workers must be positive")

    rng = random.Random(args.seed)
    data_dir = prepare_environment(args)
    database = "PostgreSQL" if os.environ.get("DATABASE_URL") else "SQLite"
    clock = Stopwatch()
    setup_database(clock)
    agents, state = seed(
        agents_per_team=max(1, -(-args.clients // len(TEAMS))),
        tickets_per_team=args.tickets,
        rng=rng,
    )
    ledger = Ledger(owned=state["owned"], teams=state["teams"])
    clock.lap("seed")
    server = start_server(data_dir, free_port(), args.workers)
    clock.lap("server start")
    try:
        base = f"http://127.0.0.1:{server.port}"
        by_tier = {tier: [a for a in agents if a.tier == tier] for _, tier in TEAMS}
        clients = []
        for i in range(args.clients):  # L1, L2, L3, L1, … each client its own agent
            tier = TEAMS[i % len(TEAMS)][1]
            agent = by_tier[tier][i // len(TEAMS) % len(by_tier[tier])]
            clients.append(Client(base, agent, ledger, args.seed + i))
        for client in clients:
            client.login()
        clock.lap("sign-in")
        print(f"{database}, data dir {data_dir}; set up: {clock}", flush=True)
        print(f"Running {args.seconds:g} s at {args.rate:g} requests/s…", flush=True)
        meter = CpuMeter(server.process.pid)
        meter.start()
        client_cpu = time.process_time()
        results, elapsed, lag = run_traffic(clients, args.rate, args.seconds)
        cpu = (*meter.stop(), time.process_time() - client_cpu)
    finally:
        stop_server(server.process)
    lost = verify(ledger)
    summary = report(
        results, elapsed, lag, lost, server_problems(data_dir / "server.log"), args, database, cpu
    )
    if args.json:
        print(json.dumps(summary, indent=2))
    else:
        print_table(summary)
    failed = bool(
        summary["errors"] or summary["lost_write_count"] or summary["server_log_problems"]
    )
    clean_up(args, data_dir, failed)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
