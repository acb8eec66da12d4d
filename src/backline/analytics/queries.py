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
from django.db import connection, transaction
from django.db.models import Count, F, Q, QuerySet, Sum, Window
from django.db.models.fields.json import KT
from django.db.models.functions import Coalesce, RowNumber
from django.urls import reverse

from backline.accounts.models import Team, User
from backline.analytics import measures, rules
from backline.analytics.filters import Filters, tier_values
from backline.analytics.models import OUTCOME_FIELDS, DayRollup, TicketFact
from backline.cmdb.models import Service
from backline.problems.choices import ProposalState
from backline.problems.models import Problem, ProblemIncident, Proposal
from backline.tickets.choices import EventKind
from backline.tickets.models import Category, TicketEvent
from backline.tickets.queries import visible_filter

RECURRENCE_MIN_INCIDENTS = 3
L2_TIERS = tier_values(2)
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
    # One IN over the union of two small sets: an OR of two INs makes PostgreSQL test every fact.
    return Q(ticket_id__in=in_problem.union(in_cluster))


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
        "l2": Show("created", "Tickets that reached L2", lambda f: Q(tiers__in=L2_TIERS)),
        "l1_capable": Show(
            "created",
            "L2 tickets solvable at a lower tier",
            lambda f: Q(tiers__in=L2_TIERS, l1_capable=True),
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
            q = Q(created_at__lte=end - low) if low else Q(created_at__lt=end)
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
    qs = TicketFact.objects.filter(filters.ticket_q())
    if cohort:
        qs = qs.filter(cohort_q(cohort, filters))
    return qs


def show_tickets(filters: Filters, key: str, user: User) -> QuerySet[TicketFact]:
    """The facts behind the number `key` (see SHOW) of tickets the user may see, newest first,
    with their tickets."""
    show = SHOW[key]
    qs = facts(filters, show.cohort).filter(show.q(filters))
    if not user.is_manager:  # managers and admins see every ticket; agents only theirs
        qs = qs.filter(visible_filter(user))
    return qs.select_related("ticket", "ticket__team", "ticket__assignee").order_by(
        "-created_at", "-ticket_id"
    )


def totals(filters: Filters, cohort: str, *, by: str | None = None) -> list[dict[str, Any]]:
    """The cohort's additive measures (measures.py), in one row or one row per `by` value:
    summed from the daily rollups when they hold the filters, else aggregated over the facts."""
    names = list(measures.BY_COHORT[cohort])
    if filters.rollup_ready:
        qs = DayRollup.objects.filter(
            filters.rollup_q(),
            cohort=cohort,
            day__gte=filters.first_day,
            day__lte=filters.last_day,
        )
        fields = {name: Sum(name) for name in names}
    else:
        qs = facts(filters, cohort)  # type: ignore[assignment]
        fields = {name: measures.BY_COHORT[cohort][name]() for name in names}
    if by is None:
        return [qs.aggregate(**fields)]
    return list(qs.values(by).annotate(**fields).order_by(by))


def backlog_count(filters: Filters) -> int:
    """Tickets open at the period's end: still open, plus done only after it (two index ranges
    rather than one OR, which both databases may answer by reading every fact)."""
    end = filters.end
    still_open = facts(filters).filter(done_at__isnull=True, created_at__lt=end).count()
    return still_open + facts(filters).filter(done_at__gte=end, created_at__lt=end).count()


def recurring_count(filters: Filters) -> int:
    """Incidents created in the period that recur (recurring_q), read from the links' side."""
    return facts(filters, "created").filter(recurring_q()).count()


# Medians read the middle rows of a cohort in value order. On SQLite the planner would sort the
# whole cohort; walking an index kept in value order (models: fact_*_order) is several times
# faster, so the unfiltered cohorts name it. Filtered cohorts are smaller and sort quickly.
_ORDER_INDEXES = {
    ("first_response_s", "created_at"): "fact_response_order",
    ("accept_wait_t2_s", "created_at"): "fact_accept2_order",
    ("resolve_s", "resolved_at"): "fact_resolve_order",
    ("resolve_business_min", "resolved_at"): "fact_business_order",
}
_COHORT_FIELDS = {"created": "created_at", "resolved": "resolved_at"}


def median_of(filters: Filters, cohort: str, column: str, count: int) -> float | None:
    """The exact median of a column over a cohort of `count` non-null values."""
    if not count:
        return None
    first, last = (count - 1) // 2, count // 2
    date_field = _COHORT_FIELDS[cohort]
    index = _ORDER_INDEXES.get((column, date_field))
    if index and not filters.ticket_q():
        return _median_walk(filters, column, date_field, index, count)
    values = facts(filters, cohort).filter(**{f"{column}__isnull": False})
    ordered = values.order_by(column).values_list(column, flat=True)
    middle = list(ordered[first : last + 1])
    return float(sum(middle) / len(middle)) if middle else None


def _median_walk(
    filters: Filters,
    column: str,
    date_field: str,
    index: str,
    count: int,
    *,
    priority: int | None = None,
) -> float | None:
    """median_of through an index in value order: named on SQLite (`INDEXED BY`), whose planner
    would rather sort the cohort; on PostgreSQL by switching sorting off for the statement."""
    if not count:
        return None
    first, last = (count - 1) // 2, count // 2
    table = TicketFact._meta.db_table
    where = f'"{date_field}" >= %s AND "{date_field}" < %s AND "{column}" IS NOT NULL'
    adapt = connection.ops.adapt_datetimefield_value
    params: list[Any] = [adapt(filters.start), adapt(filters.end)]
    if priority is not None:
        where += ' AND "priority" = %s'
        params.append(priority)
    hint = f'INDEXED BY "{index}" ' if connection.vendor == "sqlite" else ""
    sql = (
        f'SELECT "{column}" FROM "{table}" {hint}'  # noqa: S608 - names are ours
        f'WHERE {where} ORDER BY "{column}" LIMIT %s OFFSET %s'
    )
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # PostgreSQL's planner would rather fetch the whole cohort by date and sort it (200 ms
            # for six months of a million tickets) than walk the index (20 ms): for this one
            # statement, sorting is off the table.
            cursor.execute("SET LOCAL enable_sort = off")
        cursor.execute(sql, [*params, last - first + 1, first])
        middle = [row[0] for row in cursor.fetchall()]
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL enable_sort = on")
    return float(sum(middle) / len(middle)) if middle else None


def medians_by(qs: QuerySet[TicketFact], group: str, column: str) -> dict[Any, float]:
    """The exact median of `column` in each `group`, from one ranked pass over the rows."""
    partition = [F(group)]
    ranked = (
        qs.filter(**{f"{column}__isnull": False})
        .annotate(
            rn=Window(RowNumber(), partition_by=partition, order_by=F(column).asc()),
            n=Window(Count("ticket_id"), partition_by=partition),
        )
        .filter(Q(rn=(F("n") + 1) / 2) | Q(rn=F("n") / 2 + 1))
        .values_list(group, column)
    )
    middles: dict[Any, list[float]] = {}
    for key, value in ranked:
        middles.setdefault(key, []).append(value)
    return {key: float(sum(v) / len(v)) for key, v in middles.items()}


def _minutes(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds / 60, 1)


def _hours(minutes: float | None) -> float | None:
    return None if minutes is None else round(minutes / 60, 2)


def _mean(total: float | None, count: int | None) -> float | None:
    return total / count if count and total is not None else None


def _round(value: float | None, places: int) -> float | None:
    return None if value is None else round(value, places)


def summary(filters: Filters, *, all_medians: bool = True) -> dict[str, Any]:
    """Every metric of DESIGN.md for the filters' period (numbers, not yet compared).

    Without `all_medians` only the medians the headline cards compare are computed (the
    previous period's), the others are None."""
    c = {k: v or 0 for k, v in totals(filters, "created")[0].items()}
    r = {k: v or 0 for k, v in totals(filters, "resolved")[0].items()}
    o = {k: v or 0 for k, v in totals(filters, "first_resolved")[0].items()}
    c["recurring"] = recurring_count(filters)
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
        "mtta_mean_min": _minutes(_mean(c["response_sum"], c["responded"])),
        "mtta_median_min": _minutes(
            median_of(filters, "created", "first_response_s", c["responded"])
        ),
        "mttr_mean_h": _hours(_minutes(_mean(r["resolve_sum"], r["resolve_n"]))),
        "mttr_median_h": _hours(
            _minutes(median_of(filters, "resolved", "resolve_s", r["resolved"]))
            if all_medians
            else None
        ),
        "mttr_business_mean_h": _hours(_mean(r["business_sum"], r["with_business"])),
        "mttr_business_median_h": _hours(
            median_of(filters, "resolved", "resolve_business_min", r["with_business"])
        ),
        "first_resolved": o["first_resolved"],
        "reopened": o["reopened"],
        "reopen_rate": rules.ratio(o["reopened"], o["first_resolved"]),
        "recurring": c["recurring"],
        "recurrence_rate": rules.ratio(c["recurring"], c["created"]),
        "rated": r["rated"],
        "satisfied": r["satisfied"],
        "csat_share": rules.ratio(r["satisfied"], r["rated"]),
        "csat_mean": _round(_mean(r["csat_sum"], r["rated"]), 2),
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
                "mean_min": _minutes(_mean(c[f"accept_t{tier}_sum"], n)),
                "median_min": _minutes(median_of(filters, "created", f"accept_wait_t{tier}_s", n))
                if all_medians or tier == 2
                else None,
            }
        )
    out["acceptance"] = acceptance
    out["sla"] = [
        {
            "target": name,
            "label": OUTCOME_LABELS[name],
            "met": c[f"met_{name}"],
            "decided": c[f"decided_{name}"],
            "breached": c[f"decided_{name}"] - c[f"met_{name}"],
            "compliance": rules.ratio(c[f"met_{name}"], c[f"decided_{name}"]),
        }
        for name in OUTCOME_FIELDS
    ]
    out["sla_breaches"] = sum(row["breached"] for row in out["sla"])
    return out


def volume_series(filters: Filters) -> list[dict[str, Any]]:
    """Tickets created and escalated per day (per week past 62 days), with the escalation rate."""
    day_field = "day" if filters.rollup_ready else "created_day"
    rows = [
        {"day": row[day_field], "n": row["created"] or 0, "escalated": row["reached_t2"] or 0}
        for row in totals(filters, "created", by=day_field)
    ]
    weekly = filters.days > 62
    first = filters.start.astimezone(ZoneInfo(settings.TIME_ZONE)).date()
    buckets: dict[date, list[int]] = {}
    for row in rows:
        day: date = row["day"]
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
        row["priority"]: {
            "n": row["with_business"] or 0,
            "mean": _mean(row["business_sum"], row["with_business"]),
            "wall": _mean(row["resolve_sum"], row["resolve_n"]),
        }
        for row in totals(filters, "resolved", by="priority")
    }
    if not filters.ticket_q():
        # One walk of the (priority, value, resolved_at) index per priority (see median_of).
        medians = {
            p: m
            for p in (1, 2, 3, 4)
            if (
                m := _median_walk(
                    filters,
                    "resolve_business_min",
                    "resolved_at",
                    "fact_priority_business_order",
                    int(rows[p]["n"] or 0) if p in rows else 0,
                    priority=p,
                )
            )
            is not None
        }
    else:
        medians = medians_by(resolved, "priority", "resolve_business_min")
    out = []
    for priority in (1, 2, 3, 4):
        row = rows.get(priority)
        n = row["n"] if row else 0
        out.append(
            {
                "priority": priority,
                "resolved": n,
                "mean_h": _hours(row["mean"]) if row else None,
                "median_h": _hours(medians.get(priority)),
                "wall_mean_h": _hours(_minutes(row["wall"])) if row else None,
            }
        )
    return out


def _unindexed(filters: Filters) -> QuerySet[TicketFact]:
    """Facts kept by the filters, compared as expressions (`x + 0`), so SQLite answers from the
    backlog index's done_at range rather than from the priority or team index."""
    qs = TicketFact.objects.all()
    q = Q()
    for name, column in (
        ("team", "team_id"),
        ("priority", "priority"),
        ("category", "category_id"),
        ("service", "service_id"),
    ):
        value = getattr(filters, name)
        if value is not None:
            qs = qs.annotate(**{f"{name}_key": Coalesce(column, 0) + 0})
            q &= Q(**{f"{name}_key": value})
    if filters.tier:
        qs = qs.annotate(tiers_key=F("tiers") + 0)
        q &= Q(tiers_key__in=tier_values(filters.tier))
    return qs.filter(q)


def backlog(filters: Filters) -> dict[str, Any]:
    """Tickets open at the period's end by team and age bucket."""
    end = filters.end
    fields = {key: measures.count(_age_q(key, end)) for key, _, _, _ in rules.AGE_BUCKETS}
    # Still open, or done only after the end: two range reads of the backlog index, rather
    # than one OR the planner may answer by reading every fact.
    merged: dict[int | None, dict[str, int]] = {}
    # Tickets done after the end may also have been created after it: the buckets leave those
    # out, so the total is the buckets' sum.
    for part in (Q(done_at__isnull=True, created_at__lt=end), Q(done_at__gte=end)):
        # Grouping by an expression keeps SQLite on the done_at range instead of walking the
        # team index to save the sort (it cannot tell how few rows the range holds).
        grouped = (
            _unindexed(filters)
            .filter(part)
            .annotate(team_key=Coalesce("team_id", 0) + 0)
            .values("team_key")
            .annotate(**fields)
            .order_by()
        )
        for row in grouped:
            team = row["team_key"] or None
            into = merged.setdefault(team, dict.fromkeys(["total", *fields], 0))
            for name in fields:
                into[name] += row[name]  # type: ignore[literal-required]
                into["total"] += row[name]  # type: ignore[literal-required]
    names = dict(Team.objects.values_list("id", "name"))
    rows_any: list[dict[str, Any]] = [{"team_id": team, **c} for team, c in merged.items()]
    teams: list[dict[str, Any]] = sorted(
        (
            {
                "team_id": row["team_id"],
                "team": names.get(row["team_id"] or 0, "No team"),
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
    if filters.ticket_q():
        # Joined from the (few) bounce events of the period to their facts.
        events = events.filter(filters.ticket_q("ticket__fact__"))
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
    # Read from the links (a few thousand rows), joined to the facts, not the other way round.
    in_period = Q(
        ticket__fact__created_at__gte=filters.start, ticket__fact__created_at__lt=filters.end
    ) & filters.ticket_q("ticket__fact__")
    links = ProblemIncident.objects.filter(in_period)
    if filters.tier:
        links = links.filter(ticket_id__in=facts(filters, "created").values("ticket_id"))
    problems = links.values("problem_id").annotate(n=Count("id")).order_by("-n")[:limit]
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
    members = Proposal.tickets.through.objects.filter(in_period, proposal__state=ProposalState.OPEN)
    if filters.tier:
        members = members.filter(ticket_id__in=facts(filters, "created").values("ticket_id"))
    clusters = members.values("proposal_id").annotate(n=Count("id")).order_by("-n")[:limit]
    titles = dict(
        Proposal.objects.filter(pk__in=[row["proposal_id"] for row in clusters]).values_list(
            "id", "title"
        )
    )
    out += [
        {
            "kind": "cluster",
            "label": "Proposed problem",
            "title": titles.get(row["proposal_id"], ""),
            "url": reverse("known_errors:proposals"),
            "incidents": row["n"],
        }
        for row in clusters
    ]
    return sorted(out, key=lambda r: -r["incidents"])[:limit]


def csat_by(filters: Filters, column: str) -> list[dict[str, Any]]:
    """CSAT (share of 4–5 and mean) of tickets resolved in the period, by resolving tier or team."""
    rows = [row for row in totals(filters, "resolved", by=column) if row["rated"]]
    names = dict(Team.objects.values_list("id", "name")) if column == "resolved_team_id" else {}
    return [
        {
            "key": row[column],
            "label": names.get(row[column], "No team") if names else f"L{row[column]}",
            "rated": row["rated"],
            "share": rules.ratio(row["satisfied"], row["rated"]),
            "mean": _round(_mean(row["csat_sum"], row["rated"]), 2),
        }
        for row in rows
    ]


def choices(user: User) -> dict[str, list[tuple[int, str]]]:
    """What the filter selects offer: every team to managers, an agent's own teams to them."""
    teams = Team.objects.all() if user.is_manager else Team.objects.filter(members=user)
    return {
        "teams": [(t.pk, f"{t.name} (L{t.tier})") for t in teams.order_by("tier", "name")],
        "categories": [(c.pk, str(c)) for c in Category.objects.select_related("parent")],
        "services": list(Service.objects.order_by("name").values_list("id", "name")),
    }
