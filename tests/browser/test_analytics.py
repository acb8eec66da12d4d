"""The Level 2 dashboard in a real browser: it loads the hand-built week, its charts hold the
week's numbers, a filter redraws them in place, and clicking a number opens its tickets."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import sign_in
from tests.factories import PASSWORD
from tests.test_analytics import week  # noqa: F401 - the hand-built week fixture

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WEEK = "/analytics/?start=2026-03-02&end=2026-03-08&view=all"


def chart(page, name: str, part: str = "data"):
    """A chart's labels, or a dataset's values, as Chart.js holds them on the page (once the
    chart of the current canvas is drawn: after a swap, HTMX settles before it is)."""
    drawn = "n => window.Chart && Chart.getChart(document.querySelector(`canvas[data-chart=${n}]`))"
    page.wait_for_function(drawn, arg=name)
    script = (
        "([name, part]) => { const c = Chart.getChart(document.querySelector("
        "`canvas[data-chart=${name}]`)); return part === 'labels' ? c.data.labels "
        ": c.data.datasets[Number(part)].data; }"
    )
    return page.evaluate(script, [name, part])


def test_dashboard_filters_redraw_the_charts_and_numbers_open_tickets(page, week, manager):  # noqa: F811
    sign_in(page, manager.username, PASSWORD)
    page.goto(WEEK)
    expect(page.locator("[data-card=escalation_rate] .dash-value")).to_have_text("42.9 %")
    labels = chart(page, "volume", "labels")
    assert labels == [f"2026-03-0{d}" for d in range(2, 8)]
    assert chart(page, "volume", "0") == [2, 1, 1, 1, 1, 1]  # created per day
    assert chart(page, "volume", "1") == [1, 0, 1, 1, 0, 0]  # reached L2 or above
    assert chart(page, "mttr", "0") == [3.5, None, 13.33, None]  # mean business hours, P1..P4
    sla = dict(zip(chart(page, "sla", "labels"), chart(page, "sla", "0"), strict=True))
    assert sla["First response (SLA)"] == 75.0
    # Only P1: A and I. The charts are redrawn in place and the address keeps the filter.
    page.get_by_test_id("priority").select_option("1")
    expect(page.locator("[data-card=escalation_rate] .dash-value")).to_have_text("50.0 %")
    assert chart(page, "volume", "0") == [1, 1]
    assert chart(page, "volume", "labels") == ["2026-03-02", "2026-03-03"]
    assert "priority=1" in page.url
    # The breaches of the resolution target are one click away.
    page.locator("[data-card=sla_compliance]").click()
    page.wait_for_url("**/analytics/tickets**")
    rows = page.get_by_test_id("metric-tickets").locator("tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.first).to_contain_text("I mail down")
    page.go_back()
    page.locator("[data-table=bounces]").wait_for()
    page.locator("[data-card=created]").click()
    expect(page.get_by_test_id("metric-tickets").locator("tbody tr")).to_have_count(2)
