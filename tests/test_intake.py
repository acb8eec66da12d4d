"""Monitoring intake: label rules and fingerprints, alerts deduplicated into one incident,
resolution (automatic unless people touched the incident), racing deliveries, and the
receivers end to end with a source token (Alertmanager, Grafana, generic JSON)."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test import Client

from backline.accounts.choices import Role
from backline.accounts.models import TeamMembership
from backline.cmdb.models import ConfigurationItem, Service
from backline.core.errors import DomainError, PermissionDenied
from backline.intake import rules, services
from backline.intake.choices import AlertStatus, Outcome, SourceKind
from backline.intake.models import Alert, AlertNotification, AlertRule
from backline.tickets.choices import EventKind, Level, Source, Status
from backline.tickets.models import Ticket, TicketEvent, TicketLink
from backline.tickets.services import ticket_comment, ticket_transition
from tests.factories import TeamFactory, UserFactory

T0 = datetime(2026, 3, 2, 6, 10, tzinfo=UTC)
URL = "/api/v1/alerts/{}"


# --- fixtures and payloads ---------------------------------------------------------------------


@pytest.fixture
def monitoring(db):
    return UserFactory(username="monitoring", first_name="Monitoring", role=Role.REQUESTER)


@pytest.fixture
def ops(db):
    return TeamFactory(name="Operations", tier=2)


@pytest.fixture
def source_and_token(admin, monitoring, ops):
    return services.alert_source_create(
        actor=admin, name="Prometheus", kind=SourceKind.ALERTMANAGER, requester=monitoring,
        team=ops,
    )  # fmt: skip


@pytest.fixture
def source(source_and_token):
    return source_and_token[0]


@pytest.fixture
def token(source_and_token):
    return source_and_token[1]


def am_alert(status="firing", name="HighErrorRate", fingerprint="f1", **labels):
    return {
        "status": status,
        "labels": {"alertname": name, "severity": "critical", **labels},
        "annotations": {
            "summary": f"{name} on crm-app-01",
            "description": "5xx rate above 5% for 10 minutes.",
        },
        "startsAt": "2026-03-02T06:05:00Z",
        "endsAt": "0001-01-01T00:00:00Z" if status == "firing" else "2026-03-02T07:00:00Z",
        "generatorURL": "http://prometheus:9090/graph?g0.expr=rate",
        "fingerprint": fingerprint,
    }


def am_payload(*alerts, status=None):
    alerts = alerts or (am_alert(),)
    return {
        "version": "4",
        "groupKey": '{}:{alertname="HighErrorRate"}',
        "truncatedAlerts": 0,
        "status": status or alerts[0]["status"],
        "receiver": "backline",
        "groupLabels": {"alertname": "HighErrorRate"},
        "commonLabels": {},
        "commonAnnotations": {},
        "externalURL": "http://alertmanager:9093",
        "alerts": list(alerts),
    }


def incoming(status="firing", fingerprint="f1", **labels):
    labels = {"alertname": "HighErrorRate", "severity": "critical", **labels}
    return rules.Incoming(
        status=status,
        fingerprint=fingerprint,
        labels=labels,
        annotations={"summary": "HighErrorRate on crm-app-01"},
        ends_at=T0 + timedelta(hours=1) if status == "resolved" else None,
    )


def receive(source, *alerts, at=T0):
    return services.alerts_receive(
        source=source, alerts=list(alerts), status=alerts[0].status, digest="d", at=at
    )


def post(kind, token, body, **headers):
    return Client().post(
        URL.format(kind),
        data=json.dumps(body),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
        **headers,
    )


# --- rules -------------------------------------------------------------------------------------


def test_matchers_parse_and_match_like_prometheus():
    matchers = rules.parse_matchers('severity=critical\nservice=~"crm|erp"\n# note\nenv!=staging')
    assert matchers == [
        {"label": "severity", "op": "=", "value": "critical"},
        {"label": "service", "op": "=~", "value": "crm|erp"},
        {"label": "env", "op": "!=", "value": "staging"},
    ]
    assert rules.matches(matchers, {"severity": "critical", "service": "erp"})
    assert not rules.matches(matchers, {"severity": "critical", "service": "erp-x"})  # fullmatch
    assert not rules.matches(matchers, {"severity": "critical", "service": "crm", "env": "staging"})
    assert rules.matches([{"label": "team", "op": "!~", "value": ".+"}], {})  # missing is ""


def test_bad_matchers_name_the_field():
    with pytest.raises(DomainError, match="Line 1") as err:
        rules.parse_matchers("severity")
    assert err.value.field == "matchers"
    with pytest.raises(DomainError, match="not a valid regex"):
        rules.parse_matchers("service=~(crm")


def test_first_matching_rule_for_the_source_wins():
    class R:
        def __init__(self, name, matchers, source_id=None, is_active=True):
            self.name, self.matchers = name, matchers
            self.source_id, self.is_active = source_id, is_active

    crm = [{"label": "service", "op": "=", "value": "crm"}]
    ordered = [
        R("off", crm, is_active=False),
        R("other source", crm, source_id=9),
        R("crm", crm),
        R("all", []),
    ]
    assert rules.first_match(ordered, {"service": "crm"}, 1).name == "crm"
    assert rules.first_match(ordered, {"service": "erp"}, 1).name == "all"
    assert rules.first_match(ordered, {"service": "crm"}, 9).name == "other source"


def test_fingerprint_is_stable_and_titles_render_from_labels():
    assert rules.fingerprint_of({"a": "1", "b": "2"}) == rules.fingerprint_of({"b": "2", "a": "1"})
    assert rules.fingerprint_of({"a": "1"}) != rules.fingerprint_of({"a": "2"})
    alert = incoming(instance="crm-app-01:9100")
    assert rules.ticket_title("{alertname} on {instance} {missing}", alert) == (
        "HighErrorRate on crm-app-01:9100"
    )
    assert rules.ticket_title("", alert) == "HighErrorRate on crm-app-01"
    assert rules.ci_candidates({"instance": "crm-app-01:9100", "job": "crm"}) == [
        "crm-app-01",
        "crm",
    ]


def test_only_people_touch_an_incident():
    assert not rules.touched_by_people([None, 1, 2], {1, 2})
    assert rules.touched_by_people([None, 1, 3], {1, 2})


# --- services ----------------------------------------------------------------------------------


def test_firing_firing_resolved_is_one_incident_counted_twice_and_auto_resolved(source, ops):
    receive(source, incoming())
    receive(source, incoming(), at=T0 + timedelta(minutes=5))
    resolved = receive(source, incoming("resolved"), at=T0 + timedelta(minutes=50))

    ticket = Ticket.objects.get()
    alert = Alert.objects.get()
    assert alert.ticket == ticket
    assert alert.occurrences == 2
    assert alert.status == AlertStatus.RESOLVED
    assert alert.last_seen == T0 + timedelta(minutes=50)
    assert ticket.source == Source.MONITORING
    assert ticket.requester.username == "monitoring"
    assert ticket.team == ops
    assert ticket.status == Status.RESOLVED
    assert "Resolved by the monitoring system" in ticket.resolution_notes
    assert resolved.outcomes[0]["outcome"] == Outcome.AUTO_RESOLVED
    # The repeat did not write to the timeline: created, then resolved
    kinds = list(TicketEvent.objects.filter(ticket=ticket).values_list("kind", flat=True))
    assert sorted(kinds) == sorted([EventKind.CREATED, EventKind.STATUS_CHANGED])
    assert AlertNotification.objects.filter(source=source).count() == 3


def test_a_touched_incident_gets_a_note_instead_of_being_resolved(source, l2_agent, ops):
    TeamMembership.objects.create(user=l2_agent, team=ops)  # the alerts' team works it
    receive(source, incoming())
    ticket = Ticket.objects.get()
    ticket_comment(actor=l2_agent, ticket=ticket, body="Looking at the app logs.", internal=True)
    note = receive(source, incoming("resolved"), at=T0 + timedelta(minutes=30))

    ticket.refresh_from_db()
    assert ticket.status == Status.NEW
    assert note.outcomes[0]["outcome"] == Outcome.NOTED
    last = ticket.comments.order_by("-id").first()
    assert last.is_internal and last.body.startswith("The alert resolved at 2026-03-02 08:10 CET")
    assert Alert.objects.get().status == AlertStatus.RESOLVED


def test_resolved_then_firing_again_while_people_work_it_stays_one_incident(source, l2_agent, ops):
    TeamMembership.objects.create(user=l2_agent, team=ops)  # the alerts' team works it
    receive(source, incoming())
    ticket = Ticket.objects.get()
    ticket_comment(actor=l2_agent, ticket=ticket, body="On it.", internal=True)
    receive(source, incoming("resolved"), at=T0 + timedelta(minutes=20))
    again = receive(source, incoming(), at=T0 + timedelta(minutes=40))
    assert again.outcomes[0]["outcome"] == Outcome.REFIRED
    assert Ticket.objects.count() == 1
    alert = Alert.objects.get()
    assert (alert.status, alert.occurrences) == (AlertStatus.FIRING, 2)
    assert "fired again" in ticket.comments.order_by("-id").first().body


def test_firing_after_the_incident_was_resolved_opens_a_new_related_incident(source):
    receive(source, incoming())
    receive(source, incoming("resolved"), at=T0 + timedelta(minutes=20))
    receive(source, incoming(), at=T0 + timedelta(hours=3))
    first, second = Ticket.objects.order_by("pk")
    assert first.status == Status.RESOLVED and second.status == Status.NEW
    assert TicketLink.objects.filter(source=second, target=first, kind="related").exists()
    assert Alert.objects.filter(status=AlertStatus.FIRING).get().ticket == second


def test_still_firing_after_people_resolved_the_incident_opens_a_new_one(source, admin):
    receive(source, incoming())
    first = Ticket.objects.get()
    ticket_transition(
        actor=admin, ticket=first, action="resolve", resolution_code="fixed",
        resolution_notes="Restarted the app.",
    )  # fmt: skip
    again = receive(source, incoming(), at=T0 + timedelta(hours=1))
    assert again.outcomes[0]["outcome"] == Outcome.CREATED
    second = Ticket.objects.exclude(pk=first.pk).get()
    assert TicketLink.objects.filter(source=second, target=first).exists()
    assert Alert.objects.filter(status=AlertStatus.FIRING).get().ticket == second


def test_a_batch_handles_every_alert_and_duplicates_in_it(source):
    note = receive(
        source,
        incoming(fingerprint="a"),
        incoming(fingerprint="b", instance="db-01"),
        incoming(fingerprint="a"),
        incoming("resolved", fingerprint="zzz"),
    )
    assert [o["outcome"] for o in note.outcomes] == [
        Outcome.CREATED, Outcome.CREATED, Outcome.REPEATED, Outcome.IGNORED,
    ]  # fmt: skip
    assert Ticket.objects.count() == 2
    assert Alert.objects.get(fingerprint="a").occurrences == 2


def test_rules_pick_service_ci_team_priority_and_title(source, admin, engineering):
    crm = Service.objects.create(name="CRM")
    app = ConfigurationItem.objects.create(name="crm-app-01", ci_type="server", service=crm)
    services.alert_rule_create(
        actor=admin, name="warnings are low", matchers=rules.parse_matchers("severity=warning"),
        impact=Level.LOW, urgency=Level.LOW,
    )  # fmt: skip
    services.alert_rule_create(
        actor=admin, name="CRM critical", source=source,
        matchers=rules.parse_matchers("severity=critical\nservice=crm"),
        service=crm, team=engineering, impact=Level.HIGH, urgency=Level.HIGH,
        title_template="CRM: {alertname} on {instance}",
    )  # fmt: skip
    receive(source, incoming(service="crm", instance="crm-app-01:9100"))
    ticket = Ticket.objects.get()
    assert ticket.title == "CRM: HighErrorRate on crm-app-01:9100"
    assert (ticket.service, ticket.ci, ticket.team) == (crm, app, engineering)
    assert ticket.priority == 1
    assert Alert.objects.get().rule.name == "CRM critical"


def test_without_a_rule_the_labels_name_the_ci_and_its_owner_team(source, engineering, ops):
    crm = Service.objects.create(name="CRM", owner_team=ops)
    ConfigurationItem.objects.create(
        name="crm-db-01", ci_type="database", service=crm, owner_team=engineering
    )
    receive(source, incoming(instance="crm-db-01:9187"))
    ticket = Ticket.objects.get()
    assert ticket.ci.name == "crm-db-01" and ticket.service == crm
    assert ticket.team == engineering  # the CI's owner before the source's default
    assert ticket.priority == 3  # the source's medium × medium


def test_an_inactive_source_stores_nothing(source, admin):
    services.alert_source_update(actor=admin, source=source, is_active=False)
    source.refresh_from_db()
    with pytest.raises(PermissionDenied):
        receive(source, incoming())
    assert not Ticket.objects.exists() and not AlertNotification.objects.exists()


def test_only_managers_configure_sources_and_rules(l2_agent, monitoring):
    with pytest.raises(PermissionDenied):
        services.alert_source_create(
            actor=l2_agent, name="x", kind=SourceKind.GENERIC, requester=monitoring
        )
    with pytest.raises(PermissionDenied):
        services.alert_rule_create(actor=l2_agent, name="x", matchers=[])


def test_rules_move_and_refuse_a_ci_of_another_service(admin):
    a = services.alert_rule_create(actor=admin, name="a", matchers=[])
    b = services.alert_rule_create(actor=admin, name="b", matchers=[])
    services.alert_rule_move(actor=admin, rule=b, direction="up")
    assert list(AlertRule.objects.values_list("name", flat=True)) == ["b", "a"]
    crm, erp = Service.objects.create(name="CRM"), Service.objects.create(name="ERP")
    ci = ConfigurationItem.objects.create(name="erp-app-01", ci_type="server", service=erp)
    with pytest.raises(DomainError) as err:
        services.alert_rule_update(actor=admin, rule=a, service=crm, ci=ci)
    assert err.value.field == "ci"


def test_the_token_is_checked_and_regenerating_it_retires_the_old_one(source, token, admin):
    assert services.alert_source_authenticate(token, SourceKind.ALERTMANAGER) == source
    with pytest.raises(PermissionDenied, match="post to /api/v1/alerts/alertmanager"):
        services.alert_source_authenticate(token, SourceKind.GRAFANA)
    _, fresh = services.alert_source_token_regenerate(actor=admin, source=source)
    with pytest.raises(services.Unauthorized):
        services.alert_source_authenticate(token, SourceKind.ALERTMANAGER)
    assert services.alert_source_authenticate(fresh, SourceKind.ALERTMANAGER) == source
    assert token not in str(list(source.__class__.objects.values()))  # only the digest is kept


@pytest.mark.django_db(transaction=True)
def test_two_deliveries_of_a_new_alert_at_once_open_one_incident(admin, ops):
    monitoring = UserFactory(username="monitoring", role=Role.REQUESTER)
    source, _ = services.alert_source_create(
        actor=admin, name="Prom", kind=SourceKind.ALERTMANAGER, requester=monitoring, team=ops
    )
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def deliver() -> None:
        barrier.wait()
        try:
            receive(source, incoming(), at=T0)
        except BaseException as exc:  # surfaced below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=deliver) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert Ticket.objects.count() == 1
    assert Alert.objects.get().occurrences == 2


# --- API ---------------------------------------------------------------------------------------


def test_alertmanager_firing_firing_resolved_end_to_end(source, token):
    first = post("alertmanager", token, am_payload())
    assert first.status_code == 200, first.content
    number = first.json()["created"][0]
    assert first.json()["outcomes"][0]["ticket"] == number
    again = post("alertmanager", token, am_payload())
    assert again.json()["created"] == []
    assert again.json()["outcomes"][0]["outcome"] == "repeated"
    done = post("alertmanager", token, am_payload(am_alert("resolved")))
    assert done.json()["outcomes"][0]["outcome"] == "auto_resolved"

    ticket = Ticket.objects.get()
    assert ticket.number == number and ticket.status == Status.RESOLVED
    assert Alert.objects.get().occurrences == 2
    assert "generatorURL" not in ticket.description
    assert "http://prometheus:9090/graph" in ticket.description


def test_an_idempotency_key_replays_a_retried_delivery(source, token):
    body = am_payload()
    one = post("alertmanager", token, body, HTTP_IDEMPOTENCY_KEY="n-1")
    two = post("alertmanager", token, body, HTTP_IDEMPOTENCY_KEY="n-1")
    assert two.json() == one.json() and two["Idempotent-Replayed"] == "true"
    assert Alert.objects.get().occurrences == 1
    assert AlertNotification.objects.count() == 1


def test_wrong_or_missing_tokens_are_401_and_store_nothing(source, token):
    bad = post("alertmanager", token[:-2] + "xx", am_payload())
    assert bad.status_code == 401 and bad.json()["field"] == "Authorization"
    none = Client().post(URL.format("alertmanager"), data="{}", content_type="application/json")
    assert none.status_code == 401
    user_token = post("alertmanager", "bl_abcd_efgh", am_payload())
    assert user_token.status_code == 401
    assert not Ticket.objects.exists() and not AlertNotification.objects.exists()


def test_a_token_of_another_kind_of_source_is_403(source, token):
    res = post("grafana", token, {"status": "firing", "alerts": [am_alert()]})
    assert res.status_code == 403
    assert "/api/v1/alerts/alertmanager" in res.json()["message"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"status": "firing"}, "alerts"),
        (am_payload(status="burning"), "status"),
        ({**am_payload(), "alerts": []}, "alerts"),
        (am_payload({**am_alert(), "labels": "crm"}), "alerts.0.labels"),
        (am_payload({**am_alert(), "startsAt": "yesterday"}), "alerts.0.startsAt"),
        (am_payload({**am_alert(), "startsAt": "2026-03-02T06:05:00"}), "alerts.0.startsAt"),
        (am_payload({**am_alert(), "fingerprint": "", "labels": {}}), "alerts.0"),
        (am_payload({**am_alert(), "fingerprint": "x" * 129}), "alerts.0.fingerprint"),
    ],
)
def test_bad_payloads_are_422_naming_the_field_and_store_nothing(source, token, body, field):
    res = post("alertmanager", token, body)
    assert res.status_code == 422, res.content
    assert res.json()["field"] == field
    assert not Ticket.objects.exists() and not Alert.objects.exists()
    assert not AlertNotification.objects.exists()


def test_a_body_that_is_not_json_is_400(source, token):
    res = Client().post(
        URL.format("alertmanager"), data="nope", content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )  # fmt: skip
    assert res.status_code == 400
    assert not AlertNotification.objects.exists()


def test_grafana_alerts_open_incidents_with_dashboard_links(admin, monitoring):
    _, token = services.alert_source_create(
        actor=admin, name="Grafana", kind=SourceKind.GRAFANA, requester=monitoring
    )
    alert = {
        "status": "firing",
        "labels": {"alertname": "DiskFull", "instance": "fs-01"},
        "annotations": {"summary": "Disk almost full on fs-01"},
        "startsAt": "2026-03-02T06:00:00Z",
        "endsAt": "0001-01-01T00:00:00Z",
        "generatorURL": "https://grafana/alerting/grafana/abc/view",
        "fingerprint": "9c2b",
        "silenceURL": "https://grafana/alerting/silence/new",
        "dashboardURL": "https://grafana/d/disk",
        "panelURL": "https://grafana/d/disk?viewPanel=2",
        "values": {"B": 93.5, "C": 1},
        "valueString": "[ var='B' value=93.5 ]",
    }
    body = {"receiver": "backline", "status": "firing", "orgId": 1, "alerts": [alert],
            "groupLabels": {}, "commonLabels": {}, "commonAnnotations": {}, "externalURL": "",
            "version": "1", "groupKey": "{}", "truncatedAlerts": 0, "title": "[FIRING:1]",
            "state": "alerting", "message": "…"}  # fmt: skip
    assert post("grafana", token, body).status_code == 200
    ticket = Ticket.objects.get()
    assert ticket.title == "Disk almost full on fs-01"
    assert "Dashboard: https://grafana/d/disk" in ticket.description
    assert "B=93.5" in ticket.description
    done = post("grafana", token, {**body, "status": "resolved",
                                   "alerts": [{**alert, "status": "resolved"}]})  # fmt: skip
    assert done.json()["outcomes"][0]["outcome"] == "auto_resolved"


def test_generic_json_dedupes_by_title_and_labels_without_a_fingerprint(admin, monitoring):
    _, token = services.alert_source_create(
        actor=admin, name="Cron checks", kind=SourceKind.GENERIC, requester=monitoring
    )
    body = {"status": "firing", "title": "Nightly backup failed", "severity": "critical",
            "labels": {"host": "backup-01"}, "description": "Exit code 2."}  # fmt: skip
    assert post("generic", token, body).status_code == 200
    assert post("generic", token, body).json()["outcomes"][0]["outcome"] == "repeated"
    ticket = Ticket.objects.get()
    assert "Exit code 2." in ticket.description
    assert Alert.objects.get().labels["severity"] == "critical"
    res = post("generic", token, {**body, "status": "resolved"})
    assert res.json()["outcomes"][0]["outcome"] == "auto_resolved"
    missing = post("generic", token, {"status": "firing"})
    assert missing.status_code == 422 and missing.json()["field"] == "title"
