"""Staffing in a real browser: a manager opens the forecast, plays with the what-if volume (the
chart's data and the heat-map follow), validates with the simulation, and edits the schedule."""

from __future__ import annotations

import os
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from backline.accounts.choices import Role
from backline.staffing.models import Schedule
from tests.browser.conftest import sign_in
from tests.factories import PASSWORD, TeamFactory, UserFactory
from tests.test_staffing import BERLIN, MONDAY_10, load_history, textbook_required

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = os.environ.get("BACKLINE_SCREENSHOTS")  # a directory to save page screenshots in


@pytest.fixture
def desk(db):
    from fractions import Fraction

    team = TeamFactory(name="Team X", tier=2)
    other = TeamFactory(name="Service Desk", tier=1)
    engineer = UserFactory(username="xeng", first_name="Ed", last_name="Engineer", teams=[team])
    agent = UserFactory(username="sam", first_name="Sam", last_name="Desk", teams=[other])
    UserFactory(username="maria", first_name="Maria", last_name="Lead", role=Role.MANAGER)
    now = timezone.localtime(timezone.now().replace(minute=0, second=0, microsecond=0), BERLIN)
    last = (now - timedelta(days=now.weekday())).replace(hour=0)
    if last.replace(hour=10, minute=50) >= now:
        last -= timedelta(days=7)
    load_history(team, engineer, agent, other, [last - timedelta(weeks=k) for k in range(8)])
    return {
        "team": team,
        "engineer": engineer,
        "required": textbook_required(Fraction(2), 0.8, 1),
        "required_doubled": textbook_required(Fraction(4), 0.8, 1),
    }


def _chart_value(page, dataset: int, index: int):
    return page.evaluate(
        "([d, i]) => window.staffingChart && window.staffingChart.data.datasets[d].data[i]",
        [dataset, index],
    )


def test_manager_plays_what_if_and_validates(page, desk):
    sign_in(page, "maria", PASSWORD)
    page.goto(f"/staffing/?team={desk['team'].slug}")
    expect(page.get_by_role("heading", name="Staffing forecast")).to_be_visible()
    page.wait_for_function("() => window.staffingChart !== undefined && window.staffingChart")
    assert _chart_value(page, 0, MONDAY_10) == desk["required"]
    cell = page.locator(f'td[data-hour="{MONDAY_10}"]')
    expect(cell).to_have_attribute("data-required", str(desk["required"]))
    expect(page.get_by_test_id("aht-source")).to_contain_text("30.0 min")
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/staffing-forecast.png", full_page=True)

    page.get_by_label("Volume change in percent").fill("100")
    page.get_by_label("Volume change in percent").press("Enter")
    expect(cell).to_have_attribute("data-required", str(desk["required_doubled"]))
    page.wait_for_function(
        "([i, v]) => window.staffingChart && window.staffingChart.data.datasets[0].data[i] === v",
        arg=[MONDAY_10, desk["required_doubled"]],
    )
    assert "volume_pct=100" in page.url

    page.get_by_role("button", name="Validate with simulation").click()
    validation = page.get_by_test_id("validation")
    # The simulation runs in the request: give a loaded CI machine time (not a timing check).
    expect(validation).to_contain_text("Formula vs simulation", timeout=30_000)
    expect(validation).to_contain_text("Mon 10:00")


def test_manager_edits_the_schedule_and_the_forecast_shows_it(page, desk):
    sign_in(page, "maria", PASSWORD)
    page.goto(f"/staffing/?team={desk['team'].slug}")
    page.get_by_test_id("schedule-link").click()
    expect(page.get_by_role("heading", name="Schedule · L2 Team X")).to_be_visible()
    page.get_by_label("Ed Engineer Mon").fill("nine till noon")
    page.get_by_role("button", name="Save schedule").click()
    expect(page.get_by_text("Write hours like 08:00-17:00")).to_be_visible()
    assert not Schedule.objects.exists()
    page.get_by_label("Ed Engineer Mon").fill("08:00-12:00")
    page.get_by_role("button", name="Save schedule").click()
    expect(page.get_by_role("status")).to_contain_text("Schedule of Team X saved")
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/staffing-schedule.png", full_page=True)
    page.get_by_role("link", name="Back to the forecast").click()
    page.wait_for_function("() => window.staffingChart !== undefined && window.staffingChart")
    assert _chart_value(page, 1, MONDAY_10) == 1
    expect(page.locator(f'td[data-hour="{MONDAY_10}"]')).to_have_class("short")
