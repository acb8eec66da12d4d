"""Shared fixtures: a small desk with three tiers, its people, and API clients."""

from __future__ import annotations

import os

import pytest
from django.test import Client

from backline.accounts.choices import Role
from backline.accounts.services import token_create
from tests.factories import TeamFactory, UserFactory

# Playwright's sync API runs an event loop in the test thread; Django's ORM refuses to run
# beside one unless told it is safe (it is: the loop only drives the browser).
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture
def service_desk(db):
    return TeamFactory(name="Service Desk", tier=1)


@pytest.fixture
def app_support(db):
    return TeamFactory(name="Application Support", tier=2)


@pytest.fixture
def engineering(db):
    return TeamFactory(name="Engineering", tier=3)


@pytest.fixture
def l1_agent(service_desk):
    return UserFactory(username="sam", first_name="Sam", last_name="Desk", teams=[service_desk])


@pytest.fixture
def l2_agent(app_support):
    return UserFactory(username="lena", first_name="Lena", last_name="Second", teams=[app_support])


@pytest.fixture
def l3_agent(engineering):
    return UserFactory(username="omar", first_name="Omar", last_name="Third", teams=[engineering])


@pytest.fixture
def manager(db):
    return UserFactory(username="maria", first_name="Maria", last_name="Lead", role=Role.MANAGER)


@pytest.fixture
def admin(db):
    """An admin: a manager who also configures the desk (routing, SLA, webhooks, imports…)."""
    return UserFactory(username="ada", first_name="Ada", last_name="Admin", role=Role.ADMIN)


@pytest.fixture
def requester(db):
    return UserFactory(username="rita", first_name="Rita", last_name="Sales", role=Role.REQUESTER)


@pytest.fixture
def other_requester(db):
    return UserFactory(username="rob", first_name="Rob", last_name="Finance", role=Role.REQUESTER)


def api_client_for(user, scope: str = "admin") -> Client:
    """An API client with a token of `user`; admin scope by default, so a test meets only the
    user's role (tests of scopes pass a narrower one)."""
    _, secret = token_create(user=user, name="tests", scope=scope)
    return Client(HTTP_AUTHORIZATION=f"Bearer {secret}")


@pytest.fixture
def api(l2_agent) -> Client:
    """An API client authenticated with the L2 agent's token."""
    return api_client_for(l2_agent)


@pytest.fixture
def web(l2_agent) -> Client:
    """A browser-like client signed in as the L2 agent."""
    client = Client()
    client.force_login(l2_agent)
    return client


_SEED_MIGRATIONS = (
    "backline.tickets.migrations.0002_seed_priority_matrix_and_categories",
    "backline.sla.migrations.0002_seed_default_policies",
    "backline.cmdb.migrations.0003_seed_ci_types",
    "backline.problems.migrations.0002_seed_factor_categories",
)


@pytest.fixture(autouse=True)
def _seeded_after_flush(request):
    """Transactional tests start from a flushed database, without the rows that migrations seed
    (priority matrix, categories, SLA calendars and policies): seed them again, as migrate did."""
    marker = request.node.get_closest_marker("django_db")
    if marker is None or not marker.kwargs.get("transaction"):
        return
    request.getfixturevalue("transactional_db")
    import importlib

    from django.apps import apps

    for module in _SEED_MIGRATIONS:
        importlib.import_module(module).seed(apps, None)
