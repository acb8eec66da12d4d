"""Writes for notifications: create them for recipients, mark them read."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.utils import timezone

from backline.accounts.models import User
from backline.core.errors import DomainError
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
