"""`backline generate --tickets N`: a desk of a large company, a million tickets deep, in minutes.

The demo loader (`generate.load_demo`) lives every ticket through the real status machine, which
costs about 5 ms a ticket: right for the 3,000 tickets of the demo, an hour and a half for a
million. This module builds the same desk at scale in two steps:

1. **A base**: `load_demo` with up to `BASE` tickets over its six months ending now — the
   organisation, the CMDB, changes, articles, problems and known errors, reference cases and
   ticket histories with full timelines (escalations with hand-off packages, bounces, tasks,
   comments, SLA clocks with pauses, time entries, ratings, analytics facts, search documents).
2. **Copies** of the base's ticket histories, week by week into the past: copy `k` is every
   finished ticket of the base (resolved, closed or cancelled; open ones only in the first few
   weeks, so the backlog stays the size of a real one) moved `7·k` days back, with every row that
   belongs to a ticket — events, comments, escalations, tasks, SLA clocks and their pauses,
   involvement rows, facts, ratings, time entries and the search document. Whole weeks keep the
   weekday and hour-of-week patterns of the arrivals. Each copy is one `INSERT … SELECT` per table
   in the database itself, with primary keys offset by `k` times the base's largest key and
   timestamps shifted by SQL date arithmetic, so a million tickets and ten million events take
   minutes on SQLite and PostgreSQL alike.

What copies do not get: links to problems, changes and other tickets (the base's problems keep
their own incidents), watchers, notifications, knowledge-use rows and attachments (the demo has
none). Ids inside events' JSON data (an escalation's id, say) keep pointing at the base's rows;
nothing reads them as references. Bulk-written history is not in the audit log, as with imports.

Deterministic: the base comes from `seed`, the copies from the base. Afterwards the dashboard's
day rollups are rebuilt and the planner statistics refreshed (`ANALYZE`).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models import Max, Model

from backline.analytics.models import TicketFact
from backline.analytics.services import rollups_rebuild
from backline.core.errors import DomainError
from backline.demo.generate import _Reporter, load_demo
from backline.escalation.models import Escalation, Task
from backline.satisfaction.models import Rating
from backline.search.models import SearchDocument
from backline.sla.models import ClockPause, SlaClock
from backline.tickets.choices import Status
from backline.tickets.models import Comment, Ticket, TicketAccess, TicketEvent
from backline.worklog.models import TimeEntry

BASE = 10_000  # tickets the demo loader lives through; the rest are copies of them
OPEN_WEEKS = 4  # copies this recent also get the base's open tickets
FINISHED = (Status.RESOLVED, Status.CLOSED, Status.CANCELLED)

# Every table copied with a ticket, parents before children. Each row's own key and its keys to
# other copied tables move by the copy's offset; keys to anything else (people, teams, services,
# CIs, categories, policies) stay.
COPIED: tuple[type[Model], ...] = (
    Ticket,
    Comment,
    Escalation,
    Task,
    TicketEvent,
    SlaClock,
    ClockPause,
    TicketAccess,
    TicketFact,
    Rating,
    TimeEntry,
    SearchDocument,
)


@dataclass(frozen=True)
class Plan:
    """How many copies of which base tickets make up the requested number."""

    base_max: int  # the base's largest ticket id
    spans: dict[type[Model], int]  # per table: the key offset of one copy
    finished: int  # base tickets every copy gets
    open: int  # base tickets only the recent copies get
    copies: int
    last_limit: int | None  # the last copy stops at this many tickets (None: all)


def generate(
    *, tickets: int, seed: int = 7, password: str, progress: bool = False
) -> dict[str, float | int]:
    """Build a desk of `tickets` tickets in an empty database; returns counts and timings."""
    if tickets < 1:
        raise DomainError("Generate at least one ticket.", field="tickets")
    if Ticket.objects.exists():
        raise DomainError(
            "This database already has tickets; generate into an empty database.",
            field="tickets",
        )
    started = time.monotonic()
    load_demo(seed=seed, tickets=min(tickets, BASE), password=password, progress=progress)
    base_seconds = time.monotonic() - started
    plan = _plan(tickets - Ticket.objects.count())
    copy_started = time.monotonic()
    with _Reporter(progress) as report:
        step = report.task(f"Copying history into {plan.copies} earlier weeks", plan.copies)
        with _writes_unchecked():
            for k in range(1, plan.copies + 1):
                limit = plan.last_limit if k == plan.copies else None
                with transaction.atomic():
                    _copy(plan, k, limit)
                report.advance(step)
        _sequences_reset()
        step = report.task("Dashboard rollups and planner statistics", 2)
        rollups_rebuild()
        report.advance(step)
        _analyze()
        report.advance(step)
    return {
        "tickets": Ticket.objects.count(),
        "events": TicketEvent.objects.count(),
        "comments": Comment.objects.count(),
        "escalations": Escalation.objects.count(),
        "base_max": plan.base_max,  # copy k of base ticket t has the id t + k·base_max
        "copies": plan.copies,
        "base_seconds": round(base_seconds, 1),
        "copy_seconds": round(time.monotonic() - copy_started, 1),
        "seconds": round(time.monotonic() - started, 1),
    }


def _plan(wanted: int) -> Plan:
    templates = Ticket.objects.filter(external_id="")
    finished = templates.filter(status__in=FINISHED).count()
    open_ = templates.exclude(status__in=FINISHED).count()
    spans = {model: (model.objects.aggregate(top=Max("pk"))["top"] or 0) for model in COPIED}
    spans[TicketFact] = spans[Ticket]  # keyed by the ticket
    base_max = spans[Ticket]
    copies, left = 0, max(wanted, 0)
    while left > 0 and finished + open_ > 0:
        copies += 1
        size = finished + (open_ if copies <= OPEN_WEEKS else 0)
        if left <= size:
            return Plan(base_max, spans, finished, open_, copies, left)
        left -= size
    return Plan(base_max, spans, finished, open_, copies, None)


def _template_ids(plan: Plan, k: int, limit: int | None) -> str:
    """SQL selecting the base tickets copy `k` is made of (first `limit` of them by id)."""
    statuses = ", ".join(f"'{s}'" for s in FINISHED)
    where = f"id <= {plan.base_max} AND external_id = ''"
    if k > OPEN_WEEKS:
        where += f" AND status IN ({statuses})"
    sql = f"SELECT id FROM {Ticket._meta.db_table} WHERE {where}"  # noqa: S608 (no user input)
    if limit is not None:
        sql += f" ORDER BY id LIMIT {int(limit)}"
    return sql


def _copy(plan: Plan, k: int, limit: int | None) -> None:
    days = 7 * k
    ids = _template_ids(plan, k, limit)
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            # SQLite re-runs an IN sub-select per statement; one temporary table serves them all.
            cursor.execute("DROP TABLE IF EXISTS temp.scale_ids")
            cursor.execute(f"CREATE TEMP TABLE scale_ids AS {ids}")
            cursor.execute("CREATE UNIQUE INDEX temp.scale_ids_id ON scale_ids(id)")
            ids = "SELECT id FROM temp.scale_ids"
        for model in COPIED:
            cursor.execute(_insert_sql(model, plan, k, days, ids))


def _insert_sql(model: type[Model], plan: Plan, k: int, days: int, ids: str) -> str:
    table = model._meta.db_table
    columns, values = [], []
    for field in model._meta.concrete_fields:
        column = connection.ops.quote_name(field.column)
        columns.append(column)
        values.append(_value(model, field, column, plan, k, days))
    where = _owned_by(model, ids)
    return (
        f"INSERT INTO {table} ({', '.join(columns)}) "  # noqa: S608 (model metadata, integers)
        f"SELECT {', '.join(values)} FROM {table} WHERE {where}"
    )


def _value(model, field, column: str, plan: Plan, k: int, days: int) -> str:
    if field.primary_key and not field.is_relation:
        return f"{column} + {k * plan.spans[model]}"
    if field.is_relation and field.related_model in plan.spans:
        return f"{column} + {k * plan.spans[field.related_model]}"
    if model is SearchDocument and field.name == "object_id":
        return f"{column} + {k * plan.spans[Ticket]}"
    kind = field.get_internal_type()
    if kind == "DateTimeField":
        return _shift(column, days)
    if kind == "DateField":
        if connection.vendor == "sqlite":
            return f"date({column}, '-{days} days')"
        return f"{column} - {days}"
    return column


def _shift(column: str, days: int) -> str:
    """SQL moving a timestamp `days` days back, keeping its microseconds (NULL stays NULL)."""
    if connection.vendor == "sqlite":
        # Django keeps SQLite timestamps as 'YYYY-MM-DD HH:MM:SS[.ffffff]' text in UTC.
        return (
            f"CASE WHEN {column} IS NULL THEN NULL "
            f"ELSE datetime({column}, '-{days} days') || substr({column}, 20) END"
        )
    return f"{column} - interval '{days} days'"


def _owned_by(model: type[Model], ids: str) -> str:
    """The WHERE clause picking the rows of `model` that belong to the template tickets."""
    if model is Ticket:
        return f"id IN ({ids})"
    if model is SearchDocument:
        return f"kind = 'ticket' AND object_id IN ({ids})"
    if model is ClockPause:
        clocks = SlaClock._meta.db_table
        return f"clock_id IN (SELECT id FROM {clocks} WHERE ticket_id IN ({ids}))"  # noqa: S608
    return f"ticket_id IN ({ids})"


@contextmanager
def _writes_unchecked() -> Iterator[None]:
    """Skip foreign-key checking while copying rows whose parents were copied just before.

    Copies are consistent by construction; checking 20 million references one by one is most of
    the cost otherwise. SQLite: `PRAGMA foreign_keys` (outside a transaction); PostgreSQL: the
    session's replication role, which also skips the search-vector trigger (the copied vector is
    already right) — it needs a superuser, and without one the checks simply stay on; commits
    do not wait for the disk either (`synchronous_commit = off`).
    """
    restore: list[str] = []
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("PRAGMA foreign_keys = OFF")
            restore.append("PRAGMA foreign_keys = ON")
        elif connection.vendor == "postgresql":
            # A generated desk can be generated again: no need to wait for each commit's flush.
            cursor.execute("SET synchronous_commit = off")
            restore.append("SET synchronous_commit = DEFAULT")
            cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
            row = cursor.fetchone()
            if row and row[0]:
                cursor.execute("SET session_replication_role = replica")
                restore.append("SET session_replication_role = DEFAULT")
    try:
        yield
    finally:
        for sql in restore:
            _execute(sql)


def _execute(sql: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql)


def _sequences_reset() -> None:
    """Explicit keys do not move PostgreSQL's sequences; move them past the copies."""
    from django.core.management.color import no_style

    statements = connection.ops.sequence_reset_sql(no_style(), list(COPIED))
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)


def _analyze() -> None:
    """Planner statistics; on PostgreSQL also the visibility map (VACUUM), without which an
    index-only scan still visits the table for every row, as it would until autovacuum ran."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql" and not connection.in_atomic_block:
            cursor.execute("VACUUM ANALYZE")
        else:
            cursor.execute("ANALYZE")
