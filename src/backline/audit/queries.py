"""Reads of the audit log: who may read it, the filtered list, the export rows, the chain head."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, time, timedelta
from typing import Any

from django.db.models import F, QuerySet

from backline.accounts.models import User
from backline.audit.filters import AuditFilter
from backline.audit.models import AuditEvent
from backline.audit.rules import HASH_FIELDS
from backline.core.errors import PermissionDenied

EXPORT_FIELDS = (*HASH_FIELDS, "hash")  # every hashed field and the hash: a verifiable export


def can_view_audit(user: Any) -> bool:
    """Admins read the audit log (docs/security.md): it names every user, address and token."""
    return bool(user is not None and user.is_authenticated and user.is_active and user.is_admin)


def require_audit_viewer(user: User) -> None:
    if not can_view_audit(user):
        raise PermissionDenied("Only an admin can read the audit log.")


def _day_start(day: Any) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def events_filtered(flt: AuditFilter) -> QuerySet[AuditEvent]:
    """Events matching the filter, newest first (unsealed ones included); with `after_seq`,
    the sealed events after it in chain order."""
    qs = AuditEvent.objects.all()
    if flt.actor:
        qs = qs.filter(actor_label=flt.actor.strip())
    if flt.action:
        qs = qs.filter(action=flt.action)
    if flt.source:
        qs = qs.filter(source=flt.source)
    if flt.object_type:
        qs = qs.filter(object_type=flt.object_type.strip().lower())
    if flt.object_id:
        qs = qs.filter(object_id=flt.object_id.strip())
    if flt.ip:
        qs = qs.filter(ip=flt.ip)
    if flt.since:
        qs = qs.filter(at__gte=_day_start(flt.since))
    if flt.until:
        qs = qs.filter(at__lt=_day_start(flt.until) + timedelta(days=1))
    if flt.after_seq is not None:
        # Following the log: what was sealed since, oldest first.
        return qs.filter(seq__gt=flt.after_seq).order_by("seq")
    return qs.order_by("-id")


def events_list(user: User, flt: AuditFilter) -> QuerySet[AuditEvent]:
    """The audit page and API list: admins only."""
    require_audit_viewer(user)
    return events_filtered(flt)


def events_export(flt: AuditFilter) -> Iterator[dict[str, Any]]:
    """Every matching event as a plain dict, in chain order (sealed by seq, then the unsealed by
    id), streamed in chunks so a large log is never held in memory."""
    qs = events_filtered(flt).order_by(F("seq").asc(nulls_last=True), "id")
    yield from qs.values(*EXPORT_FIELDS).iterator(chunk_size=2000)


def export_line(row: dict[str, Any]) -> str:
    """One event as a JSON line (times in UTC, ISO 8601)."""
    return json.dumps({k: _plain(v) for k, v in row.items()}, ensure_ascii=False) + "\n"


# Spreadsheets run a cell that starts with one of these as a formula (CSV injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def export_cells(row: dict[str, Any]) -> list[str]:
    """One event as CSV cells; text that a spreadsheet would run as a formula gets a leading
    apostrophe (the JSON Lines export keeps the exact text, which is what the hashes cover)."""
    cells = []
    for name in EXPORT_FIELDS:
        value = _plain(row[name])
        text = json.dumps(value, ensure_ascii=False) if isinstance(value, dict | list) else value
        text = "" if text is None else str(text)
        if text.startswith(_FORMULA_START):
            text = "'" + text
        cells.append(text)
    return cells


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
    return value


def chain_head() -> dict[str, Any]:
    """The last sealed event's sequence number and hash (to note down as an anchor) and how
    many events wait for their seal."""
    head = (
        AuditEvent.objects.filter(seq__isnull=False)
        .order_by("-seq")
        .values("seq", "hash", "at")
        .first()
    )
    return {
        "seq": head["seq"] if head else 0,
        "hash": head["hash"] if head else "",
        "at": head["at"] if head else None,
        "unsealed": AuditEvent.objects.filter(seq__isnull=True).count(),
    }
