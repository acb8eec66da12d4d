"""Six months of changes at Hartwell Supply, the incidents some of them caused, and the changes
around the reference cases.

- About 200 changes: monthly patch waves and routine work (standard, from the configuration
  tool), deployments from the CI/CD pipelines (standard, `source=pipeline` with the pipeline run
  as `external_ref`), releases and configuration work approved by the support manager
  (normal), a few emergency fixes approved afterwards, some failed or rolled back, a few
  cancelled and some planned for the coming fortnight.
- Some changes went wrong: each is placed a few hours before a history ticket on its CI (or on
  a CI that relies on it) and linked to that ticket and to the tickets that followed it on the
  same CIs within three days, mostly as the confirmed cause, some only suspected, so that about
  6 % of the tickets are change-induced (`changes.queries.change_induced_rate`).
- Reference case (a): "Tune CRM database parameters (work_mem, statement_timeout)" on
  "crm-db-01 configuration" the evening before, a CRM front-end deployment on crm-app-02 about
  40 h before, an unrelated patch of hr-web-01 that morning and an index maintenance on
  crm-db-01 four days before (outside the 72 h window). Not linked: the L2 engineer finds it.
- Reference case (b): the QoS policy rework on the edge routers the evening before.
- Reference case (c): no change at all (the token expired). No other change touches the CIs
  behind the three cases in their last nine days.

Rows are bulk-inserted in the shapes `changes.services` writes (`change_create`,
`change_transition`, `ticket_change_link`): the change, its CIs, one `ChangeEvent` per step with
the same data, the `TicketChangeLink` and the `change_linked` ticket event.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.db.models import Model

from backline.accounts.models import Team, User
from backline.changes.choices import (
    CauseKind,
    ChangeEventKind,
    ChangeKind,
    ChangeSource,
    ChangeState,
    Risk,
)
from backline.changes.models import Change, ChangeEvent, TicketChangeLink
from backline.changes.queries import ticket_context
from backline.cmdb.models import ConfigurationItem, Dependency
from backline.demo import text as T
from backline.demo.history import HISTORY_DAYS
from backline.tickets.choices import EventKind
from backline.tickets.models import Ticket, TicketEvent

if TYPE_CHECKING:
    from backline.demo.history import Clock, Cmdb, Life, Org
    from backline.demo.reference import Cases

S, K, R, SRC = ChangeState, ChangeKind, Risk, ChangeSource
CHANGES = 205  # history changes, before the reference and planned ones
INDUCED_SHARE = 0.06  # tickets with a confirmed cause change
QUIET_DAYS = 9  # no change touches the reference cases' CIs in their last days
# Incident kinds a change can plausibly cause (not lockouts, how-tos, phishing…).
INDUCIBLE = {
    "mfa",
    "sso",
    "crm_slow",
    "crm_addin",
    "erp_error",
    "erp_down",
    "hr_portal",
    "shop_backoffice",
    "shop_checkout",
    "office_app",
    "db_replication",
    "dwh_etl",
    "dwh_numbers",
    "db_deadlock",
    "backup",
    "mail_external",
    "email_down",
    "meeting_av",
    "call_drops",
    "printer",
    "phone",
    "shop_erp",
    "edi",
    "hr_sync",
    "vpn",
    "wifi",
    "wan_down",
    "network_slow",
    "partner_access",
    "switch_alert",
    "drive",
    "laptop",
}
_VERSIONS = ("2.4.1", "3.1.0", "4.2.3", "5.0.2", "2025.2.4", "2025.3.1", "7.1.3")
# CI type → [(title, kind, risk, source)]; {name}, {v} and {n} are filled in.
TEMPLATES: dict[str, list[tuple[str, str, str, str]]] = {
    "server": [
        ("Monthly OS patches on {name}", K.STANDARD, R.LOW, SRC.TOOL),
        ("Kernel update and reboot of {name}", K.STANDARD, R.LOW, SRC.TOOL),
        ("Add memory to {name} ({n} GB)", K.NORMAL, R.LOW, SRC.MANUAL),
    ],
    "application": [
        ("Deploy {name} {v}", K.STANDARD, R.LOW, SRC.PIPELINE),
        ("Deploy {name} {v}", K.STANDARD, R.MEDIUM, SRC.PIPELINE),
        ("Release {name} {v} (quarterly release)", K.NORMAL, R.MEDIUM, SRC.MANUAL),
    ],
    "database": [
        ("Minor version upgrade of {name}", K.NORMAL, R.MEDIUM, SRC.MANUAL),
        ("Index maintenance on {name}", K.STANDARD, R.LOW, SRC.TOOL),
    ],
    "configuration": [("Update {name}", K.NORMAL, R.MEDIUM, SRC.TOOL)],
    "router": [("Firmware upgrade of {name}", K.NORMAL, R.MEDIUM, SRC.MANUAL)],
    "switch": [
        ("Firmware upgrade of {name}", K.NORMAL, R.MEDIUM, SRC.MANUAL),
        ("VLAN change on {name}", K.STANDARD, R.LOW, SRC.TOOL),
    ],
    "firewall": [
        ("Firewall rule change on {name} (partner access)", K.STANDARD, R.LOW, SRC.TOOL),
        ("PAN-OS update on {name}", K.NORMAL, R.HIGH, SRC.MANUAL),
    ],
    "network-link": [("Carrier maintenance on {name}", K.NORMAL, R.MEDIUM, SRC.MANUAL)],
    "network": [("Add VLAN and SSID profile to {name}", K.STANDARD, R.LOW, SRC.TOOL)],
    "integration": [("Deploy new mapping version of {name}", K.STANDARD, R.LOW, SRC.PIPELINE)],
    "certificate": [("Renew {name}", K.STANDARD, R.LOW, SRC.MANUAL)],
    "credential": [("Rotate {name}", K.STANDARD, R.LOW, SRC.MANUAL)],
    "platform": [
        ("Upgrade {name} to the next minor version", K.NORMAL, R.HIGH, SRC.MANUAL),
        ("Scale out {name}", K.STANDARD, R.LOW, SRC.PIPELINE),
    ],
    "cloud-tenant": [("Tenant policy change in {name}", K.NORMAL, R.MEDIUM, SRC.MANUAL)],
    "cloud-resource": [("Apply infrastructure plan to {name}", K.STANDARD, R.LOW, SRC.PIPELINE)],
    "batch-job": [("Change schedule of {name}", K.STANDARD, R.LOW, SRC.MANUAL)],
    "software-image": [("Publish {name} {v}", K.STANDARD, R.LOW, SRC.PIPELINE)],
    "appliance": [("Firmware update on {name}", K.NORMAL, R.MEDIUM, SRC.MANUAL)],
    "hardware": [("Firmware and BIOS update on {name}", K.STANDARD, R.LOW, SRC.TOOL)],
}
BACKOUT: dict[str, str] = {
    SRC.PIPELINE: "Redeploy the previous release from the pipeline.",
    SRC.TOOL: "Re-run the job with the previous version of the configuration.",
    SRC.MANUAL: "Restore the previous version (snapshot taken before the change).",
    SRC.API: "",
}
LOCAL_REFS: dict[str, str] = {
    SRC.PIPELINE: "gitlab.hartwell.local/{repo}/-/pipelines/{n}",
    SRC.TOOL: "awx.hartwell.local/#/jobs/playbook/{n}",
}


@dataclass
class Spec:
    """One change as it will be written, with its steps and the incidents linked to it."""

    title: str
    kind: str
    risk: str
    source: str
    cis: list[ConfigurationItem]
    team: Team
    by: User
    start: datetime  # actual start, or planned for planned / cancelled changes
    end: datetime
    state: str = S.DONE
    description: str = ""
    created: datetime | None = None
    approver: User | None = None
    approved_at: datetime | None = None
    planned: bool = True  # has a planned window (pipelines record only what ran)
    links: list[tuple[Ticket, str, User, datetime, bool]] = field(default_factory=list)
    external_ref: str = ""
    steps: list[tuple[str, User, datetime, dict[str, Any], str]] = field(default_factory=list)


class _Changes:
    def __init__(self, org: Org, cmdb: Cmdb, clock: Clock, rng: random.Random) -> None:
        self.org, self.cmdb, self.clock, self.rng = org, cmdb, clock, rng
        self.manager = org.user(T.MANAGER.username)
        self.items = list(cmdb.items.values())
        self.by_id = {ci.pk: ci for ci in self.items}
        self.dependents: dict[int, set[int]] = defaultdict(set)  # target → sources
        self.upstream1: dict[int, list[int]] = defaultdict(list)  # source → direct targets
        for source, target in Dependency.objects.filter(target_ci__isnull=False).values_list(
            "source_id", "target_ci_id"
        ):
            self.dependents[target].add(source)
            self.upstream1[source].append(target)
        self.by_service: dict[int, set[int]] = defaultdict(set)
        for ci in self.items:
            if ci.service_id is not None:
                self.by_service[ci.service_id].add(ci.pk)
        self.quiet_from = clock.anchor - timedelta(days=QUIET_DAYS)
        self.protected: set[int] = set()
        self.specs: list[Spec] = []
        self.serial = 18000

    # -- helpers

    def local(self, day: datetime, hour: int, minute: int = 0) -> datetime:
        return self.clock.to_utc(day.replace(hour=hour, minute=minute, second=0, microsecond=0))

    def person(self, team: Team) -> User:
        members = [u for u, _ in self.org.members[team.name]]
        return self.rng.choice(members)

    def allowed(self, cis: list[ConfigurationItem], start: datetime, end: datetime) -> bool:
        if end < self.quiet_from:
            return True
        return not any(ci.pk in self.protected for ci in cis)

    def ref(self, source: str, ci: ConfigurationItem) -> str:
        self.serial += self.rng.randint(3, 40)
        pattern = LOCAL_REFS.get(source)
        if pattern is None:
            return ""
        repo = (ci.service.name if ci.service else "platform").lower().replace(" ", "-")
        return pattern.format(repo=f"{repo}/{ci.name.lower().replace(' ', '-')}", n=self.serial)

    def spec(
        self,
        ci_list: list[ConfigurationItem],
        start: datetime,
        minutes: int,
        state: str,
        template: tuple[str, str, str, str] | None = None,
    ) -> Spec:
        ci = ci_list[0]
        title, kind, risk, source = template or self.rng.choice(
            TEMPLATES.get(ci.ci_type, TEMPLATES["hardware"])
        )
        team = ci.owner_team or self.org.teams[T.NI]
        text = title.format(
            name=ci.name, v=self.rng.choice(_VERSIONS), n=self.rng.choice((32, 64, 128))
        )
        return Spec(
            title=text,
            kind=kind,
            risk=risk,
            source=source,
            cis=ci_list,
            team=team,
            by=self.person(team),
            start=start,
            end=start + timedelta(minutes=minutes),
            state=state,
            planned=source != SRC.PIPELINE,
            external_ref=self.ref(source, ci),
            description=f"{text}. Owner: {team.name}.",
        )

    # -- history

    def caused(self, lives: list[Life]) -> None:
        """Changes placed before bursts of incidents on their CIs, linked to them."""
        rng = self.rng
        tickets = [
            life.ticket
            for life in lives
            if life.ticket.ci_id is not None and life.incident_key in INDUCIBLE
        ]
        last_at = {life.ticket.pk: life.events[-1].at for life in lives if life.events}
        by_ci: dict[int, list[Ticket]] = defaultdict(list)
        for ticket in tickets:
            by_ci[ticket.ci_id].append(ticket)  # type: ignore[index]
        target = round(INDUCED_SHARE * len(lives))
        seeds = tickets[:]
        rng.shuffle(seeds)
        linked: set[int] = set()
        confirmed = 0
        for seed in seeds:
            if confirmed >= target:
                break
            if seed.pk in linked:
                continue
            own: int = seed.ci_id or 0
            ups = self.upstream1.get(own, [])
            ci_id = rng.choice(ups) if ups and rng.random() < 0.4 else own
            ci = self.by_id[ci_id]
            end = seed.created_at - timedelta(minutes=rng.randint(40, 16 * 60))
            minutes = rng.randint(15, 90)
            start = end - timedelta(minutes=minutes)
            if start < self.clock.anchor - timedelta(days=HISTORY_DAYS) or not self.allowed(
                [ci], start, end
            ):
                continue
            affected = {ci_id}
            for _hop in range(3):  # the CIs that rely on it, three hops down
                affected |= {d for one in affected for d in self.dependents.get(one, ())}
            if ci.service_id is not None:  # and the other CIs of its service
                affected |= self.by_service.get(ci.service_id, set())
            burst = [
                t
                for c in affected
                for t in by_ci.get(c, [])
                if t.pk not in linked and end < t.created_at <= end + timedelta(hours=72)
            ]
            burst.sort(key=lambda t: t.created_at)
            burst = [seed, *[t for t in burst if t.pk != seed.pk][:14]]
            state = rng.choices((S.DONE, S.ROLLED_BACK, S.FAILED), (50, 35, 15))[0]
            spec = self.spec([ci], start, minutes, state)
            if state == S.ROLLED_BACK:  # rolled back once the incidents came in
                spec.end = max(end, burst[0].created_at + timedelta(minutes=rng.randint(30, 180)))
            for i, ticket in enumerate(burst):
                kind = CauseKind.CONFIRMED if i == 0 or rng.random() < 0.8 else CauseKind.SUSPECTED
                member = self._worker(ticket)
                done = last_at.get(ticket.pk, ticket.created_at + timedelta(hours=4))
                at = ticket.created_at + (done - ticket.created_at) * rng.uniform(0.3, 0.8)
                at = max(at, ticket.created_at + timedelta(minutes=5)).replace(microsecond=0)
                first_suspected = kind == CauseKind.CONFIRMED and rng.random() < 0.4
                spec.links.append((ticket, kind, member, at, first_suspected))
                linked.add(ticket.pk)
                confirmed += kind == CauseKind.CONFIRMED
            self.specs.append(spec)

    def _worker(self, ticket: Ticket) -> User:
        if ticket.assignee_id and ticket.assignee is not None and ticket.assignee.is_staff_member:
            return ticket.assignee
        team = ticket.team if ticket.team_id else self.org.teams[T.AS]
        return self.person(team)  # type: ignore[arg-type]

    def routine(self, count: int) -> None:
        """Patch waves, deployments, releases and configuration work that went fine (mostly)."""
        rng = self.rng
        servers = [c for c in self.items if c.ci_type == "server"]
        begin = self.clock.local_anchor - timedelta(days=HISTORY_DAYS)
        made = 0
        while made < count:
            day = begin + timedelta(days=rng.randrange(HISTORY_DAYS - 1))
            if day.weekday() >= 5 and rng.random() < 0.8:
                continue
            r = rng.random()
            if r < 0.15:  # a patch wave over several servers, in the evening
                wave = rng.sample(servers, rng.randint(3, 8))
                start = self.local(day, rng.choice((19, 20, 21)), rng.choice((0, 15, 30)))
                spec = self.spec(wave, start, rng.randint(60, 180), S.DONE, TEMPLATES["server"][0])
                spec.title = f"Monthly OS patches, wave {rng.randint(1, 4)} ({len(wave)} servers)"
            else:
                ci = rng.choice(self.items)
                template = rng.choice(TEMPLATES.get(ci.ci_type, TEMPLATES["hardware"]))
                office = template[3] == SRC.PIPELINE
                hour = rng.randint(9, 16) if office else rng.choice((18, 19, 20, 21))
                start = self.local(day, hour, rng.randrange(0, 60, 5))
                state = rng.choices((S.DONE, S.FAILED, S.ROLLED_BACK), (90, 4, 6))[0]
                spec = self.spec([ci], start, rng.randint(10, 120), state, template)
                if rng.random() < 0.05:  # an urgent fix, approved after the fact
                    spec.kind, spec.source, spec.risk = K.EMERGENCY, SRC.MANUAL, R.HIGH
                    spec.title = f"Emergency fix: {spec.title[0].lower()}{spec.title[1:]}"
                    spec.external_ref, spec.planned = "", False
                    spec.start = self.local(day, rng.randint(7, 22), rng.randrange(0, 60, 5))
                    spec.end = spec.start + timedelta(minutes=rng.randint(15, 60))
            if spec.end >= self.clock.anchor or not self.allowed(spec.cis, spec.start, spec.end):
                continue
            self.specs.append(spec)
            made += 1

    def ahead(self) -> None:
        """Planned and approved changes for the coming fortnight, and a few cancelled."""
        rng = self.rng
        for i in range(10):
            ci = rng.choice([c for c in self.items if c.ci_type in TEMPLATES])
            template = next(
                (t for t in TEMPLATES[ci.ci_type] if t[3] != SRC.PIPELINE),
                ("Maintenance on {name}", K.NORMAL, R.MEDIUM, SRC.MANUAL),
            )
            day = self.clock.local_anchor + timedelta(days=rng.randint(1, 14))
            start = self.local(day, rng.choice((19, 20)), 0)
            state = S.CANCELLED if i < 3 else S.PLANNED
            spec = self.spec([ci], start, rng.randint(30, 120), state, template)
            if i < 3:  # cancelled last month
                spec.start = start - timedelta(days=rng.randint(25, 60))
                spec.end = spec.start + timedelta(hours=1)
            else:
                spec.created = self.clock.anchor - timedelta(
                    days=rng.randint(1, 8), hours=rng.randint(0, 8)
                )
            if spec.kind == K.NORMAL and (i < 2 or i % 2 == 0):
                spec.approver = self.manager
                spec.approved_at = min(
                    spec.start - timedelta(days=2), self.clock.anchor - timedelta(minutes=30)
                )
            self.specs.append(spec)

    # -- the reference cases

    def reference(self, cases: Cases) -> None:
        items = self.cmdb.items
        dba, ni = self.org.teams[T.DB], self.org.teams[T.NI]
        crm = cases.created["crm"]
        opened = crm.created_at
        day_before = self.clock.local(cases.days[0] - timedelta(days=1), "00:00")
        self.specs.append(
            Spec(
                title="Tune CRM database parameters (work_mem, statement_timeout)",
                description=(
                    "Memory per connection on crm-db-01 grew with the larger connection pool "
                    "of the CRM 4.2 release. Lower work_mem from 64MB to 8MB and set "
                    "statement_timeout to 60s for the application role, so that runaway "
                    "queries cannot hold connections. Reload only, no restart. Tested on "
                    "crm-db-stg-01 with the nightly jobs."
                ),
                kind=K.NORMAL,
                risk=R.MEDIUM,
                source=SRC.MANUAL,
                cis=[items["crm-db-01 configuration"]],
                team=dba,
                by=self.org.user("cmendes"),
                start=self.local(day_before, 19, 5),
                end=self.local(day_before, 19, 40),
                created=opened - timedelta(days=4, hours=1),
                approver=self.manager,
                approved_at=opened - timedelta(days=2, hours=-4),
            )
        )
        deploy = self.spec(
            [items["crm-app-02"]],
            opened - timedelta(hours=40, minutes=12),
            12,
            S.DONE,
            ("Deploy CRM front-end {v} to {name} (canary)", K.STANDARD, R.LOW, SRC.PIPELINE),
        )
        deploy.title = "Deploy CRM front-end 4.2.3 to crm-app-02 (canary)"
        patch = self.spec(
            [items["hr-web-01"]],
            self.local(self.clock.local(cases.days[0], "00:00"), 6, 30),
            25,
            S.DONE,
            TEMPLATES["server"][0],
        )
        old = self.spec(
            [items["crm-db-01"]],
            opened - timedelta(hours=101),
            60,
            S.DONE,
            TEMPLATES["database"][1],
        )
        self.specs += [deploy, patch, old]
        collab = cases.created["collaboration"]
        evening = self.clock.local(cases.days[1] - timedelta(days=1), "00:00")
        routers = [c for c in self.items if c.ci_type == "router"]
        self.specs.append(
            Spec(
                title="Rework QoS policy on edge routers (voice/video classes, WAN reservation)",
                description=(
                    "Make room on the WAN links for the new backup replication to Leipzig: "
                    "merge the video class (AF41) into the default class and lower the voice "
                    "reservation (EF) from 30 % to 10 % on all edge routers. Pushed with the "
                    "network-qos playbook."
                ),
                kind=K.NORMAL,
                risk=R.MEDIUM,
                source=SRC.TOOL,
                cis=[items["QoS policy on edge routers"], *routers],
                team=ni,
                by=self.org.user("ogrant"),
                start=self.local(evening, 20, 0),
                end=self.local(evening, 21, 20),
                created=collab.created_at - timedelta(days=6),
                approver=self.manager,
                approved_at=collab.created_at - timedelta(days=3, hours=20),
                external_ref="awx.hartwell.local/#/jobs/playbook/20417",
            )
        )
        switch = self.spec(
            [items["access-sw-lej-03"]],
            self.local(evening, 18, 0),
            40,
            S.DONE,
            TEMPLATES["switch"][1],
        )
        self.specs.append(switch)

    # -- steps and writing

    def steps(self, spec: Spec) -> None:
        rng = self.rng
        ev = spec.steps
        direct = spec.source in (SRC.PIPELINE, SRC.TOOL) and spec.kind != K.NORMAL
        if spec.state in (S.PLANNED, S.CANCELLED):
            spec.created = spec.created or spec.start - timedelta(days=rng.randint(3, 10))
        elif direct:
            spec.created = spec.end + timedelta(minutes=1)
        else:
            spec.created = spec.created or spec.start - timedelta(
                days=rng.randint(2, 8), hours=rng.randint(0, 8)
            )
        if spec.kind == K.EMERGENCY:
            spec.created = spec.start - timedelta(minutes=rng.randint(5, 20))
        initial = spec.state if direct and spec.state not in (S.PLANNED, S.CANCELLED) else S.PLANNED
        ev.append(
            (
                ChangeEventKind.CREATED,
                spec.by,
                spec.created,
                {"state": initial, "source": spec.source},
                "",
            )
        )
        state = initial

        def move(kind: str, to: str, actor: User, at: datetime, note: str = "") -> None:
            nonlocal state
            ev.append((kind, actor, at, {"from": state, "to": to}, note))
            state = to

        if spec.kind == K.NORMAL and spec.approver is None and spec.state != S.PLANNED:
            spec.approver = self.manager
        if spec.approver and spec.kind == K.NORMAL:
            spec.approved_at = spec.approved_at or spec.created + timedelta(
                hours=rng.randint(3, 40)
            )
            spec.approved_at = max(
                spec.created + timedelta(minutes=30),
                min(spec.approved_at, spec.start - timedelta(hours=1)),
            )
            move(ChangeEventKind.APPROVED, S.APPROVED, spec.approver, spec.approved_at)
        if spec.state == S.CANCELLED:
            at = max(ev[-1][2] + timedelta(hours=1), spec.start - timedelta(days=rng.randint(1, 3)))
            move(
                ChangeEventKind.CANCELLED,
                S.CANCELLED,
                spec.by,
                at,
                "Postponed: clashes with the month-end close.",
            )
            return
        if spec.state == S.PLANNED or direct:
            return
        move(ChangeEventKind.STARTED, S.IN_PROGRESS, spec.by, spec.start)
        if spec.state == S.DONE:
            move(ChangeEventKind.COMPLETED, S.DONE, spec.by, spec.end)
        elif spec.state == S.FAILED:
            move(
                ChangeEventKind.FAILED,
                S.FAILED,
                spec.by,
                spec.end,
                "Post-change checks failed; left for analysis.",
            )
        else:
            move(
                ChangeEventKind.ROLLED_BACK,
                S.ROLLED_BACK,
                spec.by,
                spec.end,
                "Rolled back after incidents were reported.",
            )
        if spec.kind == K.EMERGENCY:
            spec.approver = self.manager
            spec.approved_at = spec.end + timedelta(hours=rng.randint(1, 20))
            move(ChangeEventKind.APPROVED, state, self.manager, spec.approved_at)

    def write(self, insert: Callable[[type[Model], list[Any]], None]) -> None:
        for spec in self.specs:
            self.steps(spec)
        self.specs.sort(key=lambda s: (s.created or s.start, s.title))
        rows = []
        for spec in self.specs:
            started = spec.state not in (S.PLANNED, S.CANCELLED)
            last = max(at for _, _, at, _, _ in spec.steps)
            rows.append(
                Change(
                    title=spec.title[:200],
                    description=spec.description,
                    kind=spec.kind,
                    state=spec.state,
                    risk=spec.risk,
                    implementer_team=spec.team,
                    requested_by=spec.by,
                    approved_by=spec.approver if spec.approved_at else None,
                    approved_at=spec.approved_at,
                    planned_start=spec.start if spec.planned else None,
                    planned_end=spec.end if spec.planned else None,
                    actual_start=spec.start if started else None,
                    actual_end=spec.end if started else None,
                    backout_plan=BACKOUT[spec.source],
                    source=spec.source,
                    external_ref=spec.external_ref,
                    version=len(spec.steps),
                    created_at=spec.created or spec.start,
                    updated_at=last,
                )
            )
        insert(Change, rows)
        through = Change.cis.through
        insert(
            through,
            [
                through(change_id=row.pk, configurationitem_id=ci.pk)
                for row, spec in zip(rows, self.specs, strict=True)
                for ci in {c.pk: c for c in spec.cis}.values()
            ],
        )
        events: list[Model] = []
        links: list[Model] = []
        ticket_events: list[Model] = []
        for row, spec in zip(rows, self.specs, strict=True):
            for kind, actor, at, data, note in spec.steps:
                events.append(
                    ChangeEvent(change=row, kind=kind, actor=actor, at=at, data=data, note=note)
                )
            for ticket, kind, by, at, first_suspected in spec.links:
                previous = None
                if first_suspected:
                    early = ticket.created_at + (at - ticket.created_at) / 2
                    self._link_events(
                        events, ticket_events, row, ticket, CauseKind.SUSPECTED, by, early, None
                    )
                    previous = CauseKind.SUSPECTED
                self._link_events(events, ticket_events, row, ticket, kind, by, at, previous)
                links.append(TicketChangeLink(ticket=ticket, change=row, kind=kind, by=by, at=at))
        insert(ChangeEvent, events)
        insert(TicketChangeLink, links)
        insert(TicketEvent, ticket_events)

    @staticmethod
    def _link_events(
        events: list[Model],
        ticket_events: list[Model],
        change: Change,
        ticket: Ticket,
        kind: str,
        by: User,
        at: datetime,
        previous: str | None,
    ) -> None:
        data = {"change": change.number, "title": change.title, "kind": kind, "previous": previous}
        ticket_events.append(
            TicketEvent(ticket=ticket, kind=EventKind.CHANGE_LINKED, actor=by, at=at, data=data)
        )
        events.append(
            ChangeEvent(
                change=change,
                kind=ChangeEventKind.LINKED,
                actor=by,
                at=at,
                data={"ticket": ticket.number, "title": ticket.title, "kind": kind},
            )
        )


def load_changes(
    *,
    org: Org,
    cmdb: Cmdb,
    lives: list[Life],
    cases: Cases,
    clock: Clock,
    rng: random.Random,
    insert: Callable[[type[Model], list[Any]], None],
) -> None:
    """Write the change history (after the tickets and the reference cases exist)."""
    log = _Changes(org, cmdb, clock, rng)
    for ticket in cases.tickets():
        ctx = ticket_context(ticket)
        log.protected |= set(ctx.upstream) | ctx.same_service
    log.reference(cases)
    log.caused(lives)
    log.routine(max(0, CHANGES - len(log.specs)))
    log.ahead()
    log.write(insert)
