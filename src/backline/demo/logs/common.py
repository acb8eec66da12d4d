"""What the three logs share: the moments they are built around, the demo's addresses, the
office rhythm, Poisson arrivals and the collector that orders the lines."""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo

# Addresses of the servers in the demo's CMDB (estate.py numbers 10.10.0.x in build order, the
# same for every seed): the CRM application servers, Zabbix and Oxidized on mon-01, AWX, the
# backup server, the admins' jump host, the domain controllers (NTP).
ADDRESSES = {
    "crm-app-01": "10.10.0.25",
    "crm-app-02": "10.10.0.26",
    "mon-01": "10.10.0.18",
    "awx-01": "10.10.0.59",
    "backup-01": "10.10.0.11",
    "jump-01": "10.10.0.46",
    "Directory domain controllers": "10.10.0.40",  # dc-01
}
CRM_APP = (ADDRESSES["crm-app-01"], ADDRESSES["crm-app-02"])
ZABBIX = OXIDIZED = ADDRESSES["mon-01"]
AWX = ADDRESSES["awx-01"]
BACKUP = ADDRESSES["backup-01"]
JUMP = ADDRESSES["jump-01"]
NTP = ADDRESSES["Directory domain controllers"]


@dataclass(frozen=True)
class ReferenceTimes:
    """The moments the logs are built around (aware datetimes)."""

    param_change_at: datetime  # case (a): the CRM database parameter change started
    case_a_start: datetime  # the CRM ticket was opened
    case_b_start: datetime  # the collaboration ticket was opened
    token_expires_at: datetime  # case (c): the ERP API token expired
    case_c_start: datetime  # the eCommerce ticket was opened
    qos_change_at: datetime | None = None  # case (b): the QoS rework started (else 12h45m before)

    def __post_init__(self) -> None:
        for name, value in vars(self).items():
            if value is not None and value.utcoffset() is None:
                raise ValueError(f"{name} must be an aware datetime")


def naive_utc(moment: datetime) -> datetime:
    """Naive UTC, the way the builders count time."""
    return moment.astimezone(UTC).replace(tzinfo=None)


def hour_floor(moment: datetime) -> datetime:
    return moment.replace(minute=0, second=0, microsecond=0)


def millis(moment: datetime) -> str:
    return f"{moment.microsecond // 1000:03d}"


class Rhythm:
    """How busy the company is at a UTC moment, from its local time of day and weekday."""

    def __init__(self, tz: tzinfo) -> None:
        self.tz = tz

    def local(self, at: datetime) -> datetime:
        return at.replace(tzinfo=UTC).astimezone(self.tz).replace(tzinfo=None)

    def office(self, at: datetime) -> float:
        """0.03 at night to 1.0 in the morning and afternoon of a working day."""
        local = self.local(at)
        h = local.hour + local.minute / 60
        if local.weekday() >= 5:
            return 0.08 if 9 <= h < 18 else 0.03
        if h < 6:
            return 0.03
        if h < 8:
            return 0.03 + 0.5 * (h - 6) / 2
        if h < 12:
            return 1.0
        if h < 13:
            return 0.7
        if h < 17:
            return 0.95
        if h < 19:
            return 0.95 - 0.75 * (h - 17) / 2
        if h < 22:
            return 0.2 - 0.15 * (h - 19) / 3
        return 0.04

    def shop_orders(self, at: datetime) -> float:
        """Web shop orders per minute: B2B by day, some consumers in the evening, a trickle at
        night."""
        local = self.local(at)
        h = local.hour + local.minute / 60
        if h < 6:
            return 0.12
        if h < 8:
            return 0.45 + 0.4 * (h - 6) / 2
        if h < 18:
            return 1.1
        if h < 22:
            return 0.75
        return 0.3


def poisson(
    rng: random.Random,
    start: datetime,
    end: datetime,
    per_hour: Callable[[datetime], float],
    peak: float,
) -> Iterator[datetime]:
    """Arrivals of an inhomogeneous Poisson process (thinning), `per_hour(t) <= peak`."""
    if peak <= 0:
        return
    t = start
    while True:
        t += timedelta(seconds=rng.expovariate(peak / 3600))
        if t >= end:
            return
        if rng.random() * peak < per_hour(t):
            yield t


def ticks(start: datetime, end: datetime, every: timedelta) -> Iterator[datetime]:
    t = start
    while t < end:
        yield t
        t += every


_ID = re.compile("\x01([a-z]+):([0-9]+)\x01")


class Lines:
    """Messages with their moment; sorted by time, ties in the order they were added.

    Numbers that grow with time (process ids, terminal sessions) are written as placeholders
    (`ident`) and numbered in the order they first appear, from `first` by steps of `step`."""

    def __init__(self, start: datetime, end: datetime) -> None:
        self.start, self.end = start, end
        self.rows: list[tuple[datetime, int, str]] = []
        self.idents = 0

    def add(self, at: datetime, text: str) -> None:
        if self.start <= at < self.end:
            self.rows.append((at, len(self.rows), text))

    def ident(self, kind: str) -> str:
        self.idents += 1
        return f"\x01{kind}:{self.idents}\x01"

    def ordered(
        self, rng: random.Random, first: int = 1000, step: tuple[int, int] = (1, 1)
    ) -> list[tuple[datetime, str]]:
        numbers: dict[str, int] = {}
        last = first

        def number(match: re.Match[str]) -> str:
            nonlocal last
            if match[0] not in numbers:
                last += rng.randint(*step)
                numbers[match[0]] = last
            return str(numbers[match[0]])

        return [(at, _ID.sub(number, text)) for at, _, text in sorted(self.rows)]


def jitter(rng: random.Random, ms: float) -> timedelta:
    return timedelta(milliseconds=rng.uniform(0, ms))
