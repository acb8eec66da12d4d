"""Signal receivers: escalation reacts to ticket changes without tickets importing it."""

from __future__ import annotations

from typing import Any

from backline.tickets import signals
from backline.tickets.choices import EventKind


def record_bounce_on_reassignment(sender, ticket, actor, at, changes, via=None, **kwargs: Any):
    """A plain reassignment back to a team that held the ticket before is a bounce."""
    if via is not None or "team" not in changes:
        return
    from backline.escalation import rules
    from backline.tickets.models import TicketEvent
    from backline.tickets.services import event_record

    before, after = changes["team"]
    if after is None:
        return
    events = (
        TicketEvent.objects.filter(ticket=ticket, kind__in=list(rules.MOVE_KINDS))
        .order_by("at", "id")
        .values_list("kind", "at", "data")
    )
    hops = rules.trail(events)
    # The last hop is this very reassignment; a bounce is a return to any earlier holder.
    if rules.is_bounce_back([h.team_id for h in hops[:-1]], after.get("id")):
        event_record(
            ticket=ticket,
            kind=EventKind.BOUNCED,
            actor=actor,
            at=at,
            data={"cause": "reassigned", "from_team": before, "to_team": after},
            internal=True,
        )


def refuse_reassignment_while_pending(
    sender, ticket, actor, at, changes, via=None, **kwargs: Any
) -> None:
    """A ticket waiting for a team to accept it stays with that team: moving it elsewhere by a
    plain reassignment would leave the escalation pending for a team that no longer holds it.
    Raised inside the editing transaction, so the reassignment is rolled back."""
    if via is not None or "team" not in changes:
        return
    from backline.core.errors import DomainError
    from backline.escalation.choices import EscalationState
    from backline.escalation.models import Escalation

    pending = Escalation.objects.filter(ticket=ticket, state=EscalationState.PENDING).first()
    if pending is not None and pending.to_team_id != ticket.team_id:
        raise DomainError(
            f"{ticket.number} waits for {pending.to_team.name} to accept it: accept or return "
            "the escalation first.",
            code="pending_escalation",
            field="team",
        )


def connect() -> None:
    """Connect the receivers (called from EscalationConfig.ready)."""
    from backline.escalation.collaboration import refuse_resolve_with_open_tasks

    signals.ticket_changed.connect(record_bounce_on_reassignment, dispatch_uid="escalation.bounce")
    signals.ticket_changed.connect(
        refuse_reassignment_while_pending, dispatch_uid="escalation.pending_reassignment"
    )
    signals.ticket_transition_requested.connect(
        refuse_resolve_with_open_tasks, dispatch_uid="escalation.open_tasks"
    )
