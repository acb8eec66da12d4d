"""Escalation pages: dialog (pre-fill, routing suggestion, errors), inbox, settings, metrics."""

from __future__ import annotations

import pytest
from django.test import Client

from backline.escalation import services
from backline.escalation.models import Escalation, HandoffPolicy
from backline.tickets import services as ticket_services
from backline.tickets.routing import routing_rule_create
from tests.factories import make_ticket

pytestmark = pytest.mark.django_db
HX = {"HTTP_HX_REQUEST": "true"}
PACKAGE = {"summary": "s", "impact_users": 3, "steps_taken": "t"}


@pytest.fixture
def desk_client(l1_agent):
    client = Client()
    client.force_login(l1_agent)
    return client


@pytest.fixture
def ticket(l1_agent, service_desk):
    ticket = make_ticket(
        l1_agent,
        team=service_desk,
        title="ERP sync stopped",
        description="Orders since 06:10 missing in ERP",
    )
    ticket_services.ticket_comment(
        actor=l1_agent, ticket=ticket, body="Checked 3 orders", internal=True
    )
    return ticket


def test_dialog_prefills_and_preselects_the_routed_team(desk_client, ticket, admin, app_support):
    routing_rule_create(actor=admin, name="ERP", team=app_support, keywords="erp")
    response = desk_client.get(f"/tickets/{ticket.number}/escalate/", **HX)
    assert response.status_code == 200
    form = response.context["form"]
    assert form.initial["to_team"] == app_support
    assert "Checked 3 orders" in form.initial["steps_taken"]
    assert response.content.decode().lstrip().startswith("<form")


def test_dialog_refuses_field_by_field(desk_client, ticket, app_support):
    response = desk_client.post(
        f"/tickets/{ticket.number}/escalate/",
        {"to_team": app_support.pk, "version": ticket.version, "summary": "x"},
        **HX,
    )
    assert response.status_code == 422
    errors = response.context["form"].errors
    assert "impact_users" in errors and "steps_taken" in errors
    assert not Escalation.objects.exists()


def test_dialog_success_redirects_the_browser_to_the_ticket(desk_client, ticket, app_support):
    response = desk_client.post(
        f"/tickets/{ticket.number}/escalate/",
        {"to_team": app_support.pk, "version": ticket.version, **PACKAGE},
        **HX,
    )
    assert response.status_code == 200
    assert response["HX-Redirect"] == f"/tickets/{ticket.number}/"
    assert Escalation.objects.get().to_team == app_support


def test_dialog_reports_a_stale_version(desk_client, ticket, app_support, l1_agent):
    ticket_services.ticket_update(actor=l1_agent, ticket=ticket, version=1, changes={"urgency": 1})
    response = desk_client.post(
        f"/tickets/{ticket.number}/escalate/",
        {"to_team": app_support.pk, "version": 1, **PACKAGE},
        **HX,
    )
    assert response.status_code == 422
    assert "after you opened it" in response.content.decode()


def test_inbox_accept_and_return_update_the_card_in_place(web, l1_agent, ticket, app_support):
    esc = services.escalation_create(actor=l1_agent, ticket=ticket, to_team=app_support, **PACKAGE)
    page = web.get("/escalations/")
    assert ticket.title.encode() in page.content
    refused = web.post(
        f"/escalations/{esc.pk}/return/", {"reason": "duplicate", "guidance": ""}, **HX
    )
    assert refused.status_code == 422 and b"Tell the sending team" in refused.content
    accepted = web.post(f"/escalations/{esc.pk}/accept/", {"assign_to_self": "on"}, **HX)
    assert b"Accepted" in accepted.content
    again = web.post(f"/escalations/{esc.pk}/accept/", {}, **HX)
    assert again.status_code == 409 and b"already accepted" in again.content


def test_ticket_page_shows_the_trail_and_pinned_guidance(
    web, l1_agent, l2_agent, ticket, app_support
):
    esc = services.escalation_create(actor=l1_agent, ticket=ticket, to_team=app_support, **PACKAGE)
    services.escalation_return(
        actor=l2_agent,
        escalation=esc,
        reason="lower_tier",
        guidance="Reset the sync job; L1 can do it.",
    )
    content = web.get(f"/tickets/{ticket.number}/").content.decode()
    assert "Reset the sync job; L1 can do it." in content
    assert "Solvable at lower tier" in content
    assert 'class="trail-mark bounce">returned' in content


def test_requesters_see_no_escalation_details(
    requester, l1_agent, l2_agent, app_support, service_desk
):
    l2 = l2_agent
    ticket = make_ticket(requester)
    ticket_services.ticket_update(
        actor=l1_agent, ticket=ticket, version=1, changes={"team": service_desk}
    )
    ticket.refresh_from_db()
    services.escalation_create(
        actor=l1_agent,
        ticket=ticket,
        to_team=app_support,
        summary="internal summary",
        impact_users=1,
        steps_taken="t",
    )
    client = Client()
    client.force_login(requester)
    content = client.get(f"/tickets/{ticket.number}/").content.decode()
    assert "internal summary" not in content and "Escalate" not in content
    services.escalation_return(
        actor=l2,
        escalation=Escalation.objects.get(),
        reason="other",
        guidance="secret guidance between teams",
    )
    content = client.get(f"/tickets/{ticket.number}/").content.decode()
    assert "secret guidance" not in content and "bounce" not in content
    assert client.get("/escalations/").status_code == 403
    assert client.get(f"/tickets/{ticket.number}/escalate/").status_code == 403


def test_handoff_settings_for_managers_only(web, manager, app_support):
    assert web.get("/settings/handoff/").status_code == 403
    boss = Client()
    boss.force_login(manager)
    assert boss.get("/settings/handoff/").status_code == 200
    boss.post("/settings/handoff/", {"team": app_support.pk, "required": ["summary", "hypothesis"]})
    assert HandoffPolicy.objects.get(team=app_support).required == ["summary", "hypothesis"]


def test_metrics_page_renders_numbers(web, l1_agent, ticket, app_support):
    services.escalation_create(actor=l1_agent, ticket=ticket, to_team=app_support, **PACKAGE)
    response = web.get("/escalations/metrics/")
    assert response.status_code == 200
    assert response.context["m"]["escalated_tickets"] == 1
    assert (
        web.get("/escalations/metrics/", {"start": "2026-12-01", "end": "2026-01-01"}).status_code
        == 200
    )


def test_deescalate_from_the_ticket_page(web, l1_agent, l2_agent, app_support, service_desk):
    ticket = make_ticket(l1_agent, team=app_support, assignee=l2_agent)
    response = web.post(
        f"/tickets/{ticket.number}/deescalate/",
        {
            "down-to_team": service_desk.pk,
            "down-note": "Fixed, please confirm",
            "down-version": ticket.version,
        },
    )
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.team == service_desk
