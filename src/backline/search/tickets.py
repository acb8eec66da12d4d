"""Tickets in search: their document, who may find them, and keeping them in step.

Search depends on tickets, never the reverse: the provider is registered by SearchConfig and the
index follows the ticket services through their domain signals (see handlers.py).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from django.db.models import Q
from django.urls import reverse

from backline.search.documents import Document
from backline.search.registry import Provider
from backline.tickets import rules as ticket_rules
from backline.tickets.models import Ticket
from backline.tickets.queries import visible_filter

KIND = "ticket"
_COLUMNS = (
    "id",
    "title",
    "description",
    "resolution_notes",
    "status",
    "requester_id",
    "team_id",
    "service_id",
    "ci_id",
    "category_id",
    "created_at",
    "updated_at",
)


def _document(row: dict[str, Any]) -> Document:
    # Internal notes and comments are never indexed: requesters search too.
    body = row["description"] or ""
    if row["resolution_notes"]:
        body = f"{body}\n\n{row['resolution_notes']}" if body else row["resolution_notes"]
    return Document(
        kind=KIND,
        object_id=row["id"],
        title=row["title"],
        body=body,
        status=row["status"],
        owner_id=row["requester_id"],
        team_id=row["team_id"],
        service_id=row["service_id"],
        ci_id=row["ci_id"],
        category_id=row["category_id"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


def ticket_documents(ids: Iterable[int] | None, batch: int = 5000) -> Iterator[Document]:
    """The documents of the given tickets (all when None), read in primary-key batches."""
    qs = Ticket.objects.order_by("pk").values(*_COLUMNS)
    if ids is not None:
        for row in qs.filter(pk__in=list(ids)):
            yield _document(row)
        return
    last = 0
    while True:
        rows = list(qs.filter(pk__gt=last)[:batch])
        for row in rows:
            yield _document(row)
        if len(rows) < batch:
            return
        last = rows[-1]["id"]


def ticket_scope(user: Any) -> Q | None:
    """The tickets the user may see (`tickets_visible_to`): managers and admins every one,
    agents their teams' and involved ones, requesters their own, anyone else none."""
    if user is None or not user.is_authenticated or not user.is_active:
        return None
    if user.is_manager:
        return Q()
    if user.is_staff_member:
        # A correlated subquery, not a list of ids: checked for the matched documents only.
        return visible_filter(user, "object_id")
    return Q(owner_id=user.pk)


def provider() -> Provider:
    return Provider(
        kind=KIND,
        label="Incidents",
        documents=ticket_documents,
        scope=ticket_scope,
        url=lambda pk: reverse("tickets:detail", args=[ticket_rules.format_number(pk)]),
        number=ticket_rules.format_number,
    )
