"""`backline import FILE --kind event_log --mapping mapping.json [--dry-run]`: the same service
as the settings page, run in this process with a progress line."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def add_parser(sub) -> None:
    p = sub.add_parser("import", help=cmd_import.__doc__)
    p.add_argument("file", type=Path, help="the CSV file")
    p.add_argument("--kind", default="event_log", choices=["event_log", "ticket_csv"])
    p.add_argument("--mapping", type=Path, required=True, help="the mapping as a JSON file")
    p.add_argument("--dry-run", action="store_true", help="check and report, write nothing")
    p.add_argument(
        "--as", dest="username", default=None, help="manager or admin (default: an admin)"
    )
    p.set_defaults(func=cmd_import)


def _progress(done: int, total: int) -> None:
    percent = 100 * done // total if total else 100
    print(f"\r{done:,} / {total:,} rows ({percent} %)", end="", file=sys.stderr, flush=True)


def cmd_import(args: argparse.Namespace) -> int:
    """Import historical tickets from a ticket CSV or an event log."""
    from backline.cli import _setup

    _setup()
    from django.core.files.uploadedfile import SimpleUploadedFile

    from backline.accounts.models import User
    from backline.core.errors import DomainError
    from backline.imports.services import import_job_create, import_job_run, mapping_parse

    users = User.objects.filter(is_active=True)
    actor = (
        users.filter(username=args.username).first()
        if args.username
        else users.filter(role="admin").order_by("pk").first()
    )
    if actor is None:
        print("error: no such active manager or admin (use --as USERNAME)", file=sys.stderr)
        return 2
    try:
        mapping = mapping_parse(args.mapping.read_text(encoding="utf-8"))
        upload = SimpleUploadedFile(args.file.name, args.file.read_bytes(), "text/csv")
        job = import_job_create(
            actor=actor,
            kind=args.kind,
            file=upload,
            mapping=mapping,
            dry_run=args.dry_run,
            enqueue=False,
        )
    except (OSError, DomainError) as exc:
        print(f"error: {getattr(exc, 'message', exc)}", file=sys.stderr)
        return 2
    job = import_job_run(job.pk, progress=_progress)
    print(file=sys.stderr)
    verb = "would create" if job.dry_run else "created"
    print(
        f"Import {job.pk} {job.state}: {job.rows_done:,} rows, {verb} {job.created:,} tickets, "
        f"{job.skipped:,} already imported, {job.error_count:,} row errors."
    )
    for error in job.report.get("errors", [])[:20]:
        print(f"  row {error['row']} {error['column']}: {error['message']}")
    if job.report.get("reason"):
        print(f"  failed: {job.report['reason']}")
    if args.dry_run:
        print(json.dumps({k: job.report.get(k) for k in ("teams_created", "users_created")}))
    return 0 if job.state == "done" else 1
