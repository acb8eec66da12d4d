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


def test_l2_resolves_as_solvable_lower_and_the_share_counts_it(page, l2_agent, app_support):
    """The resolve dialog's "a lower tier could have solved this" feeds the L1-capable share."""
    from backline.analytics.services import facts_sync
    from backline.tickets.models import TicketEvent
    from tests.factories import make_ticket

    ticket = make_ticket(l2_agent, team=app_support, assignee=l2_agent, title="Password reset")
    sign_in(page, l2_agent.username, PASSWORD)
    page.goto(f"/tickets/{ticket.number}/")
    page.get_by_text("Resolve…").click()
    form = page.locator('[data-action-form="resolve"]')
    form.get_by_label("Resolution").select_option(label="Advice or how-to given")
    form.get_by_label("What fixed it").fill("Reset it in the directory.")
    form.get_by_label("A lower tier could have solved this").check()
    form.get_by_role("button", name="Resolve", exact=True).click()
    expect(page.get_by_test_id("status")).to_have_text("Resolved")
    event = TicketEvent.objects.filter(ticket=ticket, data__action="resolve").get()
    assert event.data["lower_tier_capable"] is True
    facts_sync()
    page.goto(f"/analytics/?period=7d&team={app_support.pk}")
    expect(page.locator("[data-card=l1_capable_share] .dash-value")).to_have_text("100.0 %")


def test_manager_sets_a_warning_threshold(page, manager):
    from backline.analytics.models import WarningThreshold

    sign_in(page, manager.username, PASSWORD)
    page.goto("/analytics/")
    page.get_by_role("link", name="Warning thresholds").click()
    field = page.get_by_label("Rising escalation volume threshold")
    field.fill("lots")
    page.get_by_role("button", name="Save thresholds").click()
    expect(page.get_by_role("alert").first).to_contain_text("Give a number")
    assert not WarningThreshold.objects.exists()
    page.get_by_label("Rising escalation volume threshold").fill("0.35")
    page.get_by_label("Falling satisfaction on").uncheck()
    page.get_by_role("button", name="Save thresholds").click()
    expect(page.get_by_text("Warning thresholds saved.")).to_be_visible()
    assert WarningThreshold.objects.get(key="escalation_volume").threshold == 0.35
    assert WarningThreshold.objects.get(key="satisfaction").enabled is False
