"""Reads for notifications: a user's inbox and its unread count."""

from __future__ import annotations

from django.db.models import QuerySet

from backline.accounts.models import User
from backline.notifications.models import Notification


def notifications_for(user: User, *, unread_only: bool = False) -> QuerySet[Notification]:
    """The user's notifications, newest first, with the actor joined in."""
    qs = Notification.objects.filter(recipient=user).select_related("actor")
    if unread_only:
        qs = qs.filter(read_at__isnull=True)
    return qs.order_by("-created_at", "-id")


def unread_count(user: User) -> int:
    """How many of the user's notifications are still unread (served by the inbox index)."""
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()
