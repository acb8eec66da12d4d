"""Every write to a ticket: one function per user action, one transaction, one or more events."""

from __future__ import annotations

import hashlib
import mimetypes
import os
import re
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from backline.accounts.models import Team, User
from backline.cmdb.models import ConfigurationItem, Service
from backline.core.errors import (
    Conflict,
    DomainError,
    PermissionDenied,
    from_validation_error,
)
from backline.core.security import check_upload
from backline.notifications.mentions import notify_mentions
from backline.tickets import routing, rules, signals
from backline.tickets.access import access_grant_for_event
from backline.tickets.choices import EventKind, Level, LinkKind, Priority, Source, Status
from backline.tickets.models import (
    EXTERNAL_ID_HELP,
    EXTERNAL_ID_PATTERN,
    EXTERNAL_SYSTEM_HELP,
    EXTERNAL_SYSTEM_PATTERN,
    Attachment,
    Category,
    Comment,
    PriorityMatrixEntry,
    Ticket,
    TicketEvent,
    TicketLink,
    TicketWatcher,
)
from backline.tickets.permissions import require_staff, require_view

# Foreign keys are passed in as instances, so full_clean need not query each one again.
_FK_FIELDS = ["requester", "category", "team", "assignee", "service", "ci"]
EDITABLE_FIELDS = (
    "title",
    "description",
    "category",
    "impact",
    "urgency",
    "service",
    "ci",
    "team",
    "assignee",
)
_ASSIGNMENT_FIELDS = {"team", "assignee"}


def event_record(
    *,
    ticket: Ticket,
    kind: str,
    actor: User | None,
    at: datetime | None = None,
    data: dict[str, Any] | None = None,
    internal: bool = False,
    comment: Comment | None = None,
    attachment: Attachment | None = None,
) -> TicketEvent:
    """Append one event to a ticket's timeline (call inside the writing transaction)."""
    event = TicketEvent.objects.create(
        ticket=ticket,
        kind=kind,
        actor=actor,
        at=at or timezone.now(),
        data=data or {},
        is_internal=internal,
        comment=comment,
        attachment=attachment,
    )
    access_grant_for_event(event)
    signals.event_recorded.send(sender=TicketEvent, event=event)
    return event


def priority_matrix() -> dict[tuple[int, int], int]:
    """The configured impact × urgency → priority matrix."""
    return {
        (row.impact, row.urgency): row.priority
        for row in PriorityMatrixEntry.objects.all().only("impact", "urgency", "priority")
    }


def event_value(value: Any) -> Any:
    """The JSON form of a field value in event data: scalars as they are, objects as id and name."""
    if value is None or isinstance(value, str | int | bool):
        return value
    if isinstance(value, User):
        return {"id": value.pk, "name": value.display_name}
    if hasattr(value, "pk"):
        return {"id": value.pk, "name": str(value)}
    return str(value)


def _clean(ticket: Ticket) -> None:
    ticket.title = (ticket.title or "").strip()
    if not ticket.title:
        raise DomainError("Title is required.", field="title")
    try:
        ticket.full_clean(exclude=_FK_FIELDS, validate_unique=False, validate_constraints=False)
    except ValidationError as exc:
        raise from_validation_error(exc) from exc


def _check_team_member(team: Team | None, assignee: User | None) -> None:
    if assignee is None:
        return
    if not assignee.is_active or not assignee.is_staff_member:
        raise DomainError(f"{assignee.display_name} cannot be assigned tickets.", field="assignee")
    if team is not None and not assignee.memberships.filter(team=team).exists():
        raise DomainError(
            f"{assignee.display_name} is not a member of {team.name}.", field="assignee"
        )


def _check_ci(service: Service | None, ci: ConfigurationItem | None) -> None:
    if ci is not None and service is not None and ci.service_id not in (None, service.pk):
        raise DomainError(f"{ci.name} does not belong to {service.name}.", field="ci")


def ticket_create(
    *,
    actor: User,
    title: str,
    description: str = "",
    requester: User | None = None,
    category: Category | None = None,
    impact: int = Level.MEDIUM,
    urgency: int = Level.MEDIUM,
    team: Team | None = None,
    assignee: User | None = None,
    service: Service | None = None,
    ci: ConfigurationItem | None = None,
    source: str = Source.WEB,
    external_system: str = "",
    external_id: str = "",
    at: datetime | None = None,
) -> Ticket:
    """Log a new incident; its priority comes from the matrix and its tier from the team."""
    requester = requester or actor
    external_system, external_id = external_ref_clean(
        external_system=external_system, external_id=external_id
    )
    if not actor.is_staff_member:
        if requester.pk != actor.pk:
            raise DomainError("You can only raise tickets for yourself.", field="requester")
        if team is not None or assignee is not None:
            raise DomainError("Only support staff can route a ticket.", field="team")
        if external_id:
            raise PermissionDenied(
                "Only support staff can link a ticket to an L1 record.", field="external_system"
            )
    if not requester.is_active:
        raise DomainError("The requester's account is disabled.", field="requester")
    if source not in Source.values:
        raise DomainError(f"Unknown source {source!r}.", field="source")
    if assignee is not None and team is None:
        team = assignee.teams.order_by("tier").first()
    priority = rules.priority_for(impact, urgency, priority_matrix())
    if team is None and source == Source.API:
        # Tickets from other tools arrive unrouted; a routing rule in "set" mode routes them.
        team = routing.team_for_new_ticket(
            title=title,
            description=description,
            category=category,
            service=service,
            priority=priority,
        )
    _check_team_member(team, assignee)
    _check_ci(service, ci)
    now = at or timezone.now()
    ticket = Ticket(
        title=title,
        description=(description or "").strip(),
        requester=requester,
        category=category,
        impact=impact,
        urgency=urgency,
        priority=priority,
        status=rules.status_after_assignment(Status.NEW, assignee is not None),
        tier=team.tier if team else 1,
        team=team,
        assignee=assignee,
        service=service,
        ci=ci,
        source=source,
        external_system=external_system,
        external_id=external_id,
        created_at=now,
        updated_at=now,
    )
    _clean(ticket)
    if external_id and ticket_for_external_ref(external_system, external_id):
        raise _external_ref_taken(external_system, external_id)
    try:
        return _ticket_insert(ticket, actor=actor, team=team, assignee=assignee, at=now)
    except IntegrityError:
        # A concurrent writer took the same L1 reference between the check and the insert.
        if external_id and ticket_for_external_ref(external_system, external_id):
            raise _external_ref_taken(external_system, external_id) from None
        raise


def _ticket_insert(
    ticket: Ticket, *, actor: User, team: Team | None, assignee: User | None, at: datetime
) -> Ticket:
    with transaction.atomic():
        ticket.save()
        event_record(
            ticket=ticket,
            kind=EventKind.CREATED,
            actor=actor,
            at=at,
            data={
                "title": ticket.title,
                "priority": ticket.priority,
                "status": ticket.status,
                "team": event_value(team),
                "assignee": event_value(assignee),
                "source": ticket.source,
                "tier": ticket.tier,
            },
        )
        signals.ticket_created.send(sender=Ticket, ticket=ticket, actor=actor, at=at)
    return ticket


def external_ref_clean(
    *,
    external_system: str,
    external_id: str,
    fields: tuple[str, str] = ("external_system", "external_id"),
) -> tuple[str, str]:
    """An L1 reference checked as given: both parts or neither, each in its URL-safe form."""
    system_field, id_field = fields
    if not external_system and not external_id:
        return "", ""
    if not external_system:
        raise DomainError("An external id needs the system it comes from.", field=system_field)
    if not external_id:
        raise DomainError("An external system needs the record's id.", field=id_field)
    if not re.match(EXTERNAL_SYSTEM_PATTERN, external_system):
        raise DomainError(EXTERNAL_SYSTEM_HELP, field=system_field)
    if not re.match(EXTERNAL_ID_PATTERN, external_id):
        raise DomainError(EXTERNAL_ID_HELP, field=id_field)
    return external_system, external_id


def ticket_for_external_ref(external_system: str, external_id: str) -> Ticket | None:
    """The ticket standing for this L1 record, if there is one."""
    if not external_id:
        return None
    return Ticket.objects.filter(external_system=external_system, external_id=external_id).first()


def _external_ref_taken(external_system: str, external_id: str) -> Conflict:
    return Conflict(
        f"{external_system} record {external_id} is already linked to another ticket.",
        code="external_ref_taken",
        field="external_id",
    )


def ticket_ensure_by_ref(
    *, actor: User, external_system: str, external_id: str, **fields: Any
) -> tuple[Ticket, bool]:
    """The ticket for an L1 record, created from `fields` the first time; (ticket, created).

    A retry, or a second writer racing the first, gets the existing ticket unchanged.
    """
    require_staff(actor, "sync tickets by external reference")
    external_ref_clean(
        external_system=external_system, external_id=external_id, fields=("system", "external_id")
    )
    existing = ticket_for_external_ref(external_system, external_id)
    if existing is not None:
        return existing, False
    try:
        ticket = ticket_create(
            actor=actor, external_system=external_system, external_id=external_id, **fields
        )
    except Conflict as exc:
        winner = ticket_for_external_ref(external_system, external_id)
        if exc.code != "external_ref_taken" or winner is None:
            raise
        return winner, False
    return ticket, True


def _lock(ticket: Ticket, version: int | None) -> Ticket:
    """Re-read the ticket under a row lock and refuse a stale `version` (optimistic locking)."""
    fresh = (
        Ticket.objects.select_for_update(of=("self",))
        .select_related("team", "assignee")
        .get(pk=ticket.pk)
    )
    if version is not None and fresh.version != version:
        last = (
            TicketEvent.objects.filter(ticket=fresh)
            .exclude(kind__in=_NON_VERSIONED)
            .select_related("actor")
            .order_by("-at", "-id")
            .first()
        )
        who = last.actor.display_name if last and last.actor else "someone else"
        when = timezone.localtime(last.at).strftime("%H:%M") if last else ""
        raise Conflict(
            f"{fresh.number} was changed by {who}{' at ' + when if when else ''} after you "
            f"opened it (version {fresh.version}, yours {version}). Reload to see the change.",
            code="version_conflict",
            field="version",
        )
    return fresh


# Events that do not change the ticket's own fields and so do not bump its version.
_NON_VERSIONED = [
    EventKind.REPLIED,
    EventKind.NOTED,
    EventKind.ATTACHED,
    EventKind.LINKED,
    EventKind.UNLINKED,
    EventKind.WATCHED,
    EventKind.UNWATCHED,
    EventKind.BOUNCED,
    EventKind.TASK_CREATED,
    EventKind.TASK_UPDATED,
    EventKind.ALERTED,
    EventKind.MAJOR_INCIDENT,
]


def _save_versioned(ticket: Ticket, now: datetime) -> None:
    ticket.version += 1
    ticket.updated_at = now
    _clean(ticket)
    ticket.save()


def _diff(before: dict[str, Any], ticket: Ticket) -> dict[str, list[Any]]:
    """{field: [before, after]} for the fields whose value changed, in event form."""
    return {
        name: [event_value(old), event_value(getattr(ticket, name))]
        for name, old in before.items()
        if event_value(old) != event_value(getattr(ticket, name))
    }


def _announce(
    ticket: Ticket,
    actor: User | None,
    at: datetime,
    changes: dict,
    old_status: str,
    *,
    via: str | None,
    action: str,
) -> None:
    """Tell other apps the ticket changed (and moved status, when it did)."""
    signals.ticket_changed.send(
        sender=Ticket, ticket=ticket, actor=actor, at=at, changes=changes, via=via
    )
    if ticket.status != old_status:
        signals.ticket_transitioned.send(
            sender=Ticket,
            ticket=ticket,
            actor=actor,
            at=at,
            before=old_status,
            after=ticket.status,
            action=action,
        )


def ticket_update(
    *,
    actor: User,
    ticket: Ticket,
    version: int | None,
    changes: dict[str, Any],
    at: datetime | None = None,
) -> Ticket:
    """Change editable fields; assignment changes and field edits are separate timeline events."""
    require_staff(actor, "edit tickets")
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        field = sorted(unknown)[0]
        raise DomainError(f"{field!r} cannot be changed here.", field=field)
    for name in ("title", "description", "impact", "urgency"):
        if name in changes and changes[name] is None:
            raise DomainError(f"{name.capitalize()} cannot be empty.", field=name)
    now = at or timezone.now()
    with transaction.atomic():
        fresh = _lock(ticket, version)
        old_tier = fresh.tier
        before = {name: getattr(fresh, name) for name in changes}
        for name, value in changes.items():
            setattr(fresh, name, value)
        if (
            "team" in changes
            and "assignee" not in changes
            and fresh.assignee is not None
            and (
                fresh.team is None
                or not fresh.assignee.memberships.filter(team=fresh.team).exists()
            )
        ):
            # Moving a ticket to another team releases it from an assignee outside that team.
            before["assignee"] = fresh.assignee
            fresh.assignee = None
        if {"team", "assignee"} & set(changes):
            _check_team_member(fresh.team, fresh.assignee)
            fresh.tier = fresh.team.tier if fresh.team else fresh.tier
        if {"service", "ci"} & set(changes):
            _check_ci(fresh.service, fresh.ci)
        if {"impact", "urgency"} & set(changes):
            new_priority = rules.priority_for(fresh.impact, fresh.urgency, priority_matrix())
            if new_priority != fresh.priority:
                before["priority"] = fresh.priority
                fresh.priority = new_priority
        diff = _diff(before, fresh)
        if not diff:
            return fresh
        old_status = fresh.status
        fresh.status = rules.status_after_assignment(
            fresh.status, fresh.assignee is not None, team_changed="team" in diff
        )
        _save_versioned(fresh, now)
        assignment = {k: v for k, v in diff.items() if k in _ASSIGNMENT_FIELDS}
        other = {k: v for k, v in diff.items() if k not in _ASSIGNMENT_FIELDS}
        if assignment:
            data: dict[str, Any] = {"changes": assignment, "tier": fresh.tier}
            if fresh.tier != old_tier:
                # A move between tiers: the OLA clocks follow it (sla.handlers), as for escalations.
                data["from_tier"] = old_tier
            if fresh.status != old_status:
                data["status"] = [old_status, fresh.status]
            event_record(ticket=fresh, kind=EventKind.ASSIGNED, actor=actor, at=now, data=data)
        if other:
            event_record(
                ticket=fresh, kind=EventKind.UPDATED, actor=actor, at=now, data={"changes": other}
            )
        _announce(fresh, actor, now, diff, old_status, via=None, action="assign")
    return fresh


def ticket_route(
    *,
    actor: User,
    ticket: Ticket,
    team: Team,
    assignee: User | None,
    kind: str,
    via: str,
    version: int | None = None,
    data: dict[str, Any] | None = None,
    internal: bool = True,
    at: datetime | None = None,
) -> tuple[Ticket, TicketEvent]:
    """Move the ticket to `team` as a step of a workflow (escalate, return, de-escalate…).

    Call inside the workflow's transaction. One event of `kind` records the move (its data holds
    the team and assignee changes, the tiers and any status reset, plus the workflow's `data`);
    `ticket_changed` carries `via` so listeners can tell workflow moves from plain edits.
    """
    require_staff(actor, "route tickets")
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("ticket_route must run inside the caller's transaction")
    now = at or timezone.now()
    fresh = _lock(ticket, version)
    _check_team_member(team, assignee)
    before = {"team": fresh.team, "assignee": fresh.assignee}
    old_status, old_tier = fresh.status, fresh.tier
    fresh.team, fresh.assignee, fresh.tier = team, assignee, team.tier
    changes = _diff(before, fresh)
    fresh.status = rules.status_after_assignment(
        fresh.status, assignee is not None, team_changed="team" in changes
    )
    _save_versioned(fresh, now)
    payload: dict[str, Any] = {
        "changes": changes,
        "tier": fresh.tier,
        "from_tier": old_tier,
        **(data or {}),
    }
    if fresh.status != old_status:
        payload["status"] = [old_status, fresh.status]
    # Workflow moves carry packages and guidance between teams: internal unless said otherwise.
    event = event_record(
        ticket=fresh, kind=kind, actor=actor, at=now, data=payload, internal=internal
    )
    _announce(fresh, actor, now, changes, old_status, via=via, action=via)
    return fresh, event


def ticket_assign(
    *,
    actor: User,
    ticket: Ticket,
    assignee: User | None,
    version: int | None = None,
    at: datetime | None = None,
) -> Ticket:
    """Give the ticket to `assignee` (None releases it), keeping or choosing a fitting team."""
    require_staff(actor, "assign tickets")
    changes: dict[str, Any] = {"assignee": assignee}
    if assignee is not None and (
        ticket.team_id is None or not assignee.memberships.filter(team_id=ticket.team_id).exists()
    ):
        # The assignee's team closest to the ticket's tier without going down: an L2 engineer
        # who is also in L3 takes an L2 ticket into L2, not silently into L3.
        teams = list(assignee.teams.order_by("tier", "name"))
        if not teams:
            raise DomainError(f"{assignee.display_name} is not in any team.", field="assignee")
        changes["team"] = next((t for t in teams if t.tier >= ticket.tier), teams[-1])
    return ticket_update(actor=actor, ticket=ticket, version=version, changes=changes, at=at)


def ticket_transition(
    *,
    actor: User,
    ticket: Ticket,
    action: str,
    version: int | None = None,
    pending_reason: str = "",
    resolution_code: str = "",
    resolution_notes: str = "",
    cause_code: str = "",
    note: str = "",
    lower_tier_capable: bool = False,
    at: datetime | None = None,
) -> Ticket:
    """Move the ticket through the status machine (rules.TRANSITIONS).

    `lower_tier_capable` (on resolve) records that a lower tier could have solved the ticket."""
    require_staff(actor, "change a ticket's status")
    inputs = {
        "pending_reason": pending_reason,
        "resolution_code": resolution_code,
        "resolution_notes": resolution_notes,
        "cause_code": cause_code,
        "note": note,
    }
    now = at or timezone.now()
    with transaction.atomic():
        fresh = _lock(ticket, version)
        transition = rules.check_transition(fresh.status, action, inputs)
        signals.ticket_transition_requested.send(
            sender=Ticket, ticket=fresh, actor=actor, action=action
        )
        old_status = fresh.status
        fresh.status = transition.target
        fresh.pending_reason = pending_reason if transition.target == Status.PENDING else ""
        data: dict[str, Any] = {"from": old_status, "to": fresh.status, "action": action}
        if action == "resolve":
            fresh.resolution_code = resolution_code
            fresh.resolution_notes = resolution_notes.strip()
            fresh.cause_code = cause_code
            fresh.resolved_at = now
            data.update(
                resolution_code=resolution_code,
                cause_code=cause_code,
                resolution_notes=fresh.resolution_notes,
            )
            if lower_tier_capable:
                data["lower_tier_capable"] = True
        elif action == "reopen":
            # The earlier resolution stays on the timeline; the ticket no longer claims it.
            fresh.reopen_count += 1
            fresh.resolved_at = None
            fresh.resolution_code = fresh.resolution_notes = fresh.cause_code = ""
        elif action == "close":
            fresh.closed_at = now
        elif action == "start":
            if fresh.first_response_at is None:
                fresh.first_response_at = now
            if fresh.assignee is None:
                # Whoever starts work on an unassigned ticket owns it from then on.
                if (
                    fresh.team is not None
                    and not actor.memberships.filter(team=fresh.team).exists()
                ):
                    raise DomainError(
                        f"Assign it to someone in {fresh.team.name} before starting work.",
                        field="action",
                    )
                data["changes"] = {"assignee": [None, event_value(actor)]}
                fresh.assignee = actor
                if fresh.team is None:
                    team = actor.teams.order_by("tier", "name").first()
                    if team is not None:
                        data["changes"]["team"] = [None, event_value(team)]
                        fresh.team, fresh.tier = team, team.tier
        if transition.target == Status.PENDING:
            data["pending_reason"] = pending_reason
        if note.strip():
            data["note"] = note.strip()
        _save_versioned(fresh, now)
        event_record(ticket=fresh, kind=EventKind.STATUS_CHANGED, actor=actor, at=now, data=data)
        signals.ticket_transitioned.send(
            sender=Ticket,
            ticket=fresh,
            actor=actor,
            at=now,
            before=old_status,
            after=fresh.status,
            action=action,
        )
    return fresh


def ticket_comment(
    *,
    actor: User,
    ticket: Ticket,
    body: str,
    internal: bool = False,
    files: Iterable[UploadedFile] = (),
    at: datetime | None = None,
) -> Comment:
    """Add a public reply or an internal note, with optional files attached to it."""
    require_view(actor, ticket)
    if internal:
        require_staff(actor, "write internal notes")
    body = (body or "").strip()
    if not body:
        raise DomainError("Write something first.", field="body")
    if len(body) > 100_000:
        raise DomainError("The text is longer than 100,000 characters.", field="body")
    files = list(files)
    for upload in files:
        _check_upload(upload)
    now = at or timezone.now()
    with transaction.atomic():
        comment = Comment.objects.create(
            ticket=ticket, author=actor, body=body, is_internal=internal, created_at=now
        )
        event = event_record(
            ticket=ticket,
            kind=EventKind.NOTED if internal else EventKind.REPLIED,
            actor=actor,
            at=now,
            internal=internal,
            comment=comment,
        )
        for upload in files:
            _store_attachment(actor, ticket, upload, internal, comment, now)
        if internal:
            notify_mentions(
                actor=actor,
                text=body,
                ticket_number=ticket.number,
                url=f"{ticket.get_absolute_url()}#event-{event.pk}",
                title=f"{actor.display_name} mentioned you on {ticket.number}: {ticket.title}",
            )
        fields: dict[str, Any] = {"updated_at": now}
        if not internal and actor.is_staff_member and actor.pk != ticket.requester_id:
            Ticket.objects.filter(pk=ticket.pk, first_response_at__isnull=True).update(
                first_response_at=now
            )
        Ticket.objects.filter(pk=ticket.pk).update(**fields)
    return comment


_UNSAFE_NAME = re.compile(r"[\x00-\x1f\x7f/\\]+")


def _clean_filename(name: str) -> str:
    name = _UNSAFE_NAME.sub("_", os.path.basename(name or "")).strip(" .") or "file"
    stem, ext = os.path.splitext(name)
    return stem[: 255 - len(ext[:20])] + ext[:20]


def _check_upload(upload: UploadedFile) -> None:
    # Size (BACKLINE_MAX_ATTACHMENT_BYTES) and type (no programs): core/security.py.
    check_upload(upload, limit=settings.BACKLINE_MAX_ATTACHMENT_BYTES)


def _store_attachment(
    actor: User,
    ticket: Ticket,
    upload: UploadedFile,
    internal: bool,
    comment: Comment | None,
    now: datetime,
) -> Attachment:
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    filename = _clean_filename(upload.name or "file")
    content_type = (
        mimetypes.guess_type(filename)[0] or upload.content_type or "application/octet-stream"
    )[:120]
    attachment = Attachment(
        ticket=ticket,
        comment=comment,
        filename=filename,
        content_type=content_type,
        size=upload.size or 0,
        sha256=digest.hexdigest(),
        is_internal=internal,
        uploaded_by=actor,
        created_at=now,
    )
    attachment.file.save(filename, upload, save=False)
    attachment.save()
    event_record(
        ticket=ticket,
        kind=EventKind.ATTACHED,
        actor=actor,
        at=now,
        internal=internal,
        attachment=attachment,
        data={"filename": filename, "size": attachment.size},
    )
    return attachment


def ticket_attach(
    *,
    actor: User,
    ticket: Ticket,
    upload: UploadedFile,
    internal: bool = False,
    at: datetime | None = None,
) -> Attachment:
    """Attach a file to the ticket (internal files are hidden from the requester)."""
    require_view(actor, ticket)
    if internal:
        require_staff(actor, "add internal files")
    _check_upload(upload)
    now = at or timezone.now()
    with transaction.atomic():
        attachment = _store_attachment(actor, ticket, upload, internal, None, now)
        Ticket.objects.filter(pk=ticket.pk).update(updated_at=now)
    return attachment


def ticket_link(*, actor: User, ticket: Ticket, target: Ticket, kind: str) -> TicketLink:
    """Link two tickets (related, duplicate of, parent of)."""
    require_staff(actor, "link tickets")
    if kind not in LinkKind.values:
        raise DomainError(f"Unknown link kind {kind!r}.", field="kind")
    if target.pk == ticket.pk:
        raise DomainError("A ticket cannot be linked to itself.", field="target")
    reverse_kinds = {LinkKind.RELATED, LinkKind.DUPLICATE_OF}
    if (
        kind in reverse_kinds
        and TicketLink.objects.filter(source=target, target=ticket, kind=kind).exists()
    ):
        raise DomainError(f"{target.number} is already linked this way.", field="target")
    now = timezone.now()
    try:
        with transaction.atomic():
            link = TicketLink.objects.create(
                source=ticket, target=target, kind=kind, created_by=actor
            )
            data = {"kind": kind, "target": target.number, "link": link.pk}
            event_record(
                ticket=ticket, kind=EventKind.LINKED, actor=actor, at=now, data=data, internal=True
            )
            event_record(
                ticket=target,
                kind=EventKind.LINKED,
                actor=actor,
                at=now,
                data={"kind": kind, "source": ticket.number, "link": link.pk},
                internal=True,
            )
    except IntegrityError as exc:
        raise DomainError(f"{target.number} is already linked this way.", field="target") from exc
    return link


def ticket_unlink(*, actor: User, ticket: Ticket, link_id: int) -> None:
    """Remove a link from either of its ends."""
    require_staff(actor, "unlink tickets")
    with transaction.atomic():
        link = (
            TicketLink.objects.select_related("source", "target")
            .filter(Q(source=ticket) | Q(target=ticket), pk=link_id)
            .first()
        )
        if link is None:
            raise DomainError("No such link on this ticket.", code="not_found", field="link")
        now = timezone.now()
        data = {"kind": link.kind, "source": link.source.number, "target": link.target.number}
        link.delete()
        for end in (link.source, link.target):
            event_record(
                ticket=end, kind=EventKind.UNLINKED, actor=actor, at=now, data=data, internal=True
            )


def ticket_watch(*, actor: User, ticket: Ticket, user: User | None = None) -> TicketWatcher:
    """Follow a ticket (staff may add others as watchers)."""
    require_view(actor, ticket)
    user = user or actor
    if user.pk != actor.pk:
        require_staff(actor, "add other watchers")
    with transaction.atomic():
        watcher, created = TicketWatcher.objects.get_or_create(ticket=ticket, user=user)
        if created:
            event_record(
                ticket=ticket,
                kind=EventKind.WATCHED,
                actor=actor,
                data={"user": event_value(user)},
                internal=True,
            )
    return watcher


def ticket_unwatch(*, actor: User, ticket: Ticket, user: User | None = None) -> None:
    """Stop following a ticket."""
    require_view(actor, ticket)
    user = user or actor
    if user.pk != actor.pk:
        require_staff(actor, "remove other watchers")
    with transaction.atomic():
        deleted, _ = TicketWatcher.objects.filter(ticket=ticket, user=user).delete()
        if deleted:
            event_record(
                ticket=ticket,
                kind=EventKind.UNWATCHED,
                actor=actor,
                data={"user": event_value(user)},
                internal=True,
            )


def priority_matrix_set(
    *, actor: User, impact: int, urgency: int, priority: int
) -> PriorityMatrixEntry:
    """Change one cell of the priority matrix; applies to tickets created or re-rated after."""
    if not actor.is_admin:
        raise PermissionDenied("Only admins can change the priority matrix.")
    rules.priority_for(impact, urgency)  # validates both levels
    if priority not in Priority.values:
        raise DomainError("Priority must be 1 to 4.", field="priority")
    entry, _ = PriorityMatrixEntry.objects.update_or_create(
        impact=impact, urgency=urgency, defaults={"priority": priority}
    )
    return entry


def ticket_raise_priority(*, ticket: Ticket, reason: str, at: datetime | None = None) -> Ticket:
    """Raise the priority one step on behalf of the system (an SLA action), with an event."""
    now = at or timezone.now()
    with transaction.atomic():
        fresh = _lock(ticket, None)
        if fresh.priority <= Priority.P1:
            return fresh
        before = fresh.priority
        fresh.priority = before - 1
        _save_versioned(fresh, now)
        event_record(
            ticket=fresh,
            kind=EventKind.UPDATED,
            actor=None,
            at=now,
            data={"changes": {"priority": [before, fresh.priority]}, "reason": reason},
        )
    return fresh


def ticket_autoclose(*, ticket: Ticket, at: datetime | None = None) -> Ticket | None:
    """Close a resolved ticket after its quiet period, on behalf of the system; None if it moved."""
    now = at or timezone.now()
    with transaction.atomic():
        fresh = _lock(ticket, None)
        if fresh.status != Status.RESOLVED:
            return None
        fresh.status, fresh.closed_at = Status.CLOSED, now
        _save_versioned(fresh, now)
        event_record(
            ticket=fresh,
            kind=EventKind.STATUS_CHANGED,
            actor=None,
            at=now,
            data={
                "from": Status.RESOLVED,
                "to": Status.CLOSED,
                "action": "close",
                "note": "Closed automatically after the quiet period.",
            },
        )
        signals.ticket_transitioned.send(
            sender=Ticket,
            ticket=fresh,
            actor=None,
            at=now,
            before=Status.RESOLVED,
            after=Status.CLOSED,
            action="close",
        )
    return fresh


def tickets_autoclose(*, now: datetime | None = None, batch: int = 500) -> dict[str, int]:
    """Close resolved tickets whose quiet period (BACKLINE_AUTOCLOSE_DAYS) has passed."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.BACKLINE_AUTOCLOSE_DAYS)
    closed = 0
    while True:
        due = list(
            Ticket.objects.filter(status=Status.RESOLVED, resolved_at__lte=cutoff)
            .order_by("resolved_at")
            .values_list("id", flat=True)[:batch]
        )
        for pk in due:
            if ticket_autoclose(ticket=Ticket(pk=pk), at=now) is not None:
                closed += 1
        if len(due) < batch:
            return {"closed": closed}
