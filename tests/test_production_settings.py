"""Production settings: the database options each environment gives, static files served with
far-future caching and precompressed variants, and pages compressed with BREACH mitigations."""

from __future__ import annotations

import gzip
import os
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.db.utils import ConnectionHandler
from django.http import HttpResponse
from django.test import RequestFactory, override_settings

from backline.config import settings as backline_settings
from backline.config.settings import SQLITE_PRAGMAS, databases_from_env

PG_URL = "postgres://postgres@127.0.0.1:5432/backline_prod_settings"


# --- Databases ---------------------------------------------------------------------------------


def test_sqlite_by_default_with_persistent_connections_and_pragmas(tmp_path):
    db = databases_from_env({}, data_dir=tmp_path)["default"]
    assert db["ENGINE"] == "django.db.backends.sqlite3"
    assert db["NAME"] == str(tmp_path / "backline.sqlite3")
    assert db["CONN_MAX_AGE"] == 60
    assert db["CONN_HEALTH_CHECKS"] is True
    assert db["OPTIONS"]["transaction_mode"] == "IMMEDIATE"
    assert db["OPTIONS"]["init_command"] == SQLITE_PRAGMAS
    assert "pool" not in db["OPTIONS"]


def test_sqlite_pragmas_take_effect(tmp_path):
    conn = sqlite3.connect(tmp_path / "db.sqlite3")
    try:
        conn.executescript(SQLITE_PRAGMAS)
        pragma = lambda name: conn.execute(f"PRAGMA {name}").fetchone()[0]  # noqa: E731
        assert pragma("journal_mode") == "wal"
        assert pragma("synchronous") == 1  # NORMAL
        assert pragma("foreign_keys") == 1
        assert pragma("busy_timeout") == 20000
        assert pragma("cache_size") == -65536
        assert pragma("temp_store") == 2  # MEMORY
        # Capped by SQLITE_MAX_MMAP_SIZE of the build; 0 would mean mmap is compiled out.
        assert pragma("mmap_size") > 0
    finally:
        conn.close()


def test_sqlite_connection_lifetime_from_the_environment(tmp_path):
    db = databases_from_env({"BACKLINE_CONN_MAX_AGE": "0"}, data_dir=tmp_path)["default"]
    assert db["CONN_MAX_AGE"] == 0


def test_postgresql_pools_by_default_without_persistent_connections(tmp_path):
    db = databases_from_env({"DATABASE_URL": PG_URL}, data_dir=tmp_path)["default"]
    assert db["ENGINE"] == "django.db.backends.postgresql"
    assert db["OPTIONS"]["pool"] == {"min_size": 1, "max_size": 4, "timeout": 10.0}
    # Django refuses a pool together with CONN_MAX_AGE > 0.
    assert db["CONN_MAX_AGE"] == 0
    assert db["CONN_HEALTH_CHECKS"] is True
    assert not (tmp_path / "backline.sqlite3").exists()


def test_postgresql_pool_sizes_from_the_environment(tmp_path):
    env = {
        "DATABASE_URL": PG_URL,
        "BACKLINE_DB_POOL_MIN": "2",
        "BACKLINE_DB_POOL_MAX": "8",
        "BACKLINE_DB_POOL_TIMEOUT": "3",
        "BACKLINE_CONN_MAX_AGE": "300",  # ignored: not allowed with a pool
    }
    db = databases_from_env(env, data_dir=tmp_path)["default"]
    assert db["OPTIONS"]["pool"] == {"min_size": 2, "max_size": 8, "timeout": 3.0}
    assert db["CONN_MAX_AGE"] == 0


def test_postgresql_without_pool_keeps_persistent_connections(tmp_path):
    env = {"DATABASE_URL": PG_URL, "BACKLINE_DB_POOL": "0", "BACKLINE_CONN_MAX_AGE": "120"}
    db = databases_from_env(env, data_dir=tmp_path)["default"]
    assert "pool" not in db["OPTIONS"]
    assert db["CONN_MAX_AGE"] == 120
    assert db["CONN_HEALTH_CHECKS"] is True


def test_postgresql_url_options_are_kept_beside_the_pool(tmp_path):
    env = {"DATABASE_URL": f"{PG_URL}?sslmode=require"}
    options = databases_from_env(env, data_dir=tmp_path)["default"]["OPTIONS"]
    assert options["sslmode"] == "require"
    assert options["pool"]["max_size"] == 4


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"BACKLINE_DB_POOL_MIN": "5", "BACKLINE_DB_POOL_MAX": "2"}, "BACKLINE_DB_POOL_MIN"),
        ({"BACKLINE_DB_POOL_MAX": "0", "BACKLINE_DB_POOL_MIN": "0"}, "at least 1"),
        ({"BACKLINE_DB_POOL_MAX": "many"}, "whole number"),
    ],
)
def test_bad_pool_sizes_are_refused_at_start(tmp_path, env, message):
    with pytest.raises(ImproperlyConfigured, match=message):
        databases_from_env({"DATABASE_URL": PG_URL, **env}, data_dir=tmp_path)


def _postgres_or_skip() -> None:
    psycopg = pytest.importorskip("psycopg")
    try:
        with psycopg.connect(
            "host=127.0.0.1 user=postgres dbname=postgres", autocommit=True, connect_timeout=2
        ) as conn:
            exists = conn.execute(
                "SELECT 1 FROM pg_database WHERE datname = 'backline_prod_settings'"
            ).fetchone()
            if not exists:
                conn.execute("CREATE DATABASE backline_prod_settings")
    except psycopg.OperationalError:
        pytest.skip("no PostgreSQL at 127.0.0.1:5432")


def test_django_accepts_the_pooled_postgresql_settings(tmp_path, django_db_blocker):
    """The built settings really open a pool (Django raises on pool + CONN_MAX_AGE > 0)."""
    pytest.importorskip("psycopg_pool")
    _postgres_or_skip()
    db = databases_from_env({"DATABASE_URL": PG_URL}, data_dir=tmp_path)["default"]
    # Its own alias: Django keeps pools per alias in a class attribute, so "default" would be
    # the test database's pool when the suite itself runs on PostgreSQL.
    handler = ConnectionHandler(
        {"default": {"ENGINE": "django.db.backends.dummy"}, "prod_pool_check": db}
    )
    connection = handler["prod_pool_check"]
    with django_db_blocker.unblock():
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1")
                assert cursor.fetchone() == (1,)
            assert connection.pool is not None
            assert connection.pool.max_size == 4
        finally:
            connection.close()
            connection.close_pool()


# --- Static files ------------------------------------------------------------------------------


@pytest.fixture
def collected_static(tmp_path):
    """One stylesheet collected by the production storage (hashed, .gz and .br beside it)."""
    source = tmp_path / "source"
    source.mkdir()
    rules = "".join(f".rule-{i} {{ color: #{i:06x}; margin: {i}px; }}\n" for i in range(400))
    (source / "app.css").write_text(rules)
    root = tmp_path / "root"
    with override_settings(
        STATICFILES_DIRS=[source],
        STATICFILES_FINDERS=["django.contrib.staticfiles.finders.FileSystemFinder"],
        STATIC_ROOT=root,
        STORAGES={
            **backline_settings.STORAGES,
            "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
        },
    ):
        call_command("collectstatic", interactive=False, verbosity=0)
        yield root


def test_production_uses_the_compressed_manifest_storage():
    # The settings module as production reads it (the test settings swap the storage out).
    assert not backline_settings.DEBUG
    assert (
        backline_settings.STORAGES["staticfiles"]["BACKEND"]
        == "whitenoise.storage.CompressedManifestStaticFilesStorage"
    )


def _whitenoise():
    from whitenoise.middleware import WhiteNoiseMiddleware

    return WhiteNoiseMiddleware(lambda request: HttpResponse("not a static file"))


def test_hashed_static_file_is_served_with_far_future_immutable_caching(collected_static):
    from django.contrib.staticfiles.storage import staticfiles_storage

    url = staticfiles_storage.url("app.css")
    assert re.search(r"/app\.[0-9a-f]{12}\.css$", url)
    response = _whitenoise()(RequestFactory().get(url))
    assert response.status_code == 200
    cache_control = response["Cache-Control"]
    assert "immutable" in cache_control and "public" in cache_control
    max_age = int(re.search(r"max-age=(\d+)", cache_control).group(1))
    assert max_age >= 31536000  # a year at least (whitenoise uses ten)


def test_unhashed_name_is_cached_only_briefly(collected_static):
    response = _whitenoise()(RequestFactory().get("/static/app.css"))
    assert response.status_code == 200
    assert "immutable" not in response["Cache-Control"]
    assert f"max-age={backline_settings.WHITENOISE_MAX_AGE}" in response["Cache-Control"]


def test_static_files_are_precompressed_gzip_and_brotli(collected_static):
    from django.contrib.staticfiles.storage import staticfiles_storage

    name = Path(staticfiles_storage.url("app.css")).name
    assert (collected_static / f"{name}.gz").exists()
    url = staticfiles_storage.url("app.css")
    middleware = _whitenoise()
    gz = middleware(RequestFactory().get(url, HTTP_ACCEPT_ENCODING="gzip"))
    assert gz["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in gz["Vary"]
    pytest.importorskip("brotli")
    assert (collected_static / f"{name}.br").exists()
    br = middleware(RequestFactory().get(url, HTTP_ACCEPT_ENCODING="gzip, deflate, br"))
    assert br["Content-Encoding"] == "br"


# --- Page compression --------------------------------------------------------------------------


def test_gzip_middleware_sits_right_after_whitenoise(settings):
    middleware = list(settings.MIDDLEWARE)
    gzip_at = middleware.index("django.middleware.gzip.GZipMiddleware")
    assert middleware[gzip_at - 1] == "whitenoise.middleware.WhiteNoiseMiddleware"
    # Above everything that writes or reads the body (sessions, CSRF, messages, htmx…).
    assert gzip_at < middleware.index("django.middleware.csrf.CsrfViewMiddleware")


@pytest.mark.django_db
def test_pages_are_gzipped_with_a_fresh_csrf_token_and_random_padding(client):
    def login_page() -> tuple[bytes, str]:
        response = client.get("/accounts/login/", HTTP_ACCEPT_ENCODING="gzip")
        assert response.status_code == 200
        assert response["Content-Encoding"] == "gzip"
        assert "Accept-Encoding" in response["Vary"]
        html = gzip.decompress(response.content).decode()
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
        assert token, "the login page carries a CSRF token"
        return response.content, token.group(1)

    first_body, first_token = login_page()
    second_body, second_token = login_page()
    # BREACH mitigations: the token is masked anew per response, and the compressed bodies differ.
    assert first_token != second_token
    assert first_body != second_body


@pytest.mark.django_db
def test_pages_are_plain_without_accept_encoding(client):
    response = client.get("/accounts/login/")
    assert not response.has_header("Content-Encoding")


def test_gzip_can_be_left_to_the_reverse_proxy(tmp_path):
    """BACKLINE_GZIP=0: the settings module, read fresh in a new interpreter, has no gzip."""
    env = {
        **os.environ,
        "BACKLINE_GZIP": "0",
        "BACKLINE_DATA_DIR": str(tmp_path),
        "BACKLINE_SECRET_KEY": "x" * 50,
    }
    env.pop("DATABASE_URL", None)
    code = (
        "from backline.config import settings as s; "
        "print('django.middleware.gzip.GZipMiddleware' in s.MIDDLEWARE)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "False"
