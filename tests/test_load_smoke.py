"""bench/load.py keeps working: a five-second run against the real server loses nothing.

The bench itself (60 s on SQLite and PostgreSQL) is run by hand; this only keeps it from rotting.
It starts from a copy of the suite's already-migrated SQLite database, so it needs no migration.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

BENCH = Path(__file__).resolve().parent.parent / "bench" / "load.py"


@pytest.fixture
def migrated_data_dir(django_db_setup, django_db_blocker, tmp_path) -> Path:
    """A data dir holding a copy of the test database (migrated once for the whole suite)."""
    db = settings.DATABASES["default"]
    if db["ENGINE"] != "django.db.backends.sqlite3":
        pytest.skip("the smoke run copies the SQLite test database; the SQLite pass runs it")
    data_dir = tmp_path / "data"
    data_dir.mkdir(mode=0o700)
    with django_db_blocker.unblock():
        source = sqlite3.connect(db["NAME"])
        target = sqlite3.connect(data_dir / "backline.sqlite3")
        try:
            source.backup(target)
        finally:
            target.close()
            source.close()
    return data_dir


def test_load_bench_short_run_has_no_errors_and_loses_nothing(migrated_data_dir):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_URL"))}
    result = subprocess.run(
        [
            sys.executable,
            str(BENCH),
            *("--data-dir", str(migrated_data_dir)),
            *("--seconds", "5", "--rate", "5", "--clients", "3", "--workers", "2"),
            *("--tickets", "6", "--json"),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    output = result.stdout
    assert result.returncode == 0, output + result.stderr
    summary = json.loads(output[output.index("\n{") :])
    assert summary["database"] == "SQLite"
    assert summary["errors"] == 0 and summary["lost_write_count"] == 0
    assert summary["requests"] == 25  # 5/s for 5 s: every scheduled request ran
    assert summary["writes_acknowledged"] > 0
    assert any(kind in summary["kinds"] for kind in ("api_create", "api_comment", "web_comment"))
