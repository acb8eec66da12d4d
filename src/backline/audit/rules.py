"""The audit log's pure rules: what a value looks like in the log, which fields are secret, the
canonical form an event is hashed in, and the hash-chain check. No ORM here."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any
from uuid import UUID

# Field names holding secrets: their values never reach the log, only the fact of a change.
SECRET_WORDS = ("password", "digest", "secret", "token")
REDACTED = "[redacted]"
MAX_TEXT = 200  # longer text is cut: the log says what changed, it is not a copy of the data
MAX_JSON = 500

# What the hash covers, in this order of keys (the JSON is key-sorted anyway). `hash` itself is
# not in it; `prev_hash` is, which is what chains the rows.
HASH_FIELDS = (
    "seq",
    "id",
    "at",
    "actor_id",
    "actor_label",
    "source",
    "ip",
    "user_agent",
    "method",
    "path",
    "action",
    "object_type",
    "object_id",
    "object_label",
    "changes",
    "prev_hash",
)
GENESIS = ""  # prev_hash of the first row


def is_secret(name: str) -> bool:
    """A field whose value is a secret or derived from one (password, token digest…)."""
    lowered = name.lower()
    return any(word in lowered for word in SECRET_WORDS) and not lowered.endswith("_at")


def clip(text: str, limit: int = MAX_TEXT) -> str:
    text = text.replace("\x00", "")  # PostgreSQL refuses NUL in text and JSON
    return text if len(text) <= limit else text[: limit - 1] + "…"


def jsonable(value: Any) -> Any:
    """A value as it is stored in an event's `changes`: JSON types, text clipped, times in UTC."""
    if value is None or isinstance(value, bool | int):
        return value
    if isinstance(value, float):
        return value if value == value and abs(value) != float("inf") else str(value)
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(UTC)
        return value.isoformat()
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, Decimal | UUID):
        return str(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return f"[{len(bytes(value))} bytes]"
    if isinstance(value, str):
        return clip(value)
    if isinstance(value, dict | list | tuple):
        text = json.dumps(value, default=str, ensure_ascii=False, sort_keys=True)
        return (
            clip(text, MAX_JSON)
            if len(text) > MAX_JSON
            else json.loads(text.replace("\\u0000", ""))
        )
    name = getattr(value, "name", None)  # FieldFile
    if isinstance(name, str):
        return clip(name)
    return clip(str(value))


def field_value(name: str, value: Any) -> Any:
    return REDACTED if is_secret(name) and value not in (None, "") else jsonable(value)


def diff(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, list[Any]]:
    """{field: [old, new]} for the fields whose logged form differs; secrets only as a marker."""
    out: dict[str, list[Any]] = {}
    for name, new in after.items():
        old = before.get(name)
        if jsonable(old) == jsonable(new):
            continue
        if is_secret(name):
            out[name] = [REDACTED, REDACTED]
        else:
            out[name] = [jsonable(old), jsonable(new)]
    return out


def snapshot(values: Mapping[str, Any]) -> dict[str, Any]:
    """The fields of a created or deleted object worth logging: the non-empty ones."""
    return {
        name: field_value(name, value)
        for name, value in values.items()
        if value not in (None, "", [], {})
    }


def _canonical_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return value


def canonical(row: Mapping[str, Any]) -> bytes:
    """The bytes an event is hashed over: its fields as key-sorted, compact JSON in UTF-8."""
    data = {name: _canonical_value(row.get(name)) for name in HASH_FIELDS}
    return json.dumps(
        data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str
    ).encode()


def event_hash(row: Mapping[str, Any]) -> str:
    """SHA-256 over the canonical form (which includes the previous row's hash)."""
    return hashlib.sha256(canonical(row)).hexdigest()


@dataclass(frozen=True)
class ChainReport:
    """The outcome of a chain check; `broken_seq` is the first sequence number that fails."""

    checked: int
    head_seq: int
    head_hash: str
    broken_seq: int | None = None
    reason: str = ""

    @property
    def ok(self) -> bool:
        return self.broken_seq is None


def chain_check(rows: Iterable[Mapping[str, Any]]) -> ChainReport:
    """Walk sealed rows in `seq` order: each must follow the last (no gap), name its hash as
    prev_hash and hash to its stored value. Stops at the first break."""
    expected, prev, checked = 1, GENESIS, 0
    for row in rows:
        seq = row["seq"]
        if seq != expected:
            reason = (
                f"row {expected} is missing (deleted, or its sequence number was changed)"
                if seq > expected
                else f"row {seq} appears out of order after row {expected - 1}"
            )
            return ChainReport(checked, expected - 1, prev, min(seq, expected), reason)
        if row["prev_hash"] != prev:
            return ChainReport(
                checked,
                seq - 1,
                prev,
                seq,
                f"row {seq} does not follow row {seq - 1} (a row was removed, inserted or "
                "reordered here)",
            )
        if event_hash(row) != row["hash"]:
            return ChainReport(
                checked, seq - 1, prev, seq, f"row {seq} was changed after it was sealed"
            )
        prev, expected, checked = row["hash"], expected + 1, checked + 1
    return ChainReport(checked, expected - 1, prev)


def changes_summary(action: str, changes: Mapping[str, Any]) -> list[str]:
    """Short lines for the audit page: `status: new → assigned`, `title = Printer down`."""
    lines = []
    for name, value in changes.items():
        if action == "update" and isinstance(value, list) and len(value) == 2:
            lines.append(f"{name}: {_short(value[0])} → {_short(value[1])}")
        else:
            lines.append(f"{name} = {_short(value)}")
    return lines


def _short(value: Any) -> str:
    if value is None or value == "":
        return "—"
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return clip(text, 80)
