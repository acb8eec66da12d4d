"""L1 tool sync: tickets keyed by the L1 record (system + id), created and escalated idempotently
by that key, and the reference carried back to the L1 tool in every webhook payload."""

from __future__ import annotations

import json

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from backline.core.errors import Conflict, DomainError, PermissionDenied
from backline.escalation.models import Escalation
from backline.tickets import services
from backline.tickets.models import Ticket
from backline.webhooks.models import Delivery
from backline.webhooks.services import subscription_create
from tests.conftest import api_client_for
from tests.factories import make_ticket

pytestmark = pytest.mark.django_db

REF_URL = "/api/v1/tickets/by-ref/servicenow/INC0012345"
PACKAGE = {
    "summary": "CRM crashes on every sales report",
    "impact_users": 40,
    "steps_taken": "Other browser, cleared cache, another account: same crash.",
}


def put(client, url, body):
    return client.put(url, data=json.dumps(body), content_type="application/json")


def post(client, url, body, **headers):
    return client.post(url, data=json.dumps(body), content_type="application/json", **headers)


def assert_error(response, status, field):
    assert response.status_code == status, response.content
    body = response.json()
    assert body["field"] == field, body
    return body


# --- the model and the service ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("system", "external_id", "field"),
    [
        ("ServiceNow", "INC1", "external_system"),  # not a slug
        ("s", "INC1", "external_system"),  # too short
        ("servicenow", "INC 1", "external_id"),  # a space would need escaping in the URL
        ("servicenow", "a/b", "external_id"),
        ("servicenow", "x" * 101, "external_id"),
    ],
)
def test_model_validation_names_the_bad_part(l2_agent, system, external_id, field):
    ticket = make_ticket(l2_agent)
    ticket.external_system, ticket.external_id = system, external_id
    with pytest.raises(ValidationError) as exc:
        ticket.full_clean()
    assert field in exc.value.message_dict


def test_the_database_refuses_half_a_reference_and_a_second_ticket_for_one_record(l2_agent):
    ticket = make_ticket(l2_agent)
    with pytest.raises(IntegrityError), transaction.atomic():
        Ticket.objects.filter(pk=ticket.pk).update(external_system="zammad")
    make_ticket(l2_agent, external_system="zammad", external_id="42")
    other = make_ticket(l2_agent)
    with pytest.raises(IntegrityError), transaction.atomic():
        Ticket.objects.filter(pk=other.pk).update(external_system="zammad", external_id="42")
    # The same id in another L1 tool is another record.
    make_ticket(l2_agent, external_system="l1desk", external_id="42")


@pytest.mark.parametrize(
    ("system", "external_id", "field"),
    [("", "INC1", "external_system"), ("servicenow", "", "external_id")],
)
def test_create_needs_both_parts_or_neither(l2_agent, system, external_id, field):
    with pytest.raises(DomainError) as exc:
        make_ticket(l2_agent, external_system=system, external_id=external_id)
    assert exc.value.field == field
    assert not Ticket.objects.exists()


def test_a_second_ticket_for_the_same_record_is_a_conflict(l2_agent):
    make_ticket(l2_agent, external_system="zammad", external_id="42")
    with pytest.raises(Conflict) as exc:
        make_ticket(l2_agent, external_system="zammad", external_id="42")
    assert exc.value.field == "external_id"
    assert Ticket.objects.count() == 1


def test_requesters_cannot_link_tickets_to_l1_records(requester):
    with pytest.raises(PermissionDenied):
        make_ticket(requester, external_system="zammad", external_id="42")
    assert not Ticket.objects.exists()


def test_a_writer_losing_the_race_at_insert_gets_the_winners_ticket(l2_agent, monkeypatch):
    # The winner commits between the loser's look-up and its insert: the look-ups miss, the
    # unique constraint refuses the insert, and the loser answers with the winner's ticket.
    winner = make_ticket(l2_agent, title="first", external_system="zammad", external_id="42")
    real_lookup = services.ticket_for_external_ref
    calls: list[tuple] = []

    def lookup_missing_the_winner_twice(*args):
        calls.append(args)
        return None if len(calls) <= 2 else real_lookup(*args)

    monkeypatch.setattr(services, "ticket_for_external_ref", lookup_missing_the_winner_twice)
    ticket, created = services.ticket_ensure_by_ref(
        actor=l2_agent, external_system="zammad", external_id="42", title="second"
    )
    assert (ticket.pk, created) == (winner.pk, False)
    assert len(calls) == 4  # two misses, then the look-ups after the refused insert
    assert Ticket.objects.count() == 1


# --- PUT and GET by reference -----------------------------------------------------------------


def test_put_by_ref_creates_once_and_replays_return_the_same_ticket_unchanged(l2_agent):
    api = api_client_for(l2_agent)
    body = {"title": "Order sync fails", "impact": 1, "urgency": 1}
    first = put(api, REF_URL, body)
    assert first.status_code == 201, first.content
    created = first.json()
    assert created["external_system"] == "servicenow"
    assert created["external_id"] == "INC0012345"
    assert created["source"] == "api" and created["priority"] == 1

    again = put(api, REF_URL, body)
    assert again.status_code == 200
    assert again.json()["number"] == created["number"]

    changed = put(api, REF_URL, {"title": "Something else entirely", "impact": 3, "urgency": 3})
    assert changed.status_code == 200
    assert changed.json()["number"] == created["number"]
    ticket = Ticket.objects.get()
    assert (ticket.title, ticket.priority, ticket.version) == ("Order sync fails", 1, 1)

    looked_up = api.get(REF_URL)
    assert looked_up.status_code == 200
    assert looked_up.json()["number"] == created["number"]


def test_put_by_ref_returns_a_ticket_another_writer_made_first(l2_agent):
    existing = make_ticket(
        l2_agent,
        title="Made by the other writer",
        external_system="servicenow",
        external_id="INC0012345",
    )
    response = put(api_client_for(l2_agent), REF_URL, {"title": "Order sync fails"})
    assert response.status_code == 200, response.content
    assert response.json()["number"] == existing.number
    assert response.json()["title"] == "Made by the other writer"
    assert Ticket.objects.count() == 1


def test_unknown_reference_is_404(api):
    assert_error(api.get("/api/v1/tickets/by-ref/servicenow/INC404"), 404, "external_id")
    response = post(api, "/api/v1/tickets/by-ref/servicenow/INC404/escalations", {"to_team": 1})
    assert_error(response, 404, "external_id")


def test_bad_references_and_bodies_are_422s_naming_the_field_and_change_nothing(api):
    assert_error(
        put(api, "/api/v1/tickets/by-ref/Service%20Now/INC1", {"title": "x"}), 422, "system"
    )
    assert_error(put(api, "/api/v1/tickets/by-ref/ServiceNow/INC1", {"title": "x"}), 422, "system")
    assert_error(api.get("/api/v1/tickets/by-ref/servicenow/INC%201"), 422, "external_id")
    assert_error(put(api, REF_URL, {"title": "  "}), 422, "title")
    assert_error(put(api, REF_URL, {"title": "x", "impact": 9}), 422, "impact")
    assert_error(put(api, REF_URL, {"title": "x", "category": 424242}), 422, "category")
    assert not Ticket.objects.exists()


def test_requesters_cannot_use_the_l1_endpoints(requester, l2_agent):
    make_ticket(l2_agent, external_system="servicenow", external_id="INC0012345")
    client = api_client_for(requester)
    assert_error(put(client, REF_URL, {"title": "mine"}), 403, None)
    assert client.get(REF_URL).status_code == 403
    assert post(client, f"{REF_URL}/escalations", PACKAGE | {"to_team": 1}).status_code == 403
    # …nor set a reference in the ordinary create.
    response = post(
        client,
        "/api/v1/tickets",
        {"title": "mine", "external_system": "servicenow", "external_id": "INC9"},
    )
    assert_error(response, 403, "external_system")
    assert Ticket.objects.count() == 1


def test_post_tickets_accepts_a_reference_and_refuses_a_taken_one(api):
    body = {"title": "VPN drops", "external_system": "zammad", "external_id": "10042"}
    first = post(api, "/api/v1/tickets", body)
    assert first.status_code == 201, first.content
    assert (first.json()["external_system"], first.json()["external_id"]) == ("zammad", "10042")
    assert_error(post(api, "/api/v1/tickets", body), 409, "external_id")
    half = post(api, "/api/v1/tickets", {"title": "x", "external_system": "zammad"})
    assert_error(half, 422, "external_id")
    assert Ticket.objects.count() == 1


# --- escalation by reference ------------------------------------------------------------------


def test_escalation_by_ref_with_an_idempotency_key_replays(l1_agent, service_desk, app_support):
    make_ticket(
        l1_agent, team=service_desk, assignee=l1_agent, external_system="l1desk", external_id="T-7"
    )
    api = api_client_for(l1_agent)
    url = "/api/v1/tickets/by-ref/l1desk/T-7/escalations"
    body = PACKAGE | {"to_team": app_support.pk}
    first = post(api, url, body, HTTP_IDEMPOTENCY_KEY="esc-T-7-1")
    assert first.status_code == 201, first.content
    replay = post(api, url, body, HTTP_IDEMPOTENCY_KEY="esc-T-7-1")
    assert replay.status_code == 201
    assert replay["Idempotent-Replayed"] == "true"
    assert replay.json()["id"] == first.json()["id"]
    assert Escalation.objects.count() == 1

    other = post(api, url, body | {"summary": "Another story"}, HTTP_IDEMPOTENCY_KEY="esc-T-7-1")
    assert_error(other, 409, "Idempotency-Key")
    # Without a key, a second escalation while the first waits is refused by the service.
    again = post(api, url, body)
    assert again.json()["code"] == "pending_escalation"
    assert_error(again, 422, "to_team")
    assert Escalation.objects.count() == 1
    ticket = Ticket.objects.get()
    assert (ticket.team, ticket.tier) == (app_support, 2)


def test_escalation_by_ref_with_an_incomplete_package_changes_nothing(
    l1_agent, service_desk, app_support
):
    make_ticket(l1_agent, team=service_desk, external_system="l1desk", external_id="T-8")
    response = post(
        api_client_for(l1_agent),
        "/api/v1/tickets/by-ref/l1desk/T-8/escalations",
        {"to_team": app_support.pk},
        HTTP_IDEMPOTENCY_KEY="esc-T-8",
    )
    assert response.status_code == 422
    assert not Escalation.objects.exists()
    assert Ticket.objects.get().team == service_desk


# --- back to the L1 tool ----------------------------------------------------------------------


def test_webhook_payloads_carry_the_external_reference(admin, l2_agent, app_support):
    subscription_create(
        actor=admin,
        name="L1 desk",
        url="https://l1.example.com/hooks/backline",
        event_types=["ticket.created", "ticket.status_changed"],
    )
    linked = make_ticket(
        l2_agent,
        team=app_support,
        assignee=l2_agent,
        external_system="servicenow",
        external_id="INC0012345",
    )
    services.ticket_transition(actor=l2_agent, ticket=linked, action="start")
    linked.refresh_from_db()
    services.ticket_transition(
        actor=l2_agent,
        ticket=linked,
        action="resolve",
        resolution_code="fixed",
        resolution_notes="Rebuilt the report index.",
    )
    make_ticket(l2_agent, title="Not from L1")
    deliveries = list(Delivery.objects.order_by("pk"))
    assert [d.event_type for d in deliveries] == [
        "ticket.created",
        "ticket.status_changed",
        "ticket.status_changed",
        "ticket.created",
    ]
    ref = {"system": "servicenow", "id": "INC0012345"}
    assert all(d.payload["ticket"]["external_ref"] == ref for d in deliveries[:3])
    resolved = deliveries[2].payload["ticket"]
    assert (resolved["status"], resolved["resolution_code"]) == ("resolved", "fixed")
    assert deliveries[3].payload["ticket"]["external_ref"] is None


def test_the_ticket_page_shows_the_reference(web, l2_agent):
    linked = make_ticket(l2_agent, external_system="zammad", external_id="10042")
    page = web.get(linked.get_absolute_url()).content.decode()
    assert "L1 reference" in page and "zammad" in page and "10042" in page
    plain = make_ticket(l2_agent)
    assert "L1 reference" not in web.get(plain.get_absolute_url()).content.decode()
