"""Generated log files for the demo's three reference cases, with the cause findable in them.

`write_reference_logs` writes one log per case, about two days of ordinary traffic up to a few
hours after the ticket was opened, built around the moments the demo data holds
(`reference_times` reads them after `generate.load_demo`):

- (a) `crm-db-01-postgresql.log`: PostgreSQL 15 on crm-db-01 (`log_line_prefix = '%m [%p] '`:
  connections of Zabbix, the CRM pools and the report service, checkpoints, autovacuum,
  statements over 1 s, auto_explain plans over 10 s, temp files, the odd duplicate key). Four
  minutes into the change "Tune CRM database parameters" its AWX job sets `statement_timeout`
  for the role crm_app and reloads postgresql.conf (`received SIGHUP`, `parameter "work_mem"
  changed to "8MB"`). From then on the report queries spill to disk (temp files, external
  sorts, hash batches in the plans): the pipeline and opportunities-by-region reports, 1-5 s
  before, run into the 60 s statement timeout almost every time (the users' HTTP 502 after a
  minute; the scheduled 06:30 run and the 02:30 report cache refresh too), and the activity
  report takes 15-40 s instead of 1-3 s. Users retry, so the errors pile up in office hours.
- (b) `edge-rtr-ham-01.log`: the Hamburg WAN edge router (an RFC 3164 line from the syslog
  server, then the router's sequence number and its own UTC timestamp): ACL denies, interface
  statistics from an EEM applet, hourly config backups over SSH, the QoS rework pushed by AWX
  the evening before (priority for the real-time class from 30 to 10 percent, the video class
  removed, a class for the backup replication, whose queue drops at night from then on). From
  22 minutes before the collaboration ticket was opened (08:30 local) the collaboration
  real-time class and class-default drop packets on the branch tunnels and the internet uplink
  every minute, and the tunnels flap (BFD, BGP, line protocol) at the moments the Munich office
  noted (09:12, 09:41, 10:05, 10:22, 11:05 local).
- (c) `erp-integration.log`: the integration middleware's shop-to-ERP order flow (Logback):
  orders pushed, heartbeats against the ERP health endpoint, stock sync on its own read-only
  key, shipment webhooks, the CRM customer sync, carrier labels, a daily token check that
  warns days ahead. The last order reaches ERP at 06:04 local (WEB-1048789); from the token's
  expiry every push of an order fails with `401 Unauthorized - token expired`, and the retry
  queue (backing off from 1 to 60 minutes) grows as the ticket says: 212 orders at 09:50
  local, 231 at 10:18, 287 at 11:14, while everything else carries on.

All timestamps are UTC (PostgreSQL says so in each line, the router's own timestamp carries
"UTC", the Logback layout has no zone: UTC). The office-hours rhythm of the traffic follows the
time zone of the given datetimes (`reference_times` returns them in the demo's zone). Hosts
are the demo CMDB's (`ADDRESSES`). Everything random comes from `random.Random(f"{seed}:…")`,
so a seed and the same times give the same bytes. Every line is one record with a timestamp:
auto_explain's plan and autovacuum's report, several lines in PostgreSQL, are kept on one.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import UTC, datetime, time
from pathlib import Path

from backline.demo.logs.common import ADDRESSES, ReferenceTimes, Rhythm
from backline.demo.logs.crm_db import PostgresLog
from backline.demo.logs.edge_router import RouterLog
from backline.demo.logs.erp import ErpLog

__all__ = ["ADDRESSES", "ReferenceTimes", "reference_times", "write_reference_logs"]

# The ERP API token's expiry is a date on its CI; the time of day is the demo's story (estate.py
# and the case (c) ticket: the last order reached ERP at 06:04, the token expired at 06:05).
TOKEN_EXPIRY_LOCAL = time(6, 5)
TOKEN_CI = "ERP API credential for the order integration"  # noqa: S105 (a CI name)
PARAM_CHANGE = "Tune CRM database parameters"
QOS_CHANGE = "Rework QoS policy on edge routers"
FILES = {
    "a": "crm-db-01-postgresql.log",
    "b": "edge-rtr-ham-01.log",
    "c": "erp-integration.log",
}


def reference_times() -> ReferenceTimes:
    """Read the moments from the demo database (after `load_demo`), in the demo's time zone."""
    from zoneinfo import ZoneInfo

    from django.conf import settings

    from backline.changes.models import Change
    from backline.cmdb.models import ConfigurationItem
    from backline.demo.reference import COLLABORATION, CRM, ECOMMERCE
    from backline.tickets.models import Ticket

    tz = ZoneInfo(settings.TIME_ZONE)

    def opened(title: str) -> datetime:
        ticket = Ticket.objects.filter(title=title).order_by("-created_at").first()
        if ticket is None:
            raise LookupError(f"No ticket {title!r}: load the demo data first.")
        return ticket.created_at.astimezone(tz)

    def started(prefix: str) -> datetime:
        change = Change.objects.filter(title__startswith=prefix).order_by("-planned_start").first()
        moment = None if change is None else change.actual_start or change.planned_start
        if moment is None:
            raise LookupError(f"No change {prefix!r}…: load the demo data first.")
        return moment.astimezone(tz)

    token = ConfigurationItem.objects.filter(name=TOKEN_CI).first()
    if token is None or token.expires_at is None:
        raise LookupError(f"No {TOKEN_CI!r} with an expiry date: load the demo data first.")
    return ReferenceTimes(
        param_change_at=started(PARAM_CHANGE),
        case_a_start=opened(CRM.title),
        case_b_start=opened(COLLABORATION.title),
        token_expires_at=datetime.combine(token.expires_at, TOKEN_EXPIRY_LOCAL, tzinfo=tz),
        case_c_start=opened(ECOMMERCE.title),
        qos_change_at=started(QOS_CHANGE),
    )


def write_reference_logs(
    directory: Path, times: ReferenceTimes, *, seed: int = 7
) -> dict[str, Path]:
    """Write the three logs into `directory` (created if missing); paths by case key."""
    directory.mkdir(parents=True, exist_ok=True)
    rhythm = Rhythm(times.case_a_start.tzinfo or UTC)
    builders: dict[str, Callable[[], list[str]]] = {
        "a": lambda: PostgresLog(times, random.Random(f"{seed}:crm-db"), rhythm).build(),
        "b": lambda: RouterLog(times, random.Random(f"{seed}:edge-rtr"), rhythm).build(),
        "c": lambda: ErpLog(times, random.Random(f"{seed}:erp"), rhythm).build(),
    }
    paths = {}
    for key, build in builders.items():
        path = directory / FILES[key]
        with path.open("w", encoding="utf-8", newline="\n") as out:
            out.writelines(line + "\n" for line in build())
        paths[key] = path
    return paths
