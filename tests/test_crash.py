"""Crash safety (issue 11): SIGKILL the web server while a client creates tickets, and the worker
while it processes a log, then restart them and check that nothing acknowledged was lost, nothing
is half-written, and nothing runs twice or stays stuck.

The processes are the real ones (`backline serve` = gunicorn, `backline worker`) on a throwaway
data directory and database: SQLite by default, a database of its own on the PostgreSQL server of
BACKLINE_TEST_DATABASE_URL when that is PostgreSQL (CI's second pass).
"""

from __future__ import annotations

import json
import random
import signal
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from backline.accounts.choices import Role
from backline.core.errors import Conflict
from backline.diagnostics.choices import LogStatus
from backline.diagnostics.models import LogFile
from backline.diagnostics.services import log_attach
from backline.diagnostics.tasks import process_log
from backline.imports.models import ImportJob, ImportState
from backline.imports.services import import_job_create, import_job_run
from backline.tickets.models import Ticket
from backline.tickets.services import ticket_create
from backline.worker import run_tasks
from tests.crash_client import (
    Create,
    Installation,
    Ledger,
    Server,
    Writer,
    comment_create,
    copy_sqlite,
    database_name,
    integrity_problems,
    kill_group,
    pg_server_url,
    send,
    throwaway_pg_database,
    ticket_id,
)
from tests.factories import UserFactory

BACKEND = "postgresql" if pg_server_url() else "sqlite"
KILL_ROUNDS = 3
WRITERS = 3

SETUP_DESK = """
import json
from backline.accounts.models import Team
from backline.accounts.services import team_add_member, token_create, user_create
team = Team.objects.create(name="Crash L2", slug="crash-l2", tier=2)
agent = user_create(username="crash-agent", password=None, role="agent", check_password=False)
team_add_member(team=team, user=agent)
requester = user_create(username="crash-req", password=None, role="requester", check_password=False)
_, token = token_create(user=agent, name="crash test")
print(json.dumps({"token": token, "team": team.pk, "requester": requester.pk}))
"""


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Installation, dict]]:
    """One migrated database with a desk (an L2 team, an agent with a token, a requester);
    each test works on its own copy, so the migrations run once."""
    data_dir = tmp_path_factory.mktemp("template")
    if BACKEND == "sqlite":
        source = Installation(data_dir)
        source.migrate()
        yield source, json.loads(source.shell(SETUP_DESK).strip().splitlines()[-1])
        return
    with throwaway_pg_database("backline_crash_tpl") as url:
        source = Installation(data_dir, database_url=url)
        source.migrate()
        yield source, json.loads(source.shell(SETUP_DESK).strip().splitlines()[-1])


@pytest.fixture
def installation(
    template: tuple[Installation, dict], tmp_path: Path
) -> Iterator[tuple[Installation, dict]]:
    source, desk = template
    if source.database_url is None:
        copy_sqlite(source.sqlite_path, tmp_path / "data" / "backline.sqlite3")
        yield Installation(tmp_path / "data"), desk
        return
    with throwaway_pg_database("backline_crash", database_name(source.database_url)) as url:
        yield Installation(tmp_path / "data", database_url=url), desk


def _retry(server: Server, token: str, ledger: Ledger) -> int:
    """Send again every create the client never saw answered, with its Idempotency-Key;
    returns how many of them the server had committed before it died (answered as replays)."""
    pending, ledger.unacked = ledger.unacked, []
    for create in pending:
        assert send(server.port, token, create, ledger), "the restarted server did not answer"
    assert not ledger.unacked and not ledger.errors, ledger.errors
    return sum(1 for c in pending if c.replayed)


def _check_acknowledged(installation: Installation, ledger: Ledger) -> None:
    """Every acknowledged create is in the database exactly once, as the client sent it."""
    tickets = [c for c in ledger.acked if c.kind == "ticket"]
    comments = [c for c in ledger.acked if c.kind == "comment"]
    with installation.db() as db:
        rows = dict(db.rows("SELECT id, title FROM tickets_ticket"))
        titles = [title for title in rows.values() if title.startswith("Crash test ")]
        assert len(titles) == len(set(titles)), "a retried create was written twice"
        for create in tickets:
            assert create.answer is not None
            number = ticket_id(create.answer["number"])
            assert rows.get(number) == create.body["title"], f"lost ticket {number}"
        assert len(titles) == len(tickets), "a ticket the client never saw acknowledged"
        found = dict(db.rows("SELECT id, body FROM tickets_comment"))
        for create in comments:
            assert create.answer is not None
            assert found.get(create.answer["id"]) == create.body["body"], "lost comment"
        bodies = list(found.values())
        assert len(bodies) == len(set(bodies)) == len(comments), "a duplicated or unknown reply"
        assert integrity_problems(db) == []


def test_killing_the_web_server_loses_no_acknowledged_write(
    installation: tuple[Installation, dict],
) -> None:
    install, desk = installation
    token, rng = desk["token"], random.Random()  # noqa: S311 - when to kill, not a secret
    seed = rng.randrange(10**6)
    rng.seed(seed)
    print(f"crash rounds seeded with {seed} on {BACKEND}")
    ledger = Ledger()
    replays = 0
    for round_number in range(KILL_ROUNDS + 1):
        server = Server(install)
        try:
            server.wait_ready(token)
            replays += _retry(server, token, ledger)
            if round_number == KILL_ROUNDS:
                break
            writers = [
                Writer(server.port, token, desk["requester"], ledger, f"r{round_number}w{i}")
                for i in range(WRITERS)
            ]
            for writer in writers:
                writer.start()
            # Kill at a random moment once a random number of tickets more were acknowledged.
            target = ledger.tickets_acked() + rng.randint(5, 40)
            deadline = time.monotonic() + 60
            while ledger.tickets_acked() < target:
                assert not ledger.errors, ledger.errors
                assert time.monotonic() < deadline, "the writers made no progress"
                time.sleep(0.005)
            time.sleep(rng.uniform(0, 0.05))
            server.kill()
            for writer in writers:
                writer.join(timeout=60)
                assert not writer.is_alive()
            assert not ledger.errors, ledger.errors
            # Each writer stopped at its first failed request: the one the kill cut off.
            assert len(ledger.unacked) == WRITERS
            with install.db() as db:
                assert integrity_problems(db) == []
        finally:
            server.stop()
    _check_acknowledged(install, ledger)
    tickets = sum(1 for c in ledger.acked if c.kind == "ticket")
    print(f"{tickets} tickets acknowledged over {KILL_ROUNDS} kills, {replays} retries replayed")
    assert tickets >= KILL_ROUNDS * 5


def test_a_retried_reply_is_written_once(installation: tuple[Installation, dict]) -> None:
    """The retry after a crash of a reply the server had already committed returns that reply
    instead of writing a second one (what the crash test relies on for unacknowledged replies)."""
    install, desk = installation
    server = Server(install, workers=1)
    try:
        server.wait_ready(desk["token"])
        ledger = Ledger()
        ticket = Create(
            "ticket",
            "/api/v1/tickets",
            "retry-ticket",
            {"title": "Crash test retry", "requester": desk["requester"]},
        )
        assert send(server.port, desk["token"], ticket, ledger)
        reply = comment_create(ticket)
        again = Create(reply.kind, reply.path, reply.key, reply.body)
        assert send(server.port, desk["token"], reply, ledger)
        assert send(server.port, desk["token"], again, ledger)
        assert not ledger.errors, ledger.errors
        assert again.replayed and not reply.replayed
        assert again.answer == reply.answer
        other = Create(reply.kind, reply.path, reply.key, {"body": "Something else."})
        send(server.port, desk["token"], other, ledger)
        assert other.answer is None and "HTTP 409" in ledger.errors[-1]
    finally:
        server.stop()
    with install.db() as db:
        assert db.value("SELECT count(*) FROM tickets_comment") == 1
        assert db.value("SELECT count(*) FROM tickets_ticketevent WHERE kind = 'replied'") == 1
        assert integrity_problems(db) == []


ATTACH_LOG = """
from django.core.files import File
from backline.accounts.models import User
from backline.diagnostics.services import log_attach
from backline.tickets.services import ticket_create
agent = User.objects.get(username="crash-agent")
ticket = ticket_create(actor=agent, title="The worker is killed while it reads this log")
with open({path!r}, "rb") as fh:
    log = log_attach(actor=agent, ticket=ticket, upload=File(fh, name="big.log"))
print(log.pk)
"""
LOG_LINES = 250_000
TASKS = "SELECT count(*) FROM django_tasks_database_dbtaskresult"


def _write_log(path: Path) -> None:
    """A log long enough that reading it spans several progress reports (every 50,000 lines)."""
    rng = random.Random(11)  # noqa: S311 - test data, not secrets
    lines = []
    for i in range(LOG_LINES):
        s = i // 10
        at = f"2026-03-02T{s // 3600 % 24:02d}:{s // 60 % 60:02d}:{s % 60:02d}.{i % 1000:03d}Z"
        kind = i % 4
        if kind == 0:
            lines.append(f"{at} INFO [db] connection {rng.randint(1, 9999)} opened")
        elif kind == 1:
            lines.append(f"{at} WARN [api] slow request /orders/{rng.randint(1, 99999)} took 9 s")
        elif kind == 2:
            lines.append(f"{at} INFO [auth] user u{rng.randint(1, 500)} logged in")
        else:
            lines.append(f"{at} ERROR [pay] payment {rng.randint(1, 99999)} declined")
    path.write_text("\n".join(lines) + "\n")


def _wait_for(db, sql: str, params: tuple, wanted, worker, install, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while (value := db.rows(sql, params)) != wanted:
        assert worker.poll() is None, "the worker exited:\n" + install.log_tail("worker.log")
        assert time.monotonic() < deadline, f"still {value}:\n" + install.log_tail("worker.log")
        time.sleep(0.02)


def test_killing_the_worker_mid_task_runs_the_task_again_exactly_once(
    installation: tuple[Installation, dict], tmp_path: Path
) -> None:
    install, _ = installation
    # A short lease, so the task a killed worker held is taken up again within seconds.
    install.extra_env.update(BACKLINE_TASK_LEASE_SECONDS="3", BACKLINE_WORKER_INTERVAL="1")
    _write_log(tmp_path / "big.log")
    log_id = int(install.shell(ATTACH_LOG.format(path=str(tmp_path / "big.log"))).split()[-1])
    tasks = "SELECT status, worker_ids FROM django_tasks_database_dbtaskresult ORDER BY id"
    with install.db() as db:
        assert [row[0] for row in db.rows(tasks)] == ["READY"]
        worker = install.spawn("worker", log_name="worker.log")
        try:
            # Mid-task: the log is being read and part of it has been reported done.
            _wait_for(
                db,
                "SELECT status FROM diagnostics_logfile WHERE id = ? AND bytes_done > 0",
                (log_id,),
                [("processing",)],
                worker,
                install,
            )
        finally:
            kill_group(worker)
        assert [row[0] for row in db.rows(tasks)] == ["RUNNING"]  # left behind by the dead worker

        worker = install.spawn("worker", log_name="worker.log")
        try:
            _wait_for(
                db,
                "SELECT status FROM diagnostics_logfile WHERE id = ?",
                (log_id,),
                [("ready",)],
                worker,
                install,
            )
            _wait_for(
                db,
                f"{TASKS} WHERE status IN ('READY', 'RUNNING')",
                (),
                [(0,)],
                worker,
                install,
            )
        finally:
            kill_group(worker, signal.SIGTERM)
        (status, worker_ids), *later = db.rows(tasks)
        workers = json.loads(worker_ids) if isinstance(worker_ids, str) else worker_ids
        assert status == "SUCCESSFUL" and len(workers) == 2  # the dead worker's run, then one more
        # A later row only if the requeued run came a moment before the log's lease ended and
        # looked again afterwards (core.tasks.enqueue_after_lease); nothing is left waiting.
        assert all(row[0] == "SUCCESSFUL" for row in later), later
        # Its effect counts once: every line in exactly one template statistic, the ticket's
        # miner state saved once, one event for the attached log.
        assert db.rows("SELECT lines FROM diagnostics_logfile WHERE id = ?", (log_id,)) == [
            (LOG_LINES,)
        ]
        counted = "SELECT sum(count), count(*) FROM diagnostics_logtemplatestat WHERE log_id = ?"
        (lines_counted, templates), *_ = db.rows(counted, (log_id,))
        assert lines_counted == LOG_LINES and templates >= 4
        assert db.value("SELECT count(*) FROM diagnostics_logtemplate") == templates
        assert db.value("SELECT version FROM diagnostics_logmodel") == 1
        attached = "SELECT count(*) FROM tickets_ticketevent WHERE kind = 'log_attached'"
        assert db.value(attached) == 1
        assert integrity_problems(db) == []


# --- the fixes the kills called for, checked directly --------------------------------------------

DB_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}


def _small_log(name: str = "app.log") -> SimpleUploadedFile:
    lines = [f"2026-03-02T09:00:{s:02d}Z ERROR [pay] payment {s} declined" for s in range(60)]
    return SimpleUploadedFile(name, ("\n".join(lines) + "\n").encode(), "text/plain")


@pytest.mark.django_db
def test_a_log_and_its_processing_task_commit_together(settings, l2_agent):
    """The task row is written in the log's transaction: a server killed just after the commit
    cannot leave a log "queued" with no task, and a rolled-back attach leaves no task."""
    settings.TASKS = DB_TASKS
    ticket = ticket_create(actor=l2_agent, title="Payments fail")
    with pytest.raises(RuntimeError), transaction.atomic():
        log = log_attach(actor=l2_agent, ticket=ticket, upload=_small_log())
        assert DBTaskResult.objects.get().args_kwargs["args"] == [log.pk]
        raise RuntimeError("the request failed after the attach")
    assert not LogFile.objects.exists() and not DBTaskResult.objects.exists()
    log = log_attach(actor=l2_agent, ticket=ticket, upload=_small_log())
    assert DBTaskResult.objects.get().status == TaskResultStatus.READY


@pytest.mark.django_db(transaction=True)  # the worker closes and reopens its connection
def test_a_requeued_task_finding_its_log_still_leased_looks_again_after_the_lease(
    settings, l2_agent
):
    """A task put back in the queue after its worker died can start a moment before the log's
    own lease ends; it must come back later instead of leaving the log "processing" for good."""
    settings.TASKS = DB_TASKS
    settings.BACKLINE_TASK_LEASE_SECONDS = 60
    ticket = ticket_create(actor=l2_agent, title="Payments fail")
    log = log_attach(actor=l2_agent, ticket=ticket, upload=_small_log())
    held_since = timezone.now() - timedelta(seconds=50)  # by a worker that died 50 s ago
    LogFile.objects.filter(pk=log.pk).update(status=LogStatus.PROCESSING, started_at=held_since)
    DBTaskResult.objects.all().delete()

    assert process_log.call(log.pk) == LogStatus.PROCESSING
    again = DBTaskResult.objects.get()
    assert again.status == TaskResultStatus.READY
    assert again.run_after == held_since + timedelta(seconds=61)
    run_tasks()  # not due yet: nothing runs
    assert LogFile.objects.get(pk=log.pk).status == LogStatus.PROCESSING

    # The lease is over (moved into the past rather than waiting for it).
    LogFile.objects.filter(pk=log.pk).update(started_at=held_since - timedelta(seconds=60))
    DBTaskResult.objects.update(run_after=timezone.now())
    run_tasks()
    log.refresh_from_db()
    assert log.status == LogStatus.READY and log.lines == 60
    assert DBTaskResult.objects.get().status == TaskResultStatus.SUCCESSFUL


@pytest.mark.django_db
def test_an_import_left_running_by_a_dead_worker_is_taken_over_after_the_lease(settings):
    from tests.test_imports import HEADER, STORY, csv_bytes, event_mapping, upload

    settings.BACKLINE_TASK_LEASE_SECONDS = 60
    admin = UserFactory(username="ada", role=Role.ADMIN)
    job = import_job_create(
        actor=admin,
        kind="event_log",
        file=upload(csv_bytes(HEADER, STORY)),
        mapping=event_mapping(),
        dry_run=False,
    )
    started = timezone.now() - timedelta(seconds=30)
    ImportJob.objects.filter(pk=job.pk).update(state=ImportState.RUNNING, started_at=started)
    with pytest.raises(Conflict):  # within the lease the run may still be alive
        import_job_run(job.pk)
    ImportJob.objects.filter(pk=job.pk).update(started_at=started - timedelta(seconds=60))
    done = import_job_run(job.pk)
    assert (done.state, done.created) == (ImportState.DONE, 1)
    assert Ticket.objects.count() == 1
