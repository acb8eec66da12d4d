"""The benchmark suite's database side: the environment, building or reusing the big database,
the fixtures the cases need, and the in-process measurements (raw inserts, SLA sweep, log mining).

Django is set up in this (the suite's) process against the same database as the server; its
connections are closed before the server starts, so SQLite's single writer is never held here.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.suite_stats import Row

PG_DEFAULT = "postgres://postgres@127.0.0.1:5432/backline_bench"
SCRATCH = "backline_bench_scratch"


def prepare_environment(data_dir: Path, database_url: str) -> dict[str, str]:
    """Production settings for this process and the server; returns the server's environment."""
    data_dir.mkdir(parents=True, exist_ok=True)
    os.environ["BACKLINE_DATA_DIR"] = str(data_dir)
    os.environ["DJANGO_SETTINGS_MODULE"] = "backline.config.settings"
    os.environ["BACKLINE_ALLOWED_HOSTS"] = "127.0.0.1,localhost"
    for name in ("DEBUG", "BACKLINE_DEBUG", "BACKLINE_TEST_DATABASE_URL"):
        os.environ.pop(name, None)
    if database_url:
        ensure_postgres_database(database_url)
        os.environ["DATABASE_URL"] = database_url
    else:
        os.environ.pop("DATABASE_URL", None)
    # The create case sends ~500 calls/s per token: far past the abuse limits (0 = no limit).
    return {
        **os.environ,
        "BACKLINE_API_READS_PER_MINUTE": "0",
        "BACKLINE_API_WRITES_PER_MINUTE": "0",
    }


def ensure_postgres_database(url: str) -> None:
    """Create the database if it is missing (it is kept between runs)."""
    import psycopg
    from psycopg import sql

    name = url.rsplit("/", 1)[1].split("?", 1)[0]
    admin = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            return
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def setup_django() -> None:
    import django

    django.setup()


def ticket_count() -> int:
    """Tickets in the database; 0 when it is not migrated yet."""
    from django.db import DatabaseError, connections

    from backline.tickets.models import Ticket

    try:
        return Ticket.objects.count()
    except DatabaseError:
        return 0
    finally:
        connections.close_all()


def build_database(tickets: int, seed: int) -> float:
    """`backline generate --tickets N` in a child process; returns its wall seconds."""
    from django.db import connections

    connections.close_all()
    started = time.perf_counter()
    command = [sys.executable, "-m", "backline.cli", "generate", "--tickets", str(tickets)]
    done = subprocess.run([*command, "--seed", str(seed)], check=False)  # noqa: S603
    if done.returncode != 0:
        raise SystemExit(
            f"`backline generate` failed (exit {done.returncode}). It builds into an empty "
            "database only: for a bigger one, give a new --data-dir or --database-url (or drop "
            "the old one)."
        )
    return time.perf_counter() - started


def collect_static() -> bool:
    """The server runs with DEBUG off: its CSS and JS come from STATIC_ROOT. Collecting (and
    compressing) takes most of a minute, so it runs only when a source file is newer than the
    manifest; returns whether it ran."""
    from django.conf import settings
    from django.contrib.staticfiles.finders import get_finders
    from django.core.management import call_command

    manifest = Path(settings.STATIC_ROOT) / "staticfiles.json"
    if manifest.exists():
        built = manifest.stat().st_mtime
        newest = max(
            (
                storage.get_modified_time(path).timestamp()
                for finder in get_finders()
                for path, storage in finder.list([])
            ),
            default=0.0,
        )
        if newest <= built:
            return False
    call_command("collectstatic", interactive=False, verbosity=0)
    return True


# ----------------------------------------------------------------------------- fixtures


@dataclass
class Fixtures:
    """Who and what the cases use."""

    password: str
    agent: str  # an L2 engineer (tbecker)
    manager: str  # hcarter
    team_id: int  # the agent's L2 team
    busy_ticket: str  # the ticket whose event count is closest to 50
    busy_events: int
    busy_ticket_id: int
    other_ticket_id: int  # a ticket for the log-mining case
    tokens: dict[str, str]  # purpose -> secret
    token_ids: list[tuple[int, int]]  # (token id, user id), revoked at the end


def load_fixtures(creators: int) -> Fixtures:
    """The demo users, the agent's team, the busy ticket, and fresh API tokens."""
    from django.db import connections

    from backline.accounts.models import User
    from backline.accounts.services import token_create
    from backline.cli import DEMO_PASSWORD
    from backline.tickets.queries import tickets_visible_to

    users = {u.username: u for u in User.objects.filter(username__in=["tbecker", "hcarter"])}
    if len(users) != 2:
        raise SystemExit("The database lacks the demo users tbecker and hcarter.")
    agent, manager = users["tbecker"], users["hcarter"]
    team = agent.teams.order_by("-tier", "name").first()
    if team is None:
        raise SystemExit("tbecker is in no team.")
    busy, busy_id, events = _ticket_with_events(agent, 50)
    events = _top_up_events(agent, busy_id, events, 50)
    first = tickets_visible_to(agent).exclude(pk=busy_id).order_by("id").first()
    assert first is not None  # noqa: S101 - the database holds tickets (checked before)
    tokens: dict[str, str] = {}
    token_ids: list[tuple[int, int]] = []
    wanted = [("agent", agent), ("manager", manager)]
    wanted += [(f"create{i}", agent) for i in range(creators)]
    for purpose, user in wanted:
        row, secret = token_create(user=user, name=f"bench suite {purpose}")
        tokens[purpose] = secret
        token_ids.append((row.pk, user.pk))
    fixtures = Fixtures(
        DEMO_PASSWORD,
        agent.username,
        manager.username,
        team.pk,
        busy,
        events,
        busy_id,
        first.pk,
        tokens,
        token_ids,
    )
    connections.close_all()
    return fixtures


def _ticket_with_events(user: Any, target: int) -> tuple[str, int, int]:
    """The ticket (visible to `user`) whose event count is closest to `target`, and the count."""
    from django.db.models import Count, F, Func

    from backline.tickets.models import Ticket, TicketEvent
    from backline.tickets.queries import tickets_visible_to

    # The newest 20,000 tickets are enough to find one (and cheap to group at ten million events).
    top = Ticket.objects.order_by("-id").values_list("id", flat=True).first() or 0
    visible = tickets_visible_to(user).filter(id__gt=top - 20_000).values("pk")
    counts = (
        TicketEvent.objects.filter(ticket__in=visible, ticket_id__gt=top - 20_000)
        .values("ticket_id")
        .annotate(c=Count("id"))
    )
    best = (
        counts.filter(c__gte=target // 2, c__lte=target * 2)
        .annotate(d=Func(F("c") - target, function="ABS"))
        .order_by("d", "ticket_id")
        .first()
    ) or counts.order_by("-c", "ticket_id").first()
    if best is None:
        raise SystemExit("The database holds no ticket events.")
    return Ticket.objects.get(pk=best["ticket_id"]).number, best["ticket_id"], best["c"]


def _top_up_events(user: Any, ticket_id: int, events: int, target: int) -> int:
    """Bring the busy ticket to `target` events with internal notes written the way the ticket
    page writes them (`ticket_comment`): the generated history lives at most ~34 events a
    ticket, the target case is a long one. Done once; later runs find the ticket at target."""
    from backline.tickets.models import Ticket, TicketEvent
    from backline.tickets.services import ticket_comment

    ticket = Ticket.objects.get(pk=ticket_id)
    for i in range(max(target - events, 0)):
        ticket_comment(
            actor=user,
            ticket=ticket,
            body=f"Bench note {i + 1}: checked the logs again, same timeout pattern.",
            internal=True,
        )
        ticket.refresh_from_db()
    return TicketEvent.objects.filter(ticket_id=ticket_id).count()


def deep_cursor(username: str, params: dict[str, Any], page: int, per_page: int) -> str | None:
    """The `after` cursor that page `page - 1`'s Next link carries (the sort values of its last
    row), or None when the sort pages by number only or the list is shorter."""
    from django.db import connections
    from django.http import QueryDict

    from backline.accounts.models import User
    from backline.tickets import paging, queries
    from backline.tickets.filters import TicketFilter

    query = QueryDict(mutable=True)
    for key, value in params.items():
        query.setlist(key, [str(v) for v in value] if isinstance(value, list) else [str(value)])
    flt = TicketFilter.from_query(query)
    fields = paging.keyset_fields(flt.order)
    offset = (page - 1) * per_page - 1
    rows = (
        []
        if fields is None
        else list(
            queries.ticket_list(User.objects.get(username=username), flt)[offset : offset + 1]
        )
    )
    connections.close_all()
    return paging.encode(rows[0], fields) if rows and fields else None


def revoke_tokens(token_ids: list[tuple[int, int]]) -> None:
    from django.db import connections

    from backline.accounts.models import User
    from backline.accounts.services import token_revoke

    for token_id, user_id in token_ids:
        token_revoke(token_id=token_id, actor=User.objects.get(pk=user_id))
    connections.close_all()


# ----------------------------------------------------------------------------- in process


def insert_ceiling(rows: int = 100_000) -> Row:
    """Rows/s of one executemany into a scratch table (3 int + 1 text), one transaction."""
    from django.db import connection, connections, transaction

    data = [(i, i % 97, i % 13, f"row {i} of the scratch table") for i in range(rows)]
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {SCRATCH}")
        cursor.execute(f"CREATE TABLE {SCRATCH} (a integer, b integer, c integer, t text)")
    try:
        started = time.perf_counter()
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.executemany(f"INSERT INTO {SCRATCH} VALUES (%s, %s, %s, %s)", data)  # noqa: S608
        took = time.perf_counter() - started
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS {SCRATCH}")
        connections.close_all()
    return Row(
        "ceilings", "raw insert (executemany)", n=rows, throughput=rows / took, unit="rows/s"
    )


def sla_sweep_row() -> Row:
    """One `sla_sweep(now=now)`, rolled back so every run sweeps the same clocks."""
    from django.db import connections, transaction
    from django.utils import timezone

    from backline.sla.services import sla_sweep

    with transaction.atomic():
        started = time.perf_counter()
        counts = sla_sweep(now=timezone.now())
        took = time.perf_counter() - started
        transaction.set_rollback(True)
    connections.close_all()
    note = f"{counts.get('warned', 0)} warned, {counts.get('breached', 0)} breached; rolled back"
    return Row("in process", "SLA sweep", n=1, value=took, value_unit="s", note=note)


def log_mining_row(fixtures: Fixtures, work: Path, megabytes: int) -> Row:
    """bench/log_ingest.py's log, processed as the worker does on this database (lines/s)."""
    from django.conf import settings
    from django.db import connections

    from backline.accounts.models import User
    from backline.diagnostics.services import log_attach, log_delete, log_process
    from backline.tickets.models import Ticket
    from bench.log_ingest import write_log

    work.mkdir(parents=True, exist_ok=True)
    path = work / f"bench-{megabytes}mb.log"
    if not path.exists():
        write_log(path, megabytes, compress=False)
    settings.BACKLINE_LOG_SHARE = str(work)
    agent = User.objects.get(username=fixtures.agent)
    ticket = Ticket.objects.get(pk=fixtures.other_ticket_id)
    log = log_attach(actor=agent, ticket=ticket, share_path=path.name)
    started = time.perf_counter()
    log = log_process(log_id=log.pk)
    took = time.perf_counter() - started
    lines, status, error = log.lines, log.status, log.error
    log_delete(actor=agent, log=log)
    connections.close_all()
    if status != "ready":
        raise RuntimeError(f"log mining failed: {error}")
    note = f"{megabytes} MB, {lines:,} lines, {took:.1f} s"
    return Row(
        "in process", "log mining", n=lines, throughput=lines / took, unit="lines/s", note=note
    )


def describe_database() -> dict[str, Any]:
    from django.db import connection

    return {"vendor": connection.vendor, "name": str(connection.settings_dict["NAME"])}
