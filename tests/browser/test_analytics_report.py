"""The weekly operations report in a real browser: a manager opens a week's report, steps back
to the week before and reads its headline numbers."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests import test_analytics, test_analytics_report
from tests.browser.conftest import sign_in
from tests.factories import PASSWORD

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.urls(test_analytics_report.__name__),
]
week = test_analytics.week


def test_manager_reads_the_report_of_the_week_before(page, week, manager):
    sign_in(page, manager.username, PASSWORD)
    page.goto("/analytics/report/weekly?week=2026-03-09")
    expect(page.get_by_test_id("report-week")).to_have_text("9 Mar 2026 – 15 Mar 2026")
    expect(page.locator('[data-card="created"]')).to_contain_text("0")

    page.get_by_role("link", name="← Previous week").click()
    page.wait_for_url("**/analytics/report/weekly?week=2026-03-02")
    expect(page.get_by_test_id("report-week")).to_have_text("2 Mar 2026 – 8 Mar 2026")
    expect(page.locator('[data-card="created"]')).to_contain_text("7")
    expect(page.locator('[data-card="escalation_rate"]')).to_contain_text("42.9 %")
    expect(page.locator('[data-card="l1_resolution_rate"]')).to_contain_text("60.0 %")
    expect(page.get_by_role("link", name="Next week →")).to_be_visible()

    # A number opens the tickets behind it.
    page.locator('[data-card="escalation_rate"] a').click()
    page.wait_for_url("**/analytics/tickets?**show=reached_t2")
    expect(page.locator("body")).to_contain_text(week["A"].number)
