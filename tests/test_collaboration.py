"""Functional escalation: collaboration tasks through the services, the API and the pages."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from backline.core.errors import Conflict, DomainError, PermissionDenied
from backline.escalation import collaboration
from backline.escalation.choices import TaskStatus
from backline.escalation.models import Task
from backline.notifications.choices import NotificationKind
from backline.notifications.models import Notification
from backline.tickets import services as ticket_services
from backline.tickets.choices import EventKind, Status
from backline.tickets.models import Ticket, TicketEvent
from backline.tickets.services import ticket_watch
from backline.tickets.signals import ticket_transition_requested
from tests.conftest import api_client_for
from tests.factories import TeamFactory, UserFactory, make_ticket

pytestmark = pytest.mark.django_db
HX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def network(db):
    return TeamFactory(name="Network & Infrastructure", tier=3)


@pytest.fixture
def net_agent(network):
    return UserFactory(username="nina", first_name="Nina", last_name="Net", teams=[network])


@pytest.fixture
def net_colleague(network):
    return UserFactory(username="ned", first_name="Ned", last_name="Wire", teams=[network])


@pytest.fixture
def ticket(l1_agent, l2_agent, app_support):
    return make_ticket(l1_agent, title="ERP sync times out", team=app_support, assignee=l2_agent)


@pytest.fixture
def resolve_guard():
    """The resolve guard is connected by the escalation app; this checks it really is."""
    assert any(
        getattr(r[1], "__name__", "") == "refuse_resolve_with_open_tasks"
        or "refuse_resolve_with_open_tasks" in repr(r[1])
        for r in ticket_transition_requested.receivers
    )
    return


def open_task(actor, ticket, team, **fields):
    fields.setdefault("title", "Check the firewall between ERP and the sync host")
    return collaboration.task_create(actor=actor, ticket=ticket, team=team, **fields)


def task_events(ticket, kind):
    return list(TicketEvent.objects.filter(ticket=ticket, kind=kind).order_by("id"))


def post(client, url, data, **headers):
    return client.post(url, data=json.dumps(data), content_type="application/json", **headers)


def patch(client, url, data):
    return client.patch(url, data=json.dumps(data), content_type="application/json")


def assert_error(response, status, field=None):
    assert response.status_code == status, response.content
    body = response.json()
    assert body["code"] and body["message"]
    if field is not None:
        assert body["field"] == field, body
    return body


# --- task_create -------------------------------------------------------------------------------


def test_create_records_the_event_and_notifies_the_whole_team(
    l2_agent, ticket, network, net_agent, net_colleague
):
    due = timezone.now() + timedelta(hours=4)
    task = open_task(l2_agent, ticket, network, due_at=due, description="  Port 5432  ")
    assert task.number == f"TSK-{task.pk:06d}"
    assert task.status == TaskStatus.OPEN and task.required and task.version == 1
    assert task.description == "Port 5432"
    [event] = task_events(ticket, EventKind.TASK_CREATED)
    assert event.actor == l2_agent and event.is_internal
    assert event.data == {
        "task": task.pk,
        "number": task.number,
        "team": {"id": network.pk, "name": "Network & Infrastructure"},
        "title": "Check the firewall between ERP and the sync host",
        "required": True,
        "due_at": due.isoformat(),
        "assignee": None,
    }
    notes = Notification.objects.filter(kind=NotificationKind.TASK_ASSIGNED)
    assert {n.recipient for n in notes} == {net_agent, net_colleague}
    assert all(n.url == f"/tickets/{ticket.number}/#tasks" for n in notes)
    assert all(n.ticket_number == ticket.number for n in notes)


def test_create_with_an_assignee_notifies_only_them(l2_agent, ticket, network, net_agent):
    UserFactory(username="other", teams=[network])
    task = open_task(l2_agent, ticket, network, assignee=net_agent)
    assert task.assignee == net_agent
    assert list(Notification.objects.values_list("recipient__username", flat=True)) == ["nina"]
    [event] = task_events(ticket, EventKind.TASK_CREATED)
    assert event.data["assignee"] == {"id": net_agent.pk, "name": "Nina Net"}


def test_create_refuses_bad_input_and_stores_nothing(
    l2_agent, requester, ticket, network, net_agent, l3_agent
):
    with pytest.raises(PermissionDenied):
        open_task(requester, ticket, network)
    with pytest.raises(DomainError) as exc:
        open_task(l2_agent, ticket, network, title="   ")
    assert exc.value.field == "title"
    with pytest.raises(DomainError) as exc:
        open_task(l2_agent, ticket, network, assignee=l3_agent)
    assert exc.value.field == "assignee"
    assert "not a member of Network & Infrastructure" in exc.value.message
    with pytest.raises(DomainError) as exc:
        open_task(l2_agent, ticket, network, due_at=timezone.now() - timedelta(hours=1))
    assert exc.value.field == "due_at"
    assert not Task.objects.exists()
    assert not task_events(ticket, EventKind.TASK_CREATED)
    assert not Notification.objects.exists()


def test_create_needs_an_open_ticket(l2_agent, ticket, network):
    ticket_services.ticket_transition(
        actor=l2_agent, ticket=ticket, action="cancel", note="Raised twice"
    )
    with pytest.raises(DomainError) as exc:
        open_task(l2_agent, Ticket.objects.get(pk=ticket.pk), network)
    assert exc.value.code == "ticket_closed"


def test_a_naive_due_time_is_read_in_the_desk_time_zone(l2_agent, ticket, network):
    naive = (timezone.localtime() + timedelta(days=1)).replace(tzinfo=None, microsecond=0)
    task = open_task(l2_agent, ticket, network, due_at=naive)
    assert timezone.localtime(task.due_at).replace(tzinfo=None) == naive


# --- task_update -------------------------------------------------------------------------------


def test_status_moves_record_changes_and_completion(l2_agent, ticket, network, net_agent):
    task = open_task(l2_agent, ticket, network)
    task = collaboration.task_update(
        actor=net_agent, task=task, version=1, status=TaskStatus.IN_PROGRESS
    )
    assert task.status == TaskStatus.IN_PROGRESS and task.version == 2
    task = collaboration.task_update(
        actor=net_agent, task=task, version=2, status=TaskStatus.DONE, outcome="Opened 5432."
    )
    assert task.status == TaskStatus.DONE and task.completed_at is not None
    first, second = task_events(ticket, EventKind.TASK_UPDATED)
    assert first.data == {
        "task": task.pk,
        "number": task.number,
        "changes": {"status": ["open", "in_progress"]},
    }
    assert second.data["changes"] == {
        "status": ["in_progress", "done"],
        "outcome": ["", "Opened 5432."],
    }
    assert second.actor == net_agent
    task = collaboration.task_update(actor=l2_agent, task=task, version=3, status=TaskStatus.OPEN)
    assert task.status == TaskStatus.OPEN and task.completed_at is None and task.outcome == ""


def test_done_needs_an_outcome(l2_agent, ticket, network, net_agent):
    task = open_task(l2_agent, ticket, network)
    with pytest.raises(DomainError) as exc:
        collaboration.task_update(
            actor=net_agent, task=task, version=1, status=TaskStatus.DONE, outcome="  "
        )
    assert exc.value.field == "outcome"
    task.refresh_from_db()
    assert task.status == TaskStatus.OPEN and task.version == 1
    assert not task_events(ticket, EventKind.TASK_UPDATED)


def test_transitions_outside_the_machine_are_refused(l2_agent, ticket, network, net_agent):
    task = open_task(l2_agent, ticket, network)
    task = collaboration.task_update(
        actor=net_agent, task=task, version=1, status=TaskStatus.CANCELLED
    )
    with pytest.raises(DomainError) as exc:
        collaboration.task_update(actor=net_agent, task=task, version=2, status=TaskStatus.DONE)
    assert exc.value.code == "invalid_transition" and exc.value.field == "status"
    with pytest.raises(DomainError) as exc:
        collaboration.task_update(actor=net_agent, task=task, version=2, status="bogus")
    assert exc.value.field == "status"


def test_only_the_teams_involved_or_managers_may_update(
    l2_agent, l3_agent, manager, ticket, network
):
    task = open_task(l2_agent, ticket, network)
    with pytest.raises(PermissionDenied):
        collaboration.task_update(actor=l3_agent, task=task, version=1, status="in_progress")
    # The ticket's own team may work the task, and so may a manager outside both teams.
    task = collaboration.task_update(actor=l2_agent, task=task, version=1, status="in_progress")
    task = collaboration.task_update(
        actor=manager, task=task, version=2, status="done", outcome="Checked by the manager."
    )
    assert task.status == TaskStatus.DONE


def test_a_stale_version_is_a_conflict_and_changes_nothing(l2_agent, ticket, network, net_agent):
    task = open_task(l2_agent, ticket, network)
    collaboration.task_update(actor=net_agent, task=task, version=1, status="in_progress")
    with pytest.raises(Conflict) as exc:
        collaboration.task_update(actor=l2_agent, task=task, version=1, status="cancelled")
    assert exc.value.status == 409 and exc.value.field == "version"
    assert "Nina Net" in exc.value.message
    task.refresh_from_db()
    assert task.status == TaskStatus.IN_PROGRESS and task.version == 2


def test_reassigning_notifies_the_new_assignee_within_the_team(
    l2_agent, ticket, network, net_agent, net_colleague, l3_agent
):
    task = open_task(l2_agent, ticket, network, assignee=net_agent)
    Notification.objects.all().delete()
    with pytest.raises(DomainError) as exc:
        collaboration.task_update(actor=net_agent, task=task, version=1, assignee=l3_agent)
    assert exc.value.field == "assignee"
    task = collaboration.task_update(actor=net_agent, task=task, version=1, assignee=net_colleague)
    assert task.assignee == net_colleague
    [note] = Notification.objects.all()
    assert note.recipient == net_colleague and note.kind == NotificationKind.TASK_ASSIGNED
    [event] = task_events(ticket, EventKind.TASK_UPDATED)
    assert event.data["changes"] == {
        "assignee": [
            {"id": net_agent.pk, "name": "Nina Net"},
            {"id": net_colleague.pk, "name": "Ned Wire"},
        ]
    }


def test_an_update_without_a_change_records_nothing(l2_agent, ticket, network, net_agent):
    task = open_task(l2_agent, ticket, network)
    same = collaboration.task_update(actor=net_agent, task=task, version=1, status="open")
    assert same.version == 1
    assert not task_events(ticket, EventKind.TASK_UPDATED)


# --- resolving with open tasks -----------------------------------------------------------------


def resolve(actor, ticket):
    return ticket_services.ticket_transition(
        actor=actor,
        ticket=Ticket.objects.get(pk=ticket.pk),
        action="resolve",
        resolution_code="fixed",
        resolution_notes="Raised the sync timeout.",
    )


def test_resolve_is_refused_while_required_tasks_are_open(
    resolve_guard, l2_agent, ticket, network, net_agent, app_support
):
    task = open_task(l2_agent, ticket, network)
    open_task(l2_agent, ticket, app_support, title="Nice to have", required=False)
    with pytest.raises(DomainError) as exc:
        resolve(l2_agent, ticket)
    assert exc.value.code == "open_tasks" and exc.value.field == "action"
    assert f"{task.number} (Network & Infrastructure) is still open." in exc.value.message
    assert Ticket.objects.get(pk=ticket.pk).status != Status.RESOLVED
    collaboration.task_update(
        actor=net_agent, task=task, version=1, status="done", outcome="Rule added."
    )
    assert resolve(l2_agent, ticket).status == Status.RESOLVED


def test_a_cancelled_required_task_does_not_block(resolve_guard, l2_agent, ticket, network):
    task = open_task(l2_agent, ticket, network)
    collaboration.task_update(actor=l2_agent, task=task, version=1, status="cancelled")
    assert collaboration.tasks_open_required(ticket) == []
    assert resolve(l2_agent, ticket).status == Status.RESOLVED


def test_other_transitions_are_not_blocked(resolve_guard, l2_agent, ticket, network):
    open_task(l2_agent, ticket, network)
    fresh = ticket_services.ticket_transition(actor=l2_agent, ticket=ticket, action="start")
    assert fresh.status == Status.IN_PROGRESS


# --- queries -----------------------------------------------------------------------------------


def test_the_task_queue_shows_my_teams_open_tasks_overdue_first(
    l2_agent, ticket, network, net_agent, app_support
):
    now = timezone.now()
    later = open_task(l2_agent, ticket, network, title="later", due_at=now + timedelta(days=2))
    soon = open_task(l2_agent, ticket, network, title="soon", due_at=now + timedelta(hours=1))
    undated = open_task(l2_agent, ticket, network, title="undated")
    overdue = open_task(l2_agent, ticket, network, title="overdue", due_at=now + timedelta(hours=2))
    Task.objects.filter(pk=overdue.pk).update(due_at=now - timedelta(hours=1))
    done = open_task(l2_agent, ticket, network, title="done")
    collaboration.task_update(actor=net_agent, task=done, version=1, status="cancelled")
    open_task(l2_agent, ticket, app_support, title="not mine")

    rows = list(collaboration.task_queue(net_agent))
    assert [t.title for t in rows] == ["overdue", "soon", "later", "undated"]
    assert [t.is_overdue for t in rows] == [True, False, False, False]
    assert {t.pk for t in rows} == {later.pk, soon.pk, undated.pk, overdue.pk}
    with_done = collaboration.task_queue(net_agent, include_done=True)
    assert "done" in [t.title for t in with_done]
    assert [t.title for t in collaboration.task_queue(net_agent, team_ids=[app_support.pk])] == [
        "not mine"
    ]


# --- API ---------------------------------------------------------------------------------------


def test_api_create_list_read_and_update_a_task(api, ticket, network, net_agent):
    due = (timezone.now() + timedelta(hours=3)).isoformat()
    response = post(
        api,
        f"/api/v1/tickets/{ticket.number}/tasks",
        {
            "team": network.pk,
            "title": "Check the firewall",
            "due_at": due,
            "assignee": net_agent.pk,
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["number"].startswith("TSK-") and body["ticket"] == ticket.number
    assert body["team"]["name"] == "Network & Infrastructure"
    assert body["assignee"]["username"] == "nina" and body["status"] == "open"
    assert body["required"] is True and body["overdue"] is False and body["version"] == 1
    listed = api.get(f"/api/v1/tickets/{ticket.number}/tasks").json()
    assert [t["number"] for t in listed] == [body["number"]]

    net = api_client_for(net_agent)
    queue = net.get("/api/v1/tasks").json()
    assert queue["count"] == 1 and queue["items"][0]["id"] == body["id"]
    assert net.get(f"/api/v1/tasks/{body['id']}").json()["title"] == "Check the firewall"
    done = patch(
        net,
        f"/api/v1/tasks/{body['id']}",
        {"version": 1, "status": "done", "outcome": "Rule 42 added."},
    )
    assert done.status_code == 200, done.content
    assert done.json()["status"] == "done" and done.json()["version"] == 2
    assert done.json()["completed_at"] is not None
    assert net.get("/api/v1/tasks").json()["count"] == 0
    assert net.get("/api/v1/tasks", {"include_done": True}).json()["count"] == 1


def test_api_task_filter_by_team(api, l2_agent, ticket, network, app_support):
    open_task(l2_agent, ticket, network, title="net")
    open_task(l2_agent, ticket, app_support, title="app")
    mine = api.get("/api/v1/tasks").json()
    assert [t["title"] for t in mine["items"]] == ["app"]
    both = api.get("/api/v1/tasks", {"team": [network.pk, app_support.pk]}).json()
    assert sorted(t["title"] for t in both["items"]) == ["app", "net"]


def test_api_create_retry_with_an_idempotency_key_creates_one_task(api, ticket, network):
    payload = {"team": network.pk, "title": "Trace the route"}
    url = f"/api/v1/tickets/{ticket.number}/tasks"
    first = post(api, url, payload, HTTP_IDEMPOTENCY_KEY="task-1")
    second = post(api, url, payload, HTTP_IDEMPOTENCY_KEY="task-1")
    assert first.status_code == second.status_code == 201
    assert first.json()["id"] == second.json()["id"]
    assert second["Idempotent-Replayed"] == "true"
    assert Task.objects.count() == 1


def test_api_task_errors(api, l2_agent, ticket, network, l3_agent, requester):
    url = f"/api/v1/tickets/{ticket.number}/tasks"
    assert_error(post(api, url, {"team": 9999, "title": "x"}), 422, "team")
    assert_error(post(api, url, {"team": network.pk, "title": "  "}), 422, "title")
    assert_error(post(api, url, {"title": "no team"}), 422, "team")
    assert_error(post(api, url, {"team": network.pk, "title": "x", "assignee": 9999}), 422)
    bad_assignee = post(api, url, {"team": network.pk, "title": "x", "assignee": l3_agent.pk})
    assert_error(bad_assignee, 422, "assignee")
    past = (timezone.now() - timedelta(days=1)).isoformat()
    assert_error(post(api, url, {"team": network.pk, "title": "x", "due_at": past}), 422, "due_at")
    assert_error(
        post(api, "/api/v1/tickets/INC-999999/tasks", {"team": network.pk, "title": "x"}), 404
    )
    assert_error(api.get("/api/v1/tasks/999999"), 404)

    task = open_task(l2_agent, ticket, network)
    task_url = f"/api/v1/tasks/{task.pk}"
    assert_error(patch(api, task_url, {"status": "done"}), 422, "version")
    assert_error(patch(api, task_url, {"version": 1, "status": "done"}), 422, "outcome")
    assert_error(patch(api, task_url, {"version": 1, "status": "sleeping"}), 422, "status")
    patch(api, task_url, {"version": 1, "status": "in_progress"})
    stale = assert_error(patch(api, task_url, {"version": 1, "status": "cancelled"}), 409)
    assert stale["code"] == "version_conflict" and stale["field"] == "version"
    outsider = api_client_for(l3_agent)
    assert_error(patch(outsider, task_url, {"version": 2, "status": "open"}), 404)  # unseen ticket
    ticket_watch(actor=l2_agent, ticket=ticket, user=l3_agent)  # Omar sees it, not his task
    assert_error(patch(outsider, task_url, {"version": 2, "status": "open"}), 403)
    # Tasks are internal: a requester neither lists nor reads them.
    mine = make_ticket(requester, title="My laptop")
    outsider = api_client_for(requester)
    assert_error(outsider.get(f"/api/v1/tickets/{mine.number}/tasks"), 403)
    assert_error(outsider.get(task_url), 404)
    assert_error(outsider.get("/api/v1/tasks"), 403)


def test_api_resolve_with_open_tasks_is_a_422_naming_them(
    resolve_guard, api, l2_agent, ticket, network
):
    task = open_task(l2_agent, ticket, network)
    response = post(
        api,
        f"/api/v1/tickets/{ticket.number}/transitions",
        {"action": "resolve", "resolution_code": "fixed", "resolution_notes": "Done."},
    )
    body = assert_error(response, 422, "action")
    assert body["code"] == "open_tasks" and task.number in body["message"]


# --- pages -------------------------------------------------------------------------------------


def test_ticket_page_shows_the_tasks_panel(web, l2_agent, ticket, network, net_agent):
    task = open_task(l2_agent, ticket, network, assignee=net_agent, title="Trace route to ERP")
    Task.objects.filter(pk=task.pk).update(due_at=timezone.now() - timedelta(minutes=5))
    page = web.get(f"/tickets/{ticket.number}/")
    html = page.content.decode()
    assert 'id="tasks"' in html and "Collaboration tasks" in html
    assert task.number in html and "Trace route to ERP" in html and "Nina Net" in html
    assert "overdue" in html and "1 required open" in html
    assert "Add task…" in html
    assert f'action="/tasks/{task.pk}/update/"' in html


def test_add_a_task_from_the_ticket_page(web, ticket, network, net_agent):
    response = web.post(
        f"/tickets/{ticket.number}/tasks/",
        {"team": network.pk, "title": "Check the VPN concentrator", "required": "on"},
    )
    assert response.status_code == 302
    assert response["Location"] == f"/tickets/{ticket.number}/#tasks"
    task = Task.objects.get()
    assert task.team == network and task.required
    page = web.get(response["Location"])
    assert f"{task.number} opened for Network &amp; Infrastructure." in page.content.decode()


def test_add_a_task_with_htmx_refreshes_the_page(web, ticket, network):
    response = web.post(
        f"/tickets/{ticket.number}/tasks/", {"team": network.pk, "title": "Check DNS"}, **HX
    )
    assert response.status_code == 200
    assert response["HX-Refresh"] == "true"
    assert Task.objects.get().required is False  # the box was not ticked


def test_a_refused_task_shows_the_errors_in_place(web, ticket, network, l3_agent):
    response = web.post(
        f"/tickets/{ticket.number}/tasks/",
        {"team": network.pk, "title": "Check DNS", "assignee": l3_agent.pk},
        **HX,
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert html.lstrip().startswith('<section class="card collab-tasks" id="tasks"')
    assert "is not a member of Network &amp; Infrastructure" in html
    assert 'value="Check DNS"' in html
    # Without HTMX the same refusal is a small form page with the error.
    response = web.post(f"/tickets/{ticket.number}/tasks/", {"team": "", "title": ""})
    assert response.status_code == 422
    assert b"This field is required." in response.content
    assert not Task.objects.exists()


def test_update_a_task_from_the_ticket_page(web, l2_agent, ticket, network):
    task = open_task(l2_agent, ticket, network)
    response = web.post(
        f"/tasks/{task.pk}/update/",
        {"version": 1, "status": "done", "outcome": "", "view": "ticket"},
        **HX,
    )
    assert response.status_code == 422
    assert b"an outcome is required" in response.content
    response = web.post(
        f"/tasks/{task.pk}/update/",
        {"version": 1, "status": "done", "outcome": "Fine now", "view": "ticket"},
        **HX,
    )
    assert response.status_code == 200 and response["HX-Refresh"] == "true"
    stale = web.post(
        f"/tasks/{task.pk}/update/",
        {"version": 1, "status": "open", "view": "ticket"},
        **HX,
    )
    assert stale.status_code == 409 and b"Reload" in stale.content
    plain = web.post(
        f"/tasks/{task.pk}/update/",
        {"version": 2, "status": "open", "next": f"/tickets/{ticket.number}/"},
    )
    assert plain.status_code == 302 and plain["Location"] == f"/tickets/{ticket.number}/"
    task.refresh_from_db()
    assert task.status == TaskStatus.OPEN


def test_update_redirect_ignores_foreign_next_urls(web, l2_agent, ticket, network):
    task = open_task(l2_agent, ticket, network)
    response = web.post(
        f"/tasks/{task.pk}/update/",
        {"version": 1, "status": "in_progress", "next": "https://evil.example/"},
    )
    assert response["Location"] == f"/tickets/{ticket.number}/#tasks"


def test_team_tasks_page_lists_my_teams_tasks(l2_agent, ticket, network, net_agent):
    open_task(l2_agent, ticket, network, title="Check the firewall")
    client = Client()
    client.force_login(net_agent)
    page = client.get("/tasks/")
    html = page.content.decode()
    assert page.status_code == 200 and "Team tasks" in html
    assert "Check the firewall" in html and ticket.number in html
    fragment = client.get("/tasks/", {"team": ticket.team_id}, **HX)
    assert fragment.content.decode().lstrip().startswith('<div id="results">')
    assert "Check the firewall" not in fragment.content.decode()


def test_task_page_and_reassignment(l2_agent, ticket, network, net_agent, net_colleague):
    task = open_task(l2_agent, ticket, network, description="Port 5432 from 10.0.0.8")
    overdue = timezone.now() - timedelta(hours=2)
    Task.objects.filter(pk=task.pk).update(due_at=overdue)
    client = Client()
    client.force_login(net_agent)
    page = client.get(f"/tasks/{task.pk}/")
    shown = timezone.localtime(overdue).strftime("%Y-%m-%dT%H:%M")
    assert page.status_code == 200 and b"Port 5432 from 10.0.0.8" in page.content
    assert f'value="{shown}"'.encode() in page.content
    # Reassigning an overdue task sends its due time back untouched; that is not a change.
    response = client.post(
        f"/tasks/{task.pk}/update/",
        {"version": 1, "assignee": net_colleague.pk, "due_at": shown, "view": "detail"},
    )
    assert response.status_code == 302
    task.refresh_from_db()
    assert task.assignee == net_colleague and task.status == TaskStatus.OPEN
    assert task.due_at == overdue
    moved = client.post(
        f"/tasks/{task.pk}/update/", {"version": 2, "due_at": "2001-01-01T10:00", "view": "detail"}
    )
    assert moved.status_code == 422 and b"The due time is in the past." in moved.content


def test_task_pages_are_for_staff(requester, l2_agent, ticket, network):
    task = open_task(l2_agent, ticket, network)
    client = Client()
    client.force_login(requester)
    assert client.get(f"/tasks/{task.pk}/").status_code == 404
    assert client.get("/tasks/").status_code == 403
    assert Client().get("/tasks/").status_code == 302


def test_team_tasks_query_count_does_not_grow(
    l2_agent, ticket, network, net_agent, django_assert_max_num_queries
):
    client = Client()
    client.force_login(net_agent)
    open_task(l2_agent, ticket, network, assignee=net_agent)
    with django_assert_max_num_queries(14) as few:
        client.get("/tasks/")
    for i in range(25):
        other = make_ticket(l2_agent, title=f"Ticket {i}", team=ticket.team)
        open_task(l2_agent, other, network, title=f"Task {i}", assignee=net_agent)
    with django_assert_max_num_queries(14) as many:
        client.get("/tasks/")
    assert len(many.captured_queries) == len(few.captured_queries)


def test_ticket_page_query_count_does_not_grow_with_tasks(
    web, l2_agent, ticket, network, net_agent, django_assert_max_num_queries
):
    open_task(l2_agent, ticket, network)
    # 25 before the knowledge base, which adds three (the ticket's knowledge state, its articles
    # and the sidebar's count of review tasks); changes add one (the causes linked to the ticket)
    # Known errors add four: the reader's tiers (known-error search scope), similar()'s word
    # counts and candidates, and the recurrences recorded for this ticket. Problems add one
    # (the problems the incident is linked to, in the side panel). Time worked adds one (two
    # once time is logged: the totals and the last entries) and satisfaction one (the rating).
    with django_assert_max_num_queries(37) as few:
        web.get(f"/tickets/{ticket.number}/")
    for i in range(10):
        open_task(l2_agent, ticket, network, title=f"Task {i}", assignee=net_agent)
    with django_assert_max_num_queries(37) as many:
        web.get(f"/tickets/{ticket.number}/")
    assert len(many.captured_queries) == len(few.captured_queries)


def test_a_refused_update_from_the_team_tasks_page_shows_in_the_list(
    l2_agent, ticket, network, net_agent
):
    task = open_task(l2_agent, ticket, network, title="Check the firewall")
    client = Client()
    client.force_login(net_agent)
    response = client.post(
        f"/tasks/{task.pk}/update/",
        {"version": 1, "status": "done", "outcome": " ", "view": "queue"},
        **HX,
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="results">')
    assert "an outcome is required" in html and "Check the firewall" in html


def test_resolving_from_the_ticket_page_shows_the_open_tasks(
    resolve_guard, web, l2_agent, ticket, network
):
    task = open_task(l2_agent, ticket, network)
    response = web.post(
        f"/tickets/{ticket.number}/transition/",
        {
            "action": "resolve",
            "version": ticket.version,
            "resolution_code": "fixed",
            "resolution_notes": "Raised the timeout.",
        },
        **HX,
    )
    assert response.status_code == 422
    assert f"{task.number} (Network &amp; Infrastructure) is still open." in (
        response.content.decode()
    )
