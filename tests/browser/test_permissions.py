"""Permissions in the browser (docs/security.md): a requester sees only their own request and none
of the internal notes on it; an agent outside the Security team searches for a restricted
ticket by its title and does not find it, while a Security agent does."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from backline.tickets import services as tickets
from backline.tickets.models import Category
from tests.browser.conftest import sign_in
from tests.factories import PASSWORD, TeamFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def desk(requester, other_requester, l1_agent, service_desk):
    mine = tickets.ticket_create(
        actor=l1_agent, requester=requester, team=service_desk, title="Laptop dock flickers"
    )
    tickets.ticket_comment(
        actor=l1_agent, ticket=mine, body="Internal: the dock firmware is known bad", internal=True
    )
    tickets.ticket_comment(actor=l1_agent, ticket=mine, body="We are sending a new dock.")
    theirs = tickets.ticket_create(
        actor=l1_agent, requester=other_requester, team=service_desk, title="Payslip PDF is empty"
    )
    return mine, theirs


def test_a_requester_sees_only_their_ticket_and_no_internal_note(page, desk):
    mine, theirs = desk
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill("rita")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/portal/")
    expect(page.get_by_role("link", name=mine.title)).to_be_visible()
    expect(page.get_by_text(theirs.title)).to_have_count(0)

    page.get_by_role("link", name=mine.title).click()
    expect(page.get_by_text("We are sending a new dock.")).to_be_visible()
    expect(page.get_by_text("the dock firmware is known bad")).to_have_count(0)

    # Typing the other request's address in is answered as if it did not exist.
    response = page.goto(f"/portal/tickets/{theirs.number}")
    assert response is not None and response.status == 404
    expect(page.get_by_text(theirs.title)).to_have_count(0)


def test_an_uninvolved_agent_does_not_find_a_restricted_ticket(page, requester, l3_agent):
    security = TeamFactory(name="Security", tier=2)
    UserFactory(username="sina", teams=[security])
    category = Category.objects.create(name="Security incident", restricted=True, team=security)
    secret = tickets.ticket_create(
        actor=UserFactory(username="sec-lead", teams=[security]),
        requester=requester,
        team=security,
        category=category,
        title="Phishing mail harvested payroll passwords",
    )

    sign_in(page, "omar", PASSWORD)
    page.goto("/search/?q=phishing+payroll")
    expect(page.get_by_role("heading", name="Search", exact=True)).to_be_visible()
    expect(page.get_by_text(secret.number)).to_have_count(0)
    expect(page.get_by_text("harvested")).to_have_count(0)

    # The same search by a member of the owning team finds it.
    page.context.clear_cookies()
    sign_in(page, "sina", PASSWORD)
    page.goto("/search/?q=phishing+payroll")
    expect(page.get_by_text(secret.number).first).to_be_visible()
