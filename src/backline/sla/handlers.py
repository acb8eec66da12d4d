"""The SLA clocks follow the ticket's events (tickets.signals.event_recorded)."""

from __future__ import annotations

from typing import Any

from backline.tickets import signals
from backline.tickets.choices import EventKind, Status

# Events that may start, pause, resume, stop or re-plan a clock (UPDATED only with a priority).
_CLOCK_EVENTS = frozenset(
    {
        EventKind.CREATED,
        EventKind.STATUS_CHANGED,
        EventKind.REPLIED,
        EventKind.ESCALATED,
        EventKind.RETURNED,
        EventKind.DEESCALATED,
        EventKind.ACCEPTED,
        EventKind.UPDATED,
        EventKind.ASSIGNED,
    }
)


def on_event(sender, event, **kwargs: Any) -> None:
    """Follow the event with the clocks, then refresh the ticket's denormalised SLA fields."""
    from backline.sla import services

    if event.kind not in _CLOCK_EVENTS:
        return
    if event.kind == EventKind.UPDATED and "priority" not in (
        (event.data or {}).get("changes") or {}
    ):
        return
    if event.kind == EventKind.ASSIGNED and "from_tier" not in (event.data or {}):
        return
    _follow(event)
    ticket = event.ticket
    # Also set on the instance the service holds, so a later full save() does not undo it.
    ticket.sla_due_at, ticket.sla_state = services.ticket_sla_refresh(ticket.pk)


def _follow(event) -> None:
    """Start, pause, resume, stop or re-plan the ticket's clocks after one of its events."""
    from backline.sla import services
    from backline.sla.choices import Target

    kind, data, at, ticket = event.kind, event.data or {}, event.at, event.ticket
    if kind == EventKind.CREATED:
        policy = services.policy_for(ticket)
        if policy is not None:
            for target in services.SLA_TARGETS:
                services.clock_start(ticket=ticket, policy=policy, target=target, at=at)
            if ticket.tier >= 2:
                services.clock_start(
                    ticket=ticket, policy=policy, target=Target.OLA_RESOLVE, tier=ticket.tier, at=at
                )
        return
    if kind == EventKind.STATUS_CHANGED:
        _on_status(ticket, data, at)
        return
    if (
        kind == EventKind.REPLIED
        and event.actor is not None
        and event.actor.is_staff_member
        and (event.actor_id != ticket.requester_id)
    ):
        services.clocks_stop(ticket=ticket, targets=[Target.FIRST_RESPONSE], at=at)
        return
    if kind in (EventKind.ESCALATED, EventKind.RETURNED, EventKind.DEESCALATED):
        _on_move(ticket, kind, data, at)
        return
    if kind == EventKind.ASSIGNED:
        # A reassignment to a team of another tier moves the OLA clocks like a workflow move.
        if data.get("from_tier") is not None:
            _on_move(ticket, kind, data, at)
        return
    if kind == EventKind.ACCEPTED:
        services.clocks_stop(ticket=ticket, targets=[Target.OLA_ACCEPT], tier=ticket.tier, at=at)
        return
    # Anything a policy's conditions look at may change which policy applies.
    if kind == EventKind.UPDATED and {"priority", "category", "service"} & set(
        data.get("changes") or {}
    ):
        services.clocks_replan(ticket=ticket, at=at)


def _on_status(ticket, data: dict, at) -> None:
    from backline.sla import services
    from backline.sla.choices import Target

    before, after = data.get("from"), data.get("to")
    if data.get("action") == "start":
        services.clocks_stop(ticket=ticket, targets=[Target.FIRST_RESPONSE], at=at)
    if after == Status.PENDING:
        services.clocks_pause(ticket=ticket, reason=data.get("pending_reason", ""), at=at)
    elif before == Status.PENDING and after in (Status.IN_PROGRESS, Status.ASSIGNED, Status.NEW):
        services.clocks_resume(ticket=ticket, at=at)
    if after == Status.RESOLVED:
        services.clocks_stop(
            ticket=ticket,
            targets=[
                Target.FIRST_RESPONSE,
                Target.RESOLUTION,
                Target.OLA_RESOLVE,
                Target.OLA_ACCEPT,
            ],
            at=at,
        )
    elif before == Status.RESOLVED and after == Status.IN_PROGRESS:
        services.clocks_restart_resolution(ticket=ticket, at=at)
    elif after in (Status.CLOSED, Status.CANCELLED):
        services.clocks_stop(ticket=ticket, targets=list(Target.values), at=at)


def _on_move(ticket, kind: str, data: dict, at) -> None:
    from backline.sla import services
    from backline.sla.choices import Target

    left, entered = data.get("from_tier"), data.get("tier")
    if left == entered:
        return
    if left:
        services.clocks_stop(
            ticket=ticket, targets=[Target.OLA_ACCEPT, Target.OLA_RESOLVE], tier=left, at=at
        )
    policy = services.policy_for(ticket)
    if policy is None or not entered or entered < 2:
        return
    if kind == EventKind.ESCALATED:
        services.clock_start(
            ticket=ticket, policy=policy, target=Target.OLA_ACCEPT, tier=entered, at=at
        )
    services.clock_start(
        ticket=ticket, policy=policy, target=Target.OLA_RESOLVE, tier=entered, at=at
    )


def connect() -> None:
    signals.event_recorded.connect(on_event, dispatch_uid="sla.clocks")
