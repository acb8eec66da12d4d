"""(a) `crm-db-01-postgresql.log`: PostgreSQL 15 on crm-db-01, slowed down by the parameter
change (see the package docstring)."""

from __future__ import annotations

import math
import random
from datetime import date, datetime, time, timedelta

from backline.demo.logs.common import (
    AWX,
    BACKUP,
    CRM_APP,
    JUMP,
    ZABBIX,
    Lines,
    ReferenceTimes,
    Rhythm,
    hour_floor,
    jitter,
    millis,
    naive_utc,
    poisson,
)

_REGIONS = ("DACH", "DACH", "DACH", "UK", "Benelux", "Nordics", "France")
_PIPELINE = (
    "SELECT o.region, s.name AS stage, u.full_name AS owner, count(DISTINCT o.id) AS deals, "
    "sum(o.amount) AS amount, sum(o.amount * s.probability / 100.0) AS weighted, "
    "max(act.created_at) AS last_activity FROM opportunity o JOIN account a ON a.id = "
    "o.account_id JOIN crm_user u ON u.id = o.owner_id JOIN stage s ON s.id = o.stage_id LEFT "
    "JOIN activity act ON act.opportunity_id = o.id WHERE o.region = '{region}' AND o.close_date "
    "BETWEEN '{q0}' AND '{q1}' AND NOT o.is_deleted GROUP BY o.region, s.name, s.sort_order, "
    "u.full_name ORDER BY s.sort_order, amount DESC"
)
_BY_REGION = (
    "SELECT o.region, date_trunc('month', o.close_date) AS month, s.name AS stage, "
    "count(DISTINCT o.id) AS deals, sum(l.quantity * l.unit_price) AS amount FROM opportunity o "
    "JOIN opportunity_line l ON l.opportunity_id = o.id JOIN stage s ON s.id = o.stage_id LEFT "
    "JOIN activity act ON act.opportunity_id = o.id WHERE o.close_date BETWEEN '{y0}' AND '{q1}' "
    "AND o.region IN ({regions}) AND NOT o.is_deleted GROUP BY 1, 2, 3 ORDER BY 1, 2, 3"
)
_ACTIVITY = (
    "SELECT u.full_name AS owner, act.kind, count(*) AS activities, count(DISTINCT "
    "act.account_id) AS accounts, max(act.created_at) AS latest FROM activity act JOIN crm_user u "
    "ON u.id = act.owner_id LEFT JOIN opportunity o ON o.id = act.opportunity_id WHERE "
    "act.created_at BETWEEN '{since}' AND '{until}' GROUP BY u.full_name, act.kind ORDER BY "
    "u.full_name, act.kind"
)
_MY_OPEN = (
    "SELECT o.id, o.name, a.name AS account, s.name AS stage, o.amount, o.close_date FROM "
    "opportunity o JOIN account a ON a.id = o.account_id JOIN stage s ON s.id = o.stage_id WHERE "
    "o.owner_id = {owner} AND NOT s.is_closed AND NOT o.is_deleted ORDER BY o.close_date"
)
_CACHE = (
    "INSERT INTO report_cache_pipeline (region, stage_id, quarter, deals, amount, weighted, "
    "refreshed_at) SELECT o.region, o.stage_id, date_trunc('quarter', o.close_date), count(*), "
    "sum(o.amount), sum(o.amount * s.probability / 100.0), now() FROM opportunity o JOIN stage s "
    "ON s.id = o.stage_id LEFT JOIN activity act ON act.opportunity_id = o.id WHERE NOT "
    "o.is_deleted GROUP BY 1, 2, 3",
    "INSERT INTO report_cache_activity (owner_id, week, calls, meetings, emails, refreshed_at) "
    "SELECT act.owner_id, date_trunc('week', act.created_at), count(*) FILTER (WHERE act.kind = "
    "'call'), count(*) FILTER (WHERE act.kind = 'meeting'), count(*) FILTER (WHERE act.kind = "
    "'email'), now() FROM activity act WHERE act.created_at >= now() - interval '2 years' GROUP "
    "BY 1, 2",
    "INSERT INTO report_cache_winloss (region, month, won, lost, won_amount, refreshed_at) SELECT "
    "o.region, date_trunc('month', o.closed_at), count(*) FILTER (WHERE s.is_won), count(*) "
    "FILTER (WHERE NOT s.is_won), sum(o.amount) FILTER (WHERE s.is_won), now() FROM opportunity o "
    "JOIN stage s ON s.id = o.stage_id WHERE s.is_closed GROUP BY 1, 2",
)
# Statements of the CRM web application that are sometimes over a second (JDBC, extended
# protocol): (statement, parameter makers).
_APP_SLOW: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "SELECT a.id, a.name, a.city, a.country, a.owner_id FROM account a WHERE a.name ILIKE $1 "
        "OR a.legal_name ILIKE $1 ORDER BY a.name LIMIT 50",
        ("search",),
    ),
    (
        "SELECT c.id, c.first_name, c.last_name, c.email, c.phone, a.name FROM contact c JOIN "
        "account a ON a.id = c.account_id WHERE lower(c.email) LIKE $1 OR c.last_name ILIKE $2 "
        "LIMIT 50",
        ("search", "search"),
    ),
    (
        "SELECT act.id, act.kind, act.subject, act.created_at, act.owner_id FROM activity act "
        "WHERE act.account_id = $1 ORDER BY act.created_at DESC LIMIT 200",
        ("id",),
    ),
    (
        "UPDATE opportunity SET stage_id = $1, amount = $2, updated_at = now(), version = "
        "version + 1 WHERE id = $3 AND version = $4",
        ("stage", "amount", "id", "version"),
    ),
    (
        "SELECT count(*) FROM email_log e WHERE e.account_id = $1 AND e.sent_at >= $2",
        ("id", "since"),
    ),
    (
        "INSERT INTO audit_log (entity, entity_id, action, actor_id, changes, created_at) VALUES "
        "($1, $2, $3, $4, $5, now())",
        ("entity", "id", "action", "id", "json"),
    ),
)
_TABLES = (
    ("activity", 5, 48211, 1203312),
    ("email_log", 4, 91022, 2841120),
    ("audit_log", 4, 120331, 3310021),
    ("opportunity", 2, 18340, 211842),
    ("contact", 2, 22188, 318204),
    ("session_store", 3, 811, 9120),
    ("opportunity_line", 1, 30121, 612330),
)
_SEARCHES = ("meyer", "schmidt", "hansa", "nord", "logist", "bau", "smith", "van der", "tech")
_PEOPLE = (
    "j.meyer",
    "a.schulz",
    "m.jansen",
    "p.wright",
    "k.nielsen",
    "s.dubois",
    "t.hoffmann",
    "l.vermeer",
)
_DOMAINS = ("hansa-logistik.de", "nordbau.de", "vanderberg.nl", "brightwell.co.uk", "fjord-it.no")


def _session_time(length: timedelta) -> str:
    total = length.total_seconds()
    hours, rest = divmod(total, 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{int(hours)}:{int(minutes):02d}:{seconds:06.3f}"


class PostgresLog:
    SSL = "SSL enabled (protocol=TLSv1.3, cipher=TLS_AES_256_GCM_SHA384, bits=256)"

    def __init__(self, times: ReferenceTimes, rng: random.Random, rhythm: Rhythm) -> None:
        self.rng, self.rhythm = rng, rhythm
        self.opened = naive_utc(times.case_a_start)
        self.change = naive_utc(times.param_change_at)
        self.start = hour_floor(self.opened - timedelta(days=2))
        self.end = self.opened + timedelta(hours=2, minutes=30)
        # The AWX job of the change: the role's timeout first, then the reload of the new file.
        self.role_set = self.change + timedelta(minutes=3, seconds=41, milliseconds=207)
        self.reload = self.change + timedelta(minutes=4, seconds=12, milliseconds=418)
        self.out = Lines(self.start, self.end)
        self.postmaster, self.checkpointer = "1123", "1127"
        local = rhythm.local(self.opened).date()
        q = (local.month - 1) // 3 * 3 + 1
        self.q0 = date(local.year, q, 1)
        self.q1 = date(local.year + (q == 10), (q + 2) % 12 + 1, 1) - timedelta(days=1)
        self.y0 = date(local.year, 1, 1)
        self.slots: list[list[tuple[datetime, str]]] = []

    # helpers

    def pid(self) -> str:
        return self.out.ident("pid")

    def log(self, at: datetime, pid: str, level: str, message: str) -> None:
        self.out.add(at, f"{at:%Y-%m-%d %H:%M:%S}.{millis(at)} UTC [{pid}] {level}:  {message}")

    def session(
        self, at: datetime, user: str, db: str, app: str | None, host: str, length: timedelta
    ) -> str:
        pid, port = self.pid(), self.rng.randint(32768, 60999)
        self.log(at, pid, "LOG", f"connection received: host={host} port={port}")
        named = f" application_name={app}" if app else ""
        self.log(
            at + jitter(self.rng, 6),
            pid,
            "LOG",
            f"connection authorized: user={user} database={db}{named} {self.SSL}",
        )
        self.log(
            at + length,
            pid,
            "LOG",
            f"disconnection: session time: {_session_time(length)} user={user} database={db} "
            f"host={host} port={port}",
        )
        return pid

    def app_pid(self, at: datetime) -> str:
        slot = self.rng.choice(self.slots)
        pid = slot[0][1]
        for began, p in slot:
            if began > at:
                break
            pid = p
        return pid

    def ms(self, seconds: float) -> str:
        return f"{seconds * 1000:.3f}"

    # sources

    def build(self) -> list[str]:
        self.monitoring()
        self.pool()
        self.checkpoints()
        self.backups()
        self.autovacuum()
        self.app_statements()
        self.errors()
        self.reports()
        self.cache_refresh()
        self.the_change()
        ordered = self.out.ordered(self.rng, self.rng.randint(1_402_000, 1_460_000), (1, 9))
        return [text for _, text in ordered]

    def monitoring(self) -> None:
        """Zabbix checks the server every 30 s with a short session."""
        rng = self.rng
        t = self.start + timedelta(seconds=rng.uniform(0, 30))
        while t < self.end:
            length = timedelta(milliseconds=rng.uniform(9, 48))
            self.session(t, "zbx_monitor", "postgres", "zabbix", ZABBIX, length)
            t += timedelta(seconds=30, milliseconds=rng.uniform(-400, 400))

    def pool(self) -> None:
        """HikariCP pools of the two CRM servers: 10 connections each, replaced at the end of
        their 30-minute life."""
        rng = self.rng
        for host in CRM_APP:
            for _ in range(10):
                slot: list[tuple[datetime, str]] = []
                t = self.start - timedelta(seconds=rng.uniform(0, 1800))
                while t < self.end:
                    length = timedelta(seconds=1800 - rng.uniform(0, 150))
                    pid = self.session(t, "crm_app", "crm", "PostgreSQL JDBC Driver", host, length)
                    slot.append((t, pid))
                    t += length + timedelta(milliseconds=rng.uniform(2, 40))
                self.slots.append(slot)

    def checkpoints(self) -> None:
        rng = self.rng
        backups = set(self.backup_times())
        t = self.start + timedelta(seconds=rng.uniform(0, 300))
        while t < self.end:
            near_backup = any(-60 < (b - t).total_seconds() < 330 for b in backups)
            busy = self.rhythm.office(t)
            if not near_backup and (busy > 0.05 or rng.random() < 0.6):
                self.checkpoint(t, "time", busy, spread=True)
            t += timedelta(seconds=300)

    def checkpoint(self, at: datetime, reason: str, busy: float, *, spread: bool) -> None:
        rng = self.rng
        buffers = int(rng.uniform(120, 600) + busy * rng.uniform(1500, 9000))
        write = rng.uniform(269.6, 270.0) if spread else rng.uniform(0.4, 1.9)
        sync = rng.uniform(0.004, 0.09)
        files = rng.randint(30, 240)
        distance = int(buffers * rng.uniform(7.5, 9.5))
        self.log(at, self.checkpointer, "LOG", f"checkpoint starting: {reason}")
        done = at + timedelta(seconds=write + sync)
        self.log(
            done,
            self.checkpointer,
            "LOG",
            f"checkpoint complete: wrote {buffers} buffers ({buffers / 10485.76:.1f}%); "
            f"0 WAL file(s) added, 0 removed, {rng.randint(0, 4)} recycled; write={write:.3f} s, "
            f"sync={sync:.3f} s, total={write + sync + rng.uniform(0.001, 0.02):.3f} s; "
            f"sync files={files}, longest={sync * rng.uniform(0.1, 0.4):.3f} s, "
            f"average={sync / files:.3f} s; distance={distance} kB, "
            f"estimate={int(distance * rng.uniform(1.0, 1.4))} kB",
        )

    def backup_times(self) -> list[datetime]:
        """pgBackRest at 01:00 local every night."""
        times: list[datetime] = []
        day = self.rhythm.local(self.start).date() - timedelta(days=1)
        while True:
            local = datetime.combine(day, time(1, 0, 4))
            at = naive_utc(local.replace(tzinfo=self.rhythm.tz))
            if at >= self.end:
                return times
            if at >= self.start:
                times.append(at)
            day += timedelta(days=1)

    def backups(self) -> None:
        rng = self.rng
        for at in self.backup_times():
            self.session(
                at - timedelta(milliseconds=180),
                "pgbackrest",
                "postgres",
                "pgBackRest [backup]",
                BACKUP,
                timedelta(minutes=rng.uniform(17, 24)),
            )
            self.checkpoint(at, "immediate force wait", 0.1, spread=False)

    def autovacuum(self) -> None:
        rng = self.rng
        weights = [w for _, w, _, _ in _TABLES]
        for at in poisson(rng, self.start, self.end, lambda t: 0.6 + 4 * self.rhythm.office(t), 5):
            table, _, pages, tuples = rng.choices(_TABLES, weights)[0]
            pid = self.pid()
            pages = int(pages * rng.uniform(0.95, 1.05))
            tuples = int(tuples * rng.uniform(0.97, 1.03))
            elapsed = rng.uniform(1.0, 9.0)
            if rng.random() < 0.6:
                removed = int(tuples * rng.uniform(0.002, 0.03))
                self.log(
                    at,
                    pid,
                    "LOG",
                    f'automatic vacuum of table "crm.public.{table}": index scans: '
                    f"{rng.choice((0, 1, 1))}; pages: 0 removed, {pages} remain, "
                    f"{int(pages * rng.uniform(0.01, 0.2))} scanned; tuples: {removed} removed, "
                    f"{tuples} remain, {rng.randint(0, 40)} are dead but not yet removable; "
                    f"avg read rate: {rng.uniform(0.5, 20):.3f} MB/s, avg write rate: "
                    f"{rng.uniform(0.2, 6):.3f} MB/s; system usage: CPU: user: "
                    f"{elapsed * 0.2:.2f} s, system: {elapsed * 0.04:.2f} s, elapsed: "
                    f"{elapsed:.2f} s",
                )
            else:
                self.log(
                    at,
                    pid,
                    "LOG",
                    f'automatic analyze of table "crm.public.{table}"; avg read rate: '
                    f"{rng.uniform(5, 60):.3f} MB/s, avg write rate: {rng.uniform(0, 2):.3f} MB/s; "
                    f"system usage: CPU: user: {elapsed * 0.15:.2f} s, system: "
                    f"{elapsed * 0.02:.2f} s, elapsed: {elapsed / 3:.2f} s",
                )

    def parameter(self, kind: str) -> str:
        rng = self.rng
        if kind == "search":
            return f"'%{rng.choice(_SEARCHES)}%'"
        if kind == "id":
            return f"'{rng.randint(10_000, 420_000)}'"
        if kind == "stage":
            return f"'{rng.randint(1, 8)}'"
        if kind == "amount":
            return f"'{rng.randint(20, 900) * 100}.00'"
        if kind == "version":
            return f"'{rng.randint(1, 30)}'"
        if kind == "since":
            return f"'{self.rhythm.local(self.start).date() - timedelta(days=90)} 00:00:00+01'"
        if kind == "entity":
            return f"'{rng.choice(('opportunity', 'account', 'contact'))}'"
        if kind == "action":
            return f"'{rng.choice(('update', 'update', 'create'))}'"
        return "'{\"stage_id\": [3, 4]}'"

    def app_statements(self) -> None:
        rng = self.rng
        for at in poisson(
            rng, self.start, self.end, lambda t: 0.5 + 14 * self.rhythm.office(t), 15
        ):
            sql, kinds = rng.choice(_APP_SLOW)
            seconds = min(1.0 + rng.lognormvariate(-1.0, 0.8), 7.5)
            params = ", ".join(f"${n} = {self.parameter(k)}" for n, k in enumerate(kinds, 1))
            name = rng.choice(("<unnamed>", f"S_{rng.randint(1, 40)}"))
            pid = self.app_pid(at)
            self.log(at, pid, "LOG", f"duration: {self.ms(seconds)} ms  execute {name}: {sql}")
            self.log(at, pid, "DETAIL", f"parameters: {params}")

    def errors(self) -> None:
        rng = self.rng
        office = self.rhythm.office
        for at in poisson(rng, self.start, self.end, lambda t: 0.15 + 1.3 * office(t), 1.5):
            pid = self.app_pid(at)
            if rng.random() < 0.7:
                email = f"{rng.choice(_PEOPLE)}@{rng.choice(_DOMAINS)}"
                self.log(
                    at,
                    pid,
                    "ERROR",
                    'duplicate key value violates unique constraint "contact_email_lower_key"',
                )
                self.log(at, pid, "DETAIL", f"Key (lower(email::text))=({email}) already exists.")
                self.log(
                    at,
                    pid,
                    "STATEMENT",
                    "INSERT INTO contact (account_id, first_name, last_name, email, phone, "
                    "owner_id, created_at) VALUES ($1, $2, $3, $4, $5, $6, now())",
                )
            else:
                ext = f"AAMkAG{rng.getrandbits(48):012x}"
                self.log(
                    at,
                    pid,
                    "ERROR",
                    'duplicate key value violates unique constraint "activity_external_id_key"',
                )
                self.log(at, pid, "DETAIL", f"Key (external_id)=({ext}) already exists.")
                self.log(
                    at,
                    pid,
                    "STATEMENT",
                    "INSERT INTO activity (account_id, opportunity_id, kind, subject, "
                    "external_id, owner_id, created_at) VALUES ($1, $2, 'email', $3, $4, $5, $6)",
                )
        for at in poisson(rng, self.start, self.end, lambda t: 0.25, 0.25):
            self.log(
                at,
                self.app_pid(at),
                "LOG",
                "could not receive data from client: Connection reset by peer",
            )
        for at in poisson(rng, self.start, self.end, lambda t: 0.15 * office(t), 0.15):
            pid = self.pid()
            host = f"10.20.7.{rng.randint(20, 200)}"
            self.log(
                at, pid, "LOG", f"connection received: host={host} port={rng.randint(49152, 65535)}"
            )
            self.log(
                at + jitter(rng, 30),
                pid,
                "FATAL",
                'password authentication failed for user "crm_readonly"',
            )
            self.log(
                at + timedelta(milliseconds=31),
                pid,
                "DETAIL",
                'Connection matched pg_hba.conf line 104: "hostssl crm crm_readonly '
                '10.20.0.0/16 scram-sha-256"',
            )
        for at in poisson(rng, self.start, self.end, lambda t: 0.12 * office(t), 0.12):
            pid = self.app_pid(at)
            self.log(at, pid, "ERROR", "canceling statement due to user request")
            self.log(at, pid, "STATEMENT", _APP_SLOW[0][0])
        for at in poisson(rng, self.start, self.end, lambda t: 0.05 * office(t), 0.05):
            waiter, holder = self.app_pid(at), self.app_pid(at)
            xid, waited = rng.randint(81_000_000, 82_000_000), rng.uniform(1.4, 4.0)
            sql = _APP_SLOW[3][0]
            self.log(
                at,
                waiter,
                "LOG",
                f"process {waiter} still waiting for ShareLock on transaction {xid} after "
                "1000.118 ms",
            )
            self.log(
                at, waiter, "DETAIL", f"Process holding the lock: {holder}. Wait queue: {waiter}."
            )
            self.log(
                at,
                waiter,
                "CONTEXT",
                f"while updating tuple ({rng.randint(100, 9000)},{rng.randint(1, 40)}) in "
                'relation "opportunity"',
            )
            self.log(at, waiter, "STATEMENT", sql)
            self.log(
                at + timedelta(seconds=waited - 1),
                waiter,
                "LOG",
                f"process {waiter} acquired ShareLock on transaction {xid} after "
                f"{self.ms(waited)} ms",
            )
            self.log(at + timedelta(seconds=waited - 1), waiter, "STATEMENT", sql)

    # the reports: the signal

    def reports(self) -> None:
        rng = self.rng
        office = self.rhythm.office
        for at in poisson(rng, self.start, self.end, lambda t: 10 * office(t), 10):
            self.report(at, "big", user_run=True)
        for at in poisson(rng, self.start, self.end, lambda t: 4 * office(t), 4):
            self.report(at, "activity", user_run=False)
        for at in poisson(rng, self.start, self.end, lambda t: 20 * office(t), 20):
            self.report(at, "small", user_run=False)
        day = self.rhythm.local(self.start).date()
        while True:  # the scheduled pipeline mail at 06:30 local on working days
            if day.weekday() < 5:
                local = datetime.combine(day, time(6, 30, 2))
                at = naive_utc(local.replace(tzinfo=self.rhythm.tz))
                if at >= self.end:
                    break
                for region in ("DACH", "UK", "Benelux", "Nordics"):
                    at = self.report(at, "pipeline", region=region, user_run=False)
            elif datetime.combine(day, time(0)) > self.rhythm.local(self.end):
                break
            day += timedelta(days=1)

    def report(
        self,
        at: datetime,
        kind: str,
        *,
        region: str | None = None,
        user_run: bool,
        retries: int = 0,
    ) -> datetime:
        """One report run on its own connection; returns when the session ended."""
        rng = self.rng
        if kind == "big":
            kind = rng.choice(("pipeline", "pipeline", "by_region"))
        # (seconds before the change, how much slower after it)
        if kind == "pipeline":
            sql = _PIPELINE.format(region=region or rng.choice(_REGIONS), q0=self.q0, q1=self.q1)
            base, slower = rng.lognormvariate(math.log(2.6), 0.3), rng.uniform(26, 48)
        elif kind == "by_region":
            regions = ", ".join(f"'{r}'" for r in sorted(set(_REGIONS)))
            sql = _BY_REGION.format(y0=self.y0, q1=self.q1, regions=regions)
            base, slower = rng.lognormvariate(math.log(2.3), 0.3), rng.uniform(24, 44)
        elif kind == "activity":  # slow after the change, but under the timeout
            sql = _ACTIVITY.format(since=self.q0, until=self.q1)
            base, slower = rng.lognormvariate(math.log(1.5), 0.25), rng.uniform(12, 20)
        else:
            sql = _MY_OPEN.format(owner=rng.randint(100, 180))
            base, slower = rng.uniform(0.04, 0.4), 1
        if kind != "small":  # logged (over 1 s) and well under a minute before the change
            base = min(max(base, 1.1), 5.5)
        after = at >= self.reload
        big = kind != "small"
        seconds = base * slower if after else base
        timed_out = after and big and seconds > 60
        if timed_out:
            seconds = 60 + rng.uniform(0.001, 0.02)
        host = rng.choice(CRM_APP)
        began = at + timedelta(milliseconds=rng.uniform(8, 25))
        done = began + timedelta(seconds=seconds)
        end = done + timedelta(milliseconds=rng.uniform(3, 30))
        pid = self.session(at, "crm_app", "crm", "crm-reporting", host, end - at)
        spills = after and big
        if timed_out:
            self.log(done, pid, "ERROR", "canceling statement due to statement timeout")
            self.log(done, pid, "STATEMENT", sql)
        if spills:
            for n in range(2 if seconds > 25 else 1):
                size = int(rng.uniform(180, 460) * 1024 * 1024 * (seconds / 60))
                self.log(
                    done,
                    pid,
                    "LOG",
                    f'temporary file: path "base/pgsql_tmp/pgsql_tmp{pid}.{n}", size {size}',
                )
                self.log(done, pid, "STATEMENT", sql)
        if not timed_out and seconds >= 10:
            self.log(
                done, pid, "LOG", f"duration: {self.ms(seconds)} ms  plan: {self.plan(seconds)}"
            )
        if not timed_out and seconds >= 1:
            self.log(done, pid, "LOG", f"duration: {self.ms(seconds)} ms  statement: {sql}")
        # Users whose report failed try again a few minutes later (the 502 after a minute).
        if timed_out and user_run and retries < 3 and rng.random() < 0.7:
            again = end + timedelta(minutes=rng.uniform(1, 6))
            if self.rhythm.office(again) > 0.3:
                self.report(again, kind, region=region, user_run=True, retries=retries + 1)
        return end

    def plan(self, seconds: float, *, regressed: bool = True) -> str:
        """auto_explain's plan on one line (it writes several)."""
        rng = self.rng
        total = seconds * 1000
        rows, groups = rng.randint(1_900_000, 2_600_000), rng.randint(30, 420)
        hashed_rows = rng.randint(900_000, 1_300_000)
        if regressed:
            sort = f"Sort Method: external merge  Disk: {rng.randint(280_000, 460_000)}kB"
            hashed = (
                f"Buckets: 65536  Batches: {rng.choice((32, 64, 128))} (originally 1)  "
                f"Memory Usage: {rng.randint(7900, 8190)}kB"
            )
        else:
            sort = f"Sort Method: quicksort  Memory: {rng.randint(38_000, 61_000)}kB"
            hashed = f"Buckets: 262144  Batches: 1  Memory Usage: {rng.randint(30_000, 52_000)}kB"
        return (
            f"GroupAggregate  (actual time={total * 0.62:.3f}..{total:.3f} rows={groups} "
            f"loops=1) -> Sort  (actual time={total * 0.41:.3f}..{total * 0.6:.3f} rows={rows} "
            f"loops=1) {sort} -> Hash Left Join  (actual time={total * 0.05:.3f}.."
            f"{total * 0.38:.3f} rows={rows} loops=1) Hash Cond: (o.id = act.opportunity_id) -> "
            f"Hash  (actual time={total * 0.04:.3f}..{total * 0.04:.3f} rows={hashed_rows} "
            f"loops=1) {hashed}"
        )

    def cache_refresh(self) -> None:
        """The nightly 'CRM report cache refresh' at 02:30 local on crm-app-02; after the change
        its first statement hits the 60 s timeout and the job gives up."""
        rng = self.rng
        day = self.rhythm.local(self.start).date() - timedelta(days=1)
        while True:
            local = datetime.combine(day, time(2, 30, 1))
            at = naive_utc(local.replace(tzinfo=self.rhythm.tz))
            day += timedelta(days=1)
            if at >= self.end:
                return
            after = at >= self.reload
            t = at + timedelta(milliseconds=40)
            marks: list[tuple[datetime, str, str]] = []
            for sql in _CACHE:
                seconds = rng.uniform(9, 34) * (rng.uniform(4, 7) if after else 1)
                if seconds > 60 and after:
                    t += timedelta(seconds=60, milliseconds=rng.uniform(1, 20))
                    marks.append((t, "ERROR", sql))
                    break
                t += timedelta(seconds=seconds)
                marks.append((t, "LOG", sql))
                t += timedelta(milliseconds=rng.uniform(5, 40))
            pid = self.session(
                at,
                "crm_app",
                "crm",
                "crm-report-cache",
                CRM_APP[1],
                t - at + timedelta(milliseconds=12),
            )
            last = at
            for when, level, sql in marks:
                seconds = (when - last).total_seconds()
                last = when
                if level == "ERROR":
                    self.log(when, pid, "ERROR", "canceling statement due to statement timeout")
                    self.log(when, pid, "STATEMENT", sql)
                    size = rng.randint(600, 900) * 1024 * 1024
                    self.log(
                        when,
                        pid,
                        "LOG",
                        f'temporary file: path "base/pgsql_tmp/pgsql_tmp{pid}.0", size {size}',
                    )
                    self.log(when, pid, "STATEMENT", sql)
                    continue
                if seconds >= 10:
                    self.log(
                        when,
                        pid,
                        "LOG",
                        f"duration: {self.ms(seconds)} ms  plan: "
                        + self.plan(seconds, regressed=False),
                    )
                self.log(when, pid, "LOG", f"duration: {self.ms(seconds)} ms  statement: {sql}")

    def the_change(self) -> None:
        """AWX applies the change: ALTER ROLE for the timeout, a new postgresql.conf, a reload."""
        rng = self.rng
        begin = self.role_set - timedelta(milliseconds=1380)
        pid = self.session(begin, "postgres", "crm", None, AWX, timedelta(milliseconds=1542))
        self.log(
            self.role_set,
            pid,
            "LOG",
            "statement: ALTER ROLE \"crm_app\" SET statement_timeout = '60s'",
        )
        self.log(
            self.reload, self.postmaster, "LOG", "received SIGHUP, reloading configuration files"
        )
        self.log(
            self.reload + timedelta(microseconds=412),
            self.postmaster,
            "LOG",
            'parameter "work_mem" changed to "8MB"',
        )
        # The DBA checks the new values from the jump host.
        check = self.reload + timedelta(minutes=6, seconds=rng.uniform(0, 50))
        self.session(check, "cmendes", "crm", "psql", JUMP, timedelta(minutes=rng.uniform(3, 7)))
