"""The requester portal on a phone: a requester asks for help and is offered a public article,
an agent answers and resolves, the requester says it is still broken and the ticket reopens."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from backline.knowledge import services as kb
from backline.knowledge.choices import Audience
from backline.tickets import services as tickets
from backline.tickets.choices import Source, Status
from backline.tickets.models import Ticket
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def public_article(l1_agent, l2_agent):
    article = kb.article_create(
        actor=l1_agent,
        title="Outlook keeps asking for your password",
        symptoms="Outlook shows the password prompt again and again.",
        resolution="1. Open **Credential Manager**\n2. Remove the entries that start with Office",
        audience=Audience.PUBLIC,
    )
    return kb.article_transition(actor=l2_agent, article=article, action="publish")


def _fits_the_screen(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_requester_asks_gets_an_answer_and_rejects_the_fix(
    page, requester, l1_agent, public_article
):
    page.set_viewport_size(PHONE)
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill("rita")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/portal/")
    expect(page.get_by_role("heading", name="My requests")).to_be_visible()
    assert _fits_the_screen(page)

    page.get_by_role("link", name="Ask for help").click()
    page.get_by_label("In a few words, what is wrong?").fill("Outlook asks for my password")
    suggestion = page.get_by_test_id("suggestion")
    expect(suggestion).to_have_count(1)
    expect(suggestion.get_by_role("link")).to_have_text(public_article.title)
    page.get_by_label("What happened?").fill("It pops up every few minutes since Monday.")
    assert _fits_the_screen(page)
    page.get_by_role("button", name="Send my request").click()
    page.wait_for_url("**/portal/tickets/INC-*")
    expect(page.get_by_text("Thanks, we have your request")).to_be_visible()

    ticket = Ticket.objects.get()
    assert (ticket.requester, ticket.source) == (requester, Source.PORTAL)
    tickets.ticket_comment(
        actor=l1_agent, ticket=ticket, body="Did you change your password on Monday?"
    )
    tickets.ticket_comment(
        actor=l1_agent, ticket=ticket, body="Maybe a cached token", internal=True
    )
    page.reload()
    expect(page.get_by_test_id("reply")).to_contain_text("Did you change your password on Monday?")
    expect(page.get_by_text("Maybe a cached token")).to_have_count(0)

    ticket = tickets.ticket_transition(actor=l1_agent, ticket=ticket, action="start")
    tickets.ticket_transition(
        actor=l1_agent,
        ticket=ticket,
        action="resolve",
        resolution_code="advice",
        resolution_notes="Removed the stale Office credentials.",
    )
    page.reload()
    expect(page.get_by_test_id("request-status")).to_have_text("Solved: please confirm")
    expect(page.get_by_test_id("resolution")).to_contain_text("Removed the stale Office")
    assert _fits_the_screen(page)

    page.get_by_text("No, still broken").click()
    page.get_by_label("What is still wrong?").fill("It asked again an hour later.")
    page.get_by_role("button", name="Reopen my request").click()
    expect(page.get_by_test_id("request-status")).to_have_text("Being worked on")
    expect(page.get_by_test_id("reply").last).to_contain_text("It asked again an hour later.")
    ticket.refresh_from_db()
    assert ticket.status == Status.IN_PROGRESS and ticket.reopen_count == 1
