"""The benchmark suite's pure parts: percentiles, rows, targets, ratios, the table and the JSON.

Nothing here talks to a server or a database, so tests/test_bench_suite.py checks it directly.
The definitions of the ratios live in bench/suite.py's docstring; `ratios_for` computes them.
"""

from __future__ import annotations

import json
import math
import statistics
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any


def percentile(samples: list[float], share: float) -> float:
    """The nearest-rank percentile (`share` in 0..1): a value that was really observed."""
    if not samples:
        raise ValueError("no samples")
    ordered = sorted(samples)
    rank = max(1, math.ceil(share * len(ordered)))
    return ordered[rank - 1]


@dataclass(frozen=True)
class Target:
    """One promise of the issue: `metric` compared with `limit` (`<=` or `>=`)."""

    metric: str  # a Row attribute: p95_ms, median_ms, throughput, value
    op: str
    limit: float
    unit: str = ""  # shown after the limit; latency metrics are always ms

    def met(self, row: Row) -> bool | None:
        actual = getattr(row, self.metric)
        if actual is None:
            return None
        return actual <= self.limit if self.op == "<=" else actual >= self.limit

    def __str__(self) -> str:
        labels = {"p95_ms": "p95", "median_ms": "median", "throughput": "", "value": ""}
        unit = " ms" if self.metric.endswith("_ms") else self.unit
        label = labels.get(self.metric, self.metric)
        return f"{label} {self.op} {self.limit:g}{unit}".strip()


@dataclass
class Row:
    """One line of the table: a measured case, its numbers, targets and ratios."""

    group: str
    name: str
    n: int = 0
    median_ms: float | None = None
    p95_ms: float | None = None
    mean_ms: float | None = None
    throughput: float | None = None  # per second, in `unit`
    unit: str = "req/s"
    value: float | None = None  # a single number (memory in MB, one sweep's seconds)
    value_unit: str = ""
    targets: list[Target] = field(default_factory=list)
    concurrent: int = 1
    note: str = ""
    ratios: dict[str, float] = field(default_factory=dict)

    @property
    def verdict(self) -> str:
        """pass, miss, or blank when there is no target (or nothing to compare)."""
        results = [t.met(self) for t in self.targets]
        if not results or any(r is None for r in results):
            return ""
        return "pass" if all(results) else "miss"


def latency_row(
    group: str, name: str, samples_ms: list[float], seconds: float, **extra: Any
) -> Row:
    """A row from request latencies; throughput is requests over the wall time they took."""
    return Row(
        group=group,
        name=name,
        n=len(samples_ms),
        median_ms=statistics.median(samples_ms),
        p95_ms=percentile(samples_ms, 0.95),
        mean_ms=statistics.fmean(samples_ms),
        throughput=len(samples_ms) / seconds if seconds > 0 else None,
        **extra,
    )


@dataclass(frozen=True)
class Ceilings:
    """What the machine does at best, measured in the same run."""

    trivial_rps: float | None = None  # /healthz, concurrent clients
    trivial_ms: float | None = None  # /healthz, one client: mean latency
    insert_rows_s: float | None = None  # executemany into a scratch table


def ratios_for(row: Row, ceilings: Ceilings) -> dict[str, float]:
    """The row's numbers relative to the ceilings (see the suite's docstring)."""
    out: dict[str, float] = {}
    if row.median_ms is not None and ceilings.trivial_ms:
        out["latency_x_trivial"] = row.median_ms / ceilings.trivial_ms
    if row.concurrent > 1 and row.throughput is not None and ceilings.trivial_rps:
        out["rps_share_trivial"] = row.throughput / ceilings.trivial_rps
    if row.unit == "tickets/s" and row.throughput and ceilings.insert_rows_s:
        out["insert_share"] = row.throughput / ceilings.insert_rows_s
    return out


def apply_ratios(rows: list[Row], ceilings: Ceilings) -> None:
    for row in rows:
        row.ratios = ratios_for(row, ceilings)


# ----------------------------------------------------------------------------- output


def _num(value: float | None, digits: int = 1) -> str:
    if value is None:
        return ""
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:.{digits}f}"


COLUMNS = (
    "case",
    "n",
    "median ms",
    "p95 ms",
    "throughput",
    "target",
    "result",
    "× trivial lat",
    "share trivial rps",
    "share insert",
)

FOOTER = (
    "× trivial lat = median ÷ the trivial view's mean latency (one client, sequential); "
    "share trivial rps = throughput ÷ the trivial view's req/s (same concurrency); "
    "share insert = tickets/s ÷ the raw executemany insert rate (rows/s). "
    "Latency rows are one client, sequential, unless the case says `N clients`."
)


def _share(value: float) -> str:
    """A share as a percentage with two significant digits (tickets/s are tiny next to rows/s)."""
    return f"{value * 100:.2g}%"


def cells(row: Row) -> list[str]:
    """The row as the table's text cells, in COLUMNS order."""
    throughput = f"{_num(row.throughput)} {row.unit}" if row.throughput is not None else ""
    if row.value is not None:
        throughput = f"{_num(row.value, 2)} {row.value_unit}".strip()
    name = row.name + (f" ({row.concurrent} clients)" if row.concurrent > 1 else "")
    if row.note:
        name += f" — {row.note}"
    r = row.ratios
    return [
        name,
        str(row.n) if row.n else "",
        _num(row.median_ms),
        _num(row.p95_ms),
        throughput,
        ", ".join(str(t) for t in row.targets),
        row.verdict,
        f"{r['latency_x_trivial']:.1f}×" if "latency_x_trivial" in r else "",
        f"{r['rps_share_trivial']:.2f}" if "rps_share_trivial" in r else "",
        _share(r["insert_share"]) if "insert_share" in r else "",
    ]


def render_table(rows: list[Row], title: str) -> Any:
    """A rich Table of every row, grouped, with the ratio definitions as caption."""
    from rich.table import Table

    table = Table(title=title, caption=FOOTER, caption_justify="left")
    for i, column in enumerate(COLUMNS):
        table.add_column(column, justify="left" if i in (0, 5) else "right", no_wrap=i != 0)
    group = None
    for row in rows:
        if row.group != group:
            if group is not None:
                table.add_section()
            group = row.group
        text = cells(row)
        style = {"miss": "red", "pass": "green"}.get(row.verdict)
        if style:
            text[6] = f"[{style}]{text[6]}[/{style}]"
        table.add_row(*text)
    return table


def to_json(rows: list[Row], ceilings: Ceilings, meta: dict[str, Any]) -> str:
    """The run as JSON, for comparing commits: meta, ceilings and every row."""

    def row_dict(row: Row) -> dict[str, Any]:
        data = asdict(row)
        data["targets"] = [str(t) for t in row.targets]
        data["verdict"] = row.verdict
        return data

    payload = {"meta": meta, "ceilings": asdict(ceilings), "rows": [row_dict(r) for r in rows]}
    return json.dumps(payload, indent=2, default=str)


def git_short_sha(root: Path) -> str:
    """The checkout's commit, read from .git without running git ("nogit" when unknown)."""
    git = root / ".git"
    try:
        if git.is_file():  # a worktree: "gitdir: <path>"
            git = Path(git.read_text().split(":", 1)[1].strip())
        head = (git / "HEAD").read_text().strip()
        if not head.startswith("ref:"):
            return head[:7]
        ref = head.split(":", 1)[1].strip()
        loose = git / ref
        if loose.exists():
            return loose.read_text().strip()[:7]
        common = git / "commondir"
        base = (git / common.read_text().strip()).resolve() if common.exists() else git
        for candidate in (base / ref, base / "packed-refs"):
            if candidate.name != "packed-refs" and candidate.exists():
                return candidate.read_text().strip()[:7]
            if candidate.exists():
                for line in candidate.read_text().splitlines():
                    if line.endswith(" " + ref):
                        return line.split()[0][:7]
    except (OSError, IndexError):
        pass
    return "nogit"
