"""Every write to changes: create (by hand or from a pipeline), edit, state transitions with
manager approval, links from incidents to the changes that caused them, and the expiry sweep
that opens one ticket per expiring credential or certificate."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from backline.accounts.choices import Role
from backline.accounts.models import Team, User
from backline.changes import rules
from backline.changes.choices import (
    CauseKind,
    ChangeEventKind,
    ChangeKind,
    ChangeSource,
    ChangeState,
    Risk,
)
from backline.changes.models import Change, ChangeEvent, ExpiryNotice, TicketChangeLink
from backline.cmdb.choices import CiStatus
from backline.cmdb.models import CiType, ConfigurationItem
from backline.core.errors import Conflict, DomainError, NotFound, from_validation_error
from backline.tickets.choices import EventKind, Level, Source
from backline.tickets.models import Ticket
from backline.tickets.permissions import require_staff, require_view
from backline.tickets.services import event_record, ticket_create

EDITABLE_FIELDS = (
    "title", "description", "kind", "risk", "cis", "implementer_team", "planned_start",
    "planned_end", "actual_start", "actual_end", "backout_plan", "external_ref",
)  # fmt: skip
_ACTION_EVENTS = {
    "approve": ChangeEventKind.APPROVED,
    "start": ChangeEventKind.STARTED,
    "complete": ChangeEventKind.COMPLETED,
    "fail": ChangeEventKind.FAILED,
    "roll_back": ChangeEventKind.ROLLED_BACK,
    "cancel": ChangeEventKind.CANCELLED,
}


def _record(
    change: Change,
    kind: str,
    actor: User | None,
    at: datetime,
    note: str = "",
    data: dict[str, Any] | None = None,
) -> ChangeEvent:
    return ChangeEvent.objects.create(
        change=change, kind=kind, actor=actor, at=at, note=note, data=data or {}
    )


def _check(change: Change) -> None:
    change.title = (change.title or "").strip()
    if not change.title:
        raise DomainError("Title is required.", field="title")
    if change.kind not in ChangeKind.values:
        raise DomainError(f"Unknown kind {change.kind!r}.", field="kind")
    if change.risk not in Risk.values:
        raise DomainError(f"Unknown risk {change.risk!r}.", field="risk")
    rules.check_window(change.planned_start, change.planned_end, "planned_end")
    rules.check_window(change.actual_start, change.actual_end, "actual_end")
    try:
        change.full_clean(
            exclude=("cis", "implementer_team", "requested_by", "approved_by"),
            validate_constraints=False,
        )
    except ValidationError as exc:
        raise from_validation_error(exc) from exc


def change_create(
    *,
    actor: User,
    title: str,
    description: str = "",
    kind: str = ChangeKind.NORMAL,
    risk: str = Risk.MEDIUM,
    cis: Iterable[ConfigurationItem] = (),
    implementer_team: Team | None = None,
    planned_start: datetime | None = None,
    planned_end: datetime | None = None,
    actual_start: datetime | None = None,
    actual_end: datetime | None = None,
    backout_plan: str = "",
    source: str = ChangeSource.MANUAL,
    external_ref: str = "",
    state: str = ChangeState.PLANNED,
    at: datetime | None = None,
) -> Change:
    """Plan a change, or record one a pipeline or tool made (standard or emergency, started)."""
    require_staff(actor, "record changes")
    if source not in ChangeSource.values:
        raise DomainError(f"Unknown source {source!r}.", field="source")
    state = rules.initial_state(kind, state, actual_start)
    now = at or timezone.now()
    change = Change(
        title=title,
        description=(description or "").strip(),
        kind=kind,
        risk=risk,
        state=state,
        implementer_team=implementer_team,
        requested_by=actor,
        planned_start=planned_start,
        planned_end=planned_end,
        actual_start=actual_start,
        actual_end=actual_end,
        backout_plan=(backout_plan or "").strip(),
        source=source,
        external_ref=(external_ref or "").strip(),
        created_at=now,
        updated_at=now,
    )
    _check(change)
    with transaction.atomic():
        change.save()
        change.cis.set(list(cis))
        _record(
            change, ChangeEventKind.CREATED, actor, now, data={"state": state, "source": source}
        )
    return change


def _lock(change: Change, version: int | None) -> Change:
    fresh = Change.objects.select_for_update().filter(pk=change.pk).first()
    if fresh is None:
        raise NotFound(f"No change {change.number}.")
    if version is not None and fresh.version != version:
        last = fresh.events.select_related("actor").first()
        who = last.actor.display_name if last and last.actor else "someone"
        raise Conflict(
            f"{who} changed {fresh.number} since you opened it (now version {fresh.version}). "
            "Reload to see their changes.",
            field="version",
        )
    return fresh


def _value(value: Any) -> Any:
    if value is None or isinstance(value, str | int | bool):
        return value
    if isinstance(value, datetime):
        return value.isoformat()
    if hasattr(value, "pk"):
        return {"id": value.pk, "name": str(value)}
    return str(value)


def change_update(
    *,
    actor: User,
    change: Change,
    version: int | None = None,
    at: datetime | None = None,
    **changes: Any,
) -> Change:
    """Edit a change's plan or record (send the version you read; a stale one is refused)."""
    require_staff(actor, "edit changes")
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        name = sorted(unknown)[0]
        raise DomainError(f"Unknown field {name!r}.", field=name)
    now = at or timezone.now()
    with transaction.atomic():
        fresh = _lock(change, version)
        if (
            "kind" in changes
            and changes["kind"] != fresh.kind
            and fresh.state != ChangeState.PLANNED
        ):
            raise DomainError("The kind can change only while the change is planned.", field="kind")
        diff: dict[str, list[Any]] = {}
        for name, value in changes.items():
            if name == "cis":
                before = sorted(fresh.cis.values_list("pk", flat=True))
                after = sorted({ci.pk for ci in value})
                if before != after:
                    diff["cis"] = [before, after]
                continue
            if getattr(fresh, name) != value:
                diff[name] = [_value(getattr(fresh, name)), _value(value)]
                setattr(fresh, name, value)
        if not diff:
            return fresh
        _check(fresh)
        fresh.version += 1
        fresh.updated_at = now
        fresh.save()
        if "cis" in diff:
            fresh.cis.set(list(changes["cis"]))
        _record(fresh, ChangeEventKind.EDITED, actor, now, data={"changes": diff})
    return fresh


def change_transition(
    *,
    actor: User,
    change: Change,
    action: str,
    note: str = "",
    version: int | None = None,
    at: datetime | None = None,
) -> Change:
    """Approve, start, complete, fail, roll back or cancel a change (rules.TRANSITIONS)."""
    require_staff(actor, "change the state of changes")
    now = at or timezone.now()
    with transaction.atomic():
        fresh = _lock(change, version)
        target = rules.check_transition(
            kind=fresh.kind,
            state=fresh.state,
            action=action,
            approved=fresh.approved_by_id is not None,
            manager=actor.is_manager,
        )
        before = fresh.state
        if action == "approve":
            fresh.approved_by, fresh.approved_at = actor, now
        if action == "start" and fresh.actual_start is None:
            fresh.actual_start = now
        ended = target in (ChangeState.DONE, ChangeState.FAILED, ChangeState.ROLLED_BACK)
        if ended and (fresh.actual_end is None or action == "roll_back"):
            fresh.actual_end = max(now, fresh.actual_start or now)
        fresh.state = target
        fresh.version += 1
        fresh.updated_at = now
        fresh.save()
        _record(
            fresh, _ACTION_EVENTS[action], actor, now, (note or "").strip(),
            data={"from": before, "to": target},
        )  # fmt: skip
    return fresh


# --- incidents caused by changes -----------------------------------------------------------------


def ticket_change_link(
    *,
    actor: User,
    ticket: Ticket,
    change: Change,
    kind: str = CauseKind.SUSPECTED,
    at: datetime | None = None,
) -> TicketChangeLink:
    """Name a change as the suspected or confirmed cause of an incident (linking again with the
    other kind replaces it; the same kind again changes nothing)."""
    require_staff(actor, "link changes to tickets")
    require_view(actor, ticket)
    if kind not in CauseKind.values:
        raise DomainError(f"Unknown kind {kind!r}; expected suspected or confirmed.", field="kind")
    now = at or timezone.now()
    for _attempt in range(2):
        try:
            with transaction.atomic():
                link = (
                    TicketChangeLink.objects.select_for_update()
                    .filter(ticket=ticket, change=change)
                    .first()
                )
                if link is not None and link.kind == kind:
                    return link
                previous = link.kind if link else None
                if link is None:
                    link = TicketChangeLink.objects.create(
                        ticket=ticket, change=change, kind=kind, by=actor, at=now
                    )
                else:
                    link.kind, link.by, link.at = kind, actor, now
                    link.save(update_fields=["kind", "by", "at"])
                data = {"change": change.number, "title": change.title, "kind": kind,
                        "previous": previous}  # fmt: skip
                event_record(
                    ticket=ticket, kind=EventKind.CHANGE_LINKED, actor=actor, at=now, data=data
                )
                _record(change, ChangeEventKind.LINKED, actor, now, data={
                    "ticket": ticket.number, "title": ticket.title, "kind": kind,
                })  # fmt: skip
                return link
        except IntegrityError:
            continue  # two clicks at once: the other one created the link; look again
    raise Conflict("Someone else linked this change at the same moment; try again.")


def ticket_change_unlink(
    *, actor: User, ticket: Ticket, change: Change, at: datetime | None = None
) -> None:
    """Remove a change from an incident's causes."""
    require_staff(actor, "unlink changes from tickets")
    require_view(actor, ticket)
    now = at or timezone.now()
    with transaction.atomic():
        link = (
            TicketChangeLink.objects.select_for_update()
            .filter(ticket=ticket, change=change)
            .first()
        )
        if link is None:
            return
        kind = link.kind
        link.delete()
        event_record(
            ticket=ticket,
            kind=EventKind.CHANGE_UNLINKED,
            actor=actor,
            at=now,
            data={"change": change.number, "title": change.title, "kind": kind},
        )
        _record(change, ChangeEventKind.UNLINKED, actor, now, data={"ticket": ticket.number})


# --- expiring credentials and certificates -------------------------------------------------------

SYSTEM_USERNAME = "backline"


def system_user() -> User:
    """The account the sweeps act as (requester of the tickets they open); made on first use."""
    user, created = User.objects.get_or_create(
        username=SYSTEM_USERNAME,
        defaults={"first_name": "Backline", "role": Role.AGENT, "is_active": True},
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user


def _expiring(today: date) -> list[tuple[ConfigurationItem, CiType]]:
    out: list[tuple[ConfigurationItem, CiType]] = []
    for ci_type in CiType.objects.filter(has_expiry=True):
        horizon = rules.expiry_horizon(today, ci_type.expiry_warning_days)
        items = (
            ConfigurationItem.objects.filter(
                ci_type=ci_type.slug, status=CiStatus.ACTIVE, expires_at__lte=horizon
            )
            .exclude(
                Exists(
                    ExpiryNotice.objects.filter(
                        ci=OuterRef("pk"), expires_at=OuterRef("expires_at")
                    )
                )
            )
            .select_related("owner_team", "service")
            .order_by("expires_at", "pk")[:500]
        )
        out.extend((ci, ci_type) for ci in items)
    return out


def expiry_notice_open(
    *, ci: ConfigurationItem, ci_type: CiType, today: date, actor: User, now: datetime
) -> ExpiryNotice | None:
    """Open the ticket for one expiring CI, unless another worker already did (returns None)."""
    expires_at = ci.expires_at or today  # the sweep selects items with a date
    title, description = rules.expiry_ticket_text(
        ci_name=ci.name, type_name=ci_type.name, expires_at=expires_at, today=today
    )
    soon = (expires_at - today).days <= 3
    try:
        with transaction.atomic():
            # The unique (ci, expires_at) insert comes first: a second worker blocks on it and
            # then fails, so its ticket is never created.
            notice = ExpiryNotice.objects.create(ci=ci, expires_at=expires_at, created_at=now)
            notice.ticket = ticket_create(
                actor=actor,
                title=title,
                description=description,
                team=ci.owner_team,
                service=ci.service,
                ci=ci,
                impact=Level.MEDIUM,
                urgency=Level.HIGH if soon else Level.MEDIUM,
                source=Source.MONITORING,
                at=now,
            )
            notice.save(update_fields=["ticket"])
    except IntegrityError:
        return None
    return notice


def credentials_expiry_sweep(now: datetime | None = None) -> dict[str, int]:
    """Open one ticket per credential or certificate within its type's warning days of expiry
    (or already expired) that has none yet for that expiry date. Safe with many workers."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    due = _expiring(today)
    if not due:
        return {"opened": 0, "skipped": 0}
    actor = system_user()
    opened = skipped = 0
    for ci, ci_type in due:
        if expiry_notice_open(ci=ci, ci_type=ci_type, today=today, actor=actor, now=now):
            opened += 1
        else:
            skipped += 1
    return {"opened": opened, "skipped": skipped}
