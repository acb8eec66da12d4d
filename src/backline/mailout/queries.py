"""Reads for email out: a user's chosen kinds, a ticket's mail thread, and the ticket a reply
belongs to."""

from __future__ import annotations

from collections.abc import Iterable

from backline.accounts.models import User
from backline.mailout import rules
from backline.mailout.models import MailPreference, OutboundEmail
from backline.tickets.models import Ticket


def chosen_kinds(user: User) -> list[str] | None:
    """The kinds the user chose, or None when they never chose (the defaults apply)."""
    pref = MailPreference.objects.filter(user=user).only("kinds").first()
    return None if pref is None else list(pref.kinds or [])


def kinds_received(user: User) -> list[str]:
    """The kinds of email this user receives now."""
    staff = user.is_staff_member
    chosen = chosen_kinds(user)
    return [k for k in rules.kinds_for(staff) if rules.wants(k, is_staff=staff, chosen=chosen)]


def ticket_for_message_ids(message_ids: Iterable[str]) -> Ticket | None:
    """The ticket of the latest email we sent with one of these Message-IDs (a reply's
    In-Reply-To/References), or None."""
    ids = [m for m in message_ids if m]
    if not ids:
        return None
    sent = (
        OutboundEmail.objects.filter(message_id__in=ids)
        .select_related("ticket")
        .order_by("-created_at", "-id")
        .first()
    )
    return None if sent is None else sent.ticket
