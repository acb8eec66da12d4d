from __future__ import annotations

from datetime import datetime
from typing import Any

from ninja import Schema


class AuditEventOut(Schema):
    id: int
    seq: int | None  # null until the event is sealed into the chain (moments after commit)
    at: datetime
    actor_id: int | None
    actor_label: str
    source: str
    ip: str | None
    user_agent: str
    method: str
    path: str
    action: str
    object_type: str
    object_id: str
    object_label: str
    changes: dict[str, Any]
    prev_hash: str
    hash: str


class AuditEventPage(Schema):
    items: list[AuditEventOut]
    count: int
    page: int
    page_size: int
    pages: int
