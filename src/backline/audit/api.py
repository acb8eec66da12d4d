"""API: the audit log for admins — the same filter as the page, newest first, paginated."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router

from backline.audit import queries
from backline.audit.filters import AuditFilter
from backline.audit.schemas import AuditEventPage
from backline.core.api import ErrorOut
from backline.core.errors import DomainError
from backline.tickets.queries import paginate

router = Router(tags=["audit"])

ERRORS: dict[int, Any] = dict.fromkeys((400, 401, 403, 422), ErrorOut)


@router.get("/audit/events", response={200: AuditEventPage, **ERRORS})
def event_list(request: HttpRequest, flt: Query[AuditFilter], page: int = 1, page_size: int = 100):
    """Audit events (admins only). To follow the log, pass `after_seq` = the highest `seq` you
    have; `seq`, `prev_hash` and `hash` let you check the chain yourself (docs/security.md)."""
    if page < 1 or not 1 <= page_size <= 500:
        raise DomainError("page must be >= 1 and page_size 1–500.", field="page_size")
    result = paginate(queries.events_list(request.user, flt), page, page_size)
    return {
        "items": list(result.object_list),
        "count": result.paginator.count,
        "page": result.number,
        "page_size": page_size,
        "pages": result.paginator.num_pages,
    }
