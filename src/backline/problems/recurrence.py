"""Recurring-incident detection: cluster recent incidents no problem covers yet and propose a
problem for each cluster of three or more; plus the "recurring despite resolved" signal.

The first half is pure (terms, similarity, clustering, reasons) and is shared with the known-error
matching and fix verification; the second half reads and writes the database.
"""

from __future__ import annotations

import hashlib
import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Prefetch
from django.utils import timezone

from backline.accounts.models import User
from backline.core.errors import DomainError, NotFound, PermissionDenied
from backline.problems.choices import ProposalState
from backline.problems.models import ProblemIncident, Proposal
from backline.problems.services import problem_create
from backline.search import rules as text_rules
from backline.tickets.choices import DONE_STATUSES, Status
from backline.tickets.models import Ticket
from backline.tickets.queries import tickets_visible_to

# --- pure: terms and similarity --------------------------------------------------------------

# Words every support ticket has: they would group unrelated incidents ("user cannot …").
GENERIC = frozenset(
    """user users issue issues problem problems error errors please help cannot cant unable
    work working works worked not still again today yesterday ticket customer get getting got
    see seen try tried trying need needs also since hi hello thanks regards""".split()  # noqa: SIM905
)
GENERIC_STEMS = frozenset(text_rules.stem(w) for w in GENERIC)
MAX_TEXT = 4000  # characters of a description read (pasted logs add nothing but noise)


def terms(text: str) -> dict[str, str]:
    """The informative terms of a text: stem → the first word seen for it (for reasons). Stop
    words, desk boilerplate, one- and two-digit numbers and single letters are dropped;
    3+ digit numbers stay (502, 404 and error codes are symptoms)."""
    out: dict[str, str] = {}
    for w in text_rules.words(text[:MAX_TEXT]):
        if len(w) < 2 or w in text_rules.STOPWORDS or (w.isdigit() and len(w) < 3):
            continue
        s = text_rules.stem(w)
        if s in GENERIC_STEMS or s in out:
            continue
        out[s] = w
    return out


def overlap(a: Iterable[str], b: Iterable[str]) -> tuple[float, int]:
    """(shared terms / terms of the shorter text, number shared): "does the short text (a
    title, a symptom list) appear in the other one?" — robust to one text being much longer."""
    sa, sb = set(a), set(b)
    if not sa or not sb:
        return 0.0, 0
    shared = len(sa & sb)
    return shared / min(len(sa), len(sb)), shared


# A text alone matches when half the shorter text's terms (and at least two) occur in the other;
# a shared CI or service lowers that to 30%. Tuned on tests/test_known_errors.py's and the
# bench's texts: one shared generic word ("password") never shows a workaround, a reworded
# symptom with the same three key words does.
TEXT_MATCH = 0.5
LINKED_BONUS = 0.2
MIN_SHARED = 2


def text_matches(score: float, shared: int, *, linked: bool = False) -> bool:
    """Whether an overlap (see `overlap`) counts as "the same symptom"."""
    if shared < MIN_SHARED:
        return False
    return score + (LINKED_BONUS if linked else 0.0) >= TEXT_MATCH


# --- pure: clustering ------------------------------------------------------------------------


@dataclass(frozen=True)
class Incident:
    """What detection reads of an incident."""

    id: int
    title: str
    text: str  # title, description, resolution notes
    category_id: int | None = None
    category: str = ""
    ci_id: int | None = None
    ci: str = ""
    service_id: int | None = None
    service: str = ""
    created_at: datetime | None = None


@dataclass
class Cluster:
    members: list[Incident]
    score: float
    reasons: list[str] = field(default_factory=list)
    title: str = ""

    @property
    def ids(self) -> list[int]:
        return sorted(m.id for m in self.members)


# Pair similarity = cosine of tf-idf vectors (title words count twice) + CI and category
# agreement. LINK is the similarity at which two incidents are "the same thing". Measured with
# bench/problem_proposals.py: 0.35 / 0.45 / 0.55 all keep precision at 1.00 on the labelled set
# and 0.98 on the demo data; recall falls as it rises (labelled 0.97 / 0.90 / 0.83; demo incident
# keys 0.68 / 0.55), so the lowest of the three.
LINK = 0.35
SAME_CI = 0.15
SAME_CATEGORY = 0.05
MIN_CLUSTER = 3
MAX_DF_SHARE = 0.1  # terms in more than 10% of the incidents say nothing about grouping
MIN_DF_CUTOFF = 8  # …unless the set is small


def _vectors(incidents: Sequence[Incident]) -> tuple[list[dict[str, float]], dict[str, int]]:
    bags: list[dict[str, float]] = []
    for inc in incidents:
        bag: dict[str, float] = defaultdict(float, dict.fromkeys(terms(inc.title), 2.0))
        for s in terms(inc.text):
            bag[s] += 1.0
        bags.append(bag)
    df: Counter[str] = Counter()
    for bag in bags:
        df.update(bag.keys())
    n = len(incidents)
    vectors = []
    for bag in bags:
        # Smoothed IDF: on a small desk a word in 3 of 4 incidents still counts.
        vec = {s: tf * math.log(1 + n / df[s]) for s, tf in bag.items()}
        norm = math.sqrt(sum(v * v for v in vec.values())) or 1.0
        vectors.append({s: v / norm for s, v in vec.items()})
    return vectors, dict(df)


def similarities(incidents: Sequence[Incident]) -> dict[tuple[int, int], float]:
    """Pair (i, j), i < j (indexes) → similarity, for pairs sharing an informative term. Through
    an inverted index over terms that are not too common, so a month of incidents stays fast."""
    vectors, df = _vectors(incidents)
    cutoff = max(MIN_DF_CUTOFF, int(len(incidents) * MAX_DF_SHARE))
    postings: dict[str, list[int]] = defaultdict(list)
    for i, vec in enumerate(vectors):
        for s in vec:
            if df[s] <= cutoff:
                postings[s].append(i)
    dots: dict[tuple[int, int], float] = defaultdict(float)
    for s, idx in postings.items():
        for a in range(len(idx)):
            i = idx[a]
            wi = vectors[i][s]
            for b in range(a + 1, len(idx)):
                j = idx[b]
                dots[(i, j)] += wi * vectors[j][s]
    out = {}
    for (i, j), dot in dots.items():
        one, two = incidents[i], incidents[j]
        extra = SAME_CI if one.ci_id is not None and one.ci_id == two.ci_id else 0.0
        if one.category_id is not None and one.category_id == two.category_id:
            extra += SAME_CATEGORY
        out[(i, j)] = dot + extra
    return out


def cluster(incidents: Sequence[Incident], *, link: float | None = None) -> list[Cluster]:
    """Star clustering: the incident with the most neighbours (similarity ≥ `link`) and its
    unclaimed neighbours form a cluster, then the next; no chaining, so A~B~C~D does not join A
    and D through a common word. Clusters under MIN_CLUSTER are dropped; best first."""
    link = LINK if link is None else link
    sims = similarities(incidents)
    neighbours: dict[int, dict[int, float]] = defaultdict(dict)
    for (i, j), s in sims.items():
        if s >= link:
            neighbours[i][j] = s
            neighbours[j][i] = s
    claimed: set[int] = set()
    clusters = []
    order = sorted(neighbours, key=lambda i: (-len(neighbours[i]), incidents[i].id))
    for seed in order:
        if seed in claimed:
            continue
        members = [seed] + [j for j in neighbours[seed] if j not in claimed]
        if len(members) < MIN_CLUSTER:
            continue
        claimed.update(members)
        inner = [
            sims.get((min(a, b), max(a, b)), 0.0)
            for k, a in enumerate(members)
            for b in members[k + 1 :]
        ]
        cohesion = sum(inner) / len(inner)
        chosen = sorted((incidents[m] for m in members), key=lambda x: x.id)
        clusters.append(
            Cluster(
                members=chosen,
                score=round(len(chosen) * cohesion, 4),
                reasons=reasons_for(chosen),
                title=title_for(incidents[seed]),
            )
        )
    clusters.sort(key=lambda c: (-c.score, c.ids))
    return clusters


def _majority(values: Sequence[str | None], n: int) -> tuple[str, int] | None:
    counted = Counter(v for v in values if v)
    if not counted:
        return None
    value, count = counted.most_common(1)[0]
    return (value, count) if count * 2 >= n else None


def reasons_for(members: Sequence[Incident]) -> list[str]:
    """Why these incidents were grouped, as people would say it."""
    n = len(members)
    reasons = []
    for label, values in (
        ("same CI", [m.ci for m in members]),
        ("same service", [m.service for m in members]),
        ("category", [m.category for m in members]),
    ):
        found = _majority(values, n)
        if found:
            reasons.append(f"{label} {found[0]} ({found[1]} of {n})")
    per_member = [terms(f"{m.title}\n{m.text}") for m in members]
    counts: Counter[str] = Counter(s for t in per_member for s in t)
    words = {s: w for t in per_member for s, w in t.items()}
    common = [s for s, c in counts.most_common() if c * 3 >= n * 2][:6]
    if common:
        reasons.append("shared words: " + ", ".join(words[s] for s in common))
    stamps = [m.created_at for m in members if m.created_at]
    if len(stamps) == n and n:
        days = max(1, (max(stamps) - min(stamps)).days + 1)
        reasons.append(f"{n} incidents in {days} day{'s' if days != 1 else ''}")
    return reasons


def title_for(seed: Incident) -> str:
    return f"Recurring: {seed.title}"[:200]


def signature(ids: Iterable[int]) -> str:
    return hashlib.sha256(",".join(str(i) for i in sorted(set(ids))).encode()).hexdigest()


def covered(ids: set[int], known: Iterable[set[int]]) -> bool:
    """Whether an earlier proposal already holds the same incidents or two thirds of these."""
    return any(ids == other or len(ids & other) * 3 >= len(ids) * 2 for other in known)


# --- database: detection ---------------------------------------------------------------------


def window_days() -> int:
    return int(getattr(settings, "BACKLINE_RECURRENCE_DAYS", 30))


def _incident(row: Mapping) -> Incident:
    text = "\n".join(p for p in (row["title"], row["description"], row["resolution_notes"]) if p)
    return Incident(
        id=row["id"],
        title=row["title"],
        text=text,
        category_id=row["category_id"],
        category=row["category__name"] or "",
        ci_id=row["ci_id"],
        ci=row["ci__name"] or "",
        service_id=row["service_id"],
        service=row["service__name"] or "",
        created_at=row["created_at"],
    )


INCIDENT_FIELDS = (
    "id", "title", "description", "resolution_notes", "category_id", "category__name", "ci_id",
    "ci__name", "service_id", "service__name", "created_at",
)  # fmt: skip


def candidates(*, now: datetime, days: int) -> list[Incident]:
    """Incidents of the last `days` days that no problem and no open proposal holds yet."""
    linked = ProblemIncident.objects.filter(ticket_id=OuterRef("pk"))
    proposed = Proposal.tickets.through.objects.filter(
        ticket_id=OuterRef("pk"), proposal__state=ProposalState.OPEN
    )
    rows = (
        Ticket.objects.filter(created_at__gte=now - timedelta(days=days), created_at__lte=now)
        .exclude(status=Status.CANCELLED)
        .exclude(Exists(linked))
        .exclude(Exists(proposed))
        .order_by("id")
        .values(*INCIDENT_FIELDS)
    )
    return [_incident(r) for r in rows.iterator(chunk_size=2000)]


def proposals_detect(*, now: datetime | None = None, days: int | None = None) -> list[Proposal]:
    """Cluster recent incidents and record a proposal per new cluster of MIN_CLUSTER or more;
    a cluster an open or dismissed proposal already covers is skipped (dismissed is
    remembered). Safe to run on two workers at once: the signature is unique."""
    now = now or timezone.now()
    days = window_days() if days is None else days
    clusters = cluster(candidates(now=now, days=days))
    if not clusters:
        return []
    through = Proposal.tickets.through.objects.filter(
        proposal__state__in=(ProposalState.OPEN, ProposalState.DISMISSED)
    ).values_list("proposal_id", "ticket_id")
    known: dict[int, set[int]] = defaultdict(set)
    for proposal_id, ticket_id in through:
        known[proposal_id].add(ticket_id)
    created = []
    for c in clusters:
        ids = set(c.ids)
        if covered(ids, known.values()):
            continue
        try:
            with transaction.atomic():
                proposal = Proposal.objects.create(
                    signature=signature(ids), title=c.title, reasons=c.reasons,
                    score=c.score, created_at=now,
                )  # fmt: skip
                proposal.tickets.set(c.ids)
        except IntegrityError:
            continue  # the same cluster was proposed (and maybe decided) before
        known[proposal.pk] = ids
        created.append(proposal)
    return created


CACHE_KEY = "problems:recurrence:last_run"


def proposals_sweep(*, now: datetime | None = None) -> dict:
    """The worker's periodic detection, at most once per BACKLINE_RECURRENCE_INTERVAL_MINUTES
    (default 60) per cache: the last run is remembered there. Two workers that both run it do
    no harm (see proposals_detect)."""
    now = now or timezone.now()
    minutes = int(getattr(settings, "BACKLINE_RECURRENCE_INTERVAL_MINUTES", 60))
    if not cache.add(CACHE_KEY, now.isoformat(), timeout=minutes * 60):
        return {"proposed": 0}
    return {"proposed": len(proposals_detect(now=now))}


# --- database: decisions ---------------------------------------------------------------------


def _decide(actor: User, proposal_id: int) -> Proposal:
    if not actor.is_staff_member:
        raise PermissionDenied("Only support staff can decide on proposals.")
    proposal = Proposal.objects.select_for_update().filter(pk=proposal_id).first()
    if proposal is None:
        raise NotFound(f"No proposal {proposal_id}.", field="proposal")
    if proposal.state != ProposalState.OPEN:
        raise DomainError(
            f"This proposal was already {proposal.get_state_display().lower()}.",
            code="already_decided",
            field="state",
        )
    return proposal


def proposal_accept(
    *, actor: User, proposal_id: int, title: str = "", at: datetime | None = None
) -> Proposal:
    """Open a problem from the proposal with its incidents linked."""
    now = at or timezone.now()
    with transaction.atomic():
        proposal = _decide(actor, proposal_id)
        tickets = list(proposal.tickets.order_by("id"))
        statement = "Proposed from recurring incidents:\n" + "\n".join(
            f"- {r}" for r in proposal.reasons
        )
        problem = problem_create(
            actor=actor,
            title=(title or proposal.title).strip(),
            statement=statement,
            tickets=tickets,
            cis={t.ci for t in tickets if t.ci is not None},
            services={t.service for t in tickets if t.service is not None},
            at=now,
        )
        proposal.state, proposal.problem = ProposalState.ACCEPTED, problem
        proposal.decided_by, proposal.decided_at = actor, now
        proposal.save(update_fields=["state", "problem", "decided_by", "decided_at"])
    return proposal


def proposal_dismiss(*, actor: User, proposal_id: int, at: datetime | None = None) -> Proposal:
    """Dismiss a proposal; the same incidents (or two thirds of them) are not proposed again."""
    now = at or timezone.now()
    with transaction.atomic():
        proposal = _decide(actor, proposal_id)
        proposal.state = ProposalState.DISMISSED
        proposal.decided_by, proposal.decided_at = actor, now
        proposal.save(update_fields=["state", "decided_by", "decided_at"])
    return proposal


# --- reads -----------------------------------------------------------------------------------


def proposals_list(user: User, *, state: str = ProposalState.OPEN) -> list[Proposal]:
    """Proposals in a state, best first, with their incidents (staff only)."""
    if not user.is_staff_member:
        return []
    qs = Proposal.objects.filter(state=state).select_related("problem", "decided_by")
    return list(qs.prefetch_related(_visible_tickets(user)).order_by("-score", "-id")[:100])


def _visible_tickets(user: User) -> Prefetch:
    """A proposal's incidents, only those the user may see."""
    return Prefetch("tickets", queryset=tickets_visible_to(user).select_related("ci", "category"))


def proposal_get(user: User, proposal_id: int) -> Proposal:
    if not user.is_staff_member:
        raise NotFound(f"No proposal {proposal_id}.", field="proposal")
    found = (
        Proposal.objects.filter(pk=proposal_id)
        .select_related("problem", "decided_by")
        .prefetch_related(_visible_tickets(user))
        .first()
    )
    if found is None:
        raise NotFound(f"No proposal {proposal_id}.", field="proposal")
    return found


# --- "recurring despite resolved" --------------------------------------------------------------

RESOLVED_WINDOW_DAYS = 30


@dataclass(frozen=True)
class ResolvedRecurrence:
    """The same CI and symptom resolved more than once within the window."""

    ci_id: int
    ci: str
    tickets: list[int]  # resolved ones, oldest first
    words: list[str]


def resolved_groups(rows: Sequence[Incident]) -> list[ResolvedRecurrence]:
    """Per CI, groups of 2+ resolved incidents with the same symptom (pure)."""
    by_ci: dict[int, list[Incident]] = defaultdict(list)
    for r in rows:
        if r.ci_id is not None:
            by_ci[r.ci_id].append(r)
    out = []
    for ci_id, group in by_ci.items():
        bags = [terms(f"{r.title}\n{r.text}") for r in group]
        used: set[int] = set()
        for i in range(len(group)):
            if i in used:
                continue
            same = [i] + [
                j
                for j in range(i + 1, len(group))
                if j not in used and text_matches(*overlap(bags[i], bags[j]))
            ]
            if len(same) < 2:
                continue
            used.update(same)
            shared = set.intersection(*(set(bags[k]) for k in same))
            out.append(
                ResolvedRecurrence(
                    ci_id=ci_id,
                    ci=group[i].ci,
                    tickets=sorted(group[k].id for k in same),
                    words=[bags[i][s] for s in bags[i] if s in shared][:6],
                )
            )
    out.sort(key=lambda g: (-len(g.tickets), g.ci, g.tickets))
    return out


def _resolved_rows(since: datetime, **filters) -> list[Incident]:
    rows = (
        Ticket.objects.filter(
            status__in=[s for s in DONE_STATUSES if s != Status.CANCELLED],
            resolved_at__gte=since,
            ci__isnull=False,
            **filters,
        )
        .order_by("resolved_at", "id")
        .values(*INCIDENT_FIELDS)
    )
    return [_incident(r) for r in rows[:2000]]


def resolved_recurrences(*, now: datetime | None = None) -> list[ResolvedRecurrence]:
    """Every "recurring despite resolved" group of the last RESOLVED_WINDOW_DAYS days."""
    now = now or timezone.now()
    return resolved_groups(_resolved_rows(now - timedelta(days=RESOLVED_WINDOW_DAYS)))


def ticket_resolved_recurrence(ticket: Ticket, *, now: datetime | None = None) -> list[int]:
    """Resolved incidents on this ticket's CI in the window with its symptom, when there are
    two or more of them (one query; nothing without a CI)."""
    if ticket.ci_id is None:
        return []
    now = now or timezone.now()
    rows = _resolved_rows(now - timedelta(days=RESOLVED_WINDOW_DAYS), ci_id=ticket.ci_id)
    mine = terms(f"{ticket.title}\n{ticket.description}")
    same = [
        r.id
        for r in rows[:200]
        if r.id != ticket.pk and text_matches(*overlap(mine, terms(f"{r.title}\n{r.text}")))
    ]
    return same if len(same) >= 2 else []
