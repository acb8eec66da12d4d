"""History import in a real browser: an admin uploads an event log, maps its columns, runs a
dry run that reports a bad row, runs it for real and sees the progress reach 100 %."""

from __future__ import annotations

import os

import pytest
from playwright.sync_api import expect

from backline.accounts.choices import Role
from backline.imports.models import ImportJob
from backline.tickets.models import Ticket
from tests.browser.conftest import sign_in
from tests.factories import PASSWORD, TeamFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LOG = """case,event,when,who,team
A-1,Open,2025-03-03 09:00,sam,Service Desk
A-1,Escalate,2025-03-03 09:30,sam,Application Support
A-1,Accept,2025-03-03 09:50,lena,
A-1,Resolved,2025-03-03 11:00,lena,
A-2,Open,2025-03-04 10:00,sam,Service Desk
A-2,Resolved,yesterday,sam,
"""
SHOTS = os.environ.get("BACKLINE_SCREENSHOTS")  # a directory to keep screenshots in, if set


def shot(page, name: str) -> None:
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/{name}.png", full_page=True)


def test_admin_maps_dry_runs_and_imports_an_event_log(page, tmp_path):
    UserFactory(username="ada", first_name="Ada", last_name="Admin", role=Role.ADMIN)
    TeamFactory(name="Service Desk", tier=1)
    csv_path = tmp_path / "history.csv"
    csv_path.write_text(LOG)
    sign_in(page, "ada", PASSWORD)

    page.goto("/settings/import/")
    expect(page.get_by_test_id("import-jobs")).to_contain_text("No imports yet")
    page.get_by_role("link", name="New import").click()
    page.get_by_label("Kind").select_option("event_log")
    page.get_by_label("CSV file").set_input_files(str(csv_path))
    columns = page.get_by_test_id("column-map")
    expect(columns).to_be_visible()
    # The editor is drawn again once the file's header is read: wait for its columns.
    expect(page.locator('#map_case_id option[value="case"]')).to_have_count(1)
    page.get_by_label("Case id").select_option("case")
    page.get_by_label("Activity").select_option("event")
    page.locator("#map_timestamp").select_option("when")
    page.get_by_label("Resource (person)").select_option("who")
    expect(page.get_by_label("Group (team)")).to_have_value("team")  # guessed
    groups = page.get_by_test_id("group-tiers")
    expect(groups.get_by_label("Group 1", exact=True)).to_have_value("Application Support")
    expect(groups.get_by_label("Tier of group 2")).to_have_value("1")  # an existing L1 team
    groups.get_by_label("Tier of group 1").select_option("2")
    page.get_by_label("Source system").fill("oldsm")
    expect(page.get_by_label("Dry run: check and report, write nothing")).to_be_checked()
    shot(page, "import-form")
    page.get_by_role("button", name="Start").click()

    expect(page.get_by_test_id("import-state")).to_have_text("Done")
    errors = page.get_by_test_id("import-errors")
    expect(errors).to_contain_text("'yesterday' is not a date and time")
    expect(errors.locator("tbody tr").first).to_contain_text("when")
    assert not Ticket.objects.exists()
    shot(page, "import-dry-run")

    page.get_by_role("button", name="Run for real").click()
    expect(page.get_by_test_id("import-percent")).to_have_text("100 %")
    expect(page.get_by_test_id("import-state")).to_have_text("Done")
    expect(page.locator("progress")).to_have_attribute("value", "100")
    real = ImportJob.objects.get(dry_run=False)
    assert (real.created, real.error_count) == (2, 1)
    a1 = Ticket.objects.get(external_system="oldsm", external_id="A-1")
    assert (a1.status, a1.tier, a1.team.name, a1.assignee.username) == (
        "resolved",
        2,
        "Application Support",
        "lena",
    )
    shot(page, "import-real")
    page.goto("/settings/import/")
    expect(page.get_by_test_id("import-jobs").locator("tbody tr")).to_have_count(2)
    shot(page, "import-list")
