"""Who may see and change a ticket (docs/security.md). Checked by services and queries, never only
by templates; `tickets_visible_to` in queries.py is the same rule as a queryset."""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q

from backline.accounts.models import User
from backline.accounts.queries import team_ids_of
from backline.audit.services import audit_denied
from backline.core.errors import NotFound, PermissionDenied
from backline.tickets.models import Ticket, TicketAccess, TicketWatcher


def restricted_categories(team_ids: list[int]) -> tuple[list[int], list[int]]:
    """Ids of the restricted categories (marked themselves or below a marked one), and of those
    among them owned by one of these teams. The category table is small: listing its ids keeps
    every ticket query free of category joins."""
    from backline.tickets.models import Category

    rows = Category.objects.values_list("pk", "restricted", "team_id", "parent_id")
    by_pk = {pk: (restricted, team_id, parent_id) for pk, restricted, team_id, parent_id in rows}
    restricted, owned = [], []
    for pk, (flag, team_id, parent_id) in by_pk.items():
        parent = by_pk.get(parent_id) if parent_id else None
        if not (flag or (parent is not None and parent[0])):
            continue
        restricted.append(pk)
        if team_id in team_ids or (parent is not None and parent[1] in team_ids):
            owned.append(pk)
    return restricted, owned


def agent_scope(user: User, team_ids: list[int]) -> Q:
    """The tickets an agent sees: unrouted ones, their teams' queues, tickets their teams held or
    they acted on, assigned or watched — except restricted categories outside the agent's teams.

    Involvement and watching are correlated EXISTS probes on (ticket, …) indexes, not IN lists:
    a list page checks only the rows it walks, instead of first collecting every ticket a team
    ever touched (hundreds of thousands at a million tickets)."""
    # `ticket_id` between the outer id and itself, not `=`: PostgreSQL turns a correlated EXISTS
    # on an equality into a hash of every matching row (all of a team's involvement, 200k rows
    # at a million tickets) built before the first row is returned; a range keeps it a probe.
    # A user's watched tickets are few: hashing them is the cheap way there.
    this = {"ticket_id__gte": OuterRef("pk"), "ticket_id__lte": OuterRef("pk")}
    involved = TicketAccess.objects.filter(**this).filter(
        Q(user_id=user.pk) | Q(team_id__in=team_ids)
    )
    watched = TicketWatcher.objects.filter(ticket_id=OuterRef("pk"), user_id=user.pk)
    personal = Q(assignee_id=user.pk) | Q(requester_id=user.pk)
    seen = (
        # A ticket no team holds yet is in the shared triage pool: every agent may pick it up.
        Q(team__isnull=True)
        | Q(team_id__in=team_ids)
        | personal
        | Q(Exists(involved))
        | Q(Exists(watched))
    )
    # Read once per request: the user object lives as long as the request (as team_ids_of).
    memo = getattr(user, "_restricted_categories", None)
    if memo is None or memo[0] != team_ids:
        memo = (list(team_ids), restricted_categories(team_ids))
        user._restricted_categories = memo  # type: ignore[attr-defined]
    restricted, owned = memo[1]
    if not restricted:
        return seen
    # The owning team sees them wherever they sit; others only when assigned or requester.
    return (seen & (~Q(category_id__in=restricted) | personal)) | Q(category_id__in=owned)


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
