"""The audit log: what is recorded (changes, sign-ins, token use, denials), that it is append-only
for the ORM and the database, that the hash chain finds tampering, and its exports."""

from __future__ import annotations

import csv
import inspect
import io
import itertools
import json
import threading
from contextlib import contextmanager

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, connections, transaction
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

from backline import cli
from backline.accounts.choices import Role
from backline.accounts.services import team_create, token_create
from backline.audit import rules
from backline.audit.choices import AuditAction, AuditSource
from backline.audit.context import audit_scope
from backline.audit.models import AppendOnlyError, AuditEvent
from backline.audit.services import audit_denied, audit_record, audit_seal, audit_verify
from backline.tickets.models import Ticket
from tests.factories import PASSWORD, UserFactory, make_ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin(db):
    return UserFactory(username="ada", role=Role.ADMIN, is_superuser=True, is_staff=True)


def token_client(user, scope: str = "admin") -> tuple[Client, str]:
    kwargs = {"scope": scope} if "scope" in inspect.signature(token_create).parameters else {}
    _, secret = token_create(user=user, name="audit-tests", **kwargs)
    return Client(HTTP_AUTHORIZATION=f"Bearer {secret}", HTTP_USER_AGENT="curl/8.5"), secret


def events(**filters) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(**filters).order_by("id"))


def mark() -> int:
    """The id of the newest event so far: later assertions look only past it."""
    return AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0


def the_event(**filters) -> AuditEvent:
    found = events(**filters)
    assert len(found) == 1, [(e.action, e.object_type, e.object_label) for e in found]
    return found[0]


@contextmanager
def triggers_dropped():
    """Tamper as an attacker with SQL access would: without the append-only triggers. The
    test's transaction rolls the DROP back afterwards."""
    from importlib import import_module

    migration = import_module("backline.audit.migrations.0002_append_only_triggers")
    backward = {"sqlite": migration.SQLITE_BACKWARD, "postgresql": migration.POSTGRES_BACKWARD}
    with connection.cursor() as cursor:
        for sql in backward[connection.vendor]:
            cursor.execute(sql)
        yield cursor


def sealed_chain(n: int) -> list[AuditEvent]:
    for i in range(n):
        audit_record(action=AuditAction.DENIED, object_label=f"thing {i}", changes={"i": i})
    audit_seal()
    return list(AuditEvent.objects.order_by("seq"))


# --- Pure rules ---------------------------------------------------------------------------------


def test_secrets_are_never_logged_only_that_they_changed():
    assert rules.diff(
        {"password": "old$hash", "title": "a"}, {"password": "new$hash", "title": "a"}
    ) == {"password": [rules.REDACTED, rules.REDACTED]}
    shot = rules.snapshot(
        {"digest": "abc", "token_prefix": "1234", "name": "ci", "secret_rotated_at": None}
    )
    assert shot == {"digest": rules.REDACTED, "token_prefix": rules.REDACTED, "name": "ci"}


def test_long_text_is_clipped_and_values_become_json():
    assert len(rules.jsonable("x" * 5000)) == rules.MAX_TEXT
    assert rules.jsonable("a\x00b") == "ab"
    assert json.dumps(rules.jsonable({"k": list(range(1000))}))  # large JSON becomes clipped text


def test_chain_check_names_the_first_broken_row():
    rows, prev = [], rules.GENESIS
    for seq in range(1, 6):
        row = dict.fromkeys(rules.HASH_FIELDS, "") | {"seq": seq, "id": seq, "prev_hash": prev}
        row["hash"] = prev = rules.event_hash(row)
        rows.append(row)
    assert rules.chain_check(rows).ok
    assert rules.chain_check(rows).head_seq == 5
    changed = [dict(r) for r in rows]
    changed[2]["object_label"] = "edited"
    assert rules.chain_check(changed).broken_seq == 3
    assert rules.chain_check(rows[:1] + rows[2:]).broken_seq == 2
    swapped = [rows[0], rows[2] | {"seq": 2}, rows[1] | {"seq": 3}, *rows[3:]]
    assert rules.chain_check(swapped).broken_seq == 2


# --- What is recorded ---------------------------------------------------------------------------


def test_a_sign_in_records_who_from_where(l2_agent):
    client = Client(HTTP_USER_AGENT="Firefox/140", REMOTE_ADDR="192.0.2.7")
    start = mark()
    response = client.post(reverse("accounts:login"), {"username": "lena", "password": PASSWORD})
    assert response.status_code == 302
    event = the_event(action=AuditAction.LOGIN)
    assert (event.actor_id, event.actor_label) == (l2_agent.pk, "lena")
    assert (event.ip, event.user_agent, event.source) == ("192.0.2.7", "Firefox/140", "web")
    assert (event.method, event.path) == ("POST", reverse("accounts:login"))
    # Setting last_login is part of signing in, not a change of the user.
    assert not events(id__gt=start, object_type="accounts.user", action=AuditAction.UPDATE)


def test_a_failed_sign_in_records_the_name_tried_and_never_the_password(l2_agent):
    client = Client(REMOTE_ADDR="198.51.100.4")
    client.post(reverse("accounts:login"), {"username": "lena", "password": "guess-123456"})
    event = the_event(action=AuditAction.LOGIN_FAILED)
    assert event.actor_id is None and event.object_label == "lena"
    assert event.ip == "198.51.100.4"
    assert "guess-123456" not in json.dumps(list(AuditEvent.objects.values()), default=str)


@override_settings(BACKLINE_LOGIN_MAX_FAILURES=1)
def test_a_sign_in_refused_by_the_lockout_is_recorded(l2_agent):
    client = Client(REMOTE_ADDR="198.51.100.5")
    for _ in range(2):
        response = client.post(reverse("accounts:login"), {"username": "lena", "password": "no"})
    assert response.status_code == 429
    refused = events(action=AuditAction.LOGIN_FAILED)
    assert [e.changes for e in refused] == [{}, {"reason": "throttled"}]
    assert all((e.object_label, e.ip) == ("lena", "198.51.100.5") for e in refused)


def test_sign_out_is_recorded(web, l2_agent):
    web.post(reverse("accounts:logout"))
    assert the_event(action=AuditAction.LOGOUT).actor_id == l2_agent.pk


def test_token_use_is_recorded_once_a_minute_without_the_secret(l2_agent):
    client, secret = token_client(l2_agent, "write")
    prefix = secret.split("_")[1]
    assert client.get("/api/v1/tickets").status_code == 200
    assert client.get("/api/v1/tickets").status_code == 200
    event = the_event(action=AuditAction.TOKEN_USED)
    assert event.actor_label == "lena" and event.source == AuditSource.API
    assert prefix in event.object_label and event.ip == "127.0.0.1"
    assert (event.method, event.path, event.user_agent) == ("GET", "/api/v1/tickets", "curl/8.5")
    dump = json.dumps(list(AuditEvent.objects.values()), default=str)
    assert secret not in dump and secret.split("_", 2)[2] not in dump


def test_a_refused_token_is_recorded(l2_agent):
    Client(HTTP_AUTHORIZATION="Bearer bl_abcd1234_not-the-secret").get("/api/v1/tickets")
    event = the_event(action=AuditAction.TOKEN_REJECTED)
    assert "abcd1234" in event.object_label and "not-the-secret" not in event.object_label


def test_a_403_is_recorded_as_a_denial(requester):
    client = Client(REMOTE_ADDR="203.0.113.9")
    client.force_login(requester)
    assert client.get(reverse("changes:list")).status_code == 403
    event = the_event(action=AuditAction.DENIED)
    assert (event.actor_label, event.ip, event.path) == ("rita", "203.0.113.9", "/changes/")
    assert event.changes == {"status": 403}


def test_a_ticket_change_records_the_fields_before_and_after(l2_agent, app_support):
    client, _ = token_client(l2_agent, "write")
    response = client.post(
        "/api/v1/tickets",
        data=json.dumps({"title": "VPN drops every hour", "team": app_support.pk}),
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    ticket = Ticket.objects.get(title="VPN drops every hour")
    created = the_event(action=AuditAction.CREATE, object_type="tickets.ticket")
    assert created.object_id == str(ticket.pk) and ticket.number in created.object_label
    assert created.changes["title"] == "VPN drops every hour"
    assert (created.actor_label, created.source, created.method) == ("lena", "api", "POST")
    response = client.patch(
        f"/api/v1/tickets/{ticket.number}",
        data=json.dumps({"version": ticket.version, "title": "VPN drops every 60 minutes"}),
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    update = the_event(action=AuditAction.UPDATE, object_type="tickets.ticket")
    assert update.changes["title"] == ["VPN drops every hour", "VPN drops every 60 minutes"]
    assert set(update.changes) == {"title"}  # not updated_at or the version: bookkeeping


def test_deletes_and_links_are_recorded(l2_agent):
    from backline.changes.models import Change
    from backline.cmdb.models import CiType, ConfigurationItem

    now = timezone.now()
    ci = ConfigurationItem.objects.create(name="db-7", ci_type=CiType.objects.first())
    change = Change.objects.create(
        title="Patch db-7", requested_by=l2_agent, created_at=now, updated_at=now
    )
    change.cis.add(ci)
    assert the_event(object_type="changes.change", action=AuditAction.UPDATE).changes == {
        "cis": {"added": [ci.pk]}
    }
    pk = change.pk
    change.delete()
    gone = the_event(object_type="changes.change", action=AuditAction.DELETE)
    assert gone.object_id == str(pk) and gone.changes["title"] == "Patch db-7"


def test_derived_tables_are_not_audited(l2_agent):
    make_ticket(l2_agent)
    types = set(AuditEvent.objects.values_list("object_type", flat=True))
    assert "tickets.ticket" in types
    assert not types & {"tickets.ticketevent", "tickets.ticketaccess", "sla.slaclock"}


def test_a_password_change_is_recorded_without_the_hash(l2_agent):
    start = mark()
    l2_agent.set_password("a-new-long-password-1")
    l2_agent.save()
    event = the_event(id__gt=start, object_type="accounts.user", action=AuditAction.UPDATE)
    assert event.changes == {"password": [rules.REDACTED, rules.REDACTED]}


def test_a_rolled_back_change_leaves_no_event(admin):
    with pytest.raises(RuntimeError), transaction.atomic():
        team_create(name="Ghost team", tier=2, actor=admin)
        assert events(object_type="accounts.team")
        raise RuntimeError("roll back")
    assert not events(object_type="accounts.team")


def test_a_denial_inside_a_rolled_back_transaction_is_kept(l2_agent, requester):
    ticket = make_ticket(l2_agent)
    with audit_scope("cli") as scope:
        with pytest.raises(RuntimeError), transaction.atomic():
            audit_denied(actor=requester, action="view", target=ticket)
            raise RuntimeError("the refused request rolls back")
        assert scope.pending  # held until the scope ends, outside the transaction
    event = the_event(action=AuditAction.DENIED)
    assert (event.actor_label, event.object_type, event.object_id) == (
        "rita",
        "tickets.ticket",
        str(ticket.pk),
    )
    assert event.changes == {"attempted": "view"} and event.source == "cli"


def test_the_command_line_is_named_as_the_source(capsys):
    assert (
        cli.main(["createuser", "nina", "--role", "agent", "--password", "a-long-enough-pw-9"]) == 0
    )
    event = the_event(object_type="accounts.user", action=AuditAction.CREATE)
    assert event.source == AuditSource.CLI and event.actor_label.startswith("cli:")
    assert event.changes["username"] == "nina" and event.changes["password"] == rules.REDACTED


# --- Append-only --------------------------------------------------------------------------------


def test_the_orm_refuses_to_change_or_delete_events():
    event = audit_record(action=AuditAction.DENIED, object_label="x")
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.filter(pk=event.pk).update(object_label="y")
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.all().delete()
    with pytest.raises(AppendOnlyError):
        event.delete()
    event.object_label = "y"
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.bulk_update([event], ["object_label"])
    assert AuditEvent.objects.get(pk=event.pk).object_label == "x"


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE audit_auditevent SET object_label = 'edited'",
        "DELETE FROM audit_auditevent",
        "UPDATE audit_auditevent SET hash = 'f00'",  # a sealed row's seal is final
    ],
)
def test_the_database_refuses_updates_and_deletes(sql):
    sealed_chain(2)
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql)
    assert AuditEvent.objects.count() == 2
    assert audit_verify().ok


def test_the_database_allows_only_a_clean_seal():
    event = AuditEvent(at=timezone.now(), action=AuditAction.DENIED, source="system")
    event.save()  # unsealed, as a PostgreSQL writer leaves it until its commit
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "UPDATE audit_auditevent SET seq = 1, hash = 'h', object_label = 'y' WHERE id = %s",
            [event.pk],
        )
    assert audit_seal() == 1
    assert AuditEvent.objects.get(pk=event.pk).seq == 1


@pytest.mark.django_db(transaction=True)
def test_flush_still_empties_the_database_and_raw_deletes_do_not(admin):
    audit_record(action=AuditAction.DENIED, object_label="x")
    with pytest.raises(DatabaseError), connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_auditevent")
    if connection.vendor == "postgresql":
        with pytest.raises(DatabaseError), connection.cursor() as cursor:
            cursor.execute("TRUNCATE audit_auditevent")
    call_command("flush", interactive=False, verbosity=0)
    assert AuditEvent.objects.count() == 0


# --- The hash chain -----------------------------------------------------------------------------


def test_seal_numbers_and_links_events_after_commit(db, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        make_ticket(UserFactory(username="lena"))
    # SQLite seals inside the writer's transaction; PostgreSQL once per transaction after commit,
    # however many events it wrote.
    assert len(callbacks) == (1 if connection.vendor == "postgresql" else 0)
    rows = list(AuditEvent.objects.order_by("seq"))
    assert rows and all(r.seq is not None for r in rows)
    assert [r.seq for r in rows] == list(range(1, len(rows) + 1))
    assert rows[0].prev_hash == rules.GENESIS
    assert all(b.prev_hash == a.hash for a, b in itertools.pairwise(rows))
    report = audit_verify()
    assert report.ok and report.checked == len(rows) and report.head_hash == rows[-1].hash


def test_awkward_values_hash_the_same_when_read_back(l2_agent):
    """Addresses, text and JSON that a database may normalise still verify."""
    for address in ("::ffff:127.0.0.1", "2001:DB8::1", "10.0.0.1"):
        Client(REMOTE_ADDR=address, HTTP_USER_AGENT="Ünïcode ☃ \t agent").post(
            reverse("accounts:login"), {"username": "lena", "password": "nope"}
        )
    audit_record(
        action=AuditAction.UPDATE,
        object_label="Straße ☃ " + "x" * 300,
        changes={"f": [0.1, 1e20, -0.0], "nested": {"b": [1, None, True], "a": "é"}, "n": 2**62},
    )
    audit_seal()
    assert audit_verify().ok
    assert {e.ip for e in events(action=AuditAction.LOGIN_FAILED)} >= {"10.0.0.1"}


def test_a_changed_field_is_found_with_its_sequence_number():
    rows = sealed_chain(5)
    with triggers_dropped() as cursor:
        cursor.execute("UPDATE audit_auditevent SET actor_label = 'someone else' WHERE seq = 3")
    report = audit_verify()
    assert not report.ok and report.broken_seq == 3 and "changed" in report.reason
    assert report.checked == 2 and report.head_hash == rows[1].hash


def test_a_changed_json_field_is_found():
    sealed_chain(3)
    with triggers_dropped() as cursor:
        cursor.execute(
            "UPDATE audit_auditevent SET changes = %s WHERE seq = 2", [json.dumps({"i": 99})]
        )
    assert audit_verify().broken_seq == 2


def test_a_deleted_row_is_found():
    sealed_chain(5)
    with triggers_dropped() as cursor:
        cursor.execute("DELETE FROM audit_auditevent WHERE seq = 4")
    report = audit_verify()
    assert report.broken_seq == 4 and "missing" in report.reason


def test_a_deleted_first_row_is_found():
    sealed_chain(3)
    with triggers_dropped() as cursor:
        cursor.execute("DELETE FROM audit_auditevent WHERE seq = 1")
    assert audit_verify().broken_seq == 1


def test_reordered_rows_are_found():
    rows = sealed_chain(5)
    with triggers_dropped() as cursor:
        cursor.execute("UPDATE audit_auditevent SET seq = -1 WHERE id = %s", [rows[1].pk])
        cursor.execute("UPDATE audit_auditevent SET seq = 2 WHERE id = %s", [rows[2].pk])
        cursor.execute("UPDATE audit_auditevent SET seq = 3 WHERE id = %s", [rows[1].pk])
    assert audit_verify().broken_seq == 2


def test_verify_from_the_command_line(capsys):
    sealed_chain(3)
    assert cli.main(["audit", "verify"]) == 0
    out = capsys.readouterr().out
    assert "OK: 3 events" in out
    head = out.split("Head: ", 1)[1].strip()
    assert cli.main(["audit", "verify", "--anchor", head]) == 0
    with triggers_dropped() as cursor:
        cursor.execute("UPDATE audit_auditevent SET object_label = 'x' WHERE seq = 2")
    assert cli.main(["audit", "verify"]) == 1
    assert "breaks at event #2" in capsys.readouterr().err


def test_verify_with_an_anchor_finds_a_cut_back_log(capsys):
    sealed_chain(3)
    cli.main(["audit", "verify"])
    head = capsys.readouterr().out.split("Head: ", 1)[1].strip()
    with triggers_dropped() as cursor:
        cursor.execute("DELETE FROM audit_auditevent WHERE seq = 3")
    assert cli.main(["audit", "verify"]) == 0  # the rest of the chain is consistent…
    assert cli.main(["audit", "verify", "--anchor", head]) == 1  # …but the anchor is gone
    assert "event #3 is gone" in capsys.readouterr().err
    assert cli.main(["audit", "verify", "--anchor", "nonsense"]) == 2


@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_build_one_chain(admin):
    """Writers in several threads (own connections, real commits, seals after each commit)."""
    errors: list[BaseException] = []

    def work(n: int) -> None:
        try:
            for i in range(5):
                team_create(name=f"T{n}-{i}", tier=2, actor=admin)
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert not AuditEvent.objects.filter(seq__isnull=True).exists()
    assert AuditEvent.objects.filter(object_type="accounts.team").count() == 20
    report = audit_verify(seal=False)
    assert report.ok and report.checked == AuditEvent.objects.count()


# --- Reading and exporting ----------------------------------------------------------------------


def test_export_cli_jsonl_and_csv(capsys, l2_agent):
    make_ticket(l2_agent)
    Client().post(reverse("accounts:login"), {"username": "=HYPERLINK(1)", "password": "x"})
    assert cli.main(["audit", "export", "--format", "jsonl"]) == 0
    lines = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert lines and [x["seq"] for x in lines] == list(range(1, len(lines) + 1))
    assert any(x["object_type"] == "tickets.ticket" for x in lines)
    assert all(x["at"].endswith("Z") for x in lines)
    assert cli.main(["audit", "export", "--format", "csv"]) == 0
    table = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert len(table) == len(lines)
    ticket_row = next(r for r in table if r["object_type"] == "tickets.ticket")
    assert json.loads(ticket_row["changes"])["title"] == "Printer on floor 3 prints blank pages"
    failed = next(r for r in table if r["action"] == "login_failed")
    assert failed["object_label"] == "'=HYPERLINK(1)"  # a spreadsheet shows it, never runs it
    assert (
        next(x for x in lines if x["action"] == "login_failed")["object_label"] == "=HYPERLINK(1)"
    )
    assert cli.main(["audit", "export", "--since", "2999-01-01"]) == 0
    assert capsys.readouterr().out == ""


def test_api_lists_events_for_admins_only(admin, l2_agent):
    client, _ = token_client(admin)
    Client().post(reverse("accounts:login"), {"username": "lena", "password": PASSWORD})
    response = client.get("/api/v1/audit/events", {"action": "login"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["count"] == 1 and body["items"][0]["actor_label"] == "lena"
    assert body["items"][0]["seq"] is None or body["items"][0]["hash"]
    agent_client, _ = token_client(l2_agent, "write")
    assert agent_client.get("/api/v1/audit/events").status_code == 403
    bad = client.get("/api/v1/audit/events", {"ip": "not-an-address"})
    assert bad.status_code == 422 and bad.json()["field"] == "ip"


def test_api_follows_the_chain_with_after_seq(admin):
    sealed_chain(4)
    client, _ = token_client(admin)
    audit_seal()
    sealed = AuditEvent.objects.filter(seq__isnull=False).count()
    items = client.get("/api/v1/audit/events", {"after_seq": 2}).json()["items"]
    assert sealed >= 4 and [i["seq"] for i in items] == list(range(3, sealed + 1))


def test_audit_page_filters_and_downloads(admin, l2_agent):
    Client().post(reverse("accounts:login"), {"username": "lena", "password": "wrong-password-1"})
    web = Client()
    web.force_login(admin)
    page = web.get(reverse("audit:list"), {"action": "login_failed"})
    assert page.status_code == 200
    html = page.content.decode()
    assert html.count('data-testid="audit-row"') == 1 and "Sign-in failed" in html
    assert "export.csv?action=login_failed" in html
    download = web.get(reverse("audit:export", args=["csv"]), {"action": "login_failed"})
    assert download["Content-Disposition"].startswith("attachment;")
    rows = list(csv.DictReader(io.StringIO(b"".join(download.streaming_content).decode())))
    assert [r["action"] for r in rows] == ["login_failed"]
    jsonl = web.get(reverse("audit:export", args=["jsonl"]))
    assert all(json.loads(x) for x in b"".join(jsonl.streaming_content).decode().splitlines())
    assert web.get(reverse("audit:list"), {"ip": "nope"}).status_code == 200  # a form error


def test_audit_page_is_refused_to_everyone_but_admins(manager, l2_agent):
    for user in (manager, l2_agent):
        client = Client()
        client.force_login(user)
        assert client.get(reverse("audit:list")).status_code == 403
        assert client.get(reverse("audit:export", args=["csv"])).status_code == 403
    assert Client().get(reverse("audit:list")).status_code == 302  # to the sign-in page


def test_the_worker_is_named_as_the_source_and_seals_leftovers(admin, monkeypatch):
    from backline import worker

    monkeypatch.setattr(
        worker, "sweeps", lambda: [("x", lambda: team_create(name="Night", tier=1))]
    )
    monkeypatch.setattr(worker, "run_tasks", lambda: None)
    worker.run_once()
    event = the_event(object_type="accounts.team", action=AuditAction.CREATE)
    assert (event.source, event.actor_label, event.actor_id) == ("worker", "worker", None)
    monkeypatch.undo()
    # An event left unsealed (its writer died between commit and seal) is sealed by the sweep.
    AuditEvent(at=timezone.now(), action=AuditAction.DENIED, source="web").save()
    pending = AuditEvent.objects.filter(seq__isnull=True).count()
    assert pending >= 1 and dict(worker.sweeps())["audit"]() == {"sealed": pending}
    assert not AuditEvent.objects.filter(seq__isnull=True).exists()


def test_the_nav_links_the_audit_log_for_admins(admin, manager):
    for user, shown in ((admin, True), (manager, False)):
        client = Client()
        client.force_login(user)
        html = client.get(reverse("tickets:queue")).content.decode()
        assert (reverse("audit:list") in html) is shown
