"""Optional sign-in with OpenID Connect (authorization code flow, PKCE, nonce), built on
mozilla-django-oidc. Off unless settings.BACKLINE_OIDC_ENABLED (all endpoints and the client
id and secret configured).

Users are matched by verified e-mail. Unknown people are created as requesters only when
OIDC_CREATE_USER is on; a staff role comes from the provider only through the configured role
claim and mapping, and never the admin role."""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import SuspiciousOperation
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import resolve_url
from mozilla_django_oidc.auth import OIDCAuthenticationBackend
from mozilla_django_oidc.views import (
    OIDCAuthenticationCallbackView,
    OIDCAuthenticationRequestView,
)

from backline.accounts.choices import Role
from backline.accounts.models import User

logger = logging.getLogger(__name__)

# Roles a provider may grant through the role mapping; admin is deliberately not among them.
MAPPABLE_ROLES = (Role.REQUESTER, Role.AGENT, Role.MANAGER)
_RANK = {Role.REQUESTER: 0, Role.AGENT: 1, Role.MANAGER: 2}


def oidc_enabled() -> bool:
    return bool(getattr(settings, "BACKLINE_OIDC_ENABLED", False))


def role_map() -> dict[str, str]:
    """BACKLINE_OIDC_ROLE_MAP parsed: claim value → role (pairs naming another role are skipped)."""
    mapping: dict[str, str] = {}
    for pair in settings.BACKLINE_OIDC_ROLE_MAP.split(","):
        value, _, role = pair.partition("=")
        value, role = value.strip(), role.strip().lower()
        if value and role in MAPPABLE_ROLES:
            mapping[value] = role
        elif pair.strip():
            logger.warning("BACKLINE_OIDC_ROLE_MAP: ignoring %r (roles: %s)", pair, MAPPABLE_ROLES)
    return mapping


def role_from_claims(claims: dict[str, Any]) -> str | None:
    """The highest mapped role the claims carry, or None when no role claim is configured."""
    claim = settings.BACKLINE_OIDC_ROLE_CLAIM
    if not claim:
        return None
    raw = claims.get(claim, [])
    values = [raw] if isinstance(raw, str) else [v for v in raw if isinstance(v, str)]
    mapping = role_map()
    roles = [mapping[v] for v in values if v in mapping]
    return max(roles, key=lambda r: _RANK[Role(r)], default=Role.REQUESTER)


def _unique_username(email: str) -> str:
    base = "".join(c for c in email.split("@", 1)[0] if c.isalnum() or c in "._-")[:140] or "user"
    candidate, n = base, 1
    while User.objects.filter(username__iexact=candidate).exists():
        n += 1
        candidate = f"{base}{n}"
    return candidate


class OIDCBackend(OIDCAuthenticationBackend):
    """Authenticates the provider's callback; does nothing while OIDC is off."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.enabled = oidc_enabled()
        if self.enabled:
            super().__init__(*args, **kwargs)
        else:
            self.UserModel = User

    def authenticate(self, request: HttpRequest | None, **kwargs: Any) -> Any:
        if not self.enabled:
            return None
        return super().authenticate(request, **kwargs)

    def verify_token(self, token: str, **kwargs: Any) -> dict[str, Any]:
        """The library checks signature, expiry and nonce; also check audience and issuer."""
        payload = super().verify_token(token, **kwargs)
        audience = payload.get("aud")
        audiences = [audience] if isinstance(audience, str) else list(audience or [])
        if self.OIDC_RP_CLIENT_ID not in audiences:
            raise SuspiciousOperation("The ID token is not meant for this desk (audience).")
        issuer = settings.BACKLINE_OIDC_ISSUER
        if issuer and payload.get("iss") != issuer:
            raise SuspiciousOperation("The ID token comes from another issuer.")
        return payload

    def verify_claims(self, claims: dict[str, Any]) -> bool:
        # Matching by e-mail is only safe when the provider vouches for the address.
        return bool(claims.get("email")) and claims.get("email_verified", True) is not False

    def filter_users_by_claims(self, claims: dict[str, Any]):
        return User.objects.filter(email__iexact=claims.get("email", ""), is_active=True)

    def create_user(self, claims: dict[str, Any]) -> User:
        from backline.accounts.services import user_create

        role = role_from_claims(claims) or Role.REQUESTER
        return user_create(
            username=_unique_username(claims["email"]),
            password=None,  # signs in through the provider only
            email=claims["email"],
            first_name=str(claims.get("given_name", ""))[:150],
            last_name=str(claims.get("family_name", ""))[:150],
            role=role,
        )

    def update_user(self, user: User, claims: dict[str, Any]) -> User:
        """With a role claim configured the provider is the source of roles (admins excepted:
        an admin's role is only ever changed in the desk)."""
        role = role_from_claims(claims)
        if role is not None and user.role != Role.ADMIN and user.role != role:
            logger.info("OIDC: role of %s changes from %s to %s", user.username, user.role, role)
            user.role = role
            user.save(update_fields=["role"])
        return user


class CallbackView(OIDCAuthenticationCallbackView):
    """The provider's redirect back: sign in, or back to the login page with a reason."""

    @property
    def success_url(self) -> str:
        next_url = self.request.session.get("oidc_login_next")
        if next_url:
            return next_url
        home = "tickets:queue" if self.user.is_staff_member else "portal:home"
        return resolve_url(home)

    def login_failure(self) -> HttpResponse:
        messages.error(
            self.request,
            f"Sign-in with {settings.BACKLINE_OIDC_PROVIDER_NAME} failed. Try again, or ask an "
            "administrator whether your account may use it.",
        )
        return HttpResponseRedirect(resolve_url("accounts:login"))

    def get(self, request: HttpRequest) -> HttpResponse:
        try:
            return super().get(request)
        except SuspiciousOperation as exc:  # unknown state, replay, bad token
            logger.warning("OIDC callback refused: %s", exc)
            return self.login_failure()


def oidc_login(request: HttpRequest) -> HttpResponse:
    """Start the code flow: redirect to the provider with state, nonce and PKCE challenge."""
    if not oidc_enabled():
        raise Http404("Single sign-on is not configured.")
    return OIDCAuthenticationRequestView.as_view()(request)


def oidc_callback(request: HttpRequest) -> HttpResponse:
    if not oidc_enabled():
        raise Http404("Single sign-on is not configured.")
    return CallbackView.as_view()(request)
