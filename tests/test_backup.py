"""`backline backup` and `backline restore` round-trip a populated database (docs/operations.md).

Every test runs the real command line in subprocesses against throwaway data directories (and, for
PostgreSQL, throwaway databases), never against the test database of the rest of the suite.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import sqlite3
import stat
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

BACKLINE = [sys.executable, "-m", "backline.cli"]

POPULATE = """
from django.core.files.uploadedfile import SimpleUploadedFile
from backline.accounts.models import User
from backline.accounts.services import user_create
from backline.tickets.services import (
    ticket_attach, ticket_comment, ticket_create, ticket_transition
)

agent = User.objects.filter(username="agent").first() or user_create(
    username="agent", password=None, role="agent", check_password=False
)
customer = User.objects.filter(username="customer").first() or user_create(
    username="customer", password=None, role="requester", check_password=False
)
for n in range(12):
    ticket = ticket_create(
        actor=agent, requester=customer, title=f"Printer {n} on fire", description="Smoke."
    )
    if n == 0:
        ticket_transition(actor=agent, ticket=ticket, action="pend", pending_reason="vendor")
payload = bytes(range(256)) * 40 + b"end of the attachment"
ticket_attach(actor=agent, ticket=ticket, upload=SimpleUploadedFile("trace.bin", payload))
ticket_attach(actor=agent, ticket=ticket, upload=SimpleUploadedFile("notes.txt", b"notes"))
ticket_comment(actor=agent, ticket=ticket, body="Replaced the fuser; please try again.")
ticket_comment(actor=agent, ticket=ticket, body="Vendor case 4711.", internal=True)
"""

# Keeps creating tickets until the file named by its first argument exists.
WRITER = """
import pathlib
from backline.accounts.models import User
from backline.tickets.services import ticket_create

agent = User.objects.get(username="agent")
stop = pathlib.Path("{stop}")
n = 0
while not stop.exists() and n < 5000:
    ticket_create(actor=agent, title=f"Written during the backup {n}")
    n += 1
    if n == 3:
        print("writing", flush=True)
print("wrote", n, flush=True)
"""

# What the populated tickets hold beyond the rows themselves: replies and notes, SLA clocks (both
# of one ticket paused), the first response, and the search index (the app's own search finds them).
DETAILS = """
import json
from backline.accounts.models import User
from backline.search.queries import search
from backline.sla.models import ClockPause, SlaClock
from backline.tickets.models import Comment, Ticket
printers = Ticket.objects.filter(title__startswith="Printer ")
last = printers.get(title="Printer 11 on fire")
print(json.dumps({
    "comments": sorted(
        Comment.objects.filter(ticket__in=printers).values_list("body", "is_internal")
    ),
    "clocks": sorted(SlaClock.objects.filter(ticket__in=printers).values_list(
        "ticket__title", "target", "tier", "state", "target_minutes")),
    "pauses": list(ClockPause.objects.filter(clock__ticket__in=printers).values_list(
        "reason", flat=True)),
    "first_response": last.first_response_at.isoformat(),
    "sla_due": sorted(str(t.sla_due_at) for t in printers),
    "found": sorted(h.title for h in search(user=User.objects.get(username="agent"),
                                               q="printer fire", per_page=100).hits),
}))
"""


def details(env: dict[str, str]) -> dict:
    return json.loads(shell(env, DETAILS).strip().splitlines()[-1])


def assert_details_restored(restored: dict, source: dict) -> None:
    assert restored == source
    assert len(restored["comments"]) == 2 and restored["pauses"] == ["vendor", "vendor"]
    assert len(restored["clocks"]) >= 2 * 12
    assert sorted(set(restored["found"])) == sorted(f"Printer {n} on fire" for n in range(12))


COUNT = """
from backline.tickets.models import Attachment, Ticket, TicketEvent
first = Attachment.objects.order_by("pk").first()
print(Ticket.objects.count(), TicketEvent.objects.count(), Attachment.objects.count(),
      first.sha256, first.file.read().hex())
"""


def _env(data_dir: Path, database_url: str | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "PYTEST_CURRENT_TEST"}}
    env.update(
        BACKLINE_DATA_DIR=str(data_dir),
        DJANGO_SETTINGS_MODULE="backline.config.settings",
        DEBUG="1",
    )
    if database_url:
        env["DATABASE_URL"] = database_url
    return env


def run(env: dict[str, str], *args: str, ok: bool = True) -> subprocess.CompletedProcess:
    result = subprocess.run(
        [*BACKLINE, *args], env=env, capture_output=True, text=True, timeout=300, check=False
    )
    if ok:
        assert result.returncode == 0, result.stdout + result.stderr
    return result


def shell(env: dict[str, str], code: str) -> str:
    return run(env, "manage", "shell", "--no-imports", "-c", code).stdout


def counts(env: dict[str, str]) -> tuple[int, int, int, str, str]:
    tickets, events, attachments, sha, data = shell(env, COUNT).split()[-5:]
    return int(tickets), int(events), int(attachments), sha, data


def init(env: dict[str, str]) -> None:
    run(env, "init", "--admin-password", "backline-test-admin")


def written_backup(stdout: str) -> Path:
    return Path(stdout.split("Wrote ", 1)[1].split(" (", 1)[0])


def backup_while_writing(env: dict[str, str], destination: Path) -> tuple[Path, int]:
    """Back up while another process keeps creating tickets; return the file and the number of
    tickets committed before the backup started."""
    stop = destination.parent / "stop-writing"
    writer = subprocess.Popen(
        [*BACKLINE, "manage", "shell", "--no-imports", "-c", WRITER.replace("{stop}", str(stop))],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert writer.stdout is not None
        assert writer.stdout.readline().strip() == "writing", writer.stderr
        before = counts(env)[0]
        path = written_backup(run(env, "backup", "--to", str(destination)).stdout)
    finally:
        stop.touch()
        out, err = writer.communicate(timeout=60)
    assert writer.returncode == 0, err
    assert int(out.split()[-1]) > 3  # the writer really was writing
    return path, before


# --- SQLite ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sqlite_source(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    env = _env(tmp_path_factory.mktemp("source"))
    init(env)
    shell(env, POPULATE)
    return env


def sqlite_tickets(path: Path) -> int:
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        assert connection.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        return connection.execute("SELECT count(*) FROM tickets_ticket").fetchone()[0]
    finally:
        connection.close()


def test_sqlite_backup_while_writing_then_restore(
    sqlite_source: dict[str, str], tmp_path: Path
) -> None:
    destination = tmp_path / "backups"
    path, before = backup_while_writing(sqlite_source, destination)

    assert path.parent == destination and path.name.endswith(".sqlite3")
    assert path.name.startswith("backline-")
    media = path.with_name(path.name.removesuffix(".sqlite3") + "-media.tar.gz")
    assert sorted(p.name for p in destination.iterdir()) == sorted([path.name, media.name])
    assert stat.S_IMODE(destination.stat().st_mode) == 0o700
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(media.stat().st_mode) == 0o600
    assert not Path(str(path) + "-wal").exists()  # a single self-contained file
    in_backup = sqlite_tickets(path)
    assert in_backup >= before >= 12 + 3
    with tarfile.open(media) as archive:
        assert any(name.startswith("media/attachments/") for name in archive.getnames())

    target = _env(tmp_path / "restored")
    result = run(target, "restore", str(path))
    assert f"Restored the database from {path}" in result.stdout
    assert "Restored the uploaded files" in result.stdout
    tickets, events, attachments, sha, data = counts(target)
    assert tickets == in_backup
    assert attachments == 2
    assert events >= tickets + attachments  # each ticket's creation and each attachment
    expected = counts(sqlite_source)
    assert (sha, data) == expected[3:]
    assert_details_restored(details(target), details(sqlite_source))
    assert bytes.fromhex(data).endswith(b"end of the attachment")
    # The restored database is the application's own again: it takes new writes.
    shell(target, POPULATE)
    assert counts(target)[0] == in_backup + 12


def test_restore_refuses_a_database_with_data_unless_forced(
    sqlite_source: dict[str, str], tmp_path: Path
) -> None:
    path = written_backup(run(sqlite_source, "backup", "--to", str(tmp_path / "b")).stdout)
    busy = tmp_path / "busy"
    busy.mkdir()
    shutil.copy(path, busy / "backline.sqlite3")
    connection = sqlite3.connect(busy / "backline.sqlite3")
    connection.execute("UPDATE tickets_ticket SET title = 'Changed since'")
    connection.commit()
    connection.close()

    def titles() -> set[str]:
        connection = sqlite3.connect(busy / "backline.sqlite3")
        try:
            return {row[0] for row in connection.execute("SELECT title FROM tickets_ticket")}
        finally:
            connection.close()

    target = _env(busy)
    refused = run(target, "restore", str(path), ok=False)
    assert refused.returncode == 2
    assert "already holds Backline data" in refused.stderr and "--force" in refused.stderr
    assert titles() == {"Changed since"}  # untouched

    run(target, "restore", str(path), "--force")
    assert "Printer 0 on fire" in titles() and "Changed since" not in titles()


def test_restore_refuses_a_file_that_is_not_a_backup(tmp_path: Path) -> None:
    target = _env(tmp_path / "fresh")
    not_backup = tmp_path / "backline-20260101T000000Z.sqlite3"
    not_backup.write_bytes(b"this is not a database at all" * 100)
    result = run(target, "restore", str(not_backup), "--force", ok=False)
    assert result.returncode == 2 and "is not a Backline backup" in result.stderr

    other_sqlite = tmp_path / "other.sqlite3"
    connection = sqlite3.connect(other_sqlite)
    connection.execute("CREATE TABLE notes (body TEXT)")
    connection.commit()
    connection.close()
    result = run(target, "restore", str(other_sqlite), "--force", ok=False)
    assert result.returncode == 2 and "not a Backline database" in result.stderr

    missing = run(target, "restore", str(tmp_path / "nothing.sqlite3"), ok=False)
    assert missing.returncode == 2 and "No backup file" in missing.stderr
    # Nothing was written: the settings may have created the empty 0600 file, no more.
    database = tmp_path / "fresh" / "backline.sqlite3"
    assert not database.exists() or database.stat().st_size == 0


def test_an_interrupted_backup_leaves_no_file_that_looks_complete(tmp_path: Path) -> None:
    from backline.core.backup import _atomic_file

    final = tmp_path / "backline-20260101T000000Z.sqlite3"
    with pytest.raises(RuntimeError), _atomic_file(final) as temporary:
        temporary.write_bytes(b"the first half")
        assert stat.S_IMODE(temporary.stat().st_mode) == 0o600
        raise RuntimeError("disk full")
    assert list(tmp_path.iterdir()) == []


# --- PostgreSQL --------------------------------------------------------------------------------

PG_URL = os.environ.get("BACKLINE_BACKUP_PG_URL", "postgres://postgres@127.0.0.1:5432/")


def _pg_reachable() -> bool:
    try:
        socket.create_connection(("127.0.0.1", 5432), timeout=1).close()
    except OSError:
        return False
    return True


def _psql(sql: str) -> None:
    psql = ["psql", "--no-psqlrc", "-v", "ON_ERROR_STOP=1", "-d", PG_URL + "postgres"]
    subprocess.run(
        [*psql, "-c", sql],
        check=True,
        capture_output=True,
        timeout=60,
    )


@pytest.fixture
def pg_databases() -> object:
    names = ("backline_backup_src", "backline_backup_dst")
    for name in names:
        _psql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        _psql(f"CREATE DATABASE {name}")
    yield names
    for name in names:
        _psql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.mark.skipif(
    not _pg_reachable() or not shutil.which("pg_dump") or not shutil.which("psql"),
    reason="no PostgreSQL on 127.0.0.1:5432 or no client tools",
)
def test_postgresql_round_trip(pg_databases: tuple[str, str], tmp_path: Path) -> None:
    source = _env(tmp_path / "src", PG_URL + "backline_backup_src")
    init(source)
    shell(source, POPULATE)
    path, before = backup_while_writing(source, tmp_path / "backups")
    assert path.name.endswith(".dump") and stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.read_bytes().startswith(b"PGDMP")

    target = _env(tmp_path / "dst", PG_URL + "backline_backup_dst")  # empty: no --force needed
    result = run(target, "restore", str(path))
    assert "Restored the uploaded files" in result.stdout
    tickets, events, attachments, sha, data = counts(target)
    assert tickets >= before >= 12 + 3
    assert attachments == 2 and events >= tickets + attachments
    assert (sha, data) == counts(source)[3:]
    assert_details_restored(details(target), details(source))

    refused = run(target, "restore", str(path), ok=False)
    assert refused.returncode == 2 and "--force" in refused.stderr
    run(target, "restore", str(path), "--force")
    assert counts(target)[0] == tickets
