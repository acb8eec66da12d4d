"""Optional OpenID Connect sign-in, walked end to end against a fake provider on 127.0.0.1: the
authorization redirect with state, nonce and PKCE, the provider's redirect back, the token,
JWKS and userinfo calls, and the user signed in — or refused."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlsplit

import jwt
import pytest
import requests
from cryptography.hazmat.primitives.asymmetric import rsa
from django.test import Client

from backline.accounts.choices import Role
from backline.accounts.models import User
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

CLIENT_ID = "backline-desk"
CLIENT_SECRET = "s3cret-for-tests"


class FakeProvider:
    """A tiny OpenID provider: /authorize, /token, /userinfo and /jwks, RS256-signed ID tokens."""

    def __init__(self) -> None:
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.claims: dict = {}  # what /userinfo answers for the next sign-in
        self.id_token_extra: dict = {}
        self.codes: dict[str, dict] = {}
        self.calls: list[str] = []
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _json(self, status, body):
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self):
                url = urlsplit(self.path)
                provider.calls.append(url.path)
                query = {k: v[0] for k, v in parse_qs(url.query).items()}
                if url.path == "/authorize":
                    code = secrets.token_urlsafe(16)
                    provider.codes[code] = query
                    answer = urlencode({"code": code, "state": query["state"]})
                    back = f"{query['redirect_uri']}?{answer}"
                    self.send_response(302)
                    self.send_header("Location", back)
                    self.end_headers()
                elif url.path == "/jwks":
                    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(provider.key.public_key()))
                    self._json(200, {"keys": [{**jwk, "kid": "k1", "alg": "RS256", "use": "sig"}]})
                elif url.path == "/userinfo":
                    if self.headers.get("Authorization") != "Bearer access-1":
                        self._json(401, {"error": "invalid_token"})
                    else:
                        self._json(200, provider.claims)
                else:
                    self._json(404, {})

            def do_POST(self):
                provider.calls.append(self.path)
                length = int(self.headers.get("Content-Length", 0))
                form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
                request = provider.codes.pop(form.get("code", ""), None)
                verifier = form.get("code_verifier", "")
                challenge = (
                    base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
                    .rstrip(b"=")
                    .decode()
                )
                if (
                    request is None
                    or form.get("client_id") != CLIENT_ID
                    or form.get("client_secret") != CLIENT_SECRET
                    or form.get("redirect_uri") != request["redirect_uri"]
                    or challenge != request.get("code_challenge")
                ):
                    self._json(400, {"error": "invalid_grant"})
                    return
                now = int(time.time())
                payload = {
                    "iss": provider.issuer,
                    "sub": "user-42",
                    "aud": CLIENT_ID,
                    "iat": now,
                    "exp": now + 300,
                    "nonce": request["nonce"],
                    "email": provider.claims.get("email"),
                    **provider.id_token_extra,
                }
                id_token = jwt.encode(
                    payload, provider.key, algorithm="RS256", headers={"kid": "k1"}
                )
                self._json(
                    200, {"access_token": "access-1", "id_token": id_token, "token_type": "Bearer"}
                )

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.issuer = self.url
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def provider(settings):
    fake = FakeProvider()
    settings.BACKLINE_OIDC_ENABLED = True
    settings.BACKLINE_OIDC_PROVIDER_NAME = "Example ID"
    settings.OIDC_OP_AUTHORIZATION_ENDPOINT = f"{fake.url}/authorize"
    settings.OIDC_OP_TOKEN_ENDPOINT = f"{fake.url}/token"
    settings.OIDC_OP_USER_ENDPOINT = f"{fake.url}/userinfo"
    settings.OIDC_OP_JWKS_ENDPOINT = f"{fake.url}/jwks"
    settings.OIDC_RP_CLIENT_ID = CLIENT_ID
    settings.OIDC_RP_CLIENT_SECRET = CLIENT_SECRET
    settings.OIDC_RP_SIGN_ALGO = "RS256"
    settings.OIDC_USE_PKCE = True
    settings.OIDC_CREATE_USER = False
    settings.BACKLINE_OIDC_ISSUER = fake.issuer
    settings.BACKLINE_OIDC_ROLE_CLAIM = ""
    settings.BACKLINE_OIDC_ROLE_MAP = ""
    settings.AUTHENTICATION_BACKENDS = [
        "django.contrib.auth.backends.ModelBackend",
        "backline.accounts.oidc.OIDCBackend",
    ]
    yield fake
    fake.close()


def _start(client: Client, next_url: str = "") -> dict[str, str]:
    """Ask the desk to start a sign-in; return the authorization request it redirects to."""
    response = client.get("/accounts/oidc/login/" + (f"?next={next_url}" if next_url else ""))
    assert response.status_code == 302
    return response["Location"]


def _walk(client: Client, provider: FakeProvider, next_url: str = ""):
    """The browser's part: follow the desk to the provider and the provider back to the desk."""
    authorize = _start(client, next_url)
    back = requests.get(authorize, allow_redirects=False, timeout=5)
    assert back.status_code == 302
    parts = urlsplit(back.headers["Location"])
    return client.get(f"{parts.path}?{parts.query}")


def _signed_in_as(client: Client) -> str | None:
    response = client.get("/api/v1/me")
    return response.json()["username"] if response.status_code == 200 else None


def test_authorization_request_carries_state_nonce_and_pkce(provider):
    client = Client()
    authorize = urlsplit(_start(client))
    query = {k: v[0] for k, v in parse_qs(authorize.query).items()}
    assert f"{authorize.scheme}://{authorize.netloc}{authorize.path}" == f"{provider.url}/authorize"
    assert query["client_id"] == CLIENT_ID and query["response_type"] == "code"
    assert query["redirect_uri"] == "http://testserver/accounts/oidc/callback/"
    assert len(query["state"]) >= 32 and len(query["nonce"]) >= 32
    assert query["code_challenge_method"] == "S256" and query["code_challenge"]
    assert "openid" in query["scope"].split() and "email" in query["scope"].split()


def test_login_page_offers_the_provider(provider):
    page = Client().get("/accounts/login/")
    assert b"Sign in with Example ID" in page.content


def test_existing_agent_signs_in_by_verified_email(provider, l2_agent):
    l2_agent.email = "Lena.Second@example.com"
    l2_agent.save()
    provider.claims = {"sub": "user-42", "email": "lena.second@EXAMPLE.com", "email_verified": True}
    client = Client()
    response = _walk(client, provider, next_url="/tickets/?queue=mine")
    assert response.status_code == 302 and response["Location"] == "/tickets/?queue=mine"
    assert _signed_in_as(client) == "lena"
    assert provider.calls.count("/token") == 1 and "/jwks" in provider.calls
    assert "/userinfo" in provider.calls
    l2_agent.refresh_from_db()
    assert l2_agent.role == Role.AGENT  # no role claim configured: the role is the desk's


def test_a_bad_state_is_refused_before_the_provider_is_asked(provider, l2_agent):
    l2_agent.email = "lena@example.com"
    l2_agent.save()
    provider.claims = {"email": "lena@example.com"}
    client = Client()
    authorize = _start(client)
    back = requests.get(authorize, allow_redirects=False, timeout=5)
    query = parse_qs(urlsplit(back.headers["Location"]).query)
    forged = {"code": query["code"][0], "state": "forged-state-" + "x" * 20}
    response = client.get("/accounts/oidc/callback/", forged)
    assert response.status_code == 302 and response["Location"] == "/accounts/login/"
    assert "/token" not in provider.calls
    assert _signed_in_as(client) is None
    page = client.get("/accounts/login/")
    assert b"Sign-in with Example ID failed" in page.content


def test_a_replayed_callback_is_refused(provider, l2_agent):
    l2_agent.email = "lena@example.com"
    l2_agent.save()
    provider.claims = {"email": "lena@example.com"}
    client = Client()
    authorize = _start(client)
    back = requests.get(authorize, allow_redirects=False, timeout=5)
    parts = urlsplit(back.headers["Location"])
    assert client.get(f"{parts.path}?{parts.query}")["Location"] == "/tickets/"
    client.post("/accounts/logout/")
    again = client.get(f"{parts.path}?{parts.query}")
    assert again["Location"] == "/accounts/login/" and _signed_in_as(client) is None


def test_unknown_people_are_refused_unless_creation_is_on(provider, settings):
    provider.claims = {"email": "new.person@example.com", "given_name": "New", "family_name": "P"}
    client = Client()
    assert _walk(client, provider)["Location"] == "/accounts/login/"
    assert not User.objects.filter(email="new.person@example.com").exists()

    settings.OIDC_CREATE_USER = True
    response = _walk(client, provider)
    user = User.objects.get(email="new.person@example.com")
    assert user.role == Role.REQUESTER and user.username == "new.person"
    assert not user.has_usable_password() and user.get_full_name() == "New P"
    assert response["Location"] == "/portal/"  # requesters land in the portal


def test_a_provider_grants_staff_roles_only_through_the_configured_mapping(provider, settings):
    settings.OIDC_CREATE_USER = True
    provider.claims = {"email": "ops@example.com", "groups": ["desk-leads"], "role": "admin"}
    client = Client()
    _walk(client, provider)
    assert User.objects.get(email="ops@example.com").role == Role.REQUESTER

    settings.BACKLINE_OIDC_ROLE_CLAIM = "groups"
    settings.BACKLINE_OIDC_ROLE_MAP = "desk-agents=agent,desk-leads=manager,root=admin"
    client.post("/accounts/logout/")
    _walk(client, provider)
    assert User.objects.get(email="ops@example.com").role == Role.MANAGER
    # Leaving the group takes the role away at the next sign-in; admin is never mapped.
    provider.claims = {"email": "ops@example.com", "groups": ["root"]}
    client.post("/accounts/logout/")
    _walk(client, provider)
    assert User.objects.get(email="ops@example.com").role == Role.REQUESTER


def test_an_admin_keeps_their_role(provider, settings):
    UserFactory(username="ada", email="ada@example.com", role=Role.ADMIN)
    settings.BACKLINE_OIDC_ROLE_CLAIM = "groups"
    settings.BACKLINE_OIDC_ROLE_MAP = "desk-agents=agent"
    provider.claims = {"email": "ada@example.com", "groups": ["desk-agents"]}
    client = Client()
    _walk(client, provider)
    assert _signed_in_as(client) == "ada"
    assert User.objects.get(username="ada").role == Role.ADMIN


@pytest.mark.parametrize(
    ("claims", "extra"),
    [
        ({"email": "lena@example.com", "email_verified": False}, {}),  # unverified address
        ({"email": "lena@example.com"}, {"aud": "another-app"}),  # token for someone else
        ({"email": "lena@example.com"}, {"iss": "https://evil.example"}),
        ({"email": "lena@example.com"}, {"nonce": "replayed-nonce"}),
    ],
)
def test_untrustworthy_answers_are_refused(provider, l2_agent, claims, extra):
    l2_agent.email = "lena@example.com"
    l2_agent.save()
    provider.claims = claims
    provider.id_token_extra = extra
    client = Client()
    assert _walk(client, provider)["Location"] == "/accounts/login/"
    assert _signed_in_as(client) is None


def test_disabled_users_are_refused(provider, l2_agent):
    l2_agent.email = "lena@example.com"
    l2_agent.is_active = False
    l2_agent.save()
    provider.claims = {"email": "lena@example.com"}
    client = Client()
    assert _walk(client, provider)["Location"] == "/accounts/login/"


def test_off_without_configuration(settings):
    settings.BACKLINE_OIDC_ENABLED = False
    assert Client().get("/accounts/oidc/login/").status_code == 404
    assert Client().get("/accounts/oidc/callback/?code=x&state=y").status_code == 404
    assert b"Sign in with" not in Client().get("/accounts/login/").content


def test_settings_turn_oidc_on_only_when_fully_configured(tmp_path):
    import os
    import subprocess
    import sys

    code = (
        "from backline.config import settings as s; "
        "print(s.BACKLINE_OIDC_ENABLED, s.AUTHENTICATION_BACKENDS[-1])"
    )
    base = {k: v for k, v in os.environ.items() if not k.startswith("BACKLINE_OIDC_")}
    base |= {"BACKLINE_SECRET_KEY": "x", "BACKLINE_DATA_DIR": str(tmp_path)}
    full = base | {
        "BACKLINE_OIDC_AUTHORIZATION_ENDPOINT": "https://id.example/authorize",
        "BACKLINE_OIDC_TOKEN_ENDPOINT": "https://id.example/token",
        "BACKLINE_OIDC_USERINFO_ENDPOINT": "https://id.example/userinfo",
        "BACKLINE_OIDC_JWKS_ENDPOINT": "https://id.example/jwks",
        "BACKLINE_OIDC_CLIENT_ID": "desk",
        "BACKLINE_OIDC_CLIENT_SECRET": "secret",
    }
    partial = {k: v for k, v in full.items() if k != "BACKLINE_OIDC_JWKS_ENDPOINT"}

    def run(env):
        return subprocess.run(
            [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
        ).stdout.split()

    assert run(full) == ["True", "backline.accounts.oidc.OIDCBackend"]
    assert run(partial)[0] == "False"
    assert run(base)[0] == "False"
