"""Reads of diagnostics: a ticket's logs, the template table, what changed around the incident,
two logs compared, the lines of a template, search in a log, and what earlier tickets knew."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.db.models import QuerySet

from backline.accounts.models import User
from backline.core.errors import NotFound
from backline.diagnostics import anomalies, store
from backline.diagnostics.analysis import choose_format, open_log
from backline.diagnostics.choices import ERROR_LEVELS, LogStatus
from backline.diagnostics.models import LogEvidence, LogFile, LogTemplate, LogTemplateStat
from backline.diagnostics.services import log_dir, log_text_path, zone
from backline.tickets.models import Ticket
from backline.tickets.permissions import require_staff, require_view

SPARK_BINS = 32
TIMELINE_BINS = 60
MEMORY_LEVELS = ("critical", "error", "warning")


def ticket_logs(ticket: Ticket) -> list[LogFile]:
    """The ticket's logs, oldest first."""
    return list(LogFile.objects.filter(ticket=ticket).select_related("uploaded_by"))


def log_get(user: User, ticket: Ticket, log_id: int) -> LogFile:
    """One of the ticket's logs, for support staff."""
    require_view(user, ticket)
    require_staff(user, "read logs")
    log = LogFile.objects.filter(ticket=ticket, pk=log_id).select_related("ticket").first()
    if log is None:
        raise NotFound(f"No log {log_id} on {ticket.number}.")
    return log


def log_lines(log: LogFile) -> store.LogLines:
    return store.LogLines(log_dir(log.pk), log_text_path(log), log.lines)


def raw_template_ids(log: LogFile, number: int) -> set[int]:
    """Miner ids whose lines in this log belong to template `number`."""
    return {number} | {int(raw) for raw, final in (log.merged or {}).items() if final == number}


def line_time(log: LogFile, line: int) -> datetime | None:
    """When line `line` (from 0) was written, read from its header."""
    lines = log_lines(log)
    found = lines.read(line, 1)
    if not found:
        return None
    stream, _ = open_log(lines.text_path)
    with stream:
        head = [
            raw.decode("utf-8", "replace").rstrip("\r\n")
            for _, raw in zip(range(200), stream, strict=False)
        ]
    fmt = choose_format(head, pattern=log.pattern, year=log.created_at.year, tz=zone(log.tz))
    record = fmt.parse(found[0][1])
    if record is None or record.ts is None:
        return None
    return datetime.fromtimestamp(record.ts, tz=UTC)


@dataclass(frozen=True)
class Row:
    """A template in a log, as the table shows it."""

    stat: LogTemplateStat
    spark: list[int]

    @property
    def template(self) -> LogTemplate:
        return self.stat.template


def _minutes(stat: LogTemplateStat) -> dict[int, int]:
    data = stat.minutes or {}
    return dict(zip(data.get("m", []), data.get("c", []), strict=False))


def _span(log: LogFile) -> tuple[int, int] | None:
    if log.first_at is None or log.last_at is None:
        return None
    return int(log.first_at.timestamp() // 60), int(log.last_at.timestamp() // 60) + 1


def log_stats(log: LogFile) -> QuerySet[LogTemplateStat]:
    return LogTemplateStat.objects.filter(log=log).select_related("template")


def template_rows(
    log: LogFile,
    *,
    level: str = "",
    component: str = "",
    text: str = "",
    sort: str = "count",
) -> list[Row]:
    """The log's templates with counts and sparklines, filtered and sorted."""
    stats = log_stats(log)
    if level:
        stats = stats.filter(level=level)
    if component:
        stats = stats.filter(component=component)
    if text:
        stats = stats.filter(template__text__icontains=text)
    order = {
        "count": ("-count", "first_line"),
        "first": ("first_line",),
        "rare": ("count", "first_line"),
    }.get(sort, ("-count", "first_line"))
    span = _span(log)
    rows = []
    for stat in stats.order_by(*order):
        spark = anomalies.bins(_minutes(stat), *span, n=SPARK_BINS) if span else []
        rows.append(Row(stat=stat, spark=spark))
    return rows


def facets(log: LogFile) -> dict[str, list[tuple[str, int]]]:
    """Levels and components of the log with their line counts, for the filters."""
    levels: dict[str, int] = {}
    components: dict[str, int] = {}
    for level, component, count in log_stats(log).values_list("level", "component", "count"):
        levels[level] = levels.get(level, 0) + count
        if component:
            components[component] = components.get(component, 0) + count
    order = {
        lv: i
        for i, lv in enumerate(("critical", "error", "warning", "notice", "info", "debug", ""))
    }
    return {
        "levels": sorted(levels.items(), key=lambda kv: order.get(kv[0], 9)),
        "components": sorted(components.items(), key=lambda kv: -kv[1])[:40],
    }


def _series(stats: Iterable[LogTemplateStat]) -> list[anomalies.Series]:
    return [
        anomalies.Series(tid=s.template.number, minutes=_minutes(s), count=s.count, level=s.level)
        for s in stats
    ]


@dataclass(frozen=True)
class Around:
    """Templates that rose and fell in the window around the incident's start."""

    start: datetime
    before: int
    after: int
    window: anomalies.Window | None
    rose: list[tuple[anomalies.Shift, LogTemplateStat]]
    fell: list[tuple[anomalies.Shift, LogTemplateStat]]


def around_incident(
    log: LogFile, *, start: datetime, before: int = 60, after: int = 60, limit: int = 15
) -> Around:
    """Rank the log's templates by how their rate changed in [start − before, start + after)
    minutes compared with the baseline before it."""
    empty = Around(start, before, after, None, [], [])
    if log.first_at is None or log.last_at is None:
        return empty
    w = anomalies.window(
        start_ts=start.timestamp(),
        before=before * 60,
        after=after * 60,
        first_ts=log.first_at.timestamp(),
        last_ts=log.last_at.timestamp(),
    )
    if w is None:
        return empty
    stats = {s.template.number: s for s in log_stats(log)}
    rose, fell = anomalies.around(_series(stats.values()), w)
    return Around(
        start,
        before,
        after,
        w,
        [(x, stats[x.tid]) for x in rose[:limit]],
        [(x, stats[x.tid]) for x in fell[:limit]],
    )


def incident_start(ticket: Ticket) -> datetime:
    """When the incident started, as far as the ticket knows: when it was logged."""
    return ticket.created_at


def _exposure(log: LogFile) -> float:
    span = _span(log)
    return float(span[1] - span[0]) if span else float(max(1, log.lines))


@dataclass(frozen=True)
class Comparison:
    a: LogFile
    b: LogFile
    per: str  # "minute" or "line": what the rates are per
    shifts: list[tuple[anomalies.Shift, LogTemplate]]


def compare_logs(a: LogFile, b: LogFile, *, limit: int = 50) -> Comparison:
    """Templates only in one of two logs of the ticket, and rate ratios, most different first."""
    stats_a, stats_b = list(log_stats(a)), list(log_stats(b))
    timed = _span(a) is not None and _span(b) is not None
    exp_a = _exposure(a) if timed else float(max(1, a.lines))
    exp_b = _exposure(b) if timed else float(max(1, b.lines))
    shifts = anomalies.compare(_series(stats_a), exp_a, _series(stats_b), exp_b)
    by_number = {s.template.number: s.template for s in [*stats_a, *stats_b]}
    return Comparison(
        a, b, "minute" if timed else "line", [(x, by_number[x.tid]) for x in shifts[:limit]]
    )


def error_timeline(log: LogFile, n: int = TIMELINE_BINS) -> dict[str, Any] | None:
    """Error-level lines over the log's span in n bars, with the bars' times."""
    span = _span(log)
    if span is None:
        return None
    totals = [0] * n
    for stat in log_stats(log).filter(level__in=ERROR_LEVELS):
        for i, c in enumerate(anomalies.bins(_minutes(stat), *span, n=n)):
            totals[i] += c
    start, end = span
    step = (end - start) / n
    return {
        "bars": totals,
        "max": max(totals) if totals else 0,
        "start": log.first_at,
        "end": log.last_at,
        "edges": [datetime.fromtimestamp((start + i * step) * 60, tz=UTC) for i in range(n + 1)],
    }


@dataclass(frozen=True)
class Memory:
    """Where an error template of this log was seen before, and what came of it."""

    template: LogTemplate
    ticket: Ticket
    known_errors: list[Any]


def memory(log: LogFile, *, limit: int = 10) -> list[Memory]:
    """Warning and error templates of this log seen in other tickets' logs: resolved incidents
    (with how they were resolved) and incidents whose problem has a known error first."""
    from backline.problems.models import KnownError, ProblemIncident

    mine = {
        s.template.signature: s.template for s in log_stats(log).filter(level__in=MEMORY_LEVELS)
    }
    if not mine:
        return []
    seen = (
        LogTemplate.objects.filter(signature__in=list(mine))
        .exclude(ticket_id=log.ticket_id)
        .select_related("ticket")
        .order_by("-ticket__resolved_at", "-ticket_id")[: limit * 5]
    )
    tickets = {t.ticket_id: t.ticket for t in seen}
    problems = dict(
        ProblemIncident.objects.filter(ticket_id__in=list(tickets)).values_list(
            "ticket_id", "problem_id"
        )
    )
    kes: dict[int, list[KnownError]] = {}
    for ke in KnownError.objects.filter(problem_id__in=set(problems.values())):
        kes.setdefault(ke.problem_id or 0, []).append(ke)
    found = []
    done: set[tuple[str, int]] = set()
    for t in seen:
        key = (t.signature, t.ticket_id)
        if key in done:
            continue
        done.add(key)
        known = kes.get(problems.get(t.ticket_id, -1), [])
        if t.ticket.resolved_at is None and not known:
            continue  # an open ticket with no known error tells nothing yet
        found.append(Memory(template=mine[t.signature], ticket=t.ticket, known_errors=known))
    found.sort(
        key=lambda m: (
            not m.known_errors,
            -(m.ticket.resolved_at or m.ticket.created_at).timestamp(),
        )
    )
    return found[:limit]


def pinned(ticket: Ticket) -> list[LogEvidence]:
    """Evidence pinned to the ticket, oldest first."""
    return list(
        LogEvidence.objects.filter(ticket=ticket).select_related("log", "template", "pinned_by")
    )


def ready_logs(ticket: Ticket) -> list[LogFile]:
    return [log for log in ticket_logs(ticket) if log.status == LogStatus.READY]
