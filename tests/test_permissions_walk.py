"""The permission walk (docs/security.md, issue 11): every role × object × action through the web
pages (session login, full pages and HTMX fragments) and the REST API (the user's token).

One world is built once for the module, inside a transaction rolled back at the end (what Django's
`setUpTestData` does), so the few hundred rows stay cheap; every row is its own test and rolls back
its own changes. A row says who asks, what, and what must happen:

- ``ok``: 200 and the object's marker (its title, a note's text, a file's content) in the body;
- ``denied``: 404, 403, 401 or a redirect to the login page, and neither the marker nor the
  ticket's number in the body;
- ``hidden``: the page or list may answer, but the marker and number are absent (lists, search,
  counts, snippets, suggestions, drill-downs).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client
from django.urls import Resolver404, resolve

from backline.accounts.choices import Role
from backline.analytics.queries import SHOW
from backline.changes import services as change_services
from backline.cmdb import services as cmdb_services
from backline.diagnostics import services as log_services
from backline.escalation import services as escalation_services
from backline.knowledge import services as kb_services
from backline.knowledge.choices import Audience
from backline.problems import services as problem_services
from backline.tickets import services as ticket_services
from backline.tickets.models import Category, Ticket
from backline.worklog import services as time_services
from tests.conftest import api_client_for
from tests.factories import TeamFactory, UserFactory

ROLES = (
    "anon",
    "req_a",
    "req_b",
    "l1_escalator",
    "l1_other",
    "l2",
    "l3",
    "sec",
    "manager",
    "admin",
)
STAFF = ("l1_escalator", "l1_other", "l2", "l3", "sec", "manager", "admin")

# --- who may see what (docs/security.md) ----------------------------------------------------
# T: a regular ticket of requester A, logged by the L1 escalator in L1, escalated to L2 (the other
# L1 agent's team held it, so they follow it too). S: a restricted Security ticket of requester A
# (resolved). R: a restricted Security ticket of requester B sitting in the L2 queue (misrouted):
# being in the queue is not enough.
SEES = {
    "T": {"req_a", "l1_escalator", "l1_other", "l2", "manager", "admin"},
    "S": {"req_a", "sec", "manager", "admin"},
    "R": {"req_b", "sec", "manager", "admin"},
}
# Internal notes and attachments, hand-off packages, diagnostics, work log, SLA clocks.
INTERNALS = {ticket: SEES[ticket] - {"req_a", "req_b"} for ticket in SEES}


@dataclass
class World:
    users: dict[str, Any]
    teams: dict[str, Any]
    tickets: dict[str, Ticket]
    attachments: dict[str, Any]
    log: Any
    problem: Any
    change: Any
    ci: Any
    articles: dict[str, Any]


def _build() -> World:
    l1 = TeamFactory(name="L1 service desk", tier=1)
    l2 = TeamFactory(name="L2 app support", tier=2)
    l3 = TeamFactory(name="L3 engineering", tier=3)
    security = TeamFactory(name="Security", tier=2)
    users = {
        "req_a": UserFactory(username="walk-req-a", role=Role.REQUESTER),
        "req_b": UserFactory(username="walk-req-b", role=Role.REQUESTER),
        "l1_escalator": UserFactory(username="walk-l1a", teams=[l1]),
        "l1_other": UserFactory(username="walk-l1b", teams=[l1]),
        "l2": UserFactory(username="walk-l2", teams=[l2]),
        "l3": UserFactory(username="walk-l3", teams=[l3]),
        "sec": UserFactory(username="walk-sec", teams=[security]),
        "manager": UserFactory(username="walk-manager", role=Role.MANAGER),
        "admin": UserFactory(username="walk-admin", role=Role.ADMIN),
    }
    u = users
    category = Category.objects.create(name="Security", restricted=True, team=security)
    ci = cmdb_services.item_create(name="payroll-db", ci_type="server", actor=u["manager"])

    t = ticket_services.ticket_create(
        actor=u["l1_escalator"],
        requester=u["req_a"],
        team=l1,
        ci=ci,
        title="Payroll export walkthrough times out",
        description="The monthly payroll export stops with a timeout after ten minutes.",
    )
    public_file = ticket_services.ticket_attach(
        actor=u["l1_escalator"],
        ticket=t,
        upload=SimpleUploadedFile("screen.txt", b"WALK-PUBLIC-FILE-CONTENT"),
    )
    internal_file = ticket_services.ticket_attach(
        actor=u["l1_escalator"],
        ticket=t,
        internal=True,
        upload=SimpleUploadedFile("dump.txt", b"WALK-INTERNAL-FILE-CONTENT"),
    )
    escalation = escalation_services.escalation_create(
        actor=u["l1_escalator"],
        ticket=t,
        to_team=l2,
        summary="WALK-HANDOFF-SUMMARY payroll export",
        impact_users=12,
        steps_taken="Retried twice",
    )
    escalation_services.escalation_accept(actor=u["l2"], escalation=escalation)
    t = Ticket.objects.get(pk=t.pk)
    ticket_services.ticket_comment(actor=u["l2"], ticket=t, body="WALK-PUBLIC-REPLY we are on it")
    ticket_services.ticket_comment(
        actor=u["l2"], ticket=t, body="WALK-INTERNAL-NOTE pool exhausted", internal=True
    )
    log = log_services.log_attach(
        actor=u["l2"],
        ticket=t,
        tz="UTC",
        upload=SimpleUploadedFile(
            "walk-payroll.log", b"2026-03-02 10:00:00 ERROR payroll pool exhausted\n" * 5
        ),
    )
    log_services.log_process(log_id=log.pk)
    time_services.time_entry_log(actor=u["l2"], ticket=t, minutes=25, note="WALK-TIME-NOTE")

    s = ticket_services.ticket_create(
        actor=u["sec"],
        requester=u["req_a"],
        team=security,
        category=category,
        ci=ci,
        title="Phishing walkthrough payroll export credentials",
        description="Payroll export credentials were typed into a phishing page; timeout later.",
    )
    ticket_services.ticket_comment(
        actor=u["sec"], ticket=s, body="WALK-SECRET-NOTE attacker ip", internal=True
    )
    for action in ("start", "resolve"):
        fields = (
            {"resolution_code": "fixed", "resolution_notes": "Reset"} if action == "resolve" else {}
        )
        ticket_services.ticket_transition(
            actor=u["sec"], ticket=Ticket.objects.get(pk=s.pk), action=action, **fields
        )
    r = ticket_services.ticket_create(
        actor=u["sec"],
        requester=u["req_b"],
        team=l2,
        category=category,
        ci=ci,
        title="Badge reader walkthrough tampering",
        description="Someone opened the badge reader in the lobby.",
    )

    problem = problem_services.problem_create(
        actor=u["manager"], title="Payroll walkthrough problem", tickets=[t, s, r]
    )
    change = change_services.change_create(actor=u["manager"], title="Walkthrough pool resize")
    for ticket in (t, s, r):
        change_services.ticket_change_link(actor=u["manager"], ticket=ticket, change=change)
    articles = {}
    for audience, title in (
        (Audience.PUBLIC, "Walk public article"),
        (Audience.INTERNAL, "Walk internal article"),
    ):
        article = kb_services.article_create(
            actor=u["manager"], title=title, resolution="Restart it", audience=audience
        )
        articles[audience] = kb_services.article_transition(
            actor=u["manager"], article=article, action="publish"
        )
    return World(
        users=users,
        teams={"l1": l1, "l2": l2, "l3": l3, "security": security},
        tickets={"T": t, "S": Ticket.objects.get(pk=s.pk), "R": r},
        attachments={"public": public_file, "internal": internal_file},
        log=log,
        problem=problem,
        change=change,
        ci=ci,
        articles=articles,
    )


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker) -> Iterator[World]:
    """The world, built once inside a transaction that is rolled back after the module."""
    with django_db_blocker.unblock(), transaction.atomic():
        built = _build()
        yield built
        transaction.set_rollback(True)


@pytest.fixture
def clients(world, db) -> Callable[[str], tuple[Client, Client]]:
    """(web client signed in with a session, API client with the user's token) for a role."""

    def make(role: str) -> tuple[Client, Client]:
        if role == "anon":
            return Client(), Client()
        web = Client()
        web.force_login(world.users[role])
        return web, api_client_for(world.users[role])

    return make


# --- the checks: what is asked, and the marker that shows the object was given -----------------


@dataclass(frozen=True)
class Check:
    fetch: Callable[[World, Client, Client], Any]
    marker: Callable[[World], str]
    ticket: str | None = None  # whose number must not show when denied or hidden


def _get(path: str, **headers: str) -> Callable[[World, Client, Client], Any]:
    return lambda w, web, api: web.get(path.format(w=w), **headers)


def _api(path: str, **params: Any) -> Callable[[World, Client, Client], Any]:
    return lambda w, web, api: api.get(path.format(w=w), params)


def _title(key: str) -> Callable[[World], str]:
    return lambda w: w.tickets[key].title


def _number(key: str) -> Callable[[World], str]:
    # Search pages highlight the matched words inside titles: the number is shown whole.
    return lambda w: w.tickets[key].number


def _text(value: str) -> Callable[[World], str]:
    return lambda w: value


T_PAGE = "/tickets/{w.tickets[T].number}/"
S_PAGE = "/tickets/{w.tickets[S].number}/"
HX = {"HTTP_HX_REQUEST": "true"}

CHECKS: dict[str, Check] = {
    # T, the regular escalated ticket: the page, its fragments, the API, its parts.
    "T page": Check(_get(T_PAGE), _title("T"), "T"),
    "T page (htmx)": Check(_get(T_PAGE, **HX), _title("T"), "T"),
    "T api": Check(_api("/api/v1/tickets/{w.tickets[T].number}"), _title("T"), "T"),
    "T api events": Check(
        _api("/api/v1/tickets/{w.tickets[T].number}/events"), _text("WALK-PUBLIC-REPLY"), "T"
    ),
    "T api comments": Check(
        _api("/api/v1/tickets/{w.tickets[T].number}/comments"), _text("WALK-PUBLIC-REPLY"), "T"
    ),
    "T public reply on page": Check(_get(T_PAGE), _text("WALK-PUBLIC-REPLY"), "T"),
    "T internal note on page": Check(_get(T_PAGE), _text("WALK-INTERNAL-NOTE"), "T"),
    "T internal note api events": Check(
        _api("/api/v1/tickets/{w.tickets[T].number}/events"), _text("WALK-INTERNAL-NOTE"), "T"
    ),
    "T internal note api comments": Check(
        _api("/api/v1/tickets/{w.tickets[T].number}/comments"), _text("WALK-INTERNAL-NOTE"), "T"
    ),
    "T public attachment": Check(
        _get("/attachments/{w.attachments[public].pk}/"), _text("WALK-PUBLIC-FILE"), "T"
    ),
    "T public attachment api": Check(
        _api("/api/v1/tickets/attachments/{w.attachments[public].pk}"),
        _text("WALK-PUBLIC-FILE"),
        "T",
    ),
    "T internal attachment": Check(
        _get("/attachments/{w.attachments[internal].pk}/"), _text("WALK-INTERNAL-FILE"), "T"
    ),
    "T internal attachment api": Check(
        _api("/api/v1/tickets/attachments/{w.attachments[internal].pk}"),
        _text("WALK-INTERNAL-FILE"),
        "T",
    ),
    "T internal attachment listed api": Check(
        _api("/api/v1/tickets/{w.tickets[T].number}/attachments"), _text("dump.txt"), "T"
    ),
    "T hand-off package api": Check(
        _api("/api/v1/tickets/{w.tickets[T].number}/escalations"),
        _text("WALK-HANDOFF-SUMMARY"),
        "T",
    ),
    "T hand-off package on page": Check(_get(T_PAGE), _text("WALK-HANDOFF-SUMMARY"), "T"),
    "T diagnostics panel": Check(
        _get("/tickets/{w.tickets[T].number}/logs/", **HX), _text("walk-payroll.log"), "T"
    ),
    "T diagnostics log page": Check(
        _get("/tickets/{w.tickets[T].number}/logs/{w.log.pk}/"), _text("walk-payroll.log"), "T"
    ),
    "T diagnostics api": Check(
        _api("/api/v1/tickets/{w.tickets[T].number}/logs"), _text("walk-payroll.log"), "T"
    ),
    "T work log api": Check(
        _api("/api/v1/tickets/{w.tickets[T].number}/time"), _text("WALK-TIME-NOTE"), "T"
    ),
    "T sla clocks api": Check(
        _api("/api/v1/tickets/{w.tickets[T].number}/clocks"), _text('"target"'), "T"
    ),
    "T portal page": Check(_get("/portal/tickets/{w.tickets[T].number}"), _title("T"), "T"),
    "T portal internal note": Check(
        _get("/portal/tickets/{w.tickets[T].number}"), _text("WALK-INTERNAL-NOTE"), "T"
    ),
    # S, the restricted Security ticket, and R, a restricted one in the L2 queue.
    "S page": Check(_get(S_PAGE), _title("S"), "S"),
    "S api": Check(_api("/api/v1/tickets/{w.tickets[S].number}"), _title("S"), "S"),
    "S internal note api comments": Check(
        _api("/api/v1/tickets/{w.tickets[S].number}/comments"), _text("WALK-SECRET-NOTE"), "S"
    ),
    "S internal note on page": Check(_get(S_PAGE), _text("WALK-SECRET-NOTE"), "S"),
    "R page": Check(_get("/tickets/{w.tickets[R].number}/"), _title("R"), "R"),
    "R api": Check(_api("/api/v1/tickets/{w.tickets[R].number}"), _title("R"), "R"),
    # Lists, search, suggestions.
    "queue lists T": Check(_get("/tickets/?queue=all"), _title("T"), "T"),
    "queue lists S": Check(_get("/tickets/?queue=all"), _title("S"), "S"),
    "queue lists R": Check(_get("/tickets/?queue=all"), _title("R"), "R"),
    "api list T": Check(_api("/api/v1/tickets", page_size=200), _title("T"), "T"),
    "api list S": Check(_api("/api/v1/tickets", page_size=200), _title("S"), "S"),
    "api list R": Check(_api("/api/v1/tickets", page_size=200), _title("R"), "R"),
    "search finds S": Check(_get("/search/?q=phishing"), _number("S"), "S"),
    "search (htmx) finds S": Check(_get("/search/?q=phishing", **HX), _number("S"), "S"),
    "search snippet of S": Check(_get("/search/?q=phishing+credentials"), _text("typed"), "S"),
    "api search finds S": Check(_api("/api/v1/search", q="phishing"), _title("S"), "S"),
    "api search finds R": Check(_api("/api/v1/search", q="badge reader"), _title("R"), "R"),
    "search finds T": Check(_get("/search/?q=walkthrough+payroll"), _number("T"), "T"),
    "api similar to T lists S": Check(
        lambda w, web, api: api.post(
            "/api/v1/search/similar",
            json.dumps({"text": w.tickets["T"].title + " " + w.tickets["T"].description}),
            content_type="application/json",
        ),
        _title("S"),
        "S",
    ),
    "suggestions on T list S": Check(
        _get("/kb/tickets/{w.tickets[T].number}/suggestions", **HX), _title("S"), "S"
    ),
    "api suggestions on T list S": Check(
        _api("/api/v1/kb/tickets/{w.tickets[T].number}/suggestions"), _title("S"), "S"
    ),
    # Problems, changes, configuration items.
    "problem page lists T": Check(_get("/problems/{w.problem.number}"), _title("T"), "T"),
    "problem page lists S": Check(_get("/problems/{w.problem.number}"), _title("S"), "S"),
    "problem api incidents T": Check(
        _api("/api/v1/problems/{w.problem.number}/incidents"), _title("T"), "T"
    ),
    "problem api incidents S": Check(
        _api("/api/v1/problems/{w.problem.number}/incidents"), _title("S"), "S"
    ),
    "problem report lists S": Check(
        _get("/problems/{w.problem.number}/report.md"), _title("S"), "S"
    ),
    "problem api report lists S": Check(
        _api("/api/v1/problems/{w.problem.number}/report.md"), _title("S"), "S"
    ),
    "change page lists S": Check(
        _get("/changes/{w.change.number}"), lambda w: w.tickets["S"].number, "S"
    ),
    "change api lists S": Check(
        _api("/api/v1/changes/{w.change.number}"), lambda w: w.tickets["S"].number, "S"
    ),
    "change page lists T": Check(
        _get("/changes/{w.change.number}"), lambda w: w.tickets["T"].number, "T"
    ),
    "CI page lists T": Check(_get("/cmdb/cis/{w.ci.pk}"), _title("T"), "T"),
    "CI page lists R": Check(_get("/cmdb/cis/{w.ci.pk}"), _title("R"), "R"),
    # Knowledge.
    "public article": Check(
        _get("/kb/{w.articles[public].number}"), lambda w: w.articles["public"].title
    ),
    "internal article": Check(
        _get("/kb/{w.articles[internal].number}"), lambda w: w.articles["internal"].title
    ),
}


def _expect(check: str, role: str, allowed: set[str], refusal: str) -> tuple[str, str, str]:
    return (role, check, "ok" if role in allowed else refusal)


ROWS: list[tuple[str, str, str]] = []
_T_REQUESTER_VIEWS = (
    "T page",
    "T page (htmx)",
    "T api",
    "T api events",
    "T api comments",
    "T public reply on page",
    "T public attachment",
    "T public attachment api",
)
_T_INTERNAL_ON_VISIBLE = (
    "T internal note on page",
    "T internal note api events",
    "T internal note api comments",
    "T internal attachment listed api",
    "T hand-off package on page",
)
_T_INTERNAL_OBJECTS = (
    "T internal attachment",
    "T internal attachment api",
    "T hand-off package api",
    "T diagnostics panel",
    "T diagnostics log page",
    "T diagnostics api",
    "T work log api",
    "T sla clocks api",
)


def _rows_of(role: str) -> Iterator[tuple[str, str, str]]:
    """The rows of one role: what each check must give them."""
    for check in _T_REQUESTER_VIEWS:
        yield _expect(check, role, SEES["T"], "denied")
    for check in _T_INTERNAL_ON_VISIBLE:
        # The requester gets the page without them; who cannot see T gets no page at all.
        yield (_expect(check, role, INTERNALS["T"], "hidden" if role in SEES["T"] else "denied"))
    for check in _T_INTERNAL_OBJECTS:
        yield _expect(check, role, INTERNALS["T"], "denied")
    for check in ("S page", "S api"):
        yield _expect(check, role, SEES["S"], "denied")
    for check in ("S internal note api comments", "S internal note on page"):
        yield (_expect(check, role, INTERNALS["S"], "hidden" if role in SEES["S"] else "denied"))
    for check in ("R page", "R api"):
        yield _expect(check, role, SEES["R"], "denied")
    for check in ("queue lists T", "api list T", "search finds T"):
        yield _expect(check, role, SEES["T"], "hidden")
    for check in (
        "queue lists S",
        "api list S",
        "search finds S",
        "search (htmx) finds S",
        "search snippet of S",
        "api search finds S",
    ):
        yield _expect(check, role, SEES["S"], "hidden")
    for check in ("queue lists R", "api list R", "api search finds R"):
        yield _expect(check, role, SEES["R"], "hidden")
    # Problems, changes and CIs are for staff; what they list follows the tickets.
    staff = role in STAFF
    for check, key in (
        ("problem page lists T", "T"),
        ("problem api incidents T", "T"),
        ("problem page lists S", "S"),
        ("problem api incidents S", "S"),
        ("problem report lists S", "S"),
        ("problem api report lists S", "S"),
        ("change page lists S", "S"),
        ("change api lists S", "S"),
        ("change page lists T", "T"),
        ("CI page lists T", "T"),
        ("CI page lists R", "R"),
    ):
        yield _expect(check, role, SEES[key] & set(STAFF), "hidden" if staff else "denied")
    # Similar incidents and suggestions are asked about T: who sees T and not S must not get S.
    yield _expect("api similar to T lists S", role, SEES["S"], "hidden")
    for check in ("suggestions on T list S", "api suggestions on T list S"):
        yield (
            _expect(
                check,
                role,
                SEES["S"] & SEES["T"] & set(STAFF),
                "hidden" if role in SEES["T"] and staff else "denied",
            )
        )
    yield _expect("public article", role, set(ROLES) - {"anon"}, "denied")
    # Internal articles are for Level 2 and up (Level 1 reads L1 and public ones).
    yield (_expect("internal article", role, set(STAFF) - {"l1_escalator", "l1_other"}, "denied"))


for _role in ROLES:
    ROWS.extend(_rows_of(_role))
# The portal is the requesters' own view of their tickets.
ROWS += [
    ("req_a", "T portal page", "ok"),
    ("req_a", "T portal internal note", "hidden"),
    ("req_b", "T portal page", "denied"),
    ("anon", "T portal page", "denied"),
]


def _body(response: Any) -> str:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content).decode(errors="replace")
    return response.content.decode(errors="replace")


def _assert_row(world: World, role: str, check: Check, response: Any, expected: str) -> None:
    body = _body(response)
    marker = check.marker(world)
    status = response.status_code
    if expected == "ok":
        assert status == 200, f"expected 200, got {status}"
        assert marker in body, f"{marker!r} missing from the answer"
        return
    refused = status in (401, 403, 404) or (
        status == 302 and "/accounts/login/" in response.get("Location", "")
    )
    if expected == "denied":
        assert refused, f"expected a refusal (401/403/404/login), got {status}"
    else:
        assert refused or status == 200, f"expected an answer without it, got {status}"
    assert marker not in body, f"{marker!r} leaked"
    if check.ticket and role not in SEES[check.ticket]:
        number = world.tickets[check.ticket].number
        # A 404 names the number the user asked for ("No ticket INC-…"): that is no leak.
        echoed = re.sub(rf"No (ticket|request) {number}", "", body)
        assert number not in echoed, f"{number} leaked"


@pytest.mark.parametrize(
    ("role", "check", "expected"), ROWS, ids=[f"{r}|{c}|{e}" for r, c, e in ROWS]
)
def test_walk(world, clients, role, check, expected):
    web, api = clients(role)
    spec = CHECKS[check]
    _assert_row(world, role, spec, spec.fetch(world, web, api), expected)


# --- analytics: the drill-down behind every number, and the team choice -----------------------


@pytest.mark.parametrize("key", sorted(SHOW))
def test_walk_drilldown_never_lists_restricted_tickets_to_the_l2_agent(world, clients, key):
    """R sits in the L2 queue but is restricted: the L2 agent's drill-downs never list it."""
    web, api = clients("l2")
    params = {"show": key, "team": world.teams["l2"].pk, "period": "30d"}
    for response in (
        web.get("/analytics/tickets", params),
        api.get("/api/v1/analytics/tickets", params),
    ):
        assert response.status_code == 200, (key, response.status_code)
        body = _body(response)
        assert world.tickets["R"].title not in body
        assert world.tickets["R"].number not in body


@pytest.mark.parametrize(
    ("role", "team", "expected"),
    [
        ("l2", "l2", 200),
        ("l2", "security", 403),
        ("l2", None, 403),  # every team's numbers
        ("l3", "l2", 403),
        ("sec", "security", 200),
        ("manager", None, 200),
        ("manager", "security", 200),
        ("admin", None, 200),
        ("req_a", None, 403),
    ],
)
def test_walk_dashboard_team_choice(world, clients, role, team, expected):
    """Agents see the dashboard and drill-downs of their own teams; managers and admins all."""
    web, api = clients(role)
    params: dict[str, Any] = {"period": "30d"}
    if team:
        params["team"] = world.teams[team].pk
    else:
        params["view"] = "all"
    assert web.get("/analytics/", params).status_code == expected
    assert web.get("/analytics/tickets", {**params, "show": "created"}).status_code == expected
    api_params = {k: v for k, v in params.items() if k != "view"}
    assert api.get("/api/v1/analytics/summary", api_params).status_code == expected
    assert api.get("/api/v1/analytics/tickets", {**api_params, "show": "created"}).status_code == (
        expected
    )


def test_walk_dashboard_offers_agents_only_their_teams(world, clients):
    web, _ = clients("l2")
    page = _body(web.get("/analytics/"))
    assert "L2 app support (L2)" in page and "Security (L2)" not in page
    web, _ = clients("manager")
    page = _body(web.get("/analytics/"))
    assert "L2 app support (L2)" in page and "Security (L2)" in page


@pytest.mark.parametrize("role", ["l2", "manager"])
def test_walk_drilldown_lists_what_the_viewer_may_see(world, clients, role):
    web, _ = clients(role)
    params = {"show": "created", "team": world.teams["l2"].pk, "period": "30d"}
    body = _body(web.get("/analytics/tickets", params))
    assert world.tickets["T"].title in body
    assert (world.tickets["R"].title in body) == (role == "manager")


# --- configuration and the audit log: admins only ---------------------------------------------

CONFIG_PAGES = (
    "/settings/sla/",
    "/settings/calendars/",
    "/settings/webhooks/",
    "/settings/alerts/",
    "/settings/mailboxes/",
    "/settings/import/",
    "/cmdb/import",
    "/settings/routing/",
    "/audit/",
)


def _json_body(payload: Callable[[World], dict]) -> Callable[[World, Client], Any]:
    return lambda w, api: (
        lambda path: api.post(path, json.dumps(payload(w)), content_type="application/json")
    )


def _csv_upload(**fields: str) -> Callable[[World, Client], Any]:
    def send(w: World, api: Client) -> Callable[[str], Any]:
        upload = SimpleUploadedFile("walk.csv", b"name\nwalk-service\n", content_type="text/csv")
        return lambda path: api.post(path, {"file": upload, **fields})

    return send


def _first_calendar() -> int:
    from backline.sla.models import BusinessCalendar

    return BusinessCalendar.objects.order_by("pk").values_list("pk", flat=True)[0]


# Each configuration write with a valid body: only the permission can refuse it.
CONFIG_API: dict[str, tuple[str, Callable[[World, Client], Any]]] = {
    "webhook subscriptions": ("/api/v1/webhooks/subscriptions", lambda w, api: api.get),
    "webhook deliveries": ("/api/v1/webhooks/deliveries", lambda w, api: api.get),
    "import jobs": ("/api/v1/imports", lambda w, api: api.get),
    "audit events": ("/api/v1/audit/events", lambda w, api: api.get),
    "new calendar": ("/api/v1/sla/calendars", _json_body(lambda w: {"name": "Walk calendar"})),
    "new sla policy": (
        "/api/v1/sla/policies",
        _json_body(
            lambda w: {
                "name": "Walk policy",
                "calendar": _first_calendar(),
                "first_response_minutes": 60,
                "resolution_minutes": 480,
            }
        ),
    ),
    "new routing rule": (
        "/api/v1/routing-rules",
        _json_body(lambda w: {"name": "Walk rule", "team": w.teams["l2"].pk}),
    ),
    "new webhook": (
        "/api/v1/webhooks/subscriptions",
        _json_body(
            lambda w: {
                "name": "Walk hook",
                "url": "https://hooks.example.com/walk",
                "event_types": ["ticket.created"],
            }
        ),
    ),
    "ticket import": ("/api/v1/imports", _csv_upload(kind="ticket_csv", mapping="{}")),
    "cmdb import": ("/api/v1/cmdb/import?kind=services", _csv_upload()),
}


def _routed(path: str) -> bool:
    try:
        resolve(path.split("?")[0])
    except Resolver404:
        return False
    return True


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("path", CONFIG_PAGES)
def test_walk_configuration_pages_are_for_admins(world, clients, path, role):
    if not _routed(path):
        pytest.skip(f"{path} is not routed in this build")
    web, _ = clients(role)
    response = web.get(path)
    if role == "admin":
        assert response.status_code == 200
    elif role == "anon":
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    else:
        assert response.status_code in (403, 404)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("what", CONFIG_API)
def test_walk_configuration_api_is_for_admins(world, clients, what, role):
    path, send = CONFIG_API[what]
    if not _routed(path):
        pytest.skip(f"{path} is not routed in this build")
    _, api = clients(role)
    response = send(world, api)(path)
    if role == "admin":
        # Done, or (the import's empty mapping) a field error: past the permission check.
        assert response.status_code in (200, 201, 422), response.content[:300]
    elif role == "anon":
        assert response.status_code == 401
    else:
        assert response.status_code in (403, 404), response.content[:300]


def test_walk_covers_every_check():
    """Every check is walked by at least one row, and every row names a known check."""
    walked = {check for _, check, _ in ROWS}
    assert walked == set(CHECKS), set(CHECKS) ^ walked
