"""Webhook deliveries with several workers: each delivery is sent exactly once (PostgreSQL, where
workers really run side by side), and one sweep drains a backlog instead of one batch per round.

The race that sent deliveries twice: a claim written as a conditional UPDATE through a join
re-checked only `id IN (…)` after waiting for another worker's row lock, not the status, so
both workers claimed. The first test holds one worker's claim open until the second is seen
waiting for the lock, which makes that interleaving certain instead of likely."""

from __future__ import annotations

import threading
import time
from collections import Counter
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.db import connection, transaction
from django.utils import timezone

from backline.webhooks import services
from backline.webhooks.choices import DeliveryStatus, SourceType
from backline.webhooks.models import Delivery, Subscription

postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="SQLite runs one writer at a time"
)


class Receiver:
    """A local endpoint that counts each X-Backline-Delivery id it accepts."""

    def __init__(self) -> None:
        self.seen: Counter[str] = Counter()
        lock = threading.Lock()
        seen = self.seen

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with lock:
                    seen[self.headers.get("X-Backline-Delivery", "?")] += 1
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.close()


def seed(admin, url: str, count: int) -> list[Delivery]:
    """`count` deliveries due now to `url` (as a busy desk's outbox would hold them)."""
    sub = services.subscription_create(
        actor=admin, name="L1 desk", url=url, event_types=["ticket.created"]
    )
    now = timezone.now()
    return Delivery.objects.bulk_create(
        Delivery(
            subscription=sub,
            event_id=f"evt_t{i}",
            source_type=SourceType.TICKET,
            source_id=i,
            event_type="ticket.created",
            payload={"id": f"evt_t{i}", "kind": "ticket.created"},
            next_attempt_at=now - timedelta(seconds=1),
            created_at=now,
        )
        for i in range(1, count + 1)
    )


def in_thread(target, *args, **kwargs) -> tuple[threading.Thread, dict]:
    """Run `target` in a thread with its own database connection; its result lands in `out`."""
    out: dict = {}

    def run() -> None:
        try:
            out["result"] = target(*args, **kwargs)
        except BaseException as exc:  # re-raised in the test thread by the assertions
            out["error"] = exc
        finally:
            connection.close()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, out


def lock_waiters() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        return cursor.fetchone()[0]


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_a_claim_that_waited_for_another_workers_lock_does_not_claim_again(admin):
    (delivery,) = seed(admin, "https://l1.example.com/hooks", 1)
    now = timezone.now()
    holding, release = threading.Event(), threading.Event()

    def first_worker():
        with transaction.atomic():
            lease = services.delivery_claim(delivery.pk, now=now)
            holding.set()
            release.wait(30)
        return lease

    first, first_out = in_thread(first_worker)
    assert holding.wait(30)
    second, second_out = in_thread(services.delivery_claim, delivery.pk, now=now)
    deadline = time.monotonic() + 30
    while not lock_waiters() and time.monotonic() < deadline:
        time.sleep(0.05)
    waited = lock_waiters() > 0  # the second claim is blocked on the first one's row lock
    release.set()
    first.join(30)
    second.join(30)
    assert "error" not in first_out and "error" not in second_out
    assert waited
    assert first_out["result"] is not None
    assert second_out["result"] is None
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.DELIVERING
    assert delivery.lease_until == first_out["result"]


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_two_workers_draining_together_send_every_delivery_exactly_once(admin, receiver, settings):
    settings.BACKLINE_WEBHOOK_BATCH = 10  # many batches, so the workers meet often
    settings.BACKLINE_WEBHOOK_SWEEP_SECONDS = 120
    deliveries = seed(admin, receiver.url, 150)
    start = threading.Barrier(2)
    now = timezone.now()

    def worker():
        start.wait(30)
        return services.deliveries_run(now=now)

    workers = [in_thread(worker) for _ in range(2)]
    for thread, _ in workers:
        thread.join(120)
    results = [out for _, out in workers]
    assert all("error" not in out for out in results), results
    assert sum(out["result"].get("delivered", 0) for out in results) == 150
    expected = {str(d.delivery_id) for d in Delivery.objects.all()}
    assert set(receiver.seen) == expected and len(expected) == len(deliveries)
    assert set(receiver.seen.values()) == {1}
    assert set(Delivery.objects.values_list("status", flat=True)) == {DeliveryStatus.DELIVERED}


@pytest.mark.django_db
def test_one_sweep_drains_more_than_a_batch(admin, receiver):
    seed(admin, receiver.url, 60)  # the default batch is 50
    assert services.deliveries_run(now=timezone.now()) == {"delivered": 60}
    assert len(receiver.seen) == 60 and set(receiver.seen.values()) == {1}
    assert services.deliveries_run(now=timezone.now()) == {}


@pytest.mark.django_db
def test_a_zero_budget_sends_one_batch_per_sweep(admin, receiver, settings):
    settings.BACKLINE_WEBHOOK_BATCH = 4
    settings.BACKLINE_WEBHOOK_SWEEP_SECONDS = 0
    seed(admin, receiver.url, 6)
    assert services.deliveries_run(now=timezone.now()) == {"delivered": 4}
    assert services.deliveries_run(now=timezone.now()) == {"delivered": 2}


@pytest.mark.django_db
def test_what_a_spent_budget_leaves_of_a_batch_goes_back_to_pending(admin, receiver, settings):
    settings.BACKLINE_WEBHOOK_SWEEP_SECONDS = 1e-9  # spent after the first send
    seed(admin, receiver.url, 5)
    assert services.deliveries_run(now=timezone.now()) == {"delivered": 1}
    rest = Delivery.objects.exclude(status=DeliveryStatus.DELIVERED)
    assert rest.count() == 4
    assert {(d.status, d.lease_until) for d in rest} == {(DeliveryStatus.PENDING, None)}
    settings.BACKLINE_WEBHOOK_SWEEP_SECONDS = 10
    assert services.deliveries_run(now=timezone.now()) == {"delivered": 4}
    assert set(receiver.seen.values()) == {1}


@pytest.mark.django_db
def test_a_reserved_delivery_of_a_paused_subscription_is_not_sent(admin, receiver):
    (delivery,) = seed(admin, receiver.url, 1)
    now = timezone.now()
    pks, reserved = services.deliveries_reserve(now=now, limit=10)
    assert pks == [delivery.pk]
    assert services.deliveries_reserve(now=now, limit=10)[0] == []  # not another worker's
    Subscription.objects.update(is_active=False)
    assert services.delivery_claim(delivery.pk, now=now, reserved=reserved) is None
    assert receiver.seen == Counter()


@pytest.mark.django_db
def test_a_subscription_paused_during_a_sweep_keeps_its_deliveries_pending(
    admin, receiver, monkeypatch
):
    seed(admin, receiver.url, 3)
    reserve = services.deliveries_reserve

    def reserve_then_pause(**kwargs):
        reserved = reserve(**kwargs)
        Subscription.objects.update(is_active=False)  # a manager pauses it right then
        return reserved

    monkeypatch.setattr(services, "deliveries_reserve", reserve_then_pause)
    assert services.deliveries_run(now=timezone.now()) == {}
    assert receiver.seen == Counter()
    assert {(d.status, d.lease_until) for d in Delivery.objects.all()} == {
        (DeliveryStatus.PENDING, None)
    }
