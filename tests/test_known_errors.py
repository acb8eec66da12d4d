"""Known errors: services, search provider, the ticket-page workaround panel, pages and API."""

from __future__ import annotations

import pytest
from django.test import Client

from backline.cmdb.models import ConfigurationItem, Service
from backline.core.errors import Conflict, DomainError, PermissionDenied
from backline.problems import known_errors as ke
from backline.problems.choices import KnownErrorState, ProblemEventKind
from backline.problems.models import ProblemEvent
from backline.problems.services import problem_create
from backline.search import queries as search
from backline.tickets import services as ticket_services
from tests.conftest import api_client_for
from tests.factories import make_ticket

pytestmark = pytest.mark.django_db

SYMPTOMS = "Sales report export fails with 502 Bad Gateway after a long wait"
WORKAROUND = "Export the sales report by region, one region at a time."


@pytest.fixture
def crm(db):
    return Service.objects.create(name="CRM")


@pytest.fixture
def crm_db(crm):
    return ConfigurationItem.objects.create(name="crm-db-01", ci_type="database", service=crm)


@pytest.fixture
def published(l2_agent, crm_db):
    record = ke.known_error_create(
        actor=l2_agent, title="Sales report 502", symptoms=SYMPTOMS, workaround=WORKAROUND,
        cis=[crm_db],
    )  # fmt: skip
    return ke.known_error_publish(actor=l2_agent, known_error=record)


# --- services --------------------------------------------------------------------------------


def test_create_from_problem_takes_its_statement_cis_and_publishing_writes_an_event(
    l2_agent, crm_db
):
    incident = make_ticket(l2_agent, title="Sales report 502", ci=crm_db)
    problem = problem_create(
        actor=l2_agent, title="Report export times out", statement=SYMPTOMS, tickets=[incident]
    )
    record = ke.known_error_create(actor=l2_agent, problem=problem, workaround=WORKAROUND)
    assert (record.title, record.symptoms, record.state) == (problem.title, SYMPTOMS, "draft")
    assert list(record.cis.all()) == [crm_db]  # from the linked incident
    assert not ProblemEvent.objects.filter(kind=ProblemEventKind.KNOWN_ERROR_PUBLISHED).exists()
    record = ke.known_error_publish(actor=l2_agent, known_error=record)
    event = ProblemEvent.objects.get(problem=problem, kind=ProblemEventKind.KNOWN_ERROR_PUBLISHED)
    assert event.data["known_error"] == record.number
    assert record.published_at is not None and record.version == 2


def test_workaround_is_required_and_l1_cannot_write(l1_agent, l2_agent):
    with pytest.raises(DomainError) as err:
        ke.known_error_create(actor=l2_agent, title="T", symptoms="S", workaround=" ")
    assert err.value.field == "workaround"
    with pytest.raises(PermissionDenied):
        ke.known_error_create(actor=l1_agent, title="T", symptoms="S", workaround="W")


def test_update_checks_the_version_and_retire_ends_matching(l2_agent, published):
    updated = ke.known_error_update(
        actor=l2_agent, known_error=published, version=published.version, workaround="New way"
    )
    assert updated.version == published.version + 1
    with pytest.raises(Conflict):
        ke.known_error_update(
            actor=l2_agent, known_error=published, version=published.version, title="x"
        )
    retired = ke.known_error_retire(actor=l2_agent, known_error=updated)
    assert retired.state == KnownErrorState.RETIRED
    with pytest.raises(DomainError) as err:
        ke.known_error_retire(actor=l2_agent, known_error=retired)
    assert err.value.field == "action"


def test_search_scope_published_for_staff_drafts_for_editors_nothing_for_requesters(
    l1_agent, l2_agent, requester, published
):
    ke.known_error_create(actor=l2_agent, title="Sales report draft", symptoms="x", workaround="y")

    def found(user):
        page = search.search(
            user=user, q="sales report", flt=search.SearchFilter(kinds=("known_error",))
        )
        return sorted(h.status for h in page.hits)

    assert found(l2_agent) == ["draft", "published"]
    assert found(l1_agent) == ["published"]
    assert found(requester) == []
    hit = search.search(user=l1_agent, q=published.number).hits[0]
    assert (hit.number, hit.url) == (published.number, f"/known-errors/{published.pk}")


# --- the ticket panel --------------------------------------------------------------------------


def _page(user, ticket) -> str:
    client = Client()
    client.force_login(user)
    return client.get(f"/tickets/{ticket.number}/").content.decode()


def test_matching_open_incident_shows_the_workaround_unrelated_shows_nothing(
    l1_agent, published, crm_db
):
    match = make_ticket(
        l1_agent, title="Cannot export sales report",
        description="The export ends with a 502 Bad Gateway error", ci=crm_db,
    )  # fmt: skip
    html = _page(l1_agent, match)
    assert 'data-testid="ke-match"' in html and WORKAROUND in html and published.number in html

    # Same CI, different symptom: a shared CI alone never shows the workaround.
    disk = make_ticket(l1_agent, title="Disk almost full", description="Alert 90% used", ci=crm_db)
    assert 'data-testid="ke-match"' not in _page(l1_agent, disk)
    # Different CI, one shared word: nothing.
    other = make_ticket(l1_agent, title="Report a broken chair", description="Floor 2")
    assert 'data-testid="ke-match"' not in _page(l1_agent, other)


def test_text_alone_matches_without_a_ci(l1_agent, published):
    t = make_ticket(
        l1_agent, title="Sales report export gives 502 Bad Gateway", description="since monday"
    )
    assert WORKAROUND in _page(l1_agent, t)


def test_resolved_incidents_and_drafts_show_nothing(l1_agent, l2_agent, published, crm_db):
    t = make_ticket(l2_agent, title="Sales report export 502 Bad Gateway", ci=crm_db)
    ticket_services.ticket_transition(
        actor=l2_agent, ticket=t, action="resolve", resolution_code="workaround",
        resolution_notes="Used the workaround",
    )  # fmt: skip
    assert 'data-testid="ke-match"' not in _page(l2_agent, t)
    ke.known_error_retire(actor=l2_agent, known_error=published)
    t2 = make_ticket(l2_agent, title="Sales report export 502 Bad Gateway", ci=crm_db)
    assert 'data-testid="ke-match"' not in _page(l2_agent, t2)


def test_requester_never_sees_the_panel(requester, published):
    t = make_ticket(requester, title="Sales report export 502 Bad Gateway")
    assert "ke-panel" not in _page(requester, t)


def test_new_ticket_suggestions_list_the_known_error(l1_agent, published):
    client = Client()
    client.force_login(l1_agent)
    html = client.post("/kb/suggest", {"title": "sales report export 502 bad gateway"}).content
    assert published.number in html.decode()


# --- pages -----------------------------------------------------------------------------------


def test_pages_create_from_problem_publish_and_list(l2_agent, l1_agent, crm_db):
    web = Client()
    web.force_login(l2_agent)
    problem = problem_create(actor=l2_agent, title="Report export", statement=SYMPTOMS)
    form = web.get(f"/known-errors/new?problem={problem.number}").content.decode()
    assert SYMPTOMS in form
    r = web.post(
        f"/known-errors/new?problem={problem.number}",
        {"title": "Report export 502", "symptoms": SYMPTOMS, "workaround": WORKAROUND},
    )
    assert r.status_code == 302
    record = problem.known_errors.get()
    r = web.post(f"/known-errors/{record.pk}/transition", {"action": "publish", "version": 1})
    assert r.status_code == 302
    record.refresh_from_db()
    assert record.state == KnownErrorState.PUBLISHED
    assert "Report export 502" in web.get("/known-errors/").content.decode()
    # A missing workaround is a form error, not a 500.
    r = web.post("/known-errors/new", {"title": "x", "symptoms": "y", "workaround": ""})
    assert r.status_code == 200 and "required" in r.content.decode()
    # L1 reads published ones, cannot open the form.
    l1 = Client()
    l1.force_login(l1_agent)
    assert l1.get(f"/known-errors/{record.pk}").status_code == 200
    assert l1.get("/known-errors/new").status_code == 403


# --- API -------------------------------------------------------------------------------------


def test_api_crud_publish_retire_and_field_errors(l2_agent, l1_agent, crm_db):
    api = api_client_for(l2_agent)
    r = api.post(
        "/api/v1/known-errors",
        {"title": "VPN drops", "symptoms": "VPN disconnects every 10 minutes",
         "workaround": "Use the backup gateway", "cis": [crm_db.pk]},
        content_type="application/json",
    )  # fmt: skip
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["number"].startswith("KE-") and body["cis"][0]["id"] == crm_db.pk
    number = body["number"]
    r = api.patch(
        f"/api/v1/known-errors/{number}", {"version": 1, "workaround": "Restart the client"},
        content_type="application/json",
    )  # fmt: skip
    assert r.json()["version"] == 2
    r = api.patch(
        f"/api/v1/known-errors/{number}", {"version": 1, "title": "x"},
        content_type="application/json",
    )  # fmt: skip
    assert r.status_code == 409 and r.json()["field"] == "version"
    r = api.post(f"/api/v1/known-errors/{number}/publish", {}, content_type="application/json")
    assert r.json()["state"] == "published"
    r = api.post(f"/api/v1/known-errors/{number}/retire", {}, content_type="application/json")
    assert r.json()["state"] == "retired"
    r = api.post(
        "/api/v1/known-errors", {"title": "x", "symptoms": "y", "cis": [999999]},
        content_type="application/json",
    )  # fmt: skip
    assert r.status_code == 422 and r.json()["field"] == "cis"
    r = api.post(
        "/api/v1/known-errors", {"title": "x", "symptoms": "y"}, content_type="application/json"
    )
    assert r.status_code == 422 and r.json()["field"] == "workaround"
    l1 = api_client_for(l1_agent)
    assert l1.get(f"/api/v1/known-errors/{number}").status_code == 404  # retired: not for L1
    assert l1.get("/api/v1/known-errors").json()["count"] == 0
