"""Template context shared by every page: the queue counts for the sidebar."""

from __future__ import annotations

from django.http import HttpRequest


def navigation(request: HttpRequest) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or request.path.startswith("/api/"):
        return {}
    # Lazy: only pages that render the sidebar pay for the counting query.
    from django.utils.functional import SimpleLazyObject

    from backline.tickets.filters import QUEUES
    from backline.tickets.queries import queue_counts

    return {
        "queue_counts": SimpleLazyObject(lambda: queue_counts(user)),
        "nav_queues": list(QUEUES.items()),
    }
