"""Search latency: search() and similar() over 1M tickets and 10k articles (median and p95).

    .venv/bin/python bench/search.py [--tickets 1000000] [--articles 10000] [--reuse]
    .venv/bin/python bench/search.py --database-url postgres://postgres@127.0.0.1:5432/backline_bench

Builds (or with `--reuse` keeps) a bench database: `--tickets` tickets written from the demo's
incident templates (`backline.demo.text.INCIDENTS`: titles, descriptions with their slots filled,
resolution notes from the fixes for the ~90% that are resolved or closed), bulk-inserted with
executemany, then indexed by `search.services.documents_reindex(kinds=["ticket"])` (bulk_create
in batches), plus `--articles` article documents written straight into the index (how-to text
from the same incidents' fixes, findings and checks). Then it times, as an L2 agent:

- search(): a common word, a rare word, two words, a phrase, a prefix, a word with a filter
  (status or service), a number (INC-…), each over a rotating set of queries;
- similar(): new-ticket texts (fresh title + description from the templates) against resolved or
  closed tickets and published articles, with the service and CI of the new ticket.

Issue 9 asks for p95 <= 100 ms (search) and <= 150 ms (similar) on SQLite and PostgreSQL.
Databases: SQLite in `--data-dir` (default: `backline-bench-search` under the system temp dir),
or `--database-url` for PostgreSQL (a throwaway database, created when missing).
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

BATCH = 10_000
NOW = datetime(2026, 11, 18, 12, 0, tzinfo=UTC)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--articles", type=int, default=10_000)
    parser.add_argument("--reuse", action="store_true", help="keep a bench database built before")
    parser.add_argument("--database-url", help="PostgreSQL URL of a throwaway database")
    parser.add_argument("--data-dir", help="where the SQLite bench database lives")
    parser.add_argument("--runs", type=int, default=40, help="timed calls per query type")
    parser.add_argument("--seed", type=int, default=11)
    return parser.parse_args()


def configure(args: argparse.Namespace) -> str:
    """Point Django at the bench database before it starts; returns a description of it."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backline.config.settings")
    if args.database_url:
        create_postgres_database(args.database_url)
        os.environ["DATABASE_URL"] = args.database_url
        return args.database_url
    os.environ.pop("DATABASE_URL", None)
    if args.data_dir:
        data = Path(args.data_dir)
    elif os.environ.get("BACKLINE_DATA_DIR"):
        data = Path(os.environ["BACKLINE_DATA_DIR"]) / "bench-search"
    else:
        data = Path(tempfile.gettempdir()) / "backline-bench-search"
    data.mkdir(parents=True, exist_ok=True)
    os.environ["BACKLINE_DATA_DIR"] = str(data)
    return str(data / "backline.sqlite3")


def create_postgres_database(url: str) -> None:
    import psycopg
    from psycopg import sql

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    if not name or name in ("postgres", "template0", "template1"):
        raise SystemExit("--database-url must name a throwaway database, e.g. backline_bench")
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        found = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not found:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            print(f"created database {name}", file=sys.stderr)


def progress(label: str, done: int, total: int, started: float) -> None:
    rate = done / max(time.perf_counter() - started, 1e-9)
    end = "\n" if done >= total else ""
    print(f"\r  {label}: {done:,}/{total:,} ({rate:,.0f}/s)", end=end, file=sys.stderr, flush=True)


# --- text from the demo templates ------------------------------------------------------------

FIRST_NAMES = ("Anna", "Ben", "Clara", "David", "Eva", "Felix", "Greta", "Hugo", "Ines", "Jan")


class Slots(dict):
    def __missing__(self, key: str) -> str:
        return key


def slots(rng: random.Random) -> Slots:
    from backline.demo import text as T

    s = Slots({name: rng.choice(values) for name, values in T.SLOTS.items()})
    site = rng.choice(list(T.SITES))
    code = T.SITES[site]
    s.update(
        first=rng.choice(FIRST_NAMES),
        site=site,
        dept=rng.choice(list(T.DEPARTMENTS.values())),
        remote_site=rng.choice([x for x in T.SITES if x != "Hamburg"]),
        time=f"{rng.randint(7, 16):02d}:{rng.randrange(0, 60, 5):02d}",
        printer=f"PRN-{code}-{rng.randint(1, 4)}F-{rng.randint(1, 3):02d}",
        laptop=f"NB-{code}-{rng.randint(1000, 1999)}",
        order=f"WEB-{rng.randint(1030000, 1048000)}",
        vendor_ref=f"{rng.choice(('CS', 'SR', 'TK'))}-{rng.randint(100000, 999999)}",
    )
    return s


def incident_text(rng: random.Random, incident) -> tuple[str, str, str]:
    """(title, description, resolution note) of one ticket of this incident."""
    s = slots(rng)
    title = rng.choice(incident.titles).format_map(s)[:200]
    description = rng.choice(incident.descriptions).format_map(s)
    fixes = incident.l1_fixes + incident.l2_fixes + incident.l3_fixes
    note = rng.choice(fixes).note.format_map(s) if fixes else ""
    return title, description, note


# --- building the bench database -------------------------------------------------------------


def _template(connection, obj) -> tuple[str, list]:
    fields = obj._meta.concrete_fields
    quote = connection.ops.quote_name
    columns = ", ".join(quote(f.column) for f in fields)
    marks = ", ".join(["%s"] * len(fields))
    sql = f"INSERT INTO {quote(obj._meta.db_table)} ({columns}) VALUES ({marks})"  # noqa: S608
    row = [f.get_db_prep_save(f.pre_save(obj, add=True), connection) for f in fields]
    return sql, row


def _cmdb() -> tuple[dict[str, int], dict[str, int], dict[str, int]]:
    from backline.cmdb.models import ConfigurationItem, Service
    from backline.demo import text as T
    from backline.tickets.models import Category

    for name, _, description in T.SERVICES:
        Service.objects.get_or_create(name=name, defaults={"description": description})
    services = dict(Service.objects.values_list("name", "id"))
    for name, ci_type, service, _, description in T.ITEMS:
        ConfigurationItem.objects.get_or_create(
            name=name,
            defaults={
                "ci_type": ci_type,
                "service_id": services.get(service) if service else None,
                "description": description,
            },
        )
    cis = dict(ConfigurationItem.objects.values_list("name", "id"))
    categories = dict(Category.objects.values_list("slug", "id"))
    return services, cis, categories


def build_tickets(n: int, seed: int) -> None:
    """Replace the bench tickets with `n` new ones (executemany in batches of 10,000)."""
    from django.core.management.color import no_style
    from django.db import connection, transaction

    from backline.accounts.models import User
    from backline.demo import text as T
    from backline.search.models import SearchDocument
    from backline.tickets.choices import Status
    from backline.tickets.models import Ticket

    services, cis, categories = _cmdb()
    for i in range(200):
        User.objects.get_or_create(
            username=f"bench-req-{i}", defaults={"role": "requester", "first_name": "Bench"}
        )
    requesters = list(
        User.objects.filter(username__startswith="bench-req-").values_list("id", flat=True)
    )
    with connection.cursor() as cursor:
        for table in (SearchDocument._meta.db_table, Ticket._meta.db_table):
            if connection.vendor == "postgresql":
                cursor.execute(f"TRUNCATE {table} CASCADE")
            else:
                cursor.execute(f"DELETE FROM {table}")  # noqa: S608 (model tables)
    template = Ticket(title="", requester_id=requesters[0], created_at=NOW, updated_at=NOW)
    sql, base = _template(connection, template)
    names = [f.attname for f in Ticket._meta.concrete_fields]
    at = {name: names.index(name) for name in names}
    date_field = Ticket._meta.get_field("created_at")
    rng = random.Random(seed)
    weights = [i.weight for i in T.INCIDENTS]
    statuses = [Status.CLOSED] * 80 + [Status.RESOLVED] * 10 + [Status.IN_PROGRESS] * 4
    statuses += [Status.NEW] * 3 + [Status.ASSIGNED] * 2 + [Status.PENDING] * 1
    started, done = time.perf_counter(), 0
    while done < n:
        rows = []
        for k in range(done + 1, min(n, done + BATCH) + 1):
            incident = rng.choices(T.INCIDENTS, weights)[0]
            title, description, note = incident_text(rng, incident)
            status = rng.choice(statuses)
            when = NOW - timedelta(minutes=(n - k) * 2)  # the newest have the highest ids
            ci = cis.get(rng.choice(incident.cis).format_map(slots(rng))) if incident.cis else None
            service = services.get(incident.service) if incident.service else None
            row = list(base)
            row[at["id"]] = k
            row[at["title"]], row[at["description"]] = title, description
            row[at["status"]] = status
            if status == Status.PENDING:
                row[at["pending_reason"]] = "requester"
            row[at["requester_id"]] = rng.choice(requesters)
            row[at["category_id"]] = categories.get(incident.category)
            row[at["service_id"]], row[at["ci_id"]] = service, ci
            stamp = date_field.get_db_prep_save(when, connection)
            row[at["created_at"]] = row[at["updated_at"]] = stamp
            if status in (Status.RESOLVED, Status.CLOSED):
                row[at["resolution_notes"]] = note
                row[at["resolution_code"]] = "fixed"
            rows.append(row)
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.executemany(sql, rows)
        done += len(rows)
        progress("tickets", done, n, started)
    with connection.cursor() as cursor:
        for statement in connection.ops.sequence_reset_sql(no_style(), [Ticket]):
            cursor.execute(statement)


def index_tickets(n: int) -> float:
    from backline.search.services import documents_reindex

    started, done = time.perf_counter(), 0

    def step(kind: str, count: int) -> None:
        nonlocal done
        done += count
        if done % 50_000 < count or done >= n:
            progress("search documents (documents_reindex)", done, n, started)

    documents_reindex(kinds=["ticket"], batch=5000, progress=step)
    return time.perf_counter() - started


def build_articles(n: int, seed: int) -> None:
    """`n` article documents written straight into the index (the knowledge app's own rows are
    not needed to time the search)."""
    from django.db import transaction

    from backline.demo import text as T
    from backline.search.backends import backend
    from backline.search.models import SearchDocument

    services, cis, categories = _cmdb()
    SearchDocument.objects.filter(kind="article").delete()
    rng = random.Random(f"{seed}:articles")
    started, done = time.perf_counter(), 0
    while done < n:
        docs = []
        for k in range(done + 1, min(n, done + 2000) + 1):
            incident = rng.choice(T.INCIDENTS)
            s = slots(rng)
            fixes = incident.l1_fixes + incident.l2_fixes + incident.l3_fixes
            parts = [rng.choice(incident.descriptions).format_map(s)]
            parts += [f.finding.format_map(s) for f in fixes if f.finding]
            parts += [c.format_map(s) for c in incident.checks]
            parts += [f.note.format_map(s) for f in fixes]
            docs.append(
                SearchDocument(
                    kind="article",
                    object_id=k,
                    title=f"How to fix: {rng.choice(incident.titles).format_map(s)}"[:300],
                    body="\n\n".join(parts),
                    keywords=f"{incident.key} {incident.category}",
                    status="published" if k % 10 else "draft",
                    audience=("public", "l1", "internal")[k % 3],
                    service_id=services.get(incident.service) if incident.service else None,
                    ci_id=cis.get(incident.cis[0]) if incident.cis else None,
                    category_id=categories.get(incident.category),
                    created_at=NOW - timedelta(days=k % 700),
                    updated_at=NOW - timedelta(days=k % 700),
                )
            )
        with transaction.atomic():
            rows = SearchDocument.objects.bulk_create(docs, batch_size=500)
            backend().after_write(
                [r.pk for r in rows], [(r.title, r.keywords, r.body) for r in rows]
            )
        done += len(docs)
        progress("article documents", done, n, started)


def ensure_article_provider() -> None:
    """Use the knowledge app's provider when its tables exist, else a stand-in with the same
    visibility for staff (published articles, any audience)."""
    from django.db import connection
    from django.db.models import Q

    from backline.search.registry import Provider, providers, register

    if "article" in providers() and "knowledge_article" in connection.introspection.table_names():
        return
    register(
        Provider(
            kind="article",
            label="Articles",
            documents=lambda ids: iter(()),
            scope=lambda user: Q(status="published") if user.is_staff_member else None,
            url=lambda pk: f"/kb/KB-{pk}",
            number=lambda pk: f"KB-{pk}",
        )
    )


# --- measuring -------------------------------------------------------------------------------

SEARCHES = {
    "common word": ["password", "printer", "vpn", "outlook", "slow", "error"],
    "rare word": ["payroll", "alster", "meridian", "forecasts", "dubois", "isar"],
    "two words": [
        "vpn certificate",
        "printer offline",
        "password expired",
        "outlook calendar",
        "invoice posting",
        "wifi meeting",
    ],
    "phrase": [
        '"gateway not responding"',
        '"password expired"',
        '"locked out"',
        '"not open for posting"',
        '"new phone"',
    ],
    "prefix": ["print*", "certif*", "sync*", "authent*", "lock*"],
    "filtered": ["printer", "vpn", "password", "crm report", "outlook"],
    "number": ["INC-{id}"],
}


def measure(args: argparse.Namespace) -> dict[str, list[float]]:
    from backline.accounts.models import User
    from backline.demo import text as T
    from backline.search import queries
    from backline.search.models import SearchDocument
    from backline.tickets.choices import Status

    agent, _ = User.objects.get_or_create(
        username="bench-agent", defaults={"role": "agent", "first_name": "Bench"}
    )
    services, cis, _ = _cmdb()
    service_ids = sorted(
        set(
            SearchDocument.objects.filter(kind="ticket", object_id__lte=5000).values_list(
                "service_id", flat=True
            )
        )
        - {None}
    )
    rng = random.Random(args.seed)
    timings: dict[str, list[float]] = defaultdict(list)
    totals: dict[str, list[int]] = defaultdict(list)
    max_id = args.tickets

    def run(kind: str, call) -> None:
        started = time.perf_counter()
        result = call()
        timings[kind].append((time.perf_counter() - started) * 1000)
        if hasattr(result, "total"):
            totals[kind].append(result.total)

    # Warm the caches (page cache, stemmer) the way a running server would be.
    for qs in SEARCHES.values():
        for q in qs[:2]:
            queries.search(user=agent, q=q.replace("{id}", "1"))
    for i in range(args.runs):
        for kind, qs in SEARCHES.items():
            q = qs[i % len(qs)].replace("{id}", str(rng.randint(1, max_id)))
            flt = None
            if kind == "filtered":
                flt = (
                    queries.SearchFilter(status=(Status.NEW, Status.IN_PROGRESS, Status.ASSIGNED))
                    if i % 2
                    else queries.SearchFilter(service_id=service_ids[i % len(service_ids)])
                )
            run(f"search: {kind}", lambda q=q, flt=flt: queries.search(user=agent, q=q, flt=flt))
        incident = rng.choices(T.INCIDENTS, [x.weight for x in T.INCIDENTS])[0]
        title, description, _ = incident_text(rng, incident)
        ci = cis.get(incident.cis[0]) if incident.cis else None
        service = services.get(incident.service) if incident.service else None
        run(
            "similar: new ticket",
            lambda t=f"{title}\n{description}", s=service, c=ci: queries.similar(
                user=agent,
                text=t,
                kinds={"ticket": ["resolved", "closed"], "article": ["published"]},
                service_id=s,
                ci_id=c,
            ),
        )
    for kind, values in totals.items():
        print(f"  {kind}: median matches {statistics.median(values):,.0f}", file=sys.stderr)
    return timings


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p * len(ordered)) - 1))]


def main() -> None:
    args = parse_args()
    where = configure(args)
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from backline.search.models import SearchDocument

    call_command("migrate", verbosity=0)
    have = SearchDocument.objects.filter(kind="ticket").count()
    articles = SearchDocument.objects.filter(kind="article").count()
    if not (args.reuse and have >= args.tickets):
        started = time.perf_counter()
        build_tickets(args.tickets, args.seed)
        print(f"  tickets written in {time.perf_counter() - started:.0f} s", file=sys.stderr)
        seconds = index_tickets(args.tickets)
        print(f"  tickets indexed in {seconds:.0f} s", file=sys.stderr)
        articles = -1
    if articles != args.articles:
        build_articles(args.articles, args.seed)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE search_searchdocument")
    else:
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    ensure_article_provider()
    timings = measure(args)
    from rich.console import Console
    from rich.table import Table

    table = Table(
        title=f"search over {SearchDocument.objects.count():,} documents ({connection.vendor})"
    )
    for column in ("query type", "calls", "median ms", "p95 ms", "target p95"):
        table.add_column(column, justify="left" if column == "query type" else "right")
    all_search = [v for k, vs in timings.items() if k.startswith("search") for v in vs]
    rows = [*timings.items(), ("search: all", all_search)]
    for kind, values in rows:
        target = "150" if kind.startswith("similar") else "100"
        table.add_row(
            kind,
            str(len(values)),
            f"{statistics.median(values):.1f}",
            f"{pct(values, 0.95):.1f}",
            target,
        )
    console = Console()
    console.print(f"database: {where}")
    console.print(table)


if __name__ == "__main__":
    main()
