"""Log diagnostics in a real browser on the demo data: Tom Becker takes reference case (c) (shop
orders missing in ERP), attaches the demo ERP integration log, sees the token-expired template
ranked first around the incident, pins it, and finds it in the escalation dialog's hand-off;
then he reads the template's lines and searches the log."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from backline.demo.generate import load_demo
from backline.demo.logs import reference_times, write_reference_logs
from backline.diagnostics.models import LogEvidence, LogFile
from backline.tickets.models import Ticket
from tests.browser.conftest import sign_in
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def case_c(transactional_db, tmp_path):
    load_demo(seed=7, tickets=150, password=PASSWORD)
    ticket = Ticket.objects.get(title="eCommerce orders not syncing into ERP")
    logs = write_reference_logs(tmp_path, reference_times())
    return ticket, logs["c"]


def test_tom_attaches_the_erp_log_finds_the_expired_token_and_hands_it_on(page, case_c):
    ticket, log_path = case_c
    sign_in(page, "tbecker", PASSWORD)
    page.goto("/escalations/")
    card = page.get_by_test_id("inbox-card").filter(has_text=ticket.number)
    card.get_by_role("button", name="Accept").click()
    expect(card).to_contain_text("Accepted")

    page.goto(f"/tickets/{ticket.number}/")
    panel = page.get_by_test_id("logs-panel")
    expect(panel).to_contain_text("Attach a log and Backline groups its lines")
    panel.get_by_text("Attach a log", exact=True).click()
    panel.get_by_label("Log file").set_input_files(str(log_path))
    panel.get_by_role("button", name="Attach and analyse").click()
    page.wait_for_url("**/logs/*/")
    expect(page.get_by_role("heading", level=1)).to_have_text(log_path.name)

    rising = page.get_by_test_id("around-rising").locator("li.shift")
    expect(rising.first).to_contain_text("token expired")
    expect(rising.first.locator(".lv")).to_have_text("error")
    expect(page.get_by_test_id("error-timeline")).to_be_visible()

    rising.first.get_by_role("button", name="Pin").click()
    expect(page.get_by_test_id("log-evidence")).to_contain_text("token expired")
    evidence = LogEvidence.objects.get(ticket=ticket)
    assert evidence.ticket_id == ticket.pk and evidence.pinned_by.username == "tbecker"

    # The template's lines, then a search inside the log.
    rising.first.locator(".tpl-link").click()
    lines = page.get_by_test_id("log-lines").locator("ol.log-lines > li")
    expect(lines.first).to_contain_text("token expired")
    lines.first.locator("button.ln").click()
    expect(page.get_by_test_id("log-lines").locator("li.hit")).to_contain_text("token expired")
    page.get_by_label("Text to find").fill("401 Unauthorized")
    page.get_by_role("button", name="Find").click()
    expect(page.get_by_test_id("log-lines")).to_contain_text("Lines with “401 Unauthorized”")

    page.goto(f"/tickets/{ticket.number}/")
    expect(page.get_by_test_id("pinned-evidence")).to_contain_text("token expired")
    page.get_by_role("link", name="Escalate…").click()
    dialog = page.locator("#modal")
    expect(dialog.get_by_test_id("pinned-in-package")).to_contain_text("token expired")
    expect(dialog.get_by_label("Evidence: log excerpts")).to_have_value(
        re.compile("token expired", re.S)
    )
    assert LogFile.objects.get(ticket=ticket).status == "ready"


@pytest.fixture
def two_logs(transactional_db, l2_agent):
    from datetime import timedelta

    from backline.diagnostics import services
    from tests.factories import make_ticket
    from tests.test_diagnostics import EXPIRY, START, attach, erp_log

    ticket = make_ticket(l2_agent, title="Shop orders missing in ERP")
    good = attach(l2_agent, ticket, erp_log(expiry=START + timedelta(days=1)), name="good.log")
    bad = attach(l2_agent, ticket, erp_log(expiry=EXPIRY), name="bad.log")
    services.evidence_pin(actor=l2_agent, log=bad, line_from=1, line_to=3, note="first lines")
    return ticket, good, bad


def test_lena_compares_a_good_and_a_bad_log_and_adds_evidence_to_the_rca(page, two_logs):
    from backline.problems.models import TimelineEntry
    from backline.problems.services import problem_create, problem_link_incidents
    from backline.tickets.models import Ticket

    ticket, good, bad = two_logs
    sign_in(page, "lena", PASSWORD)
    page.goto(f"/tickets/{ticket.number}/logs/{good.pk}/")
    page.get_by_role("link", name="Compare with another log").click()
    table = page.get_by_test_id("compare-table")
    expect(table.locator("tbody tr").first).to_contain_text("token expired")
    expect(table.locator("tbody tr").first).to_contain_text("only in bad.log")
    page.get_by_label("against").select_option(label=f"bad.log ({bad.lines:,} lines)")
    expect(table.locator("tbody tr").first).to_contain_text("token expired")

    lena = Ticket.objects.get(pk=ticket.pk).requester
    problem = problem_create(actor=lena, title="ERP order sync stops")
    problem_link_incidents(actor=lena, problem=problem, tickets=[ticket])
    page.goto(f"/problems/{problem.number}")
    offers = page.get_by_test_id("rca-pinned-evidence")
    expect(offers).to_contain_text("bad.log, lines 1–3")
    offers.get_by_role("button", name="Add to timeline").click()
    expect(page.get_by_test_id("rca-timeline")).to_contain_text("bad.log, lines 1–3")
    expect(page.get_by_test_id("rca-pinned-evidence")).to_have_count(0)
    assert TimelineEntry.objects.get(problem=problem).ticket_event is not None
