"""Reference case (a) on the demo data in a real browser: Tom Becker opens the CRM case, the
"What changed?" panel ranks the CRM database parameter change first (two hops upstream, the
evening before), he links it as the confirmed cause, the ticket and the change show the link,
and the CI page of crm-db-01 names CRM among the services it would break."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from backline.changes.models import Change, TicketChangeLink
from backline.cmdb.models import ConfigurationItem
from backline.demo.generate import load_demo
from backline.tickets.models import Ticket
from tests.browser.conftest import sign_in
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def demo_case_a(transactional_db):
    load_demo(seed=7, tickets=150, password=PASSWORD)
    ticket = Ticket.objects.get(title="CRM crashes whenever users generate reports")
    param = Change.objects.get(title__startswith="Tune CRM database parameters")
    deploy = Change.objects.get(title__startswith="Deploy CRM front-end")
    return ticket, param, deploy


def test_tom_finds_the_db_parameter_change_links_it_and_sees_the_impact(page, demo_case_a):
    ticket, param, deploy = demo_case_a
    sign_in(page, "tbecker", PASSWORD)
    page.goto(f"/tickets/{ticket.number}/")
    panel = page.get_by_test_id("what-changed")
    candidates = panel.get_by_test_id("change-candidates").locator("li.chg-cand")
    expect(candidates.first).to_have_attribute("data-change", param.number)
    expect(candidates.first).to_contain_text("2 hops upstream: crm-db-01 configuration")
    expect(panel.locator(f'li.chg-cand[data-change="{deploy.number}"]')).to_contain_text(
        "same service: crm-app-02"
    )
    expect(page.get_by_test_id("change-causes")).to_have_count(0)  # nobody linked it yet

    candidates.first.get_by_role("button", name="Confirmed cause").click()
    causes = page.get_by_test_id("change-causes")
    expect(causes).to_contain_text(param.number)
    expect(causes).to_contain_text("Confirmed cause")
    expect(page.locator("#timeline")).to_contain_text(f"linked {param.number}")
    link = TicketChangeLink.objects.get(ticket=ticket)
    assert (link.change_id, link.kind, link.by.username) == (param.pk, "confirmed", "tbecker")

    causes.get_by_role("link", name=param.number).click()
    page.wait_for_url(f"**/changes/{param.number}")
    expect(page.get_by_test_id("change-incidents")).to_contain_text(ticket.number)

    db = ConfigurationItem.objects.get(name="crm-db-01")
    page.goto(f"/cmdb/cis/{db.pk}")
    expect(page.locator("h1")).to_have_text("crm-db-01")
    expect(page.get_by_test_id("downstream-services")).to_contain_text("CRM")
