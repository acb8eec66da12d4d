"""Writes of the analytics app: only its own derived table of ticket facts.

Every event marks its ticket dirty in the writer's transaction (handlers.py); `facts_sync`
rebuilds the facts of dirty tickets. A rebuild reads the ticket whole, so it is idempotent and
safe to repeat; `facts_rebuild` recomputes everything from the history.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import date, datetime
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Sum
from django.utils import timezone

from backline.accounts.models import Team, User
from backline.analytics import measures, rules
from backline.analytics.models import (
    DayRollup,
    FactDirty,
    RollupLock,
    TicketFact,
    WarningThreshold,
)
from backline.core.errors import DomainError, PermissionDenied
from backline.sla.calendar import Calendar, business_minutes_between
from backline.sla.models import BusinessCalendar, SlaClock
from backline.sla.services import calendar_of
from backline.tickets.models import Ticket, TicketEvent
from backline.worklog.models import TimeEntry

_TICKET_FIELDS = tuple(rules.TicketRow.__dataclass_fields__)
# Every column but the key: what an upsert of a fact rewrites.
_FACT_FIELDS = tuple(f.name for f in TicketFact._meta.concrete_fields if f.name != "ticket")


def facts_mark_dirty(ticket_ids: Iterable[int]) -> None:
    """Mark tickets whose facts must be rebuilt (call in the transaction that changed them)."""
    now = timezone.now()
    rows = [
        FactDirty(ticket_id=pk, token=uuid.uuid4().hex, marked_at=now)
        for pk in dict.fromkeys(ticket_ids)
    ]
    if rows:
        FactDirty.objects.bulk_create(
            rows,
            batch_size=500,
            update_conflicts=True,
            unique_fields=["ticket_id"],
            update_fields=["token", "marked_at"],
        )


def _calendars() -> tuple[dict[int, Calendar], Calendar | None]:
    """Each business calendar by id, and the default one (the first) for tickets without SLA."""
    records = list(BusinessCalendar.objects.order_by("id"))
    by_id = {record.pk: calendar_of(record) for record in records}
    return by_id, (by_id[records[0].pk] if records else None)


def _business(cal: Calendar | None) -> Callable[[datetime, datetime], float | None] | None:
    if cal is None:
        return None
    return lambda start, end: business_minutes_between(cal, start, end)


def _ratings(ids: list[int]) -> dict[int, int]:
    from backline.satisfaction.models import Rating

    return dict(Rating.objects.filter(ticket_id__in=ids).values_list("ticket_id", "score"))


def facts_refresh(ticket_ids: Iterable[int], *, rollups: bool = True) -> int:
    """Rebuild the facts of these tickets from their rows, events, clocks, time and rating,
    and the daily rollups of every day they counted in before or count in now."""
    ids = sorted(set(ticket_ids))
    if not ids:
        return 0
    with transaction.atomic():
        before = _fact_days(ids) if rollups else None
        count = _facts_write(ids)
        if before is not None:
            after = _fact_days(ids)
            rollups_refresh({c: before[c] | after[c] for c in _DAY_FIELDS})
    return count


def _facts_write(ids: list[int]) -> int:
    tickets = [
        rules.TicketRow(**row) for row in Ticket.objects.filter(id__in=ids).values(*_TICKET_FIELDS)
    ]
    events: dict[int, list[tuple[str, datetime, dict]]] = defaultdict(list)
    for ticket_id, kind, at, data in (
        TicketEvent.objects.filter(ticket_id__in=ids, kind__in=rules.FACT_EVENT_KINDS)
        .order_by("ticket_id", "at", "id")
        .values_list("ticket_id", "kind", "at", "data")
    ):
        events[ticket_id].append((kind, at, data or {}))
    clocks: dict[int, list[rules.ClockRow]] = defaultdict(list)
    calendar_of_ticket: dict[int, int] = {}
    for ticket_id, target, tier, met, breached_at, calendar_id in SlaClock.objects.filter(
        ticket_id__in=ids
    ).values_list("ticket_id", "target", "tier", "met", "breached_at", "policy__calendar_id"):
        clocks[ticket_id].append(rules.ClockRow(target, tier, met, breached_at))
        if target == "resolution":
            calendar_of_ticket[ticket_id] = calendar_id
    work = dict(
        TimeEntry.objects.filter(ticket_id__in=ids)
        .values("ticket_id")
        .annotate(total=Sum("minutes"))
        .values_list("ticket_id", "total")
    )
    ratings = _ratings(ids)
    team_tiers = dict(Team.objects.values_list("id", "tier"))
    calendars, default_calendar = _calendars()
    tz = ZoneInfo(settings.TIME_ZONE)
    now = timezone.now()
    facts = []
    for ticket in tickets:
        cal = calendars.get(calendar_of_ticket.get(ticket.id, 0), default_calendar)
        values = rules.fact_values(
            ticket,
            events[ticket.id],
            clocks=clocks[ticket.id],
            team_tiers=team_tiers,
            tz=tz,
            business_minutes=_business(cal),
            csat=ratings.get(ticket.id),
            work_minutes=work.get(ticket.id) or 0,
        )
        facts.append(TicketFact(ticket_id=ticket.id, refreshed_at=now, **values))
    TicketFact.objects.bulk_create(
        facts,
        batch_size=500,
        update_conflicts=True,
        unique_fields=["ticket"],
        update_fields=list(_FACT_FIELDS),
    )
    return len(facts)


# The local day each cohort is counted by, and the dimensions its rollup rows keep.
_DAY_FIELDS = {
    "created": "created_day",
    "resolved": "resolved_day",
    "first_resolved": "first_resolved_day",
}
_DIMENSIONS = {
    "created": ("team_id", "priority", "tiers"),
    "resolved": ("team_id", "priority", "tiers", "resolved_tier", "resolved_team_id"),
    "first_resolved": ("team_id", "priority", "tiers"),
}


def _fact_days(ids: list[int]) -> dict[str, set[date]]:
    days: dict[str, set[date]] = {cohort: set() for cohort in _DAY_FIELDS}
    rows = TicketFact.objects.filter(ticket_id__in=ids).values_list(*_DAY_FIELDS.values())
    for row in rows:
        for cohort, day in zip(_DAY_FIELDS, row, strict=True):
            if day is not None:
                days[cohort].add(day)
    return days


def rollups_refresh(days: dict[str, set[date]]) -> int:
    """Recompute the rollup rows of these local days, per cohort, from the facts."""
    written = 0
    with transaction.atomic():
        # One rebuilder at a time: two workers rebuilding a day would both insert its rows.
        _rollup_lock()
        for cohort, wanted in days.items():
            ordered = sorted(wanted)
            for start in range(0, len(ordered), 200):
                written += _rollup_days(cohort, ordered[start : start + 200])
    return written


def _rollup_lock() -> None:
    lock = RollupLock.objects.select_for_update().filter(name="rollups").first()
    if lock is None:  # a flushed database (tests) or one made before the migration seeded it
        try:
            with transaction.atomic():
                RollupLock.objects.create(name="rollups")
        except IntegrityError:
            pass  # another worker created it first
        RollupLock.objects.select_for_update().get(name="rollups")


def _rollup_days(cohort: str, days: list[date]) -> int:
    field, dims = _DAY_FIELDS[cohort], _DIMENSIONS[cohort]
    DayRollup.objects.filter(cohort=cohort, day__in=days).delete()
    grouped = (
        TicketFact.objects.filter(**{f"{field}__in": days})
        .values(field, *dims)
        .annotate(**{name: make() for name, make in measures.BY_COHORT[cohort].items()})
        .order_by()
    )
    rows = [
        DayRollup(
            day=row[field],
            cohort=cohort,
            team_id=row["team_id"] or 0,
            priority=row["priority"],
            tiers=row["tiers"],
            resolved_tier=row.get("resolved_tier") or 0,
            resolved_team_id=row.get("resolved_team_id") or 0,
            **{name: row[name] or 0 for name in measures.BY_COHORT[cohort]},
        )
        for row in grouped
    ]
    DayRollup.objects.bulk_create(rows, batch_size=1000)
    return len(rows)


def rollups_rebuild() -> int:
    """Recompute every rollup row from the facts (after a rebuild of the facts)."""
    days = {
        cohort: set(
            TicketFact.objects.exclude(**{f"{field}__isnull": True})
            .values_list(field, flat=True)
            .distinct()
        )
        for cohort, field in _DAY_FIELDS.items()
    }
    with transaction.atomic():
        DayRollup.objects.all().delete()
        return rollups_refresh(days)


def facts_sync(*, limit: int = 20_000, chunk: int = 1000) -> dict[str, int]:
    """Rebuild the facts of up to `limit` dirty tickets; returns how many and how many remain."""
    done = 0
    while done < limit:
        marks = list(
            FactDirty.objects.order_by("ticket_id").values_list("ticket_id", "token")[:chunk]
        )
        if not marks:
            break
        ids = [pk for pk, _ in marks]
        with transaction.atomic():
            facts_refresh(ids)
            # Only the marks this rebuild saw: a ticket marked again meanwhile stays dirty.
            FactDirty.objects.filter(ticket_id__in=ids, token__in=[t for _, t in marks]).delete()
        done += len(marks)
        if len(marks) < chunk:
            break
    return {"refreshed": done, "waiting": FactDirty.objects.count() if done >= limit else 0}


def facts_rebuild(*, chunk: int = 2000, progress: Callable[[int], None] | None = None) -> int:
    """Recompute every ticket's fact from its history (after an upgrade or a bulk load)."""
    last, total = 0, 0
    while True:
        ids = list(
            Ticket.objects.filter(id__gt=last).order_by("id").values_list("id", flat=True)[:chunk]
        )
        if not ids:
            break
        with transaction.atomic():
            facts_refresh(ids, rollups=False)
            FactDirty.objects.filter(ticket_id__in=ids).delete()
        last, total = ids[-1], total + len(ids)
        if progress is not None:
            progress(total)
    rollups_rebuild()
    with connection.cursor() as cursor:
        # The planner's statistics of the rebuilt tables (SQLite keeps none until ANALYZE).
        cursor.execute(f"ANALYZE {TicketFact._meta.db_table}")
        cursor.execute(f"ANALYZE {DayRollup._meta.db_table}")
    return total


def warning_thresholds_save(*, actor: User, values: dict[str, tuple[float, bool]]) -> None:
    """Set early-warning thresholds (managers): all of them, or none when one is refused.

    `values` maps a rule key to (threshold, enabled); a refusal names the rule's key as field."""
    if not actor.is_manager:
        raise PermissionDenied("Only managers set warning thresholds.")
    known = {r.key for r in rules.WARNING_RULES}
    for key, (threshold, _) in values.items():
        if key not in known:
            raise DomainError(f"No warning rule {key!r}.", field=key)
        if isinstance(threshold, bool) or not isinstance(threshold, int | float):
            raise DomainError("The threshold must be a number.", field=key)
        if not 0 < threshold <= 10:
            raise DomainError("The threshold must be above 0 and at most 10.", field=key)
    with transaction.atomic():
        for key, (threshold, enabled) in values.items():
            row = WarningThreshold.objects.select_for_update().filter(key=key).first()
            row = row or WarningThreshold(key=key)
            row.threshold, row.enabled, row.updated_by = float(threshold), enabled, actor
            row.full_clean()
            row.save()
