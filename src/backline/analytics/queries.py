"""The metrics of DESIGN.md, aggregated in SQL over the ticket facts (see docs/analytics.md).

Each metric is a count (or mean, median) over a cohort of facts: tickets *created* in the period,
*resolved* in it (their current resolution), *first resolved* in it, or the *backlog* open at its
end. `SHOW` names every numerator and denominator, so each number on the dashboard links to the
tickets behind it with the same definition the number was computed from.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Avg, Count, F, Q, QuerySet, Sum
from django.db.models.fields.json import KT
from django.urls import reverse

from backline.accounts.models import Team
from backline.analytics import rules
from backline.analytics.filters import Filters
from backline.analytics.models import OUTCOME_FIELDS, TicketFact
from backline.cmdb.models import Service
from backline.problems.choices import ProposalState
from backline.problems.models import Problem, ProblemIncident, Proposal
from backline.tickets.choices import EventKind
from backline.tickets.models import Category, TicketEvent

RECURRENCE_MIN_INCIDENTS = 3
COHORTS = ("created", "resolved", "first_resolved", "backlog")


def recurring_q() -> Q:
    """Incidents in a recurrence cluster (a proposal not dismissed) or linked to a problem with
    at least three incidents."""
    big_problems = (
        ProblemIncident.objects.values("problem_id")
        .annotate(n=Count("id"))
        .filter(n__gte=RECURRENCE_MIN_INCIDENTS)
        .values("problem_id")
    )
    in_problem = ProblemIncident.objects.filter(problem_id__in=big_problems).values("ticket_id")
    in_cluster = Proposal.tickets.through.objects.exclude(
        proposal__state=ProposalState.DISMISSED
    ).values("ticket_id")
    return Q(ticket_id__in=in_problem) | Q(ticket_id__in=in_cluster)


def _outcome_labels() -> dict[str, str]:
    labels = {"sla_response": "First response (SLA)", "sla_resolution": "Resolution (SLA)"}
    for name in OUTCOME_FIELDS[2:]:
        kind, tier = name.rsplit("_t", 1)
        verb = "Acceptance" if kind == "ola_accept" else "Resolution"
        labels[name] = f"{verb} in L{tier} (OLA)"
    return labels


OUTCOME_LABELS = _outcome_labels()


@dataclass(frozen=True)
class Show:
    """A set of tickets behind a number: its cohort and the condition on the facts."""

    cohort: str
    label: str
    q: Callable[[Filters], Q]


def _where(**conditions: Any) -> Callable[[Filters], Q]:
    return lambda f: Q(**conditions)


def _aged(key: str) -> Callable[[Filters], Q]:
    return lambda f: _age_q(key, f.end)


def _show_table() -> dict[str, Show]:
    table = {
        "created": Show("created", "Tickets created", lambda f: Q()),
        "reached_t2": Show("created", "Reached L2 or above", lambda f: Q(max_tier__gte=2)),
        "escalated": Show("created", "Escalated", lambda f: Q(escalations__gt=0)),
        "bounced": Show(
            "created", "Escalated and bounced", lambda f: Q(escalations__gt=0, bounces__gt=0)
        ),
        "responded": Show(
            "created", "With a first response", lambda f: Q(first_response_s__isnull=False)
        ),
        "accepted_t2": Show(
            "created", "Accepted in L2", lambda f: Q(accept_wait_t2_s__isnull=False)
        ),
        "accepted_t3": Show(
            "created", "Accepted in L3", lambda f: Q(accept_wait_t3_s__isnull=False)
        ),
        "recurring": Show("created", "Recurring incidents", lambda f: recurring_q()),
        "l2": Show("created", "Tickets that reached L2", lambda f: Q(t2__gt=0)),
        "l1_capable": Show(
            "created", "L2 tickets solvable at a lower tier", lambda f: Q(t2__gt=0, l1_capable=True)
        ),
        "resolved": Show("resolved", "Resolved", lambda f: Q()),
        "l1_resolved": Show("resolved", "Resolved without leaving L1", lambda f: Q(max_tier=1)),
        "kb_deflected": Show(
            "resolved",
            "Resolved in L1 with an article or known error",
            lambda f: Q(max_tier=1, kb_used=True),
        ),
        "rated": Show("resolved", "Rated", lambda f: Q(csat__isnull=False)),
        "satisfied": Show("resolved", "Rated 4 or 5", lambda f: Q(csat__gte=4)),
        "first_resolved": Show("first_resolved", "First resolved", lambda f: Q()),
        "reopened": Show("first_resolved", "Reopened after resolution", lambda f: Q(reopened=True)),
        "backlog": Show("backlog", "Open at the end of the period", lambda f: Q()),
    }
    for name, label in OUTCOME_LABELS.items():
        table[f"met:{name}"] = Show("created", f"{label}: met", _where(**{name: 1}))
        table[f"breached:{name}"] = Show("created", f"{label}: breached", _where(**{name: 0}))
        table[f"decided:{name}"] = Show(
            "created", f"{label}: met or breached", _where(**{f"{name}__isnull": False})
        )
    for key, label, _, _ in rules.AGE_BUCKETS:
        table[f"backlog:{key}"] = Show("backlog", f"Open at the end, aged {label}", _aged(key))
    for tier in (1, 2, 3):
        table[f"resolved_t{tier}"] = Show(
            "resolved", f"Resolved in L{tier}", _where(resolved_tier=tier)
        )
        table[f"rated_t{tier}"] = Show(
            "resolved",
            f"Rated, resolved in L{tier}",
            _where(resolved_tier=tier, csat__isnull=False),
        )
    return table


SHOW = _show_table()


def _age_q(key: str, end: datetime) -> Q:
    """Facts created within an age bucket, counted back from `end`."""
    for name, _, low, high in rules.AGE_BUCKETS:
        if name == key:
            q = Q(created_at__lte=end - low)
            if high is not None:
                q &= Q(created_at__gt=end - high)
            return q
    raise KeyError(key)


def cohort_q(cohort: str, filters: Filters) -> Q:
    """The facts of a cohort in the filters' period."""
    start, end = filters.start, filters.end
    if cohort == "created":
        return Q(created_at__gte=start, created_at__lt=end)
    if cohort == "resolved":
        return Q(resolved_at__gte=start, resolved_at__lt=end)
    if cohort == "first_resolved":
        return Q(first_resolved_at__gte=start, first_resolved_at__lt=end)
    if cohort == "backlog":
        return Q(created_at__lt=end) & (Q(done_at__isnull=True) | Q(done_at__gte=end))
    raise KeyError(cohort)


def facts(filters: Filters, cohort: str | None = None) -> QuerySet[TicketFact]:
    """Facts kept by the filters' ticket attributes (and in a cohort, when given)."""
    qs = TicketFact.objects.annotate(t2=F("tiers").bitand(2)).filter(filters.ticket_q())
    if filters.tier:
        qs = qs.annotate(**filters.tier_annotation()).filter(**{"tier_bit__gt": 0})
    if cohort:
        qs = qs.filter(cohort_q(cohort, filters))
    return qs


def show_tickets(filters: Filters, key: str) -> QuerySet[TicketFact]:
    """The facts behind the number `key` (see SHOW), newest first, with their tickets."""
    show = SHOW[key]
    return (
        facts(filters, show.cohort)
        .filter(show.q(filters))
        .select_related("ticket", "ticket__team", "ticket__assignee")
        .order_by("-created_at", "-ticket_id")
    )


def _count(q: Q | None = None) -> Count:
    return Count("ticket_id", filter=q) if q is not None else Count("ticket_id")


def _created_aggregate(filters: Filters) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "created": _count(),
        "reached_t2": _count(Q(max_tier__gte=2)),
        "escalated": _count(Q(escalations__gt=0)),
        "bounced": _count(Q(escalations__gt=0, bounces__gt=0)),
        "bounces": Sum("bounces", filter=Q(escalations__gt=0)),
        "responded": _count(Q(first_response_s__isnull=False)),
        "response_mean": Avg("first_response_s"),
        "accepted_t2": _count(Q(accept_wait_t2_s__isnull=False)),
        "accept_t2_mean": Avg("accept_wait_t2_s"),
        "accepted_t3": _count(Q(accept_wait_t3_s__isnull=False)),
        "accept_t3_mean": Avg("accept_wait_t3_s"),
        "recurring": _count(recurring_q()),
        "l2": _count(Q(t2__gt=0)),
        "l1_capable": _count(Q(t2__gt=0, l1_capable=True)),
    }
    for name in OUTCOME_FIELDS:
        fields[f"met:{name}"] = _count(Q(**{name: 1}))
        fields[f"decided:{name}"] = _count(Q(**{f"{name}__isnull": False}))
    return facts(filters, "created").aggregate(**fields)


def _resolved_aggregate(filters: Filters) -> dict[str, Any]:
    return facts(filters, "resolved").aggregate(
        resolved=_count(),
        l1_resolved=_count(Q(max_tier=1)),
        kb_deflected=_count(Q(max_tier=1, kb_used=True)),
        resolve_mean=Avg("resolve_s"),
        business_mean=Avg("resolve_business_min"),
        with_business=_count(Q(resolve_business_min__isnull=False)),
        rated=_count(Q(csat__isnull=False)),
        satisfied=_count(Q(csat__gte=4)),
        csat_mean=Avg("csat"),
    )


def _reopen_aggregate(filters: Filters) -> dict[str, Any]:
    return facts(filters, "first_resolved").aggregate(
        first_resolved=_count(), reopened=_count(Q(reopened=True))
    )


def median_of(qs: QuerySet[TicketFact], column: str, count: int | None = None) -> float | None:
    """The exact median of a column over a queryset (two middle rows read, no values loaded)."""
    values = qs.filter(**{f"{column}__isnull": False})
    n = values.count() if count is None else count
    if not n:
        return None
    ordered = values.order_by(column).values_list(column, flat=True)
    middle = list(ordered[(n - 1) // 2 : n // 2 + 1])
    return float(sum(middle) / len(middle))


def _minutes(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds / 60, 1)


def _hours(minutes: float | None) -> float | None:
    return None if minutes is None else round(minutes / 60, 2)


def summary(filters: Filters) -> dict[str, Any]:
    """Every metric of DESIGN.md for the filters' period (numbers, not yet compared)."""
    c = _created_aggregate(filters)
    r = _resolved_aggregate(filters)
    o = _reopen_aggregate(filters)
    created, resolved = facts(filters, "created"), facts(filters, "resolved")
    out: dict[str, Any] = {
        "created": c["created"],
        "reached_t2": c["reached_t2"],
        "escalation_rate": rules.ratio(c["reached_t2"], c["created"]),
        "resolved": r["resolved"],
        "l1_resolved": r["l1_resolved"],
        "l1_resolution_rate": rules.ratio(r["l1_resolved"], r["resolved"]),
        "escalated": c["escalated"],
        "bounced": c["bounced"],
        "bounce_rate": rules.ratio(c["bounced"], c["escalated"]),
        "bounces": c["bounces"] or 0,
        "bounces_per_ticket": rules.ratio(c["bounces"] or 0, c["escalated"]),
        "responded": c["responded"],
        "mtta_mean_min": _minutes(c["response_mean"]),
        "mtta_median_min": _minutes(median_of(created, "first_response_s", c["responded"])),
        "mttr_mean_h": _hours(_minutes(r["resolve_mean"])),
        "mttr_median_h": _hours(_minutes(median_of(resolved, "resolve_s", r["resolved"]))),
        "mttr_business_mean_h": _hours(r["business_mean"]),
        "mttr_business_median_h": _hours(
            median_of(resolved, "resolve_business_min", r["with_business"])
        ),
        "first_resolved": o["first_resolved"],
        "reopened": o["reopened"],
        "reopen_rate": rules.ratio(o["reopened"], o["first_resolved"]),
        "recurring": c["recurring"],
        "recurrence_rate": rules.ratio(c["recurring"], c["created"]),
        "rated": r["rated"],
        "satisfied": r["satisfied"],
        "csat_share": rules.ratio(r["satisfied"], r["rated"]),
        "csat_mean": None if r["csat_mean"] is None else round(r["csat_mean"], 2),
        "kb_deflected": r["kb_deflected"],
        "kb_deflection": rules.ratio(r["kb_deflected"], r["l1_resolved"]),
        "l2": c["l2"],
        "l1_capable": c["l1_capable"],
        "l1_capable_share": rules.ratio(c["l1_capable"], c["l2"]),
    }
    acceptance = []
    for tier in (2, 3):
        n = c[f"accepted_t{tier}"]
        acceptance.append(
            {
                "tier": tier,
                "accepted": n,
                "mean_min": _minutes(c[f"accept_t{tier}_mean"]),
                "median_min": _minutes(median_of(created, f"accept_wait_t{tier}_s", n)),
            }
        )
    out["acceptance"] = acceptance
    out["sla"] = [
        {
            "target": name,
            "label": OUTCOME_LABELS[name],
            "met": c[f"met:{name}"],
            "decided": c[f"decided:{name}"],
            "breached": c[f"decided:{name}"] - c[f"met:{name}"],
            "compliance": rules.ratio(c[f"met:{name}"], c[f"decided:{name}"]),
        }
        for name in OUTCOME_FIELDS
    ]
    out["sla_breaches"] = sum(row["breached"] for row in out["sla"])
    return out


def volume_series(filters: Filters) -> list[dict[str, Any]]:
    """Tickets created and escalated per day (per week past 62 days), with the escalation rate."""
    rows = (
        facts(filters, "created")
        .values("created_day")
        .annotate(n=_count(), escalated=_count(Q(max_tier__gte=2)))
        .order_by("created_day")
    )
    weekly = filters.days > 62
    first = filters.start.astimezone(ZoneInfo(settings.TIME_ZONE)).date()
    buckets: dict[date, list[int]] = {}
    for row in rows:
        day: date = row["created_day"]
        # Weeks count from the period's first day, so no bucket is a sliver of a week at the start.
        key = first + timedelta(days=(day - first).days // 7 * 7) if weekly else day
        bucket = buckets.setdefault(key, [0, 0])
        bucket[0] += row["n"]
        bucket[1] += row["escalated"]
    return [
        {"bucket": key.isoformat(), "created": n, "escalated": e, "rate": rules.ratio(e, n)}
        for key, (n, e) in sorted(buckets.items())
    ]


def mttr_by_priority(filters: Filters) -> list[dict[str, Any]]:
    """Mean and median resolution time in business hours per priority."""
    resolved = facts(filters, "resolved")
    rows = {
        row["priority"]: row
        for row in resolved.values("priority").annotate(
            n=_count(Q(resolve_business_min__isnull=False)),
            mean=Avg("resolve_business_min"),
            wall=Avg("resolve_s"),
        )
    }
    out = []
    for priority in (1, 2, 3, 4):
        row = rows.get(priority)
        n = row["n"] if row else 0
        out.append(
            {
                "priority": priority,
                "resolved": n,
                "mean_h": _hours(row["mean"]) if row else None,
                "median_h": _hours(
                    median_of(resolved.filter(priority=priority), "resolve_business_min", n)
                ),
                "wall_mean_h": _hours(_minutes(row["wall"])) if row else None,
            }
        )
    return out


def backlog(filters: Filters) -> dict[str, Any]:
    """Tickets open at the period's end by team and age bucket."""
    end = filters.end
    fields = {key: _count(_age_q(key, end)) for key, _, _, _ in rules.AGE_BUCKETS}
    rows = list(
        facts(filters, "backlog").values("team_id").annotate(total=_count(), **fields).order_by()
    )
    names = dict(Team.objects.values_list("id", "name"))
    rows_any: list[dict[str, Any]] = rows  # type: ignore[assignment]  # annotated per bucket
    teams = sorted(
        (
            {
                "team_id": row["team_id"],
                "team": names.get(row["team_id"], "No team"),
                "total": row["total"],
                "buckets": [row[key] for key, _, _, _ in rules.AGE_BUCKETS],
            }
            for row in rows_any
        ),
        key=lambda r: (-r["total"], r["team"]),
    )
    totals = [sum(t["buckets"][i] for t in teams) for i in range(len(rules.AGE_BUCKETS))]
    return {
        "buckets": [{"key": k, "label": label} for k, label, _, _ in rules.AGE_BUCKETS],
        "teams": teams,
        "totals": totals,
        "total": sum(totals),
    }


def bounce_pairs(filters: Filters, *, limit: int = 8) -> list[dict[str, Any]]:
    """The team pairs tickets bounced between most in the period (from → back to)."""
    events = TicketEvent.objects.filter(
        kind=EventKind.BOUNCED, at__gte=filters.start, at__lt=filters.end
    )
    if filters.ticket_q() or filters.tier:
        events = events.filter(ticket_id__in=facts(filters).values("ticket_id"))
    rows = (
        events.annotate(src=KT("data__from_team__id"), dst=KT("data__to_team__id"))
        .values("src", "dst")
        .annotate(n=Count("id"), tickets=Count("ticket_id", distinct=True))
        .order_by("-n")[:limit]
    )
    teams = {t.pk: t for t in Team.objects.all()}
    out = []
    for row in rows:
        src = teams.get(int(row["src"])) if row["src"] else None
        dst = teams.get(int(row["dst"])) if row["dst"] else None
        out.append(
            {
                "from_team": src.name if src else "?",
                "to_team": dst.name if dst else "?",
                "tiers": f"L{src.tier if src else '?'} → L{dst.tier if dst else '?'}",
                "bounces": row["n"],
                "tickets": row["tickets"],
            }
        )
    return out


def recurring_clusters(filters: Filters, *, limit: int = 8) -> list[dict[str, Any]]:
    """Problems and open clusters with the most incidents created in the period."""
    created = facts(filters, "created").values("ticket_id")
    problems = (
        ProblemIncident.objects.filter(ticket_id__in=created)
        .values("problem_id")
        .annotate(n=Count("id"))
        .order_by("-n")[:limit]
    )
    by_id = Problem.objects.in_bulk([row["problem_id"] for row in problems])
    out = [
        {
            "kind": "problem",
            "label": by_id[row["problem_id"]].number,
            "title": by_id[row["problem_id"]].title,
            "url": reverse("problems:detail", args=[by_id[row["problem_id"]].number]),
            "incidents": row["n"],
        }
        for row in problems
        if row["problem_id"] in by_id
    ]
    clusters = (
        Proposal.objects.filter(state=ProposalState.OPEN, tickets__in=created)
        .annotate(n=Count("tickets"))
        .order_by("-n")[:limit]
    )
    out += [
        {
            "kind": "cluster",
            "label": "Proposed problem",
            "title": p.title,
            "url": reverse("known_errors:proposals"),
            "incidents": p.n,
        }
        for p in clusters
    ]
    return sorted(out, key=lambda r: -r["incidents"])[:limit]


def csat_by(filters: Filters, column: str) -> list[dict[str, Any]]:
    """CSAT (share of 4–5 and mean) of tickets resolved in the period, by resolving tier or team."""
    rows = (
        facts(filters, "resolved")
        .filter(csat__isnull=False)
        .values(column)
        .annotate(n=_count(), satisfied=_count(Q(csat__gte=4)), mean=Avg("csat"))
        .order_by(column)
    )
    names = dict(Team.objects.values_list("id", "name")) if column == "resolved_team_id" else {}
    return [
        {
            "key": row[column],
            "label": names.get(row[column], "No team") if names else f"L{row[column]}",
            "rated": row["n"],
            "share": rules.ratio(row["satisfied"], row["n"]),
            "mean": round(row["mean"], 2),
        }
        for row in rows
    ]


def choices() -> dict[str, list[tuple[int, str]]]:
    """What the filter selects offer."""
    return {
        "teams": [(t.pk, f"{t.name} (L{t.tier})") for t in Team.objects.order_by("tier", "name")],
        "categories": [(c.pk, str(c)) for c in Category.objects.select_related("parent")],
        "services": list(Service.objects.order_by("name").values_list("id", "name")),
    }
