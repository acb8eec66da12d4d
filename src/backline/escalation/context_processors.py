"""Sidebar numbers for escalation, computed only when a page renders them."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject


def navigation(request: HttpRequest) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or request.path.startswith("/api/"):
        return {}
    if not user.is_staff_member:
        return {}
    from backline.escalation.queries import inbox_count

    return {"escalation_inbox_count": SimpleLazyObject(lambda: inbox_count(user))}
