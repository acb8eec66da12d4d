"""An admin sets up a routing rule and tests it against a sample ticket, in the browser."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from backline.tickets.models import Category, RoutingRule
from tests.browser.conftest import sign_in
from tests.factories import PASSWORD, TeamFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_admin_creates_a_rule_and_tests_it(page, admin):
    TeamFactory(name="Database", tier=2)
    TeamFactory(name="Network", tier=2)
    # Transactional tests flush the seeded categories; make sure this one exists.
    Category.objects.get_or_create(slug="database", defaults={"name": "Database"})

    sign_in(page, "ada", PASSWORD)
    page.goto("/settings/routing/")
    expect(page.locator("#rules")).to_contain_text("No routing rules yet")

    page.get_by_role("link", name="New rule").click()
    page.get_by_role("button", name="Create rule").click()
    expect(page.locator("#id_name-error")).to_have_text("This field is required.")
    page.get_by_label("Name").fill("Database timeouts")
    page.get_by_label("Team").select_option(label="L2 Database")
    page.get_by_label("Category").select_option(label="Database")
    page.get_by_label("Keywords").fill("Timeout, deadlock")
    page.get_by_label("P1 Critical").check()
    page.get_by_label("P2 High").check()
    page.get_by_role("button", name="Create rule").click()

    expect(page.locator(".flash.success")).to_contain_text("Rule “Database timeouts” added")
    row = page.locator("#rules tbody tr").first
    expect(row).to_contain_text("Database timeouts")
    expect(row).to_contain_text("Category: Database")
    expect(row).to_contain_text("“timeout”, “deadlock”")
    expect(row).to_contain_text("Priority: P1, P2")
    expect(row).to_contain_text("L2 Database")

    tester = page.locator("#tester")
    tester.get_by_label("Title").fill("Checkout query timeout since 09:00")
    tester.get_by_label("Category").select_option(label="Database")
    tester.get_by_label("Priority").select_option(label="P2 High")
    tester.get_by_role("button", name="Test").click()

    result = page.locator("#test-result")
    expect(result).to_contain_text("Matched rule 1: “Database timeouts”")
    expect(result).to_contain_text("L2 Database")
    expect(result.locator("li")).to_have_text(
        ["category is Database", "keyword 'timeout' in title", "priority P2 in [1, 2]"]
    )
    # Tested in place: still on the rules page, the sample still in the form.
    assert page.url.endswith("/settings/routing/")
    expect(page.locator("#tester").get_by_label("Title")).to_have_value(
        "Checkout query timeout since 09:00"
    )

    page.locator("#tester").get_by_label("Priority").select_option(label="P4 Low")
    page.locator("#tester").get_by_role("button", name="Test").click()
    expect(page.locator("#test-result")).to_contain_text("No rule matched.")

    rule = RoutingRule.objects.get()
    assert (rule.team.name, rule.keywords, rule.priorities) == (
        "Database",
        "timeout, deadlock",
        [1, 2],
    )
