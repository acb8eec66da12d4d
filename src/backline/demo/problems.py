"""Problems, known errors and their actions, worked through the problems services in the past.

Written after the history, the changes and the knowledge base (each call with `at=`), so every
event, link and state change is dated when it happened:

- PRB "Nightly ERP stock export fails with lock timeouts" (planted `erp_stock_export`, two to
  three months ago): full RCA (timeline with ticket events and the fixing change, 5 whys, factors
  in three categories, root cause and cause code), corrective action done with a CHG, preventive
  done, resolved and closed as "recurrence stopped"; its known error retired.
- PRB "Product feed for price comparison sites comes out empty" (planted `product_feed`):
  resolved six days ago after a pipeline change and under verification; known error published.
- PRB "Blank shipping labels from the Leipzig label printer" (planted `leipzig_labels`): fix in
  progress; Tom Becker's corrective action is overdue, linked to a planned firmware change and an
  engineering ticket; known error published.
- PRB "Database volumes fill up when WAL archiving fails" (history `db_disk` alerts): root cause
  known; Carla Mendes's corrective action is overdue; known error published.
- PRB "CRM report export times out every week" (the history's `crm_export` tickets, the earlier
  related incidents of reference case (a)): under investigation. It records only what the export
  tickets themselves say; the cause of case (a) is for the L2 engineer to find.
- PRB "Second monitor stays black on docking stations" (history `dock` tickets): new.
- Standalone known errors: Outlook search after the 2408 update (matches the open planted
  `outlook_search` ticket) and the BitLocker recovery prompt after BIOS updates.

The planted groups `vpn_0900`, `outlook_search` and `scanner_session` stay unlinked: the
recurring-incident detection is to propose them.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta

from backline.accounts.models import User
from backline.changes.choices import ChangeKind, ChangeSource, ChangeState, Risk
from backline.changes.models import Change
from backline.changes.services import change_create
from backline.demo import planted
from backline.demo import text as T
from backline.demo.history import Clock, Cmdb, Life, Org
from backline.problems import known_errors as ke
from backline.problems import services as s
from backline.problems.choices import ActionKind, Closure
from backline.problems.models import Action, FactorCategory, KnownError, Problem
from backline.tickets.choices import EventKind
from backline.tickets.models import Ticket, TicketEvent, TicketWatcher

# The people who run problems in the demo (owners and RCA authors below).
PROBLEM_TEAM = ("cmendes", "fhaddad", "smarquez", "sosei", "tbecker")


class _Loader:
    def __init__(self, org: Org, cmdb: Cmdb, lives: Sequence[Life], clock: Clock) -> None:
        self.org, self.cmdb, self.clock = org, cmdb, clock
        self.lives = lives
        self.anchor = clock.anchor
        self.today = clock.local_anchor.date()
        self.factors = {c.slug: c for c in FactorCategory.objects.all()}

    # -- helpers

    def u(self, username: str) -> User:
        return self.org.user(username)

    def at(self, days: float, hhmm: str = "") -> datetime:
        """`days` before the anchor; with `hhmm`, at that local time on a weekday then."""
        if not hhmm:
            return self.anchor - timedelta(days=days)
        day = self.today - timedelta(days=int(days))
        while day.weekday() >= 5:
            day -= timedelta(days=1)
        return min(self.clock.to_utc(self.clock.local(day, hhmm)), self.anchor - timedelta(hours=1))

    def due(self, days: int) -> date:
        return self.today + timedelta(days=days)

    def group(self, key: str) -> list[Ticket]:
        found = [
            life.ticket for life in self.lives if life.events[0].data.get(planted.MARKER) == key
        ]
        return self.followed(sorted(found, key=lambda t: t.created_at))

    def followed(self, tickets: list[Ticket]) -> list[Ticket]:
        """The problem engineers watch the incidents they investigate: that is what lets them see
        (and link) tickets other teams handled (docs/security.md)."""
        rows = [
            TicketWatcher(ticket=t, user=self.u(name)) for t in tickets for name in PROBLEM_TEAM
        ]
        TicketWatcher.objects.bulk_create(rows, ignore_conflicts=True)
        return tickets

    def kind(self, key: str, *, within: float, before: float = 0, limit: int = 6) -> list[Ticket]:
        """Up to `limit` history tickets of a text.INCIDENTS kind created in the window, newest."""
        lo, hi = self.at(within), self.at(before)
        found = [
            life.ticket
            for life in self.lives
            if life.incident_key == key and lo <= life.ticket.created_at <= hi
        ]
        return self.followed(sorted(found, key=lambda t: t.created_at)[-limit:])

    def link_as_they_come(self, problem: Problem, tickets: list[Ticket], actor: User) -> None:
        """Tickets after the problem's creation are linked a few hours after they arrived."""
        for t in tickets:
            if t.created_at > problem.created_at:
                when = min(t.created_at + timedelta(hours=3), self.anchor - timedelta(minutes=30))
                s.problem_link_incidents(actor=actor, problem=problem, tickets=[t], at=when)

    @staticmethod
    def created_event(ticket: Ticket) -> TicketEvent:
        return TicketEvent.objects.get(ticket=ticket, kind=EventKind.CREATED)

    @staticmethod
    def last_event(ticket: Ticket) -> TicketEvent | None:
        return TicketEvent.objects.filter(ticket=ticket).order_by("-at", "-id").first()

    def rca(
        self,
        problem: Problem,
        actor: User,
        when: datetime,
        whys: list[str],
        factors: list[tuple[str, str]],
        root_cause: str = "",
        cause_code: str = "",
    ) -> Problem:
        if whys:
            problem = s.whys_set(actor=actor, problem=problem, whys=whys, at=when)
        for slug, text in factors:
            s.factor_add(
                actor=actor, problem=problem, category=self.factors[slug], text=text, at=when
            )
        if root_cause:
            problem = s.root_cause_set(
                actor=actor, problem=problem, root_cause=root_cause, cause_code=cause_code,
                at=when,
            )  # fmt: skip
        return problem

    def move(
        self,
        problem: Problem,
        actor: User,
        action: str,
        when: datetime,
        *,
        closure: str = "",
        note: str = "",
    ) -> Problem:
        return s.problem_transition(
            actor=actor, problem=problem, action=action, closure=closure, note=note, at=when
        )

    def done(self, action: Action, actor: User, when: datetime) -> Action:
        action = s.action_transition(actor=actor, action=action, step="start", at=when)
        return s.action_transition(
            actor=actor, action=action, step="done", at=when + timedelta(hours=2)
        )

    def change_done(
        self, actor: User, title: str, cis: list[str], team: str, start: datetime
    ) -> Change:
        return change_create(
            actor=actor,
            title=title,
            description=f"{title}. Owner: {team}.",
            kind=ChangeKind.STANDARD,
            risk=Risk.LOW,
            cis=[self.cmdb.items[name] for name in cis],
            implementer_team=self.org.teams[team],
            actual_start=start,
            actual_end=start + timedelta(minutes=40),
            backout_plan="Restore the previous version (snapshot taken before the change).",
            source=ChangeSource.MANUAL,
            state=ChangeState.DONE,
            at=start,
        )

    def known_error(
        self,
        actor: User,
        when: datetime,
        *,
        problem: Problem | None,
        title: str,
        symptoms: str,
        workaround: str,
        services: Sequence[str] = (),
        cis: Sequence[str] = (),
        publish: bool = True,
    ) -> KnownError:
        found = ke.known_error_create(
            actor=actor,
            problem=problem,
            title=title,
            symptoms=symptoms,
            workaround=workaround,
            services=[self.cmdb.services[n] for n in services],
            cis=[self.cmdb.items[n] for n in cis],
            at=when,
        )
        if publish:
            found = ke.known_error_publish(
                actor=actor, known_error=found, at=when + timedelta(minutes=20)
            )
        return found

    # -- the problems

    def stock_export(self) -> Problem | None:
        """Closed: recurrence stopped, after the export was moved out of the backup window."""
        tickets = self.group("erp_stock_export")
        if len(tickets) < 3:
            return None
        cm, tb = self.u("cmendes"), self.u("tbecker")
        opened = tickets[2].created_at + timedelta(hours=5)
        p = s.problem_create(
            actor=cm,
            title="Nightly ERP stock export fails with lock timeouts",
            statement="The nightly ERP stock export to the web shop on erp-batch-01 fails about "
            "once a week with 'lock request time out period exceeded' at about 02:14; the shop "
            "then sells with yesterday's stock levels until someone re-runs the export.",
            priority=2,
            team=self.org.teams[T.DB],
            services=[self.cmdb.services["ERP"], self.cmdb.services["eCommerce"]],
            cis=[self.cmdb.items["erp-batch-01"], self.cmdb.items["erp-db-01"]],
            tickets=tickets[:3],
            at=opened,
        )
        self.link_as_they_come(p, tickets, cm)
        p = self.move(p, cm, "investigate", opened + timedelta(minutes=30))
        ke_stock = self.known_error(
            cm, opened + timedelta(hours=3), problem=p,
            title="Nightly ERP stock export fails with a lock timeout",
            symptoms="Stock levels in the web shop are not updated overnight; the ERP stock "
            "export job on erp-batch-01 ends with 'lock request time out period exceeded'.",
            workaround="Re-run the stock export on erp-batch-01 (job scheduler > ERP stock "
            "export > Run now) after 03:00, when the ERP database backup has finished; the shop "
            "shows current stock levels ten minutes later.",
            services=["ERP"], cis=["erp-batch-01"],
        )  # fmt: skip
        first, third = tickets[0], tickets[2]
        s.timeline_entry_add(
            actor=cm, problem=p, happened_at=first.created_at,
            text="First reported failure: the stock export ended with a lock timeout at 02:14.",
            ticket_event=self.created_event(first), at=opened + timedelta(hours=1),
        )  # fmt: skip
        s.timeline_entry_add(
            actor=cm, problem=p, happened_at=third.created_at,
            text="Third failure in three weeks, again at 02:14: the export waits on locks held "
            "by the nightly ERP database backup (backup log 02:00-02:58).",
            ticket_event=self.created_event(third), at=opened + timedelta(hours=2),
        )  # fmt: skip
        found = max(opened + timedelta(days=12), tickets[-1].created_at + timedelta(days=1))
        p = self.rca(
            p, cm, found,
            whys=[
                "The web shop showed yesterday's stock levels because the nightly ERP stock "
                "export failed.",
                "The export failed with a lock timeout while reading the stock table.",
                "The stock table was locked by the nightly ERP database backup, which runs from "
                "02:00 to about 03:00.",
                "The export was scheduled at 02:00 too; the backup has grown with the database "
                "and overlaps the export since spring.",
                "Batch jobs on erp-batch-01 and database backups are scheduled by different "
                "teams with no shared job calendar and no dependency between the jobs.",
            ],
            factors=[
                ("process", "Batch job schedules (Application Support) and database backups "
                 "(Database) are planned separately; nobody saw both at 02:00."),
                ("technology", "The export job has no retry and no alert on failure: each failure "
                 "was noticed by the shop team in the morning."),
                ("environment", "The ERP database grew about 30% since January, so the backup "
                 "window grew into the export's slot."),
            ],
            root_cause="The nightly ERP stock export and the ERP database backup both started at "
            "02:00. As the database grew, the backup held locks on the stock table while the "
            "export read it, and the export aborted with a lock timeout. Nothing made the export "
            "wait for the backup.",
            cause_code="configuration",
        )  # fmt: skip
        p = self.move(p, cm, "root_cause_known", found + timedelta(minutes=10))
        fixed = found + timedelta(days=3)
        change = self.change_done(
            tb, "Reschedule the nightly ERP stock export to 04:30, after the ERP backup",
            ["erp-batch-01"], T.AS, fixed,
        )  # fmt: skip
        corrective = s.action_create(
            actor=cm, problem=p, title="Move the stock export after the ERP backup and make it "
            "wait for the backup job", owner=tb, team=self.org.teams[T.AS],
            due_date=fixed.date() + timedelta(days=2), change=change,
            at=found + timedelta(minutes=30),
        )  # fmt: skip
        preventive = s.action_create(
            actor=cm, problem=p, kind=ActionKind.PREVENTIVE,
            title="Alert Application Support when the stock export has not finished by 05:30",
            owner=cm, team=self.org.teams[T.DB], due_date=fixed.date() + timedelta(days=10),
            at=found + timedelta(minutes=35),
        )  # fmt: skip
        p = self.move(p, cm, "start_fix", found + timedelta(hours=1))
        self.done(corrective, tb, fixed)
        s.timeline_entry_add(
            actor=cm, problem=p, happened_at=fixed,
            text=f"{change.number}: the stock export now runs at 04:30 and waits for the backup.",
            change=change, at=fixed + timedelta(hours=3),
        )  # fmt: skip
        resolved = fixed + timedelta(hours=4)
        p = self.move(p, cm, "resolve", resolved)
        self.done(preventive, cm, fixed + timedelta(days=6))
        closed = resolved + timedelta(days=p.verify_days, hours=1)
        p = self.move(
            p, cm, "close", closed, closure=Closure.RECURRENCE_STOPPED,
            note="No stock export failure in the 30 days since the fix.",
        )  # fmt: skip
        ke.known_error_retire(actor=cm, known_error=ke_stock, at=closed + timedelta(minutes=5))
        return p

    def product_feed(self) -> Problem | None:
        """Resolved six days ago, watched for recurrence."""
        tickets = self.group("product_feed")
        if len(tickets) < 3:
            return None
        tb, so = self.u("tbecker"), self.u("sosei")
        opened = tickets[2].created_at + timedelta(hours=3)
        p = s.problem_create(
            actor=tb,
            title="Product feed for price comparison sites comes out empty",
            statement="About once a week the nightly shop product feed export writes an empty "
            "feed file; the price comparison portals then delist all our products until the "
            "next complete feed.",
            priority=2,
            owner=tb,
            team=self.org.teams[T.AS],
            services=[self.cmdb.services["eCommerce"]],
            cis=[self.cmdb.items["Shop product feed export"], self.cmdb.items["k8s-prod"]],
            tickets=tickets[:3],
            at=opened,
        )
        self.link_as_they_come(p, tickets, tb)
        p = self.move(p, tb, "investigate", opened + timedelta(minutes=40))
        for t, text in (
            (tickets[0], "First empty feed reported by eCommerce: 0-byte feed file."),
            (tickets[2], "Third empty feed: the export pod was OOM-killed halfway (k8s events)."),
        ):
            s.timeline_entry_add(
                actor=tb, problem=p, happened_at=t.created_at, text=text,
                ticket_event=self.created_event(t), at=opened + timedelta(hours=1),
            )  # fmt: skip
        found = tickets[-1].created_at + timedelta(days=1)
        p = self.rca(
            p, tb, found,
            whys=[
                "The portals delisted our products because the product feed file was empty.",
                "The feed file was empty because the export pod was killed before it finished "
                "writing.",
                "The pod was OOM-killed: it builds the whole feed in memory and the catalogue "
                "grew past 40,000 products in the spring range change.",
                "Its memory limit (512 MiB) was set when the catalogue had 15,000 products and "
                "was never reviewed.",
                "The export writes the file in place, so a killed run leaves an empty feed "
                "instead of yesterday's complete one.",
            ],
            factors=[
                ("technology", "The export holds the whole feed in memory and writes the target "
                 "file in place."),
                ("process", "Resource limits of batch jobs on k8s-prod are not reviewed when "
                 "the data behind them grows."),
                ("environment", "The spring range change added about 12,000 products at once."),
            ],
            root_cause="The shop product feed export builds the whole feed in memory; since the "
            "catalogue grew past 40,000 products it exceeds its 512 MiB limit on k8s-prod, is "
            "OOM-killed and leaves the feed file it writes in place empty.",
            cause_code="capacity",
        )  # fmt: skip
        self.known_error(
            tb, found + timedelta(minutes=30), problem=p,
            title="Product feed for price comparison sites is empty",
            symptoms="The price comparison portals show none of our products; the shop product "
            "feed export left an empty feed file (0 bytes).",
            workaround="Re-run the product feed export (k8s-prod, job 'shop-product-feed') "
            "outside peak hours; the portals pick up the complete feed within two hours.",
            services=["eCommerce"], cis=["Shop product feed export"],
        )  # fmt: skip
        p = self.move(p, tb, "root_cause_known", found + timedelta(hours=1))
        corrective = s.action_create(
            actor=tb, problem=p, title="Stream the feed to a temporary file, swap it in when "
            "complete, and raise the memory limit to 1 GiB", owner=so,
            team=self.org.teams[T.ENG], due_date=self.due(-6), at=found + timedelta(hours=2),
        )  # fmt: skip
        s.action_create(
            actor=tb, problem=p, kind=ActionKind.PREVENTIVE,
            title="Review memory limits of the k8s-prod batch jobs every quarter",
            owner=self.u("cmendes"), team=self.org.teams[T.OPS], due_date=self.due(40),
            at=found + timedelta(hours=2, minutes=5),
        )  # fmt: skip
        p = self.move(p, tb, "start_fix", found + timedelta(days=1))
        fixed = self.at(7, "10:00")
        change = change_create(
            actor=so,
            title="Deploy Shop product feed export 2025.3.1 (streamed feed, 1 GiB limit)",
            description="Streams the feed to a temporary file and swaps it in when complete. "
            "Owner: Engineering.",
            kind=ChangeKind.STANDARD,
            risk=Risk.LOW,
            cis=[self.cmdb.items["Shop product feed export"]],
            implementer_team=self.org.teams[T.ENG],
            actual_start=fixed,
            actual_end=fixed + timedelta(minutes=12),
            source=ChangeSource.PIPELINE,
            external_ref="gitlab.hartwell.local/ecommerce/shop-product-feed-export/-/pipelines/18412",
            state=ChangeState.DONE,
            at=fixed,
        )
        corrective = s.action_update(
            actor=so, action=corrective, change=change, at=fixed + timedelta(minutes=20)
        )
        self.done(corrective, so, fixed + timedelta(minutes=30))
        s.timeline_entry_add(
            actor=tb, problem=p, happened_at=fixed,
            text=f"{change.number} deployed: the feed is streamed and swapped in when complete.",
            change=change, at=fixed + timedelta(hours=3),
        )  # fmt: skip
        return self.move(p, tb, "resolve", self.at(6, "09:30"))

    def labels(self) -> Problem | None:
        """Fix in progress; the corrective action is overdue (Tom Becker)."""
        tickets = self.group("leipzig_labels")
        if len(tickets) < 3:
            return None
        tb, fh = self.u("tbecker"), self.u("fhaddad")
        opened = tickets[2].created_at + timedelta(hours=4)
        p = s.problem_create(
            actor=fh,
            title="Blank shipping labels from the Leipzig label printer",
            statement="The shipping label printer PRN-LEJ-1F-02 at the Leipzig dock feeds blank "
            "labels for carrier shipments about once a week; test pages and other jobs print. "
            "Parcels wait until the labels are reprinted.",
            priority=2,
            owner=tb,
            team=self.org.teams[T.AS],
            services=[self.cmdb.services["File & Print"]],
            cis=[self.cmdb.items["PRN-LEJ-1F-02"], self.cmdb.items["Carrier label API"]],
            tickets=tickets[:3],
            at=opened,
        )
        self.link_as_they_come(p, tickets, fh)
        p = self.move(p, tb, "investigate", opened + timedelta(hours=1))
        for t, text in (
            (tickets[0], "First blank labels reported at the Leipzig dock."),
            (tickets[2], "Third time: the printer receives the jobs from the carrier label API "
             "and renders nothing; the test page prints."),
        ):  # fmt: skip
            s.timeline_entry_add(
                actor=tb, problem=p, happened_at=t.created_at, text=text,
                ticket_event=self.created_event(t), at=opened + timedelta(hours=2),
            )  # fmt: skip
        found = opened + timedelta(days=6)
        p = self.rca(
            p, tb, found,
            whys=[
                "The labels come out blank because the printer cannot render the label jobs.",
                "The jobs from the carrier label API use a scalable font (ZPL font 0) for the "
                "address block.",
                "The carrier switched its label API to the new label layout for some services "
                "and announced it only in the developer portal.",
                "The printer's firmware V7.3 lacks the font and silently prints nothing.",
            ],
            factors=[
                ("vendor", "The carrier changed the label layout without notice to customers."),
                ("technology", "Printer firmware V7.3 renders unknown fonts as blank instead of "
                 "failing the job."),
                ("process", "Nobody at Hartwell follows the carrier's API change notices."),
            ],
            root_cause="The carrier label API sends labels for some services with a scalable "
            "font that firmware V7.3 of the Leipzig label printer cannot render, so those "
            "labels print blank.",
            cause_code="third_party",
        )  # fmt: skip
        p = self.move(p, tb, "root_cause_known", found + timedelta(minutes=15))
        self.known_error(
            tb, found + timedelta(hours=1), problem=p,
            title="Blank shipping labels from the Leipzig label printer",
            symptoms="The label printer at the Leipzig dock feeds blank shipping labels for "
            "carrier parcels; the test page and other jobs print normally.",
            workaround="Reprint the blank labels from the carrier portal as PDF (Shipments > "
            "Reprint > PDF) on the dock's office printer and stick them on the parcels.",
            services=["File & Print"], cis=["PRN-LEJ-1F-02"],
        )  # fmt: skip
        start = self.clock.to_utc(self.clock.local(self.today + timedelta(days=3), "19:00"))
        change = change_create(
            actor=fh,
            title="Firmware update of the Leipzig label printer PRN-LEJ-1F-02 to V8.1",
            description="V8.1 renders the carrier's scalable label fonts. Owner: Network & "
            "Infrastructure.",
            kind=ChangeKind.NORMAL,
            risk=Risk.MEDIUM,
            cis=[self.cmdb.items["PRN-LEJ-1F-02"]],
            implementer_team=self.org.teams[T.NI],
            planned_start=start,
            planned_end=start + timedelta(hours=1),
            backout_plan="Flash firmware V7.3 again (image kept on print-srv-01).",
            at=found + timedelta(days=2),
        )
        s.action_create(
            actor=tb, problem=p,
            title="Update the label printer firmware and request labels with resident fonts",
            description="Firmware V8.1 in the planned change; the label API requests switch to "
            "resident fonts in the integration (engineering ticket).",
            owner=tb, team=self.org.teams[T.AS], due_date=self.due(-5), change=change,
            external_ref="https://jira.hartwell.local/browse/ENG-2481",
            at=found + timedelta(hours=2),
        )  # fmt: skip
        s.action_create(
            actor=tb, problem=p, kind=ActionKind.PREVENTIVE,
            title="Subscribe Application Support to the carrier's API change notices",
            owner=fh, team=self.org.teams[T.NI], due_date=self.due(20),
            at=found + timedelta(hours=2, minutes=5),
        )  # fmt: skip
        return self.move(p, tb, "start_fix", found + timedelta(days=2, hours=1))

    def db_disk(self) -> Problem:
        """Root cause known; the corrective action is overdue (Carla Mendes)."""
        cm = self.u("cmendes")
        tickets = self.kind("db_disk", within=120, before=10)
        opened = self.at(25, "09:15")
        p = s.problem_create(
            actor=cm,
            title="Database volumes fill up when WAL archiving fails",
            statement="Disk usage alerts above 90% on the PostgreSQL hosts come back every few "
            "weeks: the WAL archive is not cleaned up while the backup job fails.",
            priority=2,
            team=self.org.teams[T.DB],
            tickets=[t for t in tickets if t.created_at < opened],
            at=opened,
        )
        self.link_as_they_come(p, tickets, cm)
        p = self.move(p, cm, "investigate", opened + timedelta(minutes=20))
        for t in tickets[-2:]:
            s.timeline_entry_add(
                actor=cm, problem=p, happened_at=t.created_at,
                text=f"Disk alert on {t.ci.name if t.ci else 'a database host'}: WAL files kept "
                "since the backup job started failing.", ticket_event=self.created_event(t),
                at=opened + timedelta(hours=1),
            )  # fmt: skip
        found = self.at(12, "15:00")
        p = self.rca(
            p, cm, found,
            whys=[
                "The data volume fills up because WAL files are kept.",
                "PostgreSQL keeps WAL files until the archive job has copied them.",
                "The archive job fails when it cannot sign in to the backup store.",
                "The backup store credential expires every 90 days and is rotated by hand.",
                "The rotation is not in any calendar or alert, so it is forgotten.",
            ],
            factors=[
                ("process", "Credential rotation for the backup store is a manual task with no "
                 "owner or reminder."),
                ("technology", "A failing archive job raises no alert; only the disk alert "
                 "shows it days later."),
                ("people", "The DBA who rotated it last left the team in spring."),
            ],
            root_cause="The backup store credential of the WAL archive job expires every 90 days "
            "and is rotated by hand; when it lapses the archive job fails, PostgreSQL keeps "
            "every WAL file and the data volume fills up.",
            cause_code="credentials",
        )  # fmt: skip
        p = self.move(p, cm, "root_cause_known", found + timedelta(minutes=30))
        self.known_error(
            cm, found + timedelta(hours=1), problem=p,
            title="Disk usage alert on a database host: WAL archive not cleaned up",
            symptoms="Disk usage above 90% on a PostgreSQL host's data volume, growing a few "
            "percent a day; the WAL archive job log shows authentication failures.",
            workaround="Renew the backup store credential in the vault, re-run the archive job, "
            "then let PostgreSQL remove the archived WAL files (checkpoint). Do not delete WAL "
            "files by hand.",
            cis=sorted({t.ci.name for t in tickets if t.ci is not None}),
        )  # fmt: skip
        s.action_create(
            actor=cm, problem=p,
            title="Move the backup store credential to automatic rotation with an expiry alert",
            owner=cm, team=self.org.teams[T.DB], due_date=self.due(-3),
            external_ref="OPS-318", at=found + timedelta(hours=2),
        )  # fmt: skip
        return p

    def crm_export(self) -> Problem | None:
        """Under investigation: the weekly export timeouts (what their tickets say, no more)."""
        tickets = [t for t in self.group(planted.CRM_EXPORT) if t.created_at < self.at(3)]
        if len(tickets) < 2:
            return None
        tb = self.u("tbecker")
        opened = tickets[-1].created_at - timedelta(days=2) if len(tickets) > 3 else self.at(9)
        opened = max(opened, tickets[1].created_at + timedelta(hours=6))
        p = s.problem_create(
            actor=tb,
            title="CRM report export times out every week",
            statement="Exports of the larger CRM reports to Excel stop after about two minutes "
            "with 'Gateway timeout (504)', about once a week, mostly on Monday mornings before "
            "the sales meeting. Splitting the export by month works.",
            priority=3,
            team=self.org.teams[T.AS],
            services=[self.cmdb.services["CRM"]],
            cis=[self.cmdb.items["CRM reporting service"]],
            tickets=[t for t in tickets if t.created_at < opened],
            at=opened,
        )
        self.link_as_they_come(p, tickets, tb)
        p = self.move(p, tb, "investigate", opened + timedelta(hours=1))
        for t, text in (
            (tickets[0], "Earliest export timeout on record (504 after about two minutes)."),
            (tickets[-1], "Latest export timeout: a full quarter still fails, one month works."),
        ):
            s.timeline_entry_add(
                actor=tb, problem=p, happened_at=t.created_at, text=text,
                ticket_event=self.created_event(t), at=opened + timedelta(hours=2),
            )  # fmt: skip
        self.rca(
            p, tb, opened + timedelta(hours=3),
            whys=["The export fails because the request runs into the 120 s gateway timeout."],
            factors=[
                ("process", "The export tickets were worked one by one with a workaround; "
                 "nobody looked at them together until now."),
            ],
        )  # fmt: skip
        self.known_error(
            tb, opened + timedelta(hours=4), problem=p,
            title="CRM report export times out",
            symptoms="Exporting a large CRM report to Excel ends after about two minutes with "
            "'Gateway timeout (504)'; smaller date ranges work.",
            workaround="Export one month at a time, or schedule the report to run at 06:00 and "
            "email the result.",
            cis=["CRM reporting service"], publish=False,
        )  # fmt: skip
        return p

    def docking(self) -> Problem:
        """New: the Service Desk suspects a pattern."""
        sm = self.u("smarquez")
        tickets = self.kind("dock", within=30, limit=3)
        return s.problem_create(
            actor=sm,
            title="Second monitor stays black on docking stations",
            statement="Several users a month: the second monitor on the docking station stays "
            "black; a firmware update or a new cable fixes it. Worth a look at the dock "
            "firmware in the laptop image?",
            priority=4,
            team=self.org.teams[T.SD],
            services=[self.cmdb.services["Workplace Devices"]],
            tickets=tickets,
            at=self.at(1, "11:40"),
        )

    def standalone(self) -> None:
        hc, tb = self.u(T.MANAGER.username), self.u("tbecker")
        self.known_error(
            tb, self.at(5, "14:00"), problem=None,
            title="Outlook search returns no results after the 2408 update",
            symptoms="After the Office update 2408 Outlook search returns no results, also for "
            "mails that are in the inbox; search in Outlook on the web works.",
            workaround="Rebuild the search index: Windows Settings > Search > Indexing options "
            "> Advanced > Rebuild (or Outlook > Search tools > Indexing status). Search works "
            "again once indexing has finished, usually within an hour.",
            services=["Email"], cis=["Standard laptop image"],
        )  # fmt: skip
        self.known_error(
            hc, self.at(50, "10:00"), problem=None,
            title="BitLocker recovery screen after a BIOS update",
            symptoms="The laptop shows the BitLocker recovery screen and asks for the recovery "
            "key after a BIOS or firmware update.",
            workaround="Look up the recovery key in the device portal (Devices > the laptop's "
            "name > BitLocker keys), read it to the user, then suspend and resume BitLocker "
            "protection so the next start does not ask again.",
            services=["Workplace Devices"], cis=["Standard laptop image"],
        )  # fmt: skip


def load_problems(*, org: Org, cmdb: Cmdb, lives: Sequence[Life], clock: Clock) -> None:
    """Write the demo problems and known errors (after history, changes and knowledge)."""
    loader = _Loader(org, cmdb, lives, clock)
    loader.standalone()
    loader.stock_export()
    loader.db_disk()
    loader.product_feed()
    loader.labels()
    loader.crm_export()
    loader.docking()
