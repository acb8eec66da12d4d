"""Satisfaction in a real browser: the requester clicks "4" in the resolved email, lands on the
thank-you page without signing in, changes nothing by reloading, adds a comment; the engineer
sees the rating and the comment in the ticket's side panel."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from backline.mailout.choices import EmailKind
from backline.mailout.models import OutboundEmail
from backline.satisfaction.models import Rating
from backline.tickets import services as tickets
from tests.browser.conftest import sign_in
from tests.factories import PASSWORD, TeamFactory, UserFactory, make_ticket

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_requester_rates_from_the_email_and_staff_see_it(page, live_server, settings):
    from backline.accounts.choices import Role

    settings.BACKLINE_SMTP_HOST = "127.0.0.1"  # queue emails (nothing is sent in this test)
    settings.BACKLINE_BASE_URL = live_server.url
    team = TeamFactory(name="Application Support", tier=2)
    agent = UserFactory(username="lena", first_name="Lena", last_name="Second", teams=[team])
    requester = UserFactory(
        username="rita", first_name="Rita", last_name="Sales", role=Role.REQUESTER
    )
    ticket = make_ticket(agent, requester=requester, team=team, title="Printer prints blank pages")
    ticket = tickets.ticket_transition(actor=agent, ticket=ticket, action="start")
    tickets.ticket_transition(
        actor=agent, ticket=ticket, action="resolve", resolution_code="fixed",
        resolution_notes="Replaced the toner cartridge.",
    )  # fmt: skip

    body = OutboundEmail.objects.get(kind=EmailKind.RESOLVED, recipient=requester).text_body
    links = dict(re.findall(r"  (\d): (\S+/rate/\S+)", body))
    assert sorted(links) == ["1", "2", "3", "4", "5"]

    page.goto(links["4"])
    expect(page.get_by_role("heading", name="Thank you for your feedback")).to_be_visible()
    expect(page.get_by_test_id("rating-current")).to_contain_text("4 of 5")
    current = page.locator(".csat-choice[aria-current='true']")
    expect(current).to_have_count(1)
    expect(current).to_contain_text("Good")
    page.reload()  # a second visit to the same link changes nothing
    expect(page.get_by_test_id("rating-current")).to_contain_text("4 of 5")

    # The browser stops at 2000 characters; without that limit the server refuses more.
    page.evaluate("document.querySelector('textarea').removeAttribute('maxlength')")
    page.get_by_label("Anything you'd like to add? (optional)").fill("x" * 2001)
    page.get_by_role("button", name="Send comment").click()
    expect(page.locator(".field-error")).to_contain_text("at most 2000 characters")
    assert Rating.objects.get().comment == ""

    page.get_by_label("Anything you'd like to add? (optional)").fill("Fixed before lunch, thanks!")
    page.get_by_role("button", name="Send comment").click()
    expect(page.get_by_text("Thanks, we have your comment.")).to_be_visible()
    rating = Rating.objects.get()
    assert (rating.score, rating.comment) == (4, "Fixed before lunch, thanks!")

    sign_in(page, "lena", PASSWORD)
    page.goto(ticket.get_absolute_url())
    panel = page.get_by_test_id("rating-panel")
    expect(panel).to_contain_text("4 / 5")
    expect(panel).to_contain_text("Good")
    expect(panel).to_contain_text("Fixed before lunch, thanks!")


def test_requester_changes_the_rating_from_the_portal(page, live_server):
    from backline.accounts.choices import Role

    team = TeamFactory(name="Service Desk", tier=1)
    agent = UserFactory(username="sam", first_name="Sam", last_name="Desk", teams=[team])
    UserFactory(username="rita", first_name="Rita", last_name="Sales", role=Role.REQUESTER)
    from backline.accounts.models import User

    requester = User.objects.get(username="rita")
    ticket = make_ticket(agent, requester=requester, team=team, title="VPN drops every hour")
    ticket = tickets.ticket_transition(actor=agent, ticket=ticket, action="start")
    tickets.ticket_transition(
        actor=agent, ticket=ticket, action="resolve", resolution_code="fixed",
        resolution_notes="Updated the VPN client.",
    )  # fmt: skip

    page.goto("/accounts/login/")
    page.get_by_label("Username").fill("rita")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.goto(f"/portal/tickets/{ticket.number}")
    card = page.get_by_test_id("rating")
    expect(card).to_contain_text("How did we do?")
    card.get_by_role("link", name=re.compile("Excellent")).click()
    expect(page.get_by_test_id("rating-current")).to_contain_text("5 of 5")
    page.get_by_role("link", name=re.compile("Okay")).click()
    expect(page.get_by_test_id("rating-current")).to_contain_text("3 of 5")
    assert Rating.objects.get().score == 3
    page.goto(f"/portal/tickets/{ticket.number}")
    expect(page.get_by_test_id("rating")).to_contain_text("You rated this 3 of 5")
