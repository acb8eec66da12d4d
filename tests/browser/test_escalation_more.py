"""The rest of the escalation screens in a browser: hand-off requirements, handing a ticket
down, alerting the lead and declaring a major incident, and the metrics page."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from backline.accounts.models import TeamMembership
from backline.escalation.models import Alert, HandoffPolicy, MajorIncident
from backline.tickets.models import Ticket
from tests.browser.conftest import sign_in
from tests.factories import PASSWORD, UserFactory, make_ticket

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_manager_sets_what_a_team_requires(page, manager, app_support):
    sign_in(page, "maria", PASSWORD)
    page.goto("/settings/handoff/")
    page.get_by_label("Application Support requires Hypothesis").check()
    page.locator(f"#policy-{app_support.pk}").evaluate("f => f.requestSubmit()")
    expect(page.locator(".flash.success")).to_contain_text(
        "Saved what Application Support requires"
    )
    assert "hypothesis" in HandoffPolicy.objects.get(team=app_support).required


def test_l2_hands_down_alerts_the_lead_and_declares_a_major_incident(
    page, l1_agent, l2_agent, service_desk, app_support
):
    lead = UserFactory(username="lee", first_name="Lee", last_name="Lead", teams=[app_support])
    TeamMembership.objects.filter(user=lead).update(is_lead=True)
    ticket = make_ticket(
        l1_agent,
        team=app_support,
        assignee=l2_agent,
        impact=1,
        urgency=1,
        title="Checkout down for all customers",
    )
    sign_in(page, "lena", PASSWORD)
    page.goto(f"/tickets/{ticket.number}/")

    page.get_by_text("Alert lead…").click()
    form = page.locator('[data-action-form="alert-lead"]')
    form.locator("textarea").fill("Resolution due in 40 minutes and the vendor is silent.")
    form.get_by_role("button", name="Send alert").click()
    expect(page.locator(".collab-alerts")).to_contain_text("alerted by Lena Second")
    assert list(Alert.objects.get().recipients.all()) == [lead]

    page.get_by_text("Declare major incident…").click()
    major = page.locator('[data-action-form="major"]')
    major.locator("textarea").fill("Every customer checkout fails.")
    major.get_by_label("Users affected").fill("5000")
    major.get_by_role("button", name="Declare major incident").click()
    page.wait_for_load_state("networkidle")
    page.goto(f"/tickets/{ticket.number}/")
    expect(page.get_by_text("Major incident", exact=False).first).to_be_visible()
    assert MajorIncident.objects.get().users_affected == 5000

    page.get_by_text("Hand down…").click()
    down = page.locator('[data-action-form="deescalate"]')
    down.get_by_label("Hand down to").select_option(label="L1 Service Desk")
    down.get_by_label("What was fixed, what to confirm").fill("Restarted the payment bridge.")
    down.get_by_role("button", name="Hand down").click()
    expect(page.get_by_test_id("trail")).to_contain_text("handed down")
    assert Ticket.objects.get(pk=ticket.pk).team == service_desk


def test_metrics_page_shows_the_escalation_rate(
    page, l1_agent, l2_agent, service_desk, app_support
):
    from backline.escalation import services

    ticket = make_ticket(l1_agent, team=service_desk)
    make_ticket(l1_agent, team=service_desk)
    services.escalation_create(
        actor=l1_agent,
        ticket=ticket,
        to_team=app_support,
        summary="s",
        impact_users=2,
        steps_taken="t",
    )
    sign_in(page, "lena", PASSWORD)
    page.get_by_role("link", name="Escalation metrics").click()
    expect(page.locator('[data-metric="tickets_created"]')).to_have_text("2")
    expect(page.locator('[data-metric="escalation_rate"]')).to_have_text("50 %")
