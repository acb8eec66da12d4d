"""Reads for email out: a user's chosen kinds, a ticket's mail thread, and the ticket a reply
belongs to."""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings

from backline.accounts.choices import Role
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
    staff, manager = user.is_staff_member, user.is_manager
    chosen = chosen_kinds(user)
    return [
        k
        for k in rules.kinds_for(staff, manager)
        if rules.wants(k, is_staff=staff, chosen=chosen, is_manager=manager)
    ]


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


def message_id_for(key: str) -> str:
    """The Message-ID of an email not about a ticket, derived from a key naming it uniquely."""
    return f"<{key}@{settings.BACKLINE_MAIL_DOMAIN}>"


def message_keys_queued(keys: Iterable[str]) -> set[str]:
    """Which of these keys already have their email queued (or sent)."""
    by_id = {message_id_for(k): k for k in keys}
    found = OutboundEmail.objects.filter(message_id__in=list(by_id)).values_list(
        "message_id", flat=True
    )
    return {by_id[m] for m in found}


def receiving(kind: str) -> list[User]:
    """Active managers and admins with an address who receive `kind` (a manager-only kind such
    as the weekly report), by their choice or the defaults."""
    users = (
        User.objects.filter(role__in=[Role.MANAGER, Role.ADMIN], is_active=True)
        .exclude(email="")
        .select_related("mail_preference")
        .order_by("pk")
    )
    out = []
    for user in users:
        pref = getattr(user, "mail_preference", None)
        chosen = None if pref is None else list(pref.kinds or [])
        if rules.wants(kind, is_staff=user.is_staff_member, chosen=chosen, is_manager=True):
            out.append(user)
    return out
