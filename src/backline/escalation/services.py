"""Vertical escalation: hand-off policies, escalate, accept, return, de-escalate."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from backline.accounts.models import Team, User
from backline.core.errors import Conflict, DomainError, NotFound, PermissionDenied
from backline.escalation import rules
from backline.escalation.choices import EscalationState, ReturnReason
from backline.escalation.models import PACKAGE_TEXT_FIELDS, Escalation, HandoffPolicy
from backline.notifications.choices import NotificationKind
from backline.notifications.services import notify
from backline.tickets.choices import OPEN_STATUSES, EventKind
from backline.tickets.models import Ticket
from backline.tickets.permissions import require_staff
from backline.tickets.services import event_record, event_value, ticket_route


def handoff_required(team: Team) -> list[str]:
    """The package parts `team` requires: its policy, or the default for its tier."""
    policy = HandoffPolicy.objects.filter(team=team).first()
    return list(policy.required) if policy else rules.default_required(team.tier)


def handoff_policy_set(*, actor: User, team: Team, required: Iterable[str]) -> HandoffPolicy:
    """Set which hand-off parts `team` requires (managers and admins)."""
    if not actor.is_manager:
        raise PermissionDenied("Only managers and admins can change hand-off requirements.")
    parts = rules.clean_required(required)
    policy, _ = HandoffPolicy.objects.update_or_create(
        team=team, defaults={"required": parts, "updated_by": actor}
    )
    return policy


def _members(team: Team) -> list[User]:
    return list(User.objects.filter(memberships__team=team, is_active=True))


def _is_member(user: User, team: Team | None) -> bool:
    return team is not None and user.memberships.filter(team=team).exists()


def _package(fields: dict[str, Any], evidence_count: int) -> rules.Package:
    return rules.Package(
        **{name: (fields.get(name) or "").strip() for name in PACKAGE_TEXT_FIELDS},
        impact_users=fields.get("impact_users"),
        evidence_count=evidence_count,
    )


def escalation_create(
    *,
    actor: User,
    ticket: Ticket,
    to_team: Team,
    version: int | None = None,
    evidence_ids: Iterable[int] = (),
    at: datetime | None = None,
    **package: Any,
) -> Escalation:
    """Escalate the ticket to a higher-tier team with a hand-off package.

    The package's text fields and `impact_users` come as keyword arguments; the receiving team's
    policy decides which parts are required, and each missing part is named as a field error.
    """
    require_staff(actor, "escalate tickets")
    unknown = set(package) - {*PACKAGE_TEXT_FIELDS, "impact_users"}
    if unknown:
        raise DomainError(
            f"Unknown package field {sorted(unknown)[0]!r}.", field=sorted(unknown)[0]
        )
    impact_users = package.get("impact_users")
    if impact_users is not None and (not isinstance(impact_users, int) or impact_users < 0):
        raise DomainError("Users affected must be a whole number.", field="impact_users")
    evidence = list(ticket.attachments.filter(pk__in=list(evidence_ids)))
    if len(evidence) != len(set(evidence_ids)):
        raise DomainError("Evidence must be attachments of this ticket.", field="evidence")
    _check_escalation(ticket, to_team)  # first, so a wrong target is reported before the package
    missing = rules.missing_parts(_package(package, len(evidence)), handoff_required(to_team))
    if missing:
        raise DomainError(
            f"{to_team.name} needs more before it can take this: {missing[0]['message']}",
            code="incomplete_handoff",
            field=missing[0]["field"],
            errors=missing,
        )
    now = at or timezone.now()
    try:
        with transaction.atomic():
            # Decide from the row as it is now (locked), not from the caller's possibly old copy.
            ticket = (
                Ticket.objects.select_for_update(of=("self",))
                .select_related("team", "assignee")
                .get(pk=ticket.pk)
            )
            _check_escalation(ticket, to_team)
            escalation = Escalation.objects.create(
                ticket=ticket,
                from_team=ticket.team,
                to_team=to_team,
                from_tier=ticket.tier,
                to_tier=to_team.tier,
                created_by=actor,
                created_at=now,
                previous_assignee=ticket.assignee,
                impact_users=impact_users,
                **{name: (package.get(name) or "").strip() for name in PACKAGE_TEXT_FIELDS},
            )
            escalation.evidence.set(evidence)
            fresh, _ = ticket_route(
                actor=actor,
                ticket=ticket,
                team=to_team,
                assignee=None,
                version=version,
                kind=EventKind.ESCALATED,
                via="escalation",
                at=now,
                data={
                    "escalation": escalation.pk,
                    "from_team": event_value(ticket.team),
                    "to_team": event_value(to_team),
                    "summary": escalation.summary[:300],
                },
            )
            notify(
                recipients=_members(to_team),
                kind=NotificationKind.ESCALATION_RECEIVED,
                title=f"{fresh.number} escalated to {to_team.name}: {fresh.title}",
                body=escalation.summary[:500],
                url=fresh.get_absolute_url(),
                actor=actor,
                ticket_number=fresh.number,
                at=now,
            )
    except IntegrityError as exc:
        # The one-pending-per-ticket constraint: someone escalated it a moment ago.
        raise Conflict("Someone escalated this ticket a moment ago.", field="to_team") from exc
    return escalation


def _check_escalation(ticket: Ticket, to_team: Team) -> None:
    rules.check_escalation(
        status_open=ticket.status in OPEN_STATUSES,
        from_tier=ticket.tier,
        to_tier=to_team.tier,
        pending=Escalation.objects.filter(ticket=ticket, state=EscalationState.PENDING).exists(),
    )


def _lock_pending(escalation: Escalation) -> Escalation:
    fresh = (
        Escalation.objects.select_for_update(of=("self",))
        .select_related("ticket", "to_team", "from_team", "created_by", "decided_by")
        .get(pk=escalation.pk)
    )
    if fresh.state != EscalationState.PENDING:
        who = fresh.decided_by.display_name if fresh.decided_by else "someone"
        raise Conflict(
            f"This escalation was already {fresh.get_state_display().lower()} by {who}.",
            code="already_decided",
            field="state",
        )
    return fresh


def _require_receiver(actor: User, escalation: Escalation) -> None:
    require_staff(actor, "decide on escalations")
    if not (actor.is_manager or _is_member(actor, escalation.to_team)):
        raise PermissionDenied(f"Only {escalation.to_team.name} can accept or return this.")


def escalation_accept(
    *,
    actor: User,
    escalation: Escalation,
    assign_to_self: bool = False,
    at: datetime | None = None,
) -> Escalation:
    """The receiving team takes ownership (optionally the accepting engineer takes the ticket)."""
    _require_receiver(actor, escalation)
    now = at or timezone.now()
    with transaction.atomic():
        esc = _lock_pending(escalation)
        esc.state, esc.decided_by, esc.decided_at = EscalationState.ACCEPTED, actor, now
        esc.save(update_fields=["state", "decided_by", "decided_at"])
        data = {
            "escalation": esc.pk,
            "team": event_value(esc.to_team),
            "waited_seconds": int((now - esc.created_at).total_seconds()),
        }
        ticket = esc.ticket
        if assign_to_self:
            if not _is_member(actor, esc.to_team):
                raise DomainError(f"You are not in {esc.to_team.name}.", field="assign_to_self")
            ticket, _ = ticket_route(
                actor=actor,
                ticket=ticket,
                team=esc.to_team,
                assignee=actor,
                kind=EventKind.ACCEPTED,
                via="escalation",
                data=data,
                at=now,
            )
        else:
            Ticket.objects.filter(pk=ticket.pk).update(updated_at=now)
            event_record(
                ticket=ticket,
                kind=EventKind.ACCEPTED,
                actor=actor,
                at=now,
                data=data,
                internal=True,
            )
        notify(
            recipients=[esc.created_by],
            kind=NotificationKind.ESCALATION_ACCEPTED,
            title=f"{esc.to_team.name} accepted {ticket.number}: {ticket.title}",
            url=ticket.get_absolute_url(),
            actor=actor,
            ticket_number=ticket.number,
            at=now,
        )
    return esc


def _return_team(esc: Escalation) -> Team:
    if esc.from_team is not None:
        return esc.from_team
    team = esc.created_by.teams.order_by("tier").first()
    if team is None:
        raise DomainError("Nobody to return this to: the sender is in no team.", field="state")
    return team


def escalation_return(
    *,
    actor: User,
    escalation: Escalation,
    reason: str,
    guidance: str,
    at: datetime | None = None,
) -> Escalation:
    """Send the ticket back to the sending team with a reason and guidance (a bounce)."""
    _require_receiver(actor, escalation)
    if reason not in ReturnReason.values:
        raise DomainError("Choose why you return it.", field="reason")
    guidance = (guidance or "").strip()
    if not guidance:
        raise DomainError("Tell the sending team what to do next.", field="guidance")
    now = at or timezone.now()
    with transaction.atomic():
        esc = _lock_pending(escalation)
        back = _return_team(esc)
        previous = esc.previous_assignee
        assignee = previous if previous is not None and _is_member(previous, back) else None
        esc.state, esc.decided_by, esc.decided_at = EscalationState.RETURNED, actor, now
        esc.return_reason, esc.guidance = reason, guidance
        esc.save(update_fields=["state", "decided_by", "decided_at", "return_reason", "guidance"])
        moves = {
            "escalation": esc.pk,
            "reason": reason,
            "from_team": event_value(esc.to_team),
            "to_team": event_value(back),
        }
        ticket, _ = ticket_route(
            actor=actor,
            ticket=esc.ticket,
            team=back,
            assignee=assignee,
            kind=EventKind.RETURNED,
            via="escalation",
            data={**moves, "guidance": guidance},
            at=now,
        )
        event_record(
            ticket=ticket,
            kind=EventKind.BOUNCED,
            actor=actor,
            at=now,
            data={**moves, "cause": "returned"},
            internal=True,
        )
        notify(
            recipients=[u for u in (esc.created_by, assignee) if u is not None],
            kind=NotificationKind.ESCALATION_RETURNED,
            title=f"{esc.to_team.name} returned {ticket.number}: {ReturnReason(reason).label}",
            body=guidance,
            url=ticket.get_absolute_url(),
            actor=actor,
            ticket_number=ticket.number,
            at=now,
        )
    return esc


def ticket_deescalate(
    *,
    actor: User,
    ticket: Ticket,
    to_team: Team,
    note: str,
    version: int | None = None,
    at: datetime | None = None,
) -> Ticket:
    """Hand the ticket down a tier after fixing it (e.g. for L1 to confirm); not a bounce."""
    require_staff(actor, "de-escalate tickets")
    if not (actor.is_manager or _is_member(actor, ticket.team)):
        raise PermissionDenied("Only the team holding the ticket can hand it down.")
    rules.check_deescalation(
        from_tier=ticket.tier,
        to_tier=to_team.tier,
        note=note,
        pending=Escalation.objects.filter(ticket=ticket, state=EscalationState.PENDING).exists(),
    )
    if ticket.status not in OPEN_STATUSES:
        raise DomainError("Only open tickets can be handed down.", field="to_team")
    now = at or timezone.now()
    with transaction.atomic():
        fresh, _ = ticket_route(
            actor=actor,
            ticket=ticket,
            team=to_team,
            assignee=None,
            version=version,
            kind=EventKind.DEESCALATED,
            via="deescalation",
            at=now,
            data={
                "note": note.strip(),
                "from_team": event_value(ticket.team),
                "to_team": event_value(to_team),
            },
        )
        notify(
            recipients=_members(to_team),
            kind=NotificationKind.ESCALATION_RECEIVED,
            title=f"{fresh.number} handed down to {to_team.name}: {fresh.title}",
            body=note.strip(),
            url=fresh.get_absolute_url(),
            actor=actor,
            ticket_number=fresh.number,
            at=now,
        )
    return fresh


def escalation_get(escalation_id: int) -> Escalation:
    """An escalation by id (NotFound otherwise); visibility is checked by the caller's query."""
    esc = (
        Escalation.objects.select_related("ticket", "to_team", "from_team")
        .filter(pk=escalation_id)
        .first()
    )
    if esc is None:
        raise NotFound("No such escalation.")
    return esc
