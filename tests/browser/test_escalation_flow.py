"""The escalation path of issue 3 in a real browser, across three people's sessions."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from backline.tickets.models import Ticket
from tests.browser.conftest import sign_in
from tests.factories import PASSWORD, TeamFactory, UserFactory, make_ticket
from tests.test_escalation_api import REFERENCE_PATH, path_of

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def desk(l1_agent, l2_agent, l3_agent, service_desk, app_support, engineering):
    network = TeamFactory(name="Network & Infrastructure", tier=2)
    UserFactory(username="nick", first_name="Nick", last_name="Net", teams=[network])
    return make_ticket(
        l1_agent,
        team=service_desk,
        assignee=l1_agent,
        title="CRM crashes on every report",
        description="Sales cannot run the pipeline report since this morning.",
    )


def session(browser, live_server, username):
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1366, "height": 900})
    context.set_default_timeout(10_000)
    page = context.new_page()
    sign_in(page, username, PASSWORD)
    return page


def open_escalate_dialog(page, number):
    page.goto(f"/tickets/{number}/")
    page.get_by_role("link", name="Escalate…").click()
    dialog = page.locator("#modal")
    expect(dialog).to_be_visible()
    return dialog


def test_escalate_return_reescalate_accept_task_and_l3(page, browser, live_server, desk):
    number = desk.number
    sign_in(page, "sam", PASSWORD)

    # L1 escalates to L2 and is refused until the required parts are filled.
    dialog = open_escalate_dialog(page, number)
    dialog.get_by_label("Escalate to").select_option(label="L2 Application Support")
    dialog.get_by_label("Steps already taken").fill("")
    dialog.get_by_role("button", name="Escalate").click()
    expect(dialog.locator(".field-error", has_text="Say who is affected")).to_be_visible()
    expect(
        dialog.locator(".field-error", has_text="List what has already been tried")
    ).to_be_visible()
    assert not desk.escalations.exists()
    dialog.get_by_label("Users affected").fill("25")
    dialog.get_by_label("Steps already taken").fill(
        "Other browser, cleared cache, another account."
    )
    dialog.get_by_role("button", name="Escalate").click()
    expect(page.locator(".banner.pending-escalation")).to_contain_text("Application Support")

    # L2 returns it with guidance.
    lena = session(browser, live_server, "lena")
    lena.goto("/escalations/")
    card = lena.get_by_test_id("inbox-card").filter(has_text=number)
    expect(card).to_contain_text("Other browser, cleared cache")
    card.get_by_text("Return…").click()
    card.get_by_label("Reason").select_option(label="Insufficient information")
    card.get_by_label("Guidance for the sending team").fill("Attach the CRM server log from 08:50.")
    card.get_by_role("button", name="Return to Service Desk").click()
    expect(lena.locator(f"#inbox-{desk.escalations.get().pk}")).to_contain_text("Returned")

    # L1 sees the guidance pinned, completes the package and escalates again.
    page.goto(f"/tickets/{number}/")
    expect(page.get_by_test_id("pinned-guidance")).to_contain_text("Attach the CRM server log")
    dialog = open_escalate_dialog(page, number)
    expect(dialog.get_by_label("Users affected")).to_have_value("25")
    dialog.get_by_label("Escalate to").select_option(label="L2 Application Support")
    dialog.get_by_label("Evidence: log excerpts").fill("08:50:12 ERROR report-service 502 upstream")
    dialog.get_by_role("button", name="Escalate").click()
    expect(page.locator(".banner.pending-escalation")).to_be_visible()
    expect(page.get_by_test_id("pinned-guidance")).to_have_count(0)

    # L2 accepts and opens a network task.
    lena.goto("/escalations/")
    card = lena.get_by_test_id("inbox-card").filter(has_text=number)
    card.get_by_role("button", name="Accept").click()
    expect(card).to_contain_text("Accepted")
    lena.goto(f"/tickets/{number}/")
    expect(lena.get_by_test_id("assignee")).to_have_text("Lena Second")
    lena.get_by_text("Add task…").click()
    lena.locator("#task-team").select_option(label="L2 Network & Infrastructure")
    lena.locator("#task-title").fill("Check packet loss between CRM app and database")
    lena.get_by_role("button", name="Add task").click()
    expect(lena.locator("#tasks")).to_contain_text("Check packet loss")

    # L2 escalates to L3 with reproduction steps (and the log excerpt as evidence).
    dialog = open_escalate_dialog(lena, number)
    dialog.get_by_label("Escalate to").select_option(label="L3 Engineering")
    dialog.get_by_label("Reproduction steps").fill("Reports > Sales pipeline > DACH > Generate.")
    dialog.get_by_role("button", name="Escalate").click()
    expect(lena.locator(".banner.pending-escalation")).to_contain_text("Engineering")

    trail = lena.get_by_test_id("trail")
    expect(trail).to_contain_text("L1 Service Desk")
    expect(trail.locator(".trail-hop")).to_have_count(5)
    expect(trail.locator(".trail-mark.bounce")).to_have_count(1)
    expect(trail.locator(".trail-hop.current")).to_contain_text("L3 Engineering")
    lena.context.close()

    assert path_of(Ticket.objects.get(pk=desk.pk)) == REFERENCE_PATH
