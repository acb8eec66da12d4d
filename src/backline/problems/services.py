"""Every write for problems: creation, incident links, state, root cause analysis, actions,
known errors and proposals. (This module holds the core; other topics live beside it.)"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import slugify

from backline.accounts.models import Team, User
from backline.accounts.queries import team_ids_of
from backline.changes.models import Change
from backline.cmdb.models import ConfigurationItem, Service
from backline.core.errors import (
    Conflict,
    DomainError,
    NotFound,
    PermissionDenied,
    from_validation_error,
)
from backline.problems import rules
from backline.problems.choices import (
    ActionKind,
    ActionState,
    ProblemEventKind,
    ProblemState,
)
from backline.problems.models import (
    Action,
    ContributingFactor,
    FactorCategory,
    Problem,
    ProblemEvent,
    ProblemIncident,
    TimelineEntry,
    WhyStep,
)
from backline.tickets.choices import CauseCode, EventKind
from backline.tickets.models import Attachment, Ticket, TicketEvent
from backline.tickets.permissions import require_staff, require_view
from backline.tickets.services import event_record

MAX_LINK = 500  # incidents linked in one request (a queue selection)


def problem_event(
    problem: Problem, kind: str, actor: User | None, at: datetime, **data: Any
) -> ProblemEvent:
    """Append one event to the problem's timeline (inside the writing transaction)."""
    return ProblemEvent.objects.create(problem=problem, kind=kind, actor=actor, at=at, data=data)


def problem_create(
    *,
    actor: User,
    title: str,
    statement: str = "",
    priority: int = 3,
    owner: User | None = None,
    team: Team | None = None,
    services: Iterable[Service] = (),
    cis: Iterable[ConfigurationItem] = (),
    tickets: Iterable[Ticket] = (),
    at: datetime | None = None,
) -> Problem:
    """Open a problem (optionally with the incidents behind it already linked)."""
    require_staff(actor, "open problems")
    title = (title or "").strip()
    if not title:
        raise DomainError("Title is required.", field="title")
    if len(title) > 200:
        raise DomainError("At most 200 characters.", field="title")
    if priority not in (1, 2, 3, 4):
        raise DomainError("Priority is 1 (critical) to 4 (low).", field="priority")
    if owner is not None and (not owner.is_active or not owner.is_staff_member):
        raise DomainError(f"{owner.display_name} cannot own problems.", field="owner")
    now = at or timezone.now()
    with transaction.atomic():
        problem = Problem.objects.create(
            title=title,
            statement=(statement or "").strip(),
            priority=priority,
            owner=owner or actor,
            team=team,
            created_by=actor,
            created_at=now,
            updated_at=now,
        )
        problem.services.set(list(services))
        problem.cis.set(list(cis))
        problem_event(problem, ProblemEventKind.CREATED, actor, now, title=title)
        linked = list(tickets)
        if linked:
            problem_link_incidents(actor=actor, problem=problem, tickets=linked, at=now)
    return problem


def problem_link_incidents(
    *, actor: User, problem: Problem, tickets: Iterable[Ticket], at: datetime | None = None
) -> list[ProblemIncident]:
    """Link incidents to the problem (from either side, or a queue selection); incidents already
    linked are left as they are. Each new link is an event on both timelines."""
    require_staff(actor, "link incidents to problems")
    wanted = list({t.pk: t for t in tickets}.values())
    if not wanted:
        raise DomainError("Choose at least one incident.", field="tickets")
    if len(wanted) > MAX_LINK:
        raise DomainError(f"At most {MAX_LINK} incidents at once.", field="tickets")
    for ticket in wanted:
        require_view(actor, ticket)
    now = at or timezone.now()
    created: list[ProblemIncident] = []
    with transaction.atomic():
        have = set(
            ProblemIncident.objects.filter(problem=problem, ticket__in=wanted).values_list(
                "ticket_id", flat=True
            )
        )
        for ticket in wanted:
            if ticket.pk in have:
                continue
            try:
                with transaction.atomic():
                    link = ProblemIncident.objects.create(
                        problem=problem, ticket=ticket, linked_by=actor, linked_at=now
                    )
            except IntegrityError:
                continue  # linked by someone else at the same moment
            created.append(link)
            event_record(
                ticket=ticket,
                kind=EventKind.PROBLEM_LINKED,
                actor=actor,
                at=now,
                data={"problem": problem.number, "title": problem.title, "tier": ticket.tier},
            )
        if created:
            problem_event(
                problem,
                ProblemEventKind.INCIDENT_LINKED,
                actor,
                now,
                tickets=[link.ticket.number for link in created],
            )
            Problem.objects.filter(pk=problem.pk).update(updated_at=now)
    return created


def require_problem_editor(actor: User, problem: Problem) -> None:
    """Staff may work on problems; closing and reopening is for the owner, its team's members
    and managers (checked where it matters)."""
    if not actor.is_staff_member:
        raise PermissionDenied("Only support staff can change problems.")


# --- helpers -------------------------------------------------------------------------------------

PROBLEM_FIELDS = ("title", "statement", "priority", "owner", "team", "services", "cis",
                  "verify_days")  # fmt: skip
ACTION_FIELDS = ("kind", "title", "description", "owner", "team", "due_date", "change",
                 "external_ref")  # fmt: skip
_M2M = ("services", "cis")


def _lock(problem: Problem, version: int | None) -> Problem:
    """The problem re-read under a row lock; a stale `version` is a Conflict naming who won."""
    fresh = Problem.objects.select_for_update(of=("self",)).filter(pk=problem.pk).first()
    if fresh is None:
        raise NotFound(f"No problem {problem.number}.")
    if version is not None and fresh.version != version:
        last = fresh.events.select_related("actor").order_by("-at", "-id").first()
        who = last.actor.display_name if last and last.actor else "Someone"
        raise Conflict(
            f"{who} changed {fresh.number} since you opened it (now version {fresh.version}). "
            "Reload to see their changes.",
            field="version",
        )
    return fresh


def _lock_editable(problem: Problem, version: int | None) -> Problem:
    fresh = _lock(problem, version)
    rules.check_editable(fresh.state)
    return fresh


def _bump(problem: Problem, now: datetime, *fields: str) -> None:
    """Save `fields` with a new version (edits that others could overwrite bump it)."""
    problem.version += 1
    problem.updated_at = now
    problem.save(update_fields=["version", "updated_at", *fields])


def _touch(problem: Problem, now: datetime) -> None:
    Problem.objects.filter(pk=problem.pk).update(updated_at=now)


def _value(value: Any) -> Any:
    if value is None or isinstance(value, str | int | bool):
        return value
    if isinstance(value, date | datetime):
        return value.isoformat()
    if hasattr(value, "pk"):
        return {"id": value.pk, "name": str(value)}
    return str(value)


def _check_owner(owner: User | None, field: str = "owner") -> None:
    if owner is not None and (not owner.is_active or not owner.is_staff_member):
        raise DomainError(f"{owner.display_name} cannot own problem work.", field=field)


def _clean(obj: Problem | Action, exclude: tuple[str, ...]) -> None:
    try:
        obj.full_clean(exclude=exclude, validate_constraints=False)
    except ValidationError as exc:
        raise from_validation_error(exc) from exc


def may_close(actor: User, problem: Problem) -> bool:
    """Owner, a member of the owning team or a manager."""
    if actor.is_manager or problem.owner_id == actor.pk:
        return True
    return problem.team_id is not None and problem.team_id in team_ids_of(actor)


# --- the problem -------------------------------------------------------------------------------


def problem_update(
    *,
    actor: User,
    problem: Problem,
    version: int | None = None,
    at: datetime | None = None,
    **changes: Any,
) -> Problem:
    """Edit title, statement, priority, owner, team, services, CIs or the verification window
    (send the version you read; a stale one is refused)."""
    require_problem_editor(actor, problem)
    unknown = set(changes) - set(PROBLEM_FIELDS)
    if unknown:
        name = sorted(unknown)[0]
        raise DomainError(f"Unknown field {name!r}.", field=name)
    if "title" in changes:
        changes["title"] = (changes["title"] or "").strip()
        if not changes["title"]:
            raise DomainError("Title is required.", field="title")
    if "statement" in changes:
        changes["statement"] = (changes["statement"] or "").strip()
    if "priority" in changes:
        rules.check_priority(changes["priority"])
    if "owner" in changes:
        _check_owner(changes["owner"])
    now = at or timezone.now()
    with transaction.atomic():
        fresh = _lock_editable(problem, version)
        diff: dict[str, list[Any]] = {}
        for name, value in changes.items():
            if name in _M2M:
                before = sorted(getattr(fresh, name).values_list("pk", flat=True))
                after = sorted({obj.pk for obj in value})
                if before != after:
                    diff[name] = [before, after]
                continue
            if getattr(fresh, name) != value:
                diff[name] = [_value(getattr(fresh, name)), _value(value)]
                setattr(fresh, name, value)
        if not diff:
            return fresh
        _clean(fresh, exclude=("owner", "team", "created_by", "services", "cis"))
        fresh.version += 1
        fresh.updated_at = now
        fresh.save()
        for name in _M2M:
            if name in diff:
                getattr(fresh, name).set(list(changes[name]))
        problem_event(fresh, ProblemEventKind.UPDATED, actor, now, changes=diff)
    return fresh


def problem_transition(
    *,
    actor: User,
    problem: Problem,
    action: str,
    closure: str = "",
    note: str = "",
    version: int | None = None,
    at: datetime | None = None,
) -> Problem:
    """Move the problem through its states (rules.TRANSITIONS); close needs a closure."""
    require_problem_editor(actor, problem)
    now = at or timezone.now()
    with transaction.atomic():
        fresh = _lock(problem, version)
        facts = rules.ProblemFacts(
            state=fresh.state,
            has_root_cause=bool(fresh.root_cause.strip()),
            open_corrective=rules.open_corrective(fresh.actions.values_list("kind", "state")),
            may_close=may_close(actor, fresh),
        )
        target = rules.check_transition(facts, action, closure)
        before = fresh.state
        fresh.state = target
        if target == ProblemState.RESOLVED:
            fresh.resolved_at = now
        if target == ProblemState.CLOSED:
            fresh.closure, fresh.closed_at = closure, now
        if action == "reopen":
            fresh.closure, fresh.resolved_at, fresh.closed_at = "", None, None
        _bump(fresh, now, "state", "resolved_at", "closed_at", "closure")
        data: dict[str, Any] = {"from": before, "to": target, "action": action}
        if closure and target == ProblemState.CLOSED:
            data["closure"] = closure
        if note.strip():
            data["note"] = note.strip()[:2000]
        problem_event(fresh, ProblemEventKind.STATE_CHANGED, actor, now, **data)
    return fresh


def problem_unlink_incident(
    *, actor: User, problem: Problem, ticket: Ticket, at: datetime | None = None
) -> bool:
    """Unlink an incident (from either side); False when it was not linked."""
    require_staff(actor, "unlink incidents from problems")
    require_view(actor, ticket)
    now = at or timezone.now()
    with transaction.atomic():
        deleted, _ = ProblemIncident.objects.filter(problem=problem, ticket=ticket).delete()
        if not deleted:
            return False
        event_record(
            ticket=ticket,
            kind=EventKind.PROBLEM_UNLINKED,
            actor=actor,
            at=now,
            data={"problem": problem.number, "title": problem.title},
        )
        problem_event(
            problem, ProblemEventKind.INCIDENT_UNLINKED, actor, now, tickets=[ticket.number]
        )
        _touch(problem, now)
    return True


# --- root cause analysis -----------------------------------------------------------------------


def _evidence(
    actor: User,
    ticket_event: TicketEvent | None,
    change: Change | None,
    attachment: Attachment | None,
) -> list[str]:
    """Check the actor may see each piece of evidence; describe it for the event."""
    out = []
    if ticket_event is not None:
        require_view(actor, ticket_event.ticket)
        out.append(f"{ticket_event.ticket.number}#event-{ticket_event.pk}")
    if change is not None:
        out.append(change.number)
    if attachment is not None:
        require_view(actor, attachment.ticket)
        out.append(f"attachment {attachment.filename}")
    return out


def timeline_entry_add(
    *,
    actor: User,
    problem: Problem,
    happened_at: datetime,
    text: str,
    ticket_event: TicketEvent | None = None,
    change: Change | None = None,
    attachment: Attachment | None = None,
    at: datetime | None = None,
) -> TimelineEntry:
    """Add a moment to the investigation timeline, with links to its evidence."""
    require_problem_editor(actor, problem)
    text = (text or "").strip()
    if not text:
        raise DomainError("Say what happened.", field="text")
    if len(text) > 4000:
        raise DomainError("At most 4000 characters.", field="text")
    if happened_at is None or timezone.is_naive(happened_at):
        raise DomainError("Give the time with its time zone.", field="happened_at")
    evidence = _evidence(actor, ticket_event, change, attachment)
    now = at or timezone.now()
    with transaction.atomic():
        fresh = _lock_editable(problem, None)
        entry = TimelineEntry.objects.create(
            problem=fresh,
            happened_at=happened_at,
            text=text,
            ticket_event=ticket_event,
            change=change,
            attachment=attachment,
            created_by=actor,
        )
        problem_event(
            fresh, ProblemEventKind.RCA_UPDATED, actor, now,
            part="timeline", added=text[:200], evidence=evidence,
        )  # fmt: skip
        _touch(fresh, now)
    return entry


def timeline_entry_remove(*, actor: User, entry: TimelineEntry, at: datetime | None = None) -> None:
    """Remove a timeline entry."""
    require_problem_editor(actor, entry.problem)
    now = at or timezone.now()
    with transaction.atomic():
        fresh = _lock_editable(entry.problem, None)
        if not TimelineEntry.objects.filter(pk=entry.pk, problem=fresh).delete()[0]:
            return
        problem_event(
            fresh, ProblemEventKind.RCA_UPDATED, actor, now, part="timeline",
            removed=entry.text[:200],
        )  # fmt: skip
        _touch(fresh, now)


def whys_set(
    *,
    actor: User,
    problem: Problem,
    whys: Sequence[str],
    version: int | None = None,
    at: datetime | None = None,
) -> Problem:
    """Replace the 5 whys chain in one go (1–10 steps, the last is the root cause; an empty
    list clears it). Version-checked: two people editing the chain never interleave."""
    require_problem_editor(actor, problem)
    steps = rules.check_whys(whys)
    now = at or timezone.now()
    with transaction.atomic():
        fresh = _lock_editable(problem, version)
        before = list(fresh.whys.order_by("position").values_list("text", flat=True))
        if before == steps:
            return fresh
        fresh.whys.all().delete()
        WhyStep.objects.bulk_create(
            WhyStep(problem=fresh, position=i, text=text) for i, text in enumerate(steps, 1)
        )
        _bump(fresh, now)
        problem_event(
            fresh, ProblemEventKind.RCA_UPDATED, actor, now, part="whys", steps=len(steps),
            root=rules.chain_root(steps)[:200],
        )  # fmt: skip
    return fresh


def factor_add(
    *,
    actor: User,
    problem: Problem,
    category: FactorCategory,
    text: str,
    at: datetime | None = None,
) -> ContributingFactor:
    """Record a contributing factor under a category."""
    require_problem_editor(actor, problem)
    text = (text or "").strip()
    if not text:
        raise DomainError("Describe the factor.", field="text")
    if len(text) > 2000:
        raise DomainError("At most 2000 characters.", field="text")
    if not category.is_active:
        raise DomainError(f"The category {category.name} is retired.", field="category")
    now = at or timezone.now()
    with transaction.atomic():
        fresh = _lock_editable(problem, None)
        factor = ContributingFactor.objects.create(problem=fresh, category=category, text=text)
        problem_event(
            fresh, ProblemEventKind.RCA_UPDATED, actor, now, part="factors",
            added=f"{category.name}: {text[:200]}",
        )  # fmt: skip
        _touch(fresh, now)
    return factor


def factor_remove(*, actor: User, factor: ContributingFactor, at: datetime | None = None) -> None:
    """Remove a contributing factor."""
    require_problem_editor(actor, factor.problem)
    now = at or timezone.now()
    with transaction.atomic():
        fresh = _lock_editable(factor.problem, None)
        if not ContributingFactor.objects.filter(pk=factor.pk, problem=fresh).delete()[0]:
            return
        problem_event(
            fresh, ProblemEventKind.RCA_UPDATED, actor, now, part="factors",
            removed=factor.text[:200],
        )  # fmt: skip
        _touch(fresh, now)


def root_cause_set(
    *,
    actor: User,
    problem: Problem,
    root_cause: str,
    cause_code: str = "",
    version: int | None = None,
    at: datetime | None = None,
) -> Problem:
    """Write the root cause statement and its cause code (tickets' CauseCode)."""
    require_problem_editor(actor, problem)
    root_cause = (root_cause or "").strip()
    if len(root_cause) > 10_000:
        raise DomainError("At most 10,000 characters.", field="root_cause")
    if cause_code and cause_code not in CauseCode.values:
        raise DomainError(f"Unknown cause code {cause_code!r}.", field="cause_code")
    if cause_code and not root_cause:
        raise DomainError("A cause code goes with a root cause statement.", field="root_cause")
    now = at or timezone.now()
    with transaction.atomic():
        fresh = _lock_editable(problem, version)
        if (fresh.root_cause, fresh.cause_code) == (root_cause, cause_code):
            return fresh
        if not root_cause and fresh.state not in (ProblemState.NEW, ProblemState.INVESTIGATING):
            raise DomainError(
                "A problem past investigation keeps its root cause statement.", field="root_cause"
            )
        fresh.root_cause, fresh.cause_code = root_cause, cause_code
        _bump(fresh, now, "root_cause", "cause_code")
        problem_event(
            fresh, ProblemEventKind.RCA_UPDATED, actor, now, part="root_cause",
            root_cause=root_cause[:200], cause_code=cause_code,
        )  # fmt: skip
    return fresh


def factor_category_create(
    *, actor: User, name: str, slug: str = "", position: int | None = None
) -> FactorCategory:
    """Add a contributing factor category (managers)."""
    if not actor.is_manager:
        raise PermissionDenied("Only managers can configure factor categories.")
    name = (name or "").strip()
    if not name:
        raise DomainError("Name is required.", field="name")
    if len(name) > 60:
        raise DomainError("At most 60 characters.", field="name")
    slug = slugify(slug or name)[:30]
    if not slug:
        raise DomainError("The name needs a letter or digit.", field="name")
    if FactorCategory.objects.filter(slug=slug).exists():
        raise DomainError(f"A category {slug!r} exists already.", field="name")
    if position is None:
        last = FactorCategory.objects.order_by("-position").first()
        position = (last.position + 1) if last else 0
    try:
        with transaction.atomic():
            return FactorCategory.objects.create(slug=slug, name=name, position=position)
    except IntegrityError:
        raise DomainError(f"A category {slug!r} exists already.", field="name") from None


def factor_category_update(
    *,
    actor: User,
    category: FactorCategory,
    name: str | None = None,
    position: int | None = None,
    is_active: bool | None = None,
) -> FactorCategory:
    """Rename, reorder or retire a category (factors already recorded keep it)."""
    if not actor.is_manager:
        raise PermissionDenied("Only managers can configure factor categories.")
    if name is not None:
        name = name.strip()
        if not name or len(name) > 60:
            raise DomainError("A name of 1 to 60 characters.", field="name")
        category.name = name
    if position is not None:
        if not 0 <= position <= 1000:
            raise DomainError("Position is 0 to 1000.", field="position")
        category.position = position
    if is_active is not None:
        category.is_active = is_active
    category.save()
    return category


# --- corrective and preventive actions ---------------------------------------------------------


def _check_action(action: Action) -> None:
    action.title = (action.title or "").strip()
    if not action.title:
        raise DomainError("Title is required.", field="title")
    if action.kind not in ActionKind.values:
        raise DomainError(f"Unknown kind {action.kind!r}.", field="kind")
    action.external_ref = (action.external_ref or "").strip()
    action.description = (action.description or "").strip()
    _clean(action, exclude=("problem", "owner", "team", "change", "created_by"))


def action_create(
    *,
    actor: User,
    problem: Problem,
    title: str,
    kind: str = ActionKind.CORRECTIVE,
    description: str = "",
    owner: User | None = None,
    team: Team | None = None,
    due_date: date | None = None,
    change: Change | None = None,
    external_ref: str = "",
    at: datetime | None = None,
) -> Action:
    """Add a corrective or preventive action (owned by the actor unless someone is named)."""
    require_problem_editor(actor, problem)
    _check_owner(owner)
    now = at or timezone.now()
    action = Action(
        problem=problem, kind=kind, title=title, description=description, owner=owner or actor,
        team=team, due_date=due_date, change=change, external_ref=external_ref,
        created_by=actor, created_at=now,
    )  # fmt: skip
    _check_action(action)
    with transaction.atomic():
        fresh = _lock_editable(problem, None)
        action.problem = fresh
        action.save()
        problem_event(
            fresh, ProblemEventKind.ACTION_ADDED, actor, now, action=action.pk,
            title=action.title, action_kind=action.kind,
            change=change.number if change else "",
        )  # fmt: skip
        _touch(fresh, now)
    return action


def _lock_action(action: Action, version: int | None) -> Action:
    fresh = Action.objects.select_for_update(of=("self",)).filter(pk=action.pk).first()
    if fresh is None:
        raise NotFound("No such action.")
    if version is not None and fresh.version != version:
        raise Conflict(
            f"Someone changed the action “{fresh.title}” since you opened it "
            f"(now version {fresh.version}). Reload to see their changes.",
            field="version",
        )
    return fresh


def action_update(
    *,
    actor: User,
    action: Action,
    version: int | None = None,
    at: datetime | None = None,
    **changes: Any,
) -> Action:
    """Edit an action: title, kind, description, owner, team, due date, the change or the
    external ticket carrying the fix (send the version you read)."""
    require_problem_editor(actor, action.problem)
    unknown = set(changes) - set(ACTION_FIELDS)
    if unknown:
        name = sorted(unknown)[0]
        raise DomainError(f"Unknown field {name!r}.", field=name)
    if "owner" in changes:
        _check_owner(changes["owner"])
    now = at or timezone.now()
    with transaction.atomic():
        problem = _lock_editable(action.problem, None)
        fresh = _lock_action(action, version)
        diff: dict[str, list[Any]] = {}
        for name, value in changes.items():
            if name in ("title", "description", "external_ref"):
                value = (value or "").strip()
            if getattr(fresh, name) != value:
                diff[name] = [_value(getattr(fresh, name)), _value(value)]
                setattr(fresh, name, value)
        if not diff:
            return fresh
        _check_action(fresh)
        fresh.version += 1
        fresh.save()
        problem_event(
            problem, ProblemEventKind.ACTION_UPDATED, actor, now, action=fresh.pk,
            title=fresh.title, changes=diff,
        )  # fmt: skip
        _touch(problem, now)
    return fresh


def action_transition(
    *,
    actor: User,
    action: Action,
    step: str,
    version: int | None = None,
    at: datetime | None = None,
) -> Action:
    """start, done, cancel or reopen an action."""
    require_problem_editor(actor, action.problem)
    now = at or timezone.now()
    with transaction.atomic():
        problem = _lock_editable(action.problem, None)
        fresh = _lock_action(action, version)
        before = fresh.state
        fresh.state = rules.check_action_transition(fresh.state, step)
        fresh.done_at = now if fresh.state == ActionState.DONE else None
        fresh.version += 1
        fresh.save(update_fields=["state", "done_at", "version"])
        problem_event(
            problem, ProblemEventKind.ACTION_UPDATED, actor, now, action=fresh.pk,
            title=fresh.title, changes={"state": [before, fresh.state]},
        )  # fmt: skip
        _touch(problem, now)
    return fresh
