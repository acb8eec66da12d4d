"""More of the knowledge base in the browser: a team's policy makes an engineer record a
knowledge decision before resolving an escalated ticket; a reader's "not helpful" comment becomes
a review task the owner closes; a similar past incident is linked from the suggestions."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from backline.knowledge import services
from backline.knowledge.models import ArticleReview, KnowledgeDecision
from backline.tickets.models import TicketLink
from backline.tickets.services import ticket_transition
from tests.browser.conftest import sign_in
from tests.browser.test_escalation_flow import session
from tests.browser.test_knowledge_flow import escalated  # noqa: F401 - a fixture
from tests.factories import PASSWORD, make_ticket

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_policy_asks_for_a_decision_before_resolving(page, escalated, manager, app_support):  # noqa: F811
    services.knowledge_policy_set(actor=manager, team=app_support, require_decision=True)
    sign_in(page, "lena", PASSWORD)
    page.goto(f"/tickets/{escalated.number}/")
    page.locator("summary", has_text="Resolve…").click()
    form = page.locator("[data-action-form=resolve] form")
    form.get_by_label("Resolution").select_option("fixed")
    form.get_by_label("What fixed it").fill("Restarted the report service.")
    form.get_by_role("button", name="Resolve").click()
    expect(page.get_by_text("Record a knowledge decision first")).to_be_visible()
    expect(page.locator(".badges .status")).to_have_text("Assigned")

    panel = page.locator("#kb-panel")
    panel.get_by_label("No article needed").check()
    panel.get_by_label("Why no article is needed").fill(
        "One-off pool exhaustion during a load test"
    )
    panel.get_by_role("button", name="Record decision").click()
    expect(page.get_by_test_id("kb-decision")).to_contain_text("No article needed")
    assert KnowledgeDecision.objects.get(ticket=escalated).decision == "not_needed"

    page.locator("summary", has_text="Resolve…").click()
    form = page.locator("[data-action-form=resolve] form")
    form.get_by_label("Resolution").select_option("fixed")
    form.get_by_label("What fixed it").fill("Restarted the report service.")
    form.get_by_role("button", name="Resolve").click()
    expect(page.locator(".badges .status")).to_have_text("Resolved")


def test_not_helpful_comment_reaches_the_owner_who_closes_it(
    page, browser, live_server, l1_agent, l2_agent
):
    article = services.article_create(
        actor=l2_agent,
        title="Outlook keeps asking for the password",
        resolution="Remove the cached credential in Credential Manager.",
    )
    article = services.article_transition(actor=l2_agent, article=article, action="publish")
    desk = session(browser, live_server, "sam")
    desk.goto(f"/kb/{article.number}")
    desk.get_by_label("Comment").fill("Credential Manager has no Outlook entry on Windows 11")
    desk.get_by_role("button", name="Not helpful").click()
    expect(desk.get_by_text("the owner has a review task")).to_be_visible()
    desk.context.close()

    sign_in(page, "lena", PASSWORD)
    page.goto("/kb/")
    expect(page.locator(".kb-reviews")).to_contain_text("Credential Manager has no Outlook entry")
    page.goto(f"/kb/{article.number}")
    page.get_by_placeholder("What you did about it").fill("Added the Windows 11 steps")
    page.get_by_role("button", name="Close review").click()
    expect(page.get_by_text(f"Review of {article.number} closed.")).to_be_visible()
    assert ArticleReview.objects.get().state == "done"


def test_link_a_similar_past_incident(page, l1_agent, l2_agent):
    old = make_ticket(
        l1_agent, title="Label printer in Leipzig prints blank labels", assignee=l2_agent
    )
    ticket_transition(
        actor=l2_agent, ticket=old, action="resolve", resolution_code="fixed",
        resolution_notes="Replaced the ribbon; the driver had switched to direct thermal.",
    )  # fmt: skip
    new = make_ticket(l1_agent, title="Leipzig label printer prints blank labels again")
    sign_in(page, "lena", PASSWORD)
    page.goto(f"/tickets/{new.number}/")
    incidents = page.get_by_test_id("similar-incidents")
    expect(incidents).to_contain_text("Replaced the ribbon")
    incidents.get_by_test_id("link-incident").first.click()
    expect(page.get_by_text(f"Linked to {old.number}.")).to_be_visible()
    assert TicketLink.objects.filter(source=new, target=old, kind="related").exists()
