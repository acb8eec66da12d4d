"""Suggestion quality of search.similar(): recall@5 and MRR on the demo data.

    .venv/bin/python bench/suggest_quality.py [--tickets 3000] [--sample 400]
    .venv/bin/python bench/suggest_quality.py --kind article [--user smarquez]

Loads the demo data set (`backline demo-data`, seeded) into a throwaway SQLite database in
`--data-dir` (default: `backline-bench-quality` under the system temp dir; `--database-url` for
PostgreSQL) unless it is there already. The demo writes every ticket from an `Incident` of
`backline.demo.text`; two tickets of the same incident are "about the same issue". A ticket's
incident is found by matching its title against the incidents' title templates.

For a sample of labelled tickets, the query is the ticket's title + description with its service,
CI and category (as when a new ticket is written), and the candidates are the other resolved or
closed tickets (`--kind ticket`), or published articles (`--kind article`). Reported:

- recall@5: the share of queries with at least one same-incident result in the top 5;
- MRR: the mean of 1/rank of the first same-incident result (0 when none is in the top 5);

with and without the CI/service/category boosts. `--label module:function` plugs in how a
candidate of `--kind` gets its incident key: the function takes the SearchDocument and returns
the key, a tuple of keys, or None (the default for articles reads the incident kinds each demo
article was written for from `backline.demo.knowledge.ARTICLES`). `--user smarquez` measures what
a Level 1 agent is offered (published L1 and public articles only).
"""

from __future__ import annotations

import argparse
import importlib
import os
import random
import re
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

K = 5


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tickets", type=int, default=3000, help="demo tickets to load")
    parser.add_argument("--seed", type=int, default=7, help="demo data seed")
    parser.add_argument("--sample", type=int, default=400, help="queries to evaluate")
    parser.add_argument("--kind", default="ticket", help="candidate kind: ticket or article")
    parser.add_argument("--label", help="module:function giving a candidate's incident key")
    parser.add_argument(
        "--title-only", action="store_true", help="query with the title alone (as while typing)"
    )
    parser.add_argument("--user", default="hcarter", help="whose view (smarquez: an L1 agent)")
    parser.add_argument("--data-dir", help="where the SQLite database lives")
    parser.add_argument("--database-url", help="PostgreSQL URL of a throwaway database")
    return parser.parse_args()


def configure(args: argparse.Namespace) -> str:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backline.config.settings")
    if args.database_url:
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        from search import create_postgres_database

        create_postgres_database(args.database_url)
        os.environ["DATABASE_URL"] = args.database_url
        return args.database_url
    os.environ.pop("DATABASE_URL", None)
    data = Path(args.data_dir or Path(tempfile.gettempdir()) / "backline-bench-quality")
    data.mkdir(parents=True, exist_ok=True)
    os.environ["BACKLINE_DATA_DIR"] = str(data)
    return str(data / "backline.sqlite3")


def title_matchers() -> list[tuple[re.Pattern[str], str]]:
    """(regex of a title template, incident key); slots like {share} match any text."""
    from backline.demo import text as T

    out = []
    for incident in T.INCIDENTS:
        for template in incident.titles:
            parts = re.split(r"\{[a-z_]+\}", template)
            pattern = ".+?".join(re.escape(p) for p in parts)
            out.append((re.compile(f"^{pattern}$"), incident.key))
    return out


def ticket_label_fn() -> Callable[[str], str | None]:
    matchers = title_matchers()

    def label(title: str) -> str | None:
        keys = {key for pattern, key in matchers if pattern.match(title)}
        return next(iter(keys)) if len(keys) == 1 else None  # ambiguous titles are left out

    return label


def default_article_label(doc) -> tuple[str, ...]:
    """The incident kinds a demo article is about (demo.knowledge records them per title)."""
    from backline.demo.knowledge import ARTICLES

    keys = {spec.title: tuple(spec.keys) for spec in ARTICLES}
    return keys.get(doc.title, ())


def _is_about(label, key: str) -> bool:
    if isinstance(label, tuple | list | set | frozenset):
        return key in label
    return label == key


def candidate_label_fn(args: argparse.Namespace) -> Callable:
    if args.label:
        module, _, name = args.label.partition(":")
        return getattr(importlib.import_module(module), name)
    if args.kind == "article":
        return default_article_label
    label = ticket_label_fn()
    return lambda doc: label(doc.title)


def evaluate(args: argparse.Namespace) -> None:
    from backline.accounts.models import User
    from backline.knowledge.suggestions import strong as shown
    from backline.search import queries
    from backline.search.models import SearchDocument
    from backline.tickets.models import Ticket

    agent = User.objects.get(username=args.user)
    label_query = ticket_label_fn()
    candidate_label = candidate_label_fn(args)
    statuses = ["resolved", "closed"] if args.kind == "ticket" else ["published"]
    candidates = SearchDocument.objects.filter(kind=args.kind, status__in=statuses)
    by_label: Counter = Counter()
    for d in candidates.iterator():
        label = candidate_label(d)
        by_label.update(label if isinstance(label, tuple | list) else [label])
    # a ticket query needs another ticket of its incident; an article query one article
    least = 2 if args.kind == "ticket" else 1
    tickets = list(
        Ticket.objects.order_by("pk").values(
            "pk", "title", "description", "service_id", "ci_id", "category_id"
        )
    )
    labelled = [(t, label_query(t["title"])) for t in tickets]
    usable = [(t, key) for t, key in labelled if key and by_label.get(key, 0) >= least]
    rng = random.Random(1)
    sample = rng.sample(usable, min(args.sample, len(usable)))
    print(
        f"{len(tickets):,} tickets, {sum(1 for _, k in labelled if k):,} labelled by title; "
        f"{sum(by_label.values()):,} {args.kind} candidates ({by_label[None]:,} unlabelled); "
        f"{len(sample)} queries",
        file=sys.stderr,
    )
    labels_of: dict[int, object] = {}
    results = {}
    for variant, boosts in (("text + CI/service/category boosts", True), ("text only", False)):
        hits_at, ranks, times = 0, [], []
        for ticket, key in sample:
            started = time.perf_counter()
            found = queries.similar(
                user=agent,
                text=ticket["title"]
                if args.title_only
                else f"{ticket['title']}\n{ticket['description']}",
                kinds={args.kind: statuses},
                service_id=ticket["service_id"] if boosts else None,
                ci_id=ticket["ci_id"] if boosts else None,
                category_id=ticket["category_id"] if boosts else None,
                exclude=("ticket", ticket["pk"]),
                limit=K,
            )[args.kind]
            found = shown(found)  # what the suggestion panels show (weak tails dropped)
            times.append((time.perf_counter() - started) * 1000)
            missing = [h.object_id for h in found if h.object_id not in labels_of]
            if missing:
                docs = SearchDocument.objects.filter(kind=args.kind, object_id__in=missing)
                labels_of.update({d.object_id: candidate_label(d) for d in docs})
            rank = next(
                (i for i, h in enumerate(found, 1) if _is_about(labels_of.get(h.object_id), key)),
                None,
            )
            hits_at += rank is not None
            ranks.append(1 / rank if rank else 0.0)
        results[variant] = (hits_at / len(sample), statistics.mean(ranks), statistics.median(times))
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"similar() quality, {args.kind} candidates, {len(sample)} queries")
    for column in ("ranking", f"recall@{K}", f"MRR@{K}", "median ms"):
        table.add_column(column, justify="left" if column == "ranking" else "right")
    for variant, (recall, mrr, ms) in results.items():
        table.add_row(variant, f"{recall:.3f}", f"{mrr:.3f}", f"{ms:.1f}")
    Console().print(table)


def main() -> None:
    args = parse_args()
    where = configure(args)
    import django

    django.setup()
    from django.core.management import call_command

    from backline.tickets.models import Ticket

    call_command("migrate", verbosity=0)
    if not Ticket.objects.exists():
        from backline.cli import DEMO_PASSWORD
        from backline.demo.generate import load_demo

        print(
            load_demo(seed=args.seed, tickets=args.tickets, password=DEMO_PASSWORD), file=sys.stderr
        )
    print(f"database: {where}", file=sys.stderr)
    evaluate(args)


if __name__ == "__main__":
    main()
