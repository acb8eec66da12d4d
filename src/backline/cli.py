"""The `backline` command: set up, serve, demo, users, tokens and log analysis."""

from __future__ import annotations

import argparse
import os
import secrets
import subprocess
import sys
import time

DEMO_PASSWORD = "backline-demo"  # noqa: S105 - the documented demo password


def _setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backline.config.settings")
    import django

    django.setup()


def _migrate(verbosity: int = 1) -> None:
    from django.conf import settings
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=verbosity)
    if not settings.DEBUG:
        call_command("collectstatic", interactive=False, verbosity=0)


def cmd_init(args: argparse.Namespace) -> int:
    """Migrate the database, collect static files and create the first admin if there is none."""
    _setup()
    _migrate()
    from backline.accounts.models import User
    from backline.accounts.services import user_create

    if User.objects.filter(role="admin").exists():
        print("An admin already exists; nothing more to do.")
        return 0
    password = args.admin_password or secrets.token_urlsafe(12)
    user = user_create(
        username=args.admin_username,
        password=password,
        role="admin",
        email=args.admin_email,
        first_name="Admin",
        check_password=False,
    )
    print(f"Created admin {args.admin_username!r} with password {password!r}.")
    _warn_weak_password(password, user)
    return 0


def _warn_weak_password(password: str, user: object) -> None:
    """Bootstrap scripts may pass a fixed first-admin password; say so when it breaks the policy
    (refusing would leave a fresh install without an admin)."""
    from backline.accounts.services import password_check
    from backline.core.errors import DomainError

    try:
        password_check(password=password, user=user)  # type: ignore[arg-type]
    except DomainError as exc:
        print(
            f"warning: this password breaks the password policy ({exc.message}) "
            "Change it in the admin.",
            file=sys.stderr,
        )


def cmd_serve(args: argparse.Namespace) -> int:
    """Serve the web application with gunicorn (production settings)."""
    port = str(args.port or os.environ.get("PORT") or 8000)
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "backline.config.wsgi:application",
        "--bind",
        f"{args.host}:{port}",
        "--workers",
        str(args.workers),
        "--access-logfile",
        "-",
        "--graceful-timeout",
        "10",
        # A log of a gigabyte or two takes longer to upload than gunicorn's default 30 s.
        "--timeout",
        os.environ.get("BACKLINE_REQUEST_TIMEOUT", "600"),
    ]
    print(f"Backline is serving on http://{args.host}:{port}/", flush=True)
    # Replace this process, so signals (Ctrl-C, SIGTERM from a supervisor) reach gunicorn itself.
    os.execv(sys.executable, command)  # noqa: S606 - our own interpreter and fixed arguments
    return 0


def cmd_demo_data(args: argparse.Namespace) -> int:
    """Load the deterministic demo data set into the current database."""
    _setup()
    from backline.demo.generate import load_demo

    summary = load_demo(seed=args.seed, tickets=args.tickets, password=DEMO_PASSWORD, progress=True)
    print(summary)
    return 0


def cmd_generate(args: argparse.Namespace) -> int:
    """Build a large desk for benchmarks: the demo organisation and N tickets over years."""
    _setup()
    _migrate(verbosity=0)
    from backline.core.errors import DomainError
    from backline.demo.scale import generate

    try:
        result = generate(
            tickets=args.tickets, seed=args.seed, password=DEMO_PASSWORD, progress=args.progress
        )
    except DomainError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 2
    print(
        f"Generated {result['tickets']:,} tickets, {result['events']:,} events, "
        f"{result['comments']:,} comments and {result['escalations']:,} escalations in "
        f"{result['seconds']:.0f} s (base {result['base_seconds']:.0f} s, copies "
        f"{result['copy_seconds']:.0f} s). Logins as for the demo (password {DEMO_PASSWORD})."
    )
    return 0


def _print_logins() -> None:
    from backline.demo.generate import DEMO_LOGINS

    print(f"\nDemo logins (password for all: {DEMO_PASSWORD})")
    for username, what in DEMO_LOGINS:
        print(f"  {username:<10} {what}")
    print()


def cmd_demo(args: argparse.Namespace) -> int:
    """Set up the database, load the demo data once, print the logins and serve."""
    _setup()
    _migrate(verbosity=0)
    from backline.tickets.models import Ticket

    if not Ticket.objects.exists():
        args.seed, args.tickets = 7, 3000
        cmd_demo_data(args)
    _print_logins()
    # One worker beside the web server; Ctrl-C reaches both (same process group).
    subprocess.Popen([sys.executable, "-m", "backline.cli", "worker"])
    args.workers = 2
    return cmd_serve(args)


def cmd_worker(args: argparse.Namespace) -> int:
    """Run the background tasks and the periodic sweeps (SLA warnings and breaches, auto-close)."""
    _setup()
    from backline import worker

    if args.once:
        print(worker.run_once())
        return 0
    from django.conf import settings

    worker.run_forever(interval=args.interval or settings.BACKLINE_WORKER_INTERVAL_SECONDS)
    return 0


def cmd_createuser(args: argparse.Namespace) -> int:
    """Create a user, optionally in teams."""
    _setup()
    from django.db import transaction

    from backline.accounts.models import Team
    from backline.accounts.services import team_add_member, user_create
    from backline.core.errors import DomainError

    password = args.password or secrets.token_urlsafe(12)
    teams = []
    for slug in args.team or []:
        team = Team.objects.filter(slug=slug).first()
        if team is None:
            print(f"error: No team {slug!r}.", file=sys.stderr)
            return 2
        teams.append(team)
    try:
        with transaction.atomic():
            user = user_create(
                username=args.username,
                password=password,
                email=args.email,
                first_name=args.first_name,
                last_name=args.last_name,
                role=args.role,
            )
            for team in teams:
                team_add_member(team=team, user=user)
    except DomainError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 2
    print(
        f"Created {args.role} {user.username!r}"
        + ("" if args.password else f" with password {password!r}")
        + "."
    )
    return 0


def cmd_token_create(args: argparse.Namespace) -> int:
    """Create an API token for a user and print it (it is shown only once)."""
    _setup()
    from backline.accounts.models import User
    from backline.accounts.services import token_create
    from backline.core.errors import DomainError

    user = User.objects.filter(username=args.username).first()
    if user is None:
        print(f"error: no user {args.username!r}", file=sys.stderr)
        return 2
    try:
        _, secret = token_create(user=user, name=args.name, scope=args.scope)
    except DomainError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 2
    print(secret)
    return 0


def cmd_unlock(args: argparse.Namespace) -> int:
    """Lift the sign-in lock that failed attempts put on a username."""
    _setup()
    from backline.accounts.services import login_unlock

    if login_unlock(username=args.username):
        print(f"Unlocked {args.username!r}.")
    else:
        print(f"{args.username!r} was not locked.")
    return 0


def cmd_reindex(args: argparse.Namespace) -> int:
    """Rebuild the search index from the tickets, articles… themselves (for recovery)."""
    _setup()
    from backline.core.errors import DomainError
    from backline.search.services import documents_reindex

    try:
        count = documents_reindex(kinds=args.kind)
    except DomainError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 2
    print(f"Indexed {count:,} documents ({', '.join(args.kind) if args.kind else 'all kinds'}).")
    return 0


def cmd_analytics(args: argparse.Namespace) -> int:
    """Bring the dashboard's per-ticket facts up to date (sync) or recompute them all (rebuild)."""
    _setup()
    from backline.analytics.services import facts_rebuild, facts_sync

    started = time.monotonic()
    if args.action == "rebuild":
        count = facts_rebuild(progress=lambda n: print(f"\r{n:,} tickets", end="", flush=True))
        print(f"\rRebuilt the facts of {count:,} tickets in {time.monotonic() - started:.1f} s.")
    else:
        result = facts_sync(limit=10**9)
        print(f"Refreshed {result['refreshed']:,} tickets in {time.monotonic() - started:.1f} s.")
    return 0


def _size(path: object) -> str:
    from pathlib import Path

    size = float(Path(str(path)).stat().st_size)
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:,.0f} {unit}" if unit == "B" else f"{size:,.1f} {unit}"
        size /= 1024
    return ""


def cmd_backup(args: argparse.Namespace) -> int:
    """Back up the database and the uploaded files (safe while Backline runs)."""
    _setup()
    from pathlib import Path

    from django.conf import settings

    from backline.core.backup import backup, media_archive_for
    from backline.core.errors import DomainError

    try:
        path = backup(Path(args.to) if args.to else Path(settings.DATA_DIR) / "backups")
    except DomainError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 2
    print(f"Wrote {path} ({_size(path)}).")
    media = media_archive_for(path)
    print(f"Wrote {media} ({_size(media)}).")
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    """Restore a backup into the current database and data directory."""
    _setup()
    from pathlib import Path

    from backline.core.backup import media_archive_for, restore
    from backline.core.errors import DomainError

    path = Path(args.file)
    try:
        restore(path, force=args.force)
    except DomainError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 2
    print(f"Restored the database from {path} ({_size(path)}).")
    media = media_archive_for(path)
    if media.is_file():
        print(f"Restored the uploaded files from {media} ({_size(media)}).")
    else:
        print(f"No {media.name} beside it: the uploaded files were left as they are.")
    return 0


def cmd_manage(args: argparse.Namespace) -> int:
    """Run a Django management command (migrate, shell, dbshell…)."""
    _setup()
    from django.core.management import execute_from_command_line

    execute_from_command_line(["backline manage", *args.rest])
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="backline", description="Backline, the Level 2 support desk."
    )
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("init", help=cmd_init.__doc__)
    p.add_argument("--admin-username", default="admin")
    p.add_argument("--admin-password", default=os.environ.get("BACKLINE_ADMIN_PASSWORD"))
    p.add_argument("--admin-email", default="")
    p.set_defaults(func=cmd_init)

    for name, func in (("serve", cmd_serve), ("demo", cmd_demo)):
        p = sub.add_parser(name, help=func.__doc__)
        p.add_argument("--host", default="127.0.0.1")
        p.add_argument("--port", type=int, default=None, help="default: $PORT or 8000")
        p.add_argument("--workers", type=int, default=2)
        p.set_defaults(func=func)

    p = sub.add_parser("worker", help=cmd_worker.__doc__)
    p.add_argument("--interval", type=float, default=None, help="seconds between sweeps")
    p.add_argument("--once", action="store_true", help="sweep once and exit")
    p.set_defaults(func=cmd_worker)

    p = sub.add_parser("demo-data", help=cmd_demo_data.__doc__)
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--tickets", type=int, default=3000)
    p.set_defaults(func=cmd_demo_data)

    p = sub.add_parser("generate", help=cmd_generate.__doc__)
    p.add_argument("--tickets", type=int, default=1_000_000)
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--no-progress", dest="progress", action="store_false")
    p.set_defaults(func=cmd_generate)

    p = sub.add_parser("createuser", help=cmd_createuser.__doc__)
    p.add_argument("username")
    p.add_argument("--role", default="agent", choices=["requester", "agent", "manager", "admin"])
    p.add_argument("--email", default="")
    p.add_argument("--first-name", default="")
    p.add_argument("--last-name", default="")
    p.add_argument("--password", default=None, help="default: generated and printed")
    p.add_argument("--team", action="append", help="team slug; repeat for several")
    p.set_defaults(func=cmd_createuser)

    p = sub.add_parser("token", help="API tokens")
    token_sub = p.add_subparsers(dest="token_command", required=True)
    tp = token_sub.add_parser("create", help=cmd_token_create.__doc__)
    tp.add_argument("username")
    tp.add_argument("--name", default="cli")
    tp.add_argument(
        "--scope",
        default="write",
        choices=["read", "write", "admin"],
        help="read: GET only; write: also changes (default); admin: also configuration",
    )
    tp.set_defaults(func=cmd_token_create)

    p = sub.add_parser("unlock", help=cmd_unlock.__doc__)
    p.add_argument("username")
    p.set_defaults(func=cmd_unlock)

    p = sub.add_parser("reindex", help=cmd_reindex.__doc__)
    p.add_argument("--kind", action="append", help="ticket, article…; repeat for several")
    p.set_defaults(func=cmd_reindex)

    p = sub.add_parser("analytics", help=cmd_analytics.__doc__)
    p.add_argument("action", choices=["sync", "rebuild"])
    p.set_defaults(func=cmd_analytics)

    p = sub.add_parser("backup", help=cmd_backup.__doc__)
    p.add_argument("--to", default=None, help="directory (default: <BACKLINE_DATA_DIR>/backups)")
    p.set_defaults(func=cmd_backup)

    p = sub.add_parser("restore", help=cmd_restore.__doc__)
    p.add_argument("file", help="the backline-….sqlite3 or .dump file written by `backline backup`")
    p.add_argument("--force", action="store_true", help="replace a database that holds data")
    p.set_defaults(func=cmd_restore)

    from backline.audit.cli import add_parser as add_audit_parser
    from backline.diagnostics.terminal import add_parser as add_logs_parser
    from backline.imports.cli import add_parser as add_import_parser
    from backline.intake.mail_smtp import add_parser as add_smtp_parser

    add_logs_parser(sub)
    add_smtp_parser(sub)
    add_import_parser(sub)
    add_audit_parser(sub)

    p = sub.add_parser("manage", help=cmd_manage.__doc__)
    p.add_argument("rest", nargs=argparse.REMAINDER)
    p.set_defaults(func=cmd_manage)
    return parser


def main(argv: list[str] | None = None) -> int:
    from backline.audit.context import audit_scope

    args = build_parser().parse_args(argv)
    # Whatever a command changes is audited as done from the command line (by this OS user).
    with audit_scope("cli"):
        return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
