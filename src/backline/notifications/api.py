"""API: the calling user's notifications, and marking them read."""

from __future__ import annotations

from typing import Any

from django.core.paginator import Paginator
from django.http import HttpRequest
from ninja import Router, Status

from backline.core.api import ErrorOut
from backline.core.errors import DomainError
from backline.notifications import queries, services
from backline.notifications.schemas import MarkedOut, NotificationPage

router = Router(tags=["notifications"])

ERRORS: dict[int, Any] = dict.fromkeys((400, 401, 403, 404, 422, 429), ErrorOut)


@router.get("/notifications", response={200: NotificationPage, **ERRORS})
def notification_list(
    request: HttpRequest, unread: bool = False, page: int = 1, page_size: int = 50
):
    """Your notifications, newest first; `unread=true` for the unread ones only."""
    if page < 1:
        raise DomainError("page must be >= 1.", field="page")
    if not 1 <= page_size <= 100:
        raise DomainError("page_size must be 1–100.", field="page_size")
    qs = queries.notifications_for(request.user, unread_only=unread)
    result = Paginator(qs, page_size).get_page(page)
    return {
        "items": list(result.object_list),
        "count": result.paginator.count,
        "unread": queries.unread_count(request.user),
        "page": result.number,
        "page_size": page_size,
        "pages": result.paginator.num_pages,
    }


@router.post("/notifications/read-all", response={200: MarkedOut, **ERRORS})
def notification_read_all(request: HttpRequest):
    """Mark all your unread notifications read; `marked` says how many changed."""
    return {"marked": services.notifications_mark_all_read(actor=request.user)}


@router.post("/notifications/{notification_id}/read", response={204: None, **ERRORS})
def notification_read(request: HttpRequest, notification_id: int):
    """Mark one of your notifications read (again is fine); someone else's is 404."""
    services.notification_mark_read(actor=request.user, notification_id=notification_id)
    return Status(204, None)
