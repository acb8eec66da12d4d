"""Precision and recall of the problem proposals (recurring-incident detection).

    .venv/bin/python bench/problem_proposals.py                 # (a) the labelled set only
    .venv/bin/python bench/problem_proposals.py --demo [--tickets 3000]   # (a) and (b)

(a) A labelled set built here from incident templates (deterministic seed): groups of
near-duplicate incidents (reworded titles and descriptions, some on one CI, some spread over two)
mixed with noise incidents drawn from many other templates, each used at most twice. Each group
is a truth cluster. Run through `recurrence.cluster` (pure, no database) at several link
thresholds:
- precision: proposals whose incidents are mostly (> 2/3) from one truth group / proposals;
- recall: truth groups with a proposal holding >= 2/3 of it (and mostly its members) / groups;
- noise grouped: noise incidents that ended up in any proposal.

(b) The demo data (loaded as bench/suggest_quality.py does, into a throwaway SQLite database) and
`recurrence.proposals_detect` over the last 30 days before the newest ticket. Planted recurring
groups: tickets whose events carry `data["planted_group"]` (the marker `backline.demo.planted`
puts on their `created` event; they also label those tickets for the incident-key precision),
otherwise the tickets of demo incidents marked `recurring=True` (`backline.demo.text`). Reported:
recall of planted groups (a proposal holds >= 2/3 of the group's tickets in the window and is
mostly made of them), and precision of the proposals against incident keys (a proposal is right
when > 2/3 of its tickets come from one demo incident template — every demo incident recurs, so
a proposal for a frequent non-planted incident is still a right grouping; the planted-only
precision is printed too).
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

# (title variants, description variants, CI name) — each a recurring fault.
GROUPS = [
    (
        [
            "Sales report export fails with 502",
            "502 Bad Gateway on sales report export",
            "Cannot export sales report (502)",
            "Sales report export times out with 502",
        ],
        [
            "Exporting the monthly sales report returns 502 Bad Gateway.",
            "The export of the sales report stops after a minute with 502.",
            "Sales report to Excel export gives gateway error 502.",
        ],
        "crm-app-01",
    ),
    (
        [
            "VPN disconnects every few minutes",
            "VPN tunnel keeps dropping",
            "VPN connection drops repeatedly",
            "VPN client disconnects",
        ],
        [
            "The VPN client drops the tunnel and reconnects after a while.",
            "Tunnel drops several times an hour; VPN reconnect works.",
            "VPN disconnects during calls, the tunnel comes back later.",
        ],
        "vpn-gw-01",
    ),
    (
        [
            "Payroll batch job failed overnight",
            "Nightly payroll batch did not finish",
            "Payroll job aborted",
            "Payroll batch error in the night run",
        ],
        [
            "The payroll batch aborted with a deadlock on the ledger table.",
            "Nightly payroll job stopped: ledger table deadlock.",
            "Payroll batch run failed, deadlock detected on ledger.",
        ],
        "hr-db-01",
    ),
    (
        [
            "Outlook calendar not syncing on mobile",
            "Mobile calendar sync broken",
            "Calendar invites missing on phone",
            "Outlook mobile calendar out of date",
        ],
        [
            "Meetings accepted on the desktop do not appear in the phone calendar.",
            "The calendar on the mobile Outlook app stops syncing new invites.",
            "Phone calendar misses invites; mobile sync seems stuck.",
        ],
        "exchange-01",
    ),
    (
        [
            "Warehouse scanner cannot log in",
            "Handheld scanner login fails",
            "Scanner login rejected at warehouse",
            "Warehouse handheld login error",
        ],
        [
            "Handheld scanners show 'invalid session' at login in the warehouse.",
            "Warehouse scanner login rejected with invalid session.",
            "Scanners at dock 4 cannot log in: invalid session token.",
        ],
        "wms-app-01",
    ),
    (
        [
            "Invoice PDF shows wrong VAT",
            "VAT amount wrong on invoice PDFs",
            "Invoices printed with incorrect VAT",
            "Wrong VAT rate on invoice",
        ],
        [
            "Invoice PDFs show 19% VAT for reduced-rate items.",
            "The VAT on invoice PDFs uses the standard rate for reduced items.",
            "Reduced-rate items get standard VAT on the invoice PDF.",
        ],
        "erp-app-01",
    ),
]
NOISE = [
    ("Printer on floor {n} prints blank pages", "Toner replaced, still blank."),
    ("New laptop for {name}", "Starts on Monday, needs the standard image."),
    ("Password reset for {name}", "Locked out after the holidays."),
    ("Monitor flickers", "Second monitor flickers when docked."),
    ("Shared mailbox for the {team} team", "Please create a shared mailbox."),
    ("Teams audio echo in meeting room {n}", "Echo on the ceiling speakers."),
    ("Request access to the {team} folder", "Needs read access."),
    ("Keyboard missing keys", "Spilled coffee."),
    ("Wi-Fi slow in building {n}", "Speed test shows 2 Mbit/s."),
    ("Install Visio for {name}", "Licence approved by manager."),
    ("Badge does not open door {n}", "Badge worked yesterday."),
    ("Phone extension forwarding", "Forward calls to mobile."),
    ("Excel crashes when opening macro file", "Only the budget workbook."),
    ("Projector in room {n} has no signal", "HDMI cable checked."),
    ("Change cost centre of {name}", "Moved to the {team} team."),
    ("Scanner on floor {n} sends empty emails", "Scan to email arrives without attachment."),
    ("Salesforce report shows old numbers", "Dashboard not refreshed since Monday."),
    ("VPN token expired for {name}", "Needs a new soft token."),
]
NAMES = ["Ana", "Ben", "Chen", "Dara", "Eli", "Fay", "Gus", "Hana", "Ivo", "Jo"]
TEAMS = ["Finance", "Sales", "HR", "Legal", "Logistics"]


def labelled_set(seed: int = 7, per_group: tuple[int, int] = (3, 7), noise: int = 40):
    """(incidents, truth: incident id → group index or None) — deterministic for a seed."""
    from backline.problems.recurrence import Incident

    rng = random.Random(seed)
    out, truth = [], {}
    start = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)
    ci_ids = {}
    for g, (titles, texts, ci) in enumerate(GROUPS):
        for _ in range(rng.randint(*per_group)):
            n = len(out) + 1
            # One in five on another CI of the same service (seen through a different box).
            on = ci if rng.random() > 0.2 else f"{ci}-b"
            cid = ci_ids.setdefault(on, len(ci_ids) + 1)
            title = rng.choice(titles)
            text = f"{title}\n{rng.choice(texts)}"
            at = start + timedelta(hours=rng.randint(0, 700))
            out.append(Incident(id=n, title=title, text=text, ci_id=cid, ci=on, created_at=at))
            truth[n] = g
    used: Counter[int] = Counter()
    for _ in range(noise):
        k = rng.randrange(len(NOISE))
        if used[k] >= 2:  # a template used three times would be a (true) group of its own
            continue
        used[k] += 1
        title, text = NOISE[k]
        fill = {"n": rng.randint(1, 9), "name": rng.choice(NAMES), "team": rng.choice(TEAMS)}
        n = len(out) + 1
        at = start + timedelta(hours=rng.randint(0, 700))
        out.append(
            Incident(id=n, title=title.format(**fill), text=text.format(**fill), created_at=at)
        )
        truth[n] = None
    rng.shuffle(out)
    return out, truth


def score(proposals: list[list[int]], truth: dict[int, object]) -> dict[str, float]:
    groups: dict[object, set[int]] = defaultdict(set)
    for i, g in truth.items():
        if g is not None:
            groups[g].add(i)
    right = 0
    found: set[object] = set()
    for ids in proposals:
        counts = Counter(truth.get(i) for i in ids)
        g, c = counts.most_common(1)[0]
        if g is not None and c * 3 > len(ids) * 2:
            right += 1
            if c * 3 >= len(groups[g]) * 2:
                found.add(g)
    noise = sum(1 for ids in proposals for i in ids if truth.get(i) is None)
    return {
        "proposals": len(proposals),
        "precision": right / len(proposals) if proposals else 1.0,
        "recall": len(found) / len(groups) if groups else 1.0,
        "noise grouped": noise,
    }


def table(rows: list[tuple[str, dict]]) -> None:
    print(f"{'set':<34} {'proposals':>9} {'precision':>9} {'recall':>7} {'noise in':>8}")
    for name, r in rows:
        print(f"{name:<34} {r['proposals']:>9} {r['precision']:>9.2f} {r['recall']:>7.2f} "
              f"{r['noise grouped']:>8}")  # fmt: skip


def run_labelled(seeds: list[int]) -> None:
    from backline.problems import recurrence

    rows = []
    for link in (0.35, 0.45, 0.55):
        totals: Counter[str] = Counter()
        for seed in seeds:
            incidents, truth = labelled_set(seed)
            found = [c.ids for c in recurrence.cluster(incidents, link=link)]
            r = score(found, truth)
            for k, v in r.items():
                totals[k] += v
        avg = {
            k: (v / len(seeds) if k in ("precision", "recall") else v) for k, v in totals.items()
        }
        marker = " (default)" if link == recurrence.LINK else ""
        rows.append((f"(a) labelled, link {link}{marker}", avg))
    print(f"(a) labelled set: {len(GROUPS)} groups + noise, seeds {seeds} (summed counts)")
    table(rows)


def configure(args: argparse.Namespace) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backline.config.settings")
    os.environ.pop("DATABASE_URL", None)
    data = Path(args.data_dir or Path(tempfile.gettempdir()) / "backline-bench-proposals")
    data.mkdir(parents=True, exist_ok=True)
    os.environ["BACKLINE_DATA_DIR"] = str(data)


def run_demo(args: argparse.Namespace) -> None:
    from django.core.management import call_command
    from django.db import transaction
    from django.db.models import Max

    from backline.demo import text as T
    from backline.problems import recurrence
    from backline.tickets.models import Ticket, TicketEvent

    call_command("migrate", verbosity=0)
    if not Ticket.objects.exists():
        from backline.cli import DEMO_PASSWORD
        from backline.demo.generate import load_demo

        print(
            load_demo(seed=args.seed, tickets=args.tickets, password=DEMO_PASSWORD), file=sys.stderr
        )
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from suggest_quality import ticket_label_fn

    label = ticket_label_fn()
    now = Ticket.objects.aggregate(m=Max("created_at"))["m"]
    window = list(recurrence.candidates(now=now, days=30))
    keys = {i.id: label(i.title) for i in window}
    marked = TicketEvent.objects.filter(data__has_key="planted_group", ticket_id__in=list(keys))
    planted: dict[int, object] = {e.ticket_id: e.data["planted_group"] for e in marked}
    source = "planted_group markers"
    keys.update(planted)  # planted incidents come from demo.planted, not text.INCIDENTS
    if not planted:
        recurring = {i.key for i in T.INCIDENTS if i.recurring}
        planted = {pk: k for pk, k in keys.items() if k in recurring}
        source = f"demo incidents marked recurring ({', '.join(sorted(recurring))})"
    with transaction.atomic():
        found = recurrence.proposals_detect(now=now)
        proposals = [sorted(p.tickets.values_list("id", flat=True)) for p in found]
        transaction.set_rollback(True)  # measure only: leave the demo database as it was
    by_key = score(proposals, keys)
    planted_truth = {pk: planted.get(pk) for pk in keys}
    by_planted = score(proposals, planted_truth)
    sizes = Counter(g for g in planted.values())
    print(
        f"\n(b) demo data (link {recurrence.LINK}): {len(window)} unlinked incidents in the 30 "
        f"days before {now:%Y-%m-%d}; planted groups from {source}: {dict(sizes)}"
    )
    table([
        ("(b) demo, against incident keys", by_key),
        ("(b) demo, against planted groups", by_planted),
    ])  # fmt: skip
    for p in found[:10]:
        print(
            f"  {len(p.reasons) and p.title[:60]:<60} {p.score:>6.2f}  {'; '.join(p.reasons)[:100]}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", default="1,2,3,4,5", help="labelled-set seeds")
    parser.add_argument("--demo", action="store_true", help="also measure on the demo data")
    parser.add_argument("--tickets", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=7, help="demo data seed")
    parser.add_argument("--data-dir", help="where the demo SQLite database lives")
    parser.add_argument("--link", type=float, help="(b) link threshold (default recurrence.LINK)")
    args = parser.parse_args()
    configure(args)
    import django

    django.setup()
    run_labelled([int(s) for s in args.seeds.split(",")])
    if args.demo:
        if args.link is not None:
            from backline.problems import recurrence

            recurrence.LINK = args.link
        run_demo(args)


if __name__ == "__main__":
    main()
