"""Reads for escalation: inbox, a ticket's escalations and trail, the dialog's pre-fill, metrics."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import Avg, Count, IntegerField, Prefetch, Q, QuerySet
from django.db.models.fields.json import KT
from django.db.models.functions import Cast

from backline.accounts.models import Team, User
from backline.accounts.queries import team_ids_of
from backline.escalation import rules
from backline.escalation.choices import EscalationState, ReturnReason
from backline.escalation.models import PACKAGE_TEXT_FIELDS, Escalation
from backline.tickets.choices import EventKind
from backline.tickets.models import Attachment, Ticket, TicketEvent
from backline.tickets.queries import pinned_evidence, visible_filter


def inbox(user: User, *, team_ids: list[int] | None = None) -> QuerySet[Escalation]:
    """Escalations waiting for the user's teams (every team for managers), oldest first; only
    those of tickets the user may see (a restricted ticket sent to a team stays hidden)."""
    qs = Escalation.objects.filter(visible_filter(user), state=EscalationState.PENDING)
    if team_ids:
        qs = qs.filter(to_team_id__in=team_ids)
    elif not user.is_manager:
        qs = qs.filter(to_team_id__in=team_ids_of(user))
    return (
        qs.select_related(
            "ticket", "ticket__requester", "ticket__service", "to_team", "from_team", "created_by"
        )
        .prefetch_related(Prefetch("evidence", queryset=Attachment.objects.order_by("id")))
        .order_by("created_at", "id")
    )


def inbox_count(user: User) -> int:
    """How many escalations wait for the user's teams."""
    return Escalation.objects.filter(
        visible_filter(user), state=EscalationState.PENDING, to_team_id__in=team_ids_of(user)
    ).count()


def ticket_escalations(ticket: Ticket) -> list[Escalation]:
    """The ticket's escalations, oldest first, with their evidence."""
    return list(
        Escalation.objects.filter(ticket=ticket)
        .select_related("to_team", "from_team", "created_by", "decided_by")
        .prefetch_related("evidence")
        .order_by("created_at", "id")
    )


def pending_escalation(ticket: Ticket) -> Escalation | None:
    """The escalation of this ticket that waits for acceptance, if any."""
    return (
        Escalation.objects.filter(ticket=ticket, state=EscalationState.PENDING)
        .select_related("to_team", "created_by")
        .first()
    )


def pinned_guidance(escalations: list[Escalation]) -> Escalation | None:
    """The last return, while it is the ticket's latest escalation (its guidance stays pinned)."""
    if escalations and escalations[-1].state == EscalationState.RETURNED:
        return escalations[-1]
    return None


def ticket_trail(ticket: Ticket) -> list[rules.Hop]:
    """The ticket's path through the teams, read from its events."""
    events = (
        TicketEvent.objects.filter(ticket=ticket, kind__in=list(rules.MOVE_KINDS))
        .order_by("at", "id")
        .values_list("kind", "at", "data")
    )
    return rules.trail(events)


def escalation_targets(ticket: Ticket) -> QuerySet[Team]:
    """Teams above the ticket's tier, which it can be escalated to."""
    return Team.objects.filter(tier__gt=ticket.tier).order_by("tier", "name")


def deescalation_targets(ticket: Ticket) -> QuerySet[Team]:
    """Teams below the ticket's tier, which it can be handed down to."""
    return Team.objects.filter(tier__lt=ticket.tier).order_by("-tier", "name")


def handoff_prefill(ticket: Ticket) -> dict[str, Any]:
    """What the ticket already knows, to pre-fill the escalation dialog."""
    notes = ticket.comments.filter(is_internal=True).select_related("author").order_by("created_at")
    steps = "\n\n".join(
        f"{n.author.display_name}, {n.created_at:%d %b %H:%M}:\n{n.body.strip()}" for n in notes
    )
    description = (ticket.description or "").strip()
    summary = ticket.title if not description else f"{ticket.title}\n\n{description[:1500]}"
    last = ticket_escalations(ticket)
    previous = last[-1] if last else None
    prefill: dict[str, Any] = {"summary": summary, "steps_taken": steps}
    if previous is not None:
        # A re-escalation starts from the last package, so nothing already written is lost.
        for name in PACKAGE_TEXT_FIELDS:
            value = getattr(previous, name)
            if value:
                prefill[name] = value
        if previous.impact_users:
            prefill["impact_users"] = previous.impact_users
    excerpts = prefill.get("log_excerpts", "")
    for event in pinned_evidence([ticket.pk]):
        # Evidence pinned in the log view goes into the package unless it is already there.
        block = f"{event.data.get('title', '')}\n{event.data.get('excerpt', '')}".strip()
        if block and event.data.get("excerpt", "") not in excerpts:
            excerpts = f"{excerpts}\n\n{block}".strip()
    if excerpts:
        prefill["log_excerpts"] = excerpts
    return prefill


def escalation_metrics(
    *, start: datetime, end: datetime, team_ids: list[int] | None = None
) -> dict[str, Any]:
    """Escalation metrics of DESIGN.md for tickets created in [start, end), read from events.

    escalation rate = tickets that reached tier >= 2 / tickets created;
    bounce rate = escalated tickets with >= 1 bounce / escalated tickets (and bounces per ticket);
    time to acceptance per receiving team (acceptances in the period); returns by reason.
    With `team_ids`, acceptance and returns are limited to escalations to those teams.
    """
    cohort = Ticket.objects.filter(created_at__gte=start, created_at__lt=end)
    events = TicketEvent.objects.filter(ticket__in=cohort.values("id"))
    reached = Q(data__tier__gte=2)  # created, assigned and workflow events all record the tier
    per_ticket = cohort.aggregate(total=Count("id"))
    escalated_ids = events.filter(kind=EventKind.ESCALATED).values("ticket_id")
    reached_count = events.filter(reached).values("ticket_id").distinct().count()
    escalated_count = escalated_ids.distinct().count()
    bounces = events.filter(kind=EventKind.BOUNCED, ticket_id__in=escalated_ids)
    bounced_count = bounces.values("ticket_id").distinct().count()
    total = per_ticket["total"]
    window = Q(at__gte=start, at__lt=end)
    accepted = TicketEvent.objects.filter(window, kind=EventKind.ACCEPTED)
    returned = TicketEvent.objects.filter(window, kind=EventKind.RETURNED)
    if team_ids:
        accepted = accepted.filter(data__team__id__in=team_ids)
        returned = returned.filter(data__from_team__id__in=team_ids)
    return {
        "start": start,
        "end": end,
        "tickets_created": total,
        "reached_tier2": reached_count,
        "escalation_rate": _ratio(reached_count, total),
        "escalated_tickets": escalated_count,
        "bounced_tickets": bounced_count,
        "bounce_rate": _ratio(bounced_count, escalated_count),
        "bounces": bounces.count(),
        "bounces_per_ticket": _ratio(bounces.count(), escalated_count),
        "acceptance": _acceptance_by_team(accepted),
        "returns": _returns_by_reason(returned),
    }


def _ratio(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _acceptance_by_team(accepted: QuerySet[TicketEvent]) -> list[dict[str, Any]]:
    rows = (
        accepted.annotate(
            team_id=Cast(KT("data__team__id"), IntegerField()),
            waited=Cast(KT("data__waited_seconds"), IntegerField()),
        )
        .values("team_id")
        .annotate(n=Count("id"), mean=Avg("waited"))
        .order_by("team_id")
    )
    names = dict(Team.objects.values_list("id", "name"))
    out = []
    for row in rows:
        # The median has no portable SQL aggregate; one integer column per team is read instead.
        seconds = list(
            accepted.annotate(
                team_id=Cast(KT("data__team__id"), IntegerField()),
                waited=Cast(KT("data__waited_seconds"), IntegerField()),
            )
            .filter(team_id=row["team_id"])
            .values_list("waited", flat=True)
        )
        out.append(
            {
                "team_id": row["team_id"],
                "team": names.get(row["team_id"], "?"),
                "accepted": row["n"],
                "mean_minutes": round((row["mean"] or 0) / 60, 1),
                "median_minutes": round((rules.median(seconds) or 0) / 60, 1),
            }
        )
    return out


def _returns_by_reason(returned: QuerySet[TicketEvent]) -> list[dict[str, Any]]:
    rows = list(
        returned.annotate(reason=KT("data__reason"))
        .values("reason")
        .annotate(n=Count("id"))
        .order_by("-n", "reason")
    )
    total = sum(row["n"] for row in rows)
    return [
        {
            "reason": row["reason"],
            "count": row["n"],
            "share": _ratio(row["n"], total),
            "label": ReturnReason(row["reason"]).label
            if row["reason"] in ReturnReason.values
            else row["reason"],
        }
        for row in rows
    ]
