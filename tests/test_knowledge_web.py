"""Knowledge base through the API (token) and the pages (with and without HTMX)."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from backline.knowledge import services
from backline.knowledge.choices import Audience
from backline.knowledge.models import Article, ArticleReview
from backline.tickets.models import Ticket
from backline.tickets.services import ticket_transition
from tests.conftest import api_client_for
from tests.factories import make_ticket

pytestmark = pytest.mark.django_db
HX = {"HTTP_HX_REQUEST": "true"}


def post(client, url, data):
    return client.post(url, data=json.dumps(data), content_type="application/json")


def patch(client, url, data):
    return client.patch(url, data=json.dumps(data), content_type="application/json")


@pytest.fixture
def published(l2_agent):
    article = services.article_create(
        actor=l2_agent,
        title="VPN drops every 10 minutes on hotel Wi-Fi",
        symptoms="The VPN client disconnects with error 809 every few minutes.",
        resolution="1. Switch the VPN profile to **TCP 443**\n2. Reconnect",
        keywords="vpn, error 809, hotel",
        audience=Audience.L1,
    )
    return services.article_transition(actor=l2_agent, article=article, action="publish")


@pytest.fixture
def desk(l1_agent) -> Client:
    client = Client()
    client.force_login(l1_agent)
    return client


# --- API ----------------------------------------------------------------------------------------


def test_api_article_lifecycle(api, l2_agent):
    r = post(
        api,
        "/api/v1/kb/articles",
        {
            "title": "Outlook asks for the password again",
            "resolution": "Remove the cached credential",
            "keywords": "outlook, password",
        },
    )
    assert r.status_code == 201, r.content
    body = r.json()
    number, version = body["number"], body["version"]
    assert body["state"] == "draft" and body["owner"]["username"] == "lena"
    r = patch(
        api,
        f"/api/v1/kb/articles/{number}",
        {
            "version": version,
            "resolution": "Remove the cached credential in Credential Manager",
            "note": "Where",
        },
    )
    assert r.status_code == 200 and r.json()["version"] == version + 1
    r = patch(api, f"/api/v1/kb/articles/{number}", {"version": version, "title": "Stale"})
    assert r.status_code == 409 and r.json()["field"] == "version"
    r = post(api, f"/api/v1/kb/articles/{number}/transition", {"action": "publish"})
    assert r.status_code == 200 and r.json()["state"] == "published"
    versions = api.get(f"/api/v1/kb/articles/{number}/versions").json()
    assert [v["number"] for v in versions] == [2, 1]
    diff = api.get(f"/api/v1/kb/articles/{number}/diff?a=1&b=2").json()
    assert (
        diff[0]["field"] == "resolution"
        and ["+", "Remove the cached credential in Credential Manager"] in diff[0]["lines"]
    )
    listing = api.get("/api/v1/kb/articles?state=published").json()
    assert [a["number"] for a in listing["items"]] == [number]


def test_api_create_is_idempotent_and_rejects_bad_input(api):
    body = {"title": "Printer offline", "resolution": "Power-cycle it"}
    first = api.post(
        "/api/v1/kb/articles",
        data=json.dumps(body),
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="k1",
    )
    again = api.post(
        "/api/v1/kb/articles",
        data=json.dumps(body),
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="k1",
    )
    assert first.status_code == 201 and again.json()["number"] == first.json()["number"]
    assert Article.objects.count() == 1
    for bad, field in (
        ({"title": "  "}, "title"),
        ({"title": "x", "audience": "everyone"}, "audience"),
        ({"title": "x", "services": [999999]}, "services"),
        ({"title": "x", "category": 0}, "category"),
    ):
        r = post(api, "/api/v1/kb/articles", bad)
        assert r.status_code in (400, 422), (bad, r.content)
        assert r.json()["field"] == field, (bad, r.json())
    assert Article.objects.count() == 1
    number = first.json()["number"]
    r = post(api, f"/api/v1/kb/articles/{number}/transition", {"action": "explode"})
    assert r.status_code == 422 and r.json()["field"] == "action"
    assert api.get("/api/v1/kb/articles/KB-99999999999999999999").status_code == 404
    assert api.get("/api/v1/kb/articles/nonsense").status_code == 404


def test_api_feedback_use_decision_and_metrics(api, l1_agent, l2_agent, published):
    desk = api_client_for(l1_agent)
    r = post(
        desk,
        f"/api/v1/kb/articles/{published.number}/feedback",
        {"helpful": False, "comment": "Profile name changed"},
    )
    assert r.status_code == 200 and r.json()["review_opened"] is True
    reviews = api.get("/api/v1/kb/reviews").json()
    assert [x["article"] for x in reviews] == [published.number]
    r = post(
        api, f"/api/v1/kb/reviews/{reviews[0]['id']}/close", {"outcome": "Renamed the profile"}
    )
    assert r.status_code == 200 and r.json()["state"] == "done"
    ticket = make_ticket(l1_agent)
    r = post(
        desk,
        f"/api/v1/kb/articles/{published.number}/use",
        {"ticket": ticket.number, "solved": True},
    )
    assert r.status_code == 200 and r.json()["kind"] == "solved"
    ticket_transition(
        actor=l1_agent,
        ticket=ticket,
        action="resolve",
        resolution_code="advice",
        resolution_notes="KB",
    )
    r = post(api, f"/api/v1/kb/tickets/{ticket.number}/decision", {"decision": "not_needed"})
    assert r.status_code == 422 and r.json()["field"] == "reason"
    m = api.get("/api/v1/kb/metrics").json()
    assert m["l1_resolved"] == 1 and m["l1_resolved_with_kb"] == 1 and m["deflection_rate"] == 1.0
    assert m["top_articles"][0]["number"] == published.number


def test_api_solved_ticket_and_visibility(l1_agent, requester, published, l2_agent):
    desk = api_client_for(l1_agent)
    r = post(
        desk,
        "/api/v1/kb/solved-tickets",
        {"title": "VPN keeps dropping in the hotel", "article": published.number},
    )
    assert r.status_code == 201, r.content
    assert r.json()["status"] == "resolved" and r.json()["tier"] == 1
    internal = services.article_create(
        actor=l2_agent, title="Internal runbook", audience=Audience.INTERNAL
    )
    services.article_transition(actor=l2_agent, article=internal, action="publish")
    assert desk.get(f"/api/v1/kb/articles/{internal.number}").status_code == 404
    outsider = api_client_for(requester)
    assert outsider.get(f"/api/v1/kb/articles/{published.number}").status_code == 404
    assert post(outsider, "/api/v1/kb/suggestions", {"text": "vpn"}).status_code == 403
    before = Ticket.objects.count()
    r = post(desk, "/api/v1/kb/solved-tickets", {"title": "x", "article": internal.number})
    assert r.status_code == 404 and Ticket.objects.count() == before


def test_api_policy_needs_a_manager(api, manager, app_support):
    r = api.put(
        f"/api/v1/kb/policies/{app_support.pk}",
        data=json.dumps({"require_decision": True}),
        content_type="application/json",
    )
    assert r.status_code == 403
    boss = api_client_for(manager)
    r = boss.put(
        f"/api/v1/kb/policies/{app_support.pk}",
        data=json.dumps({"require_decision": True}),
        content_type="application/json",
    )
    assert r.status_code == 200 and r.json()["require_decision"] is True


# --- pages --------------------------------------------------------------------------------------


def test_list_detail_and_markdown(web, published):
    r = web.get("/kb/")
    assert r.status_code == 200 and published.title.encode() in r.content
    r = web.get(f"/kb/{published.number}")
    assert r.status_code == 200
    assert b"<strong>TCP 443</strong>" in r.content
    published.refresh_from_db()
    assert published.view_count == 1


def test_create_and_edit_pages(web, l2_agent):
    r = web.post("/kb/new", {"title": "", "audience": "l1"})
    assert r.status_code == 422 and b"field-error" in r.content
    r = web.post(
        "/kb/new",
        {"title": "Teams camera black", "audience": "l1", "resolution": "Allow camera access"},
    )
    article = Article.objects.get()
    assert r.status_code == 302 and r["Location"] == f"/kb/{article.number}"
    r = web.post(
        f"/kb/{article.number}/edit",
        {
            "title": "Teams camera shows black",
            "audience": "l1",
            "resolution": "Allow camera access",
            "version": article.version - 0,
            "note": "clearer",
        },
    )
    assert r.status_code == 302
    r = web.post(
        f"/kb/{article.number}/edit", {"title": "Lost update", "audience": "l1", "version": 1}
    )
    assert r.status_code == 422 and b"changed" in r.content
    r = web.get(f"/kb/{article.number}/versions?a=1&b=2")
    assert r.status_code == 200 and b"Teams camera shows black" in r.content


def test_feedback_with_htmx_swaps_the_panel(desk, published):
    r = desk.post(
        f"/kb/{published.number}/feedback", {"helpful": "no", "comment": "Wrong port"}, **HX
    )
    assert r.status_code == 200 and b"review task" in r.content and b"<html" not in r.content
    assert ArticleReview.objects.count() == 1
    r = desk.post(f"/kb/{published.number}/feedback", {"helpful": "maybe"}, **HX)
    assert r.status_code == 422


def test_ticket_panel_draft_and_use(web, l1_agent, l2_agent, published):
    ticket = make_ticket(l1_agent, title="VPN disconnects in hotel", assignee=l2_agent)
    r = web.get(ticket.get_absolute_url())
    assert r.status_code == 200 and b"kb-panel" in r.content
    r = web.post(f"/kb/tickets/{ticket.number}/use", {"article": published.number, "solved": "1"})
    assert r.status_code == 302
    assert ticket.kb_uses.get().kind == "solved"
    ticket_transition(
        actor=l2_agent,
        ticket=ticket,
        action="resolve",
        resolution_code="fixed",
        resolution_notes="TCP profile",
    )
    r = web.post(f"/kb/tickets/{ticket.number}/draft", **HX)
    assert r.status_code == 200 and r["HX-Redirect"].endswith("/edit")
    assert Article.objects.filter(source_ticket=ticket).count() == 1


def test_new_ticket_page_has_suggestions_and_create_solved(desk, published, l1_agent):
    r = desk.get("/tickets/new/")
    assert r.status_code == 200 and b"kb-create-suggestions" in r.content
    r = desk.post(
        "/kb/create-solved",
        {"title": "", "impact": 2, "urgency": 2, "source": "phone", "solved_by": published.number},
    )
    assert r.status_code == 422 and Ticket.objects.count() == 0
    r = desk.post(
        "/kb/create-solved",
        {
            "title": "VPN drops at the hotel",
            "impact": 2,
            "urgency": 2,
            "source": "phone",
            "solved_by": published.number,
        },
    )
    ticket = Ticket.objects.get()
    assert r.status_code == 302 and ticket.status == "resolved" and ticket.assignee == l1_agent


def test_insights_and_policy_pages(web, manager):
    assert web.get("/kb/insights").status_code == 200
    assert web.get("/kb/policy").status_code == 404
    boss = Client()
    boss.force_login(manager)
    assert boss.get("/kb/policy").status_code == 200
