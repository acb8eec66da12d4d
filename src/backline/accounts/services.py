"""Writes for users, teams, tokens and sign-in."""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import authenticate
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from backline.accounts.choices import Role, Tier, TokenScope
from backline.accounts.models import (
    ApiToken,
    LoginAttempt,
    LoginLockout,
    Team,
    TeamMembership,
    User,
)
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
            password_check(password=password, user=user)
        user.set_password(password)
    else:
        user.set_unusable_password()
    try:
        user.full_clean()
    except ValidationError as exc:
        raise from_validation_error(exc) from exc
    user.save()
    return user


def password_check(*, password: str, user: User) -> None:
    """Refuse a password that breaks the policy (AUTH_PASSWORD_VALIDATORS), naming every reason."""
    from django.contrib.auth.password_validation import validate_password

    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise DomainError(" ".join(exc.messages), field="password") from exc


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
    user.__dict__.pop("_backline_team_ids", None)  # team_ids_of reads the teams again
    return membership


def token_digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def token_create(
    *, user: User, name: str, scope: str = TokenScope.WRITE, actor: User | None = None
) -> tuple[ApiToken, str]:
    """Create an API token for `user`; returns the row and the secret, which is never stored.

    The scope only ever narrows what the token may do: it acts as its user, so an agent's
    admin-scope token can still do only what an agent may."""
    if actor is not None and actor.pk != user.pk:
        _require_admin(actor)
    if scope not in TokenScope.values:
        choices = ", ".join(TokenScope.values)
        raise DomainError(f"Unknown scope {scope!r}; choose one of {choices}.", field="scope")
    name = name.strip()
    if not name:
        raise DomainError("Give the token a name, e.g. the integration that uses it.", field="name")
    if len(name) > 100:
        raise DomainError("Name is longer than 100 characters.", field="name")
    prefix = secrets.token_hex(4)
    secret = f"{TOKEN_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
    token = ApiToken.objects.create(
        user=user, name=name, prefix=prefix, digest=token_digest(secret), scope=scope
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
    token = token_lookup(raw)
    return token.user if token is not None else None


def token_lookup(raw: str) -> ApiToken | None:
    """Return the active token (with its user) a raw secret belongs to, recording its use at
    most once a minute; None for an unknown, revoked or malformed token or a disabled user."""
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
    return token


class LoginThrottled(DomainError):
    status = 429
    default_code = "throttled"


def _lock_key(username: str) -> str:
    return username.strip().casefold()[:150]


def _locked_message(until: datetime) -> str:
    minutes = max(1, math.ceil((until - timezone.now()).total_seconds() / 60))
    unit = "minute" if minutes == 1 else "minutes"
    return (
        "Too many failed sign-ins: this account is locked. "
        f"Try again in {minutes} {unit}, or ask an administrator to unlock it."
    )


def _failures_since(username: str) -> int:
    """Failed sign-ins that count towards a lock: in the window, after the last success and
    after the end of the last lock (so an expired lock starts a fresh count)."""
    now = timezone.now()
    since = now - timedelta(seconds=settings.BACKLINE_LOGIN_WINDOW_SECONDS)
    attempts = LoginAttempt.objects.filter(username__iexact=username)
    last_ok = attempts.filter(succeeded=True).order_by("-at").values_list("at", flat=True).first()
    lock_end = (
        LoginLockout.objects.filter(username=_lock_key(username))
        .values_list("locked_until", flat=True)
        .first()
    )
    for moment in (last_ok, lock_end):
        if moment is not None and moment > since:
            since = moment
    return attempts.filter(succeeded=False, at__gte=since).count()


def login_check_throttle(*, username: str, ip_address: str | None) -> None:
    """Refuse a sign-in while the username is locked or the address has failed too often.

    Unknown usernames lock exactly like real ones, so the answer never tells which exist."""
    lock = LoginLockout.objects.filter(username=_lock_key(username)).first()
    if lock is not None and lock.locked_until > timezone.now():
        raise LoginThrottled(_locked_message(lock.locked_until))
    if _failures_since(username) >= settings.BACKLINE_LOGIN_MAX_FAILURES:
        # Failures recorded without a lock row (an import, a crash between the two writes).
        until = _login_lock(username)
        raise LoginThrottled(_locked_message(until))
    since = timezone.now() - timedelta(seconds=settings.BACKLINE_LOGIN_WINDOW_SECONDS)
    minutes = max(1, settings.BACKLINE_LOGIN_WINDOW_SECONDS // 60)
    if ip_address and (
        LoginAttempt.objects.filter(at__gte=since, succeeded=False, ip_address=ip_address).count()
        >= settings.BACKLINE_LOGIN_MAX_FAILURES_PER_IP
    ):
        raise LoginThrottled(
            f"Too many failed sign-ins from your address. Try again in {minutes} minutes."
        )


def _login_lock(username: str) -> datetime:
    until = timezone.now() + timedelta(minutes=settings.BACKLINE_LOGIN_LOCKOUT_MINUTES)
    LoginLockout.objects.update_or_create(
        username=_lock_key(username), defaults={"locked_until": until}
    )
    return until


def login_attempt(*, request, username: str, password: str) -> User:
    """Authenticate a sign-in; every attempt is recorded, and after BACKLINE_LOGIN_MAX_FAILURES
    failures in the window the username is locked for BACKLINE_LOGIN_LOCKOUT_MINUTES."""
    ip_address = request.META.get("REMOTE_ADDR") or None
    login_check_throttle(username=username, ip_address=ip_address)
    user = authenticate(request, username=username, password=password)
    with transaction.atomic():
        LoginAttempt.objects.create(
            username=username[:150], ip_address=ip_address, succeeded=user is not None
        )
        if user is not None:
            LoginLockout.objects.filter(username=_lock_key(username)).delete()
            return user
        message = "Wrong username or password."
        if _failures_since(username) >= settings.BACKLINE_LOGIN_MAX_FAILURES:
            message += " " + _locked_message(_login_lock(username))
    raise DomainError(message, code="invalid_login", field="password")


def login_unlock(*, username: str, actor: User | None = None) -> bool:
    """Lift a sign-in lock early (an admin, or the CLI as the system); True if one was active.

    The lock row stays, ending now, so the failures that caused it do not count again."""
    _require_admin(actor)
    now = timezone.now()
    return bool(
        LoginLockout.objects.filter(username=_lock_key(username), locked_until__gt=now).update(
            locked_until=now
        )
    )
