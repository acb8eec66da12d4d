"""Writes for users, teams, tokens and sign-in."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import authenticate
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from backline.accounts.choices import Role, Tier
from backline.accounts.models import ApiToken, LoginAttempt, Team, TeamMembership, User
from backline.core.errors import DomainError, NotFound, PermissionDenied, from_validation_error

TOKEN_PREFIX = "bl_"  # noqa: S105 - a public marker, not a secret


def _require_admin(actor: User | None) -> None:
    if actor is not None and actor.role != Role.ADMIN and not actor.is_superuser:
        raise PermissionDenied("Only an admin can do this.")


def user_create(
    *,
    username: str,
    password: str | None,
    email: str = "",
    first_name: str = "",
    last_name: str = "",
    role: str = Role.AGENT,
    title: str = "",
    actor: User | None = None,
    check_password: bool = True,
) -> User:
    """Create a user; `actor=None` is the CLI or a migration acting as the system."""
    _require_admin(actor)
    if role not in Role.values:
        raise DomainError(f"Unknown role {role!r}.", field="role")
    if User.objects.filter(username__iexact=username).exists():
        raise DomainError(f"User {username!r} already exists.", code="duplicate", field="username")
    user = User(
        username=username,
        email=email,
        first_name=first_name,
        last_name=last_name,
        role=role,
        title=title,
        is_staff=role == Role.ADMIN,
        is_superuser=role == Role.ADMIN,
    )
    if password:
        if check_password:
            from django.contrib.auth.password_validation import validate_password

            try:
                validate_password(password, user)
            except ValidationError as exc:
                raise DomainError(" ".join(exc.messages), field="password") from exc
        user.set_password(password)
    else:
        user.set_unusable_password()
    try:
        user.full_clean()
    except ValidationError as exc:
        raise from_validation_error(exc) from exc
    user.save()
    return user


def team_create(
    *, name: str, tier: int, description: str = "", email: str = "", actor: User | None = None
) -> Team:
    """Create an assignment group at a tier."""
    _require_admin(actor)
    if tier not in Tier.values:
        raise DomainError("Tier must be 1, 2 or 3.", field="tier")
    team = Team(name=name, slug=slugify(name), tier=tier, description=description, email=email)
    try:
        team.full_clean()
    except ValidationError as exc:
        raise from_validation_error(exc) from exc
    team.save()
    return team


def team_add_member(
    *, team: Team, user: User, is_lead: bool = False, actor: User | None = None
) -> TeamMembership:
    """Add a user to a team (idempotent: an existing membership is updated)."""
    _require_admin(actor)
    membership, _ = TeamMembership.objects.update_or_create(
        team=team, user=user, defaults={"is_lead": is_lead}
    )
    return membership


def token_digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def token_create(*, user: User, name: str, actor: User | None = None) -> tuple[ApiToken, str]:
    """Create an API token for `user`; returns the row and the secret, which is never stored."""
    if actor is not None and actor.pk != user.pk:
        _require_admin(actor)
    name = name.strip()
    if not name:
        raise DomainError("Give the token a name, e.g. the integration that uses it.", field="name")
    if len(name) > 100:
        raise DomainError("Name is longer than 100 characters.", field="name")
    prefix = secrets.token_hex(4)
    secret = f"{TOKEN_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
    token = ApiToken.objects.create(
        user=user, name=name, prefix=prefix, digest=token_digest(secret)
    )
    return token, secret


def token_revoke(*, token_id: int, actor: User) -> ApiToken:
    """Revoke a token: it stops working at once and stays listed as revoked."""
    with transaction.atomic():
        token = ApiToken.objects.select_for_update().filter(pk=token_id).first()
        if token is None or (token.user_id != actor.pk and actor.role != Role.ADMIN):
            raise NotFound("No such token.")
        if token.revoked_at is None:
            token.revoked_at = timezone.now()
            token.save(update_fields=["revoked_at"])
    return token


def token_authenticate(raw: str) -> User | None:
    """Return the active user behind a raw token, recording its use at most once a minute."""
    if not raw.startswith(TOKEN_PREFIX) or raw.count("_") < 2:
        return None
    prefix = raw[len(TOKEN_PREFIX) :].split("_", 1)[0]
    token = ApiToken.objects.select_related("user").filter(prefix=prefix).first()
    if token is None or token.revoked_at is not None or not token.user.is_active:
        return None
    if not hmac.compare_digest(token.digest, token_digest(raw)):
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=1):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user


class LoginThrottled(DomainError):
    status = 429
    default_code = "throttled"


def login_check_throttle(*, username: str, ip_address: str | None) -> None:
    """Refuse a sign-in when the username or address has failed too often recently."""
    since = timezone.now() - timedelta(seconds=settings.BACKLINE_LOGIN_WINDOW_SECONDS)
    failures = LoginAttempt.objects.filter(at__gte=since, succeeded=False)
    minutes = max(1, settings.BACKLINE_LOGIN_WINDOW_SECONDS // 60)
    if failures.filter(username__iexact=username).count() >= settings.BACKLINE_LOGIN_MAX_FAILURES:
        raise LoginThrottled(
            f"Too many failed sign-ins for this account. Try again in {minutes} minutes."
        )
    if ip_address and (
        failures.filter(ip_address=ip_address).count()
        >= settings.BACKLINE_LOGIN_MAX_FAILURES_PER_IP
    ):
        raise LoginThrottled(
            f"Too many failed sign-ins from your address. Try again in {minutes} minutes."
        )


def login_attempt(*, request, username: str, password: str) -> User:
    """Authenticate a sign-in, throttled per username and address; every attempt is recorded."""
    ip_address = request.META.get("REMOTE_ADDR") or None
    login_check_throttle(username=username, ip_address=ip_address)
    user = authenticate(request, username=username, password=password)
    LoginAttempt.objects.create(
        username=username[:150], ip_address=ip_address, succeeded=user is not None
    )
    if user is None:
        raise DomainError("Wrong username or password.", code="invalid_login", field="password")
    return user
