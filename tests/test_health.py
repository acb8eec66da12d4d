"""The health probes: /healthz touches nothing, /readyz runs exactly one query or answers 503."""

from __future__ import annotations

from unittest import mock

import pytest
from django.db import OperationalError, connection
from django.test import Client, override_settings

from backline.audit.models import AuditEvent


@pytest.mark.django_db
def test_healthz_answers_ok_without_any_query(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response.content == b"ok"
    assert response["Content-Type"].startswith("text/plain")
    assert "no-cache" in response["Cache-Control"]
    # No session cookie, no CSRF cookie: nothing was read or created for the probe.
    assert not response.cookies


@pytest.mark.django_db
def test_healthz_with_a_signed_in_session_still_runs_no_query(
    client, l2_agent, django_assert_num_queries
):
    client.force_login(l2_agent)
    with django_assert_num_queries(0):
        response = client.get("/healthz")
    assert response.status_code == 200
    assert not response.cookies


@pytest.mark.django_db
def test_readyz_runs_exactly_one_trivial_query(client, django_assert_num_queries):
    with django_assert_num_queries(1) as captured:
        response = client.get("/readyz")
    assert response.status_code == 200
    assert response.content == b"ready"
    assert captured.captured_queries[0]["sql"].strip().upper() == "SELECT 1"
    assert not response.cookies


@pytest.mark.django_db
def test_readyz_with_a_signed_in_session_writes_nothing(
    client, l2_agent, django_assert_num_queries
):
    client.force_login(l2_agent)
    before = AuditEvent.objects.count()
    with django_assert_num_queries(1):
        response = client.get("/readyz")
    assert response.status_code == 200
    assert AuditEvent.objects.count() == before


@pytest.mark.django_db
def test_readyz_answers_503_when_the_database_is_unreachable(client):
    with mock.patch.object(connection, "cursor", side_effect=OperationalError("gone")):
        response = client.get("/readyz")
    assert response.status_code == 503
    assert response.content == b"database unavailable"


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/healthz", "/readyz"])
def test_probes_refuse_writes(client, path):
    assert client.post(path).status_code == 405


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/healthz", "/readyz"])
def test_probes_answer_head(client, path):
    assert client.head(path).status_code == 200


@pytest.mark.django_db
@override_settings(SECURE_SSL_REDIRECT=True)
@pytest.mark.parametrize("path", ["/healthz", "/readyz"])
def test_probes_over_plain_http_are_not_redirected_to_https(path):
    client = Client()
    assert client.get(path).status_code == 200
    # Every other page still is.
    assert client.get("/accounts/login/").status_code == 301


@pytest.mark.django_db
def test_probes_keep_the_security_headers(client):
    response = client.get("/healthz")
    assert "Content-Security-Policy" in response
    assert response["X-Content-Type-Options"] == "nosniff"
