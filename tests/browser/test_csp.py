"""The Content-Security-Policy in a real browser: the main pages load with no CSP violation and
their scripts still work (charts drawn, delete asks first, a select submits itself), while a
script injected into the page is refused."""

from __future__ import annotations

import os
import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from backline.accounts.choices import Role
from backline.diagnostics.models import LogFile
from backline.webhooks.models import Subscription
from backline.webhooks.services import subscription_create
from tests.browser.conftest import sign_in
from tests.factories import PASSWORD, TeamFactory, UserFactory, make_ticket
from tests.test_diagnostics import EXPIRY, START, attach, erp_log
from tests.test_staffing import BERLIN, load_history

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = os.environ.get("BACKLINE_SCREENSHOTS")  # a directory to save page screenshots in

# Runs before any page script; Playwright injects it outside the page's CSP.
WATCH = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__csp.push(e.violatedDirective + " " + (e.blockedURI || "inline"));
});
"""


@pytest.fixture
def watched(page):
    """The page, with every CSP violation it reports collected (events and console)."""
    page.context.add_init_script(WATCH)
    console: list[str] = []
    page.on(
        "console",
        lambda m: console.append(m.text) if "Content Security Policy" in m.text else None,
    )
    page.csp_console = console
    return page


def violations(page) -> list[str]:
    return page.evaluate("() => window.__csp || []") + list(page.csp_console)


def visit(page, url: str, name: str) -> None:
    response = page.goto(url)
    assert response is not None and response.status == 200, url
    assert "script-src 'self'" in response.headers["content-security-policy"]
    page.wait_for_load_state("networkidle")
    if SHOTS:
        page.screenshot(path=os.path.join(SHOTS, f"csp-{name}.png"), full_page=True)
    assert violations(page) == [], f"CSP violations on {url}"


@pytest.fixture
def logs(l2_agent, l1_agent):
    make_ticket(l1_agent, title="Printer on floor 3 jams")
    ticket = make_ticket(l2_agent, title="Shop orders missing in ERP")
    good = attach(l2_agent, ticket, erp_log(expiry=START + timedelta(days=1)), name="good.log")
    bad = attach(l2_agent, ticket, erp_log(expiry=EXPIRY), name="bad.log")
    return ticket, good, bad


def answer(asked: list[str], accept: bool):
    def handle(dialog) -> None:
        asked.append(dialog.message)
        dialog.accept() if accept else dialog.dismiss()

    return handle


def test_agent_pages_run_their_scripts_without_csp_violations(watched, logs, l2_agent):
    page = watched
    ticket, good, bad = logs
    sign_in(page, l2_agent.username, PASSWORD)

    visit(page, "/tickets/?queue=all", "queue")
    page.keyboard.press("j")  # app.js: keyboard navigation still runs
    expect(page.locator("table[data-keynav] tbody tr.selected")).to_have_count(1)

    visit(page, f"/tickets/{ticket.number}/", "ticket")
    page.keyboard.press("?")
    expect(page.locator("#keys-help")).to_be_visible()
    page.keyboard.press("Escape")

    visit(page, f"/tickets/{ticket.number}/logs/{good.pk}/compare", "compare")
    page.get_by_label("against").select_option(str(bad.pk))  # submits itself (data-autosubmit)
    page.wait_for_url(re.compile(rf"other={bad.pk}"))
    expect(page.get_by_test_id("compare-table")).to_be_visible()

    visit(page, f"/tickets/{ticket.number}/logs/{good.pk}/", "log")
    asked: list[str] = []
    page.once("dialog", answer(asked, accept=False))
    page.get_by_role("button", name="Delete this log").click()
    page.wait_for_load_state("networkidle")  # a submit the dialog failed to stop would be sent
    assert asked == ["Delete this log? Pinned evidence keeps its lines."]
    assert LogFile.objects.filter(pk=good.pk).exists()
    page.once("dialog", answer(asked, accept=True))
    page.get_by_role("button", name="Delete this log").click()
    page.wait_for_url(f"**/tickets/{ticket.number}/**")
    assert not LogFile.objects.filter(pk=good.pk).exists()
    assert violations(page) == []


@pytest.fixture
def history(db):
    team = TeamFactory(name="Team X", tier=2)
    engineer = UserFactory(username="xeng", first_name="Ed", last_name="Engineer", teams=[team])
    other = TeamFactory(name="Front desk", tier=1)
    agent = UserFactory(username="fd", first_name="Fay", last_name="Desk", teams=[other])
    now = timezone.localtime(timezone.now().replace(minute=0, second=0, microsecond=0), BERLIN)
    monday = (now - timedelta(days=now.weekday())).replace(hour=0) - timedelta(days=7)
    load_history(team, engineer, agent, other, [monday - timedelta(weeks=k) for k in range(4)])
    return team


def test_manager_charts_draw_and_redraw_without_csp_violations(watched, history, manager):
    page = watched
    sign_in(page, manager.username, PASSWORD)

    visit(page, "/analytics/", "analytics")
    canvas = "document.querySelector('canvas[data-chart=volume]')"
    page.wait_for_function(f"() => window.Chart && Chart.getChart({canvas})")

    visit(page, f"/staffing/?team={history.slug}", "staffing")
    page.wait_for_function("() => window.staffingChart && window.staffingChart.data.labels.length")
    # The what-if re-renders the result through HTMX; forecast.js draws a new chart from it.
    page.evaluate("() => { window.__chartBefore = window.staffingChart; }")
    page.get_by_label("Volume change in percent").fill("100")
    page.get_by_label("Volume change in percent").press("Enter")
    page.wait_for_url("**volume_pct=100**")
    page.wait_for_function(
        "() => window.staffingChart && window.staffingChart !== window.__chartBefore"
    )
    assert violations(page) == []


def test_deleting_a_webhook_asks_first_without_csp_violations(watched, db):
    page = watched
    admin = UserFactory(username="ada", first_name="Ada", last_name="Admin", role=Role.ADMIN)
    sub = subscription_create(
        actor=admin, name="L1 desk", url="http://127.0.0.1:9/hook", event_types=["ticket.created"]
    )
    sign_in(page, admin.username, PASSWORD)
    visit(page, f"/settings/webhooks/{sub.pk}", "webhook")
    asked: list[str] = []
    page.once("dialog", answer(asked, accept=False))
    page.get_by_role("button", name="Delete", exact=True).click()
    page.wait_for_load_state("networkidle")  # a submit the dialog failed to stop would be sent
    assert asked == ["Delete this webhook and its delivery log?"]
    assert Subscription.objects.filter(pk=sub.pk).exists()
    page.once("dialog", answer(asked, accept=True))
    page.get_by_role("button", name="Delete", exact=True).click()
    page.wait_for_url("**/settings/webhooks/")
    assert not Subscription.objects.filter(pk=sub.pk).exists()
    assert violations(page) == []


def test_an_injected_inline_script_is_refused_and_reported(watched, l2_agent):
    page = watched
    sign_in(page, l2_agent.username, PASSWORD)
    page.goto("/tickets/")
    page.evaluate(
        "() => { const s = document.createElement('script'); s.textContent = 'window.pwned = 1';"
        " document.body.appendChild(s);"
        " const d = document.createElement('div');"
        " d.innerHTML = '<img src=x onerror=\"window.pwned2=1\">';"
        " document.body.appendChild(d); }"
    )
    page.wait_for_function("() => window.__csp.length >= 2")
    assert page.evaluate("() => [window.pwned, window.pwned2]") == [None, None]
    assert any(v.startswith("script-src") for v in violations(page))


def test_the_api_docs_page_loads_under_the_policy(watched, l2_agent):
    page = watched
    sign_in(page, l2_agent.username, PASSWORD)
    page.goto("/api/v1/docs")
    # The OpenAPI schema is generated on the first request (~0.5 MB): allow a loaded machine time.
    page.wait_for_function(
        "() => document.querySelector('.swagger-ui .info .title') || window.__csp.length",
        timeout=90_000,
    )
    assert violations(page) == []
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("Backline API")
