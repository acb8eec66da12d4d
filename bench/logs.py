"""Log template mining: Backline's miner against drain3 on six Loghub 2k samples.

    .venv/bin/python bench/logs.py [--data DIR] [--repeat N]

For each system (HDFS, BGL, OpenStack, Linux, HealthApp, Proxifier) both miners get the same
`Content` column of `<S>/<S>_2k.log_structured_corrected.csv`, line by line in file order, each
with its default configuration (drain3: `drain3.TemplateMiner()`, untuned, no masking rules).
A fresh miner is built for every run, so every run starts cold. Reported per system:

- GA, grouping accuracy: the share of lines whose predicted group is exactly the set of lines of
  their true group (the evaluator of Zhu et al., ICSE-SEIP 2019);
- PA, parsing accuracy: the share of lines whose predicted template equals the true one after
  both are normalised (whitespace folded, runs of `<*>` collapsed), each line scored with the
  final template of its final group (Backline: `canonical(id)` at the end);
- lines/s: only the mining loop is timed, best of `--repeat` runs;
- peak MB: tracemalloc's peak during one more, untimed, run of the mining loop.

The mean row averages GA, PA and lines/s over the systems; its speed-up is the ratio of total
mining time for all lines. The miners never see the ground truth: `EventTemplate` is read only
by the scoring functions below. The data are Loghub's (the citation is printed at the end).
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import logging
import os
import platform
import re
import time
import tracemalloc
from collections import Counter, defaultdict
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from pathlib import Path

SYSTEMS = ("HDFS", "BGL", "OpenStack", "Linux", "HealthApp", "Proxifier")
DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "loghub"
CITATION = (
    "Data: Loghub, https://github.com/logpai/loghub -- Jieming Zhu, Shilin He, Pinjia He, "
    "Jinyang Liu, Michael R. Lyu. Loghub: A Large Collection of System Log Datasets for "
    "AI-driven Log Analytics. In ISSRE, 2023. (Corrected templates: Khan et al., ICSE 2022.)"
)

# -- scoring ----------------------------------------------------------------------------------

_VAR_RUN = re.compile(r"<\*>(?:\s*<\*>)+")
_SPACES = re.compile(r"\s+")


def normalise(template: str) -> str:
    """Whitespace folded, then runs of `<*>` (with or without spaces between) made one `<*>`."""
    return _VAR_RUN.sub("<*>", _SPACES.sub(" ", template).strip())


def grouping_accuracy(truth: Sequence[Hashable], predicted: Sequence[Hashable]) -> float:
    """Share of lines whose predicted group has exactly the lines of their true group.

    `truth` and `predicted` hold one group label per line. A predicted group counts, with all
    its lines, when its lines share one true label and that true group has no other lines.
    """
    if len(truth) != len(predicted):
        raise ValueError("truth and predicted need one label per line")
    if not truth:
        return 0.0
    true_sizes = Counter(truth)
    members: dict[Hashable, list[Hashable]] = defaultdict(list)
    for label, group in zip(truth, predicted, strict=True):
        members[group].append(label)
    correct = 0
    for labels in members.values():
        first = labels[0]
        if true_sizes[first] == len(labels) and all(label == first for label in labels):
            correct += len(labels)
    return correct / len(truth)


def parsing_accuracy(truth: Sequence[str], predicted: Sequence[str]) -> float:
    """Share of lines whose predicted template equals the true one, both normalised."""
    if len(truth) != len(predicted):
        raise ValueError("truth and predicted need one template per line")
    if not truth:
        return 0.0
    same = sum(normalise(t) == normalise(p) for t, p in zip(truth, predicted, strict=True))
    return same / len(truth)


# -- data and miners --------------------------------------------------------------------------


@dataclass
class Sample:
    system: str
    contents: list[str]
    truth: list[str]  # EventTemplate per line, for scoring only


def load_sample(data: Path, system: str) -> Sample:
    path = data / system / f"{system}_2k.log_structured_corrected.csv"
    with path.open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    return Sample(system, [r["Content"] for r in rows], [r["EventTemplate"] for r in rows])


@dataclass
class Outcome:
    groups: list[int]  # final group of each line
    texts: list[str]  # final template text of each line


# A runner mines the lines (the timed part) and returns how to read the outcome afterwards.
Runner = Callable[[list[str]], Callable[[], Outcome]]


def run_backline(lines: list[str]) -> Callable[[], Outcome]:
    from backline.diagnostics.mining import TemplateMiner

    miner = TemplateMiner()
    add = miner.add
    ids = [add(line) for line in lines]

    def outcome() -> Outcome:
        groups = [miner.canonical(i) for i in ids]
        texts = {g: miner.template(g) for g in set(groups)}
        return Outcome(groups, [texts[g] for g in groups])

    return outcome


def run_drain3(lines: list[str]) -> Callable[[], Outcome]:
    from drain3 import TemplateMiner as Drain3Miner

    miner = Drain3Miner()
    add = miner.add_log_message
    ids = [add(line)["cluster_id"] for line in lines]

    def outcome() -> Outcome:
        clusters = miner.drain.id_to_cluster
        return Outcome(ids, [clusters[i].get_template() for i in ids])

    return outcome


MINERS: dict[str, Runner] = {"Backline": run_backline, "drain3": run_drain3}


@dataclass
class Result:
    ga: float
    pa: float
    seconds: float  # best mining time
    lines: int
    peak_mb: float

    @property
    def rate(self) -> float:
        return self.lines / self.seconds


def measure(runner: Runner, sample: Sample, repeat: int) -> Result:
    runner(sample.contents[:50])  # imports and first-use work out of the timings
    best = float("inf")
    for _ in range(max(1, repeat)):
        start = time.perf_counter()
        outcome = runner(sample.contents)
        best = min(best, time.perf_counter() - start)
    result = outcome()
    tracemalloc.start()
    runner(sample.contents)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return Result(
        ga=grouping_accuracy(sample.truth, result.groups),
        pa=parsing_accuracy(sample.truth, result.texts),
        seconds=best,
        lines=len(sample.contents),
        peak_mb=peak / 1e6,
    )


# -- report -----------------------------------------------------------------------------------


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return (
        f"machine: {os.cpu_count()} CPUs ({cpu}), {platform.platform()}, "
        f"{platform.python_implementation()} {platform.python_version()}"
    )


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="the loghub folder")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs; the best one counts")
    parser.add_argument("--no-demo", action="store_true", help="skip the demo logs' throughput")
    return parser.parse_args()


def main() -> None:
    from rich.console import Console
    from rich.table import Table

    args = parse_args()
    logging.getLogger("drain3").setLevel(logging.ERROR)  # "config file not found", per miner
    console = Console(width=150)
    console.print(machine())
    table = Table(title="Log template mining, Loghub 2k samples, default configurations")
    table.add_column("system")
    table.add_column("lines", justify="right")
    for name in MINERS:
        for column in ("GA", "PA", "lines/s", "peak MB"):
            table.add_column(f"{name}\n{column}", justify="right")
    table.add_column("speed-up\nBackline/drain3", justify="right")
    results: dict[str, list[Result]] = {name: [] for name in MINERS}
    for system in SYSTEMS:
        sample = load_sample(args.data, system)
        row = [system, f"{len(sample.contents):,}"]
        for name, runner in MINERS.items():
            r = measure(runner, sample, args.repeat)
            results[name].append(r)
            row += [f"{r.ga:.3f}", f"{r.pa:.3f}", f"{r.rate:,.0f}", f"{r.peak_mb:.2f}"]
        ours, theirs = results["Backline"][-1], results["drain3"][-1]
        table.add_row(*row, f"{ours.rate / theirs.rate:.1f}x")
    total = sum(r.lines for r in results["Backline"])
    mean_row = ["mean", f"{total:,}"]
    for name in MINERS:
        rs = results[name]
        mean_row += [
            f"{sum(r.ga for r in rs) / len(rs):.3f}",
            f"{sum(r.pa for r in rs) / len(rs):.3f}",
            f"{sum(r.rate for r in rs) / len(rs):,.0f}",
            f"{max(r.peak_mb for r in rs):.2f} max",
        ]
    seconds = {name: sum(r.seconds for r in rs) for name, rs in results.items()}
    mean_row.append(f"{seconds['drain3'] / seconds['Backline']:.1f}x all lines")
    table.add_row(*mean_row, style="bold")
    console.print(table)
    console.print(
        f"All {total:,} lines: Backline {total / seconds['Backline']:,.0f} lines/s, "
        f"drain3 {total / seconds['drain3']:,.0f} lines/s (best of {args.repeat} runs each)."
    )
    console.print(CITATION)
    if not args.no_demo:
        console.print(demo_table(args.repeat))


def demo_messages() -> dict[str, list[str]]:
    """The message part of the demo's three reference-case logs (about 30k lines each, written
    for fixed moments so every run mines the same lines): realistic volume, where templates
    repeat with new values, unlike the 2k samples where every fifth line is a new template."""
    import tempfile
    from datetime import UTC, datetime, timedelta

    from backline.demo.logs import ReferenceTimes, write_reference_logs
    from backline.diagnostics.formats import detect, parse_lines

    start = datetime(2026, 11, 26, 9, 5, tzinfo=UTC)
    times = ReferenceTimes(
        param_change_at=start - timedelta(hours=15),
        case_a_start=start,
        case_b_start=start + timedelta(days=1, hours=-1),
        token_expires_at=start + timedelta(days=1, hours=-4),
        case_c_start=start + timedelta(days=1),
    )
    out = {}
    with tempfile.TemporaryDirectory() as directory:
        for path in write_reference_logs(Path(directory), times).values():
            lines = path.read_text(encoding="utf-8").splitlines()
            fmt = detect(lines[:200])
            out[path.name] = [record.message for record in parse_lines(lines, fmt)]
    return out


def _best(runner: Runner, lines: list[str], repeat: int) -> tuple[float, int]:
    runner(lines[:50])
    best, groups = float("inf"), 0
    for _ in range(max(1, repeat)):
        start = time.perf_counter()
        outcome = runner(lines)
        best = min(best, time.perf_counter() - start)
    groups = len(set(outcome().groups))
    return best, groups


def demo_table(repeat: int) -> object:
    from rich.table import Table

    table = Table(title="Throughput on the demo's reference-case logs (same messages for both)")
    for column in ("log", "lines", "Backline lines/s", "templates", "drain3 lines/s", "clusters"):
        table.add_column(column, justify="left" if column == "log" else "right")
    table.add_column("speed-up", justify="right")
    totals = {"Backline": 0.0, "drain3": 0.0}
    count = 0
    for name, lines in demo_messages().items():
        ours, our_groups = _best(run_backline, lines, repeat)
        theirs, their_groups = _best(run_drain3, lines, repeat)
        totals["Backline"] += ours
        totals["drain3"] += theirs
        count += len(lines)
        table.add_row(
            name,
            f"{len(lines):,}",
            f"{len(lines) / ours:,.0f}",
            str(our_groups),
            f"{len(lines) / theirs:,.0f}",
            str(their_groups),
            f"{theirs / ours:.1f}x",
        )
    table.add_row(
        "all",
        f"{count:,}",
        f"{count / totals['Backline']:,.0f}",
        "",
        f"{count / totals['drain3']:,.0f}",
        "",
        f"{totals['drain3'] / totals['Backline']:.1f}x",
        style="bold",
    )
    return table


if __name__ == "__main__":
    main()
