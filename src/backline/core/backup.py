"""Backups of the database and the uploaded files, and their restore (docs/operations.md).

A backup is one database file (`backline-<UTC timestamp>.sqlite3`, or `.dump` in pg_dump's custom
format on PostgreSQL) and, beside it, `backline-<timestamp>-media.tar.gz` with the uploaded files
(attachments, logs) and the log indexes. Every file is written under a temporary name and renamed
once complete, readable by its owner only.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from django.conf import settings
from django.db import connections

from backline.core.errors import DomainError

SQLITE_HEADER = b"SQLite format 3\x00"
PG_DUMP_MAGIC = b"PGDMP"
# Tables whose rows mean the database holds Backline data a restore would destroy. (`backline
# init` creates an admin and the migrations seed reference data; neither counts.)
DATA_TABLES = ("tickets_ticket", "knowledge_article", "cmdb_configurationitem")
STEP_PAGES = 1024
FILE_MODE = 0o600
DIR_MODE = 0o700


class BackupError(DomainError):
    default_code = "backup"


def _media_dirs() -> list[tuple[str, Path]]:
    """What the media archive holds: (name in the archive, directory it comes from and goes to)."""
    return [
        ("media", Path(settings.MEDIA_ROOT)),
        ("logs", Path(settings.DATA_DIR) / "logs"),
    ]


def _db() -> dict:
    return dict(settings.DATABASES["default"])


def is_postgres() -> bool:
    return "postgresql" in _db()["ENGINE"]


def media_archive_for(path: Path) -> Path:
    """The media archive that belongs to the database backup `path`."""
    return path.with_name(f"{path.name.split('.', 1)[0]}-media.tar.gz")


# --- Files -------------------------------------------------------------------------------------


def _private_dir(path: Path) -> Path:
    path.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    os.chmod(path, DIR_MODE)
    return path


@contextmanager
def _atomic_file(final: Path) -> Iterator[Path]:
    """A private temporary file beside `final`, renamed to it only when the block succeeds."""
    fd, name = tempfile.mkstemp(dir=final.parent, prefix=f".{final.name}.", suffix=".part")
    os.close(fd)
    temporary = Path(name)
    os.chmod(temporary, FILE_MODE)
    try:
        yield temporary
        with open(temporary, "rb") as handle:
            os.fsync(handle.fileno())
        os.replace(temporary, final)
    finally:
        temporary.unlink(missing_ok=True)


def _stem(destination: Path) -> str:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    stem, n = f"backline-{stamp}", 1
    while any(destination.glob(f"{stem}.*")) or media_archive_for(destination / stem).exists():
        n += 1
        stem = f"backline-{stamp}-{n}"
    return stem


# --- Backup ------------------------------------------------------------------------------------


def backup(destination: Path) -> Path:
    """Write a consistent copy of the database (and its uploaded files) into `destination`.

    Safe while the application is writing: SQLite copies a snapshot with the online backup API,
    PostgreSQL with pg_dump (one repeatable-read transaction). Returns the database file.
    """
    try:
        return _backup(Path(destination).resolve())
    except (OSError, sqlite3.Error, tarfile.TarError) as exc:
        raise BackupError(f"The backup failed: {exc}.", field="to") from exc


def _backup(destination: Path) -> Path:
    destination = _private_dir(destination)
    stem = _stem(destination)
    if is_postgres():
        target = destination / f"{stem}.dump"
        with _atomic_file(target) as temporary:
            _pg_dump(temporary)
            verify(temporary)
    else:
        target = destination / f"{stem}.sqlite3"
        with _atomic_file(target) as temporary:
            _sqlite_backup(temporary)
            verify(temporary)
    # After the database: an attachment is written before the row that names it commits, so every
    # file the backup refers to is already on disk when the archive is made.
    _media_backup(media_archive_for(target))
    return target


def _sqlite_connect(path: Path | str, *, readonly: bool = False) -> sqlite3.Connection:
    if readonly:
        return sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=20)
    return sqlite3.connect(path, timeout=20)


def _sqlite_backup(temporary: Path) -> None:
    source = _sqlite_connect(_db()["NAME"])
    target = _sqlite_connect(temporary)
    try:
        (journal_mode,) = source.execute("PRAGMA journal_mode").fetchone()
        # In WAL mode a reader never blocks writers, so one step copies a single snapshot; a
        # stepped copy would restart whenever another connection commits, possibly forever. In
        # the other journal modes each step holds a read lock, so copy a few pages at a time.
        pages = -1 if str(journal_mode).lower() == "wal" else STEP_PAGES
        source.backup(target, pages=pages, sleep=0.01)
        # A single self-contained file, not a WAL database that needs its -wal beside it.
        target.execute("PRAGMA journal_mode=DELETE")
    finally:
        target.close()
        source.close()


def _pg_command(program: str) -> tuple[list[str], dict[str, str]]:
    db = _db()
    command = [program, "--no-password"]
    for option, key in (("--host", "HOST"), ("--port", "PORT"), ("--username", "USER")):
        if db.get(key):
            command += [option, str(db[key])]
    env = dict(os.environ)
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = str(db["PASSWORD"])
    return command, env


def _run(command: list[str], env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    try:
        result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    except FileNotFoundError as exc:
        raise BackupError(f"{command[0]} is not installed (PostgreSQL client tools).") from exc
    if result.returncode != 0:
        raise BackupError(f"{command[0]} failed: {result.stderr.strip() or result.returncode}")
    return result


def _pg_dump(temporary: Path) -> None:
    command, env = _pg_command("pg_dump")
    _run([*command, "--format=custom", "--no-owner", "--file", str(temporary), _db()["NAME"]], env)


def _media_backup(target: Path) -> None:
    with _atomic_file(target) as temporary, tarfile.open(temporary, "w:gz") as archive:
        for name, directory in _media_dirs():
            if directory.is_dir():
                archive.add(directory, arcname=name)


# --- Verify ------------------------------------------------------------------------------------


def _kind(path: Path) -> str:
    try:
        with open(path, "rb") as handle:
            head = handle.read(len(SQLITE_HEADER))
    except OSError as exc:
        raise BackupError(f"Cannot read {path}: {exc.strerror}.", field="file") from exc
    if head == SQLITE_HEADER:
        return "sqlite"
    if head.startswith(PG_DUMP_MAGIC):
        return "postgresql"
    raise BackupError(
        f"{path} is not a Backline backup (neither SQLite nor pg_dump).", field="file"
    )


def verify(path: Path) -> str:
    """Check the backup file is intact; return its kind ("sqlite" or "postgresql")."""
    path = Path(path)
    kind = _kind(path)
    if kind == "sqlite":
        connection = _sqlite_connect(path, readonly=True)
        try:
            rows = connection.execute("PRAGMA integrity_check").fetchall()
            tables = {
                row[0]
                for row in connection.execute("SELECT name FROM sqlite_master WHERE type='table'")
            }
        except sqlite3.DatabaseError as exc:
            raise BackupError(f"{path} is damaged: {exc}.", field="file") from exc
        finally:
            connection.close()
        if rows != [("ok",)]:
            problems = "; ".join(str(row[0]) for row in rows[:5])
            raise BackupError(f"{path} fails the integrity check: {problems}", field="file")
        if "tickets_ticket" not in tables:
            raise BackupError(
                f"{path} is an SQLite file but not a Backline database.", field="file"
            )
    else:
        listing = _run(["pg_restore", "--list", str(path)]).stdout
        if " tickets_ticket " not in listing:
            raise BackupError(f"{path} is a pg_dump but not of a Backline database.", field="file")
    return kind


# --- Restore -----------------------------------------------------------------------------------


def database_is_empty() -> bool:
    """Whether the current database holds no tickets, articles or configuration items."""
    connection = connections["default"]
    with connection.cursor() as cursor:
        existing = set(connection.introspection.table_names(cursor))
        for table in DATA_TABLES:
            if table in existing:
                cursor.execute(f"SELECT 1 FROM {table} LIMIT 1")  # noqa: S608 - fixed names
                if cursor.fetchone():
                    return False
    return True


def restore(source: Path, *, force: bool = False) -> None:
    """Replace the current database (and add the uploaded files) with the backup `source`.

    Refuses unless the current database is empty of Backline data or `force` is given.
    """
    source = Path(source).resolve()
    if not source.is_file():
        raise BackupError(f"No backup file {source}.", field="file")
    kind = verify(source)
    wanted = "postgresql" if is_postgres() else "sqlite"
    if kind != wanted:
        raise BackupError(
            f"{source.name} is a {kind} backup but this Backline runs on {wanted}.", field="file"
        )
    if not force and not database_is_empty():
        raise BackupError(
            "The database already holds Backline data; restore with --force to replace it.",
            code="not_empty",
            field="force",
        )
    connections.close_all()
    try:
        _restore(source, kind)
    except (OSError, sqlite3.Error) as exc:
        raise BackupError(f"The restore failed: {exc}.", field="file") from exc


def _restore(source: Path, kind: str) -> None:
    if kind == "sqlite":
        _sqlite_restore(source)
    else:
        command, env = _pg_command("pg_restore")
        _run([*command, "--clean", "--if-exists", "--no-owner", "--dbname", _db()["NAME"],
              str(source)], env)  # fmt: skip
    archive = media_archive_for(source)
    if archive.is_file():
        _media_restore(archive)


def _sqlite_restore(source: Path) -> None:
    target_path = Path(_db()["NAME"])
    _private_dir(target_path.parent)
    backup_connection = _sqlite_connect(source, readonly=True)
    target = _sqlite_connect(target_path)
    try:
        # Copies every page in one step under the target's write lock, so readers see either the
        # old database or the restored one; WAL mode is set again like the application does.
        backup_connection.backup(target)
        target.execute("PRAGMA journal_mode=WAL")
    finally:
        target.close()
        backup_connection.close()
    os.chmod(target_path, FILE_MODE)


def _media_restore(archive: Path) -> None:
    places = dict(_media_dirs())
    data_dir = _private_dir(Path(settings.DATA_DIR))
    with tempfile.TemporaryDirectory(dir=data_dir, prefix=".restore-") as staging:
        try:
            with tarfile.open(archive, "r:gz") as tar:
                members = [m for m in tar.getmembers() if m.name.split("/", 1)[0] in places]
                tar.extractall(staging, members=members, filter="data")
        except (tarfile.TarError, OSError) as exc:
            raise BackupError(f"{archive} cannot be unpacked: {exc}.", field="file") from exc
        for name, directory in places.items():
            unpacked = Path(staging) / name
            if not unpacked.is_dir():
                continue
            for path in sorted(unpacked.rglob("*")):
                final = directory / path.relative_to(unpacked)
                if path.is_dir():
                    final.mkdir(parents=True, exist_ok=True)
                else:
                    final.parent.mkdir(parents=True, exist_ok=True)
                    shutil.move(path, final)
