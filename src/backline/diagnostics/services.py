"""Every write to diagnostics: attach a log (upload, API push or a path on the log share),
process it (the worker), delete it, pin and unpin evidence."""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from backline.accounts.models import User
from backline.core.errors import Conflict, DomainError, NotFound
from backline.core.security import check_upload_type
from backline.core.tasks import enqueue_on_commit
from backline.diagnostics import store
from backline.diagnostics.analysis import Analysis, analyze, choose_format, is_gzip, open_log
from backline.diagnostics.choices import LogSource, LogStatus
from backline.diagnostics.mining import TemplateMiner, signature
from backline.diagnostics.models import (
    LogEvidence,
    LogFile,
    LogModel,
    LogTemplate,
    LogTemplateStat,
)
from backline.tickets.choices import EventKind
from backline.tickets.models import Ticket
from backline.tickets.permissions import require_staff, require_view
from backline.tickets.services import event_record

logger = logging.getLogger("backline.diagnostics")

MAX_EVIDENCE_LINES = 200
MAX_EVIDENCE_CHARS = 20_000
EVENT_EXCERPT_CHARS = 4000
SAVE_ATTEMPTS = 3


def log_dir(log_id: int) -> Path:
    return Path(settings.DATA_DIR) / "logs" / str(log_id)


def log_text_path(log: LogFile) -> Path:
    """Where the log's bytes are: the stored upload or the file on the share."""
    if log.source == LogSource.SHARE:
        return share_resolve(log.share_path)
    return Path(log.file.path)


def share_resolve(relative: str) -> Path:
    """A path on the configured log share; refuses anything that leaves it."""
    root = settings.BACKLINE_LOG_SHARE
    if not root:
        raise DomainError("No log share is configured on this server.", field="share_path")
    base = Path(root).resolve()
    path = (base / relative.strip().lstrip("/")).resolve()
    if not path.is_relative_to(base) or path == base:
        raise DomainError("The path must name a file inside the log share.", field="share_path")
    if not path.is_file():
        raise DomainError(f"No file {relative!r} on the log share.", field="share_path")
    return path


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        raise DomainError(f"Unknown time zone {name!r}.", field="tz") from None


def _check_pattern(pattern: str, tz: ZoneInfo) -> None:
    if pattern:
        try:
            choose_format([], pattern=pattern, tz=tz)
        except ValueError as exc:
            raise DomainError(str(exc), field="pattern") from None


def log_attach(
    *,
    actor: User,
    ticket: Ticket,
    upload: UploadedFile | None = None,
    share_path: str = "",
    pattern: str = "",
    tz: str = "",
    source: str = LogSource.UPLOAD,
    at: datetime | None = None,
) -> LogFile:
    """Attach a log to the ticket (an upload, or a path on the log share) and queue it."""
    require_view(actor, ticket)
    require_staff(actor, "attach logs for diagnostics")
    pattern = (pattern or "").strip()
    tzinfo = zone(tz or "UTC")  # servers mostly log in UTC; the engineer says when not
    _check_pattern(pattern, tzinfo)
    if upload is None and not share_path.strip():
        raise DomainError("Choose a log file to upload or a path on the log share.", field="file")
    if upload is not None:
        if upload.size is None or upload.size == 0:
            raise DomainError("The log file is empty.", field="file")
        if upload.size > settings.BACKLINE_MAX_LOG_BYTES:
            limit = settings.BACKLINE_MAX_LOG_BYTES // (1024 * 1024)
            raise DomainError(f"Logs are limited to {limit} MB.", field="file")
        check_upload_type(upload)
        name, size = Path(upload.name or "log").name, upload.size
    else:
        path = share_resolve(share_path)
        name, size = path.name, path.stat().st_size
        if size == 0:
            raise DomainError("The log file is empty.", field="share_path")
    now = at or timezone.now()
    with transaction.atomic():
        log = LogFile(
            ticket=ticket,
            name=name[:255],
            source=LogSource.SHARE if upload is None else source,
            share_path=share_path.strip() if upload is None else "",
            size=size,
            pattern=pattern,
            tz=tzinfo.key,
            uploaded_by=actor,
            created_at=now,
        )
        if upload is not None:
            log.file.save(name, upload, save=False)
        log.save()
        log.compressed = is_gzip(log_text_path(log))
        log.save(update_fields=["compressed"])
        event_record(
            ticket=ticket,
            kind=EventKind.LOG_ATTACHED,
            actor=actor,
            at=now,
            data={"log": log.pk, "name": log.name, "size": size},
            internal=True,
        )
        Ticket.objects.filter(pk=ticket.pk).update(updated_at=now)
        _enqueue(log.pk)
    return log


def _enqueue(log_id: int) -> None:
    """Queue the log's processing in the caller's transaction (core.tasks.enqueue_on_commit)."""
    from backline.diagnostics.tasks import process_log

    enqueue_on_commit(process_log, log_id)


def _claim(log_id: int, now: datetime) -> LogFile | None:
    """Take a queued log (or one whose worker died) for processing; None if another has it."""
    lease = now - timedelta(seconds=settings.BACKLINE_TASK_LEASE_SECONDS)
    claimed = LogFile.objects.filter(pk=log_id, status=LogStatus.QUEUED).update(
        status=LogStatus.PROCESSING, started_at=now, bytes_done=0, error=""
    ) or LogFile.objects.filter(
        pk=log_id, status=LogStatus.PROCESSING, started_at__lt=lease
    ).update(started_at=now, bytes_done=0)
    return LogFile.objects.select_related("ticket").get(pk=log_id) if claimed else None


def log_process(*, log_id: int) -> LogFile:
    """Read the log once (worker): templates, statistics and the side files; idempotent."""
    started = timezone.now()
    log = _claim(log_id, started)
    if log is None:
        found = LogFile.objects.filter(pk=log_id).first()
        if found is None:
            raise NotFound(f"No log {log_id}.")
        return found
    clock = time.perf_counter()
    try:
        for _attempt in range(SAVE_ATTEMPTS):
            model, miner = _miner(log.ticket)
            result = _read(log, miner)
            if _save(log, model, miner, result):
                break
        else:
            raise Conflict("The ticket's logs kept changing while this one was read.")
    except Exception as exc:
        logger.exception("log %s failed", log_id)
        message = str(exc) if isinstance(exc, DomainError | ValueError | OSError) else repr(exc)
        LogFile.objects.filter(pk=log_id).update(
            status=LogStatus.FAILED, error=message[:2000], finished_at=timezone.now()
        )
    else:
        LogFile.objects.filter(pk=log_id).update(seconds=round(time.perf_counter() - clock, 3))
    log.refresh_from_db()
    return log


def _miner(ticket: Ticket) -> tuple[LogModel, TemplateMiner]:
    model, _ = LogModel.objects.get_or_create(ticket=ticket)
    miner = TemplateMiner.from_state(model.state) if model.state else TemplateMiner()
    return model, miner


def _read(log: LogFile, miner: TemplateMiner) -> Analysis:
    directory = log_dir(log.pk)
    store.remove(directory)
    writer = store.IndexWriter(directory, copy=log.compressed)
    stream, position = open_log(log_text_path(log))

    def progress(lines: int) -> None:
        LogFile.objects.filter(pk=log.pk).update(bytes_done=position(), lines=lines)

    try:
        with stream:
            return analyze(
                stream,
                miner=miner,
                tz=zone(log.tz),
                pattern=log.pattern,
                year=log.created_at.year,
                sink=writer,
                progress=progress,
            )
    finally:
        writer.close()


def _dt(ts: float | None) -> datetime | None:
    return None if ts is None else datetime.fromtimestamp(ts, tz=UTC)


def _save(log: LogFile, model: LogModel, miner: TemplateMiner, result: Analysis) -> bool:
    """Store the miner's state and the statistics; False when another log of the ticket saved
    its state meanwhile (then this one is read again on top of it)."""
    with transaction.atomic():
        updated = LogModel.objects.filter(pk=model.pk, version=model.version).update(
            state=miner.to_state(), version=model.version + 1
        )
        if not updated:
            return False
        templates = _templates(log.ticket, miner, result)
        LogTemplateStat.objects.filter(log=log).delete()
        LogTemplateStat.objects.bulk_create(
            [
                LogTemplateStat(
                    log=log,
                    template=templates[st.tid],
                    count=st.count,
                    level=st.level,
                    component=st.component[:120],
                    first_line=st.first_line,
                    first_at=_dt(st.first_ts),
                    last_at=_dt(st.last_ts),
                    sample=st.sample,
                    levels=dict(st.levels),
                    minutes=_sparse(st.minutes),
                )
                for st in result.stats.values()
            ],
            batch_size=500,
        )
        LogFile.objects.filter(pk=log.pk).update(
            status=LogStatus.READY,
            format_name=result.format.name,
            format_label=result.format.label,
            lines=result.lines,
            merged={str(k): v for k, v in result.merged.items()},
            bytes_done=log.size,
            first_at=_dt(result.first_ts),
            last_at=_dt(result.last_ts),
            finished_at=timezone.now(),
        )
    return True


def _sparse(minutes: dict[int, int]) -> dict[str, list[int]]:
    keys = sorted(minutes)
    return {"m": keys, "c": [minutes[k] for k in keys]}


def _templates(ticket: Ticket, miner: TemplateMiner, result: Analysis) -> dict[int, LogTemplate]:
    """The ticket's template rows, created or updated to the miner's current text."""
    existing = {t.number: t for t in LogTemplate.objects.filter(ticket=ticket)}
    changed, created = [], []
    for tid, st in result.stats.items():
        text = miner.template(tid)
        row = existing.get(tid)
        if row is None:
            row = LogTemplate(
                ticket=ticket, number=tid, text=text, signature=signature(text), level=st.level
            )
            created.append(row)
            existing[tid] = row
        elif row.text != text:
            row.text, row.signature = text, signature(text)
            changed.append(row)
    LogTemplate.objects.bulk_create(created, batch_size=500)
    LogTemplate.objects.bulk_update(changed, ["text", "signature"], batch_size=500)
    if created:  # bulk_create gives ids on both databases we support, but be explicit
        existing.update(
            {
                t.number: t
                for t in LogTemplate.objects.filter(
                    ticket=ticket, number__in=[r.number for r in created]
                )
            }
        )
    return existing


def log_reprocess(
    *, actor: User, log: LogFile, pattern: str | None = None, tz: str = ""
) -> LogFile:
    """Read a log again, e.g. with a header pattern the detection did not find."""
    require_staff(actor, "reprocess logs")
    tzinfo = zone(tz or log.tz)
    if pattern is not None:
        _check_pattern(pattern.strip(), tzinfo)
    with transaction.atomic():
        changed = (
            LogFile.objects.filter(pk=log.pk)
            .exclude(status=LogStatus.PROCESSING)
            .update(
                status=LogStatus.QUEUED,
                pattern=(pattern if pattern is not None else log.pattern).strip(),
                tz=tzinfo.key,
                bytes_done=0,
                error="",
            )
        )
        if not changed:
            raise Conflict("This log is being processed right now.")
        _enqueue(log.pk)
    log.refresh_from_db()
    return log


def log_delete(*, actor: User, log: LogFile) -> None:
    """Remove a log, its statistics and side files; pinned evidence keeps its copied text."""
    require_staff(actor, "delete logs")
    log_id, ticket_id, stored = log.pk, log.ticket_id, (log.file.name or "") if log.file else ""
    with transaction.atomic():
        log.delete()
        LogTemplate.objects.filter(ticket_id=ticket_id, stats__isnull=True).delete()
        transaction.on_commit(partial(_remove_files, log_id, stored))


def _remove_files(log_id: int, stored: str) -> None:
    store.remove(log_dir(log_id))
    if stored:
        LogFile.file.field.storage.delete(stored)


def _evidence_event(evidence: LogEvidence, kind: str, actor: User) -> None:
    event_record(
        ticket=evidence.ticket,
        kind=kind,
        actor=actor,
        at=evidence.pinned_at if kind == EventKind.EVIDENCE_PINNED else timezone.now(),
        data={
            "evidence": evidence.pk,
            "title": evidence.title,
            "log": evidence.log.name if evidence.log else "",
            "excerpt": evidence.excerpt[:EVENT_EXCERPT_CHARS],
            "happened_at": evidence.happened_at.isoformat() if evidence.happened_at else None,
        },
        internal=True,
    )


def evidence_pin(
    *,
    actor: User,
    log: LogFile,
    template_number: int | None = None,
    line_from: int | None = None,
    line_to: int | None = None,
    note: str = "",
) -> LogEvidence:
    """Pin a template (with its first lines) or a range of lines to the log's ticket."""
    require_staff(actor, "pin evidence")
    if log.status != LogStatus.READY:
        raise DomainError("The log is not processed yet.", field="log")
    if (template_number is None) == (line_from is None):
        raise DomainError("Pin either a template or a range of lines.", field="template")
    lines = store.LogLines(log_dir(log.pk), log_text_path(log), log.lines)
    if template_number is not None:
        title, excerpt, happened_at, line_from, line_to, template = _template_excerpt(
            log, lines, template_number
        )
    else:
        title, excerpt, happened_at, line_from, line_to = _range_excerpt(
            log, lines, line_from or 0, line_to
        )
        template = None
    with transaction.atomic():
        evidence = LogEvidence.objects.create(
            ticket=log.ticket,
            log=log,
            template=template,
            line_from=line_from,
            line_to=line_to,
            happened_at=happened_at,
            title=title[:300],
            excerpt=excerpt[:MAX_EVIDENCE_CHARS],
            note=note.strip()[:500],
            pinned_by=actor,
            pinned_at=timezone.now(),
        )
        _evidence_event(evidence, EventKind.EVIDENCE_PINNED, actor)
    return evidence


def _template_excerpt(
    log: LogFile, lines: store.LogLines, number: int
) -> tuple[str, str, datetime | None, int, int, LogTemplate]:
    stat = (
        LogTemplateStat.objects.select_related("template")
        .filter(log=log, template__number=number)
        .first()
    )
    if stat is None:
        raise DomainError(f"No template {number} in {log.name}.", field="template")
    numbers, _ = lines.template_lines(_raw_ids(log, number), -1, 5)
    shown = [text for _, text in lines.at(numbers)]
    when = (
        f", {stat.first_at:%Y-%m-%d %H:%M:%S} – {stat.last_at:%Y-%m-%d %H:%M:%S} UTC"
        if stat.first_at and stat.last_at
        else ""
    )
    excerpt = "\n".join(
        [f"{stat.template.text}", f"({stat.count} lines in {log.name}{when})", *shown]
    )
    line_to = numbers[-1] + 1 if numbers else stat.first_line + 1
    title = f"{log.name}: {stat.template.text}"
    return title, excerpt, stat.first_at, stat.first_line + 1, line_to, stat.template


def _range_excerpt(
    log: LogFile, lines: store.LogLines, first: int, last: int | None
) -> tuple[str, str, datetime | None, int, int]:
    """Lines `first`..`last` as people count them (from 1), at most MAX_EVIDENCE_LINES."""
    last = first if last is None else last
    if first < 1 or last < first or last > log.lines:
        raise DomainError(
            f"Lines must lie within 1–{log.lines}, first before last.", field="line_from"
        )
    if last - first + 1 > MAX_EVIDENCE_LINES:
        raise DomainError(f"Pin at most {MAX_EVIDENCE_LINES} lines at a time.", field="line_to")
    shown = lines.read(first - 1, last - first + 1)
    excerpt = "\n".join(text for _, text in shown)
    happened_at = _line_time(log, first - 1)
    title = f"{log.name}, line {first}" if first == last else f"{log.name}, lines {first}–{last}"
    return title, excerpt, happened_at, first, last


def _raw_ids(log: LogFile, number: int) -> set[int]:
    """The miner ids whose lines belong to this template (it may have absorbed others)."""
    from backline.diagnostics.queries import raw_template_ids

    return raw_template_ids(log, number)


def _line_time(log: LogFile, line: int) -> datetime | None:
    from backline.diagnostics.queries import line_time

    return line_time(log, line)


def evidence_unpin(*, actor: User, evidence: LogEvidence) -> None:
    """Take pinned evidence off the ticket (the timeline keeps that it was pinned)."""
    require_staff(actor, "unpin evidence")
    with transaction.atomic():
        _evidence_event(evidence, EventKind.EVIDENCE_UNPINNED, actor)
        evidence.delete()
