"""Users, teams, tokens, sign-in throttling and the environment-driven settings."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from datetime import timedelta

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from backline.accounts import services
from backline.accounts.models import ApiToken, LoginAttempt
from backline.core.errors import DomainError, NotFound, PermissionDenied

pytestmark = pytest.mark.django_db


def test_token_is_shown_once_and_stored_only_as_a_hash(l2_agent):
    token, secret = services.token_create(user=l2_agent, name="Monitoring")
    assert secret.startswith(f"bl_{token.prefix}_")
    stored = ApiToken.objects.get(pk=token.pk)
    assert secret not in (stored.digest, stored.prefix, stored.name)
    assert services.token_authenticate(secret) == l2_agent
    assert services.token_authenticate(secret[:-1] + ("A" if secret[-1] != "A" else "B")) is None


def test_token_use_is_recorded_at_most_once_a_minute(l2_agent):
    token, secret = services.token_create(user=l2_agent, name="Sync")
    services.token_authenticate(secret)
    token.refresh_from_db()
    first = token.last_used_at
    assert first is not None
    services.token_authenticate(secret)
    token.refresh_from_db()
    assert token.last_used_at == first


def test_tokens_need_a_name_and_only_owners_or_admins_revoke(l2_agent, l1_agent):
    with pytest.raises(DomainError) as exc:
        services.token_create(user=l2_agent, name="  ")
    assert exc.value.field == "name"
    token, secret = services.token_create(user=l2_agent, name="x")
    with pytest.raises(NotFound):
        services.token_revoke(token_id=token.pk, actor=l1_agent)
    with pytest.raises(PermissionDenied):
        services.token_create(user=l2_agent, name="y", actor=l1_agent)
    services.token_revoke(token_id=token.pk, actor=l2_agent)
    assert services.token_authenticate(secret) is None


def test_disabled_users_tokens_stop_working(l2_agent):
    _, secret = services.token_create(user=l2_agent, name="x")
    l2_agent.is_active = False
    l2_agent.save()
    assert services.token_authenticate(secret) is None


def test_throttle_counts_only_recent_failures(l2_agent, settings):
    settings.BACKLINE_LOGIN_MAX_FAILURES = 2
    old = timezone.now() - timedelta(seconds=settings.BACKLINE_LOGIN_WINDOW_SECONDS + 5)
    for _ in range(2):
        attempt = LoginAttempt.objects.create(username="lena", succeeded=False)
        LoginAttempt.objects.filter(pk=attempt.pk).update(at=old)
    services.login_check_throttle(username="lena", ip_address=None)
    LoginAttempt.objects.create(username="LENA", succeeded=False)
    LoginAttempt.objects.create(username="lena", succeeded=False)
    with pytest.raises(services.LoginThrottled):
        services.login_check_throttle(username="lena", ip_address=None)


def test_throttle_per_address(settings, db):
    settings.BACKLINE_LOGIN_MAX_FAILURES_PER_IP = 3
    for name in ("a", "b", "c"):
        LoginAttempt.objects.create(username=name, ip_address="10.0.0.9", succeeded=False)
    with pytest.raises(services.LoginThrottled):
        services.login_check_throttle(username="d", ip_address="10.0.0.9")
    services.login_check_throttle(username="d", ip_address="10.0.0.10")


def test_user_create_validates(db, l2_agent):
    with pytest.raises(DomainError) as exc:
        services.user_create(username="new", password="123", role="agent")
    assert exc.value.field == "password"
    with pytest.raises(DomainError) as exc:
        services.user_create(username="LENA", password=None)
    assert exc.value.field == "username"
    with pytest.raises(DomainError) as exc:
        services.user_create(username="x", password=None, role="wizard")
    assert exc.value.field == "role"
    with pytest.raises(PermissionDenied):
        services.user_create(username="y", password=None, actor=l2_agent)


def test_team_tier_is_validated(db):
    with pytest.raises(DomainError) as exc:
        services.team_create(name="Tier four", tier=4)
    assert exc.value.field == "tier"
    assert services.team_create(name="Database", tier=2).slug == "database"


def test_production_settings_hash_passwords_with_argon2():
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "from backline.config import settings; print(settings.PASSWORD_HASHERS[0])",
        ],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "BACKLINE_SECRET_KEY": "x", "BACKLINE_DATA_DIR": settings.DATA_DIR},
    )
    assert result.stdout.strip() == "django.contrib.auth.hashers.Argon2PasswordHasher"


def test_secret_key_is_generated_once_with_private_permissions(tmp_path):
    code = "from backline.config import settings; print(settings.SECRET_KEY, settings.DEBUG)"
    env = {k: v for k, v in os.environ.items() if k not in {"BACKLINE_SECRET_KEY", "DEBUG"}}
    env["BACKLINE_DATA_DIR"] = str(tmp_path)
    first = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    ).stdout
    second = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    ).stdout
    assert first == second and first.endswith("False\n")
    assert stat.S_IMODE((tmp_path / "secret_key").stat().st_mode) == 0o600


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite pragmas")
def test_sqlite_runs_in_wal_mode(db):
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA journal_mode")
        assert cursor.fetchone()[0] == "wal"
        cursor.execute("PRAGMA foreign_keys")
        assert cursor.fetchone()[0] == 1
