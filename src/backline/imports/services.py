"""Every write of the imports app: create a job, run it (dry or real) in committed batches."""

from __future__ import annotations

import csv
import io
import json
import logging
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import F, Q
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.text import slugify

from backline.accounts.choices import Role
from backline.accounts.models import Team, User
from backline.analytics.services import facts_mark_dirty
from backline.core.errors import Conflict, DomainError, PermissionDenied, TooLarge
from backline.core.tasks import enqueue_on_commit
from backline.imports import rules
from backline.imports.models import ImportJob, ImportKind, ImportState
from backline.tickets.access import access_rebuild
from backline.tickets.choices import Source, Status
from backline.tickets.models import Category, Ticket, TicketEvent
from backline.tickets.rules import DEFAULT_MATRIX
from backline.tickets.services import priority_matrix

log = logging.getLogger(__name__)

BATCH = 500  # tickets per committed batch
MAX_REPORTED = 200  # row errors kept in the report; error_count has them all
MAX_UPLOAD = 200 * 1024 * 1024
IMPORT_SOURCE = Source.API  # imported tickets came from another tool


def require_manager(actor: User) -> None:
    """Imports write history for the whole desk: admins only (docs/security.md)."""
    if not actor.is_active or not actor.is_admin:
        raise PermissionDenied("Only admins can import tickets.")


@contextmanager
def _text(job: ImportJob) -> Iterator[io.TextIOWrapper]:
    job.file.open("rb")
    try:
        yield io.TextIOWrapper(job.file.file, encoding="utf-8-sig", newline="")
    finally:
        job.file.close()


def read_header(upload: Any) -> list[str]:
    """The first CSV line of an uploaded file, the file left at its start."""
    upload.seek(0)
    raw = upload.read(64 * 1024)
    upload.seek(0)
    if isinstance(raw, bytes):
        cut = raw.rfind(b"\n") if len(raw) == 64 * 1024 else len(raw)
        try:
            text = raw[: cut if cut > 0 else len(raw)].decode("utf-8-sig")
        except UnicodeDecodeError:
            raise DomainError(
                "The file is not UTF-8 text; save it as UTF-8 CSV.", field="file"
            ) from None
    else:
        text = raw
    first = next(csv.reader(io.StringIO(text)), [])
    header = [h.strip() for h in first]
    if not [h for h in header if h]:
        raise DomainError("The file has no CSV header line.", field="file")
    return header


def mapping_parse(text: str | Mapping[str, Any]) -> dict[str, Any]:
    """The mapping as sent (a JSON object or its text)."""
    if isinstance(text, Mapping):
        return dict(text)
    try:
        value = json.loads(text or "{}")
    except json.JSONDecodeError as exc:
        raise DomainError(f"The mapping is not valid JSON: {exc.msg}.", field="mapping") from None
    if not isinstance(value, dict):
        raise DomainError("The mapping must be a JSON object.", field="mapping")
    return value


def import_job_create(
    *,
    actor: User,
    kind: str,
    file: UploadedFile,
    mapping: Mapping[str, Any],
    dry_run: bool = True,
    source_job: ImportJob | None = None,
    enqueue: bool = True,
) -> ImportJob:
    """Store the file and its checked mapping as a pending job and queue its run (the CLI runs
    it in its own process instead: `enqueue=False`)."""
    require_manager(actor)
    if kind not in ImportKind.values:
        raise DomainError(f"Unknown import kind {kind!r}.", field="kind")
    if file is None:
        raise DomainError("Choose a CSV file.", field="file")
    if file.size and file.size > MAX_UPLOAD:
        raise TooLarge(f"Files up to {MAX_UPLOAD // 2**20} MB can be imported.", field="file")
    rules.mapping_clean(kind, mapping, read_header(file))
    with transaction.atomic():
        job = ImportJob(
            kind=kind,
            filename=(getattr(file, "name", "") or "import.csv")[-255:],
            mapping=dict(mapping),
            dry_run=dry_run,
            created_by=actor,
            source_job=source_job,
        )
        job.file.save(job.filename.rsplit("/", 1)[-1], file, save=False)
        job.save()
        if enqueue:
            _enqueue(job.pk)
    return job


def import_job_run_for_real(*, actor: User, job: ImportJob) -> ImportJob:
    """A new, real job from a finished dry run: same file, same mapping."""
    require_manager(actor)
    if not job.dry_run or job.state != ImportState.DONE:
        raise DomainError("Only a finished dry run can be run for real.", field="job")
    with job.file.open("rb") as handle:
        content = handle.read()
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile(job.filename.rsplit("/", 1)[-1], content, "text/csv")
    return import_job_create(
        actor=actor, kind=job.kind, file=upload, mapping=job.mapping, dry_run=False, source_job=job
    )


def _enqueue(job_id: int) -> None:
    """Queue the job's run in the caller's transaction (core.tasks.enqueue_on_commit)."""
    from backline.imports.tasks import run_import

    enqueue_on_commit(run_import, job_id)


def import_job_run(job_id: int, *, progress: Callable[[int, int], None] | None = None) -> ImportJob:
    """Run a pending (or failed) job: a dry run reports, a real run writes in committed batches.

    A crash leaves the committed batches and marks the job failed with the reason; running it
    again skips the tickets already imported, so it is safe.
    """
    now = timezone.now()
    # A job still "running" past the lease was left by a worker that died: take it over.
    lease = now - timedelta(seconds=settings.BACKLINE_TASK_LEASE_SECONDS)
    claimed = ImportJob.objects.filter(
        Q(state__in=[ImportState.PENDING, ImportState.FAILED])
        | Q(state=ImportState.RUNNING, started_at__lt=lease),
        pk=job_id,
    ).update(
        state=ImportState.RUNNING,
        started_at=now,
        finished_at=None,
        rows_done=0,
        created=0,
        skipped=0,
        error_count=0,
        report={},
    )
    job = ImportJob.objects.select_related("created_by").get(pk=job_id)
    if not claimed:
        if job.state == ImportState.RUNNING:
            raise Conflict("This import is running already.", field="state")
        return job
    run = _Run(job, progress)
    try:
        run.execute()
    except Exception as exc:
        log.exception("import %s failed", job_id)
        run.report["reason"] = f"{type(exc).__name__}: {exc}"
        run.finish(ImportState.FAILED)
    else:
        run.finish(ImportState.DONE)
    job.refresh_from_db()
    return job


class _Run:
    """One execution of a job: refs resolved once, then batches of ticket lives."""

    def __init__(self, job: ImportJob, callback: Callable[[int, int], None] | None = None) -> None:
        self.job = job
        self.callback = callback
        self.rows_total = self.rows_done = 0
        self.dry = job.dry_run
        self.errors: list[dict[str, Any]] = []
        self.error_count = 0
        self.report: dict[str, Any] = {}
        self.teams: dict[str, rules.Ref] = {}
        self.users: dict[str, rules.Ref] = {}
        self.categories: dict[str, int | None] = {}
        self.requester_id: int | None = None
        with _text(job) as handle:
            header = next(csv.reader(handle), [])
        self.mapping = rules.mapping_clean(job.kind, job.mapping, header)
        matrix = priority_matrix() or DEFAULT_MATRIX
        self.cells = {p: min(c for c, v in matrix.items() if v == p) for p in set(matrix.values())}

    # -- progress and report

    def error(self, row: int, column: str, message: str) -> None:
        self.error_count += 1
        if len(self.errors) < MAX_REPORTED:
            self.errors.append({"row": row, "column": column, "message": message})

    def progress(self, rows: int, created: int = 0, skipped: int = 0) -> None:
        ImportJob.objects.filter(pk=self.job.pk).update(
            rows_done=F("rows_done") + rows,
            created=F("created") + created,
            skipped=F("skipped") + skipped,
            error_count=self.error_count,
        )
        self.rows_done += rows
        if self.callback is not None:
            self.callback(self.rows_done, self.rows_total)

    def finish(self, state: str) -> None:
        self.report["errors"] = self.errors
        fields: dict[str, Any] = {
            "state": state,
            "finished_at": timezone.now(),
            "report": self.report,
            "error_count": self.error_count,
        }
        if state == ImportState.DONE:
            fields["rows_done"] = F("rows_total")
        ImportJob.objects.filter(pk=self.job.pk).update(**fields)

    def count_rows(self) -> int:
        with _text(self.job) as handle:
            total = sum(1 for _ in csv.reader(handle)) - 1
        self.rows_total = max(total, 0)
        ImportJob.objects.filter(pk=self.job.pk).update(rows_total=self.rows_total)
        return total

    def records(self) -> Iterator[tuple[int, dict[str, str]]]:
        """(row number as a spreadsheet shows it, record), streamed."""
        with _text(self.job) as handle:
            for index, record in enumerate(csv.DictReader(handle), start=2):
                yield index, {(k or "").strip(): v for k, v in record.items() if k is not None}

    # -- the whole run

    def execute(self) -> None:
        self.count_rows()
        if self.job.kind == ImportKind.EVENT_LOG:
            self.run_event_log()
        else:
            self.run_ticket_csv()

    def run_event_log(self) -> None:
        cases: dict[str, list[rules.EventRow]] = {}
        bad = 0
        for row, record in self.records():
            try:
                event = rules.parse_event_row(row, record, self.mapping)
            except rules.RowError as exc:
                self.error(row, exc.column, exc.message)
                bad += 1
                continue
            cases.setdefault(event.case_id, []).append(event)
        self.progress(bad)
        self.resolve_refs(
            groups=(r.group for rows in cases.values() for r in rows if r.group),
            people=(r.resource for rows in cases.values() for r in rows if r.resource),
            categories=(r.category for rows in cases.values() for r in rows if r.category),
        )
        ids = list(cases)
        for start in range(0, len(ids), BATCH):
            chunk = {case: cases.pop(case) for case in ids[start : start + BATCH]}
            lives = []
            for rows in chunk.values():
                rows.sort(key=lambda r: (r.at, r.row))
                lives.append((len(rows), self.play(rows)))
            self.write(lives)

    def play(self, rows: list[rules.EventRow]) -> rules.Life:
        life = rules.play_case(
            rows,
            system=self.mapping.system,
            teams=self.teams,
            users=self.users,
            source=IMPORT_SOURCE,
        )
        for row, column, message in life.errors:
            self.error(row, self.mapping.columns.get(column, column), message)
        return life

    def run_ticket_csv(self) -> None:
        # Two streamed passes: people, teams and categories first, then the tickets in batches.
        groups: set[str] = set()
        people: set[str] = set()
        categories: set[str] = set()
        cols = self.mapping.columns
        for _, record in self.records():
            groups.add((record.get(cols.get("team", "")) or "").strip())
            people.add((record.get(cols.get("assignee", "")) or "").strip())
            categories.add((record.get(cols.get("category", "")) or "").strip())
        groups = {g for g in groups if rules._norm(g) in self.mapping.groups}
        self.resolve_refs(groups=groups, people=people - {""}, categories=categories - {""})
        batch: list[tuple[int, rules.Life]] = []
        bad = 0
        for row, record in self.records():
            try:
                parsed = rules.parse_ticket_row(row, record, self.mapping)
                life = rules.play_ticket(
                    parsed,
                    system=self.mapping.system,
                    teams=self.teams,
                    users=self.users,
                    source=IMPORT_SOURCE,
                )
            except rules.RowError as exc:
                self.error(row, cols.get(exc.column, exc.column), exc.message)
                bad += 1
                continue
            for err_row, column, message in life.errors:
                self.error(err_row, cols.get(column, column), message)
            batch.append((1, life))
            if len(batch) >= BATCH:
                self.write(batch, bad)
                batch, bad = [], 0
        self.write(batch, bad)

    # -- people, teams, categories

    def resolve_refs(
        self, *, groups: Iterable[str], people: Iterable[str], categories: Iterable[str]
    ) -> None:
        with transaction.atomic():
            self._teams(groups)
            self._users(people)
            self._categories(categories)
            self.requester_id = self._requester()

    def _teams(self, groups: Iterable[str]) -> None:
        wanted = {rules._norm(g): g.strip() for g in groups}
        found: dict[str, Team] = {
            t.lname: t
            for t in Team.objects.annotate(lname=Lower("name")).filter(lname__in=list(wanted))
        }
        created = []
        for key, name in sorted(wanted.items()):
            team: Team | None = found.get(key)
            if team is None:
                tier = self.mapping.groups[key]
                created.append({"name": name, "tier": tier})
                team = None if self.dry else _team_create(name, tier)
            if team is not None:
                self.teams[key] = rules.Ref(team.pk, team.name, team.tier)
            else:
                self.teams[key] = rules.Ref(None, name, self.mapping.groups[key])
        self.report["teams_created"] = created

    def _users(self, people: Iterable[str]) -> None:
        names = {p.strip() for p in people if p.strip()}
        lower = {n.lower() for n in names}
        rows = User.objects.annotate(lu=Lower("username"), le=Lower("email")).filter(
            Q(lu__in=lower) | Q(le__in=lower)
        )
        by_key: dict[str, User] = {}
        for match in rows:
            by_key.setdefault(match.lu, match)
            if match.le:
                by_key.setdefault(match.le, match)
        created: list[str] = []
        for name in sorted(names):
            user: User | None = by_key.get(name.lower())
            if user is None:
                created.append(name)
                if self.dry:
                    self.users[name] = rules.Ref(None, name)
                    continue
                user = _user_create(name)
            self.users[name] = rules.Ref(user.pk, user.display_name)
        self.report["users_created"] = created

    def _categories(self, names: Iterable[str]) -> None:
        wanted = {n.strip().lower(): n.strip() for n in names if n.strip()}
        found = {
            c.lname: c.pk
            for c in Category.objects.annotate(lname=Lower("name")).filter(lname__in=list(wanted))
        }
        found.update(
            {c.slug: c.pk for c in Category.objects.filter(slug__in=list(wanted)) if c.slug}
        )
        created = []
        for key, name in sorted(wanted.items()):
            pk = found.get(key)
            if pk is None:
                created.append(name)
                pk = None if self.dry else _category_create(name)
            self.categories[key] = pk
        self.report["categories_created"] = created

    def _requester(self) -> int | None:
        username = f"import-{self.mapping.system}"
        existing = User.objects.filter(username=username).values_list("pk", flat=True).first()
        if existing is not None or self.dry:
            return existing
        user = User(
            username=username,
            first_name="Imported",
            last_name=f"from {self.mapping.system}",
            role=Role.REQUESTER,
            is_active=False,
        )
        user.set_unusable_password()
        user.save()
        return user.pk

    # -- writing

    def ticket(self, life: rules.Life) -> Ticket:
        assert life.created_at is not None and life.updated_at is not None  # noqa: S101 - set by create
        assert self.requester_id is not None or self.dry  # noqa: S101 - set by resolve_refs
        impact, urgency = self.cells.get(life.priority, (2, 2))
        done = life.status in (Status.RESOLVED, Status.CLOSED)
        return Ticket(
            title=life.title,
            requester_id=self.requester_id or 0,
            category_id=self.categories.get(life.category.lower()) if life.category else None,
            impact=impact,
            urgency=urgency,
            priority=life.priority,
            status=life.status,
            pending_reason=life.pending_reason,
            tier=life.tier,
            team_id=life.team.id if life.team else None,
            assignee_id=life.assignee.id if life.assignee else None,
            source=IMPORT_SOURCE,
            created_at=life.created_at,
            updated_at=life.updated_at,
            first_response_at=life.first_response_at,
            resolved_at=life.resolved_at if done else None,
            closed_at=life.closed_at,
            resolution_notes=rules.IMPORT_NOTE.format(system=life.system) if done else "",
            reopen_count=life.reopen_count,
            version=life.version,
            external_system=life.system,
            external_id=life.external_id,
        )

    def write(self, lives: list[tuple[int, rules.Life]], bad_rows: int = 0) -> None:
        """One committed batch: the new tickets, their events, their facts marked dirty."""
        rows = bad_rows + sum(n for n, _ in lives)
        if not lives:
            self.progress(rows)
            return
        system = self.mapping.system
        with transaction.atomic():
            existing = set(
                Ticket.objects.filter(
                    external_system=system, external_id__in=[life.external_id for _, life in lives]
                ).values_list("external_id", flat=True)
            )
            fresh = [life for _, life in lives if life.external_id not in existing]
            if not self.dry and fresh:
                tickets = Ticket.objects.bulk_create([self.ticket(life) for life in fresh])
                events = [
                    TicketEvent(
                        ticket=ticket,
                        kind=event.kind,
                        actor_id=event.actor.id if event.actor else None,
                        at=event.at,
                        data=event.data,
                        is_internal=event.internal,
                    )
                    for ticket, life in zip(tickets, fresh, strict=True)
                    for event in life.events
                ]
                TicketEvent.objects.bulk_create(events, batch_size=2000)
                access_rebuild(t.pk for t in tickets)
                facts_mark_dirty(t.pk for t in tickets)
            self.progress(rows, created=len(fresh), skipped=len(lives) - len(fresh))


def _unique_slug(model: type[Team] | type[Category], base: str, limit: int = 100) -> str:
    base = (slugify(base) or "imported")[: limit - 4]
    slug, n = base, 2
    while model.objects.filter(slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug


def _team_create(name: str, tier: int) -> Team:
    return Team.objects.create(
        name=name[:100],
        slug=_unique_slug(Team, name),
        tier=tier,
        description="Created by a history import.",
    )


def _category_create(name: str) -> int:
    return Category.objects.create(name=name[:100], slug=_unique_slug(Category, name)).pk


_USERNAME_UNSAFE = re.compile(r"[^\w.@+-]+")


def _user_create(name: str) -> User:
    """An inactive agent standing for someone named in the imported history."""
    base = _USERNAME_UNSAFE.sub(".", name.strip()).strip(".")[:140] or "imported"
    username, n = base, 2
    while User.objects.filter(username__iexact=username).exists():
        username, n = f"{base}{n}", n + 1
    first, _, last = name.strip().partition(" ") if "@" not in name else ("", "", "")
    user = User(
        username=username,
        email=name.strip() if "@" in name else "",
        first_name=first[:150],
        last_name=last[:150],
        role=Role.AGENT,
        is_active=False,
    )
    user.set_unusable_password()
    user.save()
    return user


def upload_preview(upload: Any, group_column: str, limit: int = 40) -> list[str]:
    """Up to `limit` distinct values of `group_column` in an uploaded file (for the tier rows)."""
    if not group_column:
        return []
    upload.seek(0)
    text = io.TextIOWrapper(upload, encoding="utf-8-sig", errors="replace", newline="")
    seen: dict[str, None] = {}
    try:
        for record in csv.DictReader(text):
            value = (record.get(group_column) or "").strip()
            if value:
                seen.setdefault(value, None)
                if len(seen) >= limit:
                    break
    finally:
        text.detach()
        upload.seek(0)
    return sorted(seen)
