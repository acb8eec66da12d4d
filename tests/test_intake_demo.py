"""The demo's alert sources and alert-born incidents, including the alert behind case (c)."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from backline.accounts.choices import Role
from backline.cmdb.models import ConfigurationItem, Service
from backline.demo import text as T
from backline.demo.alerts import CASE_C_FINGERPRINT, load_alerts
from backline.demo.history import Clock, Cmdb, Org
from backline.intake.choices import AlertStatus
from backline.intake.models import Alert, AlertSource
from backline.tickets.choices import Status
from tests.factories import TeamFactory, UserFactory


def test_demo_alerts_open_history_incidents_and_the_case_c_alert(db):
    org = Org()
    for name in (T.AS, T.OPS, T.DB):
        org.teams[name] = TeamFactory(name=name)
    org.users["hcarter"] = UserFactory(username="hcarter", role=Role.MANAGER)
    org.users["admin"] = UserFactory(username="admin", role=Role.ADMIN)  # sets up the sources
    org.users["monitoring"] = UserFactory(username="monitoring", role=Role.REQUESTER)
    shop = Service.objects.create(name="eCommerce", owner_team=org.teams[T.AS])
    integration = ConfigurationItem.objects.create(
        name="Shop-to-ERP order integration", ci_type="integration", service=shop
    )
    cmdb = Cmdb({"eCommerce": shop}, {integration.name: integration})
    # Wednesday 15:00 local: case (c) is on Tuesday (its office hours are over), so its alert
    # has fired hourly from Tuesday 06:10 to now: 33 times.
    clock = Clock(datetime(2026, 3, 4, 14, 0, tzinfo=UTC), ZoneInfo("Europe/Berlin"))

    tickets = load_alerts(org=org, cmdb=cmdb, clock=clock)

    assert AlertSource.objects.count() == 2 and len(tickets) == 4
    case_c = Alert.objects.get(fingerprint=CASE_C_FINGERPRINT)
    assert case_c.status == AlertStatus.FIRING and case_c.occurrences == 33
    assert case_c.ticket.ci == integration and case_c.ticket.team == org.teams[T.AS]
    assert case_c.ticket.status == Status.NEW
    assert case_c.ticket.title == "Order export to ERP failing: OrderExportAuthFailures"
    disk = Alert.objects.get(name="DiskSpaceLow")
    assert disk.occurrences == 2 and disk.ticket.status == Status.RESOLVED
    assert "monitoring system" in disk.ticket.resolution_notes
    latency = Alert.objects.get(name="APIGatewayHighLatency").ticket
    assert latency.status == Status.RESOLVED and latency.resolution_code == "workaround"
    assert latency.comments.filter(body__startswith="The alert resolved").exists()
