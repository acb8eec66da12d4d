"""Escalation through the API: the reference path gives the expected events; errors are JSON 4xx."""

from __future__ import annotations

import json

import pytest

from backline.tickets.choices import EventKind
from backline.tickets.models import Ticket, TicketEvent
from tests.conftest import api_client_for
from tests.factories import TeamFactory, UserFactory, make_ticket

pytestmark = pytest.mark.django_db

# The path of the "Done when", as the kinds of events that move or decide the ticket:
# L1 escalates, L2 returns (a bounce), L1 escalates again, L2 accepts and opens a network task,
# then escalates to L3 with reproduction steps and evidence.
REFERENCE_PATH = [
    EventKind.CREATED,
    EventKind.ESCALATED,
    EventKind.RETURNED,
    EventKind.BOUNCED,
    EventKind.ESCALATED,
    EventKind.ACCEPTED,
    EventKind.TASK_CREATED,
    EventKind.ESCALATED,
]
PATH_KINDS = set(REFERENCE_PATH)


def path_of(ticket) -> list[str]:
    """The ticket's escalation-relevant events, oldest first."""
    return [
        k
        for k in TicketEvent.objects.filter(ticket=ticket)
        .order_by("at", "id")
        .values_list("kind", flat=True)
        if k in PATH_KINDS
    ]


def post(client, url, data):
    return client.post(url, data=json.dumps(data), content_type="application/json")


@pytest.fixture
def network(db):
    return TeamFactory(name="Network & Infrastructure", tier=2)


@pytest.fixture
def neteng(network):
    return UserFactory(username="nick", first_name="Nick", last_name="Net", teams=[network])


def test_reference_path_through_the_api(
    l1_agent, l2_agent, l3_agent, service_desk, app_support, engineering, network, neteng
):
    l1, l2 = api_client_for(l1_agent), api_client_for(l2_agent)
    ticket = make_ticket(l1_agent, team=service_desk, assignee=l1_agent, title="CRM crashes")
    url = f"/api/v1/tickets/{ticket.number}/escalations"

    refused = post(l1, url, {"to_team": app_support.pk, "summary": "CRM crashes on reports"})
    assert refused.status_code == 422
    assert {e["field"] for e in refused.json()["errors"]} == {"business_impact", "steps_taken"}
    assert not ticket.escalations.exists()

    package = {
        "to_team": app_support.pk,
        "summary": "CRM crashes on reports",
        "impact_users": 12,
        "steps_taken": "Other browser, other account",
    }
    first = post(l1, url, package)
    assert first.status_code == 201, first.content
    inbox = l2.get("/api/v1/escalations").json()
    assert [e["id"] for e in inbox] == [first.json()["id"]]

    returned = post(
        l2,
        f"/api/v1/escalations/{first.json()['id']}/return",
        {"reason": "insufficient_info", "guidance": "Attach the CRM server log."},
    )
    assert returned.status_code == 200 and returned.json()["state"] == "returned"
    assert l1.get(f"/api/v1/tickets/{ticket.number}").json()["team"]["name"] == "Service Desk"

    second = post(l1, url, {**package, "log_excerpts": "ERROR 502 from report-service"})
    assert second.status_code == 201
    accepted = post(
        l2, f"/api/v1/escalations/{second.json()['id']}/accept", {"assign_to_self": True}
    )
    assert accepted.json()["state"] == "accepted"

    task = post(
        l2,
        f"/api/v1/tickets/{ticket.number}/tasks",
        {"team": network.pk, "title": "Check the WAN link to the CRM DB"},
    )
    assert task.status_code == 201, task.content

    no_repro = post(l2, url, {**package, "to_team": engineering.pk})
    assert no_repro.status_code == 422
    assert {e["field"] for e in no_repro.json()["errors"]} == {"reproduction_steps", "evidence"}
    third = post(
        l2,
        url,
        {
            **package,
            "to_team": engineering.pk,
            "reproduction_steps": "Run the pipeline report",
            "log_excerpts": "ERR",
        },
    )
    assert third.status_code == 201

    assert path_of(ticket) == REFERENCE_PATH
    trail = l2.get(f"/api/v1/tickets/{ticket.number}/trail").json()
    assert [(h["tier"], h["team"], h["how"]) for h in trail] == [
        (1, "Service Desk", "created"),
        (2, "Application Support", "escalated"),
        (1, "Service Desk", "returned"),
        (2, "Application Support", "escalated"),
        (3, "Engineering", "escalated"),
    ]
    assert sum(h["bounced"] for h in trail) == 1
    packages = l2.get(url).json()
    assert [p["state"] for p in packages] == ["returned", "accepted", "pending"]


def test_escalation_errors(l1_agent, service_desk, app_support):
    ticket = make_ticket(l1_agent, team=service_desk)
    api = api_client_for(l1_agent)  # the desk that holds the ticket escalates it
    url = f"/api/v1/tickets/{ticket.number}/escalations"
    assert post(api, url, {"to_team": 999999}).json()["field"] == "to_team"
    assert post(api, url, {"to_team": service_desk.pk, "summary": "x"}).status_code == 422
    assert (
        post(
            api,
            url,
            {
                "to_team": app_support.pk,
                "evidence": [424242],
                "summary": "x",
                "impact_users": 1,
                "steps_taken": "y",
            },
        ).json()["field"]
        == "evidence"
    )
    assert post(api, url, {"to_team": app_support.pk, "impact_users": -1}).status_code == 422
    assert (
        api.post(
            "/api/v1/escalations/424242/accept", data="{}", content_type="application/json"
        ).status_code
        == 404
    )


def test_only_the_receiving_team_decides_through_the_api(
    l1_agent, l2_agent, service_desk, app_support
):
    ticket = make_ticket(l1_agent, team=service_desk)
    l1 = api_client_for(l1_agent)
    created = post(
        l1,
        f"/api/v1/tickets/{ticket.number}/escalations",
        {"to_team": app_support.pk, "summary": "s", "impact_users": 1, "steps_taken": "t"},
    )
    esc = created.json()["id"]
    assert post(l1, f"/api/v1/escalations/{esc}/accept", {}).status_code == 403
    l2 = api_client_for(l2_agent)
    assert (
        post(l2, f"/api/v1/escalations/{esc}/return", {"reason": "nope", "guidance": "x"}).json()[
            "field"
        ]
        == "reason"
    )
    assert post(l2, f"/api/v1/escalations/{esc}/accept", {}).status_code == 200
    assert post(l2, f"/api/v1/escalations/{esc}/accept", {}).status_code == 409


def test_requesters_cannot_see_packages_or_inboxes(requester, l1_agent, service_desk):
    ticket = make_ticket(requester)
    client = api_client_for(requester)
    assert client.get(f"/api/v1/tickets/{ticket.number}/escalations").status_code == 403
    assert client.get("/api/v1/escalations").status_code == 403
    assert client.get(f"/api/v1/tickets/{ticket.number}/trail").status_code == 403


def test_deescalate_through_the_api(l1_agent, l2_agent, service_desk, app_support):
    ticket = make_ticket(l1_agent, team=app_support, assignee=l2_agent)
    l2 = api_client_for(l2_agent)
    url = f"/api/v1/tickets/{ticket.number}/deescalate"
    assert post(l2, url, {"to_team": service_desk.pk, "note": " "}).json()["field"] == "note"
    done = post(l2, url, {"to_team": service_desk.pk, "note": "Fixed; confirm with Rita"})
    assert done.status_code == 200 and done.json()["tier"] == 1
    assert not TicketEvent.objects.filter(ticket=ticket, kind=EventKind.BOUNCED).exists()


def test_handoff_policy_api(api, manager, app_support):
    url = f"/api/v1/teams/{app_support.slug}/handoff-policy"
    assert api.get(url).json()["required"] == ["summary", "business_impact", "steps_taken"]
    assert (
        api.put(
            url, data=json.dumps({"required": ["summary"]}), content_type="application/json"
        ).status_code
        == 403
    )
    boss = api_client_for(manager)
    assert boss.put(
        url, data=json.dumps({"required": ["hypothesis"]}), content_type="application/json"
    ).json()["required"] == ["hypothesis"]
    bad = boss.put(url, data=json.dumps({"required": ["magic"]}), content_type="application/json")
    assert bad.status_code == 422 and bad.json()["field"] == "required"


def test_metrics_api(api, l1_agent, service_desk, app_support, l2_agent):
    ticket = make_ticket(l1_agent, team=service_desk)
    post(
        api_client_for(l1_agent),
        f"/api/v1/tickets/{ticket.number}/escalations",
        {"to_team": app_support.pk, "summary": "s", "impact_users": 1, "steps_taken": "t"},
    )
    metrics = api.get("/api/v1/metrics/escalation").json()
    assert metrics["tickets_created"] == 1 and metrics["escalation_rate"] == 1.0
    assert (
        api.get(
            "/api/v1/metrics/escalation", {"start": "2026-02-01", "end": "2026-01-01"}
        ).status_code
        == 422
    )
    assert api.get("/api/v1/metrics/escalation", {"start": "yesterday"}).status_code == 422
    assert Ticket.objects.count() == 1
