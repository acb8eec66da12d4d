"""Hierarchical escalation: alerts to a team lead or manager, and major incidents.

`alert_raise` tells the ticket team's leads (or managers) about a ticket with a reason;
`alerts_for` is their list of tickets escalated to them. `major_incident_declare` flags a P1 ticket
and notifies the leads and managers of every team involved in it.
"""

from __future__ import annotations

from datetime import datetime

from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from backline.accounts.choices import Role
from backline.accounts.models import Team, User
from backline.core.errors import DomainError, NotFound, PermissionDenied
from backline.escalation.choices import AlertLevel
from backline.escalation.models import Alert, MajorIncident, Task
from backline.notifications.choices import NotificationKind
from backline.notifications.services import notify
from backline.tickets.choices import OPEN_STATUSES, EventKind, Priority
from backline.tickets.models import Ticket, TicketEvent
from backline.tickets.permissions import require_staff
from backline.tickets.queries import visible_filter
from backline.tickets.services import event_record

# Events whose data records the ticket moving between teams (data["changes"]["team"]).
_TEAM_MOVES = [
    EventKind.ASSIGNED,
    EventKind.ESCALATED,
    EventKind.ACCEPTED,
    EventKind.RETURNED,
    EventKind.BOUNCED,
    EventKind.DEESCALATED,
]
_MAX_REASON = 10_000


def _reason(text: str) -> str:
    text = (text or "").strip()
    if not text:
        raise DomainError("Give a reason.", field="reason")
    if len(text) > _MAX_REASON:
        raise DomainError(f"The reason is longer than {_MAX_REASON:,} characters.", field="reason")
    return text


def _require_open(ticket: Ticket, what: str) -> None:
    if ticket.status not in OPEN_STATUSES:
        raise DomainError(
            f"{ticket.number} is {ticket.get_status_display().lower()}; "
            f"{what} needs an open ticket.",
            code="ticket_closed",
            field="ticket",
        )


def _active_managers() -> QuerySet[User]:
    return User.objects.filter(is_active=True, role=Role.MANAGER)


def alert_recipients(ticket: Ticket, level: str, *, exclude: User | None = None) -> list[User]:
    """Who an alert reaches: the team's leads (else managers), or its managers (else all)."""
    users = User.objects.filter(is_active=True)
    if exclude is not None:
        users = users.exclude(pk=exclude.pk)
    if level == AlertLevel.LEAD and ticket.team_id is not None:
        leads = list(
            users.filter(memberships__team_id=ticket.team_id, memberships__is_lead=True).distinct()
        )
        if leads:
            return leads
    managers = users.filter(role=Role.MANAGER)
    if ticket.team_id is not None:
        in_team = list(managers.filter(memberships__team_id=ticket.team_id).distinct())
        if in_team:
            return in_team
    return list(managers)


# --- alerts ------------------------------------------------------------------------------------


def alert_raise(
    *,
    actor: User,
    ticket: Ticket,
    level: str,
    reason: str,
    at: datetime | None = None,
) -> Alert:
    """Alert the ticket team's lead or a manager about the ticket, with a reason."""
    require_staff(actor, "alert a lead or manager")
    if level not in AlertLevel.values:
        raise DomainError(f"Unknown alert level {level!r}: use lead or manager.", field="level")
    reason = _reason(reason)
    _require_open(ticket, "an alert")
    recipients = alert_recipients(ticket, level, exclude=actor)
    if not recipients:
        raise DomainError(
            "Nobody to alert: there is no team lead or active manager besides you.",
            code="no_recipients",
            field="level",
        )
    now = at or timezone.now()
    label = AlertLevel(level).label.lower()
    with transaction.atomic():
        alert = Alert.objects.create(
            ticket=ticket, level=level, reason=reason, raised_by=actor, created_at=now
        )
        alert.recipients.set(recipients)
        event_record(
            ticket=ticket,
            kind=EventKind.ALERTED,
            actor=actor,
            at=now,
            internal=True,
            data={
                "alert": alert.pk,
                "level": level,
                "reason": reason,
                "recipients": [u.display_name for u in recipients],
            },
        )
        notify(
            recipients=recipients,
            kind=NotificationKind.ALERT,
            title=f"{ticket.number}: {actor.display_name} alerts you as {label}",
            body=reason,
            url=ticket.get_absolute_url(),
            actor=actor,
            ticket_number=ticket.number,
            at=now,
        )
    return alert


def alert_acknowledge(*, actor: User, alert: Alert, at: datetime | None = None) -> Alert:
    """A recipient confirms they have taken the alert in hand (a repeat changes nothing)."""
    if not alert.recipients.filter(pk=actor.pk).exists():
        raise PermissionDenied("Only the people alerted can acknowledge this alert.")
    now = at or timezone.now()
    with transaction.atomic():
        fresh = (
            Alert.objects.select_for_update(of=("self",))
            .select_related("ticket", "raised_by", "acknowledged_by")
            .get(pk=alert.pk)
        )
        if fresh.acknowledged_at is not None:
            return fresh
        fresh.acknowledged_by = actor
        fresh.acknowledged_at = now
        fresh.save(update_fields=["acknowledged_by", "acknowledged_at"])
    return fresh


def alerts_for(user: User, *, open_only: bool = True) -> QuerySet[Alert]:
    """Alerts sent to the user about tickets they may still see, newest first; open_only leaves
    out acknowledged ones."""
    if not user.is_authenticated or not user.is_active:
        return Alert.objects.none()
    qs = (
        Alert.objects.filter(visible_filter(user), recipients=user)
        .select_related(
            "ticket", "ticket__team", "ticket__assignee", "raised_by", "acknowledged_by"
        )
        .prefetch_related("recipients")
    )
    if open_only:
        qs = qs.filter(acknowledged_at__isnull=True)
    return qs.order_by("-created_at", "-id")


def alerts_for_ticket(ticket: Ticket, *, limit: int | None = None) -> list[Alert]:
    """The ticket's alerts, newest first, with who raised and who acknowledged them."""
    qs = (
        Alert.objects.filter(ticket=ticket)
        .select_related("raised_by", "acknowledged_by")
        .order_by("-created_at", "-id")
    )
    return list(qs[:limit] if limit is not None else qs)


def alert_get(user: User, alert_id: int) -> Alert:
    """One alert the user received or may see as staff; NotFound otherwise."""
    alert = None
    if user.is_authenticated and user.is_active and user.is_staff_member:
        alert = (
            Alert.objects.filter(visible_filter(user), pk=alert_id)
            .select_related("ticket", "raised_by", "acknowledged_by")
            .prefetch_related("recipients")
            .first()
        )
    if alert is None:
        raise NotFound(f"No alert {alert_id}.", field="alert")
    return alert


# --- major incidents ---------------------------------------------------------------------------


def teams_involved(ticket: Ticket) -> list[int]:
    """Ids of every team that held the ticket or has a task on it."""
    ids: set[int] = {ticket.team_id} if ticket.team_id else set()
    moves = TicketEvent.objects.filter(ticket=ticket, kind__in=_TEAM_MOVES).values_list(
        "data", flat=True
    )
    for data in moves:
        pair = (data or {}).get("changes", {}).get("team") or []
        ids.update(v["id"] for v in pair if isinstance(v, dict) and v.get("id"))
    created = (
        TicketEvent.objects.filter(ticket=ticket, kind=EventKind.CREATED)
        .values_list("data", flat=True)
        .first()
    )
    team = (created or {}).get("team")
    if isinstance(team, dict) and team.get("id"):
        ids.add(team["id"])
    ids.update(Task.objects.filter(ticket=ticket).values_list("team_id", flat=True))
    return sorted(ids)


def major_incident_recipients(ticket: Ticket) -> list[User]:
    """Leads and managers of the teams involved; every active manager when there are none."""
    team_ids = teams_involved(ticket)
    users = list(
        User.objects.filter(is_active=True)
        .filter(
            Q(memberships__team_id__in=team_ids, memberships__is_lead=True)
            | Q(memberships__team_id__in=team_ids, role=Role.MANAGER)
        )
        .distinct()
        .order_by("first_name", "last_name", "username")
    )
    return users or list(_active_managers())


def major_incident_declare(
    *,
    actor: User,
    ticket: Ticket,
    reason: str,
    users_affected: int | None = None,
    at: datetime | None = None,
) -> MajorIncident:
    """Declare a P1 ticket a major incident (once) and notify the leads and managers involved."""
    require_staff(actor, "declare a major incident")
    if ticket.priority != Priority.P1:
        raise DomainError(
            f"Only P1 tickets can be declared a major incident; {ticket.number} is "
            f"P{ticket.priority}.",
            code="not_p1",
            field="priority",
        )
    _require_open(ticket, "a major incident")
    reason = _reason(reason)
    if users_affected is not None and users_affected < 0:
        raise DomainError("Users affected cannot be negative.", field="users_affected")
    if MajorIncident.objects.filter(ticket=ticket).exists():
        raise _already_declared(ticket)
    now = at or timezone.now()
    recipients = major_incident_recipients(ticket)
    teams = list(Team.objects.filter(pk__in=teams_involved(ticket)).values_list("name", flat=True))
    try:
        with transaction.atomic():
            incident = MajorIncident.objects.create(
                ticket=ticket,
                reason=reason,
                users_affected=users_affected,
                declared_by=actor,
                declared_at=now,
            )
            event_record(
                ticket=ticket,
                kind=EventKind.MAJOR_INCIDENT,
                actor=actor,
                at=now,
                internal=True,
                data={
                    "reason": reason,
                    "users_affected": users_affected,
                    "teams": teams,
                    "notified": [u.display_name for u in recipients],
                },
            )
            notify(
                recipients=recipients,
                kind=NotificationKind.MAJOR_INCIDENT,
                title=f"Major incident {ticket.number}: {ticket.title}",
                body=_major_body(reason, users_affected),
                url=ticket.get_absolute_url(),
                actor=actor,
                ticket_number=ticket.number,
                at=now,
            )
    except IntegrityError as exc:
        # Two people declared at once; the other declaration won.
        raise _already_declared(ticket) from exc
    return incident


def _already_declared(ticket: Ticket) -> DomainError:
    return DomainError(
        f"{ticket.number} is already a major incident.", code="already_declared", field="ticket"
    )


def _major_body(reason: str, users_affected: int | None) -> str:
    if users_affected is None:
        return reason
    return f"{users_affected:,} users affected. {reason}"


def major_incident_for(ticket: Ticket) -> MajorIncident | None:
    """The ticket's major incident declaration, if any."""
    return (
        MajorIncident.objects.filter(ticket=ticket).select_related("declared_by").first()
        if ticket.pk
        else None
    )
