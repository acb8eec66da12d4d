"""Writes of the audit log: record an event, report a denial, seal new events into the chain.

`audit_record` inserts the event in the writer's own transaction, so a rolled-back change leaves
no event. Sealing it into the chain (numbering it `seq`, linking `prev_hash`, computing `hash`)
needs one writer at a time:

* SQLite already runs one writer at a time (IMMEDIATE transactions), so the event is sealed at
  once, inside the writer's transaction: no extra lock and no second commit.
* On PostgreSQL, locking the chain inside the writer's transaction would serialise every writer
  until its commit and deadlock against the application's row locks. So the event is inserted
  unsealed and `audit_seal` runs after the commit (`transaction.on_commit`) in a short transaction
  of its own: it takes `pg_advisory_xact_lock`, reads the head, and seals every committed
  unsealed event in id order. It touches nothing but unsealed audit rows, so it cannot deadlock;
  concurrent sealers queue on the lock and find the work done. A process that dies between
  commit and seal leaves rows the next seal (any request's, the worker's sweep, or
  `backline audit verify`) picks up.
"""

from __future__ import annotations

import ipaddress
import logging
from typing import Any

from django.db import connection, models, transaction
from django.utils import timezone

from backline.audit.choices import AuditAction, AuditSource
from backline.audit.context import AuditScope, current_scope
from backline.audit.models import AuditEvent
from backline.audit.rules import GENESIS, HASH_FIELDS, ChainReport, chain_check, clip, event_hash

logger = logging.getLogger("backline.audit")

# "backline" in ASCII: the advisory lock that serialises sealers on PostgreSQL.
CHAIN_LOCK_KEY = 0x6261636B6C696E65
SEAL_BATCH = 1000
_FROM_SCOPE: Any = object()  # "whoever the current request or scope is acting as"


# --- Who and what ---------------------------------------------------------------------------


def _client_ip(request: Any) -> str | None:
    value = request.META.get("REMOTE_ADDR") or ""
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        return None


def _request_user(request: Any) -> Any:
    user = getattr(request, "user", None)
    return user if user is not None and user.is_authenticated else None


def _who(actor: Any, request: Any, scope: AuditScope | None) -> dict[str, Any]:
    """The actor and origin fields of an event, from the request or the CLI/worker scope."""
    if request is None and scope is not None:
        request = scope.request
    fields: dict[str, Any] = {}
    if request is not None:
        path = getattr(request, "path", "") or ""
        fields = {
            "source": AuditSource.API if path.startswith("/api/") else AuditSource.WEB,
            "ip": _client_ip(request),
            "user_agent": clip(request.META.get("HTTP_USER_AGENT", ""), 300),
            "method": (getattr(request, "method", "") or "")[:8],
            # The path only: query strings can carry one-time links and other secrets.
            "path": clip(path, 500),
        }
        if actor is _FROM_SCOPE:
            actor = _request_user(request)
    elif scope is not None:
        fields = {"source": scope.source, "actor_label": clip(scope.label, 150)}
    else:
        fields = {"source": AuditSource.SYSTEM, "actor_label": "system"}
    if actor is not _FROM_SCOPE and actor is not None:
        fields["actor_id"] = actor.pk
        fields["actor_label"] = clip(actor.get_username(), 150)
    return fields


def object_label(instance: models.Model) -> str:
    try:
        return clip(str(instance))
    except Exception:  # a __str__ that follows a relation already gone (cascading delete)
        return f"{instance._meta.model_name} {instance.pk}"


def target_fields(target: Any) -> dict[str, str]:
    """object_type / object_id / object_label for a model instance, or a label for text."""
    if isinstance(target, models.Model):
        return {
            "object_type": target._meta.label_lower,
            "object_id": "" if target.pk is None else str(target.pk)[:64],
            "object_label": object_label(target),
        }
    if target:
        return {"object_label": clip(str(target))}
    return {}


# --- Recording ------------------------------------------------------------------------------


def audit_record(
    *,
    action: str,
    object_type: str = "",
    object_id: str = "",
    object_label: str = "",
    changes: dict[str, Any] | None = None,
    actor: Any = _FROM_SCOPE,
    request: Any = None,
    scope: AuditScope | None = None,
) -> AuditEvent:
    """Write one event in the current transaction, sealed in it (SQLite) or once it commits
    (PostgreSQL). The returned object does not carry the seal fields."""
    if action not in AuditAction.values:
        raise ValueError(f"Unknown audit action {action!r}.")
    event = AuditEvent(
        at=timezone.now(),
        action=action,
        object_type=object_type[:60],
        object_id=object_id[:64],
        object_label=clip(object_label),
        changes=changes or {},
        **_who(actor, request, scope if scope is not None else current_scope()),
    )
    if _seals_inline():
        with transaction.atomic(savepoint=False):
            event.save()
            _seal_batch(SEAL_BATCH)
    else:
        event.save()
        _seal_after_commit()
    return event


def audit_denied(*, actor: Any, action: str, target: Any = None) -> None:
    """Record that `actor` was refused `action` (e.g. "view") on `target` — a model instance, a
    text, or None. For code that answers "not found" for objects a user may not see.

    Inside a request or CLI/worker scope and a transaction (which the refusal may well roll
    back), the event is written when the scope ends; otherwise at once."""
    fields = {
        "action": AuditAction.DENIED,
        "changes": {"attempted": clip(str(action), 60)},
        "actor": actor,
        **target_fields(target),
    }
    scope = current_scope()
    if scope is not None and connection.in_atomic_block:
        scope.pending.append(fields)
        return
    audit_record(**fields)


def pending_flush(scope: AuditScope) -> int:
    """Write the denials a scope collected (called as the request or command ends)."""
    items, scope.pending = scope.pending, []
    for fields in items:
        audit_record(scope=scope, **fields)
    return len(items)


# --- The chain ------------------------------------------------------------------------------


def _seals_inline() -> bool:
    # SQLite runs one writer at a time (IMMEDIATE transactions): sealing inside the writer's
    # transaction costs no concurrency and saves a second write transaction per change.
    return connection.vendor == "sqlite"


def _seal_quietly() -> None:
    audit_seal(check_first=False)  # this transaction just wrote a row: skip the cheap check


def _seal_after_commit() -> None:
    """Seal once the current transaction commits (at once in autocommit); once per transaction."""
    if connection.in_atomic_block and any(
        entry[1] is _seal_quietly for entry in connection.run_on_commit
    ):
        return
    # robust: a failed seal is logged, never turned into an error for a change already committed;
    # the next seal picks the rows up.
    transaction.on_commit(_seal_quietly, robust=True)


def _chain_lock() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            # The seal is derived data: if a crash loses it, the rows are still there, unsealed,
            # and the next seal redoes it. So it need not wait for its own WAL flush, which would
            # otherwise add a second disk sync to every write request.
            cursor.execute(
                "SELECT set_config('synchronous_commit', 'off', true), pg_advisory_xact_lock(%s)",
                [CHAIN_LOCK_KEY],
            )


_ROW_FIELDS = tuple(f for f in HASH_FIELDS if f not in {"seq", "prev_hash"})
_SEAL_SQL = (
    f"UPDATE {AuditEvent._meta.db_table} SET seq = %s, prev_hash = %s, hash = %s "  # noqa: S608 - constant identifiers
    "WHERE id = %s AND seq IS NULL"
)


def _seal_batch(limit: int) -> int:
    head = (
        AuditEvent.objects.filter(seq__isnull=False)
        .order_by("-seq")
        .values_list("seq", "hash")
        .first()
    )
    seq: int = (head[0] or 0) if head else 0
    prev: str = head[1] if head else GENESIS
    rows = list(
        AuditEvent.objects.filter(seq__isnull=True).order_by("id").values(*_ROW_FIELDS)[:limit]
    )
    seals = []
    for row in rows:
        seq += 1
        row.update(seq=seq, prev_hash=prev)
        digest = event_hash(row)
        seals.append((seq, prev, digest, row["id"]))
        prev = digest
    if seals:
        # The one UPDATE the table allows (the triggers check it): filling the seal of a fresh
        # row. One statement for the batch; the ORM's per-row cost dominated sealing a backlog.
        with connection.cursor() as cursor:
            cursor.executemany(_SEAL_SQL, seals)
    return len(seals)


def audit_seal(*, check_first: bool = True) -> int:
    """Number, link and hash every committed event not sealed yet; returns how many."""
    if check_first and not AuditEvent.objects.filter(seq__isnull=True).exists():
        return 0
    total = 0
    while True:
        with transaction.atomic():
            _chain_lock()
            done = _seal_batch(SEAL_BATCH)
        total += done
        if done < SEAL_BATCH:
            return total


def audit_verify(*, seal: bool = True) -> ChainReport:
    """Seal what is pending, then check the whole chain from row 1 (see rules.chain_check)."""
    if seal:
        audit_seal()
    rows = (
        AuditEvent.objects.filter(seq__isnull=False)
        .order_by("seq")
        .values(*HASH_FIELDS, "hash")
        .iterator(chunk_size=2000)
    )
    return chain_check(rows)
