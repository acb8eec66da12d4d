"""Alert settings pages (managers only), with and without HX-Request, and the ticket panel."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from backline.accounts.models import TeamMembership
from backline.intake import services
from backline.intake.choices import SourceKind
from backline.intake.models import AlertRule, AlertSource
from backline.tickets.models import Ticket
from tests.test_intake import am_payload, monitoring, ops, source, source_and_token, token  # noqa: F401

HX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def boss(admin) -> Client:
    client = Client()
    client.force_login(admin)
    return client


def test_agents_cannot_open_the_alert_settings(web):
    assert web.get("/settings/alerts/").status_code == 403
    assert web.post("/settings/alerts/sources/new/", {"name": "x"}).status_code == 403


def test_a_manager_creates_a_source_and_sees_its_token_once(boss, monitoring, ops):  # noqa: F811
    page = boss.get("/settings/alerts/sources/new/")
    assert page.status_code == 200 and b"Raise incidents as" in page.content
    res = boss.post(
        "/settings/alerts/sources/new/",
        {"name": "Prometheus prod", "kind": "alertmanager", "team": ops.pk, "impact": 2,
         "urgency": 1, "requester": monitoring.pk, "is_active": "on"},
    )  # fmt: skip
    assert res.status_code == 201
    secret = res.context["secret"]
    assert secret.startswith("bla_") and secret.encode() in res.content
    assert b"/api/v1/alerts/alertmanager" in res.content
    created = AlertSource.objects.get()
    assert created.urgency == 1 and created.token_digest not in secret
    again = boss.get(f"/settings/alerts/sources/{created.pk}/")
    assert secret.encode() not in again.content  # shown only once


def test_a_source_form_error_is_a_form_error(boss, monitoring):  # noqa: F811
    res = boss.post(
        "/settings/alerts/sources/new/",
        {"name": " ", "kind": "alertmanager", "impact": 2, "urgency": 2,
         "requester": monitoring.pk},
    )  # fmt: skip
    assert res.status_code == 422
    assert b"field-error" in res.content
    assert not AlertSource.objects.exists()


def test_regenerating_the_token_shows_the_new_one(boss, source, token):  # noqa: F811
    res = boss.post(f"/settings/alerts/sources/{source.pk}/token/")
    assert res.status_code == 200
    fresh = res.context["secret"]
    assert fresh != token and fresh.encode() in res.content


def test_the_source_page_lists_alerts_and_notifications_and_refreshes_with_htmx(
    boss,
    source,  # noqa: F811
    token,  # noqa: F811
):
    Client().post(
        "/api/v1/alerts/alertmanager", data=json.dumps(am_payload()),
        content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token}",
    )  # fmt: skip
    number = Ticket.objects.get().number
    page = boss.get(f"/settings/alerts/sources/{source.pk}/")
    assert page.status_code == 200
    assert number.encode() in page.content and b"<html" in page.content
    fragment = boss.get(f"/settings/alerts/sources/{source.pk}/", **HX)
    assert fragment.status_code == 200
    assert b"<html" not in fragment.content and b'id="log"' in fragment.content
    assert number.encode() in fragment.content
    assert b"created" in fragment.content


def test_rules_are_created_edited_moved_with_htmx_and_deleted(boss, admin):
    res = boss.post(
        "/settings/alerts/rules/new/",
        {"name": "Critical", "matchers": "severity=critical", "urgency": "1", "is_active": "on"},
    )
    assert res.status_code == 302
    bad = boss.post("/settings/alerts/rules/new/", {"name": "Broken", "matchers": "sev=~(x"})
    assert bad.status_code == 422 and b"not a valid regex" in bad.content
    second = services.alert_rule_create(actor=admin, name="Catch-all", matchers=[])
    first = AlertRule.objects.get(name="Critical")
    assert first.matchers == [{"label": "severity", "op": "=", "value": "critical"}]
    edit = boss.get(f"/settings/alerts/rules/{first.pk}/edit/")
    assert b"severity=critical" in edit.content
    moved = boss.post(f"/settings/alerts/rules/{second.pk}/move/", {"direction": "up"}, **HX)
    assert moved.status_code == 200 and b"<html" not in moved.content
    assert list(AlertRule.objects.values_list("name", flat=True)) == ["Catch-all", "Critical"]
    listing = boss.get("/settings/alerts/")
    assert b"severity=critical" in listing.content
    gone = boss.post(f"/settings/alerts/rules/{first.pk}/delete/")
    assert gone.status_code == 302 and AlertRule.objects.count() == 1


def test_the_ticket_page_shows_the_alert_panel(web, l2_agent, source, token):  # noqa: F811
    for _ in range(2):
        Client().post(
            "/api/v1/alerts/alertmanager", data=json.dumps(am_payload()),
            content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token}",
        )  # fmt: skip
    ticket = Ticket.objects.get()
    TeamMembership.objects.create(user=l2_agent, team=ticket.team)  # the agent works that queue
    page = web.get(f"/tickets/{ticket.number}/")
    assert page.status_code == 200
    assert b"Monitoring alert" in page.content and b"2 times" in page.content


def test_the_kind_choices_match_the_receivers():
    assert {k.value for k in SourceKind} == {"alertmanager", "grafana", "generic"}
