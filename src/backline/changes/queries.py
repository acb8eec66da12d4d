"""Reads for changes: lists, one change with its incidents, "what changed?" before an incident,
the CIs behind a ticket, and the change-induced incident rate."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.db.models.functions import Coalesce

from backline.accounts.models import User
from backline.changes import rules
from backline.changes.choices import STARTED_STATES, CauseKind, ChangeState
from backline.changes.filters import ChangeFilter
from backline.changes.models import Change, TicketChangeLink
from backline.cmdb.models import ConfigurationItem
from backline.cmdb.queries import graph_edges, ticket_context_cis
from backline.core.errors import NotFound
from backline.core.time import local_day_range
from backline.tickets.models import Ticket
from backline.tickets.permissions import require_staff
from backline.tickets.queries import tickets_visible_to, visible_numbers


def parse_number(value: str | int) -> int | None:
    """`CHG-42`, `chg-42` or `42` → 42."""
    text = str(value).strip().upper().removeprefix("CHG-")
    return int(text) if text.isdecimal() and 0 < len(text) <= 18 else None


def changes_all() -> QuerySet[Change]:
    return Change.objects.select_related("implementer_team", "requested_by", "approved_by")


def change_get(user: User, number: str | int) -> Change:
    """One change by number (staff only)."""
    require_staff(user, "see changes")
    pk = parse_number(number)
    change = changes_all().filter(pk=pk).first() if pk else None
    if change is None:
        raise NotFound(f"No change {number}.")
    return change


_EFF_START = Coalesce("actual_start", "planned_start")  # when the change began (or will)
_EFF_END = Coalesce("actual_end", "planned_end", "actual_start", "planned_start")


def change_list(user: User, flt: ChangeFilter) -> QuerySet[Change]:
    """Changes matching the filter, latest start first, with the incidents they caused."""
    require_staff(user, "see changes")
    qs = changes_all().annotate(
        eff_start=_EFF_START,
        caused=Count(
            "ticket_links",
            filter=Q(
                ticket_links__kind=CauseKind.CONFIRMED,
                ticket_links__ticket__in=tickets_visible_to(user),
            ),
        ),
    )
    if flt.q:
        pk = parse_number(flt.q)
        qs = (
            qs.filter(Q(title__icontains=flt.q) | Q(pk=pk))
            if pk
            else qs.filter(title__icontains=flt.q)
        )
    for name in ("state", "kind", "source"):
        if getattr(flt, name):
            qs = qs.filter(**{name: getattr(flt, name)})
    if flt.ci:
        qs = qs.filter(
            pk__in=Change.cis.through.objects.filter(configurationitem_id=flt.ci).values(
                "change_id"
            )
        )
    if flt.team:
        qs = qs.filter(implementer_team_id=flt.team)
    if flt.start:
        qs = qs.filter(eff_start__gte=local_day_range(flt.start, flt.start)[0])
    if flt.end:
        qs = qs.filter(eff_start__lt=local_day_range(flt.end, flt.end)[1])
    return qs.order_by("-eff_start", "-id")


def change_cis(change: Change) -> list[ConfigurationItem]:
    return list(change.cis.select_related("service").order_by("name"))


def change_incidents(change: Change, user: User) -> list[TicketChangeLink]:
    """The incidents linked to a change, confirmed causes first."""
    links = change.ticket_links.filter(ticket__in=tickets_visible_to(user))
    return list(links.select_related("ticket", "by").order_by("kind", "-at"))


def change_history(change: Change, user: User, limit: int = 50) -> list:
    """The change's latest events; those naming a ticket the user may not see are left out."""
    events = list(change.events.select_related("actor")[:limit])
    numbers = {str(e.data["ticket"]) for e in events if e.data.get("ticket")}
    hidden = numbers - visible_numbers(user, numbers)
    return [e for e in events if str(e.data.get("ticket") or "") not in hidden]


def ticket_change_links(ticket: Ticket) -> list[TicketChangeLink]:
    """Changes linked as causes of the ticket, confirmed first."""
    return list(
        TicketChangeLink.objects.filter(ticket=ticket)
        .select_related("change", "by")
        .order_by("kind", "-at")
    )


# --- the CIs behind a ticket ----------------------------------------------------------------


@dataclass
class TicketContext:
    """The CIs behind a ticket: upstream of its CI (or of its service) with their hop counts,
    and the other CIs of the same service."""

    upstream: dict[int, int] = field(default_factory=dict)  # ci id → hops
    same_service: set[int] = field(default_factory=set)
    service_id: int | None = None


def ticket_context(ticket: Ticket) -> TicketContext:
    """Walk the CMDB graph from the ticket's CI, or from its service when it names no CI."""
    if ticket.ci_id is None and ticket.service_id is None:
        return TicketContext()
    edges = graph_edges()  # read once: the walk and the service's other CIs both use them
    walked = ticket_context_cis(ticket.service_id, ticket.ci_id, edges=edges)
    upstream = {pk: hops for (_kind, pk), hops in walked.items()}
    service_id = ticket.service_id
    if service_id is None and ticket.ci_id is not None:
        own = ("ci", ticket.ci_id)
        service_id = next((a[1] for a, b in edges if a[0] == "service" and b == own), None)
    siblings = {b[1] for a, b in edges if a == ("service", service_id) and b[1] not in upstream}
    return TicketContext(upstream=upstream, same_service=siblings, service_id=service_id)


@dataclass
class AffectedCi:
    ci: ConfigurationItem
    hops: int


def ticket_affected(ticket: Ticket, ctx: TicketContext | None = None) -> list[AffectedCi]:
    """The ticket's CI and the CIs behind it, nearest first."""
    ctx = ctx or ticket_context(ticket)
    if not ctx.upstream:
        return []
    items = ConfigurationItem.objects.filter(pk__in=ctx.upstream).only(
        "pk", "name", "ci_type", "status"
    )
    out = [AffectedCi(ci, ctx.upstream[ci.pk]) for ci in items]
    return sorted(out, key=lambda a: (a.hops, a.ci.name))


# --- "what changed?" -----------------------------------------------------------------------------


@dataclass
class Candidate:
    """A change that may have caused the incident, with its score and the reasons for it."""

    change: Change
    score: float
    hours_before: float
    distance: int
    via: ConfigurationItem
    reasons: list[str]
    link_kind: str | None = None


def _where(change: Change, ctx: TicketContext) -> tuple[int, ConfigurationItem, bool] | None:
    best: tuple[int, str, ConfigurationItem, bool] | None = None
    for ci in change.cis.all():
        if ci.pk in ctx.upstream:
            option = (ctx.upstream[ci.pk], ci.name, ci, False)
        elif ci.pk in ctx.same_service:
            option = (rules.SAME_SERVICE_DISTANCE, ci.name, ci, True)
        else:
            continue
        if best is None or option[:2] < best[:2]:
            best = option
    return None if best is None else (best[0], best[2], best[3])


def _window(change: Change, incident: datetime) -> tuple[datetime, datetime]:
    start = change.actual_start or change.planned_start or incident  # the query excludes None
    if change.actual_end:
        return start, change.actual_end
    if change.state == ChangeState.IN_PROGRESS:
        return start, max(incident, start)  # still running
    return start, change.planned_end or start


def what_changed(ticket: Ticket, hours: int = 72, limit: int = 20) -> list[Candidate]:
    """Changes on the ticket's CI, what it relies on and its service's CIs that ran within
    `hours` before the incident started (ticket.created_at), most likely cause first."""
    ctx = ticket_context(ticket)
    ids = set(ctx.upstream) | ctx.same_service
    if not ids:
        return []
    incident = ticket.created_at
    lower = incident - timedelta(hours=hours)
    qs = (
        Change.objects.filter(state__in=STARTED_STATES, cis__in=ids)
        .annotate(eff_start=_EFF_START, eff_end=_EFF_END)
        .filter(eff_start__lte=incident + rules.SLACK)
        .filter(Q(eff_end__gte=lower) | Q(state=ChangeState.IN_PROGRESS, actual_end__isnull=True))
        .distinct()
        .select_related("implementer_team")
        .prefetch_related("cis")
    )
    links = dict(TicketChangeLink.objects.filter(ticket=ticket).values_list("change_id", "kind"))
    found: dict[int, Candidate] = {}
    ranked: list[rules.Ranked] = []
    for change in qs[:500]:
        where = _where(change, ctx)
        if where is None:
            continue
        distance, via, same = where
        start, end = _window(change, incident)
        if not rules.in_window(start, end, incident, hours):
            continue
        before = rules.hours_before(end, incident)
        bad = change.state in (ChangeState.FAILED, ChangeState.ROLLED_BACK)
        value = rules.score(before, distance, bad_outcome=bad, risk=change.risk)
        reasons = [
            rules.describe_where(distance, via.name, same_service=same),
            rules.describe_when(start, end, incident),
        ]
        if bad:
            reasons.append(change.get_state_display().lower())
        found[change.pk] = Candidate(
            change, value, before, distance, via, reasons, links.get(change.pk)
        )
        ranked.append(rules.Ranked(change.pk, value, before, distance))
    return [found[r.key] for r in rules.rank(ranked)[:limit]]


# --- the metric ------------------------------------------------------------------------------


def change_induced_rate(start: datetime, end: datetime) -> dict[str, Any]:
    """Of the tickets created in [start, end), how many have a confirmed cause change."""
    agg = Ticket.objects.filter(created_at__gte=start, created_at__lt=end).aggregate(
        tickets=Count("pk", distinct=True),
        confirmed=Count("pk", filter=Q(change_links__kind=CauseKind.CONFIRMED), distinct=True),
        linked=Count("pk", filter=Q(change_links__isnull=False), distinct=True),
        changes=Count(
            "change_links__change",
            filter=Q(change_links__kind=CauseKind.CONFIRMED),
            distinct=True,
        ),
    )
    return {
        "start": start,
        "end": end,
        "tickets": agg["tickets"],
        "change_induced": agg["confirmed"],
        "with_cause_link": agg["linked"],
        "causing_changes": agg["changes"],
        "rate": rules.rate(agg["confirmed"], agg["tickets"]),
    }
