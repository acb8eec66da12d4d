"""Time worked in a real browser: an L2 agent logs "1h 15m" in the ticket's time panel, sees the
total update in place, is told off for a bad duration, and removes the entry again."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from backline.worklog.models import TimeEntry
from tests.browser.conftest import sign_in
from tests.factories import PASSWORD, TeamFactory, UserFactory, make_ticket

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_l2_agent_logs_time_in_the_panel_and_removes_it(page):
    team = TeamFactory(name="Application Support", tier=2)
    agent = UserFactory(username="lena", first_name="Lena", last_name="Second", teams=[team])
    ticket = make_ticket(agent, title="ERP export times out", team=team, assignee=agent)
    sign_in(page, "lena", PASSWORD)
    page.goto(ticket.get_absolute_url())

    panel = page.locator("#worklog")
    expect(panel.get_by_test_id("worklog-total")).to_have_text("none")
    panel.get_by_label("Time spent").fill("soon")
    panel.get_by_role("button", name="Log time").click()
    expect(page.locator("#worklog .field-error")).to_contain_text("is not a duration")
    assert not TimeEntry.objects.exists()

    page.locator("body").click()
    page.keyboard.press("t")  # the shortcut focuses the time field
    duration = page.locator("#worklog").get_by_label("Time spent")
    expect(duration).to_be_focused()
    duration.fill("1h 15m")
    page.locator("#worklog").get_by_label("Note").fill("Traced the slow query")
    duration.press("Enter")  # keyboard: Enter in the field submits
    expect(page.get_by_test_id("worklog-total")).to_have_text("1h 15m")
    expect(page.get_by_test_id("worklog-per-user")).to_contain_text("Lena Second")
    expect(page.get_by_test_id("worklog-entries")).to_contain_text("Traced the slow query")
    entry = TimeEntry.objects.get()
    assert (entry.minutes, entry.user_id, entry.tier) == (75, agent.pk, 2)

    page.once("dialog", lambda dialog: dialog.accept())
    page.locator("#worklog").get_by_role("button", name="Remove 1h 15m").click()
    expect(page.get_by_test_id("worklog-total")).to_have_text("none")
    expect(page.locator("#worklog")).to_contain_text("Removed 1h 15m.")
    assert not TimeEntry.objects.exists()

    page.goto("/worklog/")
    expect(page.get_by_test_id("worklog-report")).to_contain_text("No time logged in this range.")
