"""Issue 7, done when: from three similar incidents, accept a proposed problem, write the 5 whys
and the root cause, add an action linked to a change, publish a known error; a new matching
incident shows the workaround (and the L1 new-ticket form suggests it); resolving the problem and
then creating a matching incident raises the recurrence signal."""

from __future__ import annotations

import os

import pytest
from playwright.sync_api import expect

from backline.changes import services as change_services
from backline.cmdb.models import ConfigurationItem, Service
from backline.notifications.models import Notification
from backline.problems import recurrence
from backline.problems.choices import ProblemEventKind
from backline.problems.models import KnownError, Problem, ProblemEvent
from backline.tickets.models import Ticket
from tests.browser.conftest import ARTIFACTS, sign_in
from tests.factories import PASSWORD, TeamFactory, UserFactory, make_ticket

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WORKAROUND = "Export the report one region at a time until the fix is deployed."


def _shot(page, name: str) -> None:
    # BACKLINE_SCREENSHOTS=1 keeps pictures of the pages for a look at the layout.
    if os.environ.get("BACKLINE_SCREENSHOTS"):
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"known-errors-{name}.png"), full_page=True)


def _session(browser, live_server, username):
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1366, "height": 860})
    context.set_default_timeout(10_000)
    page = context.new_page()
    sign_in(page, username, PASSWORD)
    return page


def test_recurring_incidents_to_known_error_and_recurrence(page, browser, live_server):
    team = TeamFactory(name="Application Support", tier=2)
    desk_team = TeamFactory(name="Service Desk", tier=1)
    lena = UserFactory(username="lena", first_name="Lena", last_name="Second", teams=[team])
    UserFactory(username="sam", first_name="Sam", last_name="Desk", teams=[desk_team])
    crm = Service.objects.create(name="CRM")
    crm_db = ConfigurationItem.objects.create(name="crm-db-01", ci_type="database", service=crm)
    for title, text in (
        ("CRM sales report export fails with 502", "Exporting the sales report gives 502"),
        ("502 Bad Gateway on CRM sales report export", "Sales report export stops with 502"),
        ("CRM sales report export times out (502)", "The sales report export ends in a 502"),
    ):
        make_ticket(lena, title=title, description=text, ci=crm_db, service=crm)
    make_ticket(lena, title="Printer prints blank pages", description="Floor 3")
    change = change_services.change_create(actor=lena, title="Add an index for report export")
    assert len(recurrence.proposals_detect()) == 1  # the periodic detection ran
    sign_in(page, "lena", PASSWORD)

    # Accept the proposal (HTMX): a problem with the three incidents linked.
    page.goto("/known-errors/proposals/")
    proposal = page.get_by_test_id("proposal")
    expect(proposal).to_contain_text("same CI crm-db-01 (3 of 3)")
    expect(proposal).to_contain_text("shared words:")
    _shot(page, "proposals")
    proposal.get_by_test_id("proposal-accept").click()
    expect(page.get_by_test_id("proposal-problem")).to_be_visible()
    problem = Problem.objects.get()
    page.get_by_test_id("proposal-problem").click()
    expect(page.get_by_test_id("incident-count")).to_have_text("3")

    # 5 whys, root cause, an action linked to the change.
    whys = page.get_by_test_id("whys")
    whys.get_by_label("Why 1?").fill("The export query times out at the gateway")
    whys.get_by_role("button", name="Add a why").click()
    whys.get_by_label("Why 2?").fill("The query scans the whole orders table")
    whys.get_by_role("button", name="Add a why").click()
    whys.get_by_label("Why 3?").fill("The region index was dropped in the last release")
    whys.get_by_role("button", name="Save chain").click()
    expect(page.locator("#problem .flash.success")).to_contain_text("5 whys saved")
    page.get_by_label("Root cause statement").fill("Missing region index on orders")
    page.get_by_role("button", name="Save root cause").click()
    expect(page.locator("#problem .flash.success")).to_contain_text("Root cause saved")
    page.get_by_text("Add an action").click()
    form = page.locator("#actions form.prb-grid-form")
    form.get_by_label("Title").fill("Recreate the region index")
    form.get_by_label("Change").fill(change.number)
    form.get_by_role("button", name="Add action").click()
    expect(page.get_by_test_id("action-change")).to_have_text(change.number)
    page.get_by_role("button", name="Root cause known").click()
    expect(page.get_by_test_id("problem-state")).to_have_text("Root cause known")

    # Publish a known error from the problem.
    page.get_by_test_id("publish-known-error").click()
    page.wait_for_url("**/known-errors/new?problem=*")
    expect(page.get_by_label("Title")).to_have_value(problem.title)
    expect(page.get_by_label("Configuration items")).to_have_values([str(crm_db.pk)])
    page.get_by_label("Symptoms").fill("CRM sales report export fails with 502 Bad Gateway")
    page.get_by_label("Workaround").fill(WORKAROUND)
    page.get_by_role("button", name="Save").click()
    page.get_by_role("button", name="Publish").click()
    expect(page.get_by_test_id("ke-state")).to_have_text("Published")
    known = KnownError.objects.get()
    assert ProblemEvent.objects.filter(
        problem=problem, kind=ProblemEventKind.KNOWN_ERROR_PUBLISHED
    ).exists()

    # L1: the new-ticket form suggests the known error; the new incident shows the workaround.
    desk = _session(browser, live_server, "sam")
    desk.goto("/tickets/new/")
    desk.get_by_label("Title").fill("Sales report export in CRM fails, 502 Bad Gateway")
    expect(desk.locator(".kb-suggestions")).to_contain_text(known.number)
    desk.get_by_label("Configuration item").select_option(label="crm-db-01")
    desk.get_by_role("button", name="Create ticket").click()
    desk.wait_for_url("**/tickets/INC-*/")
    match = desk.get_by_test_id("ke-match")
    expect(match).to_contain_text(known.number)
    expect(match).to_contain_text(WORKAROUND)
    _shot(desk, "ticket-workaround")

    # Resolve the problem (the action done first), then a matching incident: recurrence?
    page.goto(f"/problems/{problem.number}")
    page.locator("#actions").get_by_role("button", name="Done").click()
    page.get_by_role("button", name="Resolve").click()
    expect(page.get_by_test_id("problem-state")).to_have_text("Resolved")
    desk.goto("/tickets/new/")
    desk.get_by_label("Title").fill("CRM sales report export 502 again")
    desk.get_by_label("Description").fill("Sales report export fails with 502 after the fix")
    desk.get_by_label("Configuration item").select_option(label="crm-db-01")
    desk.get_by_role("button", name="Create ticket").click()
    desk.wait_for_url("**/tickets/INC-*/")
    expect(desk.get_by_test_id("ke-recurred")).to_contain_text(
        f"Matches {problem.number}, resolved today — recurrence?"
    )
    _shot(desk, "ticket-recurrence")
    latest = Ticket.objects.order_by("-pk").first()
    event = ProblemEvent.objects.get(problem=problem, kind=ProblemEventKind.RECURRED)
    assert event.data["ticket"] == latest.number
    assert Notification.objects.filter(recipient=lena, kind="problem_recurred").exists()
    page.goto(f"/problems/{problem.number}")
    expect(page.get_by_test_id("verification")).to_contain_text(latest.number)
    desk.context.close()
