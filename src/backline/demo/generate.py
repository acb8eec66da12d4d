"""Load the deterministic demo data set: the IT support desk of Hartwell Supply.

What it creates: seven teams (Service Desk at L1; Application Support, Network & Infrastructure
and Database at L2; Engineering, Security and DevOps at L3) with their staff, a support manager,
an admin, about forty employees who raise tickets, a CMDB of about 300 configuration items with
their dependencies (`estate.py`), six months of ticket history ending at the current hour, three
open reference cases, four incidents opened by monitoring alerts (`alerts.py`; one of them is
behind reference case (c)), two email threads in the teams' mailboxes (`mail.py`), and about 200
changes, some of which caused history incidents (`changelog.py`).

How it writes:

- People, teams and services go through the apps' services; the CMDB estate and the change
  history are bulk-inserted in the shapes the cmdb and changes services write.
- The history is bulk-loaded like an import. Each ticket's life (creation, triage, escalations
  with hand-off packages, acceptances, returns and bounces, collaboration tasks, de-escalations,
  replies and notes, pending spells, resolution, reopening, closing) is lived through in memory
  with the real status machine (`tickets.rules`) and the event shapes that `tickets.services`
  and `escalation.services` write, the denormalised ticket fields are derived from those events,
  and tickets, comments, escalations, tasks and events are then written with `bulk_create` in
  batches. As with any import, no signals fire and no notifications are sent for history:
  whatever is derived from tickets (SLA clocks, metrics) must be computed from the events.
  Calling the services per ticket would take minutes.
- The three reference cases go through `tickets.services` and `escalation.services`, the way
  an L1 agent would log and escalate them (see `reference.py`).
- The alert-born incidents go through `intake.services.alerts_receive` at their own times, each
  opened in the writing pass when its first alert fired (so its number follows its date); the
  SLA sweep is then caught up on their running clocks as it is on the history's.
- The email threads (`mail.py`) go through `intake.mail.message_process` the same way: the L1
  and L2 teams' mailboxes (inactive), two threads opened in the writing pass when their first
  email arrived, an ignored out-of-office reply and an ignored repeat delivery.

Determinism: `random.Random(seed)` decides everything about the tickets (titles, texts,
priorities, teams, statuses, who did what and how long each step took); a second generator
seeded from `seed` places the arrivals on the calendar. The same seed therefore gives the same
tickets; only their timestamps move with the clock (anchored to the current hour).
"""

from __future__ import annotations

import random
import time
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.management.color import no_style
from django.db import connections, router, transaction
from django.db.models import Count, Max, Model
from django.utils import timezone

from backline.accounts.choices import Role
from backline.accounts.models import Team, User
from backline.accounts.services import team_add_member, team_create, user_create
from backline.analytics.services import facts_rebuild
from backline.cmdb.models import ConfigurationItem, Service
from backline.cmdb.services import service_create
from backline.core.errors import DomainError
from backline.demo import alerts, changelog, clocks, estate, planted, reference
from backline.demo import mail as demo_mail
from backline.demo import text as T
from backline.demo.effort import effort_load
from backline.demo.history import HISTORY_DAYS, Clock, Cmdb, History, Life, Org
from backline.demo.knowledge import load_articles
from backline.demo.problems import load_problems
from backline.demo.ratings import ratings_load
from backline.escalation.choices import EscalationState
from backline.escalation.models import Escalation, Task
from backline.search.services import documents_reindex
from backline.tickets.access import access_rebuild
from backline.tickets.choices import Status
from backline.tickets.models import Category, Comment, Ticket, TicketEvent

if TYPE_CHECKING:
    from rich.progress import Progress, TaskID

DEMO_LOGINS = [
    ("hcarter", "Support manager: every queue, dashboards and reports"),
    ("smarquez", "L1 Service Desk analyst; logged the CRM and eCommerce reference cases"),
    (
        "tbecker",
        "L2 engineer, Application Support: works the CRM case; the shop-to-ERP case waits in "
        "the team's escalation inbox",
    ),
    (
        "fhaddad",
        "L2 network engineer, Network & Infrastructure: the collaboration case waits in the "
        "escalation inbox",
    ),
    ("cmendes", "L2 database engineer, Database (also in DevOps)"),
    ("sosei", "L3 engineer, Engineering"),
    ("jmorgan", "Requester: Sales Operations Analyst who raised the CRM case"),
    ("admin", "Admin: users, teams and settings"),
]
_BATCH = 500


def load_demo(*, seed: int = 7, tickets: int = 3000, password: str, progress: bool = False) -> str:
    """Load the demo data set into an empty database and return a short summary for people."""
    if tickets < 0:
        raise DomainError("The number of tickets cannot be negative.", field="tickets")
    if User.objects.filter(username=T.MANAGER.username).exists():
        return (
            f"The demo data is already loaded (user {T.MANAGER.username!r} exists); nothing "
            "was changed. Load it into a fresh database to start over."
        )
    clash = list(
        Team.objects.filter(name__in=[name for name, _, _ in T.TEAMS]).values_list(
            "name", flat=True
        )
    )
    if clash:
        raise DomainError(
            f"This database already has teams named {', '.join(clash)}; the demo data set needs "
            "an empty database."
        )
    started = time.monotonic()
    anchor = timezone.now().replace(minute=0, second=0, microsecond=0)
    with _Reporter(progress) as report, transaction.atomic():
        step = report.task("People, teams and the CMDB", 3)
        org = _create_org(password)
        report.advance(step)
        clock = Clock(anchor, ZoneInfo(settings.TIME_ZONE))
        cmdb = _create_cmdb(org, clock, random.Random(f"{seed}:estate"))
        report.advance(step)
        categories = {c.slug: c for c in Category.objects.all()}
        report.advance(step)
        step = report.task(f"Living through {tickets:,} tickets", max(tickets, 1))
        history = History(random.Random(seed), org, cmdb, categories, clock)
        lives = history.build(
            tickets, random.Random(f"{seed}:arrivals"), lambda n: report.advance(step, n)
        )
        for life in lives:
            if life.incident_key == planted.CRM_EXPORT:
                planted.mark(life, planted.CRM_EXPORT)
        if tickets:  # the planted recurring groups (demo.planted), in arrival order
            extra = planted.build(history, seed)
            lives = sorted([*lives, *extra], key=lambda life: life.ticket.created_at)
        step = report.task("Writing tickets, comments and events", max(len(lives), 1) + 3)
        cases = reference.Cases(org=org, cmdb=cmdb, categories=categories, clock=clock)
        monitoring = alerts.Monitoring(org=org, cmdb=cmdb, clock=clock)
        mailroom = demo_mail.Mailroom(org=org, clock=clock)
        openings = [*cases.openings(), *monitoring.openings(), *mailroom.openings()]
        _write(lives, openings, lambda n: report.advance(step, n))
        cases.finish()
        # Bulk-written history records no involvement: derive it now, before problems and
        # changes link these tickets as the agents who may see them (again at the end).
        access_rebuild()
        report.advance(step, 3)
        step = report.task("Changes and the incidents they caused", 1)
        changelog.load_changes(
            org=org,
            cmdb=cmdb,
            lives=lives,
            cases=cases,
            clock=clock,
            rng=random.Random(f"{seed}:changes"),
            insert=_insert,
        )
        report.advance(step)
        step = report.task("SLA clocks from the timelines", 2)
        now = timezone.now()
        replayed = clocks.replay(((life.ticket, life.events) for life in lives), now=now)
        report.advance(step)
        clocks.write(replayed, now=now, insert=_insert)
        monitoring.sweep(now=now)  # the alert-born incidents' clocks came from the handlers
        mailroom.sweep(now=now)  # and so did the email tickets'
        report.advance(step)
        step = report.task("Knowledge articles and their use", 1)
        load_articles(
            org=org,
            cmdb=cmdb,
            categories=categories,
            cases=cases,
            lives=lives,
            clock=clock,
            rng=random.Random(f"{seed}:knowledge"),
        )
        report.advance(step)
        step = report.task("Problems, known errors and their actions", 1)
        if tickets:
            load_problems(org=org, cmdb=cmdb, lives=lives, clock=clock)
        report.advance(step)
        if tickets:
            ratings_load(seed=seed)
            effort_load(seed=seed)
        step = report.task("Numbers for the dashboard", 1)
        access_rebuild()
        facts_rebuild()
        report.advance(step)
        documents_reindex()
    if tickets:
        _reference_logs(org, seed)
    return _summary(org, cases, time.monotonic() - started)


def _reference_logs(org: Org, seed: int) -> None:
    """Write the reference cases' logs into the data directory (demo-logs/) and attach the CRM
    database log to case (a) and the edge router log to case (b), read at once so the demo
    opens on an investigation; the ERP integration log is left for the visitor to attach to
    case (c)."""
    from django.core.files import File

    from backline.demo.logs import reference_times, write_reference_logs
    from backline.diagnostics.services import log_attach, log_process

    paths = write_reference_logs(
        Path(settings.DATA_DIR) / "demo-logs", reference_times(), seed=seed
    )
    for key, case, username in (
        ("a", reference.CRM, "tbecker"),
        ("b", reference.COLLABORATION, "smarquez"),
    ):
        ticket = Ticket.objects.filter(title=case.title).order_by("-created_at").first()
        if ticket is None:
            continue
        # A few minutes after the case's last step, as the engineer would have; never ahead.
        at = min(ticket.updated_at + timedelta(minutes=4), timezone.now())
        with paths[key].open("rb") as f:
            log = log_attach(
                actor=org.users[username],
                ticket=ticket,
                upload=File(f, name=paths[key].name),
                at=at,
            )
        log_process(log_id=log.pk)


# --- people and the CMDB --------------------------------------------------------------------


def _create_org(password: str) -> Org:
    org = Org()
    for name, tier, description in T.TEAMS:
        slug = name.lower().replace(" & ", "-").replace(" ", "-")
        org.teams[name] = team_create(
            name=name, tier=tier, description=description, email=f"{slug}@{T.DOMAIN}"
        )
    hashed = make_password(password)  # one hash for every demo login: Argon2 is slow on purpose
    everyone = [
        (T.MANAGER, Role.MANAGER),
        (T.ADMIN, Role.ADMIN),
        *((p, Role.AGENT) for p in T.STAFF),
        *((p, Role.REQUESTER) for p in T.REQUESTERS),
        (T.MONITORING, Role.REQUESTER),
    ]
    logins = []
    for person, role in everyone:
        existing = User.objects.filter(username="admin").first() if person is T.ADMIN else None
        if existing is not None:
            org.admin_existed = True  # `backline init` made one; keep it and its password
            user = existing
        else:
            local = f"{person.first}.{person.last}" if person.last else person.username
            email = (
                ""
                if person is T.MONITORING
                else (local.lower().replace(" ", "").replace("'", "") + f"@{T.DOMAIN}")
            )
            user = user_create(
                username=person.username,
                password=None,
                email=email,
                first_name=person.first,
                last_name=person.last,
                role=role,
                title=person.title,
                check_password=False,
            )
            if person is not T.MONITORING:
                logins.append(user.pk)
        org.users[person.username] = user
        org.people[user.pk] = person
        org.team_ids[user.pk] = set()
        for team_name, is_lead in person.teams:
            team = org.teams[team_name]
            team_add_member(team=team, user=user, is_lead=is_lead)
            org.members.setdefault(team_name, []).append((user, is_lead))
            org.team_ids[user.pk].add(team.pk)
    User.objects.filter(pk__in=logins).update(password=hashed)
    org.requesters = [org.users[p.username] for p in T.REQUESTERS]
    return org


def _create_cmdb(org: Org, clock: Clock, rng: random.Random) -> Cmdb:
    """The services, then the estate behind them (`estate.py`), recorded as loaded a fortnight
    before the history starts."""
    services = {
        name: service_create(
            name=name,
            description=description,
            owner_team=org.teams[owner],
            criticality=estate.SERVICE_CRITICALITY[name],
        )
        for name, owner, description in T.SERVICES
    }
    items = estate.create_estate(
        rng=rng,
        today=clock.local_anchor.date(),
        token_expiry=reference.case_days(clock.local_anchor)[1],
        services=services,
        teams=org.teams,
        at=clock.anchor - timedelta(days=HISTORY_DAYS + 14),
        insert=_insert,
    )
    return Cmdb(services, items)


# --- writing ----------------------------------------------------------------------------------


def _write(
    lives: list[Life],
    openings: list[tuple[datetime, Callable[[], None]]],
    advance: Callable[[int], None],
) -> None:
    """Insert history in batches, opening each reference case when its time comes.

    Ticket numbers follow creation time, so a reference case gets the number a ticket logged at
    that moment would have had.
    """
    pending = sorted(openings, key=lambda o: o[0])
    batch: list[Life] = []

    def flush() -> None:
        _insert(Ticket, [life.ticket for life in batch])
        _insert(Comment, [c for life in batch for c in life.comments])
        _insert(Escalation, [e.row for life in batch for e in life.escalations])
        _insert(Task, [t.row for life in batch for t in life.tasks])
        for life in batch:
            life.bind_ids()
        TicketEvent.objects.bulk_create(
            [e for life in batch for e in life.events], batch_size=_BATCH * 2
        )
        advance(len(batch))
        batch.clear()

    for life in lives:
        while pending and pending[0][0] <= life.ticket.created_at:
            flush()
            pending.pop(0)[1]()
        batch.append(life)
        if len(batch) >= _BATCH:
            flush()
    flush()
    for _, open_case in pending:
        open_case()


def _insert(model: type[Model], rows: list[Model]) -> None:
    """bulk_create that leaves every row with its primary key, which later rows refer to.

    PostgreSQL and SQLite >= 3.35 return the keys; elsewhere they are given explicitly, after the
    current maximum (a single writer holds the transaction, and SQLite's AUTOINCREMENT counter
    follows explicit keys).
    """
    if not rows:
        return
    db = router.db_for_write(model)
    connection = connections[db]
    if connection.features.can_return_rows_from_bulk_insert:
        model.objects.using(db).bulk_create(rows, batch_size=_BATCH * 2)
        return
    start = (model.objects.using(db).aggregate(top=Max("pk"))["top"] or 0) + 1
    for offset, row in enumerate(rows):
        row.pk = start + offset
    model.objects.using(db).bulk_create(rows, batch_size=_BATCH * 2)
    # Explicit keys do not move a PostgreSQL sequence; move it past them for later inserts.
    reset = connection.ops.sequence_reset_sql(no_style(), [model])
    if reset:
        with connection.cursor() as cursor:
            for sql in reset:
                cursor.execute(sql)


def _summary(org: Org, cases: reference.Cases, seconds: float) -> str:
    tickets = Ticket.objects.count()
    by_status = Counter(dict(Ticket.objects.values_list("status").annotate(n=Count("id"))))
    statuses = ", ".join(
        f"{by_status[s]:,} {Status(s).label.lower()}" for s in Status.values if by_status[s]
    )
    states = Counter(dict(Escalation.objects.values_list("state").annotate(n=Count("id"))))
    returned, waiting = states[EscalationState.RETURNED], states[EscalationState.PENDING]
    inbox = set(
        Escalation.objects.filter(state=EscalationState.PENDING).values_list("ticket", flat=True)
    )
    lines = [
        f"Loaded the Hartwell Supply demo in {seconds:.1f} s: {len(org.teams)} teams, "
        f"{User.objects.count()} users, {Service.objects.count()} services, "
        f"{ConfigurationItem.objects.count()} configuration items.",
        f"{tickets:,} tickets ({statuses}), {TicketEvent.objects.count():,} events, "
        f"{Comment.objects.count():,} comments.",
        f"{Escalation.objects.count():,} escalations ({returned:,} returned, {waiting:,} waiting "
        f"for acceptance), {Task.objects.count():,} collaboration tasks.",
        "Open reference cases:",
        *(
            f"  {t.number} {t.title} ({t.team}, P{t.priority}"
            f"{', waiting in the inbox' if t.pk in inbox else ''})"
            for t in cases.tickets()
        ),
    ]
    if org.admin_existed:
        lines.append("The existing 'admin' user was kept with its password.")
    return "\n".join(lines)


class _Reporter:
    """Progress bars on stderr with rich, or nothing at all."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.progress: Progress | None = None

    def __enter__(self) -> _Reporter:
        if self.enabled:
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

            self.progress = Progress(
                "[progress.description]{task.description}",
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=Console(stderr=True),
            )
            self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.progress is not None:
            self.progress.stop()

    def task(self, description: str, total: int) -> TaskID | None:
        return self.progress.add_task(description, total=total) if self.progress else None

    def advance(self, task: TaskID | None, n: int = 1) -> None:
        if self.progress is not None and task is not None:
            self.progress.advance(task, n)
