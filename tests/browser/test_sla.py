"""An agent finds the breached ticket at the top of "At risk" and reads why it is due then."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from backline.sla import services
from tests.browser.conftest import sign_in
from tests.factories import PASSWORD, make_ticket

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_agent_sees_a_breached_ticket_first_and_why_it_is_due(page, l1_agent, l2_agent):
    make_ticket(l1_agent, title="Laptop fan noisy", impact=3, urgency=3)
    breached = make_ticket(
        l1_agent,
        title="Payroll export fails",
        impact=2,
        urgency=2,
        at=timezone.now() - timedelta(days=10),
    )
    services.sla_sweep(now=timezone.now())

    sign_in(page, "lena", PASSWORD)
    page.goto("/tickets/")
    page.locator('a[data-queue="at_risk"]').click()
    expect(page.locator("h1")).to_have_text("At risk")
    first = page.locator("table.queue tbody tr").first
    expect(first).to_contain_text(breached.number)
    badge = first.locator(".sla-badge")
    expect(badge).to_have_class("sla-badge sla-breached")
    expect(badge).to_contain_text("overdue")
    assert badge.evaluate("el => getComputedStyle(el).color") == "rgb(180, 35, 24)"  # --bad

    first.get_by_role("link", name="Payroll export fails").click()
    panel = page.locator("#sla-panel")
    expect(panel).to_contain_text("Resolution")
    expect(panel).to_contain_text("breached")
    why = panel.locator("details.sla-why").last
    why.locator("summary", has_text="Why this due time?").click()
    expect(why).to_contain_text("P3 Moderate")
    expect(why).to_contain_text("time zone Europe/Berlin")
    expect(why).to_contain_text("Sat closed")
    expect(why).to_contain_text("of business time from")
