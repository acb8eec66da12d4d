"""`backline audit verify` and `backline audit export --format jsonl|csv [--since DAY]`."""

from __future__ import annotations

import argparse
import csv
import os
import sys
from datetime import date


def add_parser(sub) -> None:
    p = sub.add_parser("audit", help="the audit log: check its hash chain, export it")
    audit_sub = p.add_subparsers(dest="audit_command", required=True)

    v = audit_sub.add_parser("verify", help=cmd_verify.__doc__)
    v.add_argument(
        "--anchor",
        metavar="SEQ:HASH",
        help="a head noted earlier (printed by verify); it must still be in the chain",
    )
    v.set_defaults(func=cmd_verify)

    e = audit_sub.add_parser("export", help=cmd_export.__doc__)
    e.add_argument("--format", choices=["jsonl", "csv"], default="jsonl")
    e.add_argument("--since", type=date.fromisoformat, help="YYYY-MM-DD (UTC), inclusive")
    e.add_argument("--output", "-o", default="-", help="file to write (default: stdout)")
    e.set_defaults(func=cmd_export)


def _anchor(text: str) -> tuple[int, str] | None:
    seq, _, digest = text.partition(":")
    if not seq.isdigit() or len(digest) != 64:
        return None
    return int(seq), digest.lower()


def _private_file(path: str):
    """The export names people and their addresses: readable by its owner only."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    return os.fdopen(fd, "w", encoding="utf-8", newline="")


def cmd_verify(args: argparse.Namespace) -> int:
    """Seal pending events and check the whole hash chain; exit 1 on any break."""
    from backline.cli import _setup

    anchor = _anchor(args.anchor) if args.anchor else None
    if args.anchor and anchor is None:
        print("error: --anchor takes SEQ:HASH, e.g. 1234:9f86d0…(64 hex digits)", file=sys.stderr)
        return 2
    _setup()
    from backline.audit.models import AuditEvent
    from backline.audit.services import audit_verify

    report = audit_verify()
    if not report.ok:
        print(
            f"TAMPERED: the chain breaks at event #{report.broken_seq}: {report.reason}. "
            f"{report.checked:,} events before it check out.",
            file=sys.stderr,
        )
        return 1
    if anchor is not None:
        stored = AuditEvent.objects.filter(seq=anchor[0]).values_list("hash", flat=True).first()
        if stored != anchor[1]:
            print(
                f"TAMPERED: event #{anchor[0]} "
                + ("is gone" if stored is None else "no longer has the anchored hash")
                + " (the log was cut back or rewritten).",
                file=sys.stderr,
            )
            return 1
    print(f"OK: {report.checked:,} events, chain intact.")
    print(f"Head: {report.head_seq}:{report.head_hash}")
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    """Write the audit log (or the part since a day) as JSON Lines or CSV, in chain order."""
    from backline.cli import _setup

    _setup()
    from backline.audit import queries
    from backline.audit.filters import AuditFilter
    from backline.audit.services import audit_seal

    audit_seal()
    rows = queries.events_export(AuditFilter(since=args.since))
    out = sys.stdout if args.output == "-" else _private_file(args.output)
    count = 0
    try:
        if args.format == "csv":
            writer = csv.writer(out)
            writer.writerow(queries.EXPORT_FIELDS)
            for row in rows:
                writer.writerow(queries.export_cells(row))
                count += 1
        else:
            for row in rows:
                out.write(queries.export_line(row))
                count += 1
    finally:
        if out is not sys.stdout:
            out.close()
    print(f"Exported {count:,} events.", file=sys.stderr)
    return 0
