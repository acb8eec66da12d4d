"""Outbound webhooks: the signature, which timeline events are sent, the outbox (a request only
queues rows), delivery by the worker against a real local HTTP server (retries with backoff, a
worker killed mid-delivery, a slow endpoint), replay, the API and the pages."""

from __future__ import annotations

import html
import json
import socket
import threading
import time
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.db import transaction
from django.test import Client
from django.utils import timezone

from backline.core.errors import Conflict, DomainError, PermissionDenied
from backline.escalation import services as escalation_services
from backline.problems import services as problem_services
from backline.tickets import services as ticket_services
from backline.tickets.choices import EventKind
from backline.tickets.models import TicketEvent
from backline.webhooks import rules, services
from backline.webhooks.models import Attempt, Delivery, Subscription
from tests.conftest import api_client_for
from tests.factories import make_ticket

pytestmark = pytest.mark.django_db
HX = {"HTTP_HX_REQUEST": "true"}
L2_PACKAGE = {
    "summary": "CRM crashes on every sales report",
    "impact_users": 40,
    "steps_taken": "Other browser, cleared cache, another account: same crash.",
}


# --- a real receiver --------------------------------------------------------------------------


class Receiver:
    """A local HTTP endpoint answering with the given codes in turn (the last one repeats)."""

    def __init__(self, codes=(200,), *, sleep: float = 0.0, hang_up: int = 0):
        self.codes = list(codes)
        self.sleep = sleep
        self.hang_up = hang_up  # close the connection without answering this many times
        self.requests: list[dict] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                if receiver.hang_up:
                    receiver.hang_up -= 1
                    receiver.requests.append(
                        {"headers": dict(self.headers), "body": body, "code": None}
                    )
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                if receiver.sleep:
                    time.sleep(receiver.sleep)
                code = receiver.codes.pop(0) if len(receiver.codes) > 1 else receiver.codes[0]
                receiver.requests.append(
                    {"headers": dict(self.headers), "body": body, "code": code}
                )
                self.send_response(code)
                self.send_header("Content-Type", "text/plain")
                self.end_headers()
                self.wfile.write(b"ok" if code < 300 else b"try again later")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/backline"

    def accepted(self) -> list[dict]:
        return [r for r in self.requests if r["code"] is not None and 200 <= r["code"] < 300]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    made: list[Receiver] = []

    def make(*codes, **kwargs) -> Receiver:
        r = Receiver(codes or (200,), **kwargs)
        made.append(r)
        return r

    yield make
    for r in made:
        r.close()


def subscribe(admin, url="https://l1.example.com/hooks", types=("ticket.created",), **kw):
    return services.subscription_create(
        actor=admin, name=kw.pop("name", "L1 desk"), url=url, event_types=types, **kw
    )


def later(minutes: float = 0) -> timezone.datetime:
    return timezone.now() + timedelta(minutes=minutes)


def valid(sub: Subscription, request: dict) -> bool:
    h = request["headers"]
    return rules.verify(
        sub.secret,
        h["X-Backline-Timestamp"],
        request["body"],
        h["X-Backline-Signature"],
        now=int(time.time()),
    )


# --- rules ------------------------------------------------------------------------------------


def test_the_signature_verifies_with_the_secret_and_nothing_else():
    body = rules.body_bytes({"id": "evt_t1", "kind": "ticket.created"})
    ts = int(time.time())
    signature = rules.sign("whsec_a", ts, body)
    assert signature.startswith("sha256=") and len(signature) == 7 + 64
    assert rules.verify("whsec_a", str(ts), body, signature, now=ts)
    assert not rules.verify("whsec_b", str(ts), body, signature, now=ts)
    assert not rules.verify("whsec_a", str(ts), body + b" ", signature, now=ts)
    assert not rules.verify("whsec_a", str(ts + 1), body, signature, now=ts)
    # an old message (a replay by an eavesdropper) is refused even with a correct signature
    assert not rules.verify("whsec_a", str(ts), body, signature, now=ts + 3600)


def test_the_body_is_stable_so_retries_are_byte_identical():
    a = rules.body_bytes({"b": 1, "a": {"z": "ü", "y": [1, 2]}})
    b = rules.body_bytes({"a": {"y": [1, 2], "z": "ü"}, "b": 1})
    assert a == b == '{"a":{"y":[1,2],"z":"ü"},"b":1}'.encode()


@pytest.mark.parametrize(
    "url",
    [
        "ftp://example.com/x",
        "javascript:alert(1)",
        "file:///etc/passwd",
        "example.com/hook",
        "http://",
        "https://user:pw@example.com/hook",
        "http://exa mple.com/",
        "http://example.com:99999/",
        "",
    ],
)
def test_only_absolute_http_and_https_urls_are_accepted(url):
    with pytest.raises(DomainError) as exc:
        rules.check_url(url)
    assert exc.value.field == "url"


def test_http_and_https_urls_pass():
    assert (
        rules.check_url(" https://l1.example.com/hooks?x=1 ") == "https://l1.example.com/hooks?x=1"
    )
    assert rules.check_url("http://127.0.0.1:8080/in") == "http://127.0.0.1:8080/in"


def test_event_types_come_from_the_catalogue():
    assert rules.check_event_types(["ticket.escalated", "ticket.created", "ticket.created"]) == [
        "ticket.created",
        "ticket.escalated",
    ]
    with pytest.raises(DomainError, match="Unknown event type"):
        rules.check_event_types(["ticket.deleted"])
    with pytest.raises(DomainError, match="at least one"):
        rules.check_event_types([])


def test_retries_back_off_exponentially_up_to_the_cap():
    delays = [
        rules.retry_delay(n, base=30, cap=3600, jitter=0).total_seconds() for n in range(1, 10)
    ]
    assert delays[:5] == [30, 60, 120, 240, 480]
    assert delays[-1] == 3600
    spread = rules.retry_delay(1, base=30, cap=3600, jitter=0.99).total_seconds()
    assert 30 < spread < 30 * 1.25


# --- which events are queued ------------------------------------------------------------------


def _types(sub=None):
    qs = Delivery.objects.order_by("pk")
    if sub is not None:
        qs = qs.filter(subscription=sub)
    return list(qs.values_list("event_type", flat=True))


ALL_TICKET = (
    "ticket.created",
    "ticket.escalated",
    "ticket.accepted",
    "ticket.returned",
    "ticket.status_changed",
    "ticket.assigned",
)


def test_ticket_events_map_to_catalogue_kinds(admin, l1_agent, l2_agent, service_desk, app_support):
    sub = subscribe(admin, types=ALL_TICKET)
    ticket = make_ticket(l1_agent, team=service_desk, assignee=l1_agent, title="CRM crashes")
    assert _types() == ["ticket.created"]
    ticket_services.ticket_comment(actor=l1_agent, ticket=ticket, body="internal", internal=True)
    assert _types() == ["ticket.created"]  # internal notes are not in the catalogue
    esc = escalation_services.escalation_create(
        actor=l1_agent, ticket=ticket, to_team=app_support, **L2_PACKAGE
    )
    assert "ticket.escalated" in _types()
    escalation_services.escalation_return(
        actor=l2_agent, escalation=esc, reason="insufficient_info", guidance="Send the logs."
    )
    assert "ticket.returned" in _types()
    delivery = Delivery.objects.get(event_type="ticket.escalated")
    assert delivery.subscription == sub and delivery.ticket == ticket
    payload = delivery.payload
    assert payload["kind"] == "ticket.escalated"
    assert payload["id"].startswith("evt_t") and payload["id"] == delivery.event_id
    assert payload["ticket"]["number"] == ticket.number
    assert payload["ticket"]["url"].endswith(f"/tickets/{ticket.number}/")
    assert payload["actor"]["username"] == l1_agent.username
    assert set(payload["ticket"]) >= {
        "status",
        "priority",
        "tier",
        "team",
        "assignee",
        "external_ref",
    }


def test_status_changes_carry_the_l2_outcome_back(admin, l2_agent, app_support):
    subscribe(admin, types=["ticket.status_changed"])
    ticket = make_ticket(l2_agent, team=app_support, assignee=l2_agent)
    ticket_services.ticket_transition(actor=l2_agent, ticket=ticket, action="start")
    ticket.refresh_from_db()
    ticket_services.ticket_transition(
        actor=l2_agent,
        ticket=ticket,
        action="resolve",
        resolution_code="fixed",
        resolution_notes="Rebuilt the report index.",
    )
    last = Delivery.objects.order_by("pk").last()
    assert _types() == ["ticket.status_changed", "ticket.status_changed"]
    assert last.payload["data"]["to"] == "resolved"
    assert last.payload["ticket"]["status"] == "resolved"
    assert last.payload["ticket"]["resolution_code"] == "fixed"
    assert last.payload["ticket"]["resolution_notes"] == "Rebuilt the report index."


def test_problem_created_is_sent_to_problem_subscribers(admin, l2_agent):
    subscribe(admin, types=["problem.created"])
    problem = problem_services.problem_create(actor=l2_agent, title="Report queries time out")
    d = Delivery.objects.get()
    assert d.event_type == "problem.created" and d.ticket is None
    assert d.payload["problem"]["number"] == problem.number
    assert d.payload["problem"]["url"].endswith(f"/problems/{problem.number}")


def test_inactive_and_uninterested_subscriptions_get_nothing(admin, l1_agent):
    paused = subscribe(admin, name="paused", is_active=False)
    other = subscribe(admin, name="problems only", types=["problem.created"])
    wanted = subscribe(admin, name="wanted")
    make_ticket(l1_agent)
    assert _types(paused) == [] and _types(other) == []
    assert _types(wanted) == ["ticket.created"]


def test_deactivating_stops_queueing_and_sending(admin, l1_agent, receiver):
    r = receiver(200)
    sub = subscribe(admin, url=r.url)
    make_ticket(l1_agent)
    services.subscription_update(actor=admin, subscription=sub, is_active=False)
    make_ticket(l1_agent)
    assert Delivery.objects.count() == 1  # only the one from before the pause
    assert services.deliveries_run(now=later(1)) == {}
    assert r.requests == []  # queued before the pause, held while paused
    services.subscription_update(actor=admin, subscription=sub, is_active=True)
    assert services.deliveries_run(now=later(1))["delivered"] == 1


def test_a_rolled_back_request_queues_nothing(admin, l1_agent):
    subscribe(admin)
    with pytest.raises(RuntimeError), transaction.atomic():
        make_ticket(l1_agent)
        assert Delivery.objects.count() == 1
        raise RuntimeError("the request fails after the event")
    assert Delivery.objects.count() == 0


def test_an_event_is_queued_once_per_subscription(admin, l1_agent):
    subscribe(admin)
    make_ticket(l1_agent)
    event = TicketEvent.objects.get(kind=EventKind.CREATED)
    services.deliveries_queue_ticket_event(event)  # a second queueing is a no-op
    assert Delivery.objects.count() == 1


def test_sla_events_the_sweep_writes_in_bulk_are_picked_up_once(admin, l1_agent, receiver):
    r = receiver(200)
    sub = subscribe(admin, url=r.url, types=["ticket.sla_breached"])
    ticket = make_ticket(l1_agent)
    # The SLA sweep writes its events with bulk_create: no save signal fires.
    TicketEvent.objects.bulk_create(
        [
            TicketEvent(
                ticket=ticket,
                kind=EventKind.SLA_BREACHED,
                at=timezone.now(),
                is_internal=True,
                data={"target": "resolution"},
            )
        ]
    )
    assert Delivery.objects.count() == 0
    result = services.deliveries_run(now=later())
    assert result == {"queued": 1, "delivered": 1}
    assert services.deliveries_run(now=later(5)) == {}
    assert len(r.accepted()) == 1
    body = json.loads(r.accepted()[0]["body"])
    assert body["kind"] == "ticket.sla_breached" and body["data"] == {"target": "resolution"}
    assert valid(sub, r.accepted()[0])


def test_events_from_before_the_subscription_are_not_sent(admin, l1_agent):
    ticket = make_ticket(l1_agent)
    TicketEvent.objects.bulk_create(
        [TicketEvent(ticket=ticket, kind=EventKind.SLA_WARNING, at=timezone.now())]
    )
    subscribe(admin, types=["ticket.sla_warning"])
    services.deliveries_queue_missed(now=later())
    assert Delivery.objects.count() == 0


# --- delivery by the worker -------------------------------------------------------------------


def test_an_endpoint_failing_twice_then_succeeding_gets_the_event_once_signed(
    admin, l1_agent, receiver
):
    """Done-when: fails twice then succeeds → received exactly once with a valid signature."""
    r = receiver(500, 500, 200)
    sub = subscribe(admin, url=r.url)
    ticket = make_ticket(l1_agent)
    assert services.deliveries_run(now=later()) == {"retrying": 1}
    d = Delivery.objects.get()
    assert d.status == "pending" and d.attempts == 1 and d.last_response_code == 500
    assert d.next_attempt_at > timezone.now()  # backing off, not due at once
    assert services.deliveries_run(now=later()) == {}  # not due yet
    assert services.deliveries_run(now=later(60)) == {"retrying": 1}
    assert services.deliveries_run(now=later(600)) == {"delivered": 1}
    assert services.deliveries_run(now=later(6000)) == {}

    assert [x["code"] for x in r.requests] == [500, 500, 200]
    accepted = r.accepted()
    assert len(accepted) == 1
    assert valid(sub, accepted[0])
    ids = {x["headers"]["X-Backline-Delivery"] for x in r.requests}
    assert ids == {str(d.delivery_id)}  # one id across retries: receivers can dedupe
    headers = accepted[0]["headers"]
    assert headers["X-Backline-Event"] == "ticket.created"
    assert headers["Content-Type"] == "application/json"
    body = json.loads(accepted[0]["body"])
    assert body["ticket"]["number"] == ticket.number and body["kind"] == "ticket.created"

    d.refresh_from_db()
    assert d.status == "delivered" and d.attempts == 3 and d.last_response_code == 200
    assert d.delivered_at is not None and d.lease_until is None and d.last_error == ""
    log = list(Attempt.objects.filter(delivery=d).order_by("number"))
    assert [(a.number, a.response_code) for a in log] == [(1, 500), (2, 500), (3, 200)]
    assert "try again later" in log[0].response_excerpt


def test_a_worker_killed_mid_delivery_loses_nothing(admin, l1_agent, receiver, settings):
    """Done-when: a worker claims a delivery and dies; after the lease another sweep sends it."""
    settings.BACKLINE_WEBHOOK_LEASE_SECONDS = 120
    r = receiver(200)
    subscribe(admin, url=r.url)
    make_ticket(l1_agent)
    d = Delivery.objects.get()
    now = timezone.now()
    assert services.delivery_claim(d.pk, now=now) is not None  # ...and the worker dies here
    d.refresh_from_db()
    assert d.status == "delivering"
    assert services.delivery_claim(d.pk, now=now) is None  # nobody else takes it meanwhile
    assert services.deliveries_run(now=now + timedelta(seconds=60)) == {}
    assert r.requests == []
    assert services.deliveries_run(now=now + timedelta(seconds=300)) == {"delivered": 1}
    assert len(r.accepted()) == 1
    d.refresh_from_db()
    assert d.status == "delivered" and d.attempts == 1


def test_a_post_that_breaks_off_mid_way_is_retried(admin, l1_agent, receiver):
    r = receiver(200, hang_up=1)
    sub = subscribe(admin, url=r.url)
    make_ticket(l1_agent)
    assert services.deliveries_run(now=later()) == {"retrying": 1}
    d = Delivery.objects.get()
    assert d.status == "pending" and d.last_response_code is None and d.last_error
    assert services.deliveries_run(now=later(60)) == {"delivered": 1}
    assert len(r.requests) == 2 and len(r.accepted()) == 1 and valid(sub, r.accepted()[0])


def test_an_unexpected_error_while_sending_is_a_failed_attempt_not_a_stuck_row(
    admin, l1_agent, monkeypatch
):
    subscribe(admin)
    make_ticket(l1_agent)

    def boom(*args, **kwargs):
        raise RuntimeError("socket library exploded")

    monkeypatch.setattr(services, "_post", boom)
    assert services.deliveries_run(now=later()) == {"retrying": 1}
    d = Delivery.objects.get()
    assert d.status == "pending" and "exploded" in d.last_error
    assert Attempt.objects.get().error.startswith("RuntimeError")


def test_an_unreachable_endpoint_is_retried_then_given_up(admin, l1_agent, settings):
    settings.BACKLINE_WEBHOOK_MAX_ATTEMPTS = 3
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    subscribe(admin, url=f"http://127.0.0.1:{port}/gone")
    make_ticket(l1_agent)
    results = [services.deliveries_run(now=later(60 * 24 * i)) for i in range(1, 5)]
    assert results == [{"retrying": 1}, {"retrying": 1}, {"failed": 1}, {}]
    d = Delivery.objects.get()
    assert d.status == "failed" and d.attempts == 3 and d.next_attempt_at is None
    assert "Connection failed" in d.last_error


def test_redirects_are_not_followed(admin, l1_agent, receiver, settings):
    settings.BACKLINE_WEBHOOK_MAX_ATTEMPTS = 1
    r = receiver(302)
    subscribe(admin, url=r.url)
    make_ticket(l1_agent)
    assert services.deliveries_run(now=later()) == {"failed": 1}
    assert Delivery.objects.get().last_response_code == 302


def test_a_slow_endpoint_never_blocks_the_request_that_caused_the_event(
    admin, l1_agent, receiver, settings
):
    settings.BACKLINE_WEBHOOK_TIMEOUT_SECONDS = 0.3
    r = receiver(200, sleep=2)
    subscribe(admin, url=r.url)
    api = api_client_for(l1_agent)
    response = api.post("/api/v1/tickets", {"title": "VPN drops"}, content_type="application/json")
    assert response.status_code == 201
    # The request only queued a row: the endpoint has not been called at all.
    assert r.requests == []
    assert Delivery.objects.get().status == "pending"
    # The worker gives up on the slow answer after the timeout and tries again later.
    assert services.deliveries_run(now=later()) == {"retrying": 1}
    d = Delivery.objects.get()
    assert d.status == "pending" and "Timed out" in d.last_error


def test_without_a_time_budget_the_sweep_sends_one_batch_per_run(
    admin, l1_agent, receiver, settings
):
    settings.BACKLINE_WEBHOOK_BATCH = 2
    settings.BACKLINE_WEBHOOK_SWEEP_SECONDS = (
        0  # with a budget it drains (test_webhooks_concurrency)
    )
    r = receiver(200)
    subscribe(admin, url=r.url)
    for i in range(3):
        make_ticket(l1_agent, title=f"t{i}")
    assert services.deliveries_run(now=later()) == {"delivered": 2}
    assert services.deliveries_run(now=later()) == {"delivered": 1}
    assert len(r.accepted()) == 3


def test_two_workers_never_claim_the_same_delivery(admin, l1_agent):
    subscribe(admin)
    make_ticket(l1_agent)
    d = Delivery.objects.get()
    now = timezone.now()
    assert services.delivery_claim(d.pk, now=now) is not None
    assert services.delivery_claim(d.pk, now=now) is None


def test_a_failed_delivery_is_replayed_with_the_same_id(admin, l1_agent, receiver, settings):
    settings.BACKLINE_WEBHOOK_MAX_ATTEMPTS = 1
    r = receiver(503, 200)
    sub = subscribe(admin, url=r.url)
    make_ticket(l1_agent)
    assert services.deliveries_run(now=later()) == {"failed": 1}
    d = Delivery.objects.get()
    services.delivery_replay(actor=admin, delivery=d)
    d.refresh_from_db()
    assert d.status == "pending"
    assert services.deliveries_run(now=later()) == {"delivered": 1}
    d.refresh_from_db()
    assert d.attempts == 2 and d.status == "delivered"
    assert [x["headers"]["X-Backline-Delivery"] for x in r.requests] == [str(d.delivery_id)] * 2
    assert valid(sub, r.accepted()[0])


def test_a_delivery_being_sent_cannot_be_replayed(admin, l1_agent):
    subscribe(admin)
    make_ticket(l1_agent)
    d = Delivery.objects.get()
    services.delivery_claim(d.pk, now=timezone.now())
    with pytest.raises(Conflict):
        services.delivery_replay(actor=admin, delivery=d)


def test_a_test_event_reaches_the_endpoint(admin, receiver):
    r = receiver(204)
    sub = subscribe(admin, url=r.url)
    services.subscription_send_test(actor=admin, subscription=sub)
    assert services.deliveries_run(now=later()) == {"delivered": 1}
    assert json.loads(r.accepted()[0]["body"])["kind"] == "webhook.test"


def test_a_rotated_secret_signs_the_next_delivery(admin, receiver):
    r = receiver(200)
    sub = subscribe(admin, url=r.url)
    old = sub.secret
    sub = services.subscription_rotate_secret(actor=admin, subscription=sub)
    assert sub.secret != old and sub.secret.startswith("whsec_")
    services.subscription_send_test(actor=admin, subscription=sub)
    services.deliveries_run(now=later())
    assert valid(sub, r.accepted()[0])
    sub.secret = old
    assert not valid(sub, r.accepted()[0])


def test_only_managers_manage_webhooks(l2_agent, admin):
    with pytest.raises(PermissionDenied):
        subscribe(l2_agent)
    sub = subscribe(admin)
    with pytest.raises(PermissionDenied):
        services.subscription_rotate_secret(actor=l2_agent, subscription=sub)


# --- API --------------------------------------------------------------------------------------


def _create(client, **overrides):
    body = {
        "name": "L1 desk",
        "url": "https://l1.example.com/hooks",
        "event_types": ["ticket.created", "ticket.status_changed"],
    }
    body.update(overrides)
    return client.post("/api/v1/webhooks/subscriptions", body, content_type="application/json")


def test_api_subscriptions_crud(admin):
    api = api_client_for(admin)
    assert api.get("/api/v1/webhooks/event-types").json()[0]["kind"] == "ticket.created"
    response = _create(api)
    assert response.status_code == 201
    created = response.json()
    assert created["secret"].startswith("whsec_")
    assert created["secret_hint"] == "…" + created["secret"][-4:]
    url = f"/api/v1/webhooks/subscriptions/{created['id']}"
    listed = api.get("/api/v1/webhooks/subscriptions").json()
    assert [s["name"] for s in listed] == ["L1 desk"] and "secret" not in listed[0]
    assert "secret" not in api.get(url).json()
    patched = api.patch(url, {"is_active": False, "name": "L1"}, content_type="application/json")
    assert patched.status_code == 200 and patched.json()["is_active"] is False
    rotated = api.post(f"{url}/rotate-secret").json()
    assert rotated["secret"] != created["secret"]
    assert api.delete(url).status_code == 204
    assert api.get(url).status_code == 404


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"url": "ftp://l1.example.com/x"}, "url"),
        ({"url": "not a url"}, "url"),
        ({"event_types": ["ticket.deleted"]}, "event_types.0"),
        ({"event_types": []}, "event_types"),
        ({"name": "  "}, "name"),
    ],
)
def test_api_refuses_bad_subscriptions_naming_the_field(admin, overrides, field):
    response = _create(api_client_for(admin), **overrides)
    assert response.status_code == 422
    assert response.json()["field"] == field
    assert Subscription.objects.count() == 0


def test_api_is_for_managers_with_a_token(l2_agent):
    assert Client().get("/api/v1/webhooks/subscriptions").status_code == 401
    agent = api_client_for(l2_agent)
    assert agent.get("/api/v1/webhooks/subscriptions").status_code == 403
    assert _create(agent).status_code == 403
    assert agent.get("/api/v1/webhooks/deliveries").status_code == 403


def test_api_delivery_log_filters_and_replay(admin, l1_agent, receiver):
    r = receiver(500, 200)
    api = api_client_for(admin)
    sub_id = _create(api, url=r.url).json()["id"]
    ticket = make_ticket(l1_agent)
    other = make_ticket(l1_agent, title="Another one")
    services.deliveries_run(now=later())
    log = api.get("/api/v1/webhooks/deliveries", {"subscription": sub_id}).json()
    assert log["count"] == 2
    assert {i["status"] for i in log["items"]} == {"pending", "delivered"}
    failed = api.get("/api/v1/webhooks/deliveries", {"status": "pending"}).json()["items"]
    assert len(failed) == 1 and failed[0]["last_response_code"] == 500
    by_ticket = api.get("/api/v1/webhooks/deliveries", {"ticket": ticket.number}).json()
    assert [i["ticket"] for i in by_ticket["items"]] == [ticket.number]
    assert other.number != ticket.number
    detail = api.get(f"/api/v1/webhooks/deliveries/{failed[0]['id']}").json()
    assert detail["payload"]["kind"] == "ticket.created"
    assert [a["response_code"] for a in detail["attempt_log"]] == [500]
    replay = api.post(f"/api/v1/webhooks/deliveries/{failed[0]['id']}/replay")
    assert replay.status_code == 202 and replay.json()["delivery_id"] == failed[0]["delivery_id"]
    services.deliveries_run(now=later())
    assert api.get("/api/v1/webhooks/deliveries", {"status": "delivered"}).json()["count"] == 2
    bad = api.get("/api/v1/webhooks/deliveries", {"status": "lost"})
    assert bad.status_code == 422
    assert api.get("/api/v1/webhooks/deliveries/999999").status_code == 404


def test_api_replay_of_a_delivery_in_flight_is_a_conflict(admin, l1_agent):
    api = api_client_for(admin)
    _create(api)
    make_ticket(l1_agent)
    d = Delivery.objects.get()
    services.delivery_claim(d.pk, now=timezone.now())
    response = api.post(f"/api/v1/webhooks/deliveries/{d.pk}/replay")
    assert response.status_code == 409 and response.json()["code"] == "conflict"


def test_api_test_event(admin):
    api = api_client_for(admin)
    sub_id = _create(api).json()["id"]
    response = api.post(f"/api/v1/webhooks/subscriptions/{sub_id}/test")
    assert response.status_code == 202
    assert response.json()["event_type"] == "webhook.test"
    assert response.json()["status"] == "pending"


# --- pages ------------------------------------------------------------------------------------


@pytest.fixture
def boss(admin) -> Client:
    client = Client()
    client.force_login(admin)
    return client


FORM = {
    "name": "L1 desk",
    "url": "https://l1.example.com/hooks",
    "event_types": ["ticket.created", "ticket.escalated"],
    "is_active": "on",
}


def test_pages_are_for_managers(web):
    assert web.get("/settings/webhooks/").status_code == 403
    assert web.get("/settings/webhooks/new").status_code == 403
    assert Client().get("/settings/webhooks/").status_code == 302  # to the sign-in page


def test_creating_a_webhook_shows_the_secret_once(boss):
    assert boss.get("/settings/webhooks/new").status_code == 200
    response = boss.post("/settings/webhooks/new", FORM)
    sub = Subscription.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/settings/webhooks/{sub.pk}"
    first = boss.get(response["Location"]).content.decode()
    assert sub.secret in first
    again = boss.get(response["Location"]).content.decode()
    assert sub.secret not in again and sub.secret_hint in again
    listing = boss.get("/settings/webhooks/").content.decode()
    assert "L1 desk" in listing and "ticket.escalated" in listing


def test_the_form_shows_errors_next_to_the_fields(boss):
    response = boss.post("/settings/webhooks/new", {**FORM, "url": "ftp://x.example.com"})
    assert response.status_code == 422
    assert "http:// or https://" in response.content.decode()
    response = boss.post("/settings/webhooks/new", {**FORM, "event_types": []})
    assert response.status_code == 422 and "at least one event" in response.content.decode()
    assert Subscription.objects.count() == 0


def test_edit_toggle_rotate_and_delete(boss, admin):
    sub = subscribe(admin)
    url = f"/settings/webhooks/{sub.pk}"
    assert boss.get(f"{url}/edit").status_code == 200
    response = boss.post(
        f"{url}/edit", {**FORM, "name": "Renamed", "event_types": ["problem.created"]}
    )
    assert response.status_code == 302
    sub.refresh_from_db()
    assert sub.name == "Renamed" and sub.event_types == ["problem.created"]
    boss.post(f"{url}/toggle")
    sub.refresh_from_db()
    assert not sub.is_active
    old = sub.secret
    boss.post(f"{url}/rotate")
    sub.refresh_from_db()
    assert sub.secret != old and sub.secret in boss.get(url).content.decode()
    assert boss.post(f"{url}/delete").status_code == 302
    assert not Subscription.objects.exists()


def test_the_delivery_log_page_and_its_htmx_fragment(boss, admin, l1_agent, receiver):
    r = receiver(500)
    sub = subscribe(admin, url=r.url)
    ticket = make_ticket(l1_agent)
    services.deliveries_run(now=later())
    url = f"/settings/webhooks/{sub.pk}"
    page = boss.get(url).content.decode()
    assert "<html" in page and ticket.number in page and "500" in page and "Pending" in page
    fragment = boss.get(url, {"status": "pending"}, **HX)
    body = fragment.content.decode()
    assert fragment.status_code == 200 and "<html" not in body and 'id="delivery-log"' in body
    assert ticket.number in body
    empty = boss.get(url, {"status": "delivered"}, **HX).content.decode()
    assert ticket.number not in empty and "Nothing sent yet" in empty

    d = Delivery.objects.get()
    detail = html.unescape(boss.get(f"/settings/webhooks/deliveries/{d.pk}").content.decode())
    assert (
        str(d.delivery_id) in detail
        and "try again later" in detail
        and '"kind":"ticket.created"' in detail
    )


def test_replay_and_test_from_the_log(boss, admin, l1_agent, settings):
    settings.BACKLINE_WEBHOOK_MAX_ATTEMPTS = 1
    sub = subscribe(admin, url="http://127.0.0.1:9/nothing-listens")
    make_ticket(l1_agent)
    services.deliveries_run(now=later())
    d = Delivery.objects.get()
    assert d.status == "failed"
    fragment = boss.post(f"/settings/webhooks/deliveries/{d.pk}/replay", **HX)
    assert fragment.status_code == 200 and "<html" not in fragment.content.decode()
    assert "queued again" in fragment.content.decode()
    d.refresh_from_db()
    assert d.status == "pending"
    plain = boss.post(f"/settings/webhooks/deliveries/{d.pk}/replay", {"next": "delivery"})
    assert plain["Location"] == f"/settings/webhooks/deliveries/{d.pk}"
    tested = boss.post(f"/settings/webhooks/{sub.pk}/test", **HX)
    assert (
        "Test event queued" in tested.content.decode() and "webhook.test" in tested.content.decode()
    )
    services.delivery_claim(d.pk, now=timezone.now())
    refused = boss.post(f"/settings/webhooks/deliveries/{d.pk}/replay", **HX)
    assert refused.status_code == 409 and "being sent right now" in refused.content.decode()


def test_unknown_ids_are_404_pages(boss):
    assert boss.get("/settings/webhooks/999").status_code == 404
    assert boss.get("/settings/webhooks/deliveries/999").status_code == 404


def test_a_database_error_while_queueing_never_fails_the_ticket_write(admin, l1_agent, monkeypatch):
    from django.db import DatabaseError

    subscribe(admin)

    def broken(rows):
        raise DatabaseError("disk full")

    monkeypatch.setattr(services, "_queue", broken)
    ticket = make_ticket(l1_agent)
    assert ticket.pk and TicketEvent.objects.filter(ticket=ticket).exists()
    assert Delivery.objects.count() == 0


def test_the_worker_sweep_delivers_webhooks(admin, l1_agent, receiver):
    from backline import worker

    r = receiver(200)
    subscribe(admin, url=r.url)
    make_ticket(l1_agent)
    assert worker.run_once()["webhooks"] == {"delivered": 1}
    assert len(r.accepted()) == 1


def test_the_log_page_query_count_does_not_grow_with_deliveries(
    boss, admin, l1_agent, django_assert_max_num_queries
):
    sub = subscribe(admin)
    make_ticket(l1_agent)
    with django_assert_max_num_queries(20) as few:
        boss.get(f"/settings/webhooks/{sub.pk}")
    for i in range(10):
        make_ticket(l1_agent, title=f"t{i}")
    with django_assert_max_num_queries(20) as many:
        boss.get(f"/settings/webhooks/{sub.pk}")
    assert len(many.captured_queries) == len(few.captured_queries)
