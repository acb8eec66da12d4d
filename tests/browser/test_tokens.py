"""API tokens and sign-in in a real browser: an agent makes a read token and a write token, sees
their scopes, and the API honours them; a locked account says so; single sign-on through a fake
provider on 127.0.0.1 signs the agent in."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from backline.accounts.models import ApiToken
from tests.browser.conftest import sign_in
from tests.factories import PASSWORD, TeamFactory, UserFactory
from tests.test_oidc import FakeProvider

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TICKET = {"title": "Printer on fire", "description": "Third floor."}


def _create_token(page, name: str, scope_label: str) -> str:
    page.get_by_label("Name").fill(name)
    page.get_by_label("Scope").select_option(label=scope_label)
    page.get_by_role("button", name="Create token").click()
    secret = page.locator("#new-token").inner_text().strip()
    assert secret.startswith("bl_")
    return secret


def test_agent_creates_scoped_tokens_and_the_api_honours_them(page, live_server):
    team = TeamFactory(name="Application Support", tier=2)
    UserFactory(username="lena", first_name="Lena", teams=[team])
    sign_in(page, "lena", PASSWORD)
    page.goto("/accounts/tokens/")
    expect(page.get_by_label("Scope")).to_have_value("read")  # least privilege by default

    reader = _create_token(page, "Dashboard", "Read — look things up (GET) only")
    rows = page.locator("table.queue tbody tr")
    expect(rows.filter(has_text="Dashboard")).to_contain_text("Read")
    writer = _create_token(page, "L1 sync", "Write — also create and change tickets, comments…")
    expect(rows.filter(has_text="L1 sync")).to_contain_text("Write")
    assert dict(ApiToken.objects.values_list("name", "scope")) == {
        "Dashboard": "read",
        "L1 sync": "write",
    }

    api = page.context.request
    url = f"{live_server.url}/api/v1/tickets"
    refused = api.post(url, data=TICKET, headers={"Authorization": f"Bearer {reader}"})
    assert refused.status == 403 and refused.json()["code"] == "insufficient_scope"
    assert api.get(url, headers={"Authorization": f"Bearer {reader}"}).status == 200
    created = api.post(url, data=TICKET, headers={"Authorization": f"Bearer {writer}"})
    assert created.status == 201, created.text()


def test_a_locked_account_is_told_so(page, settings):
    settings.BACKLINE_LOGIN_MAX_FAILURES = 2
    UserFactory(username="lena")
    page.goto("/accounts/login/")
    for _ in range(2):
        page.get_by_label("Username").fill("lena")
        page.get_by_label("Password").fill("not-the-password")
        page.get_by_role("button", name="Sign in").click()
    page.get_by_label("Username").fill("lena")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("this account is locked")
    expect(page).to_have_url(re.compile(r"/accounts/login/$"))


@pytest.fixture
def provider(settings):
    fake = FakeProvider()
    settings.BACKLINE_OIDC_ENABLED = True
    settings.BACKLINE_OIDC_PROVIDER_NAME = "Example ID"
    settings.OIDC_OP_AUTHORIZATION_ENDPOINT = f"{fake.url}/authorize"
    settings.OIDC_OP_TOKEN_ENDPOINT = f"{fake.url}/token"
    settings.OIDC_OP_USER_ENDPOINT = f"{fake.url}/userinfo"
    settings.OIDC_OP_JWKS_ENDPOINT = f"{fake.url}/jwks"
    settings.OIDC_RP_CLIENT_ID = "backline-desk"
    settings.OIDC_RP_CLIENT_SECRET = "s3cret-for-tests"
    settings.BACKLINE_OIDC_ISSUER = fake.issuer
    settings.AUTHENTICATION_BACKENDS = [
        "django.contrib.auth.backends.ModelBackend",
        "backline.accounts.oidc.OIDCBackend",
    ]
    yield fake
    fake.close()


def test_single_sign_on_through_the_provider(page, provider):
    team = TeamFactory(name="Application Support", tier=2)
    UserFactory(username="lena", email="lena@example.com", teams=[team])
    provider.claims = {"email": "lena@example.com", "email_verified": True}
    page.goto("/accounts/login/")
    page.get_by_role("link", name="Sign in with Example ID").click()
    page.wait_for_url("**/tickets/**")
    assert provider.calls.count("/token") == 1
    expect(page.get_by_role("heading", level=1)).to_be_visible()
