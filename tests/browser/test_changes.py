"""Issue 6, "what changed?" in a real browser on reference case (a): the CRM crashes when users
generate reports; the database parameter change 20 h earlier is ranked first, the engineer
links it as the confirmed cause, and both the ticket and the change show the link."""

from __future__ import annotations

import os

import pytest
from playwright.sync_api import expect

from backline.changes.models import TicketChangeLink
from tests.browser.conftest import ARTIFACTS, sign_in
from tests.factories import PASSWORD
from tests.test_changes import case_a  # noqa: F401 - the reference case (a) fixture

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _shot(page, name: str) -> None:
    # BACKLINE_SCREENSHOTS=1 keeps pictures of the pages for a look at the layout.
    if os.environ.get("BACKLINE_SCREENSHOTS"):
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"changes-{name}.png"), full_page=True)


def test_what_changed_ranks_the_db_parameter_change_first_and_links_it(page, case_a):  # noqa: F811
    ticket, param, deploy = case_a["ticket"], case_a["param"], case_a["deploy"]
    sign_in(page, "lena", PASSWORD)
    page.goto(f"/tickets/{ticket.number}/")
    panel = page.get_by_test_id("what-changed")
    candidates = panel.get_by_test_id("change-candidates").locator("li.chg-cand")
    expect(candidates).to_have_count(2)
    first = candidates.first
    expect(first).to_have_attribute("data-change", param.number)
    expect(first).to_contain_text("2 hops upstream: crm-db-01 configuration")
    expect(first).to_contain_text("ended 20 h before")
    expect(candidates.nth(1)).to_have_attribute("data-change", deploy.number)
    expect(panel).not_to_contain_text(case_a["patch"].number)  # unrelated server
    expect(page.get_by_test_id("affected-cis")).to_contain_text("crm-db-01 configuration")
    _shot(page, "ticket")

    panel.get_by_role("button", name="24 h").click()
    expect(candidates).to_have_count(1)
    expect(panel.get_by_role("button", name="24 h")).to_have_attribute("aria-pressed", "true")

    first.get_by_role("button", name="Confirmed cause").click()
    causes = page.get_by_test_id("change-causes")
    expect(causes).to_contain_text(param.number)
    expect(causes).to_contain_text("Confirmed cause")
    expect(page.locator("#timeline")).to_contain_text(f"linked {param.number}")
    assert TicketChangeLink.objects.get().kind == "confirmed"
    _shot(page, "ticket-linked")

    causes.get_by_role("link", name=param.number).click()
    page.wait_for_url(f"**/changes/{param.number}")
    expect(page.get_by_test_id("change-incidents")).to_contain_text(ticket.number)
    expect(page.get_by_test_id("caused-count")).to_have_text("caused 1 incident")
    _shot(page, "change")
    page.goto("/changes/")
    expect(page.get_by_test_id("change-induced-rate")).to_be_visible()
    _shot(page, "list")
    page.goto("/changes/new")
    _shot(page, "form")
