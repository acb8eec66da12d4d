"""Search in the browser: type in the header box, see highlighted results, open one, jump by
number."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from playwright.sync_api import expect

from backline.tickets import services
from tests.browser.conftest import sign_in
from tests.factories import PASSWORD, make_ticket

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_search_from_the_header(page, l2_agent, requester):
    vpn = make_ticket(
        l2_agent,
        title="VPN gateway not responding",
        description="Since 08:40 the VPN client says: Gateway not responding. Home office.",
        requester=requester,
    )
    resolved = make_ticket(
        l2_agent,
        title="VPN certificate validation failed",
        description="The VPN client rejects the gateway certificate after re-imaging.",
    )
    services.ticket_transition(
        actor=l2_agent,
        ticket=resolved,
        action="resolve",
        resolution_code="fixed",
        resolution_notes="Re-enrolled the machine certificate; VPN connects.",
    )
    make_ticket(l2_agent, title="Printer offline on 2nd floor")

    sign_in(page, "lena", PASSWORD)
    box = page.get_by_role("searchbox", name="Search tickets, articles and more")
    page.keyboard.press("/")
    expect(box).to_be_focused()
    box.fill("vpn gateway")
    box.press("Enter")
    page.wait_for_url("**/search/?q=vpn+gateway")
    expect(page.locator("#result-count")).to_contain_text("2 results")
    hits = page.locator(".search-hit")
    expect(hits).to_have_count(2)
    expect(hits.first.locator(".hit-title mark").first).to_have_text("VPN")
    expect(page.locator(".search-tabs a[data-kind=ticket] .count")).to_have_text("2")
    if os.environ.get("BACKLINE_SCREENSHOTS"):
        target = Path(os.environ["BACKLINE_SCREENSHOTS"])
        target.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(target / "search.png"), full_page=True)

    # Filtering in place (HTMX) keeps the query.
    page.get_by_label("Status").select_option("resolved")
    expect(hits).to_have_count(1)
    expect(hits.first).to_contain_text(resolved.number)
    expect(hits.first.locator(".hit-snippet mark").first).to_be_visible()

    hits.first.locator(".hit-title").click()
    page.wait_for_url(f"**/tickets/{resolved.number}/")
    expect(page.locator("h1")).to_have_text("VPN certificate validation failed")

    # A number jumps straight to the ticket.
    box.fill(vpn.number.lower())
    box.press("Enter")
    page.wait_for_url(f"**/tickets/{vpn.number}/")
