"""Template context for the bell in the top bar: the user's unread count, counted lazily."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject


def notifications(request: HttpRequest) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or request.path.startswith("/api/"):
        return {}
    from backline.notifications.queries import unread_count

    # Lazy: a page that does not render the bell does not pay for the count.
    return {"unread_notifications": SimpleLazyObject(lambda: unread_count(user))}
