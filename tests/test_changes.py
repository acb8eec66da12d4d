"""Changes: rules (state machine, ranking), services, "what changed?" on reference case (a),
cause links and the change-induced rate, the expiry sweep (also two workers racing), the API
and the pages."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta

import pytest
from django.db import connection
from django.test import Client
from hypothesis import given
from hypothesis import strategies as st

from backline.changes import queries, rules, services
from backline.changes.choices import CauseKind, ChangeKind, ChangeState
from backline.changes.models import Change, ChangeEvent, ExpiryNotice, TicketChangeLink
from backline.cmdb.models import CiType, ConfigurationItem, Dependency, Service
from backline.core.errors import Conflict, DomainError, PermissionDenied
from backline.tickets.choices import EventKind, Source
from backline.tickets.models import Ticket, TicketEvent
from tests.conftest import api_client_for
from tests.factories import TeamFactory, make_ticket

T = datetime(2026, 11, 16, 9, 0, tzinfo=UTC)  # the incident starts
HX = {"HTTP_HX_REQUEST": "true"}


# --- rules -------------------------------------------------------------------------------------


def _go(kind, state, action, approved=False, manager=False):
    return rules.check_transition(
        kind=kind, state=state, action=action, approved=approved, manager=manager
    )


def test_a_normal_change_needs_a_managers_approval_before_it_starts():
    with pytest.raises(DomainError, match="approval"):
        _go("normal", "planned", "start")
    with pytest.raises(PermissionDenied):
        _go("normal", "planned", "approve")
    assert _go("normal", "planned", "approve", manager=True) == "approved"
    assert _go("normal", "approved", "start", approved=True) == "in_progress"


def test_standard_changes_are_pre_approved_and_emergencies_are_approved_afterwards():
    assert _go("standard", "planned", "start") == "in_progress"
    with pytest.raises(DomainError, match="pre-approved"):
        _go("standard", "planned", "approve", manager=True)
    assert _go("emergency", "planned", "start") == "in_progress"
    # approved late: the state stays, the approval is recorded
    assert _go("emergency", "done", "approve", manager=True) == "done"
    with pytest.raises(DomainError, match="already approved"):
        _go("emergency", "done", "approve", approved=True, manager=True)


def test_finished_changes_do_not_move_and_unknown_actions_name_the_field():
    assert _go("normal", "in_progress", "roll_back", approved=True) == "rolled_back"
    assert _go("normal", "failed", "roll_back", approved=True) == "rolled_back"
    with pytest.raises(DomainError) as exc:
        _go("normal", "done", "start", approved=True)
    assert exc.value.field == "action"
    with pytest.raises(DomainError) as exc:
        _go("normal", "planned", "explode")
    assert exc.value.field == "action"
    assert rules.available_actions(
        kind="normal", state="planned", approved=False, manager=False
    ) == ["cancel"]
    assert rules.available_actions(
        kind="normal", state="planned", approved=False, manager=True
    ) == ["approve", "cancel"]


def test_initial_state_lets_pipelines_record_work_already_done():
    assert rules.initial_state("standard", "done", T) == "done"
    with pytest.raises(DomainError) as exc:
        rules.initial_state("normal", "done", T)
    assert exc.value.field == "state"
    with pytest.raises(DomainError) as exc:
        rules.initial_state("standard", "done", None)
    assert exc.value.field == "actual_start"


@given(
    h1=st.floats(0, 1000, allow_nan=False),
    h2=st.floats(0, 1000, allow_nan=False),
    d=st.integers(0, 10),
    bad=st.booleans(),
    risk=st.sampled_from(["low", "medium", "high"]),
)
def test_closer_in_time_never_scores_lower(h1, h2, d, bad, risk):
    near, far = sorted((h1, h2))
    assert rules.score(near, d, bad_outcome=bad, risk=risk) >= rules.score(
        far, d, bad_outcome=bad, risk=risk
    )


@given(
    h=st.floats(0, 1000, allow_nan=False),
    d1=st.integers(0, 10),
    d2=st.integers(0, 10),
    bad=st.booleans(),
)
def test_closer_in_the_graph_never_ranks_lower(h, d1, d2, bad):
    near, far = sorted((d1, d2))
    a = rules.Ranked(1, rules.score(h, near, bad_outcome=bad), h, near)
    b = rules.Ranked(2, rules.score(h, far, bad_outcome=bad), h, far)
    ranked = rules.rank([b, a])
    assert ranked.index(a) <= ranked.index(b) or (near == far)


@given(h=st.floats(0, 500, allow_nan=False), d=st.integers(0, 6))
def test_a_failed_change_weighs_more(h, d):
    assert rules.score(h, d, bad_outcome=True) > rules.score(h, d)


def test_window_and_descriptions():
    assert rules.in_window(T - timedelta(hours=21), T - timedelta(hours=20), T, 72)
    assert not rules.in_window(T - timedelta(hours=101), T - timedelta(hours=100), T, 72)
    assert rules.in_window(T + timedelta(minutes=10), T + timedelta(minutes=20), T, 72)
    assert not rules.in_window(T + timedelta(hours=2), T + timedelta(hours=3), T, 72)
    assert rules.describe_when(T - timedelta(hours=21), T - timedelta(hours=20), T) == (
        "ended 20 h before"
    )
    assert rules.describe_where(1, "crm-db-01") == "1 hop upstream: crm-db-01"
    assert rules.describe_where(0, "crm-app-01") == "on the CI"
    with pytest.raises(DomainError):
        rules.parse_hours("0")
    with pytest.raises(DomainError):
        rules.parse_hours("abc")


# --- fixture: reference case (a) ------------------------------------------------------------


def _ci(name, ci_type, service=None, team=None, **kw):
    return ConfigurationItem.objects.create(
        name=name, ci_type=ci_type, service=service, owner_team=team, **kw
    )


def _recorded(actor, title, cis, end, *, kind=ChangeKind.STANDARD, minutes=30, state="done"):
    """A change a pipeline recorded after the fact, ending `end`."""
    return services.change_create(
        actor=actor,
        title=title,
        kind=kind,
        cis=cis,
        state=state,
        actual_start=end - timedelta(minutes=minutes),
        actual_end=end,
        source="pipeline",
        at=end,
    )


@pytest.fixture
def case_a(db, l2_agent, manager, app_support):
    dba = TeamFactory(name="Database Team", tier=3)
    crm = Service.objects.create(name="CRM", owner_team=app_support)
    hr = Service.objects.create(name="HR portal")
    app1 = _ci("crm-app-01", "server", crm, app_support)
    app2 = _ci("crm-app-02", "server", crm, app_support)
    db = _ci("crm-db-01", "database", crm, dba)
    conf = _ci("crm-db-01 configuration", "configuration", crm, dba)
    other = _ci("hr-web-01", "server", hr)
    Dependency.objects.create(source=app1, target_ci=db, kind="depends_on")
    Dependency.objects.create(source=db, target_ci=conf, kind="depends_on")
    # The parameter change went the normal way: planned, approved, made.
    param = services.change_create(
        actor=l2_agent,
        title="Lower work_mem on crm-db-01",
        kind=ChangeKind.NORMAL,
        risk="medium",
        cis=[conf],
        implementer_team=dba,
        planned_start=T - timedelta(hours=21),
        planned_end=T - timedelta(hours=20),
        at=T - timedelta(days=3),
    )
    param = services.change_transition(
        actor=manager, change=param, action="approve", at=T - timedelta(days=2)
    )
    param = services.change_transition(
        actor=l2_agent, change=param, action="start", at=T - timedelta(hours=20, minutes=30)
    )
    param = services.change_transition(
        actor=l2_agent, change=param, action="complete", at=T - timedelta(hours=20)
    )
    patch = _recorded(l2_agent, "OS patch hr-web-01", [other], T - timedelta(hours=2))
    deploy = _recorded(l2_agent, "Deploy CRM 4.2 to crm-app-02", [app2], T - timedelta(hours=40))
    old = _recorded(l2_agent, "Index rebuild crm-db-01", [db], T - timedelta(hours=100))
    ticket = make_ticket(
        l2_agent,
        title="CRM crashes whenever users generate reports",
        service=crm,
        ci=app1,
        team=app_support,
        at=T,
    )
    return {
        "ticket": ticket, "param": param, "patch": patch, "deploy": deploy, "old": old,
        "crm": crm, "app1": app1, "app2": app2, "db": db, "conf": conf, "dba": dba,
    }  # fmt: skip


# --- services ------------------------------------------------------------------------------


def test_change_lifecycle_records_times_approval_and_history(case_a, manager):
    param = case_a["param"]
    assert param.state == ChangeState.DONE
    assert param.approved_by == manager
    assert param.actual_start == T - timedelta(hours=20, minutes=30)
    assert param.actual_end == T - timedelta(hours=20)
    kinds = list(ChangeEvent.objects.filter(change=param).values_list("kind", flat=True))
    assert kinds == ["completed", "started", "approved", "created"]


def test_requesters_cannot_record_changes(requester):
    with pytest.raises(PermissionDenied):
        services.change_create(actor=requester, title="x")


def test_a_window_that_ends_before_it_starts_is_refused(l2_agent):
    with pytest.raises(DomainError) as exc:
        services.change_create(
            actor=l2_agent, title="x", planned_start=T, planned_end=T - timedelta(hours=1)
        )
    assert exc.value.field == "planned_end"


def test_edit_with_a_stale_version_is_a_conflict(case_a, l2_agent):
    change = case_a["deploy"]
    edited = services.change_update(
        actor=l2_agent, change=change, version=change.version, title="Deploy CRM 4.2.1"
    )
    assert edited.version == change.version + 1
    with pytest.raises(Conflict):
        services.change_update(actor=l2_agent, change=change, version=change.version, risk="high")
    assert ChangeEvent.objects.filter(change=change, kind="edited").count() == 1


def test_an_emergency_change_starts_at_once_and_is_approved_afterwards(l2_agent, manager):
    change = services.change_create(actor=l2_agent, title="Hotfix", kind=ChangeKind.EMERGENCY)
    change = services.change_transition(actor=l2_agent, change=change, action="start")
    change = services.change_transition(actor=l2_agent, change=change, action="complete")
    change = services.change_transition(actor=manager, change=change, action="approve")
    assert change.state == ChangeState.DONE and change.approved_by == manager


# --- what changed? ----------------------------------------------------------------------------


def test_what_changed_ranks_the_database_parameter_change_first(case_a):
    found = queries.what_changed(case_a["ticket"], hours=72)
    numbers = [c.change.pk for c in found]
    assert numbers == [case_a["param"].pk, case_a["deploy"].pk]  # unrelated and old left out
    first = found[0]
    assert first.distance == 2
    assert first.reasons[:2] == ["2 hops upstream: crm-db-01 configuration", "ended 20 h before"]
    assert found[1].reasons[0] == "same service: crm-app-02"


def test_a_narrower_window_drops_the_older_deployment(case_a):
    found = queries.what_changed(case_a["ticket"], hours=24)
    assert [c.change.pk for c in found] == [case_a["param"].pk]
    wider = queries.what_changed(case_a["ticket"], hours=120)
    assert case_a["old"].pk in [c.change.pk for c in wider]


def test_a_change_on_the_ci_itself_outranks_one_upstream_at_the_same_time(case_a, l2_agent):
    on_ci = _recorded(l2_agent, "Restart crm-app-01", [case_a["app1"]], T - timedelta(hours=20))
    found = queries.what_changed(case_a["ticket"])
    assert found[0].change == on_ci and found[0].reasons[0] == "on the CI"


def test_a_ticket_with_only_a_service_looks_at_its_cis(case_a, l2_agent):
    ticket = make_ticket(l2_agent, title="CRM slow", service=case_a["crm"], at=T)
    found = queries.what_changed(ticket)
    assert case_a["param"].pk in [c.change.pk for c in found]
    assert queries.what_changed(make_ticket(l2_agent, title="No CI", at=T)) == []


def test_affected_cis_follow_the_dependencies(case_a):
    affected = queries.ticket_affected(case_a["ticket"])
    assert [(a.ci.name, a.hops) for a in affected] == [
        ("crm-app-01", 0),
        ("crm-db-01", 1),
        ("crm-db-01 configuration", 2),
    ]


# --- cause links and the metric -----------------------------------------------------------------


def test_linking_a_cause_records_it_on_both_sides_and_the_latest_kind_wins(case_a, l2_agent):
    ticket, param = case_a["ticket"], case_a["param"]
    services.ticket_change_link(actor=l2_agent, ticket=ticket, change=param, kind="suspected")
    services.ticket_change_link(actor=l2_agent, ticket=ticket, change=param, kind="suspected")
    link = services.ticket_change_link(
        actor=l2_agent, ticket=ticket, change=param, kind="confirmed"
    )
    assert link.kind == CauseKind.CONFIRMED
    assert TicketChangeLink.objects.filter(ticket=ticket).count() == 1
    events = TicketEvent.objects.filter(ticket=ticket, kind=EventKind.CHANGE_LINKED)
    assert [e.data["kind"] for e in events.order_by("id")] == ["suspected", "confirmed"]
    assert queries.what_changed(ticket)[0].link_kind == "confirmed"
    assert [lk.ticket for lk in queries.change_incidents(param, l2_agent)] == [ticket]
    services.ticket_change_unlink(actor=l2_agent, ticket=ticket, change=param)
    assert not TicketChangeLink.objects.exists()
    assert TicketEvent.objects.filter(ticket=ticket, kind=EventKind.CHANGE_UNLINKED).count() == 1
    assert ChangeEvent.objects.filter(change=param, kind="unlinked").count() == 1


def test_change_induced_rate_counts_tickets_with_a_confirmed_cause(case_a, l2_agent):
    ticket = case_a["ticket"]
    other = make_ticket(l2_agent, title="Printer", at=T + timedelta(hours=1))
    suspected = make_ticket(l2_agent, title="CRM slow", at=T + timedelta(hours=2))
    make_ticket(l2_agent, title="Outside the period", at=T - timedelta(days=40))
    for change in (case_a["param"], case_a["deploy"]):  # two causes, still one ticket
        services.ticket_change_link(actor=l2_agent, ticket=ticket, change=change, kind="confirmed")
    services.ticket_change_link(
        actor=l2_agent, ticket=suspected, change=case_a["param"], kind="suspected"
    )
    m = queries.change_induced_rate(T - timedelta(days=1), T + timedelta(days=1))
    assert (m["tickets"], m["change_induced"], m["with_cause_link"]) == (3, 1, 2)
    assert m["causing_changes"] == 2
    assert m["rate"] == pytest.approx(1 / 3)
    assert other.pk


# --- expiring credentials --------------------------------------------------------------------


@pytest.fixture
def erp_token(db, app_support):
    CiType.objects.update_or_create(
        slug="credential",
        defaults={"name": "Credential", "has_expiry": True, "expiry_warning_days": 14},
    )
    erp = Service.objects.create(name="ERP")
    return _ci(
        "ERP integration token", "credential", erp, app_support, expires_at=date(2026, 12, 3)
    )


def test_the_sweep_opens_one_ticket_per_expiring_credential(erp_token, app_support):
    early = services.credentials_expiry_sweep(now=datetime(2026, 11, 1, 8, tzinfo=UTC))
    assert early == {"opened": 0, "skipped": 0}  # 32 days ahead: not yet
    now = datetime(2026, 11, 20, 8, tzinfo=UTC)
    assert services.credentials_expiry_sweep(now=now)["opened"] == 1
    assert services.credentials_expiry_sweep(now=now)["opened"] == 0
    ticket = Ticket.objects.get(ci=erp_token)
    assert ticket.title == "Credential ERP integration token expires on 2026-12-03"
    assert ticket.team == app_support and ticket.source == Source.MONITORING
    assert "rotate the token" in ticket.description
    # renewed with a new date: the next expiry gets its own ticket in time
    erp_token.expires_at = date(2027, 1, 10)
    erp_token.save()
    assert services.credentials_expiry_sweep(now=now)["opened"] == 0
    later = datetime(2026, 12, 30, 8, tzinfo=UTC)
    assert services.credentials_expiry_sweep(now=later)["opened"] == 1
    assert ExpiryNotice.objects.count() == 2


def test_retired_items_and_types_without_expiry_are_left_alone(erp_token, app_support):
    erp_token.status = "retired"
    erp_token.save()
    _ci("crm-app-09", "server", expires_at=date(2026, 11, 21))
    assert services.credentials_expiry_sweep(now=datetime(2026, 11, 20, tzinfo=UTC))["opened"] == 0


@pytest.mark.django_db(transaction=True)
def test_two_workers_open_exactly_one_ticket_per_expiring_credential(app_support):
    CiType.objects.update_or_create(
        slug="certificate",
        defaults={"name": "Certificate", "has_expiry": True, "expiry_warning_days": 30},
    )
    for i in range(5):
        _ci(f"cert-{i}", "certificate", team=app_support, expires_at=date(2026, 12, 1 + i))
    now = datetime(2026, 11, 20, 8, tzinfo=UTC)
    services.system_user()  # made once, as the first sweep would
    barrier = threading.Barrier(2)
    results: list[dict] = []
    errors: list[BaseException] = []

    def worker() -> None:
        barrier.wait()
        try:
            results.append(services.credentials_expiry_sweep(now=now))
        except BaseException as exc:  # surfaced below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sum(r["opened"] for r in results) == 5
    assert Ticket.objects.filter(source=Source.MONITORING).count() == 5
    assert ExpiryNotice.objects.filter(ticket__isnull=False).count() == 5


# --- API ------------------------------------------------------------------------------------


def test_a_pipeline_creates_a_change_once_with_an_idempotency_key(case_a, api):
    body = {
        "title": "Deploy CRM 4.3",
        "kind": "standard",
        "state": "done",
        "cis": ["crm-app-01", case_a["app2"].pk],
        "actual_start": "2026-11-16T10:00:00Z",
        "actual_end": "2026-11-16T10:05:00Z",
        "source": "pipeline",
        "external_ref": "gitlab#4711",
    }
    headers = {"HTTP_IDEMPOTENCY_KEY": "run-4711"}
    first = api.post("/api/v1/changes", body, content_type="application/json", **headers)
    again = api.post("/api/v1/changes", body, content_type="application/json", **headers)
    assert first.status_code == 201, first.content
    assert again.json()["id"] == first.json()["id"]
    assert again["Idempotent-Replayed"] == "true"
    assert Change.objects.filter(external_ref="gitlab#4711").count() == 1
    assert sorted(c["name"] for c in first.json()["cis"]) == ["crm-app-01", "crm-app-02"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"title": "x", "cis": ["no-such-ci"]}, "cis"),
        ({"title": "x", "kind": "sideways"}, "kind"),
        (
            {"title": "x", "kind": "normal", "state": "done", "actual_start": "2026-11-16T10:00Z"},
            "state",
        ),
        (
            {
                "title": "x",
                "planned_start": "2026-11-16T10:00Z",
                "planned_end": "2026-11-16T09:00Z",
            },
            "planned_end",
        ),
        ({"title": "   "}, "title"),
    ],
)
def test_bad_change_input_is_a_4xx_naming_the_field(case_a, api, body, field):
    response = api.post("/api/v1/changes", body, content_type="application/json")
    assert response.status_code in (400, 422)
    data = response.json()
    assert data["field"] == field or field in {e["field"] for e in data["errors"]}, data


def test_api_patch_transition_and_links(case_a, api, manager):
    param = case_a["param"]
    url = f"/api/v1/changes/{param.number}"
    stale = api.patch(url, {"version": 1, "risk": "high"}, content_type="application/json")
    assert stale.status_code == 409
    ok = api.patch(url, {"version": param.version, "risk": "high"}, content_type="application/json")
    assert ok.status_code == 200 and ok.json()["risk"] == "high"
    plan = api.post("/api/v1/changes", {"title": "Upgrade PostgreSQL"},
                    content_type="application/json").json()  # fmt: skip
    refused = api.post(f"/api/v1/changes/{plan['number']}/transition", {"action": "approve"},
                       content_type="application/json")  # fmt: skip
    assert refused.status_code == 403
    approved = api_client_for(manager).post(
        f"/api/v1/changes/{plan['number']}/transition", {"action": "approve"},
        content_type="application/json",
    )  # fmt: skip
    assert approved.json()["state"] == "approved"

    ticket = case_a["ticket"]
    wc = api.get(f"/api/v1/changes/tickets/{ticket.number}/what-changed?hours=72")
    assert wc.status_code == 200
    assert wc.json()["candidates"][0]["change"]["number"] == param.number
    assert (
        api.get(f"/api/v1/changes/tickets/{ticket.number}/what-changed?hours=0").json()["field"]
        == "hours"
    )
    link = api.post(
        f"/api/v1/changes/tickets/{ticket.number}/causes",
        {"change": param.number, "kind": "confirmed"},
        content_type="application/json",
    )
    assert link.status_code == 200 and link.json()["kind"] == "confirmed"
    assert api.get(url).json()["incidents"][0]["kind"] == "confirmed"
    metrics = api.get("/api/v1/changes/metrics?start=2026-11-01&end=2026-11-30").json()
    assert metrics["change_induced"] == 1 and metrics["tickets"] == 1
    gone = api.delete(f"/api/v1/changes/tickets/{ticket.number}/causes/{param.number}")
    assert gone.status_code == 204
    assert api.get(f"/api/v1/changes/tickets/{ticket.number}/causes").json() == []


def test_api_list_filters(case_a, api):
    rows = api.get("/api/v1/changes", {"ci": case_a["app2"].pk}).json()
    assert [r["number"] for r in rows["items"]] == [case_a["deploy"].number]
    rows = api.get("/api/v1/changes", {"kind": "normal", "state": "done"}).json()
    assert [r["number"] for r in rows["items"]] == [case_a["param"].number]
    assert api.get("/api/v1/changes", {"state": "nope"}).status_code in (400, 422)


def test_requesters_cannot_use_the_changes_api(case_a, requester):
    assert api_client_for(requester).get("/api/v1/changes").status_code == 403


# --- pages ------------------------------------------------------------------------------------


def test_change_list_shows_the_rate_and_filters(case_a, web):
    response = web.get("/changes/", {"kind": "normal"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "change-induced incident rate" in html
    assert case_a["param"].number in html and case_a["deploy"].number not in html


def test_the_ticket_page_shows_the_panel_and_the_fragment_ranks(case_a, web):
    ticket = case_a["ticket"]
    page = web.get(f"/tickets/{ticket.number}/").content.decode()
    assert "What changed?" in page and "Affected service &amp; CIs" in page
    fragment = web.get(f"/changes/tickets/{ticket.number}/what-changed?hours=72", **HX)
    html = fragment.content.decode()
    assert "<html" not in html
    assert html.index(case_a["param"].number) < html.index(case_a["deploy"].number)
    full = web.get(f"/changes/tickets/{ticket.number}/what-changed?hours=24")
    assert "<html" in full.content.decode() and case_a["deploy"].number not in full.content.decode()
    affected = web.get(f"/changes/tickets/{ticket.number}/affected", **HX).content.decode()
    assert "crm-db-01 configuration" in affected


def test_linking_from_the_ticket_page_shows_on_ticket_and_change(case_a, web):
    ticket, param = case_a["ticket"], case_a["param"]
    response = web.post(
        f"/changes/tickets/{ticket.number}/link",
        {"change": param.number, "kind": "confirmed"},
        **HX,
    )
    assert response.status_code == 200 and response["HX-Refresh"] == "true"
    page = web.get(f"/tickets/{ticket.number}/").content.decode()
    assert (
        "Confirmed cause" in page and f"{param.number}</a> {param.title} as the confirmed" in page
    )
    detail = web.get(f"/changes/{param.number}").content.decode()
    assert ticket.number in detail and "caused 1 incident" in detail
    response = web.post(f"/changes/tickets/{ticket.number}/unlink", {"change": param.number})
    assert response.status_code == 302
    assert not TicketChangeLink.objects.exists()


def test_create_edit_and_approve_through_the_pages(case_a, web, manager):
    response = web.post(
        "/changes/new",
        {"title": "Upgrade crm-db-01", "kind": "normal", "risk": "high",
         "cis": [case_a["db"].pk], "planned_start": "2026-12-01T20:00",
         "planned_end": "2026-12-01T19:00"},
    )  # fmt: skip
    assert response.status_code == 422 and "must not be before" in response.content.decode()
    response = web.post(
        "/changes/new",
        {"title": "Upgrade crm-db-01", "kind": "normal", "risk": "high",
         "cis": [case_a["db"].pk], "planned_start": "2026-12-01T20:00",
         "planned_end": "2026-12-01T22:00"},
    )  # fmt: skip
    change = Change.objects.get(title="Upgrade crm-db-01")
    assert response.status_code == 302 and response["Location"] == change.get_absolute_url()
    web.post(f"/changes/{change.number}/transition", {"action": "start", "version": 1})
    change.refresh_from_db()
    assert change.state == "planned"  # an agent cannot start an unapproved normal change
    boss = Client()
    boss.force_login(manager)
    assert "Approve" in boss.get(change.get_absolute_url()).content.decode()
    boss.post(f"/changes/{change.number}/transition", {"action": "approve", "version": 1})
    change.refresh_from_db()
    assert change.state == "approved" and change.approved_by == manager
    edit = web.post(
        f"/changes/{change.number}/edit",
        {"title": "Upgrade crm-db-01 to 17", "kind": "normal", "risk": "high",
         "cis": [case_a["db"].pk], "version": change.version},
    )  # fmt: skip
    assert edit.status_code == 302
    change.refresh_from_db()
    assert change.title == "Upgrade crm-db-01 to 17"


def test_requesters_cannot_see_change_pages(case_a, requester):
    client = Client()
    client.force_login(requester)
    assert client.get("/changes/").status_code in (403, 404)
    assert client.get(f"/changes/tickets/{case_a['ticket'].number}/what-changed").status_code in (
        403,
        404,
    )
