"""Analytics API: the same numbers as the page, with the same filters and the same errors."""

from __future__ import annotations

import pytest

from tests.conftest import api_client_for
from tests.test_analytics import week  # noqa: F401 - the hand-built week fixture

pytestmark = pytest.mark.django_db
WEEK = {"start": "2026-03-02", "end": "2026-03-08"}


def test_summary_returns_every_metric_and_the_previous_period(week, manager):  # noqa: F811
    body = api_client_for(manager).get("/api/v1/analytics/summary", WEEK).json()
    m = body["metrics"]
    assert (m["created"], m["escalation_rate"], m["bounce_rate"]) == (7, 0.4286, 0.3333)
    assert (m["mttr_business_mean_h"], m["reopen_rate"], m["csat_share"]) == (9.4, 0.2, 0.6667)
    assert body["previous"]["created"] == 1
    assert body["period"]["start"].startswith("2026-03-01T23:00")
    card = next(c for c in body["cards"] if c["key"] == "escalation_rate")
    assert card["show"] == "reached_t2"


def test_filters_apply_to_the_api_like_the_page(week, manager):  # noqa: F811
    body = api_client_for(manager).get("/api/v1/analytics/summary", {**WEEK, "priority": 1})
    assert body.json()["metrics"]["created"] == 2


def test_tables_and_the_tickets_behind_a_number(week, manager):  # noqa: F811
    client = api_client_for(manager)
    table = client.get("/api/v1/analytics/tables/backlog", WEEK).json()
    assert table["columns"][:2] == ["team", "total"]
    assert sum(r["total"] for r in table["rows"]) == 3
    page = client.get("/api/v1/analytics/tickets", {**WEEK, "show": "reached_t2"}).json()
    assert page["count"] == 3
    assert sorted(i["title"][0] for i in page["items"]) == ["A", "C", "D"]
    keys = {n["key"] for n in client.get("/api/v1/analytics/numbers").json()}
    assert {"reached_t2", "breached:sla_resolution", "backlog:d7_30"} <= keys


@pytest.mark.parametrize(
    ("path", "params", "status", "field"),
    [
        ("/api/v1/analytics/summary", {"period": "fortnight"}, 422, "period"),
        ("/api/v1/analytics/summary", {"start": "2026-03-08", "end": "2026-03-01"}, 422, "end"),
        ("/api/v1/analytics/summary", {"priority": "9"}, 422, "priority"),
        ("/api/v1/analytics/tables/nope", {}, 404, "name"),
        ("/api/v1/analytics/tickets", {"show": "nope"}, 404, "show"),
    ],
)
def test_bad_input_is_refused_naming_the_field(manager, path, params, status, field):
    response = api_client_for(manager).get(path, params)
    assert response.status_code == status
    assert response.json()["field"] == field


def test_requesters_are_refused(requester):
    assert api_client_for(requester).get("/api/v1/analytics/summary").status_code == 403


def test_thresholds_are_set_all_or_nothing(manager, l2_agent):
    client = api_client_for(manager)
    bad = [{"key": "escalation_volume", "threshold": 0.5}, {"key": "nope", "threshold": 1}]
    response = client.put(
        "/api/v1/analytics/warning-thresholds",
        {"thresholds": bad},
        content_type="application/json",
    )
    assert response.status_code in (400, 422) and response.json()["field"] == "nope"
    rows = {r["key"]: r for r in client.get("/api/v1/analytics/warning-thresholds").json()}
    assert rows["escalation_volume"]["threshold"] == 0.2
    good = [{"key": "escalation_volume", "threshold": 0.5, "enabled": False}]
    rows = client.put(
        "/api/v1/analytics/warning-thresholds",
        {"thresholds": good},
        content_type="application/json",
    )
    row = next(r for r in rows.json() if r["key"] == "escalation_volume")
    assert (row["threshold"], row["enabled"]) == (0.5, False)
    refused = api_client_for(l2_agent).put(
        "/api/v1/analytics/warning-thresholds",
        {"thresholds": good},
        content_type="application/json",
    )
    assert refused.status_code == 403
