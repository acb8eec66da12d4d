"""Writes for notifications: create them for recipients, mark them read."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.utils import timezone

from backline.accounts.models import User
from backline.core.errors import DomainError, NotFound
from backline.notifications.choices import NotificationKind
from backline.notifications.models import Notification


def notify(
    *,
    recipients: Iterable[User],
    kind: str,
    title: str,
    body: str = "",
    url: str = "",
    actor: User | None = None,
    ticket_number: str = "",
    at: datetime | None = None,
) -> list[Notification]:
    """Notify each active recipient once (never the actor); call inside the writing transaction."""
    if kind not in NotificationKind.values:
        raise DomainError(f"Unknown notification kind {kind!r}.", field="kind")
    now = at or timezone.now()
    seen: set[int] = set()
    rows = []
    for user in recipients:
        if user.pk in seen or not user.is_active or (actor is not None and user.pk == actor.pk):
            continue
        seen.add(user.pk)
        rows.append(
            Notification(
                recipient=user,
                kind=kind,
                actor=actor,
                title=title[:200],
                body=body,
                url=url[:300],
                ticket_number=ticket_number,
                created_at=now,
            )
        )
    return Notification.objects.bulk_create(rows)


def notification_mark_read(
    *, actor: User, notification_id: int, at: datetime | None = None
) -> Notification:
    """Mark one of the actor's notifications read; anyone else's is NotFound, not Forbidden."""
    notification = Notification.objects.filter(pk=notification_id, recipient=actor).first()
    if notification is None:
        raise NotFound(f"No notification {notification_id}.", field="notification_id")
    if notification.read_at is None:
        # A conditional update: two tabs marking it at once keep the first time.
        now = at or timezone.now()
        Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(read_at=now)
        notification.refresh_from_db(fields=["read_at"])
    return notification


def notifications_mark_all_read(*, actor: User, at: datetime | None = None) -> int:
    """Mark every unread notification of the actor read; returns how many changed."""
    return Notification.objects.filter(recipient=actor, read_at__isnull=True).update(
        read_at=at or timezone.now()
    )
