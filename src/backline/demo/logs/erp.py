"""(c) `erp-integration.log`: the shop-to-ERP order integration (Logback), stuck on the expired
token (see the package docstring)."""

from __future__ import annotations

import math
import random
from bisect import bisect_right
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from itertools import pairwise

from backline.demo.logs.common import (
    Lines,
    ReferenceTimes,
    Rhythm,
    hour_floor,
    millis,
    naive_utc,
    poisson,
    ticks,
)

_BACKOFF = (1, 2, 4, 8, 15, 30, 60)  # minutes before the next attempt, by failed attempts
_LAST_OK = 1048789  # the last order that reached ERP (06:04), as the ticket says
# Orders waiting at moments the ticket names, relative to its opening (09:57 local): 212 at
# 09:50, 231 at 10:18, 287 at 11:14 (the first one, WEB-1048790, came at 06:11).
_QUEUE_MARKS = (
    (timedelta(minutes=-7), 212),
    (timedelta(minutes=21), 231),
    (timedelta(minutes=77), 287),
)
_CARRIERS = ("DHL", "DHL", "DHL", "DPD", "UPS")
_SHIP_OPTIONS = ("express-saturday", "pickup-leipzig", "pallet-2man")


@dataclass
class _Order:
    number: int
    arrived: datetime
    lines: int
    amount: float
    pushed: datetime | None = None
    sales_order: int = 0


class ErpLog:
    def __init__(self, times: ReferenceTimes, rng: random.Random, rhythm: Rhythm) -> None:
        self.rng, self.rhythm = rng, rhythm
        self.expiry = naive_utc(times.token_expires_at)
        self.opened = naive_utc(times.case_c_start)
        self.start = hour_floor(min(self.opened, self.expiry) - timedelta(days=2))
        self.end = self.opened + timedelta(hours=2, minutes=30)
        self.out = Lines(self.start, self.end)
        self.token = f"INT_SHOP-{rng.getrandbits(32):08x}"  # the technical user's token
        self.expired = f"{self.expiry:%Y-%m-%dT%H:%M:%S}Z"
        self.sales_order = self.first_sales_order = rng.randint(4_810_000, 4_815_000)
        self.enters: list[datetime] = []  # orders entering / leaving the retry queue
        self.leaves: list[datetime] = []
        self.waiting: list[tuple[datetime, int]] = []  # (since, order) of failing orders
        self.received: list[datetime] = []
        self.exported: list[datetime] = []
        self.failed: list[datetime] = []
        self.push_ms: list[tuple[datetime, float]] = []
        self.last_push = self.start

    def log(self, at: datetime, level: str, thread: str, logger: str, message: str) -> None:
        self.out.add(
            at, f"{at:%Y-%m-%d %H:%M:%S},{millis(at)} {level:<5} [{thread}] {logger} - {message}"
        )

    def build(self) -> list[str]:
        orders = self.orders()
        for order in orders:
            self.export(order)
        self.retries()
        self.enters.sort()
        self.leaves.sort()
        self.heartbeats()
        self.stock()
        self.stats()
        self.webhooks(orders)
        self.other_flows()
        self.scheduled()
        return [text for _, text in self.out.ordered(self.rng)]

    # the orders

    def orders(self) -> list[_Order]:
        rng = self.rng
        shop = self.rhythm.shop_orders
        last_ok = self.expiry - timedelta(seconds=rng.uniform(25, 55))
        first_fail = self.expiry + timedelta(minutes=6, seconds=rng.uniform(5, 50))
        times = [
            t
            for t in poisson(rng, self.start, self.end, lambda t: 60 * shop(t), 66)
            if t < last_ok - timedelta(minutes=2)
        ]
        times += [last_ok, first_fail]
        marks = [(first_fail, 1)] + [(self.opened + off, n) for off, n in _QUEUE_MARKS]
        for (a, had), (b, have) in pairwise(marks):
            if b > a and have > had:
                times += [a + (b - a) * rng.random() for _ in range(have - had)]
            elif b > a:
                times += list(poisson(rng, a, b, lambda t: 58, 58))
        tail = max(first_fail, marks[-1][0])
        times += list(poisson(rng, tail, self.end, lambda t: 60 * shop(t), 66))
        times.sort()
        anchor = times.index(last_ok)
        return [
            _Order(
                number=_LAST_OK + i - anchor,
                arrived=t,
                lines=rng.choice((1, 1, 2, 2, 3, 4, 6, 12)),
                amount=round(rng.lognormvariate(math.log(420), 0.9), 2),
            )
            for i, t in enumerate(times)
        ]

    def worker(self) -> str:
        return f"sync-worker-{self.rng.randint(1, 4)}"

    def export(self, order: _Order) -> None:
        rng = self.rng
        name = f"WEB-{order.number}"
        # The poller reads the shop's export table every 10 s and hands orders on in turn.
        poll = order.arrived + timedelta(seconds=10 - order.arrived.second % 10)
        queued = max(poll.replace(microsecond=0), self.last_push) + timedelta(
            milliseconds=rng.uniform(3, 25)
        )
        self.received.append(queued)
        self.log(
            queued,
            "INFO",
            "shop-poller-1",
            "c.b.erp.ExportQueue",
            f"Order {name} queued for export ({order.lines} line{'s' if order.lines > 1 else ''}, "
            f"EUR {order.amount:.2f})",
        )
        at = queued + timedelta(milliseconds=rng.uniform(40, 300))
        self.last_push = at
        thread = self.worker()
        if rng.random() < 0.015:
            option = rng.choice(_SHIP_OPTIONS)
            self.log(
                at,
                "WARN",
                thread,
                "c.b.erp.OrderMapper",
                rng.choice(
                    (
                        f"{name}: delivery address line 2 longer than 35 characters, truncated",
                        f"{name}: unknown shipping option '{option}', using 'standard'",
                    )
                ),
            )
        if at >= self.expiry:
            self.fail(at, thread, order, attempt=1)
            self.enters.append(at)
            self.waiting.append((at, order.number))
            return
        if rng.random() < 0.012:  # an ordinary hiccup: retried a minute later, then fine
            reason = rng.choice(
                ("503 Service Unavailable (ERP busy)", "Read timed out after 10000 ms")
            )
            self.log(
                at, "WARN", thread, "c.b.erp.ErpApiClient", f"POST /api/v2/orders failed: {reason}"
            )
            self.log(
                at,
                "INFO",
                thread,
                "c.b.erp.RetryQueue",
                f"Order {name} queued for retry in 1 min (attempt 1)",
            )
            self.enters.append(at)
            retry = at + timedelta(seconds=rng.uniform(60, 64))
            self.log(
                retry,
                "INFO",
                "retry-scheduler-1",
                "c.b.erp.RetryQueue",
                f"Retrying 1 of 1 queued orders (oldest {name}, waiting 1m)",
            )
            at = retry + timedelta(milliseconds=rng.uniform(5, 30))
            self.leaves.append(at)
            if at >= self.expiry:  # never in the demo: the hiccups are hours before
                return
        ms = rng.lognormvariate(math.log(130), 0.35)
        done = at + timedelta(milliseconds=ms)
        self.sales_order += rng.randint(1, 3)  # other channels book sales orders too
        order.pushed, order.sales_order = done, self.sales_order
        self.exported.append(done)
        self.push_ms.append((done, ms))
        self.log(
            done, "INFO", thread, "c.b.erp.OrderSync", f"Pushed order {name} to ERP in {ms:.0f} ms"
        )
        self.log(
            done,
            "INFO",
            thread,
            "c.b.erp.OrderSync",
            f"ERP accepted {name} as sales order SO-{self.sales_order}",
        )

    def fail(self, at: datetime, thread: str, order: _Order | int, *, attempt: int) -> datetime:
        rng = self.rng
        number = order.number if isinstance(order, _Order) else order
        done = at + timedelta(milliseconds=rng.uniform(28, 70))
        self.failed.append(done)
        self.log(
            done,
            "ERROR",
            thread,
            "c.b.erp.ErpApiClient",
            f"POST /api/v2/orders failed: 401 Unauthorized - token expired (token id "
            f"{self.token}, expired at {self.expired})",
        )
        wait = _BACKOFF[min(attempt, len(_BACKOFF)) - 1]
        if attempt == 1:
            self.log(
                done,
                "WARN",
                thread,
                "c.b.erp.OrderSync",
                f"Order WEB-{number} not exported: ERP rejected the request (401); queued for "
                f"retry in {wait} min (retry queue {len(self.waiting) + 1})",
            )
        else:
            self.log(
                done,
                "WARN",
                thread,
                "c.b.erp.RetryQueue",
                f"Retry {attempt - 1} for order WEB-{number} failed (401); next attempt in "
                f"{wait} min",
            )
        return done + timedelta(minutes=wait)

    def retries(self) -> None:
        """The retry scheduler runs every minute and tries the orders whose time has come."""
        rng = self.rng
        due: dict[int, tuple[datetime, int]] = {}  # order → (next attempt, attempts so far)
        since = {number: at for at, number in self.waiting}
        first = _BACKOFF[0]
        for at, number in self.waiting:
            due[number] = (at + timedelta(minutes=first), 1)
        tick = self.expiry.replace(second=41, microsecond=rng.randrange(1000) * 1000)
        while tick < self.end:
            ready = sorted(n for n, (when, _) in due.items() if when <= tick)
            oldest = self.oldest(tick)
            if ready and oldest:
                waiting = sum(1 for at in since.values() if at <= tick)
                self.log(
                    tick,
                    "INFO",
                    "retry-scheduler-1",
                    "c.b.erp.RetryQueue",
                    f"Retrying {len(ready)} of {waiting} queued orders (oldest WEB-{oldest[0]}, "
                    f"waiting {_age(oldest[1])})",
                )
                t = tick
                for number in ready:
                    t += timedelta(milliseconds=rng.uniform(8, 30))
                    attempts = due[number][1] + 1
                    next_at = self.fail(t, self.worker(), number, attempt=attempts)
                    due[number] = (next_at, attempts)
            tick += timedelta(minutes=1, milliseconds=rng.uniform(-2, 2))

    def depth(self, at: datetime) -> int:
        return bisect_right(self.enters, at) - bisect_right(self.leaves, at)

    def oldest(self, at: datetime) -> tuple[int, int] | None:
        """(order, minutes waiting) of the oldest failing order at `at`."""
        if not self.waiting or self.waiting[0][0] > at:
            return None
        since, number = self.waiting[0]
        return number, int((at - since).total_seconds() // 60)

    # the ordinary traffic around it

    def heartbeats(self) -> None:
        rng = self.rng
        t = self.start + timedelta(seconds=rng.uniform(0, 30))
        while t < self.end:
            self.log(
                t,
                "INFO",
                "scheduler-1",
                "c.b.erp.Heartbeat",
                f"Heartbeat OK: shop-db {rng.randint(1, 6)} ms, ERP API "
                f"{int(rng.lognormvariate(math.log(38), 0.3))} ms (GET /api/v2/health 200), "
                f"retry queue {self.depth(t)}",
            )
            t += timedelta(seconds=30, milliseconds=rng.uniform(-3, 3))

    def stock(self) -> None:
        """Stock levels every minute, on the ERP's read-only key (unaffected by the order token)."""
        rng = self.rng
        previous = self.start - timedelta(minutes=1)
        for tick in ticks(self.start + timedelta(seconds=3), self.end, timedelta(minutes=1)):
            at = tick + timedelta(milliseconds=rng.uniform(0, 250))
            busy = self.rhythm.office(at)
            items = sum(1 for _ in range(40) if rng.random() < 0.02 + 0.5 * busy)
            ms = int(rng.lognormvariate(math.log(70 + 2 * items), 0.3))
            self.log(
                at,
                "INFO",
                "stock-sync-1",
                "c.b.erp.StockSync",
                f"GET /api/v2/stock?changedSince={previous:%Y-%m-%dT%H:%M:%S}Z 200 OK in {ms} ms, "
                f"{items} items",
            )
            previous = tick.replace(microsecond=0)
            if not items:
                continue
            done = at + timedelta(milliseconds=ms + rng.uniform(5, 60))
            if rng.random() < 0.01:
                sku = f"40{rng.randint(10**10, 10**11 - 1)}"
                self.log(
                    done,
                    "WARN",
                    "stock-sync-1",
                    "c.b.erp.StockSync",
                    f"SKU {sku} unknown in shop, skipped",
                )
            self.log(
                done,
                "INFO",
                "stock-sync-1",
                "c.b.erp.StockSync",
                f"Updated stock for {items} SKUs ({sum(rng.random() < 0.04 for _ in range(items))} "
                "now out of stock)",
            )

    def stats(self) -> None:
        rng = self.rng

        def between(series: list[datetime], a: datetime, b: datetime) -> int:
            return bisect_right(series, b) - bisect_right(series, a)

        for series in (self.received, self.exported, self.failed):
            series.sort()
        self.push_ms.sort()
        for tick in ticks(self.start + timedelta(minutes=5), self.end, timedelta(minutes=5)):
            at = tick + timedelta(milliseconds=rng.uniform(0, 30))
            a = at - timedelta(minutes=5)
            pushed = [ms for when, ms in self.push_ms if a < when <= at]
            avg = f"{sum(pushed) / len(pushed):.0f} ms" if pushed else "-"
            depth = self.depth(at)
            self.log(
                at,
                "INFO",
                "scheduler-1",
                "c.b.erp.SyncStats",
                f"Last 5 min: received {between(self.received, a, at)}, exported "
                f"{between(self.exported, a, at)}, failed {between(self.failed, a, at)}, retry "
                f"queue {depth}, avg push {avg}",
            )
            oldest = self.oldest(at)
            if depth >= 50 and oldest:
                self.log(
                    at + timedelta(milliseconds=2),
                    "WARN",
                    "scheduler-1",
                    "c.b.erp.QueueMonitor",
                    f"Retry queue depth {depth} above threshold 50 (oldest WEB-{oldest[0]}, "
                    f"waiting {_age(oldest[1])})",
                )

    def webhooks(self, orders: list[_Order]) -> None:
        """ERP reports shipments of orders it has, during warehouse hours."""
        rng = self.rng
        # The backlog from before the log starts, then the orders ERP accepted, 10 h on.
        first = orders[0].number if orders else _LAST_OK
        ready = [
            _Order(
                first - n,
                self.start,
                rng.choice((1, 2, 3)),
                0,
                None,
                self.first_sales_order - 2 * n,
            )
            for n in range(260, 0, -1)
        ]
        pushed = iter(o for o in orders if o.pushed is not None)
        upcoming = next(pushed, None)
        office = self.rhythm.office
        for at in poisson(rng, self.start, self.end, lambda t: 45 * office(t), 45):
            while upcoming and upcoming.pushed and upcoming.pushed < at - timedelta(hours=10):
                ready.append(upcoming)
                upcoming = next(pushed, None)
            if not ready:
                continue
            order = ready.pop(0 if rng.random() < 0.6 else rng.randrange(len(ready)))
            thread = f"http-nio-8443-exec-{rng.randint(1, 10)}"
            parcels = max(1, order.lines // 3)
            tracking = f"00340434{rng.randint(10**11, 10**12 - 1)}"
            self.log(
                at,
                "INFO",
                thread,
                "c.b.erp.ShipmentWebhook",
                f"Shipment update for SO-{order.sales_order} (WEB-{order.number}): shipped, "
                f"{rng.choice(_CARRIERS)}, {parcels} parcel(s), tracking {tracking}",
            )
            self.log(
                at + timedelta(milliseconds=rng.uniform(8, 40)),
                "INFO",
                thread,
                "c.b.shop.OrderStatusService",
                f"WEB-{order.number} set to 'shipped', customer notified",
            )
            if rng.random() < 0.02:
                self.log(
                    at + timedelta(seconds=rng.uniform(20, 90)),
                    "WARN",
                    thread,
                    "c.b.erp.ShipmentWebhook",
                    f"Duplicate shipment update for SO-{order.sales_order}, ignored",
                )

    def other_flows(self) -> None:
        """The middleware's other flows with ERP and the carrier, on their own credentials: the
        CRM customer sync every 15 minutes and parcel labels for the warehouse."""
        rng = self.rng
        for tick in ticks(self.start + timedelta(minutes=4), self.end, timedelta(minutes=15)):
            at = tick + timedelta(seconds=rng.uniform(0, 2))
            changed = rng.choice((0, 0, 1, 2, 3, 5)) if self.rhythm.office(at) > 0.3 else 0
            if not changed:
                self.log(
                    at, "INFO", "crm-sync-1", "c.b.crm.CustomerSync", "No changed accounts in CRM"
                )
                continue
            ms = int(rng.lognormvariate(math.log(180), 0.3))
            self.log(
                at,
                "INFO",
                "crm-sync-1",
                "c.b.crm.CustomerSync",
                f"Pushed {changed} changed account(s) to ERP (POST /api/v2/customers 200 in "
                f"{ms} ms)",
            )
        office = self.rhythm.office
        for at in poisson(rng, self.start, self.end, lambda t: 50 * office(t), 50):
            ms = int(rng.lognormvariate(math.log(240), 0.35))
            thread = f"label-worker-{rng.randint(1, 2)}"
            shipment = f"SH{rng.randint(10**7, 10**8 - 1)}"
            if rng.random() < 0.01:
                self.log(
                    at,
                    "WARN",
                    thread,
                    "c.b.carrier.LabelClient",
                    f"Label for {shipment} failed: 504 Gateway Timeout from carrier, retrying",
                )
                at += timedelta(seconds=rng.uniform(20, 40))
            self.log(
                at,
                "INFO",
                thread,
                "c.b.carrier.LabelClient",
                f"Label booked for {shipment} ({rng.choice(_CARRIERS)}, "
                f"{rng.uniform(0.4, 28):.1f} kg) in {ms} ms",
            )

    def scheduled(self) -> None:
        """Nightly customer import, hourly price list check, the daily token check and the odd
        housekeeping warning."""
        rng = self.rng
        local = self.rhythm.local(self.start).date()
        for offset in range(4):
            day = local + timedelta(days=offset)
            at = naive_utc(datetime.combine(day, time(2, 0, 3)).replace(tzinfo=self.rhythm.tz))
            seconds = rng.uniform(30, 55)
            self.log(
                at + timedelta(seconds=seconds),
                "INFO",
                "scheduler-1",
                "c.b.erp.CustomerImport",
                f"Imported {rng.randint(1190, 1230)} B2B customer records from ERP "
                f"({rng.randint(0, 15)} new, {rng.randint(40, 120)} changed) in {seconds:.0f} s",
            )
            check = naive_utc(datetime.combine(day, time(7, 0, 0)).replace(tzinfo=self.rhythm.tz))
            check += timedelta(milliseconds=rng.uniform(0, 900))
            if check < self.expiry:
                days = math.ceil((self.expiry - check) / timedelta(days=1))
                self.log(
                    check,
                    "WARN",
                    "scheduler-1",
                    "c.b.erp.TokenMonitor",
                    f"ERP API token {self.token} of the order integration expires in {days} "
                    f"day(s) ({self.expired}); renew it in the ERP partner portal",
                )
            else:
                self.log(
                    check,
                    "ERROR",
                    "scheduler-1",
                    "c.b.erp.TokenMonitor",
                    f"ERP API token {self.token} of the order integration is no longer valid "
                    f"since {self.expired}; renew it in the ERP partner portal",
                )
            housekeeping = self.start + timedelta(days=offset, hours=rng.uniform(0, 24))
            self.log(
                housekeeping,
                "WARN",
                "HikariPool-1 housekeeper",
                "com.zaxxer.hikari.pool.HikariPool",
                f"HikariPool-1 - Thread starvation or clock leap detected (housekeeper "
                f"delta={rng.randint(1, 2)}m{rng.randint(1, 59)}s{rng.randint(0, 999)}ms).",
            )
        for tick in ticks(self.start + timedelta(seconds=30), self.end, timedelta(hours=1)):
            at = tick + timedelta(milliseconds=rng.uniform(0, 300))
            if rng.random() < 0.9:
                message = f'Price list B2B-2026 unchanged (ETag "{rng.getrandbits(40):010x}")'
            else:
                message = f"Price list B2B-2026 updated: {rng.randint(3, 140)} prices changed"
            self.log(at, "INFO", "scheduler-1", "c.b.erp.PriceSync", message)


def _age(minutes: int) -> str:
    hours, rest = divmod(minutes, 60)
    return f"{hours}h {rest}m" if hours else f"{rest}m"
