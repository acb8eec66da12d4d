"""An admin sets up an Alertmanager source and a rule in the browser, Alertmanager posts an
alert with the token, and the incident shows up on the source page and with its alert panel."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from backline.accounts.choices import Role
from backline.tickets.models import Ticket
from tests.browser.conftest import sign_in
from tests.factories import PASSWORD, TeamFactory, UserFactory
from tests.test_intake import am_alert, am_payload

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_admin_creates_a_source_and_a_rule_and_an_alert_becomes_an_incident(page, admin):
    TeamFactory(name="Operations", tier=2)
    UserFactory(username="monitoring", first_name="Monitoring", role=Role.REQUESTER)
    sign_in(page, admin.username, PASSWORD)

    page.goto("/settings/alerts/")
    page.get_by_role("link", name="New source").click()
    page.get_by_label("Name").fill("Prometheus production")
    page.get_by_label("Payload format").select_option("alertmanager")
    page.get_by_label("Default team").select_option(label="Operations")
    page.get_by_role("button", name="Save").click()
    token = page.get_by_test_id("source-token").inner_text().strip()
    assert token.startswith("bla_")
    expect(page.get_by_test_id("receiver-url")).to_contain_text("/api/v1/alerts/alertmanager")

    page.goto("/settings/alerts/rules/new/")
    page.get_by_label("Name").fill("Critical is urgent")
    page.get_by_label("Label matchers").fill("severity=critical")
    page.get_by_label("Urgency").select_option(label="High")
    page.get_by_label("Title template").fill("{alertname} on {instance}")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_test_id("alert-rules")).to_contain_text("severity=critical")

    page.get_by_role("link", name="Prometheus production").click()
    expect(page.get_by_test_id("source-alerts")).to_contain_text("No alerts received yet")
    body = am_payload(am_alert(instance="crm-app-01:9100"))
    response = page.request.post(
        "/api/v1/alerts/alertmanager",
        data=body,
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status == 200, response.text()
    number = response.json()["created"][0]

    page.get_by_role("button", name="Refresh").click()
    alerts = page.get_by_test_id("source-alerts")
    expect(alerts).to_contain_text(number)
    expect(alerts).to_contain_text("firing")
    expect(page.get_by_test_id("source-log")).to_contain_text("created")
    alerts.get_by_role("link", name=number).click()
    expect(page.locator("h1")).to_contain_text("HighErrorRate on crm-app-01:9100")
    expect(page.get_by_test_id("alert-occurrences")).to_contain_text("1 time")
    ticket = Ticket.objects.get()
    assert ticket.team.name == "Operations" and ticket.urgency == 1
