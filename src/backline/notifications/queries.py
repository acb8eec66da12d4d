"""Reads for notifications: a user's inbox and its unread count."""

from __future__ import annotations

from django.db.models import QuerySet

from backline.accounts.models import User
from backline.notifications.models import Notification


def notifications_for(user: User, *, unread_only: bool = False) -> QuerySet[Notification]:
    """The user's notifications, newest first, with the actor joined in; those about a ticket
    the user may no longer see (moved to another team, made restricted) are left out."""
    qs = Notification.objects.filter(recipient=user).select_related("actor")
    if unread_only:
        qs = qs.filter(read_at__isnull=True)
    return _without_hidden(user, qs).order_by("-created_at", "-id")


def unread_count(user: User) -> int:
    """How many of the user's notifications are still unread (served by the inbox index)."""
    qs = Notification.objects.filter(recipient=user, read_at__isnull=True)
    return _without_hidden(user, qs).count()


def _without_hidden(user: User, qs: QuerySet[Notification]) -> QuerySet[Notification]:
    """`qs` less the notifications about tickets the user may not see (two small queries: the
    distinct ticket numbers in these notifications, and which of those tickets are hidden)."""
    if user.is_manager:  # managers and admins see every ticket
        return qs
    # Tickets sit above notifications (their services notify): imported at call time.
    from backline.tickets.models import Ticket
    from backline.tickets.queries import visible_filter
    from backline.tickets.rules import format_number, parse_number

    found = qs.exclude(ticket_number="").order_by().values_list("ticket_number", flat=True)
    pks = {pk for pk in map(parse_number, found.distinct()) if pk is not None}
    if not pks:
        return qs
    # Of these few tickets, the ones that exist but are not visible to the user (a correlated
    # check per ticket, not a list of every visible ticket).
    hidden = (
        Ticket.objects.filter(pk__in=pks)
        .exclude(visible_filter(user, "pk"))
        .values_list("pk", flat=True)
    )
    numbers = [format_number(pk) for pk in hidden]
    return qs.exclude(ticket_number__in=numbers) if numbers else qs
