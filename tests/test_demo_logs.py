"""Generated logs for the demo's reference cases (demo.logs), built around the demo's own times.

The demo is loaded once for the module, inside a transaction that is rolled back; the logs are
parsed with plain regular expressions, the way an engineer would grep them.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.db import transaction

from backline.cmdb.models import ConfigurationItem
from backline.demo.generate import load_demo
from backline.demo.logs import ADDRESSES, ReferenceTimes, reference_times, write_reference_logs

# The demo is loaded by a module fixture; the mark makes pytest-django create the test database.
pytestmark = pytest.mark.django_db

HOUR = timedelta(hours=1)
PG = re.compile(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}) UTC \[(\d+)\] ([A-Z]+):  (.+)$")
SYSLOG = re.compile(
    r"^([A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d) edge-rtr-ham-01 (\d+): "
    r"([A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d\.\d{3}) UTC: (%[A-Z0-9_]+-\d-[A-Z0-9_]+): (.+)$"
)
LOGBACK = re.compile(
    r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}) (ERROR|WARN |INFO ) \[([^\]]+)\] (\S+) - (.+)$"
)

Row = tuple[datetime, str]


def _pg(line: str, near: datetime) -> Row | None:
    m = PG.match(line)
    if m is None:
        return None
    at = datetime.strptime(m[1], "%Y-%m-%d %H:%M:%S.%f").replace(tzinfo=UTC)
    return at, f"{m[3]}: {m[4]}"


def _syslog(line: str, near: datetime) -> Row | None:
    """RFC 3164 has no year: the one that puts the line within a month of `near`."""
    m = SYSLOG.match(line)
    if m is None:
        return None
    at = datetime.strptime(f"{near.year} {m[3]}", "%Y %b %d %H:%M:%S.%f").replace(tzinfo=UTC)
    if at > near + timedelta(days=31):
        at = at.replace(year=near.year - 1)
    elif at < near - timedelta(days=31):
        at = at.replace(year=near.year + 1)
    return at, f"{m[4]}: {m[5]}"


def _logback(line: str, near: datetime) -> Row | None:
    m = LOGBACK.match(line)
    if m is None:
        return None
    at = datetime.strptime(m[1], "%Y-%m-%d %H:%M:%S,%f").replace(tzinfo=UTC)
    return at, f"{m[2].strip()} [{m[3]}] {m[4]} - {m[5]}"


PARSERS: dict[str, Callable[[str, datetime], Row | None]] = {"a": _pg, "b": _syslog, "c": _logback}


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker) -> tuple[ReferenceTimes, dict[str, str]]:
    """The reference times and the servers' addresses of a demo loaded and rolled back."""
    with django_db_blocker.unblock(), transaction.atomic():
        load_demo(seed=7, tickets=150, password="backline-demo", progress=False)
        found = reference_times()
        servers = ConfigurationItem.objects.filter(attributes__has_key="ip")
        addresses = {ci.attributes["ip"]: ci.name for ci in servers}
        transaction.set_rollback(True)
    return found, addresses


@pytest.fixture(scope="module")
def times(demo) -> ReferenceTimes:
    return demo[0]


@pytest.fixture(scope="module")
def paths(times, tmp_path_factory) -> dict[str, Path]:
    return write_reference_logs(tmp_path_factory.mktemp("logs"), times, seed=7)


@pytest.fixture(scope="module")
def rows(paths, times) -> dict[str, list[Row]]:
    parsed: dict[str, list[Row]] = {}
    for key, path in paths.items():
        lines = path.read_text(encoding="utf-8").splitlines()
        parsed[key] = [row for line in lines if (row := PARSERS[key](line, times.case_b_start))]
        assert len(parsed[key]) == len(lines), f"{path.name}: lines the regex does not read"
    return parsed


def _between(rows: list[Row], start: datetime, end: datetime, needle: str) -> list[Row]:
    return [(at, m) for at, m in rows if start <= at < end and needle in m]


def _matching(rows: list[Row], needle: str) -> list[datetime]:
    return [at for at, m in rows if needle in m]


def _most_risen(rows: list[Row], start: datetime) -> str:
    """The message shape (digits masked) with the most lines in [start − 1 h, start + 1 h)
    beyond what its rate before that window predicts."""
    inside: Counter[str] = Counter()
    before: Counter[str] = Counter()
    for at, message in rows:
        shape = re.sub(r"\d+", "#", message)
        if start - HOUR <= at < start + HOUR:
            inside[shape] += 1
        elif at < start - HOUR:
            before[shape] += 1
    minutes = (start - HOUR - rows[0][0]).total_seconds() / 60
    return max(inside, key=lambda s: inside[s] - before[s] * 120 / minutes)


# --- the times --------------------------------------------------------------------------------


def test_reference_times_are_the_demos(times):
    tz = ZoneInfo(settings.TIME_ZONE)
    local = {k: v.astimezone(tz) for k, v in vars(times).items() if v is not None}
    # (a) the parameter change the evening before the CRM ticket (opened 10:05)
    assert local["param_change_at"].strftime("%H:%M") == "19:05"
    assert timedelta(hours=10) < times.case_a_start - times.param_change_at < timedelta(days=4)
    assert local["case_a_start"].strftime("%H:%M") == "10:05"
    # (b) the QoS rework the evening before the collaboration ticket (08:52)
    assert local["case_b_start"].strftime("%H:%M") == "08:52"
    assert times.qos_change_at is not None
    assert timedelta(hours=10) < times.case_b_start - times.qos_change_at < timedelta(days=4)
    # (c) the token expired at 06:05 on the day of the eCommerce ticket, opened at 09:57: almost
    # four hours later, outside the hour before the ticket
    assert local["token_expires_at"].strftime("%H:%M") == "06:05"
    assert local["token_expires_at"].date() == local["case_c_start"].date()
    assert times.case_c_start - times.token_expires_at == timedelta(hours=3, minutes=52)
    assert times.param_change_at < times.case_a_start < times.case_b_start < times.case_c_start


def test_the_logs_name_the_demos_servers(demo, paths):
    _, addresses = demo
    for name, ip in ADDRESSES.items():
        assert addresses.get(ip) == name
    text = "\n".join(path.read_text(encoding="utf-8") for path in paths.values())
    for ip in set(re.findall(r"\b10\.10\.0\.[1-9]\d*\b", text)):
        assert ip in addresses, ip


# --- the files --------------------------------------------------------------------------------


def test_three_logs_in_range_ordered_and_around_their_tickets(paths, rows, times):
    assert {k: p.name for k, p in paths.items()} == {
        "a": "crm-db-01-postgresql.log",
        "b": "edge-rtr-ham-01.log",
        "c": "erp-integration.log",
    }
    starts = {"a": times.case_a_start, "b": times.case_b_start, "c": times.case_c_start}
    for key, parsed in rows.items():
        assert 20_000 <= len(parsed) <= 60_000, (key, len(parsed))
        stamps = [at for at, _ in parsed]
        assert stamps == sorted(stamps), key
        assert stamps[0] <= starts[key] - timedelta(days=1, hours=12)
        assert starts[key] + HOUR < stamps[-1] < starts[key] + 4 * HOUR


def test_the_same_seed_gives_the_same_bytes(paths, times, tmp_path):
    again = write_reference_logs(tmp_path / "again", times, seed=7)
    other = write_reference_logs(tmp_path / "other", times, seed=8)
    for key, path in paths.items():
        assert again[key].read_bytes() == path.read_bytes(), key
        assert other[key].read_bytes() != path.read_bytes(), key


# --- (a) the CRM database ---------------------------------------------------------------------


def test_crm_reports_slow_down_and_time_out_after_the_parameter_change(rows, times):
    log, change, opened = rows["a"], times.param_change_at, times.case_a_start
    (reload,) = _matching(log, "received SIGHUP, reloading configuration files")
    assert change < reload < change + timedelta(minutes=10)
    assert _matching(log, 'parameter "work_mem" changed to "8MB"') == [reload]
    assert change < _matching(log, "SET statement_timeout = '60s'")[0] < reload

    durations = [  # the reports' statements (pipeline, by region, activities), logged over 1 s
        (at, float(m.split("duration: ")[1].split(" ms")[0]))
        for at, m in log
        if "duration: " in m and re.search(r"statement: SELECT (o\.region|u\.full_name)", m)
    ]
    before = [ms for at, ms in durations if at < reload]
    after = [ms for at, ms in durations if at > reload + timedelta(minutes=1)]  # begun after
    assert len(before) >= 5 and max(before) < 10_000  # a few seconds
    assert len(after) >= 5 and min(after) > 10_000
    timeouts = _matching(log, "canceling statement due to statement timeout")
    assert timeouts and min(timeouts) > reload
    assert len(_between(log, opened - HOUR, opened + HOUR, "due to statement timeout")) >= 8
    temp = _matching(log, "temporary file: path")
    assert len([t for t in temp if t > reload]) > 5 * len([t for t in temp if t < reload])
    assert len(_between(log, opened - HOUR, opened + HOUR, "external merge")) >= 3


def test_crm_database_log_has_ordinary_traffic_around_the_signal(rows, times):
    log, reload = rows["a"], times.param_change_at + timedelta(minutes=5)
    for needle in (
        "connection authorized: user=zbx_monitor",
        "connection authorized: user=crm_app",
        "disconnection: session time:",
        "checkpoint complete: wrote",
        "automatic vacuum of table",
        "execute ",
    ):
        hits = _matching(log, needle)
        assert any(t < reload for t in hits) and any(t > reload for t in hits), needle
    assert len(_matching(log, "duplicate key value violates unique constraint")) >= 3
    signal = sum(1 for _, m in log if "statement timeout" in m or "temporary file" in m)
    assert signal < len(log) / 20


# --- (b) the WAN edge router ------------------------------------------------------------------


def test_qos_drops_of_the_collaboration_class_cluster_around_case_b(rows, times):
    log, opened = rows["b"], times.case_b_start
    assert times.qos_change_at is not None
    drops = _matching(log, "class COLLAB-REALTIME: ")
    assert drops and min(drops) >= opened - timedelta(minutes=25)
    assert len(_between(log, opened - HOUR, opened + HOUR, "class COLLAB-REALTIME: ")) >= 60
    flaps = [at for at, m in log if "Interface Tunnel" in m and "changed state to down" in m]
    assert len(flaps) >= 5 and min(flaps) > opened - HOUR
    assert len([t for t in flaps if t < opened + HOUR]) >= 3
    # the cause, the evening before: the playbook lowers the real-time class to 10 percent
    (pushed,) = _matching(log, "logged command:priority percent 10")
    assert times.qos_change_at < pushed < times.qos_change_at + timedelta(minutes=15)
    assert "COLLAB-REALTIME" in _most_risen(log, opened)


def test_router_log_has_ordinary_traffic_before_and_after(rows, times):
    log, opened = rows["b"], times.case_b_start
    for needle in (
        "%FMANFP-6-IPACCESSLOGP",
        "IFSTATS: Tunnel30",
        "user: oxidized",
        "%SYS-6-LOGOUT",
    ):
        hits = _matching(log, needle)
        assert any(t < opened - HOUR for t in hits) and any(t > opened for t in hits), needle
    assert _matching(log, "%LINK-3-UPDOWN")  # a spare port flapping on the first day
    assert len(_matching(log, "%QOS-")) < len(log) / 20


# --- (c) the ERP integration ------------------------------------------------------------------


def test_token_expired_errors_start_at_the_expiry_and_lead_the_change(rows, times):
    log, expiry, opened = rows["c"], times.token_expires_at, times.case_c_start
    errors = _matching(log, "401 Unauthorized - token expired")
    assert errors and min(errors) >= expiry
    assert min(errors) < expiry + timedelta(minutes=10)  # the first order after 06:05
    inside = _between(log, opened - HOUR, opened + HOUR, "token expired")
    assert len(inside) >= 500
    baseline_minutes = (opened - HOUR - log[0][0]).total_seconds() / 60
    baseline = [t for t in errors if t < opened - HOUR]
    assert len(inside) / 120 > 10 * len(baseline) / baseline_minutes
    assert "token expired" in _most_risen(log, opened)

    pushed = _matching(log, "c.b.erp.OrderSync - Pushed order")
    assert len(pushed) > 1000 and max(pushed) < expiry  # nothing reaches ERP afterwards
    last = next(m for _, m in reversed(log) if "Pushed order" in m)
    assert "WEB-1048789" in last
    first = next(m for _, m in log if "not exported" in m)
    assert "WEB-1048790" in first


def test_the_retry_queue_grows_as_the_ticket_says(rows, times):
    log, opened = rows["c"], times.case_c_start

    def depth_at(moment: datetime) -> int:
        beats = [m for at, m in log if at <= moment and "Heartbeat OK" in m]
        return int(beats[-1].rsplit("retry queue ", 1)[1])

    assert depth_at(times.token_expires_at) == 0
    for minutes, shown in ((-7, 212), (21, 231), (77, 287)):  # 09:50, 10:18, 11:14
        assert abs(depth_at(opened + timedelta(minutes=minutes)) - shown) <= 3


def test_integration_log_carries_on_with_ordinary_traffic(rows, times):
    log, expiry = rows["c"], times.token_expires_at
    for needle in (
        "Heartbeat OK",
        "c.b.erp.StockSync - GET /api/v2/stock",
        "c.b.erp.ShipmentWebhook - Shipment update",
        "c.b.carrier.LabelClient - Label booked",
        "c.b.crm.CustomerSync",
        "c.b.erp.PriceSync",
    ):
        hits = _matching(log, needle)
        assert any(t < expiry for t in hits) and any(t > expiry for t in hits), needle
    warnings = _matching(log, "POST /api/v2/orders failed: 503")
    warnings += _matching(log, "POST /api/v2/orders failed: Read timed out")
    assert warnings and max(warnings) < expiry  # the ordinary hiccups, retried and fine
