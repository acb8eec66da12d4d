"""Who may see and change a ticket. Checked by services and queries, never only by templates."""

from __future__ import annotations

from backline.accounts.models import User
from backline.core.errors import NotFound, PermissionDenied
from backline.tickets.models import Ticket


def can_view(user: User, ticket: Ticket) -> bool:
    """Staff see every ticket; requesters only their own."""
    if not user.is_active:
        return False
    return user.is_staff_member or ticket.requester_id == user.pk


def require_view(user: User, ticket: Ticket) -> None:
    # A ticket someone may not see is reported as missing, so numbers do not leak existence.
    if not can_view(user, ticket):
        raise NotFound(f"No ticket {ticket.number}.")


def require_staff(user: User, what: str = "do this") -> None:
    if not user.is_staff_member:
        raise PermissionDenied(f"Only support staff can {what}.")
