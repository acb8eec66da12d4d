"""Recurring-incident detection (proposals), fix verification and the recurrence signals."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.db import close_old_connections, connection
from django.test import Client
from django.utils import timezone

from backline.cmdb.models import ConfigurationItem, Service
from backline.core.errors import DomainError
from backline.notifications.models import Notification
from backline.problems import recurrence, verification
from backline.problems.choices import (
    Closure,
    ProblemEventKind,
    ProblemState,
    ProposalState,
)
from backline.problems.models import Problem, ProblemEvent, Proposal
from backline.problems.recurrence import Incident, cluster
from backline.problems.services import problem_create
from backline.tickets import services as ticket_services
from tests.conftest import api_client_for
from tests.factories import make_ticket

GROUP_A = [
    ("Sales report export fails with 502", "Exporting the monthly sales report returns 502"),
    ("502 Bad Gateway on sales report", "Sales report export gives a 502 after a minute"),
    ("Sales report export timeout 502", "The sales report export stops with 502 gateway"),
    ("Cannot export sales report", "502 error when exporting the sales report to Excel"),
]
GROUP_B = [
    ("VPN disconnects every few minutes", "The VPN client drops the tunnel and reconnects"),
    ("VPN tunnel drops repeatedly", "VPN client disconnects, tunnel reconnects after a while"),
    ("VPN keeps disconnecting", "Tunnel drops on the VPN client several times an hour"),
]
NOISE = [
    ("Printer on floor 3 prints blank pages", "Toner looks fine"),
    ("New laptop for starter", "Needs a laptop by Monday"),
    ("Password reset for Outlook", "Locked out after holiday"),
    ("Monitor flickers", "Second monitor flickers when docked"),
    ("Sales team needs a shared mailbox", "For the Sales leads"),
]


# --- pure clustering -------------------------------------------------------------------------


def _incidents(groups, ci_for=None):
    out, n = [], 0
    for g, rows in enumerate(groups):
        for title, text in rows:
            n += 1
            ci = ci_for[g] if ci_for else None
            out.append(Incident(id=n, title=title, text=f"{title}\n{text}", ci_id=ci, ci=f"ci{ci}"))
    return out


def test_groups_are_found_and_noise_is_not_grouped():
    incidents = _incidents([GROUP_A, GROUP_B, NOISE], ci_for=[7, 8, None])
    clusters = cluster(incidents)
    assert [c.ids for c in clusters] == [[1, 2, 3, 4], [5, 6, 7]]
    reasons = clusters[0].reasons
    assert "same CI ci7 (4 of 4)" in reasons
    shared = next(r for r in reasons if r.startswith("shared words"))
    assert "502" in shared and "sales" in shared and "report" in shared


def test_two_similar_incidents_are_not_a_cluster():
    assert cluster(_incidents([GROUP_A[:2], NOISE])) == []


def test_a_common_word_does_not_chain_unrelated_incidents():
    chain = [
        ("Sales report export fails", "sales report 502"),
        ("Sales report slow", "report export slow"),
        ("Expense report rejected", "expense approval"),
        ("Expense approval missing", "approval workflow"),
        ("Approval workflow stuck", "workflow engine"),
    ]
    for c in cluster(_incidents([chain])):
        assert not ({1, 2} <= set(c.ids) and 5 in c.ids)


def test_overlap_and_text_match_thresholds():
    a = recurrence.terms("Sales report export fails with 502 Bad Gateway")
    b = recurrence.terms("Cannot export the sales report: 502")
    assert recurrence.text_matches(*recurrence.overlap(a, b))
    c = recurrence.terms("Reset my password please")
    assert not recurrence.text_matches(*recurrence.overlap(a, c), linked=True)


# --- detection on the database ---------------------------------------------------------------


@pytest.fixture
def crm(db):
    return Service.objects.create(name="CRM")


@pytest.fixture
def crm_db(crm):
    return ConfigurationItem.objects.create(name="crm-db-01", ci_type="database", service=crm)


@pytest.fixture
def vpn_gw(db):
    return ConfigurationItem.objects.create(name="vpn-gw-01", ci_type="network")


@pytest.fixture
def incidents(l1_agent, crm_db, vpn_gw):
    made = {"a": [], "b": [], "noise": []}
    for title, text in GROUP_A:
        made["a"].append(make_ticket(l1_agent, title=title, description=text, ci=crm_db))
    for title, text in GROUP_B:
        made["b"].append(make_ticket(l1_agent, title=title, description=text, ci=vpn_gw))
    for title, text in NOISE:
        made["noise"].append(make_ticket(l1_agent, title=title, description=text))
    return made


def _ids(tickets):
    return sorted(t.pk for t in tickets)


@pytest.mark.django_db
def test_detection_proposes_each_group_once(incidents):
    found = recurrence.proposals_detect()
    assert sorted(sorted(p.tickets.values_list("id", flat=True)) for p in found) == sorted(
        [_ids(incidents["a"]), _ids(incidents["b"])]
    )
    assert recurrence.proposals_detect() == []  # incidents of open proposals are skipped
    assert Proposal.objects.count() == 2


@pytest.mark.django_db
def test_dismissed_is_remembered_even_when_the_group_grows(l1_agent, incidents, crm_db, l2_agent):
    for p in recurrence.proposals_detect():
        recurrence.proposal_dismiss(actor=l2_agent, proposal_id=p.pk)
    assert recurrence.proposals_detect() == []
    make_ticket(l1_agent, title="Sales report export 502 again", description="502", ci=crm_db)
    # 5 incidents now, 4 of them in the dismissed proposal: still covered (≥ 2/3).
    assert recurrence.proposals_detect() == []


@pytest.mark.django_db
def test_accept_creates_the_problem_with_the_incidents_linked(incidents, l2_agent, crm_db):
    proposal = next(
        p for p in recurrence.proposals_detect() if p.tickets.filter(ci=crm_db).exists()
    )
    accepted = recurrence.proposal_accept(actor=l2_agent, proposal_id=proposal.pk)
    assert accepted.state == ProposalState.ACCEPTED
    problem = accepted.problem
    assert sorted(problem.incident_links.values_list("ticket_id", flat=True)) == _ids(
        incidents["a"]
    )
    assert "same CI crm-db-01 (4 of 4)" in problem.statement
    with pytest.raises(DomainError) as err:
        recurrence.proposal_dismiss(actor=l2_agent, proposal_id=proposal.pk)
    assert err.value.code == "already_decided"
    # Linked incidents are no longer candidates.
    assert not set(_ids(incidents["a"])) & {
        i.id for i in recurrence.candidates(now=timezone.now(), days=30)
    }


@pytest.mark.django_db
def test_old_incidents_are_outside_the_window(incidents):
    later = timezone.now() + timedelta(days=31)
    assert recurrence.proposals_detect(now=later) == []


@pytest.mark.django_db
def test_sweep_is_throttled(incidents):
    cache.delete(recurrence.CACHE_KEY)
    assert recurrence.proposals_sweep()["proposed"] == 2
    Proposal.objects.all().delete()
    assert recurrence.proposals_sweep()["proposed"] == 0  # ran less than an hour ago
    cache.delete(recurrence.CACHE_KEY)


# --- pages and API ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_proposals_page_and_htmx_accept_dismiss(incidents, l2_agent):
    recurrence.proposals_detect()
    web = Client()
    web.force_login(l2_agent)
    html = web.get("/known-errors/proposals/").content.decode()
    assert html.count('data-testid="proposal"') == 2 and "same CI crm-db-01 (4 of 4)" in html
    first, second = Proposal.objects.order_by("pk")
    r = web.post(f"/known-errors/proposals/{first.pk}/accept", HTTP_HX_REQUEST="true")
    assert r.status_code == 200 and "<html" not in r.content.decode()
    assert 'data-testid="proposal-problem"' in r.content.decode()
    r = web.post(f"/known-errors/proposals/{second.pk}/dismiss")
    assert r.status_code == 302
    assert "Dismissed" in web.get("/known-errors/proposals/?state=dismissed").content.decode()
    r = web.post(f"/known-errors/proposals/{second.pk}/dismiss", HTTP_HX_REQUEST="true")
    assert r.status_code == 422


@pytest.mark.django_db
def test_api_proposals_run_accept_dismiss(incidents, manager, l2_agent):
    assert api_client_for(l2_agent).post("/api/v1/problem-proposals/run").status_code == 403
    api = api_client_for(manager)
    r = api.post("/api/v1/problem-proposals/run")
    assert r.status_code == 200 and len(r.json()["proposed"]) == 2
    listed = api.get("/api/v1/problem-proposals").json()
    assert {len(p["tickets"]) for p in listed} == {4, 3}
    pid = listed[0]["id"]
    r = api.post(
        f"/api/v1/problem-proposals/{pid}/accept", {"title": "Report export"},
        content_type="application/json",
    )  # fmt: skip
    assert r.json()["state"] == "accepted" and r.json()["problem"].startswith("PRB-")
    r = api.post(f"/api/v1/problem-proposals/{pid}/dismiss")
    assert r.status_code == 422 and r.json()["field"] == "state"
    assert api.post("/api/v1/problem-proposals/999999/dismiss").status_code == 404


# --- fix verification ------------------------------------------------------------------------


def _resolved_problem(actor, tickets, days_ago=5, verify_days=30):
    problem = problem_create(actor=actor, title="Report export 502", tickets=tickets)
    Problem.objects.filter(pk=problem.pk).update(
        state=ProblemState.RESOLVED,
        resolved_at=timezone.now() - timedelta(days=days_ago),
        verify_days=verify_days,
    )
    problem.refresh_from_db()
    return problem


@pytest.mark.django_db
def test_matching_incident_after_the_fix_records_recurred_and_notifies_owner(
    l1_agent, l2_agent, incidents, crm_db
):
    problem = _resolved_problem(l2_agent, incidents["a"])
    other_ci = make_ticket(l1_agent, title="Sales report export fails with 502")  # no CI
    unrelated = make_ticket(l1_agent, title="Disk full", description="90% used", ci=crm_db)
    assert not ProblemEvent.objects.filter(kind=ProblemEventKind.RECURRED).exists()
    t = make_ticket(
        l1_agent, title="Sales report 502 again", description="export fails with 502", ci=crm_db
    )
    event = ProblemEvent.objects.get(kind=ProblemEventKind.RECURRED)
    assert (event.problem_id, event.data["ticket"], event.data["days_after_fix"]) == (
        problem.pk, t.number, 5,
    )  # fmt: skip
    note = Notification.objects.get(kind="problem_recurred")
    assert note.recipient == l2_agent and note.ticket_number == t.number
    assert [r.ticket for r in verification.problem_recurrences(problem, l1_agent)] == [t]
    assert not problem.incident_links.filter(ticket=t).exists()  # nothing linked automatically
    # The signal shows on the matching ticket only.
    web = Client()
    web.force_login(l2_agent)
    html = web.get(f"/tickets/{t.number}/").content.decode()
    assert f'Matches <a class="mono" href="/problems/{problem.number}">' in html
    assert "resolved 5 days ago" in html
    for quiet in (other_ci, unrelated):
        assert (
            'data-testid="ke-recurred"' not in web.get(f"/tickets/{quiet.number}/").content.decode()
        )


@pytest.mark.django_db
def test_no_recurrence_check_after_the_window(l1_agent, l2_agent, incidents, crm_db):
    _resolved_problem(l2_agent, incidents["a"], days_ago=40, verify_days=30)
    make_ticket(l1_agent, title="Sales report export fails with 502", ci=crm_db)
    assert not ProblemEvent.objects.filter(kind=ProblemEventKind.RECURRED).exists()


@pytest.mark.django_db
def test_sweep_closes_quiet_problems_once_and_leaves_recurred_ones(
    l1_agent, l2_agent, incidents, crm_db
):
    quiet = _resolved_problem(l2_agent, incidents["b"], days_ago=31)
    noisy = _resolved_problem(l2_agent, incidents["a"], days_ago=20, verify_days=30)
    make_ticket(l1_agent, title="Sales report export fails with 502", ci=crm_db)
    watching = _resolved_problem(l2_agent, incidents["noise"][:1], days_ago=1)
    later = timezone.now() + timedelta(days=11)
    assert verification.verification_sweep(now=later) == {"verified": 1}
    assert verification.verification_sweep(now=later) == {"verified": 0}
    quiet.refresh_from_db()
    assert (quiet.state, quiet.closure) == (ProblemState.CLOSED, Closure.RECURRENCE_STOPPED)
    assert ProblemEvent.objects.filter(problem=quiet, kind=ProblemEventKind.VERIFIED).count() == 1
    for p in (noisy, watching):
        p.refresh_from_db()
        assert p.state == ProblemState.RESOLVED


@pytest.mark.django_db(transaction=True)
def test_two_workers_close_a_problem_once(l2_agent, app_support):
    problem = _resolved_problem(l2_agent, [], days_ago=31)
    start = threading.Barrier(2)
    results = []

    def work():
        try:
            start.wait()
            results.append(verification.verification_sweep()["verified"])
        finally:
            close_old_connections()

    threads = [threading.Thread(target=work) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [0, 1]
    assert ProblemEvent.objects.filter(problem=problem, kind=ProblemEventKind.VERIFIED).count() == 1
    connection.close()


# --- recurring despite resolved --------------------------------------------------------------


@pytest.mark.django_db
def test_recurring_despite_resolved_signal(l1_agent, l2_agent, crm_db):
    done = []
    for title in ("Sales report export 502", "Sales report 502 on export"):
        t = make_ticket(l2_agent, title=title, description="export fails 502", ci=crm_db)
        ticket_services.ticket_transition(
            actor=l2_agent, ticket=t, action="resolve", resolution_code="fixed",
            resolution_notes="Restarted the report service",
        )  # fmt: skip
        done.append(t)
    groups = recurrence.resolved_recurrences()
    assert [(g.ci, g.tickets) for g in groups] == [("crm-db-01", _ids(done))]
    again = make_ticket(l1_agent, title="Sales report export fails with 502", ci=crm_db)
    assert recurrence.ticket_resolved_recurrence(again) == _ids(done)
    web = Client()
    web.force_login(l2_agent)
    assert "Recurring despite resolved" in web.get(f"/tickets/{again.number}/").content.decode()
    assert "crm-db-01" in web.get("/known-errors/proposals/").content.decode()
    body = api_client_for(l2_agent).get("/api/v1/problem-proposals/signals").json()
    assert body["resolved_despite"][0]["tickets"] == [t.number for t in done]


def test_proposals_page_is_paginated(l2_agent):
    now = timezone.now()
    for i in range(17):
        Proposal.objects.create(signature=f"sig-{i}", title=f"Group {i}", score=i, created_at=now)
    client = Client()
    client.force_login(l2_agent)
    first = client.get("/known-errors/proposals/").content.decode()
    assert "Page 1 of 2 · 17 proposals" in first and "Group 16" in first and "Group 1<" not in first
    second = client.get("/known-errors/proposals/", {"page": 2}).content.decode()
    assert "Group 0" in second and "Group 16" not in second
