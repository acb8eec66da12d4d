"""Password policy (length, common, numeric, similarity, no username/e-mail) everywhere a password
is set, and the sign-in lockout."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from backline import cli
from backline.accounts import rules, services
from backline.accounts.choices import Role
from backline.accounts.models import LoginAttempt, LoginLockout, User
from backline.core.errors import DomainError, PermissionDenied
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

GOOD = "tundra-kettle-7-orbit"


# --- policy ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("Short-pw-11", "at least 12 characters"),
        ("q1w2e3r4t5y6", "too common"),
        ("839201847561203", "entirely numeric"),
        ("nina.kowalski-2026", "must not contain your username"),
        ("my-NKOWAL-at-work!", "must not contain your e-mail address"),
    ],
)
def test_weak_passwords_are_refused_with_the_reason(db, password, reason):
    with pytest.raises(DomainError) as exc:
        services.user_create(
            username="nina.kowalski", email="nkowal@example.com", password=password, role="agent"
        )
    assert exc.value.field == "password"
    assert reason in exc.value.message
    assert not User.objects.filter(username="nina.kowalski").exists()


def test_a_good_password_is_accepted(db):
    user = services.user_create(
        username="nina.kowalski", email="nkowal@example.com", password=GOOD, role="agent"
    )
    assert user.check_password(GOOD)


def test_identity_check_ignores_very_short_names():
    assert rules.password_identity_clash("so-long-password", username="so", email="") is None
    assert rules.password_identity_clash("xx-EVA-xx-xx", username="eva", email="") == "username"
    assert rules.password_identity_clash("x@y.io-pass", username="z", email="x@y.io") == "email"


def test_cli_createuser_applies_the_policy(db, capsys):
    assert cli.main(["createuser", "nina", "--password", "nina-rocks-2026"]) == 2
    assert "must not contain your username" in capsys.readouterr().err
    assert not User.objects.filter(username="nina").exists()
    assert cli.main(["createuser", "nina", "--password", GOOD]) == 0


def test_cli_init_warns_about_a_weak_first_admin_password(db, capsys):
    assert cli.main(["init", "--admin-password", "admin-pass-123"]) == 0
    err = capsys.readouterr().err
    assert "breaks the password policy" in err and "username" in err
    assert User.objects.get(username="admin").check_password("admin-pass-123")


def _admin_client():
    admin = UserFactory(username="ada", role=Role.ADMIN, is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(admin)
    return client


def test_admin_add_user_form_applies_the_policy(db):
    client = _admin_client()
    form = {
        "username": "victor",
        "usable_password": "true",
        "password1": "victor-2026-ok",
        "password2": "victor-2026-ok",
    }
    response = client.post("/admin/accounts/user/add/", form)
    assert response.status_code == 200
    assert b"must not contain your username" in response.content
    assert not User.objects.filter(username="victor").exists()
    form["password1"] = form["password2"] = GOOD
    assert client.post("/admin/accounts/user/add/", form).status_code == 302
    assert User.objects.get(username="victor").check_password(GOOD)


def test_admin_password_change_applies_the_policy(db, l2_agent):
    client = _admin_client()
    url = f"/admin/accounts/user/{l2_agent.pk}/password/"
    response = client.post(url, {"password1": "short", "password2": "short"})
    assert b"at least 12 characters" in response.content
    l2_agent.refresh_from_db()
    assert l2_agent.check_password(PASSWORD)


def test_the_admin_signs_in_through_the_desk_login(db):
    response = Client().get("/admin/login/?next=/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=/admin/")


# --- lockout --------------------------------------------------------------------------------


def _flash(response) -> str:
    """The error the login page shows (the rest differs by CSRF token and the name typed)."""
    found = re.search(
        r'<div class="flash error" role="alert">(.*?)</div>', response.content.decode()
    )
    return found.group(1).strip() if found else ""


def _sign_in(client, username, password):
    return client.post("/accounts/login/", {"username": username, "password": password})


def test_failures_lock_the_account_and_the_right_password_is_refused(l2_agent, settings):
    settings.BACKLINE_LOGIN_MAX_FAILURES = 3
    settings.BACKLINE_LOGIN_LOCKOUT_MINUTES = 20
    client = Client()
    assert _sign_in(client, "lena", "nope").status_code == 401
    assert _sign_in(client, "lena", "nope").status_code == 401
    third = _sign_in(client, "lena", "nope")
    assert third.status_code == 401 and b"this account is locked" in third.content
    locked = _sign_in(client, "lena", PASSWORD)
    assert locked.status_code == 429
    assert b"locked" in locked.content and b"20 minutes" in locked.content
    assert client.get("/tickets/").status_code == 302  # still signed out


def test_an_unknown_username_locks_the_same_way(l2_agent, settings):
    """The page never tells whether an account exists."""
    settings.BACKLINE_LOGIN_MAX_FAILURES = 2

    def messages(username):
        client = Client()
        return [_sign_in(client, username, "nope") for _ in range(3)]

    real, ghost = messages("lena"), messages("ghost")
    assert [r.status_code for r in real] == [r.status_code for r in ghost] == [401, 401, 429]
    for a, b in zip(real, ghost, strict=True):
        assert _flash(a) == _flash(b) and _flash(a)
    assert "locked" in _flash(real[-1])


def test_a_success_resets_the_count(l2_agent, settings):
    settings.BACKLINE_LOGIN_MAX_FAILURES = 3
    client = Client()
    for _ in range(2):
        _sign_in(client, "lena", "nope")
    assert _sign_in(client, "lena", PASSWORD).status_code == 302
    client.post("/accounts/logout/")
    for _ in range(2):
        assert _sign_in(client, "lena", "nope").status_code == 401
    assert _sign_in(client, "lena", PASSWORD).status_code == 302


def test_an_expired_lock_starts_a_fresh_count(l2_agent, settings):
    settings.BACKLINE_LOGIN_MAX_FAILURES = 2
    client = Client()
    for _ in range(2):
        _sign_in(client, "lena", "nope")
    assert _sign_in(client, "lena", PASSWORD).status_code == 429
    now = timezone.now()
    LoginAttempt.objects.update(at=now - timedelta(minutes=2))
    LoginLockout.objects.filter(username="lena").update(locked_until=now - timedelta(minutes=1))
    # The two failures before the lock do not count again: one more is not a new lock.
    assert _sign_in(client, "lena", "nope").status_code == 401
    assert _sign_in(client, "lena", PASSWORD).status_code == 302


def test_an_admin_unlocks_early(l2_agent, settings, capsys):
    settings.BACKLINE_LOGIN_MAX_FAILURES = 2
    client = Client()
    for _ in range(2):
        _sign_in(client, "LENA", "nope")  # usernames lock case-insensitively
    assert _sign_in(client, "lena", PASSWORD).status_code == 429
    with pytest.raises(PermissionDenied):
        services.login_unlock(username="lena", actor=l2_agent)
    assert cli.main(["unlock", "lena"]) == 0
    assert "Unlocked 'lena'" in capsys.readouterr().out
    assert _sign_in(client, "lena", PASSWORD).status_code == 302
    assert cli.main(["unlock", "lena"]) == 0
    assert "was not locked" in capsys.readouterr().out


def test_admin_action_unlocks_a_user(l2_agent, settings):
    settings.BACKLINE_LOGIN_MAX_FAILURES = 1
    _sign_in(Client(), "lena", "nope")
    assert _sign_in(Client(), "lena", PASSWORD).status_code == 429
    response = _admin_client().post(
        "/admin/accounts/user/",
        {"action": "unlock_sign_in", "_selected_action": [l2_agent.pk]},
        follow=True,
    )
    assert b"Unlocked: lena" in response.content
    assert _sign_in(Client(), "lena", PASSWORD).status_code == 302


def test_attempts_while_locked_are_not_counted_as_new_failures(l2_agent, settings):
    settings.BACKLINE_LOGIN_MAX_FAILURES = 2
    client = Client()
    for _ in range(5):
        _sign_in(client, "lena", "nope")
    assert LoginAttempt.objects.filter(username="lena", succeeded=False).count() == 2
