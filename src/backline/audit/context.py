"""Who is acting right now: the request being served, or the command line or worker.

A context variable, set by `AuditMiddleware` for every request and by `audit_scope` for the CLI
and the worker, so the signal receivers that record changes know who made them without every
service passing it down. Importable before Django is set up (the CLI enters a scope first).
"""

from __future__ import annotations

import contextvars
import getpass
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any


@dataclass
class AuditScope:
    """One unit of work: a request (web or API), a CLI command or a worker round."""

    source: str
    request: Any = None
    label: str = ""
    # Denials reported while a transaction may still roll back; written when the scope ends.
    pending: list[dict[str, Any]] = field(default_factory=list)


_current: contextvars.ContextVar[AuditScope | None] = contextvars.ContextVar(
    "backline_audit_scope", default=None
)
# Set only by the `flush` command: lets the SQLite trigger pass a whole-database wipe.
_maintenance: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "backline_audit_maintenance", default=False
)


def current_scope() -> AuditScope | None:
    return _current.get()


@contextmanager
def bind(scope: AuditScope) -> Iterator[AuditScope]:
    """Make `scope` the current one for the block (the middleware's and `audit_scope`'s core)."""
    token = _current.set(scope)
    try:
        yield scope
    finally:
        _current.reset(token)


@contextmanager
def audit_scope(source: str, label: str = "") -> Iterator[AuditScope]:
    """Run a CLI command (`source="cli"`) or a worker round (`"worker"`) as that actor; denials
    reported inside are written when the block ends, outside any transaction."""
    if not label:
        label = f"cli:{_os_user()}" if source == "cli" else source
    with bind(AuditScope(source=source, label=label)) as scope:
        try:
            yield scope
        finally:
            if scope.pending:
                from backline.audit.services import pending_flush

                pending_flush(scope)


def _os_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry (containers): still say it was the CLI
        return "unknown"


@contextmanager
def maintenance() -> Iterator[None]:
    token = _maintenance.set(True)
    try:
        yield
    finally:
        _maintenance.reset(token)


def in_maintenance() -> int:
    """1 inside `maintenance()`; called by the SQLite trigger through a registered function."""
    return 1 if _maintenance.get() else 0
