"""Who may see and change a ticket (docs/security.md). Checked by services and queries, never only
by templates; `tickets_visible_to` in queries.py is the same rule as a queryset."""

from __future__ import annotations

from django.db.models import Q

from backline.accounts.models import User
from backline.accounts.queries import team_ids_of
from backline.audit.services import audit_denied
from backline.core.errors import NotFound, PermissionDenied
from backline.tickets.models import Ticket, TicketAccess, TicketWatcher

# A category is restricted when it, or the category above it, is marked restricted.
RESTRICTED = Q(category__restricted=True) | Q(category__parent__restricted=True)


def restricted_owner(team_ids: list[int]) -> Q:
    """Tickets whose (restricted) category is owned by one of these teams."""
    return Q(category__team_id__in=team_ids) | Q(category__parent__team_id__in=team_ids)


def agent_scope(user: User, team_ids: list[int]) -> Q:
    """The tickets an agent sees: unrouted ones, their teams' queues, tickets their teams held or
    they acted on, assigned or watched — except restricted categories outside the agent's teams."""
    involved = TicketAccess.objects.filter(Q(user=user) | Q(team_id__in=team_ids))
    watched = TicketWatcher.objects.filter(user=user)
    personal = Q(assignee_id=user.pk) | Q(requester_id=user.pk)
    seen = (
        # A ticket no team holds yet is in the shared triage pool: every agent may pick it up.
        Q(team__isnull=True)
        | Q(team_id__in=team_ids)
        | personal
        | Q(pk__in=involved.values("ticket_id"))
        | Q(pk__in=watched.values("ticket_id"))
    )
    owner = RESTRICTED & restricted_owner(team_ids)  # the owning team sees them wherever they sit
    return (seen & (~RESTRICTED | personal)) | owner


def is_restricted(ticket: Ticket) -> bool:
    category = ticket.category
    if category is None:
        return False
    parent = category.parent
    return category.restricted or bool(parent is not None and parent.restricted)


def _owner_team_ids(ticket: Ticket) -> set[int]:
    category = ticket.category
    if category is None:
        return set()
    parent = category.parent
    ids = {category.team_id, parent.team_id if parent is not None else None}
    return {pk for pk in ids if pk}


def can_view(user: User, ticket: Ticket) -> bool:
    """Managers see every ticket, requesters their own, agents what `agent_scope` allows."""
    if not user.is_authenticated or not user.is_active:
        return False
    if user.is_manager or ticket.requester_id == user.pk:
        return True
    if not user.is_staff_member:
        return False
    if ticket.assignee_id == user.pk:
        return True
    team_ids = team_ids_of(user)
    if is_restricted(ticket):
        return bool(_owner_team_ids(ticket) & set(team_ids))
    if ticket.team_id is None or ticket.team_id in team_ids:
        return True
    scope = agent_scope(user, team_ids)
    return Ticket.objects.filter(scope, pk=ticket.pk).exists()


def require_view(user: User, ticket: Ticket) -> None:
    # A ticket someone may not see is reported as missing, so numbers do not leak existence.
    if not can_view(user, ticket):
        audit_denied(actor=user, action="view", target=ticket)
        raise NotFound(f"No ticket {ticket.number}.")


def require_staff(user: User, what: str = "do this") -> None:
    if not user.is_staff_member:
        raise PermissionDenied(f"Only support staff can {what}.")
