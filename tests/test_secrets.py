"""Secret hygiene: nothing secret in the repository; secrets come from the environment or the data
dir, and what Backline writes there is readable by its owner only."""

from __future__ import annotations

import ast
import os
import re
import sqlite3
import stat
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from backline.config import settings as backline_settings

REPO = Path(__file__).resolve().parent.parent
SKIP_DIRS = {".git", ".venv", "node_modules", "var", "__pycache__", ".mypy_cache", ".ruff_cache"}

# What a leaked credential looks like. (Built so that this file does not match itself.)
SECRET_PATTERNS: dict[str, re.Pattern[str]] = {
    "private key": re.compile("-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----"),
    "Backline API token": re.compile(r"\bbl_[0-9a-f]{8}_[A-Za-z0-9_-]{40,}"),
    "AWS access key id": re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"),
    "AWS secret access key": re.compile(
        r"(?i)aws_secret_access_key\s*[:=]\s*['\"]?[A-Za-z0-9/+=]{40}"
    ),
    "GitHub token": re.compile(r"\bgh[pousr]_[A-Za-z0-9]{36,}"),
    "Slack token": re.compile(r"\bxox[abposr]-[A-Za-z0-9-]{10,}"),
    "password in a URL": re.compile(r"\b[a-z][a-z0-9+.-]*://[^/\s:@'\"]+:([^/\s@'\"]{6,})@"),
}
# Words that mark an example in documentation, not a real password in a URL.
PLACEHOLDERS = re.compile(r"(?i)password|secret|changeme|example|<|\$|\{|x{3}")
# Files that hold secrets or data by their nature: never part of the repository.
SECRET_FILES = re.compile(
    r"(^|/)(\.env(\.(?!example$|sample$)[^/]+)?|.*\.(pem|key|p12|pfx|sqlite3|dump)|"
    r"id_(rsa|dsa|ecdsa|ed25519)|secret_key|\.netrc|\.pgpass)$"
)
SECRET_NAME = re.compile(r"(?i)(secret|password|passwd|token|api_?key|private_?key)")
# …unless it names a policy about secrets, not a secret (BACKLINE_PASSWORD_MIN_LENGTH).
POLICY_NAME = re.compile(
    r"(?i)(^|_)(min|max|length|validators|hashers|timeout|ttl|age|attempts|failures|window|"
    r"seconds|minutes|hours|days|prefix|header|scope|rate|per)(_|$)"
)


def repo_files(root: Path = REPO) -> list[str]:
    """Files that are (or are about to be) in the repository: tracked and untracked-not-ignored."""
    try:
        out = subprocess.run(
            ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],  # noqa: S607
            cwd=root,
            capture_output=True,
            check=True,
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        return _walk(root)  # not a git checkout (an unpacked release): every file counts
    return [name for name in out.decode().split("\0") if name and (root / name).is_file()]


def _walk(root: Path) -> list[str]:
    found = []
    for directory, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if d not in SKIP_DIRS and not d.endswith(".egg-info")]
        found += [str((Path(directory) / f).relative_to(root)) for f in files]
    return found


def scan(root: Path, names: list[str]) -> list[str]:
    """Every secret-looking file name or content among `names`, as 'path: what'."""
    problems = []
    for name in names:
        if SECRET_FILES.search(name):
            problems.append(f"{name}: a secret or data file")
            continue
        data = (root / name).read_bytes()
        if b"\0" in data[:8192]:
            continue  # binary (images, fonts): no text secrets to read
        text = data.decode("utf-8", errors="replace")
        for what, pattern in SECRET_PATTERNS.items():
            for match in pattern.finditer(text):
                if what == "password in a URL" and PLACEHOLDERS.search(match.group(1)):
                    continue
                line = text.count("\n", 0, match.start()) + 1
                problems.append(f"{name}:{line}: {what}")
    return problems


def settings_literals(source: str) -> list[str]:
    """Secret-named settings given a literal value, or an environment default that is one."""
    problems = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names = [t.id for t in targets if isinstance(t, ast.Name)]
            value = node.value
            if any(_secret_named(n) for n in names) and _nonempty_str(value):
                problems.append(f"line {node.lineno}: {names[0]} is a literal")
        elif isinstance(node, ast.Call) and _is_env_read(node) and len(node.args) >= 2:
            key = node.args[0]
            if (
                isinstance(key, ast.Constant)
                and isinstance(key.value, str)
                and _secret_named(key.value)
                and _nonempty_str(node.args[1])
            ):
                problems.append(f"line {node.lineno}: {key.value} has a literal default")
    return problems


def _secret_named(name: str) -> bool:
    return bool(SECRET_NAME.search(name)) and not POLICY_NAME.search(name)


def _nonempty_str(node: ast.AST | None) -> bool:
    return isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value != ""


def _is_env_read(node: ast.Call) -> bool:
    func = node.func
    return isinstance(func, ast.Attribute) and func.attr in {"get", "getenv", "setdefault"}


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@contextmanager
def umask(value: int) -> Iterator[None]:
    old = os.umask(value)
    try:
        yield
    finally:
        os.umask(old)


# --- the repository ----------------------------------------------------------------------------


def test_repository_holds_no_secrets():
    names = repo_files()
    assert "src/backline/config/settings.py" in names  # the listing found the project
    assert scan(REPO, names) == []


def test_scanner_finds_planted_secrets(tmp_path):
    """The scan above can fail: each kind of leak planted in a throwaway tree is reported."""
    token = "bl_" + "0a1b2c3d" + "_" + "Q" * 43
    planted = {
        "deploy/id_rsa": "key",
        ".env": "DATABASE_URL=postgres://backline:" + "hunter22x@db/backline\n",
        "config/prod.env.sh": "export AWS_ACCESS_KEY_ID=" + "AKIA" + "ABCDEFGHIJKLMNOP\n",
        "docs/howto.md": "curl -H 'Authorization: Bearer " + token + "'\n",
        "certs/readme.txt": "-----BEGIN " + "RSA PRIVATE KEY-----\nMIIE\n",
        "ci.sh": "psql postgres://ci:" + "s3cr3tPassw0rd@127.0.0.1/x\n",
        "notes.md": "Use postgres://user:<password>@host/db or ${DATABASE_URL}.\n",
    }
    for name, content in planted.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(content)
    found = scan(tmp_path, _walk(tmp_path))
    assert sorted(found) == sorted(
        [
            "deploy/id_rsa: a secret or data file",
            ".env: a secret or data file",
            "config/prod.env.sh:1: AWS access key id",
            "docs/howto.md:1: Backline API token",
            "certs/readme.txt:1: private key",
            "ci.sh:1: password in a URL",
        ]
    )


def test_settings_take_secrets_from_the_environment_only():
    source = Path(backline_settings.__file__).read_text()
    assert settings_literals(source) == []
    # and the check itself notices a literal password or a literal fallback
    planted = (
        'EMAIL_PASSWORD = "hunter2"\n'
        'KEY = os.environ.get("BACKLINE_SECRET_KEY", "dev")\n'
        'MIN = int(os.environ.get("BACKLINE_PASSWORD_MIN_LENGTH", "12"))\n'
    )
    assert settings_literals(planted) == [
        "line 1: EMAIL_PASSWORD is a literal",
        "line 2: BACKLINE_SECRET_KEY has a literal default",
    ]


# --- the secret key and the data dir -----------------------------------------------------------


def test_secret_key_is_generated_into_a_private_file(tmp_path, monkeypatch):
    monkeypatch.delenv("BACKLINE_SECRET_KEY", raising=False)
    data_dir = tmp_path / "data"
    with umask(0):  # the modes must not depend on a careful umask
        key = backline_settings._secret_key(data_dir)
    assert len(key) >= 50
    assert mode(data_dir) == 0o700
    assert mode(data_dir / "secret_key") == 0o600
    assert backline_settings._secret_key(data_dir) == key  # kept, not regenerated
    assert [p.name for p in data_dir.iterdir()] == ["secret_key"]  # no temporary left behind


def test_secret_key_from_the_environment_writes_nothing(tmp_path, monkeypatch):
    monkeypatch.setenv("BACKLINE_SECRET_KEY", "from-the-environment")
    assert backline_settings._secret_key(tmp_path / "data") == "from-the-environment"
    assert not (tmp_path / "data").exists()


@pytest.mark.parametrize("loose", [0o644, 0o640, 0o604, 0o660])
def test_secret_key_readable_by_others_is_refused(tmp_path, monkeypatch, loose):
    monkeypatch.delenv("BACKLINE_SECRET_KEY", raising=False)
    path = tmp_path / "secret_key"
    path.write_text("k" * 60)
    path.chmod(loose)
    with pytest.raises(ImproperlyConfigured, match=f"mode {loose:o}.*chmod 600"):
        backline_settings._secret_key(tmp_path)
    path.chmod(0o600)
    assert backline_settings._secret_key(tmp_path) == "k" * 60


def test_concurrent_first_starts_agree_on_one_key(tmp_path, monkeypatch):
    """Workers starting together all read the same, complete key (never half a file)."""
    monkeypatch.delenv("BACKLINE_SECRET_KEY", raising=False)
    barrier = threading.Barrier(8)
    keys: list[str] = []

    def start() -> None:
        barrier.wait()
        keys.append(backline_settings._secret_key(tmp_path))

    threads = [threading.Thread(target=start) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(keys) == 8 and len(set(keys)) == 1 and len(keys[0]) >= 50
    assert [p.name for p in tmp_path.iterdir()] == ["secret_key"]


def test_private_file_create_keeps_an_existing_file(tmp_path):
    path = tmp_path / "secret"
    backline_settings.private_file_create(path, "first")
    backline_settings.private_file_create(path, "second")
    assert path.read_text() == "first"
    assert mode(path) == 0o600


def test_sqlite_database_and_its_wal_are_private(tmp_path, monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setattr(backline_settings, "DATA_DIR", tmp_path / "data")
    with umask(0o022):
        name = backline_settings._databases()["default"]["NAME"]
        conn = sqlite3.connect(name)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("CREATE TABLE t (x)")
        conn.execute("INSERT INTO t VALUES (1)")
        conn.commit()
        try:
            assert mode(tmp_path / "data") == 0o700
            assert mode(Path(name)) == 0o600
            assert mode(Path(f"{name}-wal")) == 0o600
            assert mode(Path(f"{name}-shm")) == 0o600
        finally:
            conn.close()


def test_uploaded_files_are_private(settings, tmp_path):
    from django.core.files.base import ContentFile
    from django.core.files.storage import FileSystemStorage

    assert settings.FILE_UPLOAD_PERMISSIONS == 0o600
    storage = FileSystemStorage(location=tmp_path / "media")  # reads the permission settings
    with umask(0):
        name = storage.save("attachments/2026/11/notes.txt", ContentFile(b"log excerpt"))
    assert mode(Path(storage.path(name))) == 0o600
    assert mode(Path(storage.path(name)).parent) == 0o700
