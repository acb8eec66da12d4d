"""One pass over a log: header fields per line, the template of every message, per-template
statistics with per-minute counts. Pure Python (no Django): the worker and `backline logs
analyze` both call `analyze()`.

Memory stays bounded by the number of templates and the minutes the log spans, never by its lines:
lines are read one at a time and whatever must be kept per line (its template, where it starts)
goes to a `sink` that writes it to disk.
"""

from __future__ import annotations

import gzip
import io
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import tzinfo
from pathlib import Path
from typing import IO, Protocol

from backline.diagnostics.formats import LogFormat, Record, detect, from_pattern
from backline.diagnostics.mining import TemplateMiner

SAMPLE_LINES = 200
PROGRESS_EVERY = 50_000  # lines between progress reports
MAX_COMPONENTS = 50  # distinct components counted per template; more are lumped together
MAX_SAMPLE = 2000  # characters of the sample line kept per template
GZIP_MAGIC = b"\x1f\x8b"


class Sink(Protocol):
    def add(self, tid: int, offset: int, raw: bytes) -> None: ...


@dataclass
class Stat:
    """One template in one log."""

    tid: int
    count: int = 0
    first_line: int = 0
    first_ts: float | None = None
    last_ts: float | None = None
    sample: str = ""
    levels: Counter[str] = field(default_factory=Counter)
    components: Counter[str] = field(default_factory=Counter)
    minutes: Counter[int] = field(default_factory=Counter)

    @property
    def level(self) -> str:
        return self.levels.most_common(1)[0][0] if self.levels else ""

    @property
    def component(self) -> str:
        return self.components.most_common(1)[0][0] if self.components else ""

    def merge(self, other: Stat) -> None:
        """Fold another group's numbers into this one (the miner merged their templates)."""
        if other.count and (not self.count or other.first_line < self.first_line):
            self.first_line, self.sample = other.first_line, other.sample
        self.count += other.count
        self.first_ts = _min(self.first_ts, other.first_ts)
        self.last_ts = _max(self.last_ts, other.last_ts)
        self.levels.update(other.levels)
        self.components.update(other.components)
        self.minutes.update(other.minutes)


@dataclass
class Analysis:
    """What one log holds: its format, size in lines, time span and per-template statistics."""

    format: LogFormat
    lines: int = 0
    first_ts: float | None = None
    last_ts: float | None = None
    stats: dict[int, Stat] = field(default_factory=dict)
    merged: dict[int, int] = field(default_factory=dict)  # a line's id → its final template


def _min(a: float | None, b: float | None) -> float | None:
    return b if a is None else a if b is None else min(a, b)


def _max(a: float | None, b: float | None) -> float | None:
    return b if a is None else a if b is None else max(a, b)


def is_gzip(path: Path) -> bool:
    with path.open("rb") as f:
        return f.read(2) == GZIP_MAGIC


def open_log(path: Path) -> tuple[IO[bytes], Callable[[], int]]:
    """The log's decompressed bytes, and how far into the file on disk reading has got."""
    raw = path.open("rb")
    if raw.read(2) == GZIP_MAGIC:
        raw.seek(0)
        return gzip.GzipFile(fileobj=raw, mode="rb"), raw.tell  # type: ignore[return-value]
    raw.seek(0)
    return io.BufferedReader(raw, buffer_size=1 << 20), raw.tell  # type: ignore[arg-type]


def choose_format(
    head: list[str], *, pattern: str = "", year: int | None = None, tz: tzinfo
) -> LogFormat:
    """The user's pattern if given (ValueError if it is bad), else the detected header format."""
    if pattern:
        return from_pattern(pattern, year=year, tz=tz)
    return detect(head, year=year, tz=tz)


def _decode(raw: bytes) -> str:
    return raw.decode("utf-8", "replace").rstrip("\r\n")


def analyze(
    stream: IO[bytes],
    *,
    miner: TemplateMiner,
    tz: tzinfo,
    pattern: str = "",
    year: int | None = None,
    sink: Sink | None = None,
    progress: Callable[[int], None] | None = None,
    since: float | None = None,
    until: float | None = None,
) -> Analysis:
    """Read the log once, line by line; `progress(lines)` is called every PROGRESS_EVERY lines.

    Lines outside [since, until) are skipped (those without a time go with the line before).
    """
    head: list[bytes] = []
    for raw in stream:
        head.append(raw)
        if len(head) >= SAMPLE_LINES:
            break
    fmt = choose_format([_decode(r) for r in head], pattern=pattern, year=year, tz=tz)
    result = Analysis(format=fmt)
    _consume(_chain(head, stream), fmt, miner, result, sink, progress, since, until)
    return _canonical(result, miner)


def _chain(head: list[bytes], rest: IO[bytes]) -> Iterator[bytes]:
    yield from head
    yield from rest


def _consume(
    lines: Iterator[bytes],
    fmt: LogFormat,
    miner: TemplateMiner,
    result: Analysis,
    sink: Sink | None,
    progress: Callable[[int], None] | None,
    since: float | None,
    until: float | None,
) -> None:
    # The hot loop of a 1 GB log: locals only, one parse and one miner call per line.
    parse, add, stats = fmt.parse, miner.add, result.stats
    prev = Record(None, "", "", "")
    n = offset = 0
    first_ts = last_ts = None
    windowed = since is not None or until is not None
    for raw in lines:
        line = raw.decode("utf-8", "replace").rstrip("\r\n")
        rec = parse(line)
        if rec is None:  # a continuation line (stack trace, wrapped message)
            rec = Record(prev.ts, prev.level, prev.component, line)
        prev = rec
        ts = rec.ts
        if (
            windowed
            and ts is not None
            and ((since is not None and ts < since) or (until is not None and ts >= until))
        ):
            offset += len(raw)
            continue
        tid = add(rec.message)
        st = stats.get(tid)
        if st is None:
            st = stats[tid] = Stat(tid=tid, first_line=n, sample=line[:MAX_SAMPLE])
        st.count += 1
        st.levels[rec.level] += 1
        if rec.component and (
            rec.component in st.components or len(st.components) < MAX_COMPONENTS
        ):
            st.components[rec.component] += 1
        if ts is not None:
            st.minutes[int(ts // 60)] += 1
            if st.first_ts is None or ts < st.first_ts:
                st.first_ts = ts
            if st.last_ts is None or ts > st.last_ts:
                st.last_ts = ts
            if first_ts is None or ts < first_ts:
                first_ts = ts
            if last_ts is None or ts > last_ts:
                last_ts = ts
        if sink is not None:
            sink.add(tid, offset, raw)
        offset += len(raw)
        n += 1
        if progress is not None and n % PROGRESS_EVERY == 0:
            progress(n)
    result.lines, result.first_ts, result.last_ts = n, first_ts, last_ts
    if progress is not None:
        progress(n)


def _canonical(result: Analysis, miner: TemplateMiner) -> Analysis:
    """Statistics keyed by the surviving template when the miner merged groups while reading."""
    merged: dict[int, Stat] = {}
    for tid, st in sorted(result.stats.items(), key=lambda item: item[1].first_line):
        key = miner.canonical(tid)
        if key != tid:
            result.merged[tid] = key
        if key in merged:
            merged[key].merge(st)
        else:
            st.tid = key
            merged[key] = st
    result.stats = merged
    return result
