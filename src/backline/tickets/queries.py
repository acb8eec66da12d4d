"""Reads for tickets, scoped by what the user may see."""

from __future__ import annotations

from django.core.paginator import Page, Paginator
from django.db.models import Count, Exists, OuterRef, Q, QuerySet

from backline.accounts.models import User
from backline.accounts.queries import team_ids_of
from backline.audit.services import audit_denied
from backline.core.errors import NotFound
from backline.tickets import permissions, rules
from backline.tickets.choices import OPEN_STATUSES
from backline.tickets.filters import TicketFilter
from backline.tickets.models import Attachment, Category, Ticket, TicketEvent, TicketLink

_LIST_RELATED = ("team", "assignee", "requester", "category", "category__parent", "service")
_DETAIL_RELATED = (*_LIST_RELATED, "ci")


def tickets_visible_to(user: User) -> QuerySet[Ticket]:
    """Tickets the user may see (docs/security.md): managers all, agents their teams' and those
    they are involved in (restricted categories only for the owning team), requesters their own."""
    if not user.is_authenticated or not user.is_active:
        return Ticket.objects.none()
    if user.is_manager:
        return Ticket.objects.all()
    if user.is_staff_member:
        return Ticket.objects.filter(permissions.agent_scope(user, team_ids_of(user)))
    return Ticket.objects.filter(requester=user)


def visible_filter(user: User, field: str = "ticket") -> Q:
    """A filter for rows of another model (an escalation, a task, a rating…) whose ticket, named by
    `field`, the user may see. A correlated EXISTS, so the database checks only the rows it reads
    rather than first listing every ticket the user may see; no condition at all for managers."""
    if not user.is_authenticated or not user.is_active:
        return Q(pk__in=[])
    if user.is_manager:
        return Q()
    # A range, not `pk=`: see permissions.agent_scope (PostgreSQL would hash every visible ticket).
    this = tickets_visible_to(user).filter(pk__gte=OuterRef(field), pk__lte=OuterRef(field))
    return Q(Exists(this))


def visible_numbers(user: User, numbers: set[str]) -> set[str]:
    """Which of these ticket numbers name tickets the user may see (one query): for histories
    and reports that mention tickets by number."""
    pks = {number: rules.parse_number(number) for number in numbers}
    wanted = [pk for pk in pks.values() if pk]
    if not wanted:
        return set()
    visible = set(tickets_visible_to(user).filter(pk__in=wanted).values_list("pk", flat=True))
    return {number for number, pk in pks.items() if pk in visible}


def ticket_list(user: User, flt: TicketFilter) -> QuerySet[Ticket]:
    """The filtered, sorted list behind a queue page or the API list, with its relations joined."""
    qs = tickets_visible_to(user).select_related(*_LIST_RELATED)
    return flt.apply(qs, user, team_ids_of(user))


def paginate(qs: QuerySet, page: int | str | None, per_page: int) -> Page:
    """One page of `qs`; out-of-range pages give the last page."""
    return Paginator(qs, per_page).get_page(page)


def ticket_get(user: User, number: str) -> Ticket:
    """The ticket with this number, if the user may see it; NotFound otherwise.

    One read by primary key, then `permissions.can_view` (the same rule as `tickets_visible_to`,
    checked in Python for the common cases) instead of the visibility filter in SQL."""
    pk = rules.parse_number(number)
    ticket = Ticket.objects.select_related(*_DETAIL_RELATED).filter(pk=pk).first() if pk else None
    if ticket is None:
        raise NotFound(f"No ticket {number}.", field="number")
    if not permissions.can_view(user, ticket):
        # It exists, but not for this user: that is a denial to record.
        audit_denied(actor=user, action="view", target=ticket)
        raise NotFound(f"No ticket {number}.", field="number")
    return ticket


def ticket_timeline(user: User, ticket: Ticket) -> list[TicketEvent]:
    """The ticket's events, oldest first; requesters do not see internal ones."""
    qs = TicketEvent.objects.filter(ticket=ticket).select_related(
        "actor", "comment", "comment__author", "attachment"
    )
    if not user.is_staff_member:
        qs = qs.filter(is_internal=False)
    return list(qs.order_by("at", "id"))


def ticket_attachments(user: User, ticket: Ticket) -> list[Attachment]:
    """Files on the ticket; requesters do not see internal ones."""
    qs = ticket.attachments.select_related("uploaded_by")
    if not user.is_staff_member:
        qs = qs.filter(is_internal=False)
    return list(qs)


def attachment_get(user: User, attachment_id: int) -> Attachment:
    """One attachment, if the user may see its ticket and it is not internal to them."""
    attachment = Attachment.objects.select_related("ticket").filter(pk=attachment_id).first()
    if attachment is None or not tickets_visible_to(user).filter(pk=attachment.ticket_id).exists():
        raise NotFound("No such attachment.")
    if attachment.is_internal and not user.is_staff_member:
        raise NotFound("No such attachment.")
    return attachment


def ticket_links(ticket: Ticket) -> list[dict]:
    """Links from and to the ticket, phrased from this ticket's side."""
    inverse = {"related": "Related to", "duplicate_of": "Duplicated by", "parent_of": "Child of"}
    rows = [
        {"id": link.pk, "kind": link.kind, "label": link.get_kind_display(), "ticket": link.target}
        for link in TicketLink.objects.filter(source=ticket).select_related("target")
    ]
    rows.extend(
        {"id": link.pk, "kind": link.kind, "label": inverse[link.kind], "ticket": link.source}
        for link in TicketLink.objects.filter(target=ticket).select_related("source")
    )
    return rows


def ticket_watcher_ids(ticket: Ticket) -> list[int]:
    """Ids of the users watching the ticket."""
    return list(ticket.watcher_rows.values_list("user_id", flat=True))


def queue_counts(user: User) -> dict[str, int]:
    """How many open tickets each queue holds for the user, in one query over the open tickets
    only (an index on status finds them: a few thousand rows however deep the history). "All
    tickets" has no count for staff: counting a million tickets on every page is not worth it."""
    if not user.is_staff_member:
        return {"all": tickets_visible_to(user).count()}
    team_ids = team_ids_of(user)
    unassigned = Q(assignee__isnull=True)
    if team_ids:
        unassigned &= Q(team_id__in=team_ids)
    return Ticket.objects.filter(status__in=OPEN_STATUSES).aggregate(
        mine=Count("id", filter=Q(assignee=user)),
        teams=Count("id", filter=Q(team_id__in=team_ids)),
        unassigned=Count("id", filter=unassigned),
        # The badge counts what needs attention (warned or breached), not every running clock
        # the at-risk list shows below them.
        at_risk=Count("id", filter=Q(sla_state__in=["warning", "breached"])),
        open=Count("id"),
    )


def categories_active() -> QuerySet[Category]:
    """Categories that can be chosen for new tickets."""
    return Category.objects.filter(is_active=True).select_related("parent").order_by("name")


def pinned_evidence(ticket_ids: list[int]) -> list[TicketEvent]:
    """Evidence still pinned to these tickets, read from their timelines (oldest first): the
    "evidence pinned" events whose evidence was not unpinned since. `data` holds the title,
    the excerpt, the log's name and when the lines were written."""
    from backline.tickets.choices import EventKind

    events = list(
        TicketEvent.objects.filter(
            ticket_id__in=ticket_ids,
            kind__in=(EventKind.EVIDENCE_PINNED, EventKind.EVIDENCE_UNPINNED),
        )
        .select_related("ticket")
        .order_by("at", "id")
    )
    unpinned = {
        (e.ticket_id, e.data.get("evidence"))
        for e in events
        if e.kind == EventKind.EVIDENCE_UNPINNED
    }
    return [
        e
        for e in events
        if e.kind == EventKind.EVIDENCE_PINNED
        and (e.ticket_id, e.data.get("evidence")) not in unpinned
    ]
