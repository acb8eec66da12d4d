"""Log line headers: format detection, header fields, continuation lines, user patterns."""

from __future__ import annotations

import csv
import re
from datetime import UTC, datetime, timedelta, tzinfo
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from backline.diagnostics.formats import (
    FORMATS,
    LEVELS,
    PLAIN,
    LogFormat,
    Record,
    detect,
    from_pattern,
    get_format,
    normalize_level,
    parse_lines,
)

LOGHUB = Path("/work/shared/data/loghub")


def epoch(
    year: int,
    month: int,
    day: int,
    hour: int = 0,
    minute: int = 0,
    second: int = 0,
    microsecond: int = 0,
    tz: tzinfo = UTC,
) -> float:
    """Epoch seconds of a wall-clock time in `tz`."""
    return datetime(year, month, day, hour, minute, second, microsecond, tzinfo=tz).timestamp()


def only(fmt: LogFormat, line: str) -> Record:
    record = fmt.parse(line)
    assert record is not None, f"{fmt.name} does not read {line!r}"
    return record


# --- one realistic sample per format -----------------------------------------------------------

# format name → (sample lines, the first line's expected record)
SAMPLES: dict[str, tuple[list[str], Record]] = {
    "syslog": (
        [
            "Nov 27 06:12:01 web1 sshd[4321]: Failed password for invalid user admin from 10.0.0.9",
            "Nov 27 06:12:03 web1 sshd[4321]: Connection closed by 10.0.0.9 port 52144 [preauth]",
            "Nov  3 06:25:01 web1 CRON[8812]: (root) CMD (test -x /usr/sbin/anacron)",
            "Nov 27 06:30:00 web1 kernel: [12345.678] eth0: link down",
            "Nov 27 06:30:02 web1 systemd[1]: Started Session 42 of user deploy.",
        ],
        Record(
            epoch(2026, 11, 27, 6, 12, 1),
            "",
            "sshd",
            "Failed password for invalid user admin from 10.0.0.9",
        ),
    ),
    "rfc5424": (
        [
            "<165>1 2026-11-02T09:14:03.123Z web1.example.com nginx 4321 ID47 "
            '[origin ip="10.0.0.5"] upstream timed out',
            "<163>1 2026-11-02T09:14:04.5+01:00 web1.example.com nginx 4321 - - worker crashed",
            "<14>1 2026-11-02T09:14:05Z web1.example.com cron - - - \ufeffjob started",
        ],
        Record(epoch(2026, 11, 2, 9, 14, 3, 123000), "notice", "nginx", "upstream timed out"),
    ),
    "iso": (
        [
            "2026-11-02T09:14:03.123Z ERROR [billing] Invoice 8812 rejected by ERP",
            "2026-11-02T09:14:04.001Z INFO [billing] Invoice 8813 accepted",
            "2026-11-02T09:14:05Z WARN Slow response from ERP: 2140 ms",
            "2026-11-02T09:14:06.5Z [DEBUG] cache warm",
            "2026-11-02T09:14:07Z nothing but a message",
        ],
        Record(
            epoch(2026, 11, 2, 9, 14, 3, 123000), "error", "billing", "Invoice 8812 rejected by ERP"
        ),
    ),
    "log4j": (
        [
            "2026-11-02 06:00:01,123 ERROR [sync-worker-3] c.b.erp.TokenClient - Token refresh "
            "failed: 401",
            "2026-11-02 06:00:02,004 INFO  [sync-worker-3] c.b.erp.TokenClient - Token refreshed",
            "2026-11-02 06:00:03,456 [main] WARN  com.backline.Boot - Config key x is deprecated",
            "2026-11-02 06:00:04,000 DEBUG [main] com.backline.Boot - ",
        ],
        Record(
            epoch(2026, 11, 2, 6, 0, 1, 123000),
            "error",
            "c.b.erp.TokenClient",
            "Token refresh failed: 401",
        ),
    ),
    "apache_access": (
        [
            '10.0.0.9 - frank [02/Nov/2026:09:14:03 +0100] "GET /api/tickets?page=2 HTTP/1.1" 503 '
            '1873 "https://desk.example.com/" "Mozilla/5.0"',
            '10.0.0.9 - - [02/Nov/2026:09:14:04 +0100] "GET /favicon.ico HTTP/1.1" 404 209',
            '10.0.0.7 - - [02/Nov/2026:09:14:05 +0100] "POST /login HTTP/1.1" 302 0 "-" "curl/8"',
        ],
        Record(
            epoch(2026, 11, 2, 8, 14, 3),
            "error",
            "GET",
            '"GET /api/tickets?page=2 HTTP/1.1" 503 1873 "https://desk.example.com/" "Mozilla/5.0"',
        ),
    ),
    "apache_error": (
        [
            "[Wed Oct 11 14:32:52.123456 2026] [core:error] [pid 1234:tid 5678] "
            "[client 10.0.0.9:51234] AH00037: Symbolic link not allowed: /var/www/html/x",
            "[Wed Oct 11 14:32:53.000001 2026] [mpm_event:notice] [pid 1:tid 1] AH00489: resuming",
            "[Wed Oct 11 14:33:00 2026] [error] [client 127.0.0.1] client denied by server",
        ],
        Record(
            epoch(2026, 10, 11, 14, 32, 52, 123456),
            "error",
            "core",
            "AH00037: Symbolic link not allowed: /var/www/html/x",
        ),
    ),
    "nginx_error": (
        [
            "2026/11/02 09:14:03 [error] 1234#0: *45 connect() failed (111: Connection refused) "
            "while connecting to upstream",
            "2026/11/02 09:14:04 [warn] 1234#0: *46 an upstream response is buffered",
            "2026/11/02 09:14:05 [notice] 1#1: signal process started",
        ],
        Record(
            epoch(2026, 11, 2, 9, 14, 3),
            "error",
            "",
            "connect() failed (111: Connection refused) while connecting to upstream",
        ),
    ),
    "windows_event": (
        [
            "Level,Date and Time,Source,Event ID,Task Category",
            "Information,11/2/2026 9:14:03 AM,Service Control Manager,7036,None,"
            '"The Windows Update service entered the running state."',
            "Error,11/2/2026 9:15:10 PM,Disk,7,None,"
            "The device \\Device\\Harddisk1\\DR1 has a bad block.",
            'Warning,11/2/2026 9:16:00 PM,Microsoft-Windows-Kernel-Power,41,(63),"The system has '
            'rebooted without cleanly shutting down first."',
        ],
        Record(
            epoch(2026, 11, 2, 9, 14, 3),
            "info",
            "Service Control Manager",
            "The Windows Update service entered the running state.",
        ),
    ),
    "jsonl": (
        [
            '{"ts": "2026-11-02T09:14:03.123Z", "level": "error", "logger": "erp.sync", '
            '"msg": "Token expired"}',
            '{"time": 1793610000123, "severity": "WARNING", "component": "mailer", '
            '"message": "retrying"}',
            '{"@timestamp": "2026-11-02T09:14:05+01:00", "log.level": "info", "message": "ok"}',
        ],
        Record(epoch(2026, 11, 2, 9, 14, 3, 123000), "error", "erp.sync", "Token expired"),
    ),
    "postgres": (
        [
            "2026-11-02 09:14:03.123 UTC [12345] LOG:  duration: 1532.004 ms  statement: SELECT 1",
            '2026-11-02 09:14:04.000 UTC [12346] ERROR:  relation "tickets" does not exist at '
            "character 15",
            "2026-11-02 09:14:04.000 UTC [12346] STATEMENT:  select * from tickets",
            "2026-11-02 09:14:05.111 UTC [12347] FATAL:  password authentication failed for user "
            '"desk"',
        ],
        Record(
            epoch(2026, 11, 2, 9, 14, 3, 123000),
            "info",
            "",
            "duration: 1532.004 ms  statement: SELECT 1",
        ),
    ),
}


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_sample_is_detected_and_read(name: str) -> None:
    lines, expected = SAMPLES[name]
    fmt = detect(lines, year=2026)
    assert fmt.name == name
    records = list(parse_lines(lines, fmt))
    assert len(records) == len(lines)
    first = records[0]
    if name == "windows_event":  # the export's column header is not an event
        assert fmt.parse(lines[0]) is None
        first = records[1]
    assert first.ts == pytest.approx(expected.ts, abs=1e-6)
    assert (first.level, first.component, first.message) == (
        expected.level,
        expected.component,
        expected.message,
    )
    assert all(r.ts is not None and r.level in (*LEVELS, "") for r in records[1:])


@pytest.mark.parametrize("fmt", FORMATS, ids=lambda f: f.name)
def test_every_format_reads_its_own_example(fmt: LogFormat) -> None:
    assert fmt.name and fmt.label and fmt.example
    assert detect([fmt.example] * 3, year=2026).name == fmt.name
    record = only(fmt, fmt.example)
    assert record.level in (*LEVELS, "")
    assert record.message


def test_format_names_are_unique_and_plain_comes_last() -> None:
    names = [fmt.name for fmt in FORMATS]
    assert len(names) == len(set(names))
    assert FORMATS[-1] is PLAIN


def test_more_fields() -> None:
    lines, _ = SAMPLES["log4j"]
    fmt = get_format("log4j")
    thread_first = only(fmt, lines[2])
    assert (thread_first.level, thread_first.component) == ("warning", "com.backline.Boot")
    assert only(fmt, lines[3]).message == ""

    access = get_format("apache_access")
    assert [only(access, line).level for line in SAMPLES["apache_access"][0]] == [
        "error",
        "warning",
        "info",
    ]
    vhost = only(
        access,
        'desk.example.com:443 10.0.0.9 - - [02/Nov/2026:09:14:03 +0000] "GET / HTTP/2.0" 200 5',
    )
    assert (vhost.component, vhost.message) == ("desk.example.com:443", '"GET / HTTP/2.0" 200 5')

    apache = get_format("apache_error")
    old = only(apache, SAMPLES["apache_error"][0][2])
    assert (old.ts, old.level, old.component) == (epoch(2026, 10, 11, 14, 33, 0), "error", "")

    rfc = get_format("rfc5424")
    crashed = only(rfc, SAMPLES["rfc5424"][0][1])
    assert crashed.ts == pytest.approx(epoch(2026, 11, 2, 8, 14, 4, 500000))
    assert (crashed.level, crashed.message) == ("error", "worker crashed")
    assert only(rfc, SAMPLES["rfc5424"][0][2]).message == "job started"  # BOM dropped

    pg = get_format("postgres")
    statement = only(pg, SAMPLES["postgres"][0][2])
    assert (statement.level, statement.message) == ("", "STATEMENT:  select * from tickets")
    assert only(pg, SAMPLES["postgres"][0][3]).level == "critical"
    with_user = only(
        pg, "2026-11-02 10:14:03.5 CET [7] desk@backline WARNING:  there is no transaction"
    )
    assert with_user.ts == pytest.approx(epoch(2026, 11, 2, 9, 14, 3, 500000))
    assert (with_user.level, with_user.component) == ("warning", "desk@backline")


def test_syslog_levels_from_pri_and_cisco_mnemonics() -> None:
    fmt = get_format("syslog", year=2026)
    pri = only(fmt, "<34>Oct 11 22:14:15 mymachine su: 'su root' failed for lonvick")
    assert (pri.level, pri.component, pri.message) == (
        "critical",
        "su",
        "'su root' failed for lonvick",
    )
    cisco = only(fmt, "Nov 27 06:12:01 10.1.1.1 %QOS-4-DROP: Packet dropped on Gi0/1")
    assert (cisco.level, cisco.component, cisco.message) == (
        "warning",
        "",
        "%QOS-4-DROP: Packet dropped on Gi0/1",
    )
    ios = only(fmt, "Nov 27 06:12:01 r1 123: *Nov 27 06:12:01.123: %LINK-3-UPDOWN: Gi0/1 down")
    assert ios.level == "error"
    nxos = only(fmt, "Nov 27 06:12:01 sw1 %ETHPORT-5-IF_UP: Interface Ethernet1/1 is up")
    assert nxos.level == "notice"
    rsyslog = only(fmt, "2026-11-02T09:14:03.250+01:00 web1 sshd[1]: Accepted publickey for root")
    assert rsyslog.ts == pytest.approx(epoch(2026, 11, 2, 8, 14, 3, 250000))
    assert (rsyslog.component, rsyslog.message) == ("sshd", "Accepted publickey for root")
    # An application log's level word is not mistaken for a host name.
    assert fmt.parse("2026-11-02T09:14:03Z ERROR db: connection refused") is None


def test_json_lines_variants() -> None:
    fmt = get_format("jsonl")
    lines, _ = SAMPLES["jsonl"]
    millis = only(fmt, lines[1])
    assert millis.ts == pytest.approx(1793610000.123)
    assert (millis.level, millis.component, millis.message) == ("warning", "mailer", "retrying")
    nested = only(
        fmt,
        '{"@timestamp": "2026-11-02T09:14:05+01:00", "log": {"level": "WARN", "logger": "a.b"}, '
        '"service": {"name": "desk"}, "message": "m"}',
    )
    assert nested.ts == epoch(2026, 11, 2, 8, 14, 5)
    assert (nested.level, nested.component) == ("warning", "a.b")
    pino = only(fmt, '{"time": 1793610000, "level": 50, "name": "api", "msg": "boom"}')
    assert (pino.ts, pino.level, pino.component) == (1793610000.0, "error", "api")
    no_message = only(fmt, '{"level": "info", "count": 3}')
    assert no_message.message == '{"level": "info", "count": 3}'
    assert fmt.parse("not json") is None
    assert fmt.parse("{broken") is None
    assert fmt.parse("[1, 2]") is None


def test_windows_export_multi_line_message_and_tabs() -> None:
    lines = [
        "Level\tDate and Time\tSource\tEvent ID\tTask Category",
        'Error\t11/2/2026 9:14:03 PM\tApplication Error\t1000\t(100)\t"Faulting application name:'
        " desk.exe, version: 1.0",
        "Faulting module name: ntdll.dll",
        'Exception code: 0xc0000005"',
        "Information\t11/2/2026 9:20:00 PM\tService Control Manager\t7036\tNone\tThe Print Spooler "
        "service entered the stopped state.",
    ]
    fmt = detect(lines)
    assert fmt.name == "windows_event"
    records = list(parse_lines(lines, fmt))
    assert records[1].ts == epoch(2026, 11, 2, 21, 14, 3)
    assert (records[1].level, records[1].component) == ("error", "Application Error")
    assert records[1].message == "Faulting application name: desk.exe, version: 1.0"
    assert [r.level for r in records[2:4]] == ["error", "error"]
    assert records[3].message == 'Exception code: 0xc0000005"'
    assert records[4].level == "info"


def test_windows_export_in_a_european_locale() -> None:
    line = 'Warnung,02.11.2026 21:14:03,Microsoft-Windows-Kernel-Power,41,(63),"Neustart"'
    record = only(get_format("windows_event", tz=ZoneInfo("Europe/Berlin")), line)
    assert record == Record(
        epoch(2026, 11, 2, 20, 14, 3), "warning", "Microsoft-Windows-Kernel-Power", "Neustart"
    )


# --- continuation lines, plain fallback, garbage --------------------------------------------

JAVA = [
    "2026-11-02 06:00:01,123 ERROR [sync-worker-3] c.b.erp.TokenClient - Token refresh failed",
    "java.lang.IllegalStateException: token expired",
    "\tat com.backline.erp.TokenClient.refresh(TokenClient.java:88)",
    "\tat com.backline.erp.SyncJob.run(SyncJob.java:41)",
    "Caused by: java.io.IOException: 401 Unauthorized",
    "\t... 12 more",
    "2026-11-02 06:00:02,000 INFO  [sync-worker-3] c.b.erp.SyncJob - Retrying in 30 s",
]


def test_continuation_lines_take_the_header_before_them() -> None:
    fmt = detect(JAVA)
    assert fmt.name == "log4j"
    records = list(parse_lines(JAVA, fmt))
    assert len(records) == len(JAVA)
    head = records[0]
    for line, record in zip(JAVA[1:6], records[1:6], strict=True):
        assert (record.ts, record.level, record.component) == (head.ts, "error", head.component)
        assert record.message == line
    assert records[6].level == "info"
    assert records[6].message == "Retrying in 30 s"


def test_lines_before_any_header_have_no_header() -> None:
    lines = ["garbage first", *JAVA]
    records = list(parse_lines(lines, get_format("log4j")))
    assert records[0] == Record(None, "", "", "garbage first")


def test_bom_and_line_endings_are_dropped() -> None:
    lines = ["\ufeffNov 27 06:12:01 web1 sshd[1]: hello  \r\n", "Nov 27 06:12:02 web1 sshd[1]: x\n"]
    fmt = detect(lines, year=2026)
    assert fmt.name == "syslog"
    assert [r.message for r in parse_lines(lines, fmt)] == ["hello", "x"]


def test_plain_fallback() -> None:
    lines = [
        "Starting backup of /srv/desk",
        "ERROR: could not stat /srv/desk/tmp: permission denied",
        "Warning: 3 files skipped",
        "copied 1024 files",
        "FATAL disk full",
        "no error here",
    ]
    fmt = detect(lines)
    assert fmt.name == "plain"
    records = list(parse_lines(lines, fmt))
    assert [r.level for r in records] == ["", "error", "warning", "", "critical", ""]
    assert all(r.ts is None and r.component == "" for r in records)
    assert [r.message for r in records] == lines


def test_empty_and_whitespace_samples_are_plain() -> None:
    assert detect([]).name == "plain"
    assert detect(["", "   ", "\tat x.y(Z.java:1)"]).name == "plain"


def test_mixed_garbage_needs_a_majority() -> None:
    good = SAMPLES["syslog"][0]
    garbage = ["%%%% binary junk %%%%", "lorem ipsum dolor", "12345", "---- cut here ----"]
    mostly_garbage = [*good[:3], *garbage * 2]
    assert detect(mostly_garbage, year=2026).name == "plain"
    mostly_good = [*good * 3, *garbage]
    fmt = detect(mostly_good, year=2026)
    assert fmt.name == "syslog"
    records = list(parse_lines(mostly_good, fmt))
    assert records[-1].message == "---- cut here ----"
    assert records[-1].component == "systemd"  # carried from the last syslog line


def test_detection_prefers_the_more_specific_format_on_a_tie() -> None:
    # Every log4j line is also an ISO line; log4j says more about it.
    assert detect(SAMPLES["log4j"][0]).name == "log4j"
    assert get_format("iso").parse(SAMPLES["log4j"][0][0]) is not None


def test_unreadable_timestamp_gives_none() -> None:
    record = only(get_format("iso"), "2026-13-45 25:61:00 ERROR broken clock")
    assert (record.ts, record.level, record.message) == (None, "error", "broken clock")


# --- timezones and years --------------------------------------------------------------------


def test_naive_times_are_read_in_the_given_zone() -> None:
    berlin = ZoneInfo("Europe/Berlin")
    winter = detect(["2026-01-15 12:00:00,000 INFO [main] a.B - x"], tz=berlin)
    summer = detect(["2026-07-15 12:00:00,250 INFO [main] a.B - x"], tz=berlin)
    assert only(winter, "2026-01-15 12:00:00,000 INFO [main] a.B - x").ts == epoch(
        2026, 1, 15, 11, 0, 0
    )
    assert only(summer, "2026-07-15 12:00:00,250 INFO [main] a.B - x").ts == pytest.approx(
        epoch(2026, 7, 15, 10, 0, 0, 250000)
    )
    # The same wall-clock time, read in UTC (the default), is an hour or two later.
    assert only(get_format("log4j"), "2026-01-15 12:00:00,000 INFO [main] a.B - x").ts == epoch(
        2026, 1, 15, 12, 0, 0
    )


def test_explicit_offsets_win_over_the_given_zone() -> None:
    fmt = get_format("iso", tz=ZoneInfo("America/New_York"))
    for line in (
        "2026-11-02T09:14:03+01:00 INFO x",
        "2026-11-02T09:14:03+0100 INFO x",
        "2026-11-02 08:14:03 UTC INFO x",
        "2026-11-02T08:14:03Z INFO x",
    ):
        assert only(fmt, line).ts == epoch(2026, 11, 2, 8, 14, 3), line
    assert only(fmt, "2026-11-02 03:14:03 INFO x").ts == epoch(2026, 11, 2, 8, 14, 3)


def test_syslog_year_given_or_inferred() -> None:
    line = "Feb 28 23:59:59 host app: x"
    assert only(get_format("syslog", year=2024), line).ts == epoch(2024, 2, 28, 23, 59, 59)
    now = datetime.now(UTC)
    past, future = now - timedelta(days=10), now + timedelta(days=10)
    fmt = get_format("syslog")  # no year: this year, unless that is in the future
    for when, year in ((past, past.year), (future, future.year - 1)):
        stamp = when.strftime("%b %d %H:%M:%S")
        assert only(fmt, f"{stamp} host app: x").ts == epoch(
            year, when.month, when.day, when.hour, when.minute, when.second
        )


# --- levels -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "level"),
    [
        ("TRACE", "debug"),
        ("debug", "debug"),
        ("FINE", "debug"),
        ("Verbose", "debug"),
        ("INFO", "info"),
        ("Information", "info"),
        ("LOG", "info"),
        ("I", "info"),
        ("notice", "notice"),
        ("WARN", "warning"),
        ("Warning", "warning"),
        ("W", "warning"),
        ("ERR", "error"),
        ("error", "error"),
        ("SEVERE", "error"),
        ("E", "error"),
        ("FAIL", "error"),
        ("CRIT", "critical"),
        ("Critical", "critical"),
        ("FATAL", "critical"),
        ("PANIC", "critical"),
        ("emerg", "critical"),
        ("ALERT", "critical"),
        ("[error]", "error"),
        (" Warn ", "warning"),
        ("0", "critical"),
        ("3", "error"),
        ("4", "warning"),
        ("6", "info"),
        ("7", "debug"),
        ("banana", ""),
        ("", ""),
    ],
)
def test_levels_are_normalised(raw: str, level: str) -> None:
    assert normalize_level(raw) == level


# --- user patterns --------------------------------------------------------------------------


def test_loghub_template() -> None:
    fmt = from_pattern("<Date> <Time> <Pid> <Level> <Component>: <Content>")
    assert fmt.name == "pattern"
    record = only(
        fmt, "081109 203615 148 INFO dfs.DataNode$PacketResponder: PacketResponder 1 done"
    )
    assert record == Record(
        epoch(2008, 11, 9, 20, 36, 15),
        "info",
        "dfs.DataNode$PacketResponder",
        "PacketResponder 1 done",
    )
    assert fmt.parse("\tat some.Frame(Frame.java:1)") is None


def test_loghub_template_with_regex_text_and_literal_text() -> None:
    # Loghub's own templates put regular expressions between the fields.
    linux = from_pattern(
        r"<Month> <Date> <Time> <Level> <Component>(\[<PID>\])?: <Content>", year=2005
    )
    record = only(linux, "Jun 14 15:16:01 combo sshd(pam_unix)[19939]: authentication failure")
    assert record == Record(
        epoch(2005, 6, 14, 15, 16, 1), "", "sshd(pam_unix)", "authentication failure"
    )
    # Without a backslash the text between fields is literal: brackets are brackets.
    bracketed = from_pattern("[<Timestamp>] <Level> (<Logger>) <Content>")
    record = only(bracketed, "[2026-11-02 09:14:03.250] WARN (desk.mail) queue (3) is slow")
    assert record == Record(
        epoch(2026, 11, 2, 9, 14, 3, 250000), "warning", "desk.mail", "queue (3) is slow"
    )


def test_regex_pattern() -> None:
    fmt = from_pattern(
        r"(?P<ts>\d\d/\w{3}/\d{4}:\d\d:\d\d:\d\d [+-]\d{4}) (?P<level>\w+) (?P<message>.*)"
    )
    record = only(fmt, "02/Nov/2026:10:14:03 +0100 E something broke")
    assert record == Record(epoch(2026, 11, 2, 9, 14, 3), "error", "", "something broke")
    minimal = from_pattern(r"(?P<component>\w+)> (?P<message>.*)")
    assert only(minimal, "db> vacuum done") == Record(None, "", "db", "vacuum done")
    assert minimal.parse("no prompt here") is None


def test_pattern_datefmt_and_zone() -> None:
    fmt = from_pattern(
        "<Timestamp> | <Level> | <Content>",
        datefmt="%d.%m.%Y %H:%M:%S.%f",
        tz=ZoneInfo("Europe/Berlin"),
    )
    assert only(fmt, "02.11.2026 10:14:03.500 | Fehler | Datei fehlt").ts == pytest.approx(
        epoch(2026, 11, 2, 9, 14, 3, 500000)
    )
    assert only(fmt, "02.11.2026 10:14:03.500 | Fehler | Datei fehlt").level == "error"
    assert only(fmt, "yesterday | INFO | x").ts is None
    yearless = from_pattern("<Time> <Content>", datefmt="%b-%d-%H:%M:%S", year=2025)
    assert only(yearless, "Nov-02-09:14:03 hello").ts == epoch(2025, 11, 2, 9, 14, 3)


@pytest.mark.parametrize(
    ("pattern", "datefmt", "message"),
    [
        ("", None, "empty"),
        ("just some words", None, "no fields"),
        ("<Date> <Time> <Level>", None, "message"),
        ("<Date> <Level> <Level> <Content>", None, "twice"),
        ("<Log Level> <Content>", None, "not a usable field name"),
        (r"<Date> (\d+ <Content>", None, "not a valid regular expression"),
        (r"(?P<ts>\S+) (?P<level>[A-Z+) (?P<message>.*)", None, "not valid"),
        (r"(?P<ts>\S+) (?P<text>.*)", None, "(?P<message>...)"),
        ("<Time> <Content>", "YYYY-MM-DD", "no % directives"),
        ("<Time> <Content>", "%Y-%Q", "cannot be used"),
        ("<Level> <Content>", "%Y-%m-%d", "no timestamp field"),
    ],
)
def test_bad_patterns_are_refused_clearly(pattern: str, datefmt: str | None, message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        from_pattern(pattern, datefmt=datefmt)


def test_unknown_format_name() -> None:
    with pytest.raises(ValueError, match="Unknown log format"):
        get_format("cobol")


# --- Loghub: detection must split off the header exactly as the ground truth does --------------

LOGHUB_SYSTEMS = ["HDFS", "BGL", "Linux", "HealthApp", "OpenStack", "Proxifier"]


@pytest.mark.skipif(not LOGHUB.is_dir(), reason="Loghub samples not available")
@pytest.mark.parametrize("system", LOGHUB_SYSTEMS)
def test_loghub_messages_match_the_ground_truth(system: str) -> None:
    folder = LOGHUB / system
    raw = (folder / f"{system}_2k.log").read_text(encoding="utf-8", errors="replace").splitlines()
    with (folder / f"{system}_2k.log_structured_corrected.csv").open(
        newline="", encoding="utf-8"
    ) as f:
        contents = [row["Content"] for row in csv.DictReader(f)]
    assert len(raw) == len(contents)
    fmt = detect(raw[:200], year=2005)
    assert fmt.name != "plain"
    records = list(parse_lines(raw, fmt))
    matched = sum(
        record.message.strip() == content.strip()
        for record, content in zip(records, contents, strict=True)
    )
    share = matched / len(contents)
    assert share >= 0.99, f"{system}: {fmt.name} matches {share:.2%} of Content"
    assert sum(r.ts is not None for r in records) == len(records)
