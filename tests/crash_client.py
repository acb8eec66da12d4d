"""Helpers for the crash tests (tests/test_crash.py): a throwaway installation (data directory and
database) run as real processes — `backline serve` (gunicorn) and `backline worker` — a client
that creates tickets and comments through the API and remembers what was acknowledged, and one
integrity check that reads the database directly, independent of the application.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

BACKLINE = [sys.executable, "-m", "backline.cli"]
PROJECT_DIR = Path(__file__).resolve().parent.parent


# --- the installation --------------------------------------------------------------------------


def pg_server_url() -> str | None:
    """The PostgreSQL server of BACKLINE_TEST_DATABASE_URL (CI's second pass), else None."""
    url = os.environ.get("BACKLINE_TEST_DATABASE_URL", "")
    return url if url.startswith(("postgres://", "postgresql://")) else None


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + name, "", ""))


@contextlib.contextmanager
def throwaway_pg_database(name: str, template: str | None = None) -> Iterator[str]:
    """A fresh PostgreSQL database on the test server (a copy of `template`, if given), dropped
    afterwards; yields its URL."""
    import psycopg

    server = pg_server_url()
    assert server, "BACKLINE_TEST_DATABASE_URL is not a PostgreSQL URL"
    name = f"{name}_{os.getpid()}"
    admin = _with_database(server, "postgres")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
    try:
        yield _with_database(server, name)
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def database_name(url: str) -> str:
    return urlsplit(url).path.lstrip("/")


def copy_sqlite(source: Path, target: Path) -> None:
    """Copy a SQLite database consistently (its WAL included) with the online backup API."""
    target.parent.mkdir(parents=True, exist_ok=True)
    src, dst = sqlite3.connect(source), sqlite3.connect(target)
    try:
        src.backup(dst)
    finally:
        src.close()
        dst.close()


@dataclass
class Installation:
    """A data directory plus its database; `env` runs any `backline` command against it."""

    data_dir: Path
    database_url: str | None = None  # None: SQLite in the data directory
    extra_env: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)

    @property
    def env(self) -> dict[str, str]:
        skip = {"DATABASE_URL", "PYTEST_CURRENT_TEST", "DJANGO_SETTINGS_MODULE", "DEBUG"}
        env = {k: v for k, v in os.environ.items() if k not in skip}
        env.update(
            BACKLINE_DATA_DIR=str(self.data_dir),
            BACKLINE_SECRET_KEY="crash-test-secret-key-not-for-production",
            DJANGO_SETTINGS_MODULE="backline.config.settings",  # production settings
            BACKLINE_LOG_LEVEL="WARNING",
            PYTHONUNBUFFERED="1",
            # The client writes as fast as the server answers: the abuse limit is not under test.
            BACKLINE_API_WRITES_PER_MINUTE="0",
            BACKLINE_API_READS_PER_MINUTE="0",
            **self.extra_env,
        )
        if self.database_url:
            env["DATABASE_URL"] = self.database_url
            env["BACKLINE_CONN_MAX_AGE"] = "0"
        return env

    @property
    def sqlite_path(self) -> Path:
        return self.data_dir / "backline.sqlite3"

    @property
    def is_sqlite(self) -> bool:
        return self.database_url is None

    def run(self, *args: str, timeout: float = 180) -> str:
        result = subprocess.run(
            [*BACKLINE, *args],
            env=self.env,
            cwd=self.data_dir,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        assert result.returncode == 0, f"backline {' '.join(args)}:\n{result.stdout}{result.stderr}"
        return result.stdout

    def shell(self, code: str) -> str:
        return self.run("manage", "shell", "--no-imports", "-c", code)

    def migrate(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.run("manage", "migrate", "--no-input", "-v", "0")

    def spawn(self, *args: str, log_name: str) -> subprocess.Popen:
        """Start a long-running `backline` command in its own process group (so the whole group,
        gunicorn's master and its workers, can be killed at once)."""
        log = (self.data_dir / log_name).open("ab")
        return subprocess.Popen(
            [*BACKLINE, *args],
            env=self.env,
            cwd=self.data_dir,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def log_tail(self, log_name: str, chars: int = 3000) -> str:
        path = self.data_dir / log_name
        return path.read_text(errors="replace")[-chars:] if path.exists() else ""

    @contextlib.contextmanager
    def db(self) -> Iterator[Db]:
        database = Db(self)
        try:
            yield database
        finally:
            database.close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _group_alive(pgid: int) -> bool:
    """Whether any process of the group still runs (zombies waiting to be reaped do not count)."""
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":
            return True
    return False


def kill_group(process: subprocess.Popen, sig: int = signal.SIGKILL, timeout: float = 20) -> None:
    """Send `sig` to the process's whole group and wait until every member is gone."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, sig)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=timeout)
    deadline = time.monotonic() + timeout
    while _group_alive(process.pid):
        assert time.monotonic() < deadline, f"process group {process.pid} survived {sig}"
        time.sleep(0.05)


class Server:
    """`backline serve` (gunicorn) on a free port of the loopback interface."""

    def __init__(self, installation: Installation, *, workers: int = 2) -> None:
        self.installation = installation
        self.port = free_port()
        self.process = installation.spawn(
            "serve", "--port", str(self.port), "--workers", str(workers), log_name="server.log"
        )

    def wait_ready(self, token: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while True:
            assert self.process.poll() is None, "the server exited:\n" + self.installation.log_tail(
                "server.log"
            )
            try:
                status, _, _ = request(
                    self.port, "GET", "/api/v1/tickets?page_size=1", token=token, timeout=5
                )
            except (OSError, http.client.HTTPException):
                pass
            else:
                assert status == 200, f"HTTP {status}:\n" + self.installation.log_tail("server.log")
                return
            assert time.monotonic() < deadline, (
                "the server did not answer:\n" + self.installation.log_tail("server.log")
            )
            time.sleep(0.2)

    def kill(self) -> None:
        kill_group(self.process, signal.SIGKILL)

    def stop(self) -> None:
        if self.process.poll() is None:
            kill_group(self.process, signal.SIGTERM)


# --- reading the database directly -------------------------------------------------------------


class Db:
    """A plain DB-API connection to the installation's database (no Django), for checks."""

    def __init__(self, installation: Installation) -> None:
        self.sqlite = installation.is_sqlite
        if self.sqlite:
            self.conn: Any = sqlite3.connect(installation.sqlite_path, timeout=30)
        else:
            import psycopg

            assert installation.database_url
            self.conn = psycopg.connect(installation.database_url, autocommit=True)

    def rows(self, sql: str, params: tuple = ()) -> list[tuple]:
        if not self.sqlite:
            sql = sql.replace("?", "%s")
        cursor = self.conn.execute(sql, params)
        rows = cursor.fetchall()
        if self.sqlite:
            self.conn.commit()  # end the read transaction, so later reads see new commits
        return rows

    def value(self, sql: str, params: tuple = ()) -> Any:
        rows = self.rows(sql, params)
        return rows[0][0] if rows else None

    def close(self) -> None:
        self.conn.close()


def ticket_id(number: str) -> int:
    return int(number.removeprefix("INC-"))


# Each query returns the ids of rows that are half-written or orphaned; all must return none.
INTEGRITY_CHECKS: dict[str, str] = {
    "ticket without its CREATED event": """
        SELECT t.id FROM tickets_ticket t WHERE NOT EXISTS (
            SELECT 1 FROM tickets_ticketevent e WHERE e.ticket_id = t.id AND e.kind = 'created')""",
    "ticket with more than one CREATED event": """
        SELECT ticket_id FROM tickets_ticketevent WHERE kind = 'created'
        GROUP BY ticket_id HAVING count(*) > 1""",
    "event without its ticket": """
        SELECT e.id FROM tickets_ticketevent e
        LEFT JOIN tickets_ticket t ON t.id = e.ticket_id WHERE t.id IS NULL""",
    "comment without its ticket": """
        SELECT c.id FROM tickets_comment c
        LEFT JOIN tickets_ticket t ON t.id = c.ticket_id WHERE t.id IS NULL""",
    "comment without exactly one event": """
        SELECT c.id FROM tickets_comment c
        WHERE (SELECT count(*) FROM tickets_ticketevent e WHERE e.comment_id = c.id) <> 1""",
    "event pointing at a missing comment": """
        SELECT e.id FROM tickets_ticketevent e LEFT JOIN tickets_comment c ON c.id = e.comment_id
        WHERE e.comment_id IS NOT NULL AND c.id IS NULL""",
    "reply or note event without its comment": """
        SELECT e.id FROM tickets_ticketevent e
        WHERE e.kind IN ('replied', 'noted') AND e.comment_id IS NULL""",
    "SLA clock without its ticket": """
        SELECT c.id FROM sla_slaclock c
        LEFT JOIN tickets_ticket t ON t.id = c.ticket_id WHERE t.id IS NULL""",
    "ticket without its first-response and resolution clocks": """
        SELECT t.id FROM tickets_ticket t WHERE (
            SELECT count(DISTINCT c.target) FROM sla_slaclock c WHERE c.ticket_id = t.id
            AND c.tier = 0 AND c.target IN ('first_response', 'resolution')) <> 2""",
    "first response recorded but its clock still running": """
        SELECT t.id FROM tickets_ticket t JOIN sla_slaclock c ON c.ticket_id = t.id
        WHERE t.first_response_at IS NOT NULL AND c.target = 'first_response'
        AND c.state <> 'stopped'""",
    "public staff reply without the ticket's first response": """
        SELECT t.id FROM tickets_ticket t WHERE t.first_response_at IS NULL AND EXISTS (
            SELECT 1 FROM tickets_comment c JOIN accounts_user u ON u.id = c.author_id
            WHERE c.ticket_id = t.id AND NOT c.is_internal AND u.role <> 'requester'
            AND c.author_id <> t.requester_id)""",
    "running SLA clock but no due time on the ticket": """
        SELECT t.id FROM tickets_ticket t WHERE t.sla_due_at IS NULL AND EXISTS (
            SELECT 1 FROM sla_slaclock c WHERE c.ticket_id = t.id AND c.tier = 0
            AND c.state = 'running' AND c.due_at IS NOT NULL)""",
    "ticket without its search document": """
        SELECT t.id FROM tickets_ticket t WHERE NOT EXISTS (
            SELECT 1 FROM search_searchdocument d WHERE d.kind = 'ticket' AND d.object_id = t.id
            AND d.title = t.title)""",
    "search document of a missing ticket": """
        SELECT d.id FROM search_searchdocument d WHERE d.kind = 'ticket' AND NOT EXISTS (
            SELECT 1 FROM tickets_ticket t WHERE t.id = d.object_id)""",
    "ticket neither in the analytics facts nor marked for them": """
        SELECT t.id FROM tickets_ticket t
        WHERE NOT EXISTS (SELECT 1 FROM analytics_ticketfact f WHERE f.ticket_id = t.id)
        AND NOT EXISTS (SELECT 1 FROM analytics_factdirty d WHERE d.ticket_id = t.id)""",
}

SQLITE_CHECKS: dict[str, str] = {
    "ticket document missing from the full-text index": """
        SELECT d.id FROM search_searchdocument d WHERE d.kind = 'ticket'
        AND d.id NOT IN (SELECT rowid FROM search_fts)""",
}

POSTGRES_CHECKS: dict[str, str] = {
    "ticket document without its search vector": """
        SELECT d.id FROM search_searchdocument d
        WHERE d.kind = 'ticket' AND d.search_vector IS NULL""",
}


def integrity_problems(db: Db) -> list[str]:
    """Everything half-written or orphaned in the database, as readable lines (empty: none)."""
    problems = []
    checks = {**INTEGRITY_CHECKS, **(SQLITE_CHECKS if db.sqlite else POSTGRES_CHECKS)}
    for name, sql in checks.items():
        ids = [row[0] for row in db.rows(sql)]
        if ids:
            problems.append(f"{name}: {ids[:10]}{' …' if len(ids) > 10 else ''}")
    tickets = {row[0] for row in db.rows("SELECT id FROM tickets_ticket")}
    comments = {row[0] for row in db.rows("SELECT id FROM tickets_comment")}
    for scope, body in db.rows("SELECT scope, response FROM core_idempotencyrecord"):
        response = json.loads(body) if isinstance(body, str) else body
        if scope == "ticket_create" and ticket_id(response["number"]) not in tickets:
            problems.append(f"idempotency record of a missing ticket: {response['number']}")
        if scope.startswith("comment_create:") and response["id"] not in comments:
            problems.append(f"idempotency record of a missing comment: {response['id']}")
    if db.sqlite:
        for check in ("integrity_check", "foreign_key_check"):
            rows = db.rows(f"PRAGMA {check}")
            if rows not in ([("ok",)], []):
                problems.append(f"PRAGMA {check}: {rows[:10]}")
        try:
            db.rows("INSERT INTO search_fts(search_fts) VALUES ('integrity-check')")
        except sqlite3.DatabaseError as exc:
            problems.append(f"full-text index integrity-check: {exc}")
    return problems


# --- the API client ----------------------------------------------------------------------------


def request(
    port: int,
    method: str,
    path: str,
    *,
    token: str,
    body: dict | None = None,
    headers: dict[str, str] | None = None,
    timeout: float = 60,
) -> tuple[int, dict[str, str], Any]:
    """One HTTP request on a new connection: (status, headers, decoded JSON body or text)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        all_headers = {"Authorization": f"Bearer {token}", **(headers or {})}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            all_headers["Content-Type"] = "application/json"
        conn.request(method, path, body=data, headers=all_headers)
        response = conn.getresponse()
        raw = response.read()
        answer_headers = {k.lower(): v for k, v in response.getheaders()}
        try:
            decoded: Any = json.loads(raw) if raw else None
        except ValueError:
            decoded = raw.decode(errors="replace")
        return response.status, answer_headers, decoded
    finally:
        conn.close()


@dataclass
class Create:
    """One create request the client sent; `answer` is set once the server acknowledged it."""

    kind: str  # "ticket" or "comment"
    path: str
    key: str  # the Idempotency-Key
    body: dict
    answer: dict | None = None
    replayed: bool = False


@dataclass
class Ledger:
    """What the client knows: acknowledged creates, the ones in flight when the server died, and
    any answer that was neither a success nor a lost connection."""

    acked: list[Create] = field(default_factory=list)
    unacked: list[Create] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def tickets_acked(self) -> int:
        with self.lock:
            return sum(1 for c in self.acked if c.kind == "ticket")


def send(port: int, token: str, create: Create, ledger: Ledger) -> bool:
    """Send one create; False when the connection failed (the server is gone)."""
    try:
        status, headers, answer = request(
            port,
            "POST",
            create.path,
            token=token,
            body=create.body,
            headers={"Idempotency-Key": create.key},
        )
    except (OSError, http.client.HTTPException):
        with ledger.lock:
            ledger.unacked.append(create)
        return False
    with ledger.lock:
        if status in (200, 201) and isinstance(answer, dict):
            create.answer = answer
            create.replayed = headers.get("idempotent-replayed") == "true"
            ledger.acked.append(create)
        else:
            ledger.errors.append(f"{create.kind} {create.key}: HTTP {status} {answer!r:.300}")
    return True


def ticket_create(run: str, n: int, requester_id: int) -> Create:
    key = f"{run}-{n}-{uuid.uuid4().hex[:8]}"
    body = {
        "title": f"Crash test {key}",
        "description": f"Written by the crash-test client, request {n}.",
        "requester": requester_id,
        "impact": 1 + n % 3,
        "urgency": 1 + (n // 3) % 3,
    }
    return Create("ticket", "/api/v1/tickets", key, body)


def comment_create(ticket: Create) -> Create:
    assert ticket.answer is not None
    body = {"body": f"First reply to {ticket.key}."}
    path = f"/api/v1/tickets/{ticket.answer['number']}/comments"
    return Create("comment", path, f"{ticket.key}-reply", body)


class Writer(threading.Thread):
    """Creates tickets, each followed by a public reply, as fast as the server answers, until
    the connection fails or `stop` is set."""

    def __init__(self, port: int, token: str, requester_id: int, ledger: Ledger, name: str) -> None:
        super().__init__(name=name, daemon=True)
        self.port, self.token, self.requester_id = port, token, requester_id
        self.ledger = ledger
        self.stop = threading.Event()

    def run(self) -> None:
        n = 0
        while not self.stop.is_set():
            ticket = ticket_create(self.name, n, self.requester_id)
            n += 1
            if not send(self.port, self.token, ticket, self.ledger):
                return
            if ticket.answer is None:  # an error answer, already recorded
                return
            if not send(self.port, self.token, comment_create(ticket), self.ledger):
                return
