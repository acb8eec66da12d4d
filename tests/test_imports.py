"""History import: mapping and row rules, case lives, dry and real runs, API, pages, 100k events."""

from __future__ import annotations

import csv
import json
import random
from datetime import UTC, datetime, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from backline.accounts.models import Team, User
from backline.analytics.models import FactDirty
from backline.core.errors import Conflict, DomainError, PermissionDenied
from backline.escalation import services as escalation_services
from backline.imports import rules, services
from backline.imports.models import ImportJob, ImportState
from backline.tickets import services as ticket_services
from backline.tickets.choices import EventKind, Status
from backline.tickets.models import Ticket, TicketEvent
from tests.conftest import api_client_for

pytestmark = pytest.mark.django_db

EVENT_COLUMNS = {
    "Case ID": "case_id",
    "Activity": "activity",
    "Timestamp": "timestamp",
    "Resource": "resource",
    "Group": "group",
}
GROUPS = {"Service Desk": 1, "Application Support": 2, "Engineering": 3}
T0 = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)


def event_mapping(**extra):
    return {"system": "oldsm", "columns": EVENT_COLUMNS, "groups": GROUPS, **extra}


def csv_bytes(header, rows) -> bytes:
    lines = [",".join(header)] + [",".join(str(c) for c in row) for row in rows]
    return ("\n".join(lines) + "\n").encode()


def upload(content: bytes, name: str = "log.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="text/csv")


def at(minutes: float) -> str:
    return (T0 + timedelta(minutes=minutes)).strftime("%Y-%m-%d %H:%M:%S")


HEADER = ["Case ID", "Activity", "Timestamp", "Resource", "Group"]
# L1 takes it and starts, escalates to L2, L2 accepts, starts, resolves; then it is closed.
STORY = [
    ("C-1", "Open", at(0), "sam", "Service Desk"),
    ("C-1", "Assign", at(5), "sam", ""),
    ("C-1", "Start work", at(10), "sam", ""),
    ("C-1", "Escalate", at(30), "sam", "Application Support"),
    ("C-1", "Accept", at(50), "lena", ""),
    ("C-1", "Start work", at(55), "lena", ""),
    ("C-1", "Resolve", at(120), "lena", ""),
    ("C-1", "Closed", at(2000), "lena", ""),
]


def run(actor, content: bytes, mapping=None, *, kind="event_log", dry_run=False) -> ImportJob:
    job = services.import_job_create(
        actor=actor,
        kind=kind,
        file=upload(content),
        mapping=mapping or event_mapping(),
        dry_run=dry_run,
    )
    return services.import_job_run(job.pk)


# --- rules ------------------------------------------------------------------------------------


def test_mapping_needs_the_required_fields_and_known_columns():
    header = HEADER
    with pytest.raises(DomainError, match="Map a column to timestamp"):
        rules.mapping_clean(
            "event_log",
            {"system": "oldsm", "columns": {"Case ID": "case_id", "Activity": "activity"}},
            header,
        )
    with pytest.raises(DomainError, match="not in the file's header") as exc:
        rules.mapping_clean(
            "event_log", event_mapping(columns={**EVENT_COLUMNS, "Nope": "title"}), header
        )
    assert exc.value.field == "mapping.columns"
    with pytest.raises(DomainError, match="unknown field 'colour'"):
        rules.mapping_clean(
            "event_log", event_mapping(columns={**EVENT_COLUMNS, "Group": "colour"}), header
        )
    with pytest.raises(DomainError, match="tier must be 1, 2 or 3") as exc:
        rules.mapping_clean("event_log", event_mapping(groups={"Service Desk": 4}), header)
    assert exc.value.field == "mapping.groups"
    with pytest.raises(DomainError) as exc:
        rules.mapping_clean("event_log", event_mapping(system="Old SM!"), header)
    assert exc.value.field == "mapping.system"
    with pytest.raises(DomainError, match="unknown action"):
        rules.mapping_clean("event_log", event_mapping(activities={"Fix": "explode"}), header)
    with pytest.raises(DomainError, match="time zone"):
        rules.mapping_clean("event_log", event_mapping(timezone="Mars/Olympus"), header)


def test_event_row_parsing_names_the_column_at_fault():
    m = rules.mapping_clean(
        "event_log",
        event_mapping(timestamp_format="%d.%m.%Y %H:%M", timezone="Europe/Berlin"),
        HEADER,
    )
    row = rules.parse_event_row(
        2,
        {"Case ID": "A1", "Activity": "Resolved", "Timestamp": "03.03.2025 10:00", "Group": ""},
        m,
    )
    assert row.at == datetime(2025, 3, 3, 9, 0, tzinfo=UTC)  # CET is UTC+1 in March
    assert row.action == "resolve"
    bad = [
        ({"Case ID": "", "Activity": "Open", "Timestamp": "03.03.2025 10:00"}, "Case ID"),
        ({"Case ID": "A 1", "Activity": "Open", "Timestamp": "03.03.2025 10:00"}, "Case ID"),
        ({"Case ID": "A1", "Activity": "Open", "Timestamp": "2025-03-03"}, "Timestamp"),
        ({"Case ID": "A1", "Activity": "", "Timestamp": "03.03.2025 10:00"}, "Activity"),
        (
            {"Case ID": "A1", "Activity": "Open", "Timestamp": "03.03.2025 10:00", "Group": "X"},
            "Group",
        ),
    ]
    for record, column in bad:
        with pytest.raises(rules.RowError) as exc:
            rules.parse_event_row(3, record, m)
        assert exc.value.column == column, record


def test_ticket_row_parsing_checks_dates_priority_and_status():
    m = rules.mapping_clean(
        "ticket_csv",
        {
            "system": "legacy",
            "columns": {
                "Id": "ticket_id",
                "Opened": "opened",
                "Prio": "priority",
                "Res": "resolved",
            },
        },
        ["Id", "Opened", "Prio", "Res"],
    )
    ok = rules.parse_ticket_row(2, {"Id": "7", "Opened": "2025-01-02T08:00", "Prio": "High"}, m)
    assert ok.priority == 2 and ok.resolved is None
    with pytest.raises(rules.RowError, match="unknown priority 'P9'"):
        rules.parse_ticket_row(2, {"Id": "7", "Opened": "2025-01-02", "Prio": "P9"}, m)
    with pytest.raises(rules.RowError, match="before the ticket was opened"):
        rules.parse_ticket_row(2, {"Id": "7", "Opened": "2025-01-02", "Res": "2024-12-31"}, m)


def _refs():
    teams = {
        "service desk": rules.Ref(1, "Service Desk", 1),
        "application support": rules.Ref(2, "Application Support", 2),
        "database": rules.Ref(4, "Database", 2),
        "engineering": rules.Ref(3, "Engineering", 3),
    }
    users = {name: rules.Ref(i, name) for i, name in enumerate(["sam", "lena", "omar"], start=10)}
    return teams, users


def _rows(*steps):
    m = rules.mapping_clean("event_log", event_mapping(groups={**GROUPS, "Database": 2}), HEADER)
    return [
        rules.parse_event_row(
            i + 2,
            {"Case ID": "X", "Activity": a, "Timestamp": at(i * 10), "Resource": r, "Group": g},
            m,
        )
        for i, (a, r, g) in enumerate(steps)
    ]


def test_a_case_moving_between_groups_escalates_reassigns_bounces_and_hands_down():
    teams, users = _refs()
    life = rules.play_case(
        _rows(
            ("Open", "sam", "Service Desk"),
            ("Escalate", "sam", "Application Support"),
            ("Transfer", "lena", "Database"),  # same tier: a plain reassignment
            ("Transfer", "lena", "Application Support"),  # back to a holder: a bounce
            ("Escalate", "lena", "Engineering"),
            ("Start work", "omar", ""),
            ("Hand down", "omar", "Service Desk"),
        ),
        system="oldsm",
        teams=teams,
        users=users,
        source="api",
    )
    kinds = [e.kind for e in life.events]
    assert kinds == [
        EventKind.CREATED,
        EventKind.ESCALATED,
        EventKind.ASSIGNED,
        EventKind.ASSIGNED,
        EventKind.BOUNCED,
        EventKind.ESCALATED,
        EventKind.ACCEPTED,
        EventKind.STATUS_CHANGED,
        EventKind.DEESCALATED,  # back down to L1 is no bounce, as ticket_deescalate
    ]
    escalated = life.events[1].data
    assert escalated["changes"]["team"] == [
        {"id": 1, "name": "Service Desk"},
        {"id": 2, "name": "Application Support"},
    ]
    assert (escalated["tier"], escalated["from_tier"]) == (2, 1)
    assert escalated["to_team"] == {"id": 2, "name": "Application Support"}
    assert life.events[4].data["cause"] == "reassigned"
    accepted = life.events[6].data
    assert accepted["waited_seconds"] == 600 and accepted["team"]["name"] == "Engineering"
    assert life.first_response_at is not None
    assert (life.tier, life.team.name, life.status) == (1, "Service Desk", Status.NEW)
    # Every move carries the tier it left the ticket in, as ticket_route writes it.
    assert all(
        "tier" in e.data
        for e in life.events
        if e.kind not in (EventKind.STATUS_CHANGED, EventKind.BOUNCED)
    )


def test_status_activities_follow_the_status_machine():
    teams, users = _refs()
    life = rules.play_case(
        _rows(
            ("Open", "sam", "Service Desk"),
            ("Resolved", "sam", ""),
            ("Reopen", "sam", ""),
            ("Resolved", "sam", ""),
            ("Resolved", "sam", ""),  # a repeated resolved row adds nothing
            ("Closed", "sam", ""),
            ("Reopen", "sam", ""),  # closed tickets cannot reopen: a row error
        ),
        system="oldsm",
        teams=teams,
        users=users,
        source="api",
    )
    actions = [e.data["action"] for e in life.events if e.kind == EventKind.STATUS_CHANGED]
    assert actions == ["resolve", "reopen", "resolve", "close"]
    assert (life.status, life.reopen_count) == (Status.CLOSED, 1)
    assert life.errors == [(8, "activity", "cannot reopen a ticket that is closed")]
    assert life.version == 5


# --- jobs: permissions, dry run ------------------------------------------------------------


def test_only_managers_create_imports(l2_agent):
    with pytest.raises(PermissionDenied):
        services.import_job_create(
            actor=l2_agent,
            kind="event_log",
            file=upload(csv_bytes(HEADER, STORY)),
            mapping=event_mapping(),
            dry_run=True,
        )
    assert not ImportJob.objects.exists()


def test_a_bad_mapping_is_refused_before_anything_is_stored(admin):
    with pytest.raises(DomainError) as exc:
        services.import_job_create(
            actor=admin,
            kind="event_log",
            file=upload(csv_bytes(["Case", "When"], [])),
            mapping=event_mapping(),
            dry_run=True,
        )
    assert exc.value.field == "mapping.columns"
    assert not ImportJob.objects.exists()


def test_dry_run_reports_row_errors_and_writes_nothing(admin):
    rows = [
        *STORY,
        ("C-2", "Open", "yesterday", "sam", "Service Desk"),
        ("", "Open", at(1), "sam", "Service Desk"),
        ("C-3", "Open", at(1), "newbie", "Moon Base"),
        ("C-4", "Open", at(1), "newbie", "Service Desk"),
    ]
    users, teams = User.objects.count(), Team.objects.count()
    job = run(admin, csv_bytes(HEADER, rows), dry_run=True)
    assert job.state == ImportState.DONE
    assert (job.rows_total, job.rows_done, job.created, job.error_count) == (12, 12, 2, 3)
    errors = job.report["errors"]
    assert [(e["row"], e["column"]) for e in errors] == [
        (10, "Timestamp"),
        (11, "Case ID"),
        (12, "Group"),
    ]
    assert "not a date and time" in errors[0]["message"]
    assert "Moon Base" in errors[2]["message"]
    assert job.report["users_created"] == ["lena", "newbie", "sam"]
    assert [t["name"] for t in job.report["teams_created"]] == [
        "Application Support",
        "Service Desk",
    ]
    assert not Ticket.objects.exists() and not TicketEvent.objects.exists()
    assert (User.objects.count(), Team.objects.count()) == (users, teams)


# --- real runs match the native services ----------------------------------------------------


def _native_story(l1_agent, l2_agent, service_desk, app_support):
    """The STORY played through the real services."""
    t = ticket_services.ticket_create(actor=l1_agent, title="CRM crash", team=service_desk, at=T0)
    t = ticket_services.ticket_assign(
        actor=l1_agent, ticket=t, assignee=l1_agent, at=T0 + timedelta(minutes=5)
    )
    t = ticket_services.ticket_transition(
        actor=l1_agent, ticket=t, action="start", at=T0 + timedelta(minutes=10)
    )
    esc = escalation_services.escalation_create(
        actor=l1_agent,
        ticket=t,
        to_team=app_support,
        summary="CRM crashes",
        impact_users=3,
        steps_taken="Cleared the cache.",
        at=T0 + timedelta(minutes=30),
    )
    escalation_services.escalation_accept(
        actor=l2_agent, escalation=esc, assign_to_self=True, at=T0 + timedelta(minutes=50)
    )
    t.refresh_from_db()
    for minutes, action, extra in (
        (55, "start", {}),
        (120, "resolve", {"resolution_code": "fixed", "resolution_notes": "Patched."}),
        (2000, "close", {}),
    ):
        t = ticket_services.ticket_transition(
            actor=l2_agent, ticket=t, action=action, at=T0 + timedelta(minutes=minutes), **extra
        )
    return t


KEYS = ("changes", "tier", "from_tier", "from_team", "to_team", "status", "team", "action")


def _shape(ticket):
    return [
        (e.kind, e.at, e.actor_id, e.is_internal, {k: e.data.get(k) for k in KEYS})
        for e in TicketEvent.objects.filter(ticket=ticket)
        .exclude(kind=EventKind.RATED)
        .order_by("at", "id")
    ]


def test_an_imported_case_looks_like_the_same_story_told_natively(
    admin, l1_agent, l2_agent, service_desk, app_support
):
    native = _native_story(l1_agent, l2_agent, service_desk, app_support)
    job = run(admin, csv_bytes(HEADER, STORY))
    assert (job.state, job.created, job.error_count) == (ImportState.DONE, 1, 0)
    imported = Ticket.objects.get(external_system="oldsm", external_id="C-1")
    assert _shape(imported) == _shape(native)
    for name in (
        "status",
        "tier",
        "team",
        "assignee",
        "created_at",
        "updated_at",
        "first_response_at",
        "resolved_at",
        "closed_at",
        "reopen_count",
        "version",
    ):
        assert getattr(imported, name) == getattr(native, name), name
    accepted = imported.events.get(kind=EventKind.ACCEPTED)
    assert accepted.data["waited_seconds"] == 20 * 60
    assert FactDirty.objects.filter(ticket_id=imported.pk).exists()
    assert imported.requester.username == "import-oldsm" and not imported.requester.is_active


def test_reimporting_the_same_file_skips_the_tickets_it_has(admin, service_desk, app_support):
    content = csv_bytes(HEADER, [*STORY, ("C-2", "Open", at(3), "sam", "Service Desk")])
    first = run(admin, content)
    second = run(admin, content)
    assert (first.created, first.skipped) == (2, 0)
    assert (second.created, second.skipped) == (0, 2)
    assert Ticket.objects.filter(external_system="oldsm").count() == 2
    assert TicketEvent.objects.filter(ticket__external_id="C-1").count() == 8


def test_unknown_people_become_inactive_agents_and_new_groups_become_teams(admin):
    job = run(
        admin,
        csv_bytes(HEADER, [("Z1", "Open", at(0), "x.user@corp.example", "Ops L3")]),
        event_mapping(groups={"Ops L3": 3}),
    )
    assert job.created == 1
    user = User.objects.get(email="x.user@corp.example")
    assert (user.role, user.is_active, user.has_usable_password()) == ("agent", False, False)
    team = Team.objects.get(name="Ops L3")
    ticket = Ticket.objects.get(external_id="Z1")
    assert (team.tier, ticket.team, ticket.tier) == (3, team, 3)
    assert ticket.events.get().actor == user


def test_a_ticket_csv_imports_each_row_as_a_ticket(admin, l2_agent, app_support):
    header = ["Number", "Opened", "Resolved", "Closed", "Priority", "Team", "Assignee", "State"]
    rows = [
        [
            "INC1",
            "2025-01-02 08:00",
            "2025-01-02 12:00",
            "2025-01-05 12:00",
            "P2",
            "Application Support",
            "lena",
            "Closed",
        ],
        ["INC2", "2025-01-03 08:00", "", "", "low", "Application Support", "", "New"],
        ["INC3", "2025-01-03 08:00", "", "", "P7", "", "", ""],
    ]
    mapping = {
        "system": "legacy",
        "columns": dict(
            zip(
                header,
                [
                    "ticket_id",
                    "opened",
                    "resolved",
                    "closed",
                    "priority",
                    "team",
                    "assignee",
                    "status",
                ],
                strict=True,
            )
        ),
        "groups": {"Application Support": 2},
    }
    job = run(admin, csv_bytes(header, rows), mapping, kind="ticket_csv")
    assert (job.created, job.error_count, job.rows_done) == (2, 1, 3)
    assert job.report["errors"][0]["column"] == "Priority"
    closed = Ticket.objects.get(external_id="INC1")
    assert (closed.status, closed.priority, closed.tier, closed.assignee) == (
        Status.CLOSED,
        2,
        2,
        l2_agent,
    )
    assert closed.resolved_at == datetime(2025, 1, 2, 12, tzinfo=UTC)
    assert [e.data.get("action") for e in closed.events.order_by("at", "id")] == [
        None,
        "resolve",
        "close",
    ]
    assert Ticket.objects.get(external_id="INC2").status == Status.NEW


def test_a_crash_keeps_committed_batches_and_a_rerun_finishes(admin, monkeypatch):
    rows = [(f"K{i}", "Open", at(i), "sam", "Service Desk") for i in range(5)]
    monkeypatch.setattr(services, "BATCH", 2)
    original = services._Run.write
    calls = {"n": 0}

    def flaky(self, lives, bad_rows=0):
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("disk full")
        return original(self, lives, bad_rows)

    monkeypatch.setattr(services._Run, "write", flaky)
    job = run(admin, csv_bytes(HEADER, rows))
    assert job.state == ImportState.FAILED
    assert "disk full" in job.report["reason"]
    assert Ticket.objects.count() == 2
    again = services.import_job_run(job.pk)
    assert (again.state, again.created, again.skipped) == (ImportState.DONE, 3, 2)
    assert Ticket.objects.count() == 5


def test_a_finished_job_does_not_run_twice(admin):
    job = run(admin, csv_bytes(HEADER, STORY))
    assert services.import_job_run(job.pk).created == 1
    assert Ticket.objects.count() == 1


def test_a_job_already_running_is_a_conflict(admin):
    job = services.import_job_create(
        actor=admin,
        kind="event_log",
        file=upload(csv_bytes(HEADER, STORY)),
        mapping=event_mapping(),
        dry_run=False,
    )
    ImportJob.objects.filter(pk=job.pk).update(state=ImportState.RUNNING)
    with pytest.raises(Conflict):
        services.import_job_run(job.pk)
    assert not Ticket.objects.exists()


def test_the_progress_poll_reloads_the_page_once_the_job_has_finished(manager_web, admin):
    job = services.import_job_create(
        actor=admin,
        kind="event_log",
        file=upload(csv_bytes(HEADER, STORY)),
        mapping=event_mapping(),
        dry_run=True,
    )
    url = f"/settings/import/{job.pk}"
    pending = manager_web.get(url, HTTP_HX_REQUEST="true")
    assert "every 1s" in pending.content.decode() and "HX-Refresh" not in pending
    assert 'value="0"' in pending.content.decode()
    services.import_job_run(job.pk)
    done = manager_web.get(url + "?poll=1", HTTP_HX_REQUEST="true")
    assert done["HX-Refresh"] == "true" and 'value="100"' in done.content.decode()


def test_one_hundred_thousand_events_import_completely(admin, tmp_path):
    """~20k cases × 5 events; the numbers are timed by bench/import.py, not here."""
    path = tmp_path / "big.csv"
    rng = random.Random(5)  # noqa: S311 - test data, not secrets
    cases = 20_000
    groups = ["Service Desk", "Application Support", "Engineering"]
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        for c in range(cases):
            start = rng.randrange(0, 60 * 24 * 180)
            steps = ["Open", "Assign", "Start work", "Resolve", "Closed"]
            group = "Service Desk"
            for k, activity in enumerate(steps):
                if k == 2 and rng.random() < 0.3:
                    group = rng.choice(groups[1:])
                writer.writerow([f"B{c}", activity, at(start + k * 30), f"agent{c % 40}", group])
    job = services.import_job_create(
        actor=admin,
        kind="event_log",
        file=upload(path.read_bytes(), "big.csv"),
        mapping=event_mapping(),
        dry_run=False,
    )
    job = services.import_job_run(job.pk)
    assert (job.state, job.rows_total, job.rows_done) == (ImportState.DONE, 100_000, 100_000)
    assert (job.created, job.error_count) == (cases, 0)
    assert Ticket.objects.filter(external_system="oldsm").count() == cases
    assert Ticket.objects.filter(status=Status.CLOSED).count() == cases
    assert TicketEvent.objects.filter(kind=EventKind.STATUS_CHANGED).count() == 3 * cases
    assert FactDirty.objects.count() == cases


# --- API ------------------------------------------------------------------------------------


def _post(client, content: bytes, mapping, **extra):
    return client.post(
        "/api/v1/imports",
        {
            "file": upload(content),
            "kind": "event_log",
            "mapping": mapping if isinstance(mapping, str) else json.dumps(mapping),
            "dry_run": "true",
            **extra,
        },
    )


def test_api_creates_a_job_runs_it_and_reports_progress_and_errors(
    admin, django_capture_on_commit_callbacks
):
    client = api_client_for(admin)
    rows = [*STORY, ("C-9", "Open", "not a time", "sam", "Service Desk")]
    with django_capture_on_commit_callbacks(execute=True):
        response = _post(client, csv_bytes(HEADER, rows), event_mapping())
    assert response.status_code == 201, response.content
    job_id = response.json()["id"]
    body = client.get(f"/api/v1/imports/{job_id}").json()
    assert (body["state"], body["dry_run"], body["percent"]) == ("done", True, 100)
    assert (body["rows_done"], body["rows_total"], body["created"]) == (9, 9, 1)
    assert body["errors"] == [
        {"row": 10, "column": "Timestamp", "message": body["errors"][0]["message"]}
    ]
    assert not Ticket.objects.exists()
    listed = client.get("/api/v1/imports").json()
    assert listed["count"] == 1 and listed["items"][0]["id"] == job_id


def test_api_refuses_a_bad_mapping_naming_the_field(admin):
    client = api_client_for(admin)
    response = _post(client, csv_bytes(HEADER, STORY), {"system": "oldsm", "columns": {}})
    assert response.status_code == 422
    assert response.json()["field"] == "mapping.columns"
    response = _post(client, csv_bytes(HEADER, STORY), "{not json")
    assert response.status_code == 422 and response.json()["field"] == "mapping"
    latin1 = "Case ID,Activité,Timestamp\n".encode("latin-1")
    response = _post(client, latin1, event_mapping())
    assert response.status_code == 422 and response.json()["field"] == "file"
    assert not ImportJob.objects.exists()


def test_api_is_for_managers_only(l2_agent, admin):
    client = api_client_for(l2_agent)
    assert _post(client, csv_bytes(HEADER, STORY), event_mapping()).status_code == 403
    assert client.get("/api/v1/imports").status_code == 403
    job = run(admin, csv_bytes(HEADER, STORY), dry_run=True)
    assert client.get(f"/api/v1/imports/{job.pk}").status_code == 403
    assert api_client_for(admin).get("/api/v1/imports/999999").status_code == 404


# --- pages ----------------------------------------------------------------------------------


@pytest.fixture
def manager_web(admin):
    from django.test import Client

    client = Client()
    client.force_login(admin)
    return client


def test_the_mapping_editor_shows_the_columns_and_the_groups_of_the_file(manager_web, app_support):
    response = manager_web.post(
        "/settings/import/new/columns",
        {"kind": "event_log", "file": upload(csv_bytes(HEADER, STORY))},
        HTTP_HX_REQUEST="true",
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert '<option value="Case ID" selected>' in html  # guessed for the case id
    assert 'value="Application Support"' in html and 'value="Service Desk"' in html
    assert '<option value="2" selected>L2</option>' in html  # the existing team's tier


def test_the_form_starts_a_dry_run_and_the_job_page_shows_its_report(
    manager_web, django_capture_on_commit_callbacks
):
    data = {
        "file": upload(csv_bytes(HEADER, [*STORY, ("C-2", "Open", "soon", "sam", "")])),
        "kind": "event_log",
        "system": "oldsm",
        "timezone": "UTC",
        "dry_run": "on",
        "map_case_id": "Case ID",
        "map_activity": "Activity",
        "map_timestamp": "Timestamp",
        "map_resource": "Resource",
        "map_group": "Group",
        "group_name_1": "Service Desk",
        "group_tier_1": "1",
        "group_name_2": "Application Support",
        "group_tier_2": "2",
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = manager_web.post("/settings/import/new", data)
    job = ImportJob.objects.get()
    assert response.status_code == 302 and response.url == f"/settings/import/{job.pk}"
    page = manager_web.get(response.url).content.decode()
    assert "Run for real" in page and "&#x27;soon&#x27; is not a date" in page
    poll = manager_web.get(response.url, HTTP_HX_REQUEST="true").content.decode()
    assert 'id="import-progress"' in poll and "<html" not in poll and "every 1s" not in poll
    with django_capture_on_commit_callbacks(execute=True):
        response = manager_web.post(f"/settings/import/{job.pk}/run")
    real = ImportJob.objects.exclude(pk=job.pk).get()
    assert (real.dry_run, real.state, real.created, real.source_job) == (False, "done", 1, job)
    assert Ticket.objects.filter(external_id="C-1").exists()
    listing = manager_web.get("/settings/import/").content.decode()
    assert listing.count("/settings/import/") >= 2


def test_the_form_shows_a_mapping_error_and_stores_nothing(manager_web):
    response = manager_web.post(
        "/settings/import/new",
        {
            "file": upload(csv_bytes(HEADER, STORY)),
            "kind": "event_log",
            "system": "oldsm",
            "timezone": "UTC",
            "map_case_id": "Case ID",
        },
    )
    assert response.status_code == 422
    assert "Map a column to activity, timestamp" in response.content.decode()
    assert not ImportJob.objects.exists()


def test_agents_cannot_open_the_import_pages(web):
    assert web.get("/settings/import/").status_code == 403
    assert web.get("/settings/import/new").status_code == 403


def test_imported_history_counts_in_every_metric_like_the_native_story(
    admin, l1_agent, l2_agent, service_desk, app_support
):
    """Both tellings of STORY give the same analytics fact, so every dashboard number counts
    them alike — except what the other system cannot tell us: Backline's SLA clocks (imported
    tickets have none) and so the calendar of their business time (the default one)."""
    from backline.analytics.models import OUTCOME_FIELDS, TicketFact
    from backline.analytics.services import facts_sync

    native = _native_story(l1_agent, l2_agent, service_desk, app_support)
    run(admin, csv_bytes(HEADER, STORY))
    imported = Ticket.objects.get(external_system="oldsm", external_id="C-1")
    facts_sync()
    skip = {
        "_state",
        "ticket_id",
        "refreshed_at",
        "source",
        "resolve_business_min",
        *OUTCOME_FIELDS,
    }

    def fact(ticket):
        return {
            k: v for k, v in vars(TicketFact.objects.get(ticket=ticket)).items() if k not in skip
        }

    assert fact(imported) == fact(native)
    assert fact(native)["escalations"] == 1 and fact(native)["accept_wait_t2_s"] == 20 * 60
