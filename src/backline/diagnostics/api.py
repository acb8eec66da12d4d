"""API: logs on a ticket (upload, log-share path), their templates, what changed around the
incident, two logs compared, lines, search, cross-ticket memory and pinned evidence."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import File, Form, Query, Router, Status
from ninja.files import UploadedFile

from backline.core.api import ErrorOut
from backline.core.errors import DomainError, NotFound
from backline.diagnostics import queries, services
from backline.diagnostics.anomalies import Shift
from backline.diagnostics.choices import LogSource, LogStatus
from backline.diagnostics.models import LogEvidence, LogFile, LogTemplate
from backline.diagnostics.schemas import (
    AroundOut,
    CompareOut,
    EvidenceIn,
    EvidenceOut,
    LinesOut,
    LogOut,
    MemoryOut,
    ReprocessIn,
    ShareIn,
    TemplateOut,
)
from backline.tickets.models import Ticket
from backline.tickets.permissions import require_staff
from backline.tickets.queries import ticket_get

router = Router(tags=["diagnostics"])
ERRORS: dict[int, Any] = dict.fromkeys((400, 401, 403, 404, 409, 413, 422, 429), ErrorOut)
PAGE = 100


def _ticket(request: HttpRequest, number: str) -> Ticket:
    ticket = ticket_get(request.user, number)
    require_staff(request.user, "read logs")
    return ticket


def _ready(request: HttpRequest, number: str, log_id: int) -> LogFile:
    log = queries.log_get(request.user, _ticket(request, number), log_id)
    if log.status != LogStatus.READY:
        raise DomainError(f"{log.name} is {log.get_status_display().lower()}.", code="not_ready")
    return log


@router.get("/tickets/{number}/logs", response={200: list[LogOut], **ERRORS})
def log_list(request: HttpRequest, number: str):
    return queries.ticket_logs(_ticket(request, number))


@router.post("/tickets/{number}/logs", response={201: LogOut, **ERRORS})
def log_upload(
    request: HttpRequest,
    number: str,
    file: File[UploadedFile],
    pattern: Form[str] = "",
    tz: Form[str] = "",
):
    """Push a log (multipart field `file`, plain or gzip); it is processed in the background."""
    log = services.log_attach(
        actor=request.user,
        ticket=_ticket(request, number),
        upload=file,
        pattern=pattern,
        tz=tz,
        source=LogSource.API,
    )
    return Status(201, log)


@router.post("/tickets/{number}/logs/share", response={201: LogOut, **ERRORS})
def log_from_share(request: HttpRequest, number: str, payload: ShareIn):
    """Attach a file from the server's log share by its path inside the share."""
    log = services.log_attach(
        actor=request.user,
        ticket=_ticket(request, number),
        share_path=payload.path,
        pattern=payload.pattern,
        tz=payload.tz,
    )
    return Status(201, log)


@router.get("/tickets/{number}/logs/{log_id}", response={200: LogOut, **ERRORS})
def log_detail(request: HttpRequest, number: str, log_id: int):
    return queries.log_get(request.user, _ticket(request, number), log_id)


@router.delete("/tickets/{number}/logs/{log_id}", response={204: None, **ERRORS})
def log_delete(request: HttpRequest, number: str, log_id: int):
    log = queries.log_get(request.user, _ticket(request, number), log_id)
    services.log_delete(actor=request.user, log=log)
    return Status(204, None)


@router.post("/tickets/{number}/logs/{log_id}/reprocess", response={200: LogOut, **ERRORS})
def log_reprocess(request: HttpRequest, number: str, log_id: int, payload: ReprocessIn):
    log = queries.log_get(request.user, _ticket(request, number), log_id)
    return services.log_reprocess(
        actor=request.user, log=log, pattern=payload.pattern, tz=payload.tz
    )


@router.get(
    "/tickets/{number}/logs/{log_id}/templates", response={200: list[TemplateOut], **ERRORS}
)
def template_list(
    request: HttpRequest,
    number: str,
    log_id: int,
    level: str = "",
    component: str = "",
    q: str = "",
    sort: str = "count",
):
    log = _ready(request, number, log_id)
    rows = queries.template_rows(log, level=level, component=component, text=q, sort=sort)
    return [
        {
            "template": r.template.number,
            "text": r.template.text,
            "signature": r.template.signature,
            "count": r.stat.count,
            "level": r.stat.level,
            "component": r.stat.component,
            "first_line": r.stat.first_line + 1,
            "first_at": r.stat.first_at,
            "last_at": r.stat.last_at,
            "levels": r.stat.levels,
            "spark": r.spark,
        }
        for r in rows
    ]


def _shift(shift: Shift, template: LogTemplate, first_at: datetime | None = None) -> dict[str, Any]:
    return {
        "first_at": first_at,
        "template": template.number,
        "text": template.text,
        "level": shift.level,
        "new": shift.new,
        "gone": shift.gone,
        "count_a": shift.count_a,
        "count_b": shift.count_b,
        "rate_a": shift.rate_a,
        "rate_b": shift.rate_b,
        "ratio": shift.ratio,
        "score": shift.score,
    }


@router.get("/tickets/{number}/logs/{log_id}/around", response={200: AroundOut, **ERRORS})
def around(
    request: HttpRequest,
    number: str,
    log_id: int,
    start: datetime | None = None,
    before: int = Query(60, ge=1, le=10080),  # type: ignore[type-arg]
    after: int = Query(60, ge=1, le=10080),  # type: ignore[type-arg]
    limit: int = Query(15, ge=1, le=200),  # type: ignore[type-arg]
):
    """Templates that rose and fell around the incident start (default: the ticket's creation)."""
    log = _ready(request, number, log_id)
    result = queries.around_incident(
        log,
        start=start or queries.incident_start(log.ticket),
        before=before,
        after=after,
        limit=limit,
    )
    return {
        "start": result.start,
        "before": before,
        "after": after,
        "window_minutes": result.window.minutes if result.window else 0,
        "baseline_minutes": result.window.baseline_minutes if result.window else 0,
        "rising": [_shift(x, s.template, s.first_at) for x, s in result.rose],
        "falling": [_shift(x, s.template, s.first_at) for x, s in result.fell],
    }


@router.get(
    "/tickets/{number}/logs/{log_id}/compare/{other_id}", response={200: CompareOut, **ERRORS}
)
def compare(request: HttpRequest, number: str, log_id: int, other_id: int):
    log = _ready(request, number, log_id)
    other = _ready(request, number, other_id)
    if other.pk == log.pk:
        raise DomainError("Choose two different logs.", field="other_id")
    result = queries.compare_logs(log, other)
    return {
        "log": log.pk,
        "other": other.pk,
        "per": result.per,
        "shifts": [_shift(x, t) for x, t in result.shifts],
    }


def _lines(rows: list[tuple[int, str]], cursor: int | None) -> dict[str, Any]:
    return {"lines": [{"line": n + 1, "text": t} for n, t in rows], "next": cursor}


@router.get("/tickets/{number}/logs/{log_id}/lines", response={200: LinesOut, **ERRORS})
def lines(
    request: HttpRequest,
    number: str,
    log_id: int,
    start: int = Query(1, ge=1),  # type: ignore[type-arg]
    count: int = Query(PAGE, ge=1, le=1000),  # type: ignore[type-arg]
):
    """Lines `start`… (counted from 1); `next` is the `start` of the following page."""
    log = _ready(request, number, log_id)
    rows = queries.log_lines(log).read(start - 1, count)
    following = rows[-1][0] + 2 if rows and rows[-1][0] + 1 < log.lines else None
    return _lines(rows, following)


@router.get(
    "/tickets/{number}/logs/{log_id}/templates/{template}/lines", response={200: LinesOut, **ERRORS}
)
def template_lines(request: HttpRequest, number: str, log_id: int, template: int, after: int = 0):
    """The template's lines after line `after` (0: from the start), a page at a time."""
    log = _ready(request, number, log_id)
    if not queries.log_stats(log).filter(template__number=template).exists():
        raise NotFound(f"No template {template} in {log.name}.")
    store = queries.log_lines(log)
    numbers, cursor = store.template_lines(queries.raw_template_ids(log, template), after - 1, PAGE)
    rows = store.at(numbers)
    return _lines(rows, cursor + 1 if cursor is not None else None)


@router.get("/tickets/{number}/logs/{log_id}/search", response={200: LinesOut, **ERRORS})
def search(request: HttpRequest, number: str, log_id: int, q: str, after: int = 0):
    """Lines containing `q` (case-insensitive) after line `after`."""
    log = _ready(request, number, log_id)
    if not q.strip():
        raise DomainError("Say what to search for.", field="q")
    hits, cursor = queries.log_lines(log).search(q.strip(), after - 1, PAGE)
    return _lines(hits, cursor + 1 if cursor is not None else None)


@router.get("/tickets/{number}/logs/{log_id}/memory", response={200: list[MemoryOut], **ERRORS})
def memory(request: HttpRequest, number: str, log_id: int):
    """Warning and error templates of this log seen in earlier tickets, and what came of them."""
    log = _ready(request, number, log_id)
    return [
        {
            "template": m.template.number,
            "text": m.template.text,
            "ticket": m.ticket.number,
            "ticket_title": m.ticket.title,
            "resolved_at": m.ticket.resolved_at,
            "resolution_notes": m.ticket.resolution_notes,
            "known_errors": [ke.number for ke in m.known_errors],
        }
        for m in queries.memory(log)
    ]


@router.post("/tickets/{number}/logs/{log_id}/evidence", response={201: EvidenceOut, **ERRORS})
def evidence_pin(request: HttpRequest, number: str, log_id: int, payload: EvidenceIn):
    """Pin a template (`template`) or lines (`line_from`, `line_to`, from 1) as evidence."""
    log = queries.log_get(request.user, _ticket(request, number), log_id)
    evidence = services.evidence_pin(
        actor=request.user,
        log=log,
        template_number=payload.template,
        line_from=payload.line_from,
        line_to=payload.line_to,
        note=payload.note,
    )
    return Status(201, evidence)


@router.get("/tickets/{number}/evidence", response={200: list[EvidenceOut], **ERRORS})
def evidence_list(request: HttpRequest, number: str):
    return queries.pinned(_ticket(request, number))


@router.delete("/tickets/{number}/evidence/{evidence_id}", response={204: None, **ERRORS})
def evidence_unpin(request: HttpRequest, number: str, evidence_id: int):
    ticket = _ticket(request, number)
    evidence = LogEvidence.objects.filter(ticket=ticket, pk=evidence_id).first()
    if evidence is None:
        raise NotFound(f"No evidence {evidence_id} on {ticket.number}.")
    services.evidence_unpin(actor=request.user, evidence=evidence)
    return Status(204, None)
