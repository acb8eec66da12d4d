"""The `backline` command against the test database."""

from __future__ import annotations

import pytest
from django.test import Client

from backline import cli
from backline.accounts.models import User

pytestmark = pytest.mark.django_db


def test_token_create_prints_a_token_that_works(l2_agent, capsys):
    assert cli.main(["token", "create", "lena", "--name", "ci"]) == 0
    secret = capsys.readouterr().out.strip()
    client = Client(HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert client.get("/api/v1/me").json()["username"] == "lena"


def test_token_create_for_unknown_user_fails_cleanly(db, capsys):
    assert cli.main(["token", "create", "ghost"]) == 2
    assert "no user 'ghost'" in capsys.readouterr().err


def test_createuser_with_teams(app_support, capsys):
    code = cli.main(
        [
            "createuser",
            "nina",
            "--role",
            "agent",
            "--team",
            app_support.slug,
            "--password",
            "a-long-enough-password",
        ]
    )
    assert code == 0
    user = User.objects.get(username="nina")
    assert user.role == "agent" and list(user.teams.all()) == [app_support]
    assert user.check_password("a-long-enough-password")
    assert cli.main(["createuser", "nina"]) == 2
    assert "already exists" in capsys.readouterr().err


def test_createuser_refuses_unknown_team_and_stores_nothing(db, capsys):
    assert cli.main(["createuser", "zed", "--team", "nope", "--password", "a-long-enough-pw"]) == 2
    assert "No team 'nope'" in capsys.readouterr().err
    assert not User.objects.filter(username="zed").exists()


def test_init_creates_one_admin(db, capsys):
    assert cli.main(["init", "--admin-password", "admin-pass-123"]) == 0
    admin = User.objects.get(username="admin")
    assert admin.role == "admin" and admin.is_superuser
    assert cli.main(["init"]) == 0
    assert "already exists" in capsys.readouterr().out
    assert User.objects.filter(role="admin").count() == 1
