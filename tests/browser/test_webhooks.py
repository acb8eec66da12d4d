"""Webhooks in a real browser: an admin subscribes the L1 desk's endpoint, sees the secret once,
a ticket is created, the worker delivers it, the log shows it, and a replay sends it again."""

from __future__ import annotations

import json

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from backline.accounts.choices import Role
from backline.webhooks import rules
from backline.webhooks.models import Delivery, Subscription
from backline.webhooks.services import deliveries_run
from tests.browser.conftest import sign_in
from tests.factories import PASSWORD, UserFactory, make_ticket
from tests.test_webhooks import Receiver

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def endpoint():
    r = Receiver((200,))
    yield r
    r.close()


def test_admin_subscribes_sees_the_delivery_and_replays_it(page, endpoint):
    UserFactory(username="ada", first_name="Ada", last_name="Admin", role=Role.ADMIN)
    agent = UserFactory(username="sam", first_name="Sam", last_name="Desk")
    sign_in(page, "ada", PASSWORD)

    page.goto("/settings/webhooks/")
    expect(page.get_by_test_id("webhook-subscriptions")).to_contain_text("No webhooks yet")
    page.get_by_role("link", name="New webhook").click()
    page.get_by_label("Name").fill("L1 service desk")
    page.get_by_label("Target URL").fill("ftp://wrong.example.com")
    page.get_by_label("Ticket created").check()
    page.get_by_label("Ticket status changed").check()
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".field-error")).to_contain_text("http:// or https://")
    page.get_by_label("Target URL").fill(endpoint.url)
    page.get_by_role("button", name="Save").click()

    sub = Subscription.objects.get()
    expect(page.locator("#webhook-secret")).to_have_text(sub.secret)
    expect(page.get_by_test_id("webhook-url")).to_have_text(endpoint.url)
    page.reload()
    expect(page.locator("#webhook-secret")).to_have_count(0)  # shown once only

    ticket = make_ticket(agent, title="Printer jams on floor 3")  # an event happens
    assert endpoint.requests == []  # nothing is sent by the request itself
    assert deliveries_run(now=timezone.now()) == {"delivered": 1}
    body = json.loads(endpoint.accepted()[0]["body"])
    assert body["ticket"]["number"] == ticket.number
    headers = endpoint.accepted()[0]["headers"]
    assert rules.verify(
        sub.secret,
        headers["X-Backline-Timestamp"],
        endpoint.accepted()[0]["body"],
        headers["X-Backline-Signature"],
        now=int(timezone.now().timestamp()),
    )

    page.get_by_role("button", name="Refresh").click()
    log = page.get_by_test_id("delivery-log")
    row = log.locator("tbody tr").first
    expect(row).to_contain_text(ticket.number)
    expect(row).to_contain_text("ticket.created")
    expect(row.get_by_test_id("delivery-status")).to_have_text("Delivered")
    expect(row).to_contain_text("200")

    delivery = Delivery.objects.get()
    row.get_by_role("button", name=f"Replay delivery {delivery.number}").click()
    expect(page.locator("#delivery-log .flash")).to_contain_text("queued again")
    expect(log.locator("tbody tr").first.get_by_test_id("delivery-status")).to_have_text("Pending")
    assert deliveries_run(now=timezone.now()) == {"delivered": 1}
    page.get_by_role("button", name="Refresh").click()
    expect(log.locator("tbody tr").first.get_by_test_id("delivery-status")).to_have_text(
        "Delivered"
    )
    ids = [r["headers"]["X-Backline-Delivery"] for r in endpoint.accepted()]
    assert ids == [str(delivery.delivery_id)] * 2

    page.get_by_role("link", name=delivery.number).click()
    expect(page.get_by_test_id("attempts").locator("tbody tr")).to_have_count(2)
    expect(page.get_by_test_id("payload")).to_contain_text(ticket.number)
