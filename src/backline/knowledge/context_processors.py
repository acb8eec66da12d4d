"""Sidebar number for the knowledge base: open review tasks of the signed-in user."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject


def navigation(request: HttpRequest) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or request.path.startswith("/api/"):
        return {}
    if not user.is_staff_member:
        return {}
    from backline.knowledge.queries import reviews_for

    return {"kb_review_count": SimpleLazyObject(lambda: reviews_for(user).count())}
