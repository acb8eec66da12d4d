"""Hierarchical escalation: alerts to leads and managers, and major incidents."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from backline.accounts.choices import Role
from backline.accounts.models import TeamMembership
from backline.core.errors import DomainError, PermissionDenied
from backline.escalation import collaboration, hierarchy
from backline.escalation.models import Alert, MajorIncident
from backline.notifications.choices import NotificationKind
from backline.notifications.models import Notification
from backline.tickets import services as ticket_services
from backline.tickets.choices import EventKind
from backline.tickets.models import TicketEvent
from tests.conftest import api_client_for
from tests.factories import TeamFactory, UserFactory, make_ticket

pytestmark = pytest.mark.django_db
HX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def app_lead(app_support):
    lead = UserFactory(username="alex", first_name="Alex", last_name="Lead")
    TeamMembership.objects.create(user=lead, team=app_support, is_lead=True)
    return lead


@pytest.fixture
def app_manager(app_support):
    return UserFactory(
        username="mona", first_name="Mona", last_name="Boss", role=Role.MANAGER, teams=[app_support]
    )


@pytest.fixture
def ticket(l1_agent, l2_agent, app_support):
    return make_ticket(
        l1_agent, title="Checkout fails for all EU shops", team=app_support, assignee=l2_agent
    )


@pytest.fixture
def p1_ticket(l1_agent, app_support):
    return make_ticket(l1_agent, title="Payments down", team=app_support, impact=1, urgency=1)


def post(client, url, data):
    return client.post(url, data=json.dumps(data), content_type="application/json")


def assert_error(response, status, field=None):
    assert response.status_code == status, response.content
    body = response.json()
    assert body["code"] and body["message"]
    if field is not None:
        assert body["field"] == field, body
    return body


def notified(kind):
    return sorted(
        Notification.objects.filter(kind=kind).values_list("recipient__username", flat=True)
    )


# --- alerts ------------------------------------------------------------------------------------


def test_lead_alert_goes_to_the_team_leads(l2_agent, ticket, app_lead, manager, app_manager):
    alert = hierarchy.alert_raise(
        actor=l2_agent, ticket=ticket, level="lead", reason="  SLA breach in 30 minutes  "
    )
    assert list(alert.recipients.all()) == [app_lead]
    assert alert.reason == "SLA breach in 30 minutes" and alert.raised_by == l2_agent
    event = TicketEvent.objects.get(ticket=ticket, kind=EventKind.ALERTED)
    assert event.actor == l2_agent and event.is_internal
    assert event.data == {
        "alert": alert.pk,
        "level": "lead",
        "reason": "SLA breach in 30 minutes",
        "recipients": ["Alex Lead"],
    }
    assert notified(NotificationKind.ALERT) == ["alex"]
    note = Notification.objects.get(kind=NotificationKind.ALERT)
    assert note.body == "SLA breach in 30 minutes" and note.ticket_number == ticket.number


def test_lead_alert_without_a_lead_falls_back_to_the_teams_managers(
    l2_agent, ticket, manager, app_manager
):
    alert = hierarchy.alert_raise(actor=l2_agent, ticket=ticket, level="lead", reason="Stuck")
    assert list(alert.recipients.all()) == [app_manager]


def test_manager_alert_goes_to_the_teams_managers_else_all_managers(
    l2_agent, ticket, app_lead, manager
):
    alert = hierarchy.alert_raise(actor=l2_agent, ticket=ticket, level="manager", reason="VIP")
    assert list(alert.recipients.all()) == [manager]  # nobody in the team is a manager
    mona = UserFactory(username="mona", role=Role.MANAGER, teams=[ticket.team])
    again = hierarchy.alert_raise(actor=l2_agent, ticket=ticket, level="manager", reason="VIP")
    assert list(again.recipients.all()) == [mona]


def test_alert_refusals(l2_agent, requester, ticket, app_lead):
    with pytest.raises(PermissionDenied):
        hierarchy.alert_raise(actor=requester, ticket=ticket, level="lead", reason="Help")
    with pytest.raises(DomainError) as exc:
        hierarchy.alert_raise(actor=l2_agent, ticket=ticket, level="lead", reason="   ")
    assert exc.value.field == "reason"
    with pytest.raises(DomainError) as exc:
        hierarchy.alert_raise(actor=l2_agent, ticket=ticket, level="ceo", reason="Help")
    assert exc.value.field == "level"
    assert not Alert.objects.exists() and not Notification.objects.exists()


def test_an_alert_with_nobody_to_receive_it_is_refused(l2_agent, ticket):
    with pytest.raises(DomainError) as exc:
        hierarchy.alert_raise(actor=l2_agent, ticket=ticket, level="lead", reason="Help")
    assert exc.value.code == "no_recipients"
    assert not TicketEvent.objects.filter(kind=EventKind.ALERTED).exists()


def test_only_a_recipient_acknowledges(l2_agent, ticket, app_lead, manager):
    alert = hierarchy.alert_raise(actor=l2_agent, ticket=ticket, level="lead", reason="Help")
    with pytest.raises(PermissionDenied):
        hierarchy.alert_acknowledge(actor=manager, alert=alert)
    assert [a.pk for a in hierarchy.alerts_for(app_lead)] == [alert.pk]
    acked = hierarchy.alert_acknowledge(actor=app_lead, alert=alert)
    assert acked.acknowledged_by == app_lead and acked.acknowledged_at is not None
    again = hierarchy.alert_acknowledge(actor=app_lead, alert=alert)
    assert again.acknowledged_at == acked.acknowledged_at
    assert list(hierarchy.alerts_for(app_lead)) == []
    assert [a.pk for a in hierarchy.alerts_for(app_lead, open_only=False)] == [alert.pk]
    assert list(hierarchy.alerts_for(manager, open_only=False)) == []


# --- major incidents ---------------------------------------------------------------------------


def test_major_incident_notifies_leads_and_managers_of_every_team_involved(
    l1_agent, l2_agent, p1_ticket, service_desk, app_lead, app_manager, manager
):
    network = TeamFactory(name="Network", tier=3)
    net_lead = UserFactory(username="nick", first_name="Nick", last_name="Net")
    TeamMembership.objects.create(user=net_lead, team=network, is_lead=True)
    desk_lead = UserFactory(username="dora")
    TeamMembership.objects.create(user=desk_lead, team=service_desk, is_lead=True)
    UserFactory(username="plainnet", teams=[network])  # a member, neither lead nor manager
    unrelated = TeamFactory(name="Facilities", tier=2)
    fac_lead = UserFactory(username="fred")
    TeamMembership.objects.create(user=fac_lead, team=unrelated, is_lead=True)
    # The ticket started at the service desk, moved to app support, and network has a task.
    ticket_services.ticket_update(
        actor=l1_agent, ticket=p1_ticket, version=1, changes={"team": service_desk}
    )
    ticket_services.ticket_update(
        actor=l1_agent, ticket=p1_ticket, version=2, changes={"team": p1_ticket.team}
    )
    collaboration.task_create(actor=l2_agent, ticket=p1_ticket, team=network, title="Check links")

    incident = hierarchy.major_incident_declare(
        actor=l2_agent, ticket=p1_ticket, reason="All payments fail", users_affected=12000
    )
    assert incident.declared_by == l2_agent and incident.users_affected == 12000
    assert notified(NotificationKind.MAJOR_INCIDENT) == ["alex", "dora", "mona", "nick"]
    event = TicketEvent.objects.get(ticket=p1_ticket, kind=EventKind.MAJOR_INCIDENT)
    assert event.data["reason"] == "All payments fail" and event.data["users_affected"] == 12000
    assert sorted(event.data["teams"]) == ["Application Support", "Network", "Service Desk"]


def test_major_incident_without_leads_or_managers_involved_notifies_all_managers(
    l2_agent, p1_ticket, manager
):
    hierarchy.major_incident_declare(actor=l2_agent, ticket=p1_ticket, reason="Down")
    assert notified(NotificationKind.MAJOR_INCIDENT) == ["maria"]


def test_major_incident_refusals(l2_agent, requester, ticket, p1_ticket, manager):
    with pytest.raises(DomainError) as exc:
        hierarchy.major_incident_declare(actor=l2_agent, ticket=ticket, reason="Big")
    assert exc.value.code == "not_p1"
    with pytest.raises(PermissionDenied):
        hierarchy.major_incident_declare(actor=requester, ticket=p1_ticket, reason="Big")
    with pytest.raises(DomainError) as exc:
        hierarchy.major_incident_declare(actor=l2_agent, ticket=p1_ticket, reason="")
    assert exc.value.field == "reason"
    hierarchy.major_incident_declare(actor=l2_agent, ticket=p1_ticket, reason="Big")
    with pytest.raises(DomainError) as exc:
        hierarchy.major_incident_declare(actor=manager, ticket=p1_ticket, reason="Again")
    assert exc.value.code == "already_declared"
    assert MajorIncident.objects.count() == 1
    assert TicketEvent.objects.filter(kind=EventKind.MAJOR_INCIDENT).count() == 1


# --- API ---------------------------------------------------------------------------------------


def test_api_alert_list_and_acknowledge(api, ticket, app_lead, manager):
    response = post(
        api, f"/api/v1/tickets/{ticket.number}/alerts", {"level": "lead", "reason": "SLA risk"}
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["ticket"] == ticket.number and body["level"] == "lead"
    assert [r["username"] for r in body["recipients"]] == ["alex"]
    assert body["acknowledged_at"] is None

    lead = api_client_for(app_lead)
    listed = lead.get("/api/v1/alerts").json()
    assert [a["id"] for a in listed] == [body["id"]]
    assert_error(api_client_for(manager).post(f"/api/v1/alerts/{body['id']}/acknowledge"), 403)
    acked = lead.post(f"/api/v1/alerts/{body['id']}/acknowledge")
    assert acked.status_code == 200 and acked.json()["acknowledged_by"]["username"] == "alex"
    assert lead.get("/api/v1/alerts").json() == []
    assert len(lead.get("/api/v1/alerts", {"open_only": False}).json()) == 1


def test_api_alert_errors(api, ticket, app_lead, requester):
    url = f"/api/v1/tickets/{ticket.number}/alerts"
    assert_error(post(api, url, {"level": "ceo", "reason": "x"}), 422, "level")
    assert_error(post(api, url, {"level": "lead", "reason": "  "}), 422, "reason")
    assert_error(
        post(api, "/api/v1/tickets/INC-999999/alerts", {"level": "lead", "reason": "x"}), 404
    )
    assert_error(api.post("/api/v1/alerts/999999/acknowledge"), 404)
    mine = make_ticket(requester, title="Mine")
    outsider = api_client_for(requester)
    assert_error(
        post(outsider, f"/api/v1/tickets/{mine.number}/alerts", {"level": "lead", "reason": "x"}),
        403,
    )


def test_api_major_incident(api, ticket, p1_ticket, manager):
    url = f"/api/v1/tickets/{p1_ticket.number}/major-incident"
    assert_error(api.get(url), 404)
    response = post(api, url, {"reason": "Payments down", "users_affected": 5000})
    assert response.status_code == 201, response.content
    assert response.json()["ticket"] == p1_ticket.number
    assert response.json()["users_affected"] == 5000
    assert api.get(url).json()["reason"] == "Payments down"
    assert assert_error(post(api, url, {"reason": "Again"}), 422, "ticket")["code"] == (
        "already_declared"
    )
    p3 = f"/api/v1/tickets/{ticket.number}/major-incident"
    assert assert_error(post(api, p3, {"reason": "Big"}), 422, "priority")["code"] == "not_p1"
    assert_error(post(api, url, {"reason": "x", "users_affected": -1}), 422, "users_affected")


# --- pages -------------------------------------------------------------------------------------


def test_ticket_page_offers_alerts_and_for_p1_the_major_incident(web, ticket, p1_ticket):
    html = web.get(f"/tickets/{ticket.number}/").content.decode()
    assert "Alert lead…" in html and "Alert manager…" in html
    assert "Declare major incident…" not in html
    html = web.get(f"/tickets/{p1_ticket.number}/").content.decode()
    assert "Declare major incident…" in html
    assert 'data-testid="major-incident"' not in html


def test_alert_from_the_ticket_page(web, ticket, app_lead):
    response = web.post(
        f"/tickets/{ticket.number}/alert/", {"level": "lead", "reason": "Customer escalated"}
    )
    assert response.status_code == 302 and response["Location"] == f"/tickets/{ticket.number}/"
    page = web.get(response["Location"]).content.decode()
    assert "Alert sent to Alex Lead." in page
    assert "alerted by Lena Second" in page and "not acknowledged" in page


def test_a_refused_alert_shows_the_error_in_the_panel(web, ticket):
    response = web.post(f"/tickets/{ticket.number}/alert/", {"level": "lead", "reason": ""}, **HX)
    assert response.status_code == 422
    html = response.content.decode()
    assert html.lstrip().startswith('<div class="action-forms collab-actions" id="collab-actions">')
    assert "This field is required." in html
    response = web.post(
        f"/tickets/{ticket.number}/alert/", {"level": "lead", "reason": "Help"}, **HX
    )
    assert response.status_code == 422 and "Nobody to alert" in response.content.decode()
    page = web.post(f"/tickets/{ticket.number}/alert/", {"level": "lead", "reason": "Help"})
    assert page.status_code == 422 and b"Nobody to alert" in page.content


def test_declare_a_major_incident_shows_the_banner(web, p1_ticket, manager):
    response = web.post(
        f"/tickets/{p1_ticket.number}/major/",
        {"reason": "All payments fail", "users_affected": "800"},
        **HX,
    )
    assert response.status_code == 200 and response["HX-Refresh"] == "true"
    html = web.get(f"/tickets/{p1_ticket.number}/").content.decode()
    assert 'data-testid="major-incident"' in html and "800 users affected" in html
    assert "All payments fail" in html and "Declare major incident…" not in html
    again = web.post(f"/tickets/{p1_ticket.number}/major/", {"reason": "Again"})
    assert again.status_code == 422 and b"already a major incident" in again.content


def test_alerts_page_lists_and_acknowledges(l2_agent, ticket, app_lead):
    hierarchy.alert_raise(actor=l2_agent, ticket=ticket, level="lead", reason="SLA at risk")
    client = Client()
    client.force_login(app_lead)
    html = client.get("/alerts/").content.decode()
    assert "Alerts for me" in html and "SLA at risk" in html and ticket.number in html
    alert = Alert.objects.get()
    response = client.post(f"/alerts/{alert.pk}/ack/")
    assert response.status_code == 302 and response["Location"] == "/alerts/"
    html = client.get("/alerts/").content.decode()
    assert "No open alerts for you." in html
    assert "Acknowledged by Alex Lead" in client.get("/alerts/", {"all": "1"}).content.decode()


def test_acknowledging_someone_elses_alert_is_refused(l2_agent, ticket, app_lead, manager):
    alert = hierarchy.alert_raise(actor=l2_agent, ticket=ticket, level="lead", reason="Help")
    client = Client()
    client.force_login(manager)
    response = client.post(f"/alerts/{alert.pk}/ack/", **HX)
    assert response.status_code == 403
    assert b"Only the people alerted" in response.content
    assert Alert.objects.get().acknowledged_at is None
