"""The knowledge loop of issue 5 in a real browser: an L2 engineer resolves an escalated ticket,
drafts an article from it and publishes it; an L1 agent typing a matching new ticket sees the
article suggested, marks it as the fix, and the ticket resolves at L1; deflection counts it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from backline.escalation.services import escalation_accept, escalation_create
from backline.knowledge.models import Article
from backline.knowledge.queries import kb_metrics
from backline.tickets.models import Ticket, TicketEvent
from tests.browser.conftest import sign_in
from tests.browser.test_escalation_flow import session
from tests.factories import PASSWORD, make_ticket

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def escalated(l1_agent, l2_agent, service_desk, app_support):
    ticket = make_ticket(
        l1_agent,
        team=service_desk,
        assignee=l1_agent,
        title="CRM pipeline report crashes with error 500",
        description="Every sales user gets error 500 when running the pipeline report.",
    )
    escalation = escalation_create(
        actor=l1_agent,
        ticket=ticket,
        to_team=app_support,
        summary="Pipeline report fails for all sales users",
        impact_at_risk="Quarter-end forecast",
        steps_taken="Cleared cache, tried two browsers",
        hypothesis="Report service database pool exhausted",
    )
    escalation_accept(actor=l2_agent, escalation=escalation, assign_to_self=True)
    return ticket


def test_resolve_draft_publish_then_l1_deflects_with_it(page, browser, live_server, escalated):
    sign_in(page, "lena", PASSWORD)
    page.goto(f"/tickets/{escalated.number}/")
    page.locator("summary", has_text="Resolve…").click()
    form = page.locator("[data-action-form=resolve] form")
    form.get_by_label("Resolution").select_option("configuration")
    form.get_by_label("What fixed it").fill(
        "Raised the report service database pool from 5 to 50 connections and restarted it."
    )
    form.get_by_role("button", name="Resolve").click()
    expect(page.locator(".badges .status")).to_have_text("Resolved")

    page.get_by_test_id("draft-article").click()
    page.wait_for_url("**/kb/KB-*/edit")
    expect(page.get_by_label("Title")).to_have_value("CRM pipeline report crashes with error 500")
    expect(page.get_by_label("Resolution steps")).to_have_value(
        "Raised the report service database pool from 5 to 50 connections and restarted it."
    )
    page.get_by_label("Keywords").fill("crm, pipeline report, error 500")
    page.get_by_role("button", name="Save").click()
    page.get_by_role("button", name="Publish").click()
    expect(page.get_by_test_id("article-state")).to_have_text("Published")
    article = Article.objects.get(source_ticket=escalated)

    desk = session(browser, live_server, "sam")
    desk.goto("/tickets/new/")
    desk.get_by_label("Title").fill("Pipeline report in CRM crashes, error 500")
    suggestion = desk.locator(f"[data-article='{article.number}']")
    expect(suggestion).to_be_visible()
    suggestion.get_by_test_id("solved-by").click()
    desk.wait_for_url("**/tickets/INC-*/")
    expect(desk.locator(".badges .status")).to_have_text("Resolved")
    ticket = Ticket.objects.exclude(pk=escalated.pk).get()
    assert ticket.status == "resolved" and ticket.tier == 1 and ticket.assignee.username == "sam"
    assert not TicketEvent.objects.filter(ticket=ticket, kind="escalated").exists()

    now = timezone.now()
    metrics = kb_metrics(start=now - timedelta(days=1), end=now + timedelta(minutes=5))
    assert (metrics["l1_resolved"], metrics["l1_resolved_with_kb"]) == (1, 1)
    desk.goto("/kb/insights")
    expect(desk.locator("[data-metric=deflection_rate]")).to_have_text("100 %")
    desk.context.close()
