"""`backline logs analyze FILE`: the investigation summary in a terminal, without a server or a
database — for engineers on a box. Same reading, mining and ranking as the web view."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn, TransferSpeedColumn
from rich.table import Table

from backline.diagnostics import anomalies
from backline.diagnostics.analysis import Analysis, Stat, analyze, open_log
from backline.diagnostics.mining import TemplateMiner

SPARK = " ▁▂▃▄▅▆▇█"
LEVEL_STYLE = {"critical": "bold white on red", "error": "red", "warning": "yellow", "debug": "dim"}


def parse_when(text: str | None, tz: ZoneInfo) -> datetime | None:
    """An ISO date or date-time; naive ones are in `tz`."""
    if not text:
        return None
    try:
        value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise SystemExit(f"Not a date-time: {text!r} (use ISO, e.g. 2026-11-02T06:05)") from None
    return value if value.tzinfo else value.replace(tzinfo=tz)


def spark(values: list[int]) -> str:
    top = max(values) if values else 0
    if not top:
        return " " * len(values)
    return "".join(SPARK[0 if not v else max(1, round(v / top * 8))] for v in values)


def _level(level: str) -> str:
    style = LEVEL_STYLE.get(level)
    return f"[{style}]{level or '-'}[/]" if style else (level or "-")


def _when(ts: float | None) -> str:
    return "" if ts is None else datetime.fromtimestamp(ts, tz=UTC).strftime("%d %b %H:%M:%S")


def _series(stats: dict[int, Stat]) -> list[anomalies.Series]:
    return [
        anomalies.Series(tid=s.tid, minutes=s.minutes, count=s.count, level=s.level)
        for s in stats.values()
    ]


def run(args: argparse.Namespace) -> int:
    console = Console()
    path = Path(args.file)
    if not path.is_file():
        console.print(f"[red]No file {path}[/]")
        return 2
    try:
        tz = ZoneInfo(args.tz or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        console.print(f"[red]Unknown time zone {args.tz!r}[/]")
        return 2
    since, until = parse_when(args.since, tz), parse_when(args.until, tz)
    start = parse_when(args.incident_start, tz)
    miner = TemplateMiner()
    stream, position = open_log(path)
    size = path.stat().st_size
    columns = (
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=console, transient=True) as bar, stream:
        task = bar.add_task(path.name, total=size)
        try:
            result = analyze(
                stream,
                miner=miner,
                tz=tz,
                pattern=args.pattern or "",
                year=datetime.fromtimestamp(path.stat().st_mtime, tz=UTC).year,
                progress=lambda _lines: bar.update(task, completed=position()),
                since=since.timestamp() if since else None,
                until=until.timestamp() if until else None,
            )
        except ValueError as exc:
            console.print(f"[red]{exc}[/]")
            return 2
    _summary(console, path, result, miner, args.top)
    if result.first_ts is not None:
        _around(console, result, miner, start, args.before, args.after, args.top)
    return 0


def _summary(
    console: Console, path: Path, result: Analysis, miner: TemplateMiner, top: int
) -> None:
    span = (
        f"{_when(result.first_ts)} – {_when(result.last_ts)} UTC"
        if result.first_ts is not None
        else "no times found"
    )
    console.print(
        f"[bold]{path.name}[/]: {result.lines:,} lines, {len(result.stats):,} templates, "
        f"format [cyan]{result.format.label}[/], {span}"
    )
    first = int(result.first_ts // 60) if result.first_ts is not None else 0
    last = int(result.last_ts // 60) + 1 if result.last_ts is not None else 0
    table = Table(title="Templates by lines", show_lines=False, expand=True)
    table.add_column("Lines", justify="right")
    table.add_column("Level")
    table.add_column("Template", ratio=1, overflow="fold")
    table.add_column("Rate")
    table.add_column("First seen")
    for st in sorted(result.stats.values(), key=lambda s: (-s.count, s.first_line))[:top]:
        rate = spark(anomalies.bins(st.minutes, first, last, n=24)) if last else ""
        table.add_row(
            f"{st.count:,}", _level(st.level), miner.template(st.tid), rate, _when(st.first_ts)
        )
    console.print(table)


def _around(
    console: Console,
    result: Analysis,
    miner: TemplateMiner,
    start: datetime | None,
    before: int,
    after: int,
    top: int,
) -> None:
    if result.first_ts is None or result.last_ts is None:
        return
    if start is None:
        console.print("[dim]Give --incident-start to rank what changed around the incident.[/]")
        return
    w = anomalies.window(
        start_ts=start.timestamp(),
        before=before * 60,
        after=after * 60,
        first_ts=result.first_ts,
        last_ts=result.last_ts,
    )
    if w is None:
        console.print("[yellow]The incident window does not overlap the log.[/]")
        return
    rose, fell = anomalies.around(_series(result.stats), w)
    table = Table(
        title=f"Around the incident: {w.minutes} min around {start:%d %b %H:%M} "
        f"vs {w.baseline_minutes:,} min before",
        expand=True,
    )
    table.add_column("#", justify="right")
    table.add_column("Level")
    table.add_column("Template", ratio=1, overflow="fold")
    table.add_column("Window", justify="right")
    table.add_column("Before", justify="right")
    table.add_column("Change")
    table.add_column("G", justify="right")
    for rank, shift in enumerate([*rose[:top], *fell[: max(3, top // 3)]], start=1):
        change = (
            "[bold red]new[/]" if shift.new else "stopped" if shift.gone else f"×{shift.ratio:.2f}"
        )
        table.add_row(
            str(rank),
            _level(shift.level),
            miner.template(shift.tid),
            f"{shift.count_a:,}",
            f"{shift.count_b:,}",
            change,
            f"{shift.score:,.0f}",
        )
    console.print(table)


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("logs", help="Log diagnostics in the terminal")
    logs_sub = p.add_subparsers(dest="logs_command", required=True)
    a = logs_sub.add_parser(
        "analyze", help="Mine a log's templates and rank what changed around an incident"
    )
    a.add_argument("file", help="a plain or gzip log file")
    a.add_argument("--incident-start", help="ISO date-time the incident started")
    a.add_argument("--before", type=int, default=60, help="window minutes before the start")
    a.add_argument("--after", type=int, default=60, help="window minutes after the start")
    a.add_argument("--since", help="ignore lines before this ISO date-time")
    a.add_argument("--until", help="ignore lines from this ISO date-time on")
    a.add_argument("--pattern", help="header pattern when detection gets it wrong")
    a.add_argument("--tz", default="UTC", help="time zone of times written without one")
    a.add_argument("--top", type=int, default=20, help="rows per table")
    a.set_defaults(func=lambda args: run(args))
