"""Issue 7 in a real browser: open a problem from a ticket, bulk-link two more incidents from
the queue, write the 5 whys, a root cause and a factor, add an action linked to a change, and
find them all in the exported report."""

from __future__ import annotations

import os

import pytest
from playwright.sync_api import expect

from backline.changes import services as change_services
from backline.problems.models import Problem, ProblemIncident
from tests.browser.conftest import ARTIFACTS, sign_in
from tests.factories import PASSWORD, TeamFactory, UserFactory, make_ticket

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _shot(page, name: str) -> None:
    # BACKLINE_SCREENSHOTS=1 keeps pictures of the pages for a look at the layout.
    if os.environ.get("BACKLINE_SCREENSHOTS"):
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"problems-{name}.png"), full_page=True)


def test_problem_from_ticket_to_report(page):
    team = TeamFactory(name="Application Support", tier=2)
    lena = UserFactory(username="lena", first_name="Lena", last_name="Second", teams=[team])
    first = make_ticket(lena, title="CRM crashes on report export", description="Since Monday")
    others = [make_ticket(lena, title=f"CRM report crash {i}") for i in (2, 3)]
    change = change_services.change_create(actor=lena, title="Raise work_mem on crm-db-01")
    sign_in(page, "lena", PASSWORD)

    page.goto(f"/tickets/{first.number}/")
    page.get_by_test_id("open-problem").click()
    expect(page.get_by_label("Title")).to_have_value("CRM crashes on report export")
    page.get_by_role("button", name="Open problem").click()
    expect(page.get_by_test_id("problem-state")).to_have_text("New")
    problem = Problem.objects.get()
    expect(page.get_by_test_id("problem-incidents")).to_contain_text(first.number)

    page.goto("/tickets/?queue=all")
    for t in others:
        page.get_by_label(f"Select {t.number}").check()
    page.get_by_text("Link to problem…").click()
    page.get_by_label("Problem", exact=True).fill(problem.number)
    page.get_by_role("button", name="Link selected").click()
    expect(page.get_by_test_id("incident-count")).to_have_text("3")
    assert ProblemIncident.objects.filter(problem=problem).count() == 3

    whys = page.get_by_test_id("whys")
    whys.get_by_label("Why 1?").fill("Report queries ran out of memory")
    whys.get_by_role("button", name="Add a why").click()
    whys.get_by_label("Why 2?").fill("work_mem was lowered")
    whys.get_by_role("button", name="Add a why").click()
    whys.get_by_label("Why 3?").fill("A tuning change skipped the review")
    whys.get_by_role("button", name="Save chain").click()
    expect(page.locator("#problem .flash.success")).to_contain_text("5 whys saved")
    expect(page.locator(".prb-why.is-root textarea")).to_have_value(
        "A tuning change skipped the review"
    )
    page.get_by_label("Root cause statement").fill("work_mem too low for report queries")
    page.get_by_label("Cause code").select_option("configuration")
    page.get_by_role("button", name="Save root cause").click()
    expect(page.locator("#problem .flash.success")).to_contain_text("Root cause saved")
    page.locator("#factor-category").select_option("process")
    page.get_by_placeholder("What made it possible or worse?").fill("No review of DB tuning")
    page.get_by_role("button", name="Add factor").click()
    expect(page.get_by_test_id("factors")).to_contain_text("No review of DB tuning")

    page.get_by_text("Add an action").click()
    form = page.locator("#actions form.prb-grid-form")
    form.get_by_label("Title").fill("Restore work_mem")
    form.get_by_label("Change").fill(change.number)
    form.get_by_role("button", name="Add action").click()
    expect(page.get_by_test_id("action-change")).to_have_text(change.number)
    page.get_by_role("button", name="Root cause known").click()
    expect(page.get_by_test_id("problem-state")).to_have_text("Root cause known")
    _shot(page, "detail")

    page.get_by_test_id("report-html").click()
    report = page.get_by_test_id("report")
    for text in (
        "A tuning change skipped the review (root cause)",
        "work_mem too low for report queries",
        "No review of DB tuning",
        "Restore work_mem",
        change.number,
        "Linked incidents: 3",
    ):
        expect(report).to_contain_text(text)
    _shot(page, "report")

    page.goto("/problems/")
    expect(page.get_by_test_id("problem-list")).to_contain_text(problem.number)
    _shot(page, "list")
