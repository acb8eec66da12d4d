"""Problem management core: PRB problems, incident links, structured RCA, corrective and
preventive actions, the post-incident report; rules, services, queries, API and pages."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from django.test import Client

from backline.changes import services as change_services
from backline.core.errors import Conflict, DomainError, PermissionDenied
from backline.problems import export, queries, rules, services
from backline.problems.choices import ActionState, ProblemState
from backline.problems.filters import ProblemFilter
from backline.problems.models import (
    Action,
    ContributingFactor,
    FactorCategory,
    Problem,
    ProblemEvent,
    ProblemIncident,
    TimelineEntry,
    WhyStep,
)
from backline.tickets.models import TicketEvent
from tests.conftest import api_client_for
from tests.factories import make_ticket

pytestmark = pytest.mark.django_db
T = datetime(2025, 3, 4, 9, 0, tzinfo=UTC)


@pytest.fixture
def problem(l2_agent):
    return services.problem_create(
        actor=l2_agent, title="CRM reports crash", statement="Since 1 March"
    )


@pytest.fixture
def process():
    return FactorCategory.objects.get(slug="process")


def _rca_ready(actor, problem):
    problem = services.whys_set(actor=actor, problem=problem, whys=["a", "b", "c"])
    return services.root_cause_set(
        actor=actor, problem=problem, root_cause="work_mem too low", cause_code="configuration"
    )


# --- rules -------------------------------------------------------------------------------------


def test_state_machine_goes_forward_with_its_checks():
    facts = rules.ProblemFacts(state=ProblemState.NEW)
    assert rules.check_transition(facts, "investigate") == ProblemState.INVESTIGATING
    with pytest.raises(DomainError) as exc:
        rules.check_transition(
            rules.ProblemFacts(state=ProblemState.INVESTIGATING), "root_cause_known"
        )
    assert exc.value.field == "root_cause"
    blocked = rules.ProblemFacts(
        state=ProblemState.FIX_IN_PROGRESS, has_root_cause=True, open_corrective=2
    )
    with pytest.raises(DomainError, match="2 corrective actions are still open") as exc:
        rules.check_transition(blocked, "resolve")
    assert exc.value.field == "actions"
    ok = rules.ProblemFacts(state=ProblemState.FIX_IN_PROGRESS, has_root_cause=True)
    assert rules.check_transition(ok, "resolve") == ProblemState.RESOLVED
    with pytest.raises(DomainError):
        rules.check_transition(ok, "close")  # not from fix in progress without a closure


def test_close_needs_a_closure_and_a_fix_claim_needs_a_resolved_problem():
    resolved = rules.ProblemFacts(state=ProblemState.RESOLVED, may_close=True)
    with pytest.raises(DomainError) as exc:
        rules.check_transition(resolved, "close")
    assert exc.value.field == "closure"
    assert rules.check_transition(resolved, "close", "recurrence_stopped") == ProblemState.CLOSED
    early = rules.ProblemFacts(state=ProblemState.INVESTIGATING, may_close=True)
    with pytest.raises(DomainError, match="needs a resolved problem"):
        rules.check_transition(early, "close", "recurrence_stopped")
    assert rules.check_transition(early, "close", "duplicate") == ProblemState.CLOSED
    with pytest.raises(PermissionDenied):
        rules.check_transition(
            rules.ProblemFacts(state=ProblemState.RESOLVED), "close", "duplicate"
        )
    assert "close" not in rules.available_actions(rules.ProblemFacts(state=ProblemState.RESOLVED))


def test_whys_chain_rules():
    assert rules.check_whys([" a ", "b", "", ""]) == ["a", "b"]
    assert rules.check_whys([]) == []
    assert rules.chain_root(["a", "b"]) == "b"
    with pytest.raises(DomainError) as exc:
        rules.check_whys(["a", " ", "c"])
    assert exc.value.field == "whys.1"
    with pytest.raises(DomainError):
        rules.check_whys([str(i) for i in range(11)])


def test_overdue_rule_and_action_steps():
    today = date(2025, 3, 10)
    assert rules.is_overdue(date(2025, 3, 9), ActionState.OPEN, today)
    assert not rules.is_overdue(date(2025, 3, 10), ActionState.IN_PROGRESS, today)
    assert not rules.is_overdue(date(2025, 3, 1), ActionState.DONE, today)
    assert not rules.is_overdue(None, ActionState.OPEN, today)
    assert rules.check_action_transition(ActionState.OPEN, "done") == ActionState.DONE
    with pytest.raises(DomainError):
        rules.check_action_transition(ActionState.DONE, "start")


def test_evidence_references():
    assert rules.parse_evidence("CHG-7") == ("change", 7)
    assert rules.parse_evidence("http://x/tickets/INC-000012/#event-34") == ("event", 34)
    assert rules.parse_evidence("/attachments/5/") == ("attachment", 5)
    assert rules.parse_evidence("nonsense") is None
    assert rules.parse_number("prb-12") == 12 and rules.parse_number("x") is None


# --- services ----------------------------------------------------------------------------------


def test_link_from_either_side_records_events_on_both_timelines(l2_agent, problem):
    a, b = make_ticket(l2_agent, title="A"), make_ticket(l2_agent, title="B")
    services.problem_link_incidents(actor=l2_agent, problem=problem, tickets=[a, b])
    again = services.problem_link_incidents(actor=l2_agent, problem=problem, tickets=[a])
    assert again == []
    assert ProblemIncident.objects.filter(problem=problem).count() == 2
    assert TicketEvent.objects.filter(ticket=a, kind="problem_linked").count() == 1
    assert services.problem_unlink_incident(actor=l2_agent, problem=problem, ticket=a)
    assert not services.problem_unlink_incident(actor=l2_agent, problem=problem, ticket=a)
    assert TicketEvent.objects.filter(ticket=a, kind="problem_unlinked").count() == 1
    kinds = list(problem.events.values_list("kind", flat=True))
    assert kinds == ["created", "incident_linked", "incident_unlinked"]


def test_update_checks_version_and_names_who_changed_it(l2_agent, l3_agent, problem):
    services.problem_update(actor=l3_agent, problem=problem, version=1, title="Reports crash")
    with pytest.raises(Conflict, match="Omar Third changed"):
        services.problem_update(actor=l2_agent, problem=problem, version=1, priority=1)
    fresh = Problem.objects.get(pk=problem.pk)
    assert (fresh.title, fresh.priority, fresh.version) == ("Reports crash", 3, 2)


def test_bad_input_changes_nothing(l2_agent, problem, requester):
    before = ProblemEvent.objects.count()
    with pytest.raises(DomainError) as exc:
        services.problem_update(actor=l2_agent, problem=problem, version=1, title="  ")
    assert exc.value.field == "title"
    with pytest.raises(DomainError) as exc:
        services.problem_update(actor=l2_agent, problem=problem, version=1, priority=9)
    assert exc.value.field == "priority"
    with pytest.raises(DomainError):
        services.whys_set(actor=l2_agent, problem=problem, whys=["a", "", "c"], version=1)
    with pytest.raises(DomainError) as exc:
        services.root_cause_set(actor=l2_agent, problem=problem, root_cause="x", cause_code="nope")
    assert exc.value.field == "cause_code"
    with pytest.raises(PermissionDenied):
        services.problem_update(actor=requester, problem=problem, title="x")
    assert ProblemEvent.objects.count() == before
    assert not WhyStep.objects.exists()
    assert Problem.objects.get(pk=problem.pk).version == 1


def test_whys_replace_the_chain_in_one_go_and_conflict_when_stale(l2_agent, problem):
    problem = services.whys_set(actor=l2_agent, problem=problem, whys=["a", "b"], version=1)
    problem = services.whys_set(actor=l2_agent, problem=problem, whys=["x", "y", "z"], version=2)
    assert list(problem.whys.values_list("text", flat=True)) == ["x", "y", "z"]
    with pytest.raises(Conflict):
        services.whys_set(actor=l2_agent, problem=problem, whys=["q"], version=2)
    assert WhyStep.objects.filter(problem=problem).count() == 3


def test_resolve_needs_root_cause_and_corrective_actions_done(l2_agent, problem):
    problem = services.problem_transition(actor=l2_agent, problem=problem, action="investigate")
    with pytest.raises(DomainError):
        services.problem_transition(actor=l2_agent, problem=problem, action="root_cause_known")
    problem = _rca_ready(l2_agent, problem)
    problem = services.problem_transition(
        actor=l2_agent, problem=problem, action="root_cause_known"
    )
    fix = services.action_create(actor=l2_agent, problem=problem, title="Raise work_mem")
    services.action_create(
        actor=l2_agent, problem=problem, title="Alert on memory", kind="preventive"
    )
    problem = services.problem_transition(actor=l2_agent, problem=problem, action="start_fix")
    with pytest.raises(DomainError, match="1 corrective action is still open"):
        services.problem_transition(actor=l2_agent, problem=problem, action="resolve")
    services.action_transition(actor=l2_agent, action=fix, step="done")
    problem = services.problem_transition(actor=l2_agent, problem=problem, action="resolve")
    assert problem.state == ProblemState.RESOLVED and problem.resolved_at
    problem = services.problem_transition(
        actor=l2_agent, problem=problem, action="close", closure="recurrence_stopped"
    )
    assert problem.closure == "recurrence_stopped"
    with pytest.raises(DomainError, match="closed"):
        services.factor_add(
            actor=l2_agent, problem=problem, category=FactorCategory.objects.first(), text="x"
        )
    problem = services.problem_transition(actor=l2_agent, problem=problem, action="reopen")
    assert (problem.state, problem.closure, problem.closed_at) == ("investigating", "", None)


def test_only_owner_team_or_manager_close(l2_agent, l3_agent, manager, problem):
    problem = services.problem_transition(actor=l2_agent, problem=problem, action="investigate")
    with pytest.raises(PermissionDenied):
        services.problem_transition(
            actor=l3_agent, problem=problem, action="close", closure="duplicate"
        )
    closed = services.problem_transition(
        actor=manager, problem=problem, action="close", closure="duplicate"
    )
    assert closed.state == ProblemState.CLOSED


def test_timeline_factors_and_root_cause_are_events(l2_agent, problem, process):
    change = change_services.change_create(actor=l2_agent, title="Lower work_mem")
    ticket = make_ticket(l2_agent)
    event = ticket.events.first()
    entry = services.timeline_entry_add(
        actor=l2_agent, problem=problem, happened_at=T, text="Parameter lowered", change=change
    )
    services.timeline_entry_add(
        actor=l2_agent,
        problem=problem,
        happened_at=T + timedelta(hours=20),
        text="First crash",
        ticket_event=event,
    )
    factor = services.factor_add(actor=l2_agent, problem=problem, category=process, text="No CAB")
    services.root_cause_set(
        actor=l2_agent, problem=problem, root_cause="work_mem", cause_code="change"
    )
    services.timeline_entry_remove(actor=l2_agent, entry=entry)
    services.factor_remove(actor=l2_agent, factor=factor)
    assert list(TimelineEntry.objects.values_list("text", flat=True)) == ["First crash"]
    assert not ContributingFactor.objects.exists()
    parts = [e.data.get("part") for e in problem.events.filter(kind="rca_updated")]
    assert parts == ["timeline", "timeline", "factors", "root_cause", "timeline", "factors"]
    with pytest.raises(DomainError) as exc:
        services.timeline_entry_add(
            actor=l2_agent, problem=problem, happened_at=T.replace(tzinfo=None), text="x"
        )
    assert exc.value.field == "happened_at"


def test_action_update_with_version_and_a_change_link(l2_agent, l3_agent, problem):
    change = change_services.change_create(actor=l2_agent, title="Raise work_mem")
    action = services.action_create(
        actor=l2_agent, problem=problem, title="Fix it", owner=l3_agent, due_date=date(2025, 1, 1)
    )
    assert action.owner == l3_agent
    action = services.action_update(actor=l2_agent, action=action, version=1, change=change)
    assert action.change == change and action.version == 2
    with pytest.raises(Conflict):
        services.action_update(actor=l2_agent, action=action, version=1, title="Other")
    with pytest.raises(DomainError) as exc:
        services.action_update(actor=l2_agent, action=action, version=2, title=" ")
    assert exc.value.field == "title"
    assert Action.objects.get(pk=action.pk).title == "Fix it"


def test_factor_categories_are_configured_by_managers(l2_agent, manager):
    with pytest.raises(PermissionDenied):
        services.factor_category_create(actor=l2_agent, name="Security")
    cat = services.factor_category_create(actor=manager, name="Security")
    assert cat.slug == "security" and cat.position > 0
    with pytest.raises(DomainError):
        services.factor_category_create(actor=manager, name="security")
    services.factor_category_update(actor=manager, category=cat, is_active=False)
    assert cat not in queries.factor_categories()


# --- queries -----------------------------------------------------------------------------------


def test_problem_list_filters(l2_agent, app_support, problem):
    other = services.problem_create(actor=l2_agent, title="VPN drops", priority=1, team=app_support)
    ticket = make_ticket(l2_agent)
    services.problem_link_incidents(actor=l2_agent, problem=other, tickets=[ticket])
    found = list(queries.problem_list(l2_agent, ProblemFilter(team=app_support.pk)))
    assert found == [other] and found[0].incident_count == 1
    assert list(queries.problem_list(l2_agent, ProblemFilter(q="crm"))) == [problem]
    assert list(queries.problem_list(l2_agent, ProblemFilter(q=problem.number))) == [problem]
    assert list(queries.problem_list(l2_agent, ProblemFilter(priority=1))) == [other]
    assert queries.problem_get(l2_agent, str(problem.pk)) == problem
    assert [link.problem for link in queries.ticket_problems(ticket)] == [other]


def test_requesters_see_no_problems(requester, problem):
    assert not queries.problems_visible_to(requester).exists()
    with pytest.raises(DomainError):
        queries.problem_get(requester, problem.number)


def test_overdue_actions_for_the_owner(l2_agent, l3_agent, problem):
    today = date(2025, 3, 10)
    late = services.action_create(
        actor=l2_agent, problem=problem, title="Late", due_date=date(2025, 3, 1)
    )
    services.action_create(actor=l2_agent, problem=problem, title="On time", due_date=today)
    services.action_create(
        actor=l2_agent, problem=problem, title="Theirs", owner=l3_agent, due_date=date(2025, 3, 1)
    )
    done = services.action_create(
        actor=l2_agent, problem=problem, title="Done", due_date=date(2025, 3, 1)
    )
    services.action_transition(actor=l2_agent, action=done, step="done")
    assert queries.overdue_actions(l2_agent, today) == [late]
    mine = queries.actions_for(l2_agent, today=today)
    assert [a.title for a in mine] == ["Late", "On time"] and mine[0].overdue


# --- export ------------------------------------------------------------------------------------


def test_report_has_every_part(l2_agent, problem, process):
    ticket = make_ticket(l2_agent, title="Report | crash")
    services.problem_link_incidents(actor=l2_agent, problem=problem, tickets=[ticket])
    change = change_services.change_create(actor=l2_agent, title="Raise work_mem")
    services.timeline_entry_add(
        actor=l2_agent, problem=problem, happened_at=T, text="Param lowered", change=change
    )
    services.factor_add(actor=l2_agent, problem=problem, category=process, text="No review")
    problem = _rca_ready(l2_agent, problem)
    services.action_create(actor=l2_agent, problem=problem, title="Raise it", change=change)
    md = export.report_markdown(problem, l2_agent)
    for part in (
        "# Post-incident report: PRB-",
        "Since 1 March",
        "**Linked incidents:** 1",
        "Report \\| crash",
        "Param lowered",
        change.number,
        "3. c **(root cause)**",
        "**Process:** No review",
        "work_mem too low",
        "Configuration",
        "Raise it",
        f"{change.number} (planned)",
    ):
        assert part in md, part
    html = export.report_html(problem, l2_agent)
    assert "<h2>5 whys</h2>" in html and "<table>" in html and "<script" not in html


# --- API ---------------------------------------------------------------------------------------


def test_api_create_is_idempotent_and_links_tickets(api, l2_agent):
    ticket = make_ticket(l2_agent)
    body = {"title": "Printing fails", "tickets": [ticket.number], "priority": 2}
    first = api.post(
        "/api/v1/problems", body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="k1"
    )
    again = api.post(
        "/api/v1/problems", body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="k1"
    )
    assert first.status_code == 201, first.json()
    assert again.json()["id"] == first.json()["id"] and again["Idempotent-Replayed"] == "true"
    assert first.json()["incidents"] == [ticket.number]
    assert Problem.objects.count() == 1


def test_api_bad_input_names_the_field_and_writes_nothing(api):
    r = api.post(
        "/api/v1/problems", {"title": "x", "tickets": ["INC-999"]}, content_type="application/json"
    )
    assert r.status_code == 422 and r.json()["field"] == "tickets"
    r = api.post("/api/v1/problems", {"title": " "}, content_type="application/json")
    assert r.status_code == 422 and r.json()["field"] == "title"
    assert not Problem.objects.exists()


def test_api_patch_transition_and_conflict(api, problem):
    url = f"/api/v1/problems/{problem.number}"
    r = api.patch(url, {"version": 1, "priority": 2}, content_type="application/json")
    assert r.status_code == 200 and r.json()["version"] == 2
    r = api.patch(url, {"version": 1, "priority": 1}, content_type="application/json")
    assert r.status_code == 409 and r.json()["code"] == "conflict"
    r = api.post(f"{url}/transition", {"action": "investigate"}, content_type="application/json")
    assert r.json()["state"] == "investigating"
    r = api.post(f"{url}/transition", {"action": "resolve"}, content_type="application/json")
    assert r.status_code == 422 and r.json()["field"] == "action"


def test_api_incidents_bulk_link_and_unlink(api, l2_agent, problem):
    a, b = make_ticket(l2_agent), make_ticket(l2_agent)
    url = f"/api/v1/problems/{problem.number}/incidents"
    r = api.post(url, {"tickets": [a.number, str(b.pk)]}, content_type="application/json")
    assert r.json() == {"linked": [a.number, b.number], "already": []}
    r = api.post(url, {"tickets": [a.number]}, content_type="application/json")
    assert r.json() == {"linked": [], "already": [a.number]}
    assert api.delete(f"{url}/{a.number}").status_code == 204
    assert api.delete(f"{url}/{a.number}").status_code == 404
    assert [i["ticket"] for i in api.get(url).json()] == [b.number]


def test_api_rca(api, l2_agent, problem):
    base = f"/api/v1/problems/{problem.number}/rca"
    r = api.put(
        f"{base}/whys", {"whys": ["a", "b", "c"], "version": 1}, content_type="application/json"
    )
    assert r.status_code == 200 and r.json()["whys"] == ["a", "b", "c"]
    r = api.put(f"{base}/whys", {"whys": ["x"], "version": 1}, content_type="application/json")
    assert r.status_code == 409
    r = api.put(
        f"{base}/root-cause",
        {"root_cause": "c", "cause_code": "software"},
        content_type="application/json",
    )
    assert r.json()["cause_code"] == "software"
    change = change_services.change_create(actor=l2_agent, title="Deploy")
    r = api.post(
        f"{base}/timeline",
        {"happened_at": T.isoformat(), "text": "Deployed", "change": change.number},
        content_type="application/json",
    )
    assert r.status_code == 201 and r.json()["change"] == change.number
    entry = r.json()["id"]
    r = api.post(
        f"{base}/timeline",
        {"happened_at": T.isoformat(), "text": "x", "change": "CHG-999"},
        content_type="application/json",
    )
    assert r.status_code == 422 and r.json()["field"] == "change"
    r = api.post(
        f"{base}/factors",
        {"category": "vendor", "text": "Slow support"},
        content_type="application/json",
    )
    assert r.status_code == 201 and r.json()["category_name"] == "Vendor"
    r = api.post(
        f"{base}/factors", {"category": "nope", "text": "x"}, content_type="application/json"
    )
    assert r.status_code == 422 and r.json()["field"] == "category"
    rca = api.get(base).json()
    assert len(rca["timeline"]) == 1 and len(rca["factors"]) == 1
    assert api.delete(f"{base}/timeline/{entry}").status_code == 204
    assert api.delete(f"{base}/factors/{rca['factors'][0]['id']}").status_code == 204
    assert api.get(base).json()["timeline"] == []


def test_api_actions_and_mine(api, l2_agent, problem):
    change = change_services.change_create(actor=l2_agent, title="Fix")
    url = f"/api/v1/problems/{problem.number}/actions"
    r = api.post(
        url,
        {"title": "Patch", "change": change.number, "due_date": "2020-01-01"},
        content_type="application/json",
    )
    assert r.status_code == 201, r.json()
    action = r.json()
    assert action["change"]["number"] == change.number and action["overdue"] is True
    r = api.patch(
        f"{url}/{action['id']}", {"version": 1, "change": ""}, content_type="application/json"
    )
    assert r.json()["change"] is None and r.json()["version"] == 2
    r = api.patch(
        f"{url}/{action['id']}", {"version": 1, "title": "y"}, content_type="application/json"
    )
    assert r.status_code == 409
    r = api.post(
        f"{url}/{action['id']}/transition", {"step": "start"}, content_type="application/json"
    )
    assert r.json()["state"] == "in_progress"
    mine = api.get("/api/v1/problems/actions/mine?overdue=true").json()
    assert [a["id"] for a in mine] == [action["id"]]


def test_api_reports_and_categories(api, manager, problem):
    md = api.get(f"/api/v1/problems/{problem.number}/report.md")
    assert md.status_code == 200 and md["Content-Type"].startswith("text/markdown")
    assert b"## 5 whys" in md.content
    html = api.get(f"/api/v1/problems/{problem.number}/report.html")
    assert b"<h2>Problem statement</h2>" in html.content
    assert [c["slug"] for c in api.get("/api/v1/problems/factor-categories").json()][:2] == [
        "people",
        "process",
    ]
    r = api.post(
        "/api/v1/problems/factor-categories", {"name": "X"}, content_type="application/json"
    )
    assert r.status_code == 403
    boss = api_client_for(manager)
    r = boss.post(
        "/api/v1/problems/factor-categories", {"name": "Security"}, content_type="application/json"
    )
    assert r.status_code == 201


def test_api_refuses_requesters(requester, problem):
    client = api_client_for(requester)
    assert client.get(f"/api/v1/problems/{problem.number}").status_code == 404
    assert client.get("/api/v1/problems").status_code == 403


# --- pages -------------------------------------------------------------------------------------


def test_problem_pages_render(web, l2_agent, problem):
    ticket = make_ticket(l2_agent, title="Blank pages")
    services.problem_link_incidents(actor=l2_agent, problem=problem, tickets=[ticket])
    assert b"CRM reports crash" in web.get("/problems/").content
    page = web.get(f"/problems/{problem.number}")
    assert page.status_code == 200 and ticket.number.encode() in page.content
    assert web.get(f"/problems/{problem.pk}").status_code == 302
    assert b"Problems" in web.get(f"/tickets/{ticket.number}/").content
    report = web.get(f"/problems/{problem.number}/report")
    assert b"Post-incident report" in report.content


def test_new_problem_from_a_ticket_is_prefilled_and_links_it(web, l2_agent):
    ticket = make_ticket(l2_agent, title="Blank pages", description="Floor 3")
    page = web.get(f"/problems/new?ticket={ticket.number}")
    assert b'value="Blank pages"' in page.content and ticket.number.encode() in page.content
    r = web.post("/problems/new", {"title": "Blank pages", "priority": 3, "tickets": ticket.number})
    assert r.status_code == 302
    assert ProblemIncident.objects.filter(ticket=ticket).exists()


def test_new_problem_bad_input_is_a_form_error(web):
    r = web.post("/problems/new", {"title": "x", "priority": 3, "tickets": "INC-999"})
    assert r.status_code == 422 and b"No ticket INC-999" in r.content
    assert not Problem.objects.exists()


def test_whys_editor_with_and_without_htmx(web, problem):
    url = f"/problems/{problem.number}/rca/whys"
    r = web.post(url, {"why": ["a", "b"], "op": "add", "version": 1}, HTTP_HX_REQUEST="true")
    assert r.status_code == 200 and r.content.count(b'name="why"') == 3
    assert not WhyStep.objects.exists()  # adding a row saves nothing
    r = web.post(url, {"why": ["a", "b", "c"], "op": "save", "version": 1})
    assert r.status_code == 302
    r = web.post(url, {"why": ["a", "b", "c"], "op": "up-2", "version": 2}, HTTP_HX_REQUEST="true")
    assert r.status_code == 200 and b'id="problem"' in r.content and b"<html" not in r.content
    assert list(WhyStep.objects.values_list("text", flat=True)) == ["a", "c", "b"]
    r = web.post(url, {"why": ["z"], "op": "save", "version": 1}, HTTP_HX_REQUEST="true")
    assert r.status_code == 409 and b"Not saved" in r.content
    r = web.post(url, {"why": ["a", "", "c"], "op": "save", "version": 3})
    assert r.status_code == 422 and b"a chain has no gaps" in r.content


def test_transition_refusal_is_shown_on_the_page(web, problem):
    r = web.post(
        f"/problems/{problem.number}/transition",
        {"action": "resolve", "version": 1},
        HTTP_HX_REQUEST="true",
    )
    assert r.status_code == 422 and b"cannot move to resolve" in r.content
    r = web.post(f"/problems/{problem.number}/transition", {"action": "investigate", "version": 1})
    assert r.status_code == 302
    assert Problem.objects.get(pk=problem.pk).state == "investigating"


def test_action_form_errors_and_change_link(web, l2_agent, problem):
    r = web.post(
        f"/problems/{problem.number}/actions",
        {"title": "Fix", "kind": "corrective", "change": "CHG-999"},
    )
    assert r.status_code == 422 and b"No change CHG-999" in r.content
    change = change_services.change_create(actor=l2_agent, title="Fix")
    r = web.post(
        f"/problems/{problem.number}/actions",
        {"title": "Fix", "kind": "corrective", "change": change.number},
    )
    assert r.status_code == 302
    page = web.get(f"/problems/{problem.number}")
    assert change.number.encode() in page.content and b"Planned" in page.content


def test_bulk_link_from_the_queue(web, l2_agent, problem):
    a, b = make_ticket(l2_agent), make_ticket(l2_agent)
    queue = web.get("/tickets/", {"queue": "all"})
    assert b'form="queue-selection"' in queue.content and b"Link to problem" in queue.content
    r = web.post(
        "/problems/bulk-link", {"tickets": [a.number, b.number], "problem": problem.number}
    )
    assert r.status_code == 302 and ProblemIncident.objects.filter(problem=problem).count() == 2
    r = web.post("/problems/bulk-link", {"tickets": [a.number], "problem": ""})
    assert r["Location"] == f"/problems/new?ticket={a.number}"


def test_ticket_panel_links_by_number(web, l2_agent, problem):
    ticket = make_ticket(l2_agent)
    r = web.post(f"/problems/tickets/{ticket.number}/link", {"problem": problem.number})
    assert r.status_code == 302
    page = web.get(f"/tickets/{ticket.number}/")
    assert problem.number.encode() in page.content and b"linked it to problem" in page.content
    r = web.post(f"/problems/tickets/{ticket.number}/link", {"problem": "PRB-999"}, follow=True)
    assert b"No problem PRB-999" in r.content


def test_overdue_strip_and_my_actions(web, l2_agent, problem):
    services.action_create(actor=l2_agent, problem=problem, title="Late", due_date=date(2020, 1, 1))
    queue = web.get("/tickets/", {"queue": "mine"})
    assert b"problems/actions/overdue" in queue.content
    strip = web.get("/problems/actions/overdue", HTTP_HX_REQUEST="true")
    assert b"Your overdue problem actions" in strip.content and b"Late" in strip.content
    page = web.get("/problems/actions")
    assert b"overdue" in page.content and b"Late" in page.content


def test_requesters_cannot_open_problem_pages(requester, problem):
    client = Client()
    client.force_login(requester)
    assert client.get(f"/problems/{problem.number}").status_code == 404
    assert client.get("/problems/").status_code == 403
    assert b"queue-selection" not in client.get("/tickets/").content


def test_other_staff_can_see_but_not_close(l3_agent, problem):
    client = Client()
    client.force_login(l3_agent)
    assert client.get(f"/problems/{problem.number}").status_code == 200
    r = client.post(
        f"/problems/{problem.number}/transition",
        {"action": "close", "closure": "duplicate", "version": 1},
    )
    assert r.status_code == 403
    assert Problem.objects.get(pk=problem.pk).state == "new"
