"""API token scopes (read / write / admin) and the API's rate limits."""

from __future__ import annotations

import re

import pytest
from django.core.cache import cache
from django.test import Client

from backline import cli
from backline.accounts import ratelimit, rules, services
from backline.accounts.choices import Role, TokenScope
from backline.accounts.models import ApiToken
from backline.config.api import api as ninja_api
from backline.core.errors import DomainError
from backline.tickets.models import RoutingRule, Ticket
from tests.conftest import api_client_for
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

TICKET = {"title": "VPN drops every hour", "description": "Since Monday."}


@pytest.fixture(autouse=True)
def _fresh_counters():
    cache.clear()
    yield
    cache.clear()


def _client(user, scope):
    _, secret = services.token_create(user=user, name=f"{scope} token", scope=scope)
    return Client(HTTP_AUTHORIZATION=f"Bearer {secret}")


# --- the rule -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "need"),
    [
        ("GET", "tickets", "read"),
        ("HEAD", "tickets/INC-000001", "read"),
        ("POST", "tickets", "write"),
        ("PATCH", "tickets/INC-000001", "write"),
        ("POST", "tickets/INC-000001/comments", "write"),
        ("POST", "escalations/4/accept", "write"),
        ("GET", "routing-rules", "read"),
        ("POST", "routing-rules", "admin"),
        ("POST", "routing-rules/test", "admin"),
        ("DELETE", "routing-rules/3", "admin"),
        ("PATCH", "sla/policies/1", "admin"),
        ("POST", "sla/calendars", "admin"),
        ("PUT", "teams/app-support/handoff-policy", "admin"),
        ("POST", "imports", "admin"),
        ("PUT", "analytics/warning-thresholds", "admin"),
        ("GET", "analytics/warning-thresholds", "read"),
        ("POST", "cmdb/ci-types", "admin"),
        ("POST", "cmdb/import", "admin"),
        ("POST", "cmdb/cis", "write"),
        ("PATCH", "problems/factor-categories/process", "admin"),
        ("PUT", "kb/policies/2", "admin"),
        ("GET", "webhooks/subscriptions", "admin"),
        ("POST", "webhooks/deliveries/9/replay", "admin"),
        ("GET", "audit/events", "admin"),
        ("GET", "/auditors", "read"),  # a prefix match is a whole path segment
    ],
)
def test_required_scope(method, path, need):
    assert rules.required_scope(method, path) == need


def test_scopes_are_nested():
    assert rules.scope_allows("admin", "write") and rules.scope_allows("write", "read")
    assert not rules.scope_allows("read", "write") and not rules.scope_allows("write", "admin")


def _operations():
    schema = ninja_api.get_openapi_schema(path_prefix="")
    for path, methods in schema["paths"].items():
        for method in methods:
            yield method.upper(), re.sub(r"\{[^}]+\}", "x", path).lstrip("/")


def test_every_declared_admin_path_names_real_endpoints():
    """A renamed route must not silently lose its protection: each declared pattern matches
    at least one operation of the API (the audit export is mounted by its own app)."""
    operations = list(_operations())
    for pattern in rules.ADMIN_WRITE_PATHS + rules.ADMIN_ALL_PATHS:
        if pattern.startswith("audit") and not any(p.startswith("audit") for _, p in operations):
            continue
        if pattern.startswith("users"):
            continue  # reserved: no user endpoints in the API yet
        assert any(re.match(pattern, path) for _, path in operations), pattern


@pytest.mark.parametrize(
    "tag_prefix",
    ["routing-rules", "sla/policies", "sla/calendars", "webhooks/", "imports", "cmdb/ci-types"],
)
def test_configuration_endpoints_need_admin_scope_to_change(tag_prefix):
    changing = [
        (m, p) for m, p in _operations() if p.startswith(tag_prefix) and m not in rules.SAFE_METHODS
    ]
    assert changing, tag_prefix
    assert all(rules.required_scope(m, p) == TokenScope.ADMIN for m, p in changing)


# --- tokens ---------------------------------------------------------------------------------


def test_new_tokens_default_to_write_and_bad_scopes_are_refused(l2_agent):
    token, _ = services.token_create(user=l2_agent, name="sync")
    assert token.scope == TokenScope.WRITE
    with pytest.raises(DomainError) as exc:
        services.token_create(user=l2_agent, name="x", scope="root")
    assert exc.value.field == "scope"
    assert ApiToken.objects.filter(user=l2_agent).count() == 1


def test_a_read_token_reads_but_cannot_write(l2_agent, app_support):
    reader = _client(l2_agent, "read")
    assert reader.get("/api/v1/tickets").status_code == 200
    assert reader.get("/api/v1/me").json()["username"] == "lena"
    response = reader.post("/api/v1/tickets", TICKET, content_type="application/json")
    assert response.status_code == 403
    body = response.json()
    assert body["code"] == "insufficient_scope" and "'write'" in body["message"]
    assert not Ticket.objects.exists()


def test_a_write_token_works_tickets_but_cannot_configure(manager, l2_agent, app_support):
    writer = _client(l2_agent, "write")
    response = writer.post("/api/v1/tickets", TICKET, content_type="application/json")
    assert response.status_code == 201
    number = response.json()["number"]
    comment = {"body": "Looking", "internal": True}
    assert (
        writer.post(
            f"/api/v1/tickets/{number}/comments", comment, content_type="application/json"
        ).status_code
        == 201
    )
    rule = {"name": "VPN to L2", "team": app_support.pk, "keywords": ["vpn"]}
    managers_writer = _client(manager, "write")
    response = managers_writer.post("/api/v1/routing-rules", rule, content_type="application/json")
    assert response.status_code == 403 and response.json()["code"] == "insufficient_scope"
    assert managers_writer.get("/api/v1/routing-rules").status_code == 200
    assert not RoutingRule.objects.exists()


def test_an_admin_token_configures_but_never_beyond_its_users_role(
    admin, manager, l2_agent, app_support
):
    rule = {"name": "VPN to L2", "team": app_support.pk, "keywords": ["vpn"]}
    response = _client(admin, "admin").post(
        "/api/v1/routing-rules", rule, content_type="application/json"
    )
    assert response.status_code == 201, response.content
    # A manager's or an agent's admin token acts as its user: the role still forbids it.
    for user in (manager, l2_agent):
        response = _client(user, "admin").post(
            "/api/v1/routing-rules", rule, content_type="application/json"
        )
        assert response.status_code == 403 and response.json()["code"] == "forbidden"
    assert RoutingRule.objects.count() == 1


def test_webhook_subscriptions_are_hidden_from_write_tokens(db):
    admin = UserFactory(username="ada", role=Role.ADMIN)
    response = _client(admin, "write").get("/api/v1/webhooks/subscriptions")
    assert response.status_code == 403 and response.json()["code"] == "insufficient_scope"
    assert _client(admin, "admin").get("/api/v1/webhooks/subscriptions").status_code == 200


def test_a_bad_bearer_token_is_a_401_even_without_csrf(db):
    client = Client(enforce_csrf_checks=True, HTTP_AUTHORIZATION="Bearer bl_0000_nope")
    response = client.post("/api/v1/tickets", TICKET, content_type="application/json")
    assert response.status_code == 401 and response.json()["code"] == "unauthorized"


def test_the_session_is_not_limited_by_scopes(web, app_support):
    """The interactive docs act with the signed-in user's full permissions (CSRF applies)."""
    assert web.post("/api/v1/tickets", TICKET, content_type="application/json").status_code == 201


# --- rate limits ----------------------------------------------------------------------------

TINY = {"read": 3, "write": 2, "anonymous": 2}


def test_reads_over_the_limit_get_429_with_retry_after(l2_agent, settings):
    settings.BACKLINE_API_RATE_PER_MINUTE = TINY
    client = api_client_for(l2_agent)
    assert [client.get("/api/v1/me").status_code for _ in range(3)] == [200, 200, 200]
    response = client.get("/api/v1/me")
    assert response.status_code == 429
    assert response.json()["code"] == "rate_limited"
    assert 1 <= int(response["Retry-After"]) <= 60
    # Another token has its own budget.
    assert api_client_for(l2_agent).get("/api/v1/me").status_code == 200


def test_writes_have_their_own_budget_and_a_refused_write_changes_nothing(
    l2_agent, app_support, settings
):
    settings.BACKLINE_API_RATE_PER_MINUTE = TINY
    client = api_client_for(l2_agent)
    statuses = [
        client.post("/api/v1/tickets", TICKET, content_type="application/json").status_code
        for _ in range(3)
    ]
    assert statuses == [201, 201, 429]
    assert Ticket.objects.count() == 2
    assert client.get("/api/v1/tickets").status_code == 200  # reads are counted apart


def test_the_limit_resets_with_the_next_window(l2_agent, settings, monkeypatch):
    settings.BACKLINE_API_RATE_PER_MINUTE = TINY
    monkeypatch.setattr(ratelimit, "_now", lambda: 6_000_030.0)
    client = api_client_for(l2_agent)
    for _ in range(3):
        client.get("/api/v1/me")
    response = client.get("/api/v1/me")
    assert response.status_code == 429 and response["Retry-After"] == "30"
    monkeypatch.setattr(ratelimit, "_now", lambda: 6_000_060.0)
    assert client.get("/api/v1/me").status_code == 200


def test_unauthenticated_calls_are_limited_per_address(db, settings):
    settings.BACKLINE_API_RATE_PER_MINUTE = TINY
    here = Client(REMOTE_ADDR="10.1.1.1")
    assert [here.get("/api/v1/me").status_code for _ in range(3)] == [401, 401, 429]
    bad_token = Client(REMOTE_ADDR="10.1.1.1", HTTP_AUTHORIZATION="Bearer bl_1234_guess")
    limited = bad_token.get("/api/v1/me")
    assert limited.status_code == 429 and "Retry-After" in limited
    assert Client(REMOTE_ADDR="10.1.1.2").get("/api/v1/me").status_code == 401


def test_session_calls_share_the_users_limit(web, settings):
    settings.BACKLINE_API_RATE_PER_MINUTE = TINY
    assert [web.get("/api/v1/me").status_code for _ in range(4)] == [200, 200, 200, 429]


def test_zero_turns_a_limit_off(l2_agent, settings):
    settings.BACKLINE_API_RATE_PER_MINUTE = {"read": 0, "write": 0, "anonymous": 0}
    client = api_client_for(l2_agent)
    assert {client.get("/api/v1/me").status_code for _ in range(20)} == {200}


# --- the tokens page and the CLI ------------------------------------------------------------


def test_tokens_page_creates_a_token_with_the_chosen_scope(web, l2_agent):
    page = web.get("/accounts/tokens/")
    assert b'name="scope"' in page.content and b"insufficient_scope" in page.content
    response = web.post("/accounts/tokens/", {"name": "Monitoring", "scope": "write"})
    assert response.status_code == 200
    token = ApiToken.objects.get(user=l2_agent)
    assert token.scope == "write"
    assert b'<td class="token-scope">Write</td>' in response.content
    refused = web.post("/accounts/tokens/", {"name": "Bad", "scope": "root"})
    assert b"Select a valid choice" in refused.content
    assert ApiToken.objects.filter(user=l2_agent).count() == 1


def test_cli_creates_a_token_with_a_scope(l2_agent, capsys):
    assert cli.main(["token", "create", "lena", "--name", "grafana", "--scope", "read"]) == 0
    secret = capsys.readouterr().out.strip()
    token = ApiToken.objects.get(name="grafana")
    assert token.scope == "read" and secret.startswith(f"bl_{token.prefix}_")
    with pytest.raises(SystemExit):
        cli.main(["token", "create", "lena", "--scope", "root"])
    assert ApiToken.objects.count() == 1
