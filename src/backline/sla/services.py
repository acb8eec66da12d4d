"""SLA and OLA clocks: start, pause, resume, stop and re-plan them as the ticket lives; sweep
for warnings and breaches (each recorded exactly once); write policies and calendars."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from backline.accounts.models import User
from backline.notifications.choices import NotificationKind
from backline.notifications.services import notify
from backline.sla import rules
from backline.sla.calendar import Calendar, business_minutes_between, holiday_dates
from backline.sla.choices import ClockState, SlaAction, Target
from backline.sla.models import BusinessCalendar, ClockPause, OlaTarget, SlaClock, SlaPolicy
from backline.tickets.choices import EventKind
from backline.tickets.models import Ticket

_CALENDARS: dict[tuple[int, datetime], Calendar] = {}
MAX_TARGET_MINUTES = 366 * 24 * 60
SLA_TARGETS = (Target.FIRST_RESPONSE, Target.RESOLUTION)


def calendar_of(record: BusinessCalendar) -> Calendar:
    """The arithmetic calendar of a stored one (cached per version of the row)."""
    key = (record.pk, record.updated_at)
    cal = _CALENDARS.get(key)
    if cal is None:
        year = timezone.now().year
        holidays: frozenset = frozenset()
        if record.country:
            holidays = holiday_dates(
                record.country,
                range(year - 2, year + 4),
                record.subdivision or None,
                closed=_dates(record.closed_dates),
            )
        else:
            holidays = frozenset(_dates(record.closed_dates))
        cal = rules.build_calendar(
            tz=record.timezone,
            week=record.week,
            holidays=holidays,
            extra_working_days=record.extra_working_days,
        )
        _CALENDARS[key] = cal
    return cal


def _dates(values: list[str]):
    from datetime import date

    return [date.fromisoformat(v) for v in values]


def policies_in_order() -> list[SlaPolicy]:
    return list(
        SlaPolicy.objects.filter(is_active=True)
        .select_related("calendar")
        .prefetch_related("categories", "services", "requester_teams", "ola_targets")
    )


def _facts(policy: SlaPolicy) -> rules.PolicyFacts:
    return rules.PolicyFacts(
        id=policy.pk,
        priorities=frozenset(policy.priorities),
        category_ids=frozenset(c.pk for c in policy.categories.all()),
        service_ids=frozenset(s.pk for s in policy.services.all()),
        sources=frozenset(policy.sources),
        requester_team_ids=frozenset(t.pk for t in policy.requester_teams.all()),
    )


def policy_for(ticket: Ticket) -> SlaPolicy | None:
    """The first active policy whose conditions the ticket meets."""
    policies = policies_in_order()
    facts = rules.TicketFacts(
        priority=ticket.priority,
        category_id=ticket.category_id,
        service_id=ticket.service_id,
        source=ticket.source,
        requester_team_ids=frozenset(
            ticket.requester.memberships.values_list("team_id", flat=True)
        ),
    )
    chosen = rules.choose_policy([_facts(p) for p in policies], facts)
    return next((p for p in policies if p.pk == chosen), None)


def _target_minutes(policy: SlaPolicy, target: str, tier: int) -> int | None:
    if target == Target.FIRST_RESPONSE:
        return policy.first_response_minutes
    if target == Target.RESOLUTION:
        return policy.resolution_minutes
    ola = next((o for o in policy.ola_targets.all() if o.tier == tier), None)
    if ola is None:
        return None
    return ola.accept_minutes if target == Target.OLA_ACCEPT else ola.resolve_minutes


def _replan(clock: SlaClock, cal: Calendar) -> None:
    if clock.state != ClockState.RUNNING or clock.running_since is None:
        clock.due_at = clock.warn_at = None
        return
    p = rules.plan(
        cal,
        target_minutes=clock.target_minutes,
        elapsed_minutes=clock.elapsed_minutes,
        running_since=clock.running_since,
        warn_share=clock.policy.warn_share,
    )
    clock.due_at, clock.warn_at = p.due_at, p.warn_at


def clock_start(
    *, ticket: Ticket, policy: SlaPolicy, target: str, tier: int = 0, at: datetime
) -> SlaClock | None:
    """Start a clock for `target` if the policy has one and no live clock exists yet."""
    minutes = _target_minutes(policy, target, tier)
    if minutes is None:
        return None
    if (
        SlaClock.objects.filter(ticket=ticket, target=target, tier=tier)
        .exclude(state=ClockState.STOPPED)
        .exists()
    ):
        return None
    clock = SlaClock(
        ticket=ticket,
        policy=policy,
        target=target,
        tier=tier,
        target_minutes=minutes,
        started_at=at,
        running_since=at,
    )
    _replan(clock, calendar_of(policy.calendar))
    clock.save()
    return clock


def _live(ticket: Ticket, targets=None, tier: int | None = None):
    qs = (
        SlaClock.objects.select_related("policy", "policy__calendar")
        .filter(ticket=ticket)
        .exclude(state=ClockState.STOPPED)
    )
    if targets is not None:
        qs = qs.filter(target__in=list(targets))
    if tier is not None:
        qs = qs.filter(tier=tier)
    clocks = list(qs.select_for_update(of=("self",)))
    for clock in clocks:
        clock.ticket = ticket  # the caller's row, so events need no extra read
    return clocks


def _bank(clock: SlaClock, at: datetime) -> None:
    """Add the running segment up to `at` to the elapsed business time."""
    if (
        clock.state == ClockState.RUNNING
        and clock.running_since is not None
        and at > clock.running_since
    ):
        cal = calendar_of(clock.policy.calendar)
        clock.elapsed_minutes += business_minutes_between(cal, clock.running_since, at)
        clock.running_since = at


def _record_crossings(clock: SlaClock, at: datetime) -> None:
    """Before a running clock stops or pauses at `at`, record a warning or breach it passed that
    no sweep has recorded yet, dated when it happened (the sweep only sees running clocks)."""
    from backline.tickets.services import event_record

    if clock.state != ClockState.RUNNING:
        return
    for kind, field, when in (
        ("warned", "warned_at", "warn_at"),
        ("breached", "breached_at", "due_at"),
    ):
        moment = getattr(clock, when)
        if getattr(clock, field) is None and moment is not None and moment <= at:
            setattr(clock, field, moment)
            event_record(
                ticket=clock.ticket,
                actor=None,
                at=moment,
                internal=True,
                kind=EventKind.SLA_WARNING if kind == "warned" else EventKind.SLA_BREACHED,
                data={
                    "clock": clock.pk,
                    "target": clock.target,
                    "tier": clock.tier,
                    "policy": clock.policy.name,
                    "due_at": clock.due_at.isoformat() if clock.due_at else None,
                    "noticed_at": at.isoformat(),
                },
            )


def clocks_pause(*, ticket: Ticket, reason: str, at: datetime) -> list[SlaClock]:
    """Pause the running clocks whose policy pauses for `reason` (requester, vendor…)."""
    paused = []
    for clock in _live(ticket):
        if clock.state != ClockState.RUNNING or reason not in clock.policy.pause_reasons:
            continue
        _record_crossings(clock, at)
        _bank(clock, at)
        clock.state, clock.running_since = ClockState.PAUSED, None
        _replan(clock, calendar_of(clock.policy.calendar))
        clock.save()
        ClockPause.objects.create(clock=clock, reason=reason, paused_at=at)
        paused.append(clock)
    return paused


def clocks_resume(*, ticket: Ticket, at: datetime) -> list[SlaClock]:
    """Resume paused clocks; their due time moves by the business time the pause took."""
    resumed = []
    for clock in _live(ticket):
        if clock.state != ClockState.PAUSED:
            continue
        clock.state, clock.running_since = ClockState.RUNNING, at
        _replan(clock, calendar_of(clock.policy.calendar))
        clock.save()
        ClockPause.objects.filter(clock=clock, resumed_at__isnull=True).update(resumed_at=at)
        resumed.append(clock)
    return resumed


def clocks_stop(
    *, ticket: Ticket, targets, at: datetime, tier: int | None = None
) -> list[SlaClock]:
    """Stop clocks: met unless they breached first."""
    stopped = []
    for clock in _live(ticket, targets, tier):
        _record_crossings(clock, at)
        _bank(clock, at)
        if clock.state == ClockState.PAUSED:
            ClockPause.objects.filter(clock=clock, resumed_at__isnull=True).update(resumed_at=at)
        clock.state, clock.running_since, clock.stopped_at = ClockState.STOPPED, None, at
        clock.met = clock.breached_at is None and clock.elapsed_minutes <= clock.target_minutes
        clock.due_at = clock.warn_at = None
        clock.save()
        stopped.append(clock)
    return stopped


def clocks_restart_resolution(*, ticket: Ticket, at: datetime) -> SlaClock | None:
    """A reopened ticket's resolution clock runs on from where it stopped."""
    clock = (
        SlaClock.objects.select_related("policy", "policy__calendar")
        .filter(ticket=ticket, target=Target.RESOLUTION, tier=0)
        .order_by("-stopped_at")
        .first()
    )
    if clock is None or clock.state != ClockState.STOPPED:
        return None
    clock.state, clock.running_since, clock.stopped_at, clock.met = (
        ClockState.RUNNING,
        at,
        None,
        None,
    )
    _replan(clock, calendar_of(clock.policy.calendar))
    clock.save()
    return clock


def clocks_replan(*, ticket: Ticket, at: datetime) -> list[SlaClock]:
    """The priority (or something the policy depends on) changed: apply the policy now in force
    to the live SLA clocks, keeping the business time they have used."""
    policy = policy_for(ticket)
    if policy is None:
        return []
    changed = []
    for clock in _live(ticket, SLA_TARGETS):
        _record_crossings(clock, at)
        _bank(clock, at)
        clock.policy = policy
        clock.target_minutes = _target_minutes(policy, clock.target, 0) or clock.target_minutes
        if (
            clock.warned_at is not None
            and clock.elapsed_minutes < clock.target_minutes * policy.warn_share
        ):
            clock.warned_at = None  # a longer target un-warns; a later crossing warns again
        _replan(clock, calendar_of(policy.calendar))
        clock.save()
        changed.append(clock)
    return changed


def ticket_sla_refresh(ticket_id: int) -> tuple[datetime | None, str]:
    """Recompute the ticket's `sla_due_at` and `sla_state` from its live SLA clocks and store them
    with a queryset update (no version bump: the ticket itself did not change)."""
    tickets_sla_refresh([ticket_id])
    due, state = Ticket.objects.filter(pk=ticket_id).values_list("sla_due_at", "sla_state").get()
    return due, str(state)


# --- The sweep ---------------------------------------------------------------------------------


def sla_sweep(*, now: datetime | None = None, batch: int = 500) -> dict[str, int]:
    """Record due warnings and breaches, each exactly once, however many workers run it and
    however late (a breach is dated when it happened, not when it was noticed).

    Clocks are handled a batch per transaction: the batch is locked (PostgreSQL skips rows
    another worker holds; SQLite has one writer at a time), stamped with one update, and its
    events written with one insert, so a million open clocks cost a few statements per batch.
    """
    now = now or timezone.now()
    counts = {"warned": 0, "breached": 0}
    for kind, field, when in (
        ("warned", "warned_at", "warn_at"),
        ("breached", "breached_at", "due_at"),
    ):
        while True:
            fired = _fire_batch(kind, field, when, now, batch)
            counts[kind] += fired
            if fired == 0:
                break
    return counts


def _fire_batch(kind: str, field: str, when: str, now: datetime, batch: int) -> int:
    from django.db import connection

    from backline.tickets.models import TicketEvent

    with transaction.atomic():
        due = SlaClock.objects.filter(
            state=ClockState.RUNNING, **{f"{field}__isnull": True, f"{when}__lte": now}
        ).order_by(when)
        if connection.features.has_select_for_update_skip_locked:
            due = due.select_for_update(skip_locked=True, of=("self",))
        clocks = list(due.select_related("policy")[:batch])
        if not clocks:
            return 0
        # The conditional update is the once-only guard (the rows are also locked).
        SlaClock.objects.filter(pk__in=[c.pk for c in clocks], **{f"{field}__isnull": True}).update(
            **{field: F(when)}
        )
        event_kind = EventKind.SLA_WARNING if kind == "warned" else EventKind.SLA_BREACHED
        TicketEvent.objects.bulk_create(
            TicketEvent(
                ticket_id=c.ticket_id,
                kind=event_kind,
                actor=None,
                at=getattr(c, when),
                is_internal=True,
                data={
                    "clock": c.pk,
                    "target": c.target,
                    "tier": c.tier,
                    "policy": c.policy.name,
                    "due_at": c.due_at.isoformat() if c.due_at else None,
                    "noticed_at": now.isoformat(),
                },
            )
            for c in clocks
        )
        tickets_sla_refresh({c.ticket_id for c in clocks if c.tier == 0})
        with_actions = [
            c
            for c in clocks
            if (c.policy.warning_actions if kind == "warned" else c.policy.breach_actions)
        ]
        if with_actions:
            tickets = Ticket.objects.select_related("assignee").in_bulk(
                {c.ticket_id for c in with_actions}
            )
            for c in with_actions:
                c.ticket = tickets[c.ticket_id]
                actions = c.policy.warning_actions if kind == "warned" else c.policy.breach_actions
                _run_actions(c, actions, kind, getattr(c, when))
        return len(clocks)


def tickets_sla_refresh(ticket_ids) -> None:
    """ticket_sla_refresh for many tickets: one read of their live clocks, one update per state."""
    from collections import defaultdict

    from backline.tickets.models import SlaState

    ids = list(ticket_ids)
    if not ids:
        return
    live: dict[int, list] = defaultdict(list)
    for row in (
        SlaClock.objects.filter(ticket_id__in=ids, target__in=SLA_TARGETS, tier=0)
        .exclude(state=ClockState.STOPPED)
        .values_list("ticket_id", "state", "due_at", "warned_at", "breached_at")
    ):
        live[row[0]].append(row[1:])
    groups: dict[tuple, list[int]] = defaultdict(list)
    for ticket_id in ids:
        rows = live.get(ticket_id, [])
        running = [r for r in rows if r[0] == ClockState.RUNNING]
        due = min((r[1] for r in running if r[1] is not None), default=None)
        state: str = SlaState.NONE
        if any(r[3] is not None for r in rows):
            state = SlaState.BREACHED
        elif rows and not running:
            state = SlaState.PAUSED
        elif any(r[2] is not None for r in running):
            state = SlaState.WARNING
        elif running:
            state = SlaState.OK
        groups[(due, str(state))].append(ticket_id)
    for (due, state), members in groups.items():
        Ticket.objects.filter(pk__in=members).update(sla_due_at=due, sla_state=state)


def _run_actions(clock: SlaClock, actions: list[str], kind: str, at: datetime) -> None:
    ticket = clock.ticket
    word = "at risk" if kind == "warned" else "breached"
    title = f"{ticket.number} {Target(clock.target).label} {word}: {ticket.title}"
    recipients: list[User] = []
    if SlaAction.NOTIFY_ASSIGNEE in actions and ticket.assignee is not None:
        recipients.append(ticket.assignee)
    if SlaAction.NOTIFY_TEAM in actions and ticket.team_id:
        recipients += list(User.objects.filter(memberships__team_id=ticket.team_id, is_active=True))
    if SlaAction.NOTIFY_LEAD in actions and ticket.team_id:
        recipients += list(
            User.objects.filter(
                memberships__team_id=ticket.team_id, memberships__is_lead=True, is_active=True
            )
        )
    if SlaAction.ALERT_MANAGER in actions:
        recipients += list(User.objects.filter(role="manager", is_active=True))
    if recipients:  # notify() sends each person one notification however many lists named them
        notify(
            recipients=recipients,
            kind=NotificationKind.ALERT,
            title=title,
            url=ticket.get_absolute_url(),
            ticket_number=ticket.number,
            at=at,
        )
    if SlaAction.RAISE_PRIORITY in actions:
        from backline.tickets.services import ticket_raise_priority

        ticket_raise_priority(ticket=ticket, reason=f"SLA {word}", at=at)


def policy_actions_valid(actions: list[str]) -> list[str]:
    """Validate a list of warning or breach actions."""
    unknown = set(actions) - set(SlaAction.values)
    if unknown:
        from backline.core.errors import DomainError

        raise DomainError(f"Unknown action {sorted(unknown)[0]!r}.", field="actions")
    return [a for a in SlaAction.values if a in set(actions)]


def ola_targets(policy: SlaPolicy) -> list[OlaTarget]:
    return list(policy.ola_targets.all())


def describe(clock: SlaClock) -> dict[str, Any]:
    """What the UI and API show for a clock, including business minutes left."""
    now = timezone.now()
    left = None
    if clock.state == ClockState.RUNNING and clock.due_at is not None:
        cal = calendar_of(clock.policy.calendar)
        left = (
            business_minutes_between(cal, now, clock.due_at)
            if clock.due_at > now
            else -business_minutes_between(cal, clock.due_at, now)
        )
    elif clock.state == ClockState.PAUSED:
        left = clock.target_minutes - clock.elapsed_minutes
    return {"clock": clock, "minutes_left": left}


# --- Policies and calendars (managers) ---------------------------------------------------------

_POLICY_M2M = ("categories", "services", "requester_teams")
_POLICY_REQUIRED = ("name", "calendar", "first_response_minutes", "resolution_minutes")


def require_sla_manager(actor: User) -> None:
    """SLA targets are promises to the business: only admins configure them (docs/security.md)."""
    from backline.core.errors import PermissionDenied

    if not actor.is_active or not actor.is_admin:
        raise PermissionDenied("Only admins can configure SLAs and calendars.")


def _fail(message: str, field: str):
    from backline.core.errors import DomainError

    return DomainError(message, field=field)


def _choice_list(values: Any, allowed: list, field: str) -> list:
    values = list(values or [])
    unknown = [v for v in values if v not in allowed]
    if unknown:
        raise _fail(f"Unknown {field.rstrip('s').replace('_', ' ')} {unknown[0]!r}.", field)
    return [v for v in allowed if v in values]


def _minutes(value: Any, field: str, *, optional: bool = False) -> int | None:
    if value is None and optional:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise _fail("Enter a whole number of minutes greater than 0.", field)
    if value > MAX_TARGET_MINUTES:
        raise _fail("A target cannot be longer than a year of business time.", field)
    return value


def _policy_value(name: str, value: Any) -> Any:
    from backline.tickets.choices import PendingReason, Source

    if name == "name":
        if not str(value or "").strip():
            raise _fail("A policy needs a name.", "name")
        return str(value).strip()
    if name == "priorities":
        return _choice_list(value, [1, 2, 3, 4], "priorities")
    if name == "sources":
        return _choice_list(value, list(Source.values), "sources")
    if name == "pause_reasons":
        return _choice_list(value, list(PendingReason.values), "pause_reasons")
    if name in ("warning_actions", "breach_actions"):
        return _choice_list(value, list(SlaAction.values), name)
    if name in ("first_response_minutes", "resolution_minutes"):
        return _minutes(value, name)
    if name == "warn_share":
        if not isinstance(value, int | float) or not 0 < value < 1:
            raise _fail("The warning share must lie between 0 and 1 (0.75 warns at 75 %).", name)
        return float(value)
    if name == "calendar":
        if not isinstance(value, BusinessCalendar):
            raise _fail("Choose a business calendar.", "calendar")
        return value
    if name in ("is_active",):
        return bool(value)
    if name == "position":
        if not isinstance(value, int) or value < 0:
            raise _fail("The position must be 0 or more.", "position")
        return value
    raise _fail(f"Unknown field {name!r}.", name)


def _ola_rows(value: Any) -> dict[int, tuple[int | None, int | None]]:
    rows: dict[int, tuple[int | None, int | None]] = {}
    for tier, targets in dict(value or {}).items():
        if int(tier) not in (2, 3):
            raise _fail("OLA targets exist for tiers 2 and 3.", "ola_targets")
        rows[int(tier)] = (
            _minutes(targets.get("accept_minutes"), f"ola_{tier}_accept", optional=True),
            _minutes(targets.get("resolve_minutes"), f"ola_{tier}_resolve", optional=True),
        )
    return rows


def sla_policy_save(
    *, actor: User, policy: SlaPolicy | None = None, changes: dict[str, Any]
) -> SlaPolicy:
    """Create a policy (`policy=None`) or change the given fields of one; the live clocks under
    it are re-planned from the business time they have used."""
    require_sla_manager(actor)
    if policy is None:
        last = SlaPolicy.objects.order_by("-position").values_list("position", flat=True).first()
        policy = SlaPolicy(position=(last or 0) + 1)
        missing = [name for name in _POLICY_REQUIRED if changes.get(name) in (None, "")]
        if missing:
            raise _fail("This field is required.", missing[0])
    m2m = {name: list(changes[name]) for name in _POLICY_M2M if name in changes}
    ola = _ola_rows(changes["ola_targets"]) if "ola_targets" in changes else None
    for name, value in changes.items():
        if name not in _POLICY_M2M and name != "ola_targets":
            setattr(policy, name, _policy_value(name, value))
    _clean_model(policy)
    with transaction.atomic():
        policy.save()
        for name, objects in m2m.items():
            getattr(policy, name).set(objects)
        if ola is not None:
            _save_ola(policy, ola)
        _CALENDARS.clear()  # a calendar switch must not reuse another calendar's cached plan
        now = timezone.now()
        ticket_ids = set(
            SlaClock.objects.filter(policy=policy)
            .exclude(state=ClockState.STOPPED)
            .values_list("ticket_id", flat=True)
        )
        for ticket in Ticket.objects.filter(pk__in=ticket_ids):
            clocks_replan(ticket=ticket, at=now)
        tickets_sla_refresh(ticket_ids)
    return policy


def _save_ola(policy: SlaPolicy, rows: dict[int, tuple[int | None, int | None]]) -> None:
    for tier, (accept, resolve) in rows.items():
        if accept is None and resolve is None:
            OlaTarget.objects.filter(policy=policy, tier=tier).delete()
        else:
            OlaTarget.objects.update_or_create(
                policy=policy,
                tier=tier,
                defaults={"accept_minutes": accept, "resolve_minutes": resolve},
            )


def _clean_model(obj: Any) -> None:
    """full_clean, with the model's complaints turned into a DomainError naming the fields."""
    from django.core.exceptions import ValidationError

    from backline.core.errors import DomainError

    try:
        obj.full_clean(validate_constraints=True)
    except ValidationError as exc:
        errors = [
            {"field": field, "message": str(messages[0])}
            for field, messages in exc.message_dict.items()
        ]
        first = errors[0]
        raise DomainError(
            first["message"],
            field=None if first["field"] == "__all__" else first["field"],
            errors=errors,
        ) from exc


def _spans(value: Any, field: str) -> list[list[str]]:
    """Validate `[["08:00", "12:00"], …]` for one day (sorted, not overlapping)."""
    from backline.sla.calendar import hours

    try:
        spans = [[str(a).strip(), str(b).strip()] for a, b in (value or [])]
        hours(*(f"{a}-{b}" for a, b in spans))
    except (TypeError, ValueError) as exc:
        raise _fail(f"Working hours: {exc}", field) from exc
    return spans


def _iso_date(text: Any, field: str) -> str:
    from datetime import date

    try:
        return date.fromisoformat(str(text).strip()).isoformat()
    except ValueError as exc:
        raise _fail(f"{text!r} is not a date like 2026-12-24.", field) from exc


def _calendar_value(name: str, value: Any) -> Any:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    from backline.sla.choices import WEEKDAYS

    if name == "name":
        if not str(value or "").strip():
            raise _fail("A calendar needs a name.", "name")
        return str(value).strip()
    if name == "timezone":
        try:
            ZoneInfo(str(value))
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise _fail(f"Unknown time zone {value!r} (e.g. Europe/Berlin).", name) from exc
        return str(value)
    if name == "week":
        week = dict(value or {})
        unknown = set(week) - set(WEEKDAYS)
        if unknown:
            raise _fail(f"Unknown weekday {sorted(unknown)[0]!r}.", "week")
        return {day: _spans(week[day], day) for day in WEEKDAYS if week.get(day)}
    if name in ("country", "subdivision"):
        return str(value or "").strip().upper()
    if name == "closed_dates":
        return sorted({_iso_date(v, name) for v in (value or [])})
    if name == "extra_working_days":
        return {
            _iso_date(day, name): _spans(spans, name)
            for day, spans in sorted(dict(value or {}).items())
        }
    raise _fail(f"Unknown field {name!r}.", name)


def _check_holidays(record: BusinessCalendar) -> None:
    import holidays as holidays_package

    if not record.country:
        if record.subdivision:
            raise _fail("A subdivision needs a country.", "subdivision")
        return
    supported = holidays_package.list_supported_countries()
    if record.country not in supported:
        raise _fail(f"No public holidays known for country {record.country!r}.", "country")
    if record.subdivision and record.subdivision not in supported[record.country]:
        raise _fail(
            f"{record.country} has no subdivision {record.subdivision!r} "
            f"(known: {', '.join(supported[record.country][:12])}…).",
            "subdivision",
        )


def business_calendar_save(
    *, actor: User, calendar: BusinessCalendar | None = None, changes: dict[str, Any]
) -> BusinessCalendar:
    """Create a calendar (`calendar=None`) or change the given fields of one. Running clocks keep
    their due times until they are next re-planned (pause, resume, priority change)."""
    require_sla_manager(actor)
    if calendar is None:
        calendar = BusinessCalendar()
        if not str(changes.get("name") or "").strip():
            raise _fail("This field is required.", "name")
    for name, value in changes.items():
        setattr(calendar, name, _calendar_value(name, value))
    _check_holidays(calendar)
    if not calendar.week:
        raise _fail("Give working hours for at least one weekday (00:00-24:00 for 24×7).", "mon")
    _clean_model(calendar)
    try:
        rules.build_calendar(
            tz=calendar.timezone, week=calendar.week, extra_working_days=calendar.extra_working_days
        )
    except ValueError as exc:
        raise _fail(str(exc), "week") from exc
    with transaction.atomic():
        calendar.save()
    return calendar
