"""Schemathesis against the live OpenAPI schema: every operation, fuzzed with an admin's token
(a manager who may also configure the desk) over a desk that holds one of everything, must never
answer 5xx, must only answer status codes it documents, and every answer must match its declared
schema.

Runs in process (WSGI), inside the test's database transaction; each generated request runs in a
savepoint that is rolled back, so a DELETE does not starve the operations fuzzed after it. Path
parameters and id fields of bodies are, about half of the time, swapped for ids of real objects, so
the fuzzing reaches the code behind the lookups and not only the 404s.
"""

from __future__ import annotations

import os
from typing import Any

import pytest
import schemathesis
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections, transaction
from django.utils import timezone
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from ninja import Schema
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi.checks import response_schema_conformance, status_code_conformance

from backline.accounts.choices import Role, TokenScope
from backline.accounts.services import token_create
from backline.changes import services as changes
from backline.cmdb import services as cmdb
from backline.diagnostics import services as diagnostics
from backline.escalation import collaboration, hierarchy
from backline.escalation import services as escalation
from backline.imports import services as imports
from backline.knowledge import services as knowledge
from backline.notifications.choices import NotificationKind
from backline.notifications.services import notify
from backline.problems import known_errors
from backline.problems import services as problems
from backline.problems.models import FactorCategory, Proposal
from backline.sla.models import BusinessCalendar, SlaPolicy
from backline.tickets import routing
from backline.tickets import services as tickets
from backline.tickets.models import Category
from backline.webhooks import services as webhooks
from backline.worklog import services as worklog
from tests.factories import TeamFactory, UserFactory

# Examples per operation: ~200 operations × this many requests keeps the run to a few minutes on
# a busy two-core machine. BACKLINE_FUZZ_EXAMPLES=50 BACKLINE_FUZZ_COVERAGE=1 fuzzes deeper (the
# coverage phase adds schemathesis' deterministic boundary and negative cases per parameter).
MAX_EXAMPLES = int(os.environ.get("BACKLINE_FUZZ_EXAMPLES", "5"))
COVERAGE = os.environ.get("BACKLINE_FUZZ_COVERAGE") == "1"

CHECKS = [not_a_server_error, status_code_conformance, response_schema_conformance]

PACKAGE = {
    "summary": "CRM crashes on every sales report",
    "impact_users": 40,
    "steps_taken": "Other browser, cleared cache, another account: same crash.",
    "reproduction_steps": "Open Reports > Sales > Q1, press Run.",
    "log_excerpts": "ERROR ReportEngine NullPointerException at line 42",
    "hypothesis": "The report query times out",
}

LOG = b"".join(
    f"2026-03-0{1 + i % 3}T10:{i:02d}:00Z ERROR worker-{i % 4} job {i} failed: timeout\n".encode()
    for i in range(40)
)

IMPORT_CSV = (
    b"Case ID,Activity,Timestamp,Resource,Group\n"
    b"C-1,Open,2025-03-03 09:00:00,sam,Service Desk\n"
    b"C-1,Resolve,2025-03-03 10:00:00,sam,\n"
)
IMPORT_MAPPING = {
    "system": "oldsm",
    "columns": {
        "Case ID": "case_id",
        "Activity": "activity",
        "Timestamp": "timestamp",
        "Resource": "resource",
        "Group": "group",
    },
    "groups": {"Service Desk": 1},
}

# Filled by the `desk` fixture for the test that runs; read by the generation hooks below.
REAL: dict[str, Any] = {}


def _build_desk() -> dict[str, Any]:
    """One of every object the API can address, made through the services."""
    l1 = TeamFactory(name="Service Desk", tier=1)
    l2 = TeamFactory(name="Application Support", tier=2)
    l3 = TeamFactory(name="Engineering", tier=3)
    # The fuzzing user: an admin (a manager who may also configure webhooks, routing and
    # users), so every operation is reached beyond its permission check.
    manager = UserFactory(username="maria", role=Role.ADMIN, teams=[l2])
    UserFactory(username="mike", role=Role.MANAGER)
    agent = UserFactory(username="lena", teams=[l2])
    l1_agent = UserFactory(username="sam", teams=[l1])
    UserFactory(username="omar", teams=[l3])
    requester = UserFactory(username="rita", role=Role.REQUESTER)
    category = Category.objects.order_by("pk").first()

    service = cmdb.service_create(name="CRM", owner_team=l2, actor=manager)
    ci = cmdb.item_create(name="crm-app-01", ci_type="server", service=service, actor=manager)
    db_ci = cmdb.item_create(name="crm-db-01", ci_type="database", service=service, actor=manager)
    dependency = cmdb.dependency_add(actor=manager, source=ci, kind="depends_on", target_ci=db_ci)

    ticket = tickets.ticket_create(
        actor=l1_agent,
        title="CRM sales report crashes",
        description="Every run of the Q1 report fails",
        requester=requester,
        category=category,
        team=l1,
        service=service,
        ci=ci,
        external_system="l1desk",
        external_id="L1-4711",
    )
    other = tickets.ticket_create(actor=agent, title="CRM login slow", team=l2, service=service)
    resolved = tickets.ticket_create(actor=agent, title="Printer offline", team=l2)
    tickets.ticket_assign(actor=agent, ticket=resolved, assignee=agent)
    tickets.ticket_transition(actor=agent, ticket=resolved, action="start")
    tickets.ticket_transition(
        actor=agent,
        ticket=resolved,
        action="resolve",
        resolution_code="fixed",
        resolution_notes="Restarted the spooler",
    )
    tickets.ticket_comment(
        actor=l1_agent, ticket=ticket, body="Customer calls again", internal=False
    )
    attachment = tickets.ticket_attach(
        actor=l1_agent, ticket=ticket, upload=SimpleUploadedFile("notes.txt", b"notes")
    )
    link = tickets.ticket_link(actor=agent, ticket=other, target=ticket, kind="related")
    esc = escalation.escalation_create(actor=l1_agent, ticket=ticket, to_team=l2, **PACKAGE)
    escalation.escalation_accept(actor=agent, escalation=esc, assign_to_self=True)
    pending = escalation.escalation_create(actor=agent, ticket=other, to_team=l3, **PACKAGE)

    task = collaboration.task_create(actor=agent, ticket=ticket, team=l3, title="Check the DB")
    alert = hierarchy.alert_raise(actor=agent, ticket=ticket, level="manager", reason="SLA risk")
    log = diagnostics.log_attach(
        actor=agent, ticket=ticket, upload=SimpleUploadedFile("app.log", LOG)
    )
    log = diagnostics.log_process(log_id=log.pk)
    evidence = diagnostics.evidence_pin(actor=agent, log=log, line_from=1, line_to=3, note="First")
    entry = worklog.time_entry_log(actor=agent, ticket=ticket, minutes=30, note="Read logs")

    change = changes.change_create(actor=manager, title="Raise pool size", cis=[db_ci])
    problem = problems.problem_create(
        actor=agent, title="CRM reports crash", statement="Reports fail", tickets=[ticket]
    )
    action = problems.action_create(actor=agent, problem=problem, title="Raise work_mem")
    factor_category = FactorCategory.objects.order_by("pk").first()
    factor = problems.factor_add(
        actor=agent, problem=problem, category=factor_category, text="No load test"
    )
    timeline = problems.timeline_entry_add(
        actor=agent, problem=problem, happened_at=timezone.now(), text="First crash"
    )
    ke = known_errors.known_error_create(actor=agent, problem=problem, workaround="Run at night")

    article = knowledge.article_create(
        actor=agent, title="CRM report crash", symptoms="Crash", resolution="Restart", owner=agent
    )
    article = knowledge.article_transition(actor=manager, article=article, action="publish")
    knowledge.article_feedback(actor=l1_agent, article=article, helpful=False, comment="Outdated")
    review = article.reviews.order_by("pk").first()

    sub = webhooks.subscription_create(
        actor=manager, name="L1", url="https://l1.example.com/hook", event_types=["ticket.created"]
    )
    webhooks.subscription_send_test(actor=manager, subscription=sub)
    delivery = sub.deliveries.order_by("pk").first()

    rule = routing.routing_rule_create(actor=manager, name="CRM to L2", team=l2, service=service)
    job = imports.import_job_create(
        actor=manager,
        kind="event_log",
        file=SimpleUploadedFile("log.csv", IMPORT_CSV, content_type="text/csv"),
        mapping=IMPORT_MAPPING,
        enqueue=False,
    )
    notification = notify(
        recipients=[manager], kind=NotificationKind.values[0], title="Look", actor=agent
    )[0]
    # Recurrence detection is the only writer of proposals; one stands in for its output.
    proposal = Proposal.objects.create(
        signature="schemathesis", title="CRM crashes", created_at=timezone.now()
    )
    proposal.tickets.set([ticket, other])

    _, secret = token_create(user=manager, name="schemathesis", scope=TokenScope.ADMIN)
    return {
        "secret": secret,
        "team": l2,
        "team_l3": l3,
        "manager": manager,
        "agent": agent,
        "category": category,
        "service": service,
        "ci": ci,
        "dependency": dependency,
        "ticket": ticket,
        "other": other,
        "resolved": resolved,
        "attachment": attachment,
        "link": link,
        "escalation": pending,
        "task": task,
        "alert": alert,
        "log": log,
        "template": ticket.log_templates.order_by("number").first(),
        "evidence": evidence,
        "time_entry": entry,
        "change": change,
        "problem": problem,
        "action": action,
        "factor": factor,
        "factor_category": factor_category,
        "timeline": timeline,
        "known_error": ke,
        "article": article,
        "review": review,
        "subscription": sub,
        "delivery": delivery,
        "policy": SlaPolicy.objects.order_by("pk").first(),
        "calendar": BusinessCalendar.objects.order_by("pk").first(),
        "ci_type": ci.ci_type,
        "rule": rule,
        "job": job,
        "notification": notification,
        "proposal": proposal,
    }


def _pk(obj: Any) -> int | None:
    return getattr(obj, "pk", None)


def _path_values(desk: dict[str, Any], path: str) -> dict[str, Any]:
    """Real values for the path parameters of `path` (a template like /tickets/{number})."""
    number = desk["ticket"].number
    if path.startswith("/kb/articles/"):
        number = desk["article"].number
    elif path.startswith("/problems/") and not path.startswith("/problems/tickets/"):
        number = desk["problem"].number
    elif path.startswith("/changes/") and not path.startswith("/changes/tickets/"):
        number = desk["change"].number
    slug = desk["team"].slug
    if path.startswith("/cmdb/ci-types/"):
        slug = desk["ci_type"]
    elif path.startswith("/problems/factor-categories/"):
        slug = desk["factor_category"].slug
    entry = desk["timeline"] if path.startswith("/problems/") else desk["time_entry"]
    template = desk["template"]
    return {
        "number": number,
        "slug": slug,
        "change": desk["change"].number,
        "ticket": desk["ticket"].number,
        "ref": desk["known_error"].number,
        "system": desk["ticket"].external_system,
        "external_id": desk["ticket"].external_id,
        "name": "volume",
        "alert_id": _pk(desk["alert"]),
        "attachment_id": _pk(desk["attachment"]),
        "escalation_id": _pk(desk["escalation"]),
        "ci_id": _pk(desk["ci"]),
        "service_id": _pk(desk["service"]),
        "dependency_id": _pk(desk["dependency"]),
        "job_id": _pk(desk["job"]),
        "team_id": _pk(desk["team"]),
        "review_id": _pk(desk["review"]),
        "notification_id": _pk(desk["notification"]),
        "proposal_id": _pk(desk["proposal"]),
        "action_id": _pk(desk["action"]),
        "factor_id": _pk(desk["factor"]),
        "entry_id": _pk(entry),
        "rule_id": _pk(desk["rule"]),
        "calendar_id": _pk(desk["calendar"]),
        "policy_id": _pk(desk["policy"]),
        "task_id": _pk(desk["task"]),
        "evidence_id": _pk(desk["evidence"]),
        "link_id": _pk(desk["link"]),
        "log_id": _pk(desk["log"]),
        "other_id": _pk(desk["log"]),
        "template": template.number if template else None,
        "sub_id": _pk(desk["subscription"]),
        "delivery_id": _pk(desk["delivery"]),
    }


def _body_values(desk: dict[str, Any]) -> dict[str, Any]:
    """Real values for the reference fields that request bodies carry."""
    user = desk["agent"].pk
    team = desk["team_l3"].pk
    return {
        "assignee": user,
        "owner": user,
        "requester": user,
        "user": user,
        "team": team,
        "to_team": team,
        "owner_team": team,
        "implementer_team": team,
        "category": desk["category"].pk,
        "ci": desk["ci"].pk,
        "target_ci": desk["ci"].pk,
        "service": desk["service"].pk,
        "target_service": desk["service"].pk,
        "calendar": desk["calendar"].pk,
        "change": desk["change"].number,
        "problem": desk["problem"].number,
        "ticket": desk["other"].number,
        "tickets": [desk["other"].number],
        "article": desk["article"].number,
    }


def _swap(values: dict[str, Any], real: dict[str, Any], keys: list[str]) -> dict[str, Any]:
    return {**values, **{k: real[k] for k in keys if real.get(k) is not None}}


def _path_template(context: Any) -> str:
    return context.operation.path if context.operation is not None else ""


@pytest.fixture
def desk(db):
    data = _build_desk()
    REAL.clear()
    REAL.update(data)
    yield data
    REAL.clear()


@pytest.fixture
def api_schema(desk, in_process_requests, unthrottled):
    """The schema as the running application serves it, with real ids mixed into the cases."""
    config = SchemathesisConfig.from_dict(
        {
            "seed": 20261127,
            "generation": {"deterministic": True, "max-examples": MAX_EXAMPLES},
            "phases": {"stateful": {"enabled": False}, "coverage": {"enabled": COVERAGE}},
        }
    )
    schema = schemathesis.openapi.from_wsgi(
        "/api/v1/openapi.json", get_wsgi_application(), config=config
    )

    @schema.hook
    def flatmap_path_parameters(context, path_parameters):
        if not path_parameters:
            return st.just(path_parameters)
        real = _path_values(REAL, _path_template(context).removeprefix("/api/v1"))
        keys = [k for k in path_parameters if real.get(k) is not None]
        if not keys:
            return st.just(path_parameters)
        return st.sampled_from([_swap(path_parameters, real, keys), path_parameters])

    @schema.hook
    def flatmap_body(context, body):
        if not isinstance(body, dict):
            return st.just(body)
        real = _body_values(REAL)
        keys = [k for k in body if k in real]
        if not keys:
            return st.just(body)
        return st.sampled_from([_swap(body, real, keys), body])

    return schema


@pytest.fixture
def unthrottled(settings):
    """Thousands of calls a minute from one token: the rate limiter would rightly answer 429 (its
    own tests cover that); here it would only hide the operations behind it."""
    settings.BACKLINE_API_RATE_PER_MINUTE = {"read": 10**9, "write": 10**9, "anonymous": 10**9}


@pytest.fixture
def in_process_requests():
    """Serve each request on the test's own connection, as Django's test client does: the WSGI
    handler would otherwise close it (and the test transaction with it) after every request."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def _subtest_node_ids(request):
    """Schemathesis' lazy schema names each operation's subtest by rewriting the node's `_nodeid`,
    which pytest 9 no longer keeps as an attribute: give it one to rewrite."""
    if not hasattr(request.node, "_nodeid"):
        request.node._nodeid = request.node.nodeid


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    derandomize=True,
    deadline=None,
    database=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
@pytest.mark.usefixtures("_subtest_node_ids")
def test_api_conforms_to_its_schema(case, desk):
    # Schemathesis's WSGI transport does not undo Content-Encoding; the pages' gzip is tested in
    # test_production_settings, the shapes here.
    headers = {"Authorization": f"Bearer {desk['secret']}", "Accept-Encoding": "identity"}
    with transaction.atomic():
        try:
            case.call_and_validate(headers=headers, checks=CHECKS)
        finally:
            transaction.set_rollback(True)


def test_schema_component_names_are_unique():
    """django-ninja files each schema under its class name: two classes of one name make one
    operation document the other's shape (the SLA policy list claimed the knowledge policy's)."""
    import backline.config.api  # noqa: F401 - imports every app's schemas

    seen: dict[str, set[str]] = {}
    stack = list(Schema.__subclasses__())
    while stack:
        cls = stack.pop()
        stack.extend(cls.__subclasses__())
        if cls.__module__.startswith("backline."):
            seen.setdefault(cls.__name__, set()).add(f"{cls.__module__}.{cls.__qualname__}")
    assert {name: where for name, where in seen.items() if len(where) > 1} == {}


def test_the_desk_covers_every_path_parameter(desk):
    """A path parameter with no real value is only ever fuzzed into a 404: name one for each."""
    from backline.config.api import api

    paths = api.get_openapi_schema()["paths"]
    missing = set()
    for path in paths:
        template = path.removeprefix("/api/v1")
        real = _path_values(desk, template)
        for name in (part[1:-1] for part in template.split("/") if part.startswith("{")):
            if real.get(name) is None:
                missing.add(f"{template}:{name}")
    assert not missing, sorted(missing)


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/tickets/%C2%B9",  # "¹" passes str.isdigit() but not int()
        "/api/v1/kb/articles/KB-%C2%B2",
        "/api/v1/problems/PRB-%C2%B3",
        "/api/v1/changes/CHG-%C2%B9",
        "/api/v1/known-errors/KE-%C2%B9",
        "/api/v1/changes/metrics?start=0380-02-06",  # local mean time: no valid RFC 3339 offset
        "/api/v1/changes/metrics?end=9999-12-31",  # no day after it
        "/api/v1/analytics/tickets?show=",  # a blank required filter
    ],
)
def test_what_the_fuzzer_found_is_answered_with_a_4xx(url, manager):
    from tests.conftest import api_client_for

    response = api_client_for(manager).get(url)
    assert 400 <= response.status_code < 500, (url, response.status_code)
    assert response.json()["code"] in {"not_found", "invalid"}
