"""Process a large log the way the worker does and report time, throughput and peak memory.

    .venv/bin/python bench/log_ingest.py [--mb 1024] [--gzip] [--keep DIR]

Writes a synthetic application log of about --mb megabytes (a few hundred message shapes with
variable parts, ISO timestamps, levels and components, an error burst two thirds in), then runs
`log_process` — the worker's code path: detection, template mining, per-minute statistics, the
side files and the database writes — in a child process on a throwaway SQLite database, and prints
the child's wall time, lines per second and peak resident memory (ru_maxrss). The terminal path
(`backline logs analyze`) is measured the same way.
"""

from __future__ import annotations

import argparse
import gzip
import os
import platform
import random
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

VERBS = ["GET", "POST", "PUT", "DELETE"]
COMPONENTS = [f"com.example.{m}.{c}" for m in ("orders", "billing", "auth", "stock", "sync")
              for c in ("Service", "Client", "Repository", "Controller", "Job")]  # fmt: skip


def _shapes(rng: random.Random) -> list[str]:
    """Message shapes with {n} (numbers), {h} (hex ids), {ip}, {p} (paths) placeholders."""
    nouns = ["order", "invoice", "session", "user", "cart", "shipment", "token", "report", "batch"]
    verbs = ["created", "updated", "deleted", "loaded", "cached", "validated", "queued", "sent"]
    shapes = []
    for noun in nouns:
        for verb in verbs:
            shapes.append(f"{noun.capitalize()} {{n}} {verb} in {{n}} ms")
            shapes.append(f"{noun.capitalize()} {{h}} {verb} by user {{n}} from {{ip}}")
        shapes.append(f"Fetching {noun} list page {{n}} of {{n}} ({{n}} rows)")
        shapes.append("{v} {p} returned {s} in {n} ms")
        shapes.append(f"Retrying {noun} sync attempt {{n}} after {{n}} ms backoff")
        shapes.append(f"Cache miss for {noun} key {noun}:{{n}}:{{h}}")
    rng.shuffle(shapes)
    return shapes


def write_log(path: Path, megabytes: int, *, compress: bool, seed: int = 3) -> int:
    """About `megabytes` of log lines; returns the number of lines."""
    rng = random.Random(seed)
    shapes = _shapes(rng)
    weights = [1 / (i + 1) for i in range(len(shapes))]  # a few shapes dominate, as in real logs
    target = megabytes * 1024 * 1024
    at = datetime(2026, 11, 2, tzinfo=UTC)
    written = lines = 0
    opener = gzip.open if compress else open
    with opener(path, "wb") as f:  # type: ignore[operator]
        batch: list[str] = []
        burst_at = target * 2 // 3
        while written < target:
            at += timedelta(milliseconds=rng.randint(1, 40))
            stamp = at.strftime("%Y-%m-%d %H:%M:%S.") + f"{at.microsecond // 1000:03d}"
            if burst_at <= written < burst_at + target // 50 and rng.random() < 0.3:
                level, msg = (
                    "ERROR",
                    f"Connection to db-{rng.randint(1, 3)} refused after {rng.randint(1, 9000)} ms",
                )
            else:
                shape = rng.choices(shapes, weights)[0]
                level = "WARN" if "Retrying" in shape else "INFO"
                msg = shape.format(
                    n=rng.randint(0, 99999),
                    h=f"{rng.getrandbits(48):012x}",
                    ip=f"10.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}",
                    p=f"/api/v2/{rng.choice(['orders', 'stock', 'users'])}/{rng.randint(1, 9999)}",
                    v=rng.choice(VERBS),
                    s=rng.choice([200, 200, 200, 201, 204, 404, 500]),
                )
            thread, component = f"worker-{rng.randint(1, 16)}", rng.choice(COMPONENTS)
            line = f"{stamp} {level:<5} [{thread}] {component} - {msg}\n"
            batch.append(line)
            written += len(line)
            lines += 1
            if len(batch) >= 10_000:
                f.write("".join(batch).encode())
                batch = []
        f.write("".join(batch).encode())
    return lines


def child_worker(path: str) -> None:
    """In a fresh process: a throwaway database, one ticket, the log processed as the worker
    does."""
    os.environ["DJANGO_SETTINGS_MODULE"] = "backline.config.settings"
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from backline.accounts.models import User
    from backline.diagnostics.models import LogFile
    from backline.diagnostics.services import log_attach, log_process
    from backline.tickets.services import ticket_create

    settings.BACKLINE_LOG_SHARE = str(Path(path).parent)
    user = User.objects.create_user("bench", password="x", role="agent")  # noqa: S106
    ticket = ticket_create(actor=user, title="Bench log")
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    log = log_attach(actor=user, ticket=ticket, share_path=Path(path).name)
    started = time.perf_counter()
    log = log_process(log_id=log.pk)
    took = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    templates = log.stats.count()
    if LogFile.objects.get(pk=log.pk).status != "ready":
        raise SystemExit(f"the log failed: {log.error}")
    print(f"RESULT {log.lines} {took:.2f} {before / 1024:.0f} {peak / 1024:.0f} {templates}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mb", type=int, default=1024)
    parser.add_argument("--gzip", action="store_true")
    parser.add_argument("--keep", help="directory to keep the generated log in")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child_worker(args.child)
        return
    work = Path(args.keep or tempfile.mkdtemp(prefix="backline-bench-logs-"))
    work.mkdir(parents=True, exist_ok=True)
    path = work / ("big.log.gz" if args.gzip else "big.log")
    print(
        f"machine: {platform.platform()}, {os.cpu_count()} cpus, Python {platform.python_version()}"
    )
    if not path.exists():
        t = time.perf_counter()
        lines = write_log(path, args.mb, compress=args.gzip)
        took = time.perf_counter() - t
        size = path.stat().st_size / 2**20
        print(f"wrote {path} ({size:.0f} MB, {lines:,} lines) in {took:.0f} s")
    data = tempfile.mkdtemp(prefix="data-", dir=work)  # a fresh database every run
    env = {**os.environ, "BACKLINE_DATA_DIR": data, "PYTHONPATH": str(ROOT / "src")}
    env.pop("DATABASE_URL", None)
    out = subprocess.run(  # noqa: S603
        [sys.executable, __file__, "--child", str(path)],
        env=env, capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    result = next(line for line in out.splitlines() if line.startswith("RESULT"))
    _, lines_s, secs, base, peak, templates = result.split()
    n, s = int(lines_s), float(secs)
    print(
        f"worker path: {n:,} lines in {s:.1f} s = {n / s:,.0f} lines/s, {templates} templates; "
        f"peak RSS {peak} MB (Django + migrations before reading: {base} MB)"
    )
    code = (
        "import resource, sys, time; from backline.cli import main; t = time.perf_counter(); "
        f"main(['logs', 'analyze', {str(path)!r}, '--top', '5']); "
        "print('RESULT', time.perf_counter() - t, "
        "resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, file=sys.stderr)"
    )
    done = subprocess.run(  # noqa: S603
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    _, secs, peak = next(x for x in done.stderr.splitlines() if x.startswith("RESULT")).split()
    print(
        f"terminal path (backline logs analyze): {float(secs):.1f} s = "
        f"{n / float(secs):,.0f} lines/s; peak RSS {float(peak):.0f} MB"
    )


if __name__ == "__main__":
    main()
