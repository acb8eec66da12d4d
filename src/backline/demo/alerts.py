"""Demo monitoring: two alert sources (Prometheus Alertmanager and Grafana), their rules, a few
alert-born incidents in the history window, and the alert behind reference case (c).

Every alert goes through `intake.services.alerts_receive` at its own time, so the incidents,
their timelines and the notification log are what a real delivery would have written:

- a disk filling on erp-db-01 three weeks ago: fired, fired again, resolved by itself, so the
  incident was resolved by the monitoring system;
- API gateway latency nine days ago: an engineer looked into it before it cleared, so the
  resolution only left a note and the engineer resolved it;
- a Grafana alert on the web shop's checkout error rate five days ago, resolved by itself;
- case (c): from 06:10 on the case's day the shop-to-ERP order integration gets HTTP 401 from
  the ERP API (its token expired at 06:05). The alert opened an incident for Application
  Support at once and has fired every hour since; nobody linked it to the phoned-in case.

`load_demo` opens each incident when its time comes in the pass that writes the history
(`Monitoring.openings`, like the reference cases), so its number follows its date; the rest of
its story is delivered at once, every step at its own time. Its SLA clocks come from the live
handlers; `Monitoring.sweep` then records what the worker's sweep would have recorded on the
clocks still running, dated when it happened, as `demo.clocks` does for the history.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta
from functools import partial
from typing import TYPE_CHECKING

from backline.demo import text as T
from backline.demo.reference import case_days
from backline.intake import rules, services
from backline.intake.choices import SourceKind
from backline.intake.models import AlertSource
from backline.sla import services as sla
from backline.sla.choices import ClockState
from backline.sla.models import SlaClock
from backline.tickets.choices import Level
from backline.tickets.models import Ticket
from backline.tickets.services import ticket_comment, ticket_transition

if TYPE_CHECKING:
    from backline.demo.history import Clock, Cmdb, Org

CASE_C_FINGERPRINT = "5f0c2a9e81d4b7c3"
_PROM = "http://prometheus.hartwell.local:9090/graph?g0.expr="


def _alert(status: str, fingerprint: str, labels: dict, summary: str, description: str,
           expr: str, starts_at: datetime) -> rules.Incoming:  # fmt: skip
    return rules.Incoming(
        status=status,
        fingerprint=fingerprint,
        labels=labels,
        annotations={"summary": summary, "description": description},
        starts_at=starts_at,
        url=_PROM + expr,
    )


def _deliver(source: AlertSource, alert: rules.Incoming, at: datetime) -> None:
    digest = f"demo:{alert.fingerprint}:{at.timestamp():.0f}"
    services.alerts_receive(
        source=source, alerts=[alert], status=alert.status, digest=digest, at=at
    )


def _resolve(source: AlertSource, alert: rules.Incoming, at: datetime) -> None:
    _deliver(source, replace(alert, status="resolved", ends_at=at - timedelta(minutes=1)), at)


def load_alerts(*, org: Org, cmdb: Cmdb, clock: Clock) -> list[Ticket]:
    """Create the sources, rules and alert-born incidents; returns the incidents, oldest first."""
    monitoring = Monitoring(org=org, cmdb=cmdb, clock=clock)
    for _, open_incident in sorted(monitoring.openings(), key=lambda o: o[0]):
        open_incident()
    return monitoring.incidents()


class Monitoring:
    """The alert sources and rules (created at once), and the incidents their alerts open."""

    def __init__(self, *, org: Org, cmdb: Cmdb, clock: Clock) -> None:
        self.org, self.clock = org, clock
        # Alert sources and rules are configuration: the admin sets them up.
        manager, monitoring = org.user(T.ADMIN.username), org.user(T.MONITORING.username)
        self.prometheus, _ = services.alert_source_create(
            actor=manager, name="Prometheus production", kind=SourceKind.ALERTMANAGER,
            requester=monitoring, team=org.teams.get(T.OPS),
            at=clock.anchor - timedelta(days=200),
        )  # fmt: skip
        self.grafana, _ = services.alert_source_create(
            actor=manager, name="Grafana Cloud", kind=SourceKind.GRAFANA, requester=monitoring,
            team=org.teams.get(T.AS), at=clock.anchor - timedelta(days=200),
        )  # fmt: skip
        services.alert_rule_create(
            actor=manager, name="Shop-to-ERP integration", source=self.prometheus,
            matchers=rules.parse_matchers("job=shop-erp-integration"),
            service=cmdb.services.get("eCommerce"),
            ci=cmdb.items.get("Shop-to-ERP order integration"), team=org.teams.get(T.AS),
            title_template="Order export to ERP failing: {alertname}",
        )  # fmt: skip
        services.alert_rule_create(
            actor=manager, name="Disk space is not urgent until it is critical",
            matchers=rules.parse_matchers("alertname=~DiskSpace.*\nseverity!=critical"),
            team=org.teams.get(T.DB), impact=Level.MEDIUM, urgency=Level.LOW,
        )  # fmt: skip
        services.alert_rule_create(
            actor=manager, name="Critical alerts are urgent",
            matchers=rules.parse_matchers("severity=~critical|page"), urgency=Level.HIGH,
        )  # fmt: skip

    def openings(self) -> list[tuple[datetime, Callable[[], None]]]:
        """(first firing, deliver the alert's story) per incident, so the caller can number
        tickets in creation order."""
        day, anchor = timedelta(days=1), self.clock.anchor
        case_c = self.clock.to_utc(self.clock.local(case_days(self.clock.local_anchor)[1], "06:10"))
        return [
            (anchor - 21 * day, partial(self._disk, anchor - 21 * day)),
            (anchor - 9 * day, partial(self._latency, anchor - 9 * day)),
            (anchor - 5 * day, partial(self._checkout, anchor - 5 * day)),
            (case_c, partial(_case_c, self.prometheus, self.clock, case_c)),
        ]

    def incidents(self) -> list[Ticket]:
        """The incidents the demo's alerts opened, oldest first."""
        return list(
            Ticket.objects.filter(monitoring_alerts__source__in=[self.prometheus, self.grafana])
            .distinct()
            .order_by("created_at")
        )

    def sweep(self, *, now: datetime) -> None:
        """Record the warnings and breaches that the worker's SLA sweep would have recorded on
        the incidents' running clocks up to `now`, each dated when it happened and noticed then,
        as `demo.clocks` replays it for the history (and, like it, without the policies' actions).
        Crossings before a clock paused or stopped were recorded by the services at the time."""
        tickets = self.incidents()
        running = SlaClock.objects.filter(ticket__in=tickets, state=ClockState.RUNNING)
        for clock in running.select_related("policy", "ticket").order_by("id"):
            moments = sorted(m for m in (clock.warn_at, clock.due_at) if m is not None)
            for moment in (m for m in moments if m <= now):
                sla._record_crossings(clock, moment)
            clock.save(update_fields=["warned_at", "breached_at"])
        sla.tickets_sla_refresh([t.pk for t in tickets])

    def _disk(self, start: datetime) -> None:
        disk = _alert(
            "firing", "a3d91f0c2b7e4410",
            {"alertname": "DiskSpaceLow", "instance": "erp-db-01:9182", "severity": "warning",
             "volume": "E:"},
            "Disk E: on erp-db-01 is 91% full",
            "The data volume has less than 10% free space (predicted full in 3 days).",
            "windows_logical_disk_free_bytes", start,
        )  # fmt: skip
        _deliver(self.prometheus, disk, start)
        _deliver(self.prometheus, disk, start + timedelta(hours=4))
        _resolve(self.prometheus, disk, start + timedelta(hours=6))  # log backups pruned overnight

    def _latency(self, start: datetime) -> None:
        latency = _alert(
            "firing", "7be2c41d90a35f68",
            {"alertname": "APIGatewayHighLatency", "instance": "api-gw-01:9090",
             "severity": "critical", "service": "erp"},
            "p95 latency on api-gw-01 above 2 s",
            "p95 request latency has been above 2 s for 10 minutes (normally 180 ms).",
            "histogram_quantile(0.95, gateway_request_seconds_bucket)", start,
        )  # fmt: skip
        _deliver(self.prometheus, latency, start)
        ticket = Ticket.objects.filter(monitoring_alerts__fingerprint=latency.fingerprint).get()
        org = self.org
        engineer = org.user("cmendes") if "cmendes" in org.users else org.user(T.MANAGER.username)
        ticket_comment(
            actor=engineer, ticket=ticket, internal=True, at=start + timedelta(minutes=25),
            body="Gateway waits on erp-app-02; its connection pool is exhausted. Recycling the "
            "pool.",
        )  # fmt: skip
        _resolve(self.prometheus, latency, start + timedelta(minutes=40))
        ticket = Ticket.objects.get(pk=ticket.pk)
        ticket_transition(
            actor=engineer, ticket=ticket, action="resolve", resolution_code="workaround",
            resolution_notes="Recycled the connection pool of erp-app-02; latency back to normal.",
            at=start + timedelta(minutes=55),
        )  # fmt: skip

    def _checkout(self, start: datetime) -> None:
        checkout = rules.Incoming(
            status="firing", fingerprint="c0ffee5e1a2b3c4d",
            labels={"alertname": "CheckoutErrorRate", "service": "eCommerce",
                    "severity": "warning", "grafana_folder": "Shop"},
            annotations={"summary": "Checkout errors above 2% in the web shop",
                         "description": "3.4% of checkouts failed in the last 15 minutes."},
            starts_at=start,
            url="https://grafana.hartwell-supply.example/alerting/grafana/checkout/view",
            links=(("Dashboard", "https://grafana.hartwell-supply.example/d/shop-checkout"),),
            values={"B": 3.4, "C": 1},
        )  # fmt: skip
        _deliver(self.grafana, checkout, start)
        _resolve(self.grafana, checkout, start + timedelta(minutes=35))


def _case_c(source: AlertSource, clock: Clock, first: datetime) -> None:
    """The 401s behind reference case (c): firing from 06:10, repeated hourly up to the anchor."""
    alert = _alert(
        "firing", CASE_C_FINGERPRINT,
        {"alertname": "OrderExportAuthFailures", "job": "shop-erp-integration",
         "instance": "int-mw-01:9400", "severity": "warning", "service": "ecommerce"},
        "Order export to ERP: 401 Unauthorized on every call",
        f"The shop-to-ERP order integration got HTTP 401 Unauthorized from "
        f"https://erp-api.{T.DOMAIN}/v2/salesorders on 100% of calls for 5 minutes; orders are "
        "queued in the shop and retried.",
        'rate(integration_http_requests_total{code="401"}[5m])', first - timedelta(minutes=5),
    )  # fmt: skip
    at = first
    for _ in range(48):
        if at > clock.anchor:
            break
        _deliver(source, alert, at)
        at += timedelta(hours=1)
