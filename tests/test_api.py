"""The REST API end to end with a token: success paths, and every kind of bad input as JSON 4xx."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from backline.tickets import rules
from backline.tickets.choices import EventKind
from backline.tickets.models import Ticket, TicketEvent
from tests.conftest import api_client_for
from tests.factories import make_ticket

pytestmark = pytest.mark.django_db


def post(client, url, data, **headers):
    return client.post(url, data=json.dumps(data), content_type="application/json", **headers)


def patch(client, url, data):
    return client.patch(url, data=json.dumps(data), content_type="application/json")


def assert_error(response, status, field=None):
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["code"] and body["message"]
    if field is not None:
        assert body["field"] == field, body
    return body


def test_requests_without_a_valid_token_get_401(db):
    assert_error(Client().get("/api/v1/me"), 401, "Authorization")
    bad = Client(HTTP_AUTHORIZATION="Bearer bl_nothing_here")
    assert_error(bad.get("/api/v1/tickets"), 401)


def test_me_and_teams(api, l2_agent, app_support):
    me = api.get("/api/v1/me").json()
    assert me["username"] == "lena" and me["role"] == "agent"
    assert me["teams"][0]["team"]["slug"] == app_support.slug
    teams = api.get("/api/v1/teams").json()
    assert [t["name"] for t in teams] == ["Application Support"]
    assert api.get(f"/api/v1/teams/{app_support.slug}").json()["tier"] == 2
    assert_error(api.get("/api/v1/teams/nope"), 404, "slug")


def test_create_and_read_a_ticket(api, app_support, requester):
    response = post(
        api,
        "/api/v1/tickets",
        {
            "title": "Orders not syncing to ERP",
            "description": "Since 06:00",
            "impact": 1,
            "urgency": 1,
            "team": app_support.pk,
            "requester": requester.pk,
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["number"].startswith("INC-")
    assert body["priority"] == 1 and body["tier"] == 2 and body["source"] == "api"
    assert body["requester"]["username"] == "rita"
    fetched = api.get(f"/api/v1/tickets/{body['number']}").json()
    assert fetched["title"] == "Orders not syncing to ERP" and fetched["version"] == 1


def test_a_retry_with_the_same_idempotency_key_returns_the_same_ticket(api):
    payload = {"title": "VPN drops every hour"}
    first = post(api, "/api/v1/tickets", payload, HTTP_IDEMPOTENCY_KEY="l1-sync-123")
    second = post(api, "/api/v1/tickets", payload, HTTP_IDEMPOTENCY_KEY="l1-sync-123")
    assert first.status_code == second.status_code == 201
    assert first.json()["number"] == second.json()["number"]
    assert second["Idempotent-Replayed"] == "true"
    assert Ticket.objects.count() == 1
    assert TicketEvent.objects.filter(kind=EventKind.CREATED).count() == 1


def test_reusing_a_key_for_a_different_body_is_a_conflict(api):
    post(api, "/api/v1/tickets", {"title": "A"}, HTTP_IDEMPOTENCY_KEY="k")
    assert_error(
        post(api, "/api/v1/tickets", {"title": "B"}, HTTP_IDEMPOTENCY_KEY="k"),
        409,
        "Idempotency-Key",
    )
    assert Ticket.objects.count() == 1


def test_keys_are_per_user(api, l1_agent):
    post(api, "/api/v1/tickets", {"title": "A"}, HTTP_IDEMPOTENCY_KEY="same")
    other = api_client_for(l1_agent)
    assert (
        post(other, "/api/v1/tickets", {"title": "A"}, HTTP_IDEMPOTENCY_KEY="same").status_code
        == 201
    )
    assert Ticket.objects.count() == 2


def test_a_refused_create_does_not_burn_the_key(api):
    assert_error(
        post(api, "/api/v1/tickets", {"title": "x", "team": 999}, HTTP_IDEMPOTENCY_KEY="z"),
        422,
        "team",
    )
    assert post(api, "/api/v1/tickets", {"title": "x"}, HTTP_IDEMPOTENCY_KEY="z").status_code == 201


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ("{not json", 400, "body"),
        ("[1, 2]", 400, "body"),
        ('"hello"', 400, "body"),
        ('{"title": "a\\u0000b"}', 400, "body"),
        ('{"description": "no title"}', 422, "title"),
        ('{"title": "   "}', 422, "title"),
        ('{"title": "x", "impact": 7}', 422, "impact"),
        ('{"title": "x", "source": "pigeon"}', 422, "source"),
        ('{"title": "x", "assignee": 424242}', 422, "assignee"),
        ('{"title": "' + "x" * 201 + '"}', 422, "title"),
    ],
)
def test_bad_create_input_is_a_json_error_and_stores_nothing(api, body, status, field):
    response = api.post("/api/v1/tickets", data=body, content_type="application/json")
    assert_error(response, status, field)
    assert not Ticket.objects.exists()


def test_oversized_json_body_is_413(api, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = post(api, "/api/v1/tickets", {"title": "x", "description": "y" * 2000})
    assert_error(response, 413)


def test_list_filters_and_paginates(api, l1_agent, l2_agent, app_support):
    for i in range(5):
        make_ticket(l1_agent, title=f"Printer {i}", impact=3, urgency=3)
    make_ticket(l1_agent, title="CRM crash on reports", impact=1, urgency=1, assignee=l2_agent)
    page = api.get("/api/v1/tickets", {"page_size": 2, "page": 2}).json()
    assert page["count"] == 6 and page["pages"] == 3 and len(page["items"]) == 2
    assert (
        api.get("/api/v1/tickets", {"priority": 1}).json()["items"][0]["title"]
        == "CRM crash on reports"
    )
    assert api.get("/api/v1/tickets", {"q": "crm"}).json()["count"] == 1
    assert api.get("/api/v1/tickets", {"queue": "mine"}).json()["count"] == 1
    assert api.get("/api/v1/tickets", {"team": app_support.pk, "tier": 2}).json()["count"] == 1
    assert api.get("/api/v1/tickets", {"status": ["new", "assigned"]}).json()["count"] == 6
    assert api.get("/api/v1/tickets", {"assignee": "none"}).json()["count"] == 5
    numbers = [t["number"] for t in api.get("/api/v1/tickets", {"sort": "number"}).json()["items"]]
    assert numbers == sorted(numbers)


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"priority": 9}, "priority"),
        ({"status": "sleeping"}, "status.0"),
        ({"sort": "random"}, "sort"),
        ({"page_size": 500}, "page_size"),
        ({"assignee": "bob"}, "assignee"),
    ],
)
def test_bad_list_parameters_are_422(api, params, field):
    assert_error(api.get("/api/v1/tickets", params), 422, field)


def test_patch_with_version_and_stale_version_conflict(api, l1_agent):
    ticket = make_ticket(l1_agent, title="Before")
    url = f"/api/v1/tickets/{ticket.number}"
    ok = patch(api, url, {"version": 1, "title": "After", "urgency": 1})
    assert ok.status_code == 200, ok.content
    assert ok.json()["version"] == 2 and ok.json()["priority"] == 2
    stale = patch(api, url, {"version": 1, "title": "Lost update"})
    assert_error(stale, 409, "version")
    assert api.get(url).json()["title"] == "After"
    assert_error(patch(api, url, {"title": "no version"}), 422, "version")


def test_transitions_and_their_errors(api, l1_agent):
    ticket = make_ticket(l1_agent)
    url = f"/api/v1/tickets/{ticket.number}/transitions"
    assert post(api, url, {"action": "start", "version": 1}).json()["status"] == "in_progress"
    missing = assert_error(post(api, url, {"action": "resolve"}), 422, "resolution_code")
    assert {e["field"] for e in missing["errors"]} == {"resolution_code", "resolution_notes"}
    assert_error(post(api, url, {"action": "close"}), 422, "action")
    assert_error(post(api, url, {"action": "start", "version": 1}), 409, "version")
    done = post(
        api, url, {"action": "resolve", "resolution_code": "fixed", "resolution_notes": "ok"}
    )
    assert done.json()["status"] == "resolved"


def test_comments_and_events(api, l1_agent):
    ticket = make_ticket(l1_agent)
    url = f"/api/v1/tickets/{ticket.number}/comments"
    assert post(api, url, {"body": "Looking into it"}).status_code == 201
    assert post(api, url, {"body": "DB plan changed", "internal": True}).json()["internal"] is True
    assert_error(post(api, url, {"body": "  "}), 422, "body")
    assert [c["body"] for c in api.get(url).json()] == ["Looking into it", "DB plan changed"]
    events = api.get(f"/api/v1/tickets/{ticket.number}/events").json()
    assert [e["kind"] for e in events] == ["created", "replied", "noted"]


def test_requesters_see_only_their_tickets_and_no_internal_notes(
    requester, other_requester, l1_agent
):
    mine = make_ticket(requester)
    theirs = make_ticket(other_requester)
    client = api_client_for(requester)
    post(
        api_client_for(l1_agent),
        f"/api/v1/tickets/{mine.number}/comments",
        {"body": "secret", "internal": True},
    )
    assert client.get("/api/v1/tickets").json()["count"] == 1
    assert_error(client.get(f"/api/v1/tickets/{theirs.number}"), 404)
    events = client.get(f"/api/v1/tickets/{mine.number}/events").json()
    assert "noted" not in [e["kind"] for e in events]
    assert_error(
        post(client, f"/api/v1/tickets/{mine.number}/comments", {"body": "x", "internal": True}),
        403,
    )


def test_attachments_upload_list_and_download_as_attachment(api, l1_agent):
    ticket = make_ticket(l1_agent)
    url = f"/api/v1/tickets/{ticket.number}/attachments"
    response = api.post(url, {"file": SimpleUploadedFile("trace.html", b"<script>x</script>")})
    assert response.status_code == 201, response.content
    item = api.get(url).json()[0]
    assert item["filename"] == "trace.html" and item["size"] == 18
    download = api.get(item["download_url"])
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith("attachment;")
    assert download["Content-Type"] == "application/octet-stream"
    assert b"".join(download.streaming_content) == b"<script>x</script>"


def test_attachment_too_large_is_413_and_missing_file_is_422(api, l1_agent, settings):
    settings.BACKLINE_MAX_ATTACHMENT_BYTES = 5
    ticket = make_ticket(l1_agent)
    url = f"/api/v1/tickets/{ticket.number}/attachments"
    assert_error(api.post(url, {"file": SimpleUploadedFile("a.bin", b"123456")}), 413, "file")
    assert_error(api.post(url, {}), 422, "file")
    assert not ticket.attachments.exists()


def test_watchers_and_links(api, l1_agent, l2_agent):
    a, b = make_ticket(l1_agent, title="A"), make_ticket(l1_agent, title="B")
    assert api.post(f"/api/v1/tickets/{a.number}/watchers").status_code == 204
    assert list(a.watchers.all()) == [l2_agent]
    assert api.delete(f"/api/v1/tickets/{a.number}/watchers").status_code == 204
    link = post(
        api, f"/api/v1/tickets/{a.number}/links", {"target": b.number, "kind": "duplicate_of"}
    )
    assert link.status_code == 201 and link.json()["ticket"] == b.number
    assert api.get(f"/api/v1/tickets/{b.number}/links").json()[0]["label"] == "Duplicated by"
    assert_error(
        post(api, f"/api/v1/tickets/{a.number}/links", {"target": "INC-999999"}), 422, "target"
    )
    assert_error(
        post(api, f"/api/v1/tickets/{a.number}/links", {"target": b.number, "kind": "x"}),
        422,
        "kind",
    )
    link_id = link.json()["id"]
    assert api.delete(f"/api/v1/tickets/{a.number}/links/{link_id}").status_code == 204
    assert_error(api.delete(f"/api/v1/tickets/{a.number}/links/{link_id}"), 422, "link")


def test_unknown_ticket_is_404(api):
    assert_error(api.get("/api/v1/tickets/INC-424242"), 404)
    assert_error(api.get("/api/v1/tickets/garbage"), 404)


def test_revoked_token_stops_working(l2_agent):
    from backline.accounts.services import token_create, token_revoke

    token, secret = token_create(user=l2_agent, name="ci")
    client = Client(HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert client.get("/api/v1/me").status_code == 200
    token_revoke(token_id=token.pk, actor=l2_agent)
    assert client.get("/api/v1/me").status_code == 401


def test_openapi_schema_is_served(api):
    schema = api.get("/api/v1/openapi.json").json()
    assert "/api/v1/tickets" in schema["paths"]


def test_null_for_a_required_field_is_422_not_500(api, l1_agent):
    ticket = make_ticket(l1_agent, description="keep me")
    url = f"/api/v1/tickets/{ticket.number}"
    assert_error(patch(api, url, {"version": 1, "description": None}), 422, "description")
    assert api.get(url).json()["description"] == "keep me"


@pytest.mark.parametrize(
    "params",
    [{"team": 2**63}, {"assignee": "99999999999999999999"}, {"service": 10**30}],
)
def test_huge_ids_in_filters_are_422(api, params):
    response = api.get("/api/v1/tickets", params)
    assert_error(response, 422)


def test_huge_reference_ids_in_a_create_are_422(api):
    assert_error(post(api, "/api/v1/tickets", {"title": "x", "team": 2**64}), 422, "team")
    assert not Ticket.objects.exists()


def test_nul_in_query_or_idempotency_key_is_refused(api):
    assert_error(api.get("/api/v1/tickets", {"q": "a\x00b"}), 400)
    response = post(api, "/api/v1/tickets", {"title": "x"}, HTTP_IDEMPOTENCY_KEY="a\x00b")
    assert_error(response, 400, "Idempotency-Key")
    assert not Ticket.objects.exists()


def test_unknown_paths_and_methods_answer_json(api, l1_agent):
    ticket = make_ticket(l1_agent)
    assert_error(api.get("/api/v1/nope"), 404)
    response = api.put(
        f"/api/v1/tickets/{ticket.number}", data="{}", content_type="application/json"
    )
    assert_error(response, 405)


def test_links_are_not_shown_to_requesters(requester, l1_agent):
    mine = make_ticket(requester)
    other = make_ticket(l1_agent, title="Someone else's")
    post(api_client_for(l1_agent), f"/api/v1/tickets/{mine.number}/links", {"target": other.number})
    client = api_client_for(requester)
    events = client.get(f"/api/v1/tickets/{mine.number}/events").json()
    assert other.number not in json.dumps(events)
    assert_error(client.get(f"/api/v1/tickets/{mine.number}/links"), 403)


def test_api_timeline_query_count_does_not_grow_with_comments(
    api, l1_agent, django_assert_max_num_queries
):
    from backline.tickets import services

    ticket = make_ticket(l1_agent)
    services.ticket_comment(actor=l1_agent, ticket=ticket, body="one")
    url = f"/api/v1/tickets/{ticket.number}/events"
    api.get(url)  # the token's first use of the minute records its last-used time
    with django_assert_max_num_queries(10) as few:
        api.get(url)
    for i in range(12):
        services.ticket_comment(actor=l1_agent, ticket=ticket, body=f"c{i}", internal=True)
    with django_assert_max_num_queries(10) as many:
        api.get(url)
    assert len(many.captured_queries) == len(few.captured_queries)


def test_api_tickets_without_a_team_follow_set_mode_routing_rules(api, admin, app_support):
    from backline.tickets.routing import routing_rule_create

    routing_rule_create(actor=admin, name="CRM", team=app_support, mode="set", keywords="crm")
    routing_rule_create(actor=admin, name="Printers", team=app_support, keywords="printer")
    routed = post(api, "/api/v1/tickets", {"title": "CRM report crashes"}).json()
    assert routed["team"]["name"] == "Application Support" and routed["tier"] == 2
    suggested_only = post(api, "/api/v1/tickets", {"title": "Printer jam"}).json()
    assert suggested_only["team"] is None


def test_ticket_list_pages_by_cursor_both_ways_and_counts_up_to_the_cap(
    api, requester, monkeypatch
):
    from backline.tickets import paging

    monkeypatch.setattr(paging, "COUNT_CAP", 4)
    now = timezone.now()
    Ticket.objects.bulk_create(
        Ticket(title=f"Listed {i}", requester=requester, created_at=now, updated_at=now)
        for i in range(7)
    )
    expected = list(Ticket.objects.order_by("priority", "-updated_at", "-id").values_list("id"))
    first = api.get("/api/v1/tickets", {"page_size": 3}).json()
    assert (first["count"], first["count_exact"], first["pages"]) == (4, False, None)
    assert first["previous"] is None and first["next"]
    second = api.get("/api/v1/tickets", {"page_size": 3, "after": first["next"]}).json()
    third = api.get("/api/v1/tickets", {"page_size": 3, "after": second["next"]}).json()
    assert third["next"] is None
    seen = [i["number"] for p in (first, second, third) for i in p["items"]]
    assert seen == [rules.format_number(pk) for (pk,) in expected]
    back = api.get("/api/v1/tickets", {"page_size": 3, "before": third["previous"]}).json()
    assert back["items"] == second["items"]
    broken = api.get("/api/v1/tickets", {"after": "not-a-cursor"})
    assert broken.status_code == 422 and broken.json()["field"] == "after"
    both = api.get("/api/v1/tickets", {"after": first["next"], "before": first["next"]})
    assert both.status_code == 422
    by_due = api.get("/api/v1/tickets", {"sort": "due", "after": first["next"]})
    assert by_due.status_code == 422  # computed sorts page by number only
