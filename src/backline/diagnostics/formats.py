"""Log line headers: recognise a log file's format and split each line into its header and message.

Every line of a log becomes a `Record`: the timestamp (UTC epoch seconds), a normalised level, the
component that wrote it and the message. The template miner only ever sees the message, so the
header fields, which vary on every line, never reach it.

- `detect(sample)` tries every known format on the first lines of a file and picks the one that
  reads the largest share of them (the more specific format wins a tie), or `plain` when none
  reads at least `MIN_SHARE` of them.
- `from_pattern(pattern)` builds a format from a Loghub-style field template
  (`<Date> <Time> <Level> <Component>: <Content>`) or a regular expression with named groups.
- `parse_lines(lines, fmt)` turns lines into records; a line without a header (a stack-trace
  frame, the rest of a multi-line message) takes the header of the line before it.

This runs on every line of files of a gigabyte and more, so each format reads a line with one
compiled regular expression, and timestamps are converted once per distinct second: the epoch of
the text up to the seconds is cached and the fraction added on. Pure Python, no Django.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from typing import Any, Final, Self

__all__ = [
    "FORMATS",
    "LEVELS",
    "MIN_SHARE",
    "PLAIN",
    "LogFormat",
    "Record",
    "detect",
    "from_pattern",
    "get_format",
    "normalize_level",
    "parse_lines",
]


@dataclass(frozen=True, slots=True)
class Record:
    """One log line split into its header fields and its message."""

    ts: float | None  # UTC epoch seconds; None when the line has no (readable) timestamp
    level: str  # one of LEVELS, or "" when the line has none
    component: str  # program, logger, module, source… or ""
    message: str  # the rest of the line: what the template miner sees


# ---------------------------------------------------------------------------------------------
# Levels

LEVELS: Final = ("debug", "info", "notice", "warning", "error", "critical")

# Level spellings, by level. Words with a space are Windows Event Viewer's ("Audit Success").
_LEVEL_WORDS: Final[dict[str, list[str]]] = {
    "debug": [
        *["trace", "debug", "dbg", "fine", "finer", "finest", "verbose", "d", "t", "v"],
        *(f"trace{n}" for n in range(1, 9)),  # Apache's trace1…trace8
        *(f"debug{n}" for n in range(1, 6)),  # PostgreSQL's debug1…debug5
        *["ausführlich", "détaillé", "detallado"],  # Windows "Verbose", localised
    ],
    "info": [
        *["info", "information", "informational", "log", "i", "config", "audit"],
        *["informationen", "informations", "información"],
        "audit success",
    ],
    "notice": ["notice", "n"],
    "warning": [
        *["warn", "warning", "w", "warnung", "avertissement", "advertencia"],
        "audit failure",
    ],
    "error": ["err", "error", "severe", "e", "fail", "failure", "failed", "fehler", "erreur"],
    "critical": [
        "crit",
        "critical",
        "fatal",
        "panic",
        "emerg",
        "emergency",
        "alert",
        "f",
        "kritisch",
        "critique",
        "crítico",
    ],
}

# Syslog numeric severities (RFC 5424 §6.2.1), as in <PRI> & 7 or Cisco's %FAC-4-MNEMONIC.
_SEVERITIES: Final = (
    "critical",
    "critical",
    "critical",
    "error",
    "warning",
    "notice",
    "info",
    "debug",
)


def _level_table() -> dict[str, str]:
    table: dict[str, str] = {}
    for level, words in _LEVEL_WORDS.items():
        for word in words:
            for variant in (word, word.upper(), word.title(), word.capitalize()):
                table[variant] = level
    for severity, level in enumerate(_SEVERITIES):
        table[str(severity)] = level
    return table


# Every spelling we know, in the cases logs write them, so the common case is one dict lookup.
_LEVELS: Final = _level_table()


def normalize_level(text: str) -> str:
    """Map a level as a log writes it ("WARN", "Information", "E", "4", "[error]") to one of LEVELS.

    Returns "" for anything not recognised.
    """
    level = _LEVELS.get(text)
    if level is None:
        level = _LEVELS.get(text.strip(" \t[]():<>").lower(), "")
    return level


# ---------------------------------------------------------------------------------------------
# Timestamps

_MONTHS: Final = {
    name: number
    for number, name in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1
    )
}

# Zone abbreviations logs commonly print (PostgreSQL's %m, date(1)…), as seconds east of UTC.
# An abbreviation not listed is ignored and the time read as local to the caller's tz.
_ZONE_ABBREVIATIONS: Final = {
    "Z": 0, "UT": 0, "UTC": 0, "GMT": 0, "WET": 0, "WEST": 3600, "BST": 3600,
    "CET": 3600, "CEST": 7200, "MET": 3600, "MEST": 7200, "EET": 7200, "EEST": 10800,
    "MSK": 10800, "IST": 19800, "SGT": 28800, "HKT": 28800, "JST": 32400, "KST": 32400,
    "AEST": 36000, "AEDT": 39600, "NZST": 43200, "NZDT": 46800,
    "EST": -18000, "EDT": -14400, "CST": -21600, "CDT": -18000,
    "MST": -25200, "MDT": -21600, "PST": -28800, "PDT": -25200,
    "AKST": -32400, "AKDT": -28800, "HST": -36000,
}  # fmt: skip

# A zone at the end of a timestamp: Z, +01:00, +0100, -05, UTC, CEST…
_ZONE_SUFFIX: Final = re.compile(
    r"\s*(?:(?P<sign>[+-])(?P<hh>\d\d):?(?P<mm>\d\d)?|(?P<abbr>Z|[A-Z]{2,5}))$"
)

# The calendar layouts a timestamp (without its fraction and zone) may take. Only read when a
# second not seen before turns up, so trying them in turn costs nothing that matters.
_LAYOUTS: Final = tuple(
    re.compile(layout)
    for layout in (
        # 2026-11-02T09:14:03, 2026-11-02 09:14:03, BGL's 2005-06-03-15.42.50
        r"(?P<Y>\d{4})-(?P<m>\d\d?)-(?P<d>\d\d?)(?:[T ]+|-)"
        r"(?P<H>\d\d?)[:.](?P<M>\d\d)[:.](?P<S>\d\d)",
        # nginx's 2026/11/02 09:14:03, 2026.11.02 09:14:03
        r"(?P<Y>\d{4})[/.](?P<m>\d\d?)[/.](?P<d>\d\d?)[T ]+(?P<H>\d\d?):(?P<M>\d\d):(?P<S>\d\d)",
        # HealthApp's 20171223-22:15:29 (or 20171223-22:16:0), ISO basic 20261102T091403
        r"(?P<Y>\d{4})(?P<m>\d\d)(?P<d>\d\d)[-T ]?(?P<H>\d\d?):?(?P<M>\d\d?):?(?P<S>\d\d?)",
        # HDFS's 081109 203615 (two-digit year)
        r"(?P<y>\d\d)(?P<m>\d\d)(?P<d>\d\d)[-T ]?(?P<H>\d\d):?(?P<M>\d\d):?(?P<S>\d\d)",
        # syslog's Nov 27 06:12:01, ctime's Wed Oct 11 14:32:52 2026, Nov 27 2026 06:12:01
        r"(?:[A-Za-z]{3},? )?(?P<b>[A-Za-z]{3}) +(?P<d>\d\d?)(?:,? (?P<Y>\d{4}))?"
        r" (?P<H>\d\d?):(?P<M>\d\d):(?P<S>\d\d)(?: (?P<Y2>\d{4}))?",
        # Apache's 10/Oct/2000:13:55:36, Tomcat's 02-Nov-2026 09:14:03
        r"(?P<d>\d\d?)[-/ ](?P<b>[A-Za-z]{3})[-/ ](?P<Y>\d{4})[: T]"
        r"(?P<H>\d\d?):(?P<M>\d\d):(?P<S>\d\d)",
        # Windows (US) 11/2/2026 9:14:03 AM; day first when the first number is over 12
        r"(?P<a>\d\d?)/(?P<c>\d\d?)/(?P<Y>\d{4}),? (?P<H>\d\d?):(?P<M>\d\d)(?::(?P<S>\d\d))?"
        r"(?: ?(?P<p>[AaPp][Mm]))?",
        # European 02.11.2026 09:14:03
        r"(?P<d>\d\d?)\.(?P<m>\d\d?)\.(?P<Y>\d{4}),? (?P<H>\d\d?):(?P<M>\d\d)(?::(?P<S>\d\d))?",
        # Proxifier's 10.30 16:49:06, logcat's 11-02 09:14:03 (month first, no year)
        r"(?P<m>\d\d)[.-](?P<d>\d\d) (?P<H>\d\d):(?P<M>\d\d):(?P<S>\d\d)",
    )
)

# Seconds since the epoch as a number: 10 digits (s), 13 (ms), 16 (µs) or 19 (ns).
_EPOCH_NUMBER: Final = re.compile(r"\d{9,19}(?:\.\d+)?")

# The fraction of a second inside free-form timestamp text (user patterns, JSON values).
# (HH:MM:SS or BGL's HH.MM.SS, then the fraction after a dot, comma or colon.)
_FRACTION: Final = re.compile(r"(?<![\d:.])(\d\d?([:.])\d\d?\2\d\d?)[.,:](\d{1,9})(?!\d)")


def _split_fraction(text: str) -> tuple[str, str]:
    """Timestamp text without its fraction of a second, and the fraction's digits."""
    fraction = _FRACTION.search(text)
    if fraction is None:
        return text, ""
    return text[: fraction.end(1)] + text[fraction.end() :], fraction.group(3)


# What a fraction of n digits is divided by: a decimal fraction (".25" is 250 ms), or a count of
# milliseconds as HealthApp writes them after a colon (":25" is 25 ms).
_SCALE: Final = tuple(10.0**n for n in range(20))
_MILLIS: Final = (1000.0,) * 20
_BAD: Final = float("-inf")  # cached for a timestamp that cannot be read
_CACHE_LIMIT: Final = 100_000


def _epoch_number(value: float) -> float:
    """Seconds from an epoch number that may be in seconds, milliseconds, micro- or nanoseconds."""
    if value >= 1e17:
        return value / 1e9
    if value >= 1e14:
        return value / 1e6
    if value >= 1e11:
        return value / 1e3
    return value


class _Clock:
    """Turns timestamp text into UTC epoch seconds, caching the epoch of each distinct second.

    Naive times are read in `tz`; times without a year take `year`, or else the current year
    unless that puts them more than a day in the future (a December log read in January).
    With `datefmt` (a strptime format) text is read with it instead of the layouts we know.
    """

    __slots__ = ("_datefmt_seconds", "_minutes", "_seconds", "datefmt", "tz", "year")

    def __init__(
        self, tz: tzinfo = UTC, year: int | None = None, datefmt: str | None = None
    ) -> None:
        self.tz = tz
        self.year = year
        self.datefmt = datefmt
        # The format without its fraction: the fraction is split off and added, as elsewhere.
        self._datefmt_seconds = re.sub(r"[.,:]?%f", "", datefmt) if datefmt else None
        self._seconds: dict[tuple[str, str | None, str | None], float] = {}
        self._minutes: dict[str, float] = {}

    def at(
        self,
        ts: str,
        frac: str | None,
        year: str | None,
        zone: str | None,
        scale: tuple[float, ...] = _SCALE,
    ) -> float | None:
        """Epoch of a timestamp a format's regex split into whole seconds, fraction, year, zone."""
        key = (ts, year, zone)
        base = self._seconds.get(key)
        if base is None:
            base = self._remember(key, " ".join([part for part in key if part]))
        if base == _BAD:
            return None
        if frac:
            return base + int(frac) / scale[len(frac)]
        return base

    def read(self, text: str) -> float | None:
        """Epoch of timestamp text in any layout we know (user patterns, JSON values)."""
        text = text.strip()
        if not text:
            return None
        if self.datefmt is None:
            if text[0].isdigit() and _EPOCH_NUMBER.fullmatch(text):
                return _epoch_number(float(text))
        elif self._datefmt_seconds == self.datefmt:  # no %f: the text is whole seconds
            return self.at(text, "", None, None)
        text, frac = _split_fraction(text)
        return self.at(text, frac, None, None)

    def _remember(self, key: tuple[str, str | None, str | None], text: str) -> float:
        if len(self._seconds) >= _CACHE_LIMIT:
            self._seconds.clear()
            self._minutes.clear()
        if text[-6:-5] == ":" and text[-3:-2] == ":" and text[-2:].isdigit():
            # Text ending in HH:MM:SS: read the minute once, then add the seconds. A sparse log
            # with a new second on every line still reads each minute's layout only once.
            minute = self._minutes.get(text[:-3])
            if minute is None:
                epoch = self._epoch(text[:-2] + "00")
                minute = self._minutes[text[:-3]] = _BAD if epoch is None else epoch
            value = minute if minute == _BAD else minute + int(text[-2:])
        else:
            epoch = self._epoch(text)
            value = _BAD if epoch is None else epoch
        self._seconds[key] = value
        return value

    def _epoch(self, text: str) -> float | None:
        if self._datefmt_seconds is not None:
            return self._strptime(text, self._datefmt_seconds)
        if text.isdigit() and _EPOCH_NUMBER.fullmatch(text):
            return _epoch_number(float(text))
        offset: int | None = None
        zone = _ZONE_SUFFIX.search(text)
        if zone is not None and zone["abbr"] not in ("AM", "PM"):
            text = text[: zone.start()]
            if zone["sign"]:
                offset = int(zone["hh"]) * 3600 + int(zone["mm"] or 0) * 60
                offset = -offset if zone["sign"] == "-" else offset
            else:
                offset = _ZONE_ABBREVIATIONS.get(zone["abbr"])
        for layout in _LAYOUTS:
            match = layout.fullmatch(text)
            if match is not None:
                break
        else:
            return None
        fields = match.groupdict()
        try:
            if fields.get("a"):  # m/d/Y, or d/m/Y when the first number cannot be a month
                first, second = int(fields["a"]), int(fields["c"])
                month, day = (second, first) if first > 12 else (first, second)
            else:
                month = int(fields["m"]) if fields.get("m") else _MONTHS[fields["b"].lower()]
                day = int(fields["d"])
            hour = int(fields["H"])
            if fields.get("p"):
                hour = hour % 12 + (12 if fields["p"].lower() == "pm" else 0)
            minute, second_ = int(fields["M"]), int(fields["S"] or 0)
            year_text = fields.get("Y") or fields.get("Y2")
            if year_text:
                year = int(year_text)
            elif fields.get("y"):
                year = 2000 + int(fields["y"]) if int(fields["y"]) < 70 else 1900 + int(fields["y"])
            else:
                return self._yearless(month, day, hour, minute, second_, offset)
            return self._to_epoch(year, month, day, hour, minute, second_, offset)
        except (KeyError, ValueError, OverflowError):
            return None

    def _strptime(self, text: str, datefmt: str) -> float | None:
        try:
            parsed = datetime.strptime(text, datefmt)  # noqa: DTZ007 (the zone is applied below)
        except ValueError:
            return None
        offset = parsed.utcoffset()
        fields = (parsed.month, parsed.day, parsed.hour, parsed.minute, parsed.second)
        seconds = None if offset is None else int(offset.total_seconds())
        if "%Y" in datefmt or "%y" in datefmt:
            return self._to_epoch(parsed.year, *fields, seconds)
        return self._yearless(*fields, seconds)

    def _to_epoch(
        self,
        year: int,
        month: int,
        day: int,
        hour: int,
        minute: int,
        second: int,
        offset: int | None,
    ) -> float:
        if offset is None:
            return datetime(year, month, day, hour, minute, second, tzinfo=self.tz).timestamp()
        return datetime(year, month, day, hour, minute, second, tzinfo=UTC).timestamp() - offset

    def _yearless(
        self, month: int, day: int, hour: int, minute: int, second: int, offset: int | None
    ) -> float:
        if self.year is not None:
            return self._to_epoch(self.year, month, day, hour, minute, second, offset)
        now = datetime.now(UTC).timestamp()
        year = datetime.now(self.tz).year
        epoch = self._to_epoch(year, month, day, hour, minute, second, offset)
        if epoch > now + 86400:
            epoch = self._to_epoch(year - 1, month, day, hour, minute, second, offset)
        return epoch


# ---------------------------------------------------------------------------------------------
# Formats


# Lines that continue a multi-line message in any format: indented lines, Java's exception and
# "Caused by:" lines, Python's traceback header and final exception line.
_CONTINUATION: Final = re.compile(
    r"\s|Caused by:|Suppressed:|Traceback \(|\.\.\. \d+ (?:more|common frames)"
    r"|[\w$]+(?:\.[\w$]+)+(?:Exception|Error|Throwable)\b|\w*(?:Exception|Error):"
)


class LogFormat:
    """A log line header layout. `parse` returns None for a line that does not carry the header."""

    name: str
    label: str
    example: str

    def __init__(self, name: str, label: str, example: str) -> None:
        self.name = name
        self.label = label
        self.example = example
        self._clock = _Clock()

    def parse(self, line: str) -> Record | None:
        raise NotImplementedError

    def share(self, lines: list[str]) -> float:
        """The share of `lines` (non-empty, stripped on the right) that carry this header.

        Lines that look like the inside of a multi-line message (a stack trace, a traceback)
        are left out: they carry no header in any format.
        """
        heads = [line for line in lines if not _CONTINUATION.match(line)]
        if not heads:
            return 0.0
        return sum(1 for line in heads if self.parse(line) is not None) / len(heads)

    def configured(self, *, year: int | None = None, tz: tzinfo = UTC) -> Self:
        """A copy that reads naive times in `tz` and year-less ones in `year`."""
        clone = copy.copy(self)
        clone._clock = _Clock(tz, year, self._clock.datefmt)
        return clone

    def __repr__(self) -> str:
        return f"<LogFormat {self.name}>"


# Every header regex yields these groups, in this order, so one `match.group(*_FIELDS)` call
# reads a whole header. `ts` is the timestamp to the second; `frac`, `year` and `zone` are the
# parts that follow it in some layouts.
_FIELDS: Final = ("ts", "frac", "year", "zone", "level", "component", "message")


def _compile(body: str) -> re.Pattern[str]:
    """Compile a header regex; a field it does not capture becomes an empty group at its start."""
    missing = "".join(f"(?P<{field}>)" for field in _FIELDS if f"(?P<{field}>" not in body)
    return re.compile(missing + body)


class RegexFormat(LogFormat):
    """A header read by one regular expression with the groups of `_FIELDS`."""

    def __init__(
        self,
        name: str,
        label: str,
        example: str,
        regex: str,
        levels: Mapping[str, str] = _LEVELS,
        *,
        millis: bool = False,
    ) -> None:
        super().__init__(name, label, example)
        self.regex = _compile(regex)
        self._match = self.regex.match
        self._levels = levels
        self._scale = _MILLIS if millis else _SCALE

    def parse(self, line: str) -> Record | None:
        match = self._match(line.rstrip())
        if match is None:
            return None
        ts, frac, year, zone, level, component, message = match.group(*_FIELDS)
        return Record(
            self._clock.at(ts, frac, year, zone, self._scale) if ts else None,
            self._levels.get(level, "") if level else "",
            component or "",
            message or "",
        )


# Cisco IOS/NX-OS "%FACILITY-[SUBFACILITY-]SEVERITY-MNEMONIC:" in a syslog message.
_CISCO: Final = re.compile(r"%[A-Z][A-Z0-9_]*-(?:[A-Z0-9_]+-)?([0-7])-[A-Z0-9_]+\b")


class SyslogFormat(RegexFormat):
    """RFC 3164: the level comes from a Cisco mnemonic in the message, else from a <PRI> prefix."""

    def parse(self, line: str) -> Record | None:
        match = self._match(line.rstrip())
        if match is None:
            return None
        ts, frac, zone, pri, component, message = match.group(
            "ts", "frac", "zone", "pri", "component", "message"
        )
        message = message or ""
        level = ""
        if "%" in message:
            cisco = _CISCO.search(message)
            if cisco is not None:
                level = _SEVERITIES[int(cisco[1])]
        if not level and pri:
            level = _SEVERITIES[int(pri) & 7]
        return Record(self._clock.at(ts, frac, None, zone), level, component or "", message)


class Rfc5424Format(RegexFormat):
    """RFC 5424: level from <PRI>, component from APP-NAME, structured data left out."""

    def parse(self, line: str) -> Record | None:
        match = self._match(line.rstrip())
        if match is None:
            return None
        ts, frac, zone, pri, component, message = match.group(
            "ts", "frac", "zone", "pri", "component", "message"
        )
        return Record(
            self._clock.at(ts, frac, None, zone) if ts else None,
            _SEVERITIES[int(pri) & 7],
            "" if component == "-" else component,
            (message or "").removeprefix("\ufeff"),
        )


# HTTP status → level: 5xx error, 4xx warning, anything else info.
_STATUS_LEVELS: Final = {
    str(status): "error" if status >= 500 else "warning" if status >= 400 else "info"
    for status in range(100, 600)
}


class AccessLogFormat(RegexFormat):
    """Common/combined access log: level from the status, component the vhost or else the method."""

    def parse(self, line: str) -> Record | None:
        match = self._match(line.rstrip())
        if match is None:
            return None
        ts, zone, vhost, method, status, message = match.group(
            "ts", "zone", "vhost", "method", "status", "message"
        )
        return Record(
            self._clock.at(ts, None, None, zone),
            _STATUS_LEVELS.get(status, ""),
            vhost or method or "",
            message,
        )


def _unquote(field: str) -> str:
    """A CSV field without its quotes; also the first or last line of a quoted multi-line one."""
    if field.startswith('"'):
        field = field[1:]
        if field.endswith('"'):
            field = field[:-1]
    return field.replace('""', '"')


class WindowsEventFormat(RegexFormat):
    """Event Viewer "Save as" CSV or tab-delimited text: quoted fields lose their quotes."""

    def share(self, lines: list[str]) -> float:
        # A quoted message runs on over many lines (security events take twenty): those lines
        # are not events, so they are left out of the count.
        heads = hits = 0
        quoted = False
        for line in lines:
            odd = line.count('"') % 2 == 1
            if quoted:
                quoted = not odd
                continue
            heads += 1
            if self.parse(line) is not None:
                hits += 1
                quoted = odd
        return hits / heads if heads else 0.0

    def parse(self, line: str) -> Record | None:
        match = self._match(line.rstrip())
        if match is None:
            return None
        ts, level, component, message = match.group("ts", "level", "component", "message")
        return Record(
            self._clock.at(_unquote(ts), None, None, None),
            self._levels.get(level, ""),
            _unquote(component),
            _unquote(message),
        )


# JSON keys, in order of preference. Dotted keys also match nested objects ({"log": {"level"}}).
_JSON_TS: Final = (
    "@timestamp",
    "timestamp",
    "ts",
    "time",
    "datetime",
    "date",
    "@t",
    "t",
    "asctime",
)
_JSON_LEVEL: Final = (
    "level",
    "severity",
    "lvl",
    "loglevel",
    "log_level",
    "levelname",
    "log.level",
    "@l",
    "@level",
    "severity_text",
)
_JSON_COMPONENT: Final = (
    "logger",
    "component",
    "source",
    "logger_name",
    "log.logger",
    "name",
    "module",
    "service",
    "service.name",
    "app",
    "application",
    "program",
    "facility",
)
_JSON_MESSAGE: Final = (
    "msg",
    "message",
    "@m",
    "@mt",
    "short_message",
    "event",
    "text",
    "body",
    "log",
)


def _json_value(record: dict[str, Any], keys: tuple[str, ...], *, nested: bool = False) -> Any:
    """The first of `keys` with a value; a dotted key also reaches into nested objects. Objects
    and lists only count when `nested` (a message may be one; a level or logger may not)."""
    for key in keys:
        value = record.get(key)
        if value is None and "." in key:
            value = record
            for part in key.split("."):
                value = value.get(part) if isinstance(value, dict) else None
        if value is None or value == "" or (not nested and isinstance(value, dict | list)):
            continue
        return value
    return None


def _json_level(value: Any) -> str:
    if isinstance(value, str):
        return normalize_level(value)
    if isinstance(value, int) and not isinstance(value, bool):
        if 0 <= value <= 7:  # syslog severity
            return _SEVERITIES[value]
        # Bunyan/pino: 10 trace, 20 debug, 30 info, 40 warn, 50 error, 60 fatal
        return {1: "debug", 2: "debug", 3: "info", 4: "warning", 5: "error", 6: "critical"}.get(
            value // 10, ""
        )
    return ""


class JsonLinesFormat(LogFormat):
    """One JSON object per line, with the usual keys for time, level, logger and message."""

    def parse(self, line: str) -> Record | None:
        text = line.strip()
        if not text.startswith("{"):
            return None
        try:
            record = json.loads(text)
        except ValueError:
            return None
        if not isinstance(record, dict):
            return None
        return Record(
            self._json_ts(_json_value(record, _JSON_TS)),
            _json_level(_json_value(record, _JSON_LEVEL)),
            self._json_text(_json_value(record, _JSON_COMPONENT)),
            self._json_text(_json_value(record, _JSON_MESSAGE, nested=True)) or text,
        )

    def _json_ts(self, value: Any) -> float | None:
        if isinstance(value, bool):
            return None
        if isinstance(value, int | float):
            return _epoch_number(float(value))
        if isinstance(value, str):
            return self._clock.read(value)
        return None

    @staticmethod
    def _json_text(value: Any) -> str:
        if value is None:
            return ""
        if isinstance(value, str):
            return value
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


# Level words as written in headers (upper case), longest spelling first within a family.
_LEVEL_RE: Final = (
    r"TRACE|DEBUG|FINEST|FINER|FINE|CONFIG|INFORMATION|INFO|NOTICE|WARNING|WARN|ERROR|ERR"
    r"|SEVERE|FATAL|CRITICAL|CRIT|ALERT|EMERG|PANIC"
)
_PLAIN_LEVEL: Final = re.compile(
    r"\b(FATAL|CRITICAL|CRIT|EMERG|ALERT|PANIC|SEVERE|ERROR|ERR|FAILED|FAILURE|WARNING|WARN"
    r"|NOTICE|INFO|DEBUG|TRACE)\b|\b(Fatal|Critical|Error|Failed|Warning)\b:"
)


class PlainFormat(LogFormat):
    """No header: no timestamp, the level guessed from a level word in the line."""

    def parse(self, line: str) -> Record:
        message = line.rstrip()
        word = _PLAIN_LEVEL.search(message)
        level = _LEVELS.get(word[1] or word[2].upper(), "") if word is not None else ""
        return Record(None, level, "", message)


# Timestamp fragments of the built-in formats.
_ISO = r"(?P<ts>\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d)(?:[.,](?P<frac>\d{1,9}))?"
_ISO_ZONE = r"(?P<zone>Z|\s?[+-]\d\d(?::?\d\d)?|\s?UTC|\s?GMT)?"
_SYSLOG_TS = r"[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d"

_WINDOWS_LEVELS: Final = (
    "Information|Informationen|Informations|Información|Warning|Warnung|Avertissement"
    "|Advertencia|Error|Fehler|Erreur|Critical|Kritisch|Critique|Crítico|Verbose|Ausführlich"
    "|Audit Success|Audit Failure"
)

JSONL = JsonLinesFormat(
    "jsonl",
    "JSON lines",
    '{"ts": "2026-11-02T09:14:03.123Z", "level": "error", "logger": "erp.sync", '
    '"msg": "Token expired"}',
)
WINDOWS_EVENT = WindowsEventFormat(
    "windows_event",
    "Windows Event Log (Event Viewer CSV/TSV export)",
    "Information,11/2/2026 9:14:03 AM,Service Control Manager,7036,None,"
    '"The Windows Update service entered the running state."',
    rf'(?P<level>{_WINDOWS_LEVELS})(?P<sep>[,\t])(?P<ts>"[^"]*"|[^,\t]+)(?P=sep)'
    r'(?P<component>"[^"]*"|[^,\t]*)(?P=sep)"?\d+"?(?P=sep)(?:"[^"]*"|[^,\t]*)(?P=sep)'
    r"(?P<message>.*)",
)
RFC5424 = Rfc5424Format(
    "rfc5424",
    "Syslog (RFC 5424)",
    "<165>1 2026-11-02T09:14:03.123Z web1.example.com nginx 4321 ID47 "
    '[origin ip="10.0.0.5"] upstream timed out',
    r"<(?P<pri>\d{1,3})>1 (?:-|(?P<ts>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(?P<frac>\d{1,9}))?"
    r"(?P<zone>Z|[+-]\d\d:\d\d)) \S+ (?P<component>\S+) \S+ \S+"
    r" (?:-|(?:\[(?:[^\]\\]|\\.)*\])+)(?: (?P<message>.*))?$",
)
APACHE_ERROR = RegexFormat(
    "apache_error",
    "Apache error log",
    "[Wed Oct 11 14:32:52.123456 2026] [core:error] [pid 1234:tid 5678] [client 10.0.0.9:51234] "
    "AH00037: Symbolic link not allowed or link target not accessible: /var/www/html/x",
    rf"\[[A-Z][a-z]{{2}} (?P<ts>{_SYSLOG_TS})(?:\.(?P<frac>\d{{1,9}}))? (?P<year>\d{{4}})\]"
    r" \[(?:(?P<component>[^:\]\s]+):)?(?P<level>[a-z]+\d?)\]"
    r"(?: \[(?:pid|client|remote) [^\]]*\])* (?P<message>.*)",
)
APACHE_ACCESS = AccessLogFormat(
    "apache_access",
    "Apache/nginx access log (common/combined)",
    '10.0.0.9 - frank [02/Nov/2026:09:14:03 +0100] "GET /api/tickets?page=2 HTTP/1.1" 503 1873 '
    '"https://desk.example.com/" "Mozilla/5.0"',
    r"(?:(?P<vhost>[\w.-]+(?::\d+)?) )?\S+ \S+ \S+"
    r" \[(?P<ts>\d\d/[A-Z][a-z]{2}/\d{4}:\d\d:\d\d:\d\d) (?P<zone>[+-]\d{4})\]"
    r' (?P<message>"(?P<method>[A-Z]+\b)?[^"\\]*(?:\\.[^"\\]*)*" (?P<status>\d{3}|-)(?: .*)?)',
)
NGINX_ERROR = RegexFormat(
    "nginx_error",
    "nginx error log",
    "2026/11/02 09:14:03 [error] 1234#0: *45 connect() failed (111: Connection refused) "
    'while connecting to upstream, client: 10.0.0.9, server: desk, request: "GET / HTTP/1.1"',
    r"(?P<ts>\d{4}/\d\d/\d\d \d\d:\d\d:\d\d) \[(?P<level>[a-z]+)\] \d+#\d+: (?:\*\d+ )?"
    r"(?P<message>.*)",
)
BGL = RegexFormat(
    "bgl",
    "Blue Gene/L RAS log",
    "- 1117838570 2005.06.03 R02-M1-N0-C:J12-U11 2005-06-03-15.42.50.675872 R02-M1-N0-C:J12-U11 "
    "RAS KERNEL INFO instruction cache parity error corrected",
    # The epoch field is UTC; the fraction comes from the local time field after the node.
    r"\S+ (?P<ts>\d{9,10}) \d{4}\.\d\d\.\d\d \S+ \d{4}-\d\d-\d\d-\d\d\.\d\d\.\d\d\.(?P<frac>\d+)"
    r" \S+ [A-Z]+ (?P<component>[A-Z_]+) (?P<level>[A-Z]+)(?: (?P<message>.*))?$",
)
POSTGRES = RegexFormat(
    "postgres",
    "PostgreSQL (log_line_prefix '%m [%p] ')",
    "2026-11-02 09:14:03.123 UTC [12345] LOG:  duration: 1532.004 ms  statement: SELECT 1",
    # DETAIL, HINT, STATEMENT… lines belong to the message before: no level, the label kept.
    r"(?P<ts>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)(?:\.(?P<frac>\d{1,6}))?"
    r"(?: (?P<zone>[A-Z]{2,5}|[+-]\d\d(?::?\d\d)?))? \[\d+(?:-\d+)?\] "
    r"(?:(?P<component>[^\s@\[]*@\S*) )?"
    r"(?=(?:DEBUG[1-5]|LOG|INFO|NOTICE|WARNING|ERROR|FATAL|PANIC"
    r"|DETAIL|HINT|CONTEXT|STATEMENT|QUERY|LOCATION):)"
    r"(?:(?P<level>DEBUG[1-5]|LOG|INFO|NOTICE|WARNING|ERROR|FATAL|PANIC):\s+)?(?P<message>.*)",
)
SPRING_BOOT = RegexFormat(
    "spring_boot",
    "Spring Boot",
    "2026-11-02T09:14:03.123+01:00  WARN 4242 --- [desk] [nio-8080-exec-3] "
    "c.b.erp.TokenClient                      : Token refresh took 2140 ms",
    rf"{_ISO}(?P<zone>Z|[+-]\d\d:\d\d)?\s+(?P<level>{_LEVEL_RE})\s+\d+\s+---\s+"
    r"(?:\[[^\]]*\]\s+)?\[\s*[^\]]*\]\s+(?P<component>\S+)\s*:(?:\s|$)(?P<message>.*)",
)
OSLO = RegexFormat(
    "oslo",
    "OpenStack (oslo.log)",
    "2026-11-02 09:14:03.008 25746 INFO nova.osapi_compute.wsgi.server "
    '[req-38101a0b-2096-447d-96ea-a692162415ae - - - - -] 10.11.10.1 "GET /v2/servers HTTP/1.1" '
    "status: 200 len: 1893 time: 0.2477829",
    # Loghub's OpenStack sample puts the source file name in front of each line.
    rf"(?:\S+\.log\S*\s+)?{_ISO}{_ISO_ZONE} \d+ (?P<level>{_LEVEL_RE}|AUDIT) (?P<component>\S+)"
    r" \[[^\]]*\] (?P<message>.*)",
)
LOG4J = RegexFormat(
    "log4j",
    "Log4j / Logback",
    "2026-11-02 06:00:01,123 ERROR [sync-worker-3] c.b.erp.TokenClient - Token refresh failed: 401",
    # %d %-5p [%t] %c - %m  and  %d [%t] %-5p %c - %m
    rf"{_ISO}{_ISO_ZONE}\s+(?:\[[^\]]*\]\s+)?(?P<level>{_LEVEL_RE})\s+(?:\[[^\]]*\]\s+)?"
    r"(?P<component>[^\s\[\]]+)\s+-(?:\s|$)(?P<message>.*)",
)
HADOOP = RegexFormat(
    "hadoop",
    "Hadoop-style (date time [pid] LEVEL component: message)",
    "081109 203615 148 INFO dfs.DataNode$PacketResponder: PacketResponder 1 for block "
    "blk_38865049064139660 terminating",
    # log4j "%d{ISO8601} %p %c: %m" as Hadoop writes it, or HDFS's older yyMMdd HHmmss
    r"(?P<ts>\d{6} \d{6}|\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d)(?:[.,](?P<frac>\d{1,9}))?"
    rf"\s+(?:\d+\s+)?(?P<level>{_LEVEL_RE})\s+(?P<component>[^\s:]+):(?:\s+|$)(?P<message>.*)",
)
PYTHON = RegexFormat(
    "python",
    "Python logging (asctime - name - levelname - message)",
    "2026-11-02 09:14:03,123 - backline.worker - WARNING - Retrying job 42 in 30 s",
    rf"{_ISO}\s+-\s+(?P<component>\S+)\s+-\s+(?P<level>{_LEVEL_RE})\s+-(?:\s|$)(?P<message>.*)",
)
SYSLOG = SyslogFormat(
    "syslog",
    "Syslog (RFC 3164)",
    "Nov 27 06:12:01 web1 sshd[4321]: Failed password for invalid user admin from 10.0.0.9",
    # Also rsyslog's RFC 3339 timestamps. A host that is a level word is an application log's.
    rf"(?:<(?P<pri>\d{{1,3}})>)?(?P<ts>{_SYSLOG_TS}|\d{{4}}-\d\d-\d\dT\d\d:\d\d:\d\d)"
    r"(?:\.(?P<frac>\d{1,9}))?(?P<zone>Z|[+-]\d\d:\d\d)?"
    rf"\s+(?!(?:{_LEVEL_RE})\b)\S+"
    r"(?:\s+(?:(?!\d+:)(?P<component>[^\s:\[%][^:\[]{0,47}?)(?:\[\d+\])?:(?:\s+|$))?(?P<message>.*))?$",
)
PIPE = RegexFormat(
    "pipe",
    "Pipe-delimited (timestamp|component|pid|message)",
    "20171223-22:15:29:606|Step_LSC|30002312|onStandStepChanged 3579",
    # HealthApp writes yyyyMMdd-H:m:s:S without zero padding; the last number is milliseconds.
    r"(?P<ts>\d{8}-\d\d?:\d\d?:\d\d?)(?::(?P<frac>\d{1,3}))?"
    rf"\s*\|\s*(?:(?P<level>{_LEVEL_RE})\s*\|\s*)?(?P<component>[^|]*?)\s*\|\s*(?:\d+\s*\|\s*)?"
    r"(?P<message>.*)",
    millis=True,
)
PROXIFIER = RegexFormat(
    "proxifier",
    "Proxifier ([MM.DD HH:MM:SS] program - message)",
    "[10.30 16:49:06] chrome.exe - proxy.cse.cuhk.edu.hk:5070 open through proxy "
    "proxy.cse.cuhk.edu.hk:5070 HTTPS",
    r"\[(?P<ts>\d\d\.\d\d \d\d:\d\d:\d\d)\] (?P<component>.+?) - (?P<message>.*)",
)
ISO = RegexFormat(
    "iso",
    "ISO 8601 timestamped lines",
    "2026-11-02T09:14:03.123Z ERROR [billing] Invoice 8812 rejected by ERP",
    # [TS] or TS, then optionally a level (LEVEL, [LEVEL], LEVEL:) and a [component]
    rf"\[?{_ISO}{_ISO_ZONE}\]?(?:\s+|$)"
    rf"(?:\[?(?P<level>{_LEVEL_RE})\]?:?(?:\s+|$))?"
    r"(?:\[(?P<component>[^\]]*)\]:?(?:\s+|$))?(?P<message>.*)",
)
PLAIN = PlainFormat(
    "plain", "Plain text (no header)", "ERROR could not open /var/lib/desk/queue.db"
)

# Most specific first: detection breaks a tie in favour of the earlier format. Plain is last,
# and only chosen when nothing else fits.
FORMATS: list[LogFormat] = [
    JSONL,
    WINDOWS_EVENT,
    RFC5424,
    APACHE_ERROR,
    APACHE_ACCESS,
    NGINX_ERROR,
    BGL,
    POSTGRES,
    SPRING_BOOT,
    OSLO,
    LOG4J,
    HADOOP,
    PYTHON,
    SYSLOG,
    PIPE,
    PROXIFIER,
    ISO,
    PLAIN,
]


def get_format(name: str, *, year: int | None = None, tz: tzinfo = UTC) -> LogFormat:
    """The known format called `name`, reading naive times in `tz`; ValueError if unknown."""
    for fmt in FORMATS:
        if fmt.name == name:
            return fmt.configured(year=year, tz=tz)
    known = ", ".join(fmt.name for fmt in FORMATS)
    raise ValueError(f"Unknown log format {name!r}; known formats: {known}.")


# ---------------------------------------------------------------------------------------------
# Detection and parsing

MIN_SHARE: Final = 0.6  # the share of header lines a format must read to be chosen
SAMPLE_SIZE: Final = 200
_TIE: Final = 0.02  # shares this close count as a tie, which the more specific format wins


def detect(sample: list[str], *, year: int | None = None, tz: tzinfo = UTC) -> LogFormat:
    """The known format that reads most of the first non-empty lines of `sample`, or plain.

    Lines inside multi-line messages (stack traces, quoted Windows event text) are left out of
    the count. A format must read at least MIN_SHARE of the rest; among formats whose shares are
    within a couple of percent of the best, the most specific (earliest in FORMATS) wins.
    """
    lines = [line.removeprefix("\ufeff").rstrip() for line in sample]
    lines = [line for line in lines if line][:SAMPLE_SIZE]
    shares = [(fmt.share(lines), fmt) for fmt in FORMATS if fmt is not PLAIN]
    best = max(share for share, _ in shares)
    if best < MIN_SHARE:
        return PLAIN.configured(year=year, tz=tz)
    chosen = next(fmt for share, fmt in shares if share >= best - _TIE)
    return chosen.configured(year=year, tz=tz)


def parse_lines(lines: Iterable[str], fmt: LogFormat) -> Iterator[Record]:
    """One record per line. A line without a header continues the record before it: it gets that
    record's timestamp, level and component, and the whole line as its message."""
    parse = fmt.parse
    ts: float | None = None
    level = component = ""
    first = True
    for line in lines:
        if first:
            line = line.removeprefix("\ufeff")
            first = False
        record = parse(line)
        if record is None:
            record = Record(ts, level, component, line.rstrip())
        else:
            ts, level, component = record.ts, record.level, record.component
        yield record


# ---------------------------------------------------------------------------------------------
# User patterns

# Loghub field names (case-insensitive) and what they hold; other fields are read and ignored.
_PATTERN_ROLES: Final = {
    **dict.fromkeys(("date", "time", "timestamp", "datetime", "ts", "month", "day", "year"), "ts"),
    **dict.fromkeys(("level", "severity", "loglevel", "lvl", "priority"), "level"),
    **dict.fromkeys(
        ("component", "logger", "source", "program", "module", "class", "service", "app"),
        "component",
    ),
    **dict.fromkeys(("content", "message", "msg"), "message"),
}
_REGEX_ROLES: Final = ("ts", "level", "component", "message")


class PatternFormat(LogFormat):
    """A format from a user pattern: one regex whose groups hold timestamp parts, level,
    component and message."""

    def __init__(
        self,
        pattern: str,
        regex: re.Pattern[str],
        roles: dict[str, list[str]],
        datefmt: str | None,
    ) -> None:
        super().__init__("pattern", f"Custom pattern: {pattern}", "")
        self.pattern = pattern
        self.regex = regex
        self._match = regex.match
        self._ts_groups = tuple(roles.get("ts", ()))
        self._level_groups = tuple(roles.get("level", ()))
        self._component_groups = tuple(roles.get("component", ()))
        self._message_group = roles["message"][0]
        self._clock = _Clock(datefmt=datefmt)

    def parse(self, line: str) -> Record | None:
        match = self._match(line.rstrip())
        if match is None:
            return None
        return Record(
            self._timestamp(match),
            normalize_level(self._first(match, self._level_groups)),
            self._first(match, self._component_groups),
            match.group(self._message_group) or "",
        )

    @staticmethod
    def _first(match: re.Match[str], groups: tuple[str, ...]) -> str:
        for group in groups:
            value = match.group(group)
            if value:
                return value.strip()
        return ""

    def _timestamp(self, match: re.Match[str]) -> float | None:
        if not self._ts_groups:
            return None
        parts = [match.group(group) for group in self._ts_groups]
        return self._clock.read(" ".join(part.strip() for part in parts if part))


def from_pattern(
    pattern: str, *, year: int | None = None, tz: tzinfo = UTC, datefmt: str | None = None
) -> LogFormat:
    """A format from a user's description of the header.

    `pattern` is either a Loghub-style template, field names in angle brackets
    (`<Date> <Time> <Pid> <Level> <Component>: <Content>`; Date/Time/Timestamp/Month/Day/Year make
    the timestamp, Level the level, Component/Logger/Source/Program the component and
    Content/Message the message, other fields are ignored), or a regular expression with named
    groups `ts`, `level`, `component` and `message` (required). In a template, spaces match any
    run of whitespace and other text matches itself, unless it contains a backslash: then it is
    read as a regular expression, as Loghub's own templates are (`\\[<Time>\\] <Content>`).

    Timestamps are read in any layout `detect` knows, or with `datefmt` (a strptime format) when
    given. Raises ValueError with a message for the user when the pattern cannot be used.
    """
    if not pattern or not pattern.strip():
        raise ValueError("The pattern is empty.")
    if datefmt is not None:
        _check_datefmt(datefmt)
    if "(?P<" in pattern:
        regex, roles = _from_regex(pattern)
    elif re.search(r"<[^<>]*>", pattern):
        regex, roles = _from_template(pattern.strip())
    else:
        raise ValueError(
            "The pattern has no fields. Write the header with field names in angle brackets, "
            "e.g. <Date> <Time> <Level> <Component>: <Content>, or as a regular expression with "
            "named groups, e.g. (?P<ts>\\S+ \\S+) (?P<level>\\w+) (?P<message>.*)."
        )
    if datefmt is not None and "ts" not in roles:
        raise ValueError("A date format was given but the pattern has no timestamp field.")
    fmt = PatternFormat(pattern, regex, roles, datefmt)
    return fmt.configured(year=year, tz=tz)


def _from_regex(pattern: str) -> tuple[re.Pattern[str], dict[str, list[str]]]:
    try:
        regex = re.compile(pattern)
    except re.error as error:
        raise ValueError(f"The regular expression is not valid: {_describe(error)}.") from None
    if "message" not in regex.groupindex:
        raise ValueError(
            "The regular expression needs a named group for the message: (?P<message>...)."
        )
    roles = {role: [role] for role in _REGEX_ROLES if role in regex.groupindex}
    return regex, roles


def _from_template(pattern: str) -> tuple[re.Pattern[str], dict[str, list[str]]]:
    parts = re.split(r"(<[^<>]*>)", pattern)
    as_regex = "\\" in pattern  # Loghub's convention: the text between fields is a regex
    body: list[str] = []
    roles: dict[str, list[str]] = {}
    seen: set[str] = set()
    fields = parts[1::2]
    for index, part in enumerate(parts):
        if index % 2 == 0:  # text between fields
            if as_regex:
                body.append(re.sub(r" +", r"\\s+", part))
            else:
                body.append(r"\s+".join(re.escape(word) for word in part.split(" ")))
            continue
        name = part[1:-1].strip()
        if not re.fullmatch(r"[A-Za-z_]\w*", name):
            raise ValueError(
                f"{part} is not a usable field name: use letters, digits and underscores, "
                "e.g. <Level> or <Thread_Id>."
            )
        if name.lower() in seen:
            raise ValueError(f"The field <{name}> appears twice in the pattern.")
        seen.add(name.lower())
        group = f"f{index // 2}"
        role = _PATTERN_ROLES.get(name.lower())
        if role is not None:
            roles.setdefault(role, []).append(group)
        last = index // 2 == len(fields) - 1 and all(not p.strip() for p in parts[index + 1 :])
        body.append(f"(?P<{group}>.*)" if last else f"(?P<{group}>.*?)")
    if "message" not in roles:
        raise ValueError(
            "The pattern needs a field for the message: add <Content> (or <Message>) where the "
            "message starts, usually at the end."
        )
    if len(roles["message"]) > 1:
        raise ValueError("The pattern has more than one message field; keep one <Content>.")
    try:
        regex = re.compile("^" + "".join(body) + "$")
    except re.error as error:
        raise ValueError(
            "The text between the fields is not a valid regular expression "
            f"(it contains a backslash, so it is read as one): {error.msg}."
        ) from None
    return regex, roles


def _describe(error: re.error) -> str:
    return error.msg if error.pos is None else f"{error.msg} at position {error.pos}"


def _check_datefmt(datefmt: str) -> None:
    if "%" not in datefmt:
        raise ValueError(
            f"The date format {datefmt!r} has no % directives; write it for strptime, "
            "e.g. %Y-%m-%d %H:%M:%S."
        )
    sample = datetime(2001, 2, 3, 4, 5, 6, 789000, tzinfo=UTC)
    try:
        datetime.strptime(sample.strftime(datefmt), datefmt)  # noqa: DTZ007 (a format check)
    except ValueError as error:
        raise ValueError(f"The date format {datefmt!r} cannot be used: {error}.") from None
