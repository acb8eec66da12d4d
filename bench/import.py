"""Import an event log of 100k events (20k cases × 5) and report time, throughput and memory.

    .venv/bin/python bench/import.py [--cases 20000] [--keep DIR]

Writes a synthetic process-mining event log (open, assign, start work, sometimes an escalation to
an L2 or L3 group, resolve, close), then runs `import_job_run` — the background task's code path —
in a child process on a throwaway SQLite database: first as a dry run, then for real, then the
same file again (every case skipped). Prints wall time, events per second and peak RSS.
"""

from __future__ import annotations

import argparse
import csv
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
GROUPS = {"Service Desk": 1, "Application Support": 2, "Database": 2, "Engineering": 3}
MAPPING = {
    "system": "oldsm",
    "columns": {
        "case": "case_id",
        "activity": "activity",
        "time": "timestamp",
        "resource": "resource",
        "group": "group",
    },
    "groups": GROUPS,
    "activities": {"Escalate": "ignore"},
}


def write_log(path: Path, cases: int) -> int:
    rng = random.Random(11)
    start = datetime(2025, 1, 1, tzinfo=UTC)
    rows = 0
    with path.open("w", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(["case", "activity", "time", "resource", "group"])
        for c in range(cases):
            t = start + timedelta(minutes=rng.randrange(0, 180 * 1440))
            agent = f"agent{rng.randrange(60)}"
            steps = [("Open", agent, "Service Desk"), ("Assign", agent, "")]
            if rng.random() < 0.35:
                steps.append(("Escalate", agent, rng.choice(["Application Support", "Database"])))
                agent = f"engineer{rng.randrange(30)}"
            steps += [("Start work", agent, ""), ("Resolved", agent, "")]
            if len(steps) < 5:
                steps.append(("Closed", agent, ""))
            for activity, who, group in steps:
                t += timedelta(minutes=rng.randrange(1, 600))
                out.writerow([f"K{c}", activity, t.isoformat(" ", "seconds"), who, group])
                rows += 1
    return rows


def child(path: str) -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "backline.config.settings"
    import django

    django.setup()
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from backline.accounts.models import User
    from backline.imports.services import import_job_create, import_job_run

    admin = User.objects.create_user("bench", password="x", role="admin")  # noqa: S106
    content = Path(path).read_bytes()
    for label, dry in (("dry run", True), ("real run", False), ("re-import", False)):
        job = import_job_create(
            actor=admin,
            kind="event_log",
            file=SimpleUploadedFile("log.csv", content),
            mapping=MAPPING,
            dry_run=dry,
            enqueue=False,
        )
        started = time.perf_counter()
        job = import_job_run(job.pk)
        took = time.perf_counter() - started
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(
            f"RESULT {label}|{job.state}|{job.rows_done}|{job.created}|{job.skipped}|"
            f"{job.error_count}|{took:.2f}|{peak:.0f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=20_000)
    parser.add_argument("--keep", help="directory to keep the generated log in")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child)
        return
    work = Path(args.keep or tempfile.mkdtemp(prefix="backline-bench-import-"))
    work.mkdir(parents=True, exist_ok=True)
    path = work / f"events-{args.cases}.csv"
    print(
        f"machine: {platform.platform()}, {os.cpu_count()} cpus, Python {platform.python_version()}"
    )
    events = write_log(path, args.cases)
    print(f"wrote {path}: {args.cases:,} cases, {events:,} events")
    data = tempfile.mkdtemp(prefix="data-", dir=work)
    env = {**os.environ, "BACKLINE_DATA_DIR": data, "PYTHONPATH": str(ROOT / "src")}
    env.pop("DATABASE_URL", None)
    env.setdefault("BACKLINE_SECRET_KEY", "bench-only")
    out = subprocess.run(  # noqa: S603
        [sys.executable, __file__, "--child", str(path)],
        env=env, capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    for line in out.splitlines():
        if not line.startswith("RESULT "):
            continue
        label, state, rows, created, skipped, errors, secs, peak = line[7:].split("|")
        s = float(secs)
        print(
            f"{label:9}: {state}, {int(rows):,} events in {s:.1f} s = {int(rows) / s:,.0f} "
            f"events/s; {int(created):,} tickets, {int(skipped):,} skipped, {errors} row errors; "
            f"peak RSS {peak} MB"
        )


if __name__ == "__main__":
    main()
