"""Writes of the analytics app: only its own derived table of ticket facts.

Every event marks its ticket dirty in the writer's transaction (handlers.py); `facts_sync`
rebuilds the facts of dirty tickets. A rebuild reads the ticket whole, so it is idempotent and
safe to repeat; `facts_rebuild` recomputes everything from the history.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from django.utils import timezone

from backline.analytics.models import FactDirty


def facts_mark_dirty(ticket_ids: Iterable[int]) -> None:
    """Mark tickets whose facts must be rebuilt (call in the transaction that changed them)."""
    now = timezone.now()
    rows = [
        FactDirty(ticket_id=pk, token=uuid.uuid4().hex, marked_at=now)
        for pk in dict.fromkeys(ticket_ids)
    ]
    if rows:
        FactDirty.objects.bulk_create(
            rows,
            batch_size=500,
            update_conflicts=True,
            unique_fields=["ticket_id"],
            update_fields=["token", "marked_at"],
        )
