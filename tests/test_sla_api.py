"""SLA through the API: a ticket's clocks, policies and calendars (reads staff, writes managers)."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from backline.sla import services
from backline.sla.models import BusinessCalendar, SlaPolicy
from backline.tickets import services as tickets
from tests.conftest import api_client_for
from tests.factories import make_ticket

pytestmark = pytest.mark.django_db
JSON = "application/json"


@pytest.fixture
def boss(admin):
    return api_client_for(admin)


def _json(client, method, url, body):
    return getattr(client, method)(url, json.dumps(body), content_type=JSON)


def test_clocks_of_a_ticket_with_pauses_and_breach(api, l1_agent):
    ticket = make_ticket(l1_agent, impact=2, urgency=2, at=timezone.now() - timedelta(days=10))
    services.sla_sweep(now=timezone.now())
    ticket = tickets.ticket_transition(
        actor=l1_agent, ticket=ticket, action="pend", pending_reason="requester"
    )
    response = api.get(f"/api/v1/tickets/{ticket.number}/clocks")
    assert response.status_code == 200
    clocks = {c["target"]: c for c in response.json()}
    assert set(clocks) == {"first_response", "resolution"}
    resolution = clocks["resolution"]
    assert resolution["state"] == "paused" and resolution["tier"] == 0
    assert resolution["breached_at"] is not None and resolution["warned_at"] is not None
    assert resolution["minutes_left"] < 0  # paused past its target
    assert resolution["elapsed_minutes"] > resolution["target_minutes"] == 1800
    assert resolution["pauses"][0]["reason"] == "requester"
    assert resolution["policy"]["name"] == "P3 Moderate"

    listed = api.get("/api/v1/tickets?queue=at_risk").json()
    assert listed["items"] == []  # paused: no running clock
    detail = api.get(f"/api/v1/tickets/{ticket.number}").json()
    assert (detail["sla_state"], detail["sla_due_at"]) == ("breached", None)


def test_ticket_list_sorts_by_due_and_carries_sla_fields(api, l1_agent):
    make_ticket(l1_agent, impact=3, urgency=3)
    fast = make_ticket(l1_agent, impact=1, urgency=1)
    items = api.get("/api/v1/tickets?queue=at_risk").json()["items"]
    assert items[0]["number"] == fast.number
    assert items[0]["sla_state"] == "ok" and items[0]["sla_due_at"]


def test_requester_cannot_read_clocks(requester, l1_agent):
    ticket = make_ticket(l1_agent, requester=requester)
    response = api_client_for(requester).get(f"/api/v1/tickets/{ticket.number}/clocks")
    assert response.status_code == 403


def test_policies_read_for_staff_write_for_managers(api, boss):
    listed = api.get("/api/v1/sla/policies").json()
    assert [p["name"] for p in listed][:1] == ["P1 Critical"]
    assert listed[0]["ola_targets"][0]["tier"] == 2
    calendar = BusinessCalendar.objects.first()
    body = {
        "name": "VIP",
        "calendar": calendar.pk,
        "first_response_minutes": 10,
        "resolution_minutes": 60,
        "priorities": [1],
        "ola_targets": {"2": {"accept_minutes": 5}},
    }
    assert _json(api, "post", "/api/v1/sla/policies", body).status_code == 403
    created = _json(boss, "post", "/api/v1/sla/policies", body)
    assert created.status_code == 201, created.content
    data = created.json()
    assert data["ola_targets"] == [{"tier": 2, "accept_minutes": 5, "resolve_minutes": None}]
    url = f"/api/v1/sla/policies/{data['id']}"
    assert _json(api, "patch", url, {"warn_share": 0.5}).status_code == 403
    patched = _json(boss, "patch", url, {"warn_share": 0.5, "sources": ["phone"]})
    assert patched.status_code == 200
    assert (patched.json()["warn_share"], patched.json()["sources"]) == (0.5, ["phone"])
    assert api.get(url).json()["name"] == "VIP"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"warn_share": 1.5}, "warn_share"),
        ({"first_response_minutes": 0}, "first_response_minutes"),
        ({"priorities": [7]}, "priorities"),
        ({"breach_actions": ["explode"]}, "breach_actions"),
        ({"calendar": 999999}, "calendar"),
        ({"categories": [999999]}, "categories"),
        ({"name": "P2 High"}, "name"),
    ],
)
def test_bad_policy_input_names_the_field(boss, body, field):
    policy = SlaPolicy.objects.get(name="P1 Critical")
    response = _json(boss, "patch", f"/api/v1/sla/policies/{policy.pk}", body)
    assert response.status_code == 422, response.content
    assert response.json()["field"] == field
    policy.refresh_from_db()
    assert policy.warn_share == 0.75 and policy.first_response_minutes == 15


def test_calendars_read_and_write(api, boss):
    assert any(c["name"] == "Office hours" for c in api.get("/api/v1/sla/calendars").json())
    body = {
        "name": "Support NYC",
        "timezone": "America/New_York",
        "week": {"mon": [["09:00", "17:00"]], "tue": [["09:00", "17:00"]]},
        "country": "US",
        "subdivision": "NY",
        "closed_dates": ["2026-12-24"],
    }
    assert _json(api, "post", "/api/v1/sla/calendars", body).status_code == 403
    created = _json(boss, "post", "/api/v1/sla/calendars", body)
    assert created.status_code == 201, created.content
    url = f"/api/v1/sla/calendars/{created.json()['id']}"
    assert api.get(url).json()["subdivision"] == "NY"
    for patch, field in (
        ({"timezone": "Nowhere/City"}, "timezone"),
        ({"subdivision": "ZZ"}, "subdivision"),
        ({"week": {"mon": [["18:00", "09:00"]]}}, "mon"),
        ({"week": {"funday": [["09:00", "10:00"]]}}, "week"),
        ({"extra_working_days": {"soon": [["09:00", "10:00"]]}}, "extra_working_days"),
    ):
        response = _json(boss, "patch", url, patch)
        assert response.status_code == 422, patch
        assert response.json()["field"] == field
    ok = _json(boss, "patch", url, {"week": {"sat": [["00:00", "24:00"]]}})
    assert ok.status_code == 200 and ok.json()["week"] == {"sat": [["00:00", "24:00"]]}
