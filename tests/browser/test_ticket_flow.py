"""The everyday flow in a browser: sign in, log a ticket, reply, note, resolve; filter a queue."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from backline.tickets.models import Ticket
from tests.browser.conftest import sign_in
from tests.factories import PASSWORD, make_ticket

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_login_create_reply_note_resolve(page, l1_agent, requester):
    sign_in(page, "sam", PASSWORD)
    page.get_by_role("link", name="New ticket").click()
    page.get_by_label("Title").fill("CRM crashes whenever users generate reports")
    page.get_by_label("Description").fill("Sales reports crash the CRM for everyone since Monday.")
    page.get_by_label("Requester").select_option(label="Rita Sales (rita)")
    page.get_by_label("Impact").select_option(label="High")
    page.get_by_label("Urgency").select_option(label="High")
    page.get_by_role("button", name="Create ticket").click()
    expect(page.locator("h1")).to_have_text("CRM crashes whenever users generate reports")
    expect(page.locator(".badges .pri")).to_have_text("P1 Critical")
    number = Ticket.objects.get().number
    assert page.url.endswith(f"/tickets/{number}/")

    composer = page.locator("#composer")
    composer.get_by_label("Message", exact=True).fill("Thanks Rita, we are looking into it.")
    composer.get_by_role("button", name="Send").click()
    expect(page.locator("#ticket .flash.success")).to_have_text("Reply sent.")
    expect(page.locator(".comment").last).to_contain_text("Thanks Rita")

    page.locator("#composer").get_by_text("Internal note").click()
    page.locator("#composer").get_by_label("Message", exact=True).fill(
        "Cleared cache, other browser: same crash."
    )
    page.locator("#composer").get_by_role("button", name="Send").click()
    expect(page.locator("#ticket .flash.success")).to_have_text("Internal note added.")
    expect(page.locator(".comment.note")).to_contain_text("other browser")

    page.get_by_role("button", name="Assign to me").click()
    expect(page.get_by_test_id("assignee")).to_have_text("Sam Desk")

    page.get_by_text("Resolve…").click()
    page.get_by_role("button", name="Resolve", exact=True).click()
    expect(page.locator(".field-error").first).to_contain_text("A resolution code is required")
    form = page.locator('[data-action-form="resolve"]')
    form.get_by_label("Resolution").select_option(label="Configuration changed")
    form.get_by_label("What fixed it").fill("Restored the previous database parameter.")
    form.get_by_role("button", name="Resolve", exact=True).click()
    expect(page.get_by_test_id("status")).to_have_text("Resolved")
    expect(page.locator(".resolution")).to_contain_text("Restored the previous database parameter.")

    ticket = Ticket.objects.get()
    assert ticket.status == "resolved" and ticket.assignee == l1_agent
    assert [c.is_internal for c in ticket.comments.order_by("id")] == [False, True]


def test_queue_filter_updates_results_in_place(page, l1_agent, l2_agent):
    make_ticket(l1_agent, title="CRM report export fails", impact=1, urgency=1)
    make_ticket(l1_agent, title="Printer jams on floor 3", impact=3, urgency=3)
    make_ticket(l1_agent, title="VPN drops every hour", impact=2, urgency=2, assignee=l2_agent)
    sign_in(page, "lena", PASSWORD)
    page.goto("/tickets/?queue=all")
    rows = page.locator("table.queue tbody tr")
    expect(rows).to_have_count(3)
    page.get_by_label("Priority").select_option(label="P1 Critical")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("CRM report export fails")
    expect(page).to_have_url(re.compile(r"priority=1"))
    page.get_by_label("Priority").select_option(label="Any")
    page.get_by_placeholder("Filter by text or number").fill("vpn")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("VPN drops every hour")
    page.get_by_role("link", name="My work").click()
    expect(rows).to_have_count(1)


def test_keyboard_moves_through_the_queue_and_opens_a_ticket(page, l1_agent):
    make_ticket(l1_agent, title="First")
    second = make_ticket(l1_agent, title="Second")
    sign_in(page, "sam", PASSWORD)
    page.goto("/tickets/?queue=all&sort=-number")
    page.keyboard.press("j")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/tickets/{second.number}/")
    page.keyboard.press("c")
    page.wait_for_url("**/tickets/new/")
