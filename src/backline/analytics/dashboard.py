"""The dashboard assembled from the metric queries: headline cards with their trend, the charts'
data, the tables every export and API call serves, and the early warnings."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings

from backline.analytics import queries, rules
from backline.analytics.filters import Filters
from backline.analytics.models import WarningThreshold


@dataclass(frozen=True)
class Card:
    """A headline metric: where its value is, how to show it, which tickets it counts."""

    key: str
    label: str
    fmt: str  # count, pct, minutes, hours, score
    show: str
    higher_is_better: bool | None
    note: str = ""


CARDS = (
    Card("created", "Tickets created", "count", "created", None),
    Card("escalation_rate", "Escalation rate", "pct", "reached_t2", False, "reached L2 or above"),
    Card("l1_resolution_rate", "L1 resolution rate", "pct", "l1_resolved", True),
    Card("bounce_rate", "Bounce rate", "pct", "bounced", False, "escalated tickets bounced"),
    Card("mtta_median_min", "Time to first response", "minutes", "responded", False, "median"),
    Card("accept_t2_median_min", "L2 acceptance", "minutes", "accepted_t2", False, "median"),
    Card(
        "mttr_business_median_h", "Time to resolve", "hours", "resolved", False, "median, business"
    ),
    Card(
        "sla_compliance",
        "SLA compliance",
        "pct",
        "decided:sla_resolution",
        True,
        "resolution target",
    ),
    Card("reopen_rate", "Reopen rate", "pct", "reopened", False),
    Card("recurrence_rate", "Recurrence rate", "pct", "recurring", False),
    Card("backlog", "Backlog", "count", "backlog", False, "open at the end"),
    Card("csat_share", "Satisfaction", "pct", "satisfied", True, "rated 4–5"),
    Card("kb_deflection", "KB deflection", "pct", "kb_deflected", True, "of L1 resolutions"),
    Card("l1_capable_share", "L1-capable L2 tickets", "pct", "l1_capable", False),
)


def _headline(filters: Filters, *, all_medians: bool = True) -> dict[str, Any]:
    s = queries.summary(filters, all_medians=all_medians)
    s["accept_t2_median_min"] = s["acceptance"][0]["median_min"]
    resolution = next(row for row in s["sla"] if row["target"] == "sla_resolution")
    s["sla_compliance"] = resolution["compliance"]
    s["backlog"] = queries.backlog_count(filters)
    return s


def cards(current: dict[str, Any], previous: dict[str, Any], filters: Filters) -> list[dict]:
    """Each headline metric with its previous value, change and direction."""
    out = []
    for card in CARDS:
        value, before = current.get(card.key), previous.get(card.key)
        delta = rules.change(value, before)
        mood = ""
        if delta and card.higher_is_better is not None:
            mood = "good" if (delta > 0) == card.higher_is_better else "bad"
        out.append(
            {
                "key": card.key,
                "label": card.label,
                "fmt": card.fmt,
                "value": value,
                "previous": before,
                "change": delta,
                "mood": mood,
                "note": card.note,
                "show": card.show,
                "query": filters.query(show=card.show),
            }
        )
    return out


def thresholds() -> dict[str, WarningThreshold]:
    """Every warning rule's threshold: the stored one, or the default."""
    stored = {row.key: row for row in WarningThreshold.objects.all()}
    return {
        rule.key: stored.get(rule.key)
        or WarningThreshold(key=rule.key, threshold=rule.default, enabled=True)
        for rule in rules.WARNING_RULES
    }


def tables(filters: Filters) -> dict[str, dict[str, Any]]:
    """Every table of the dashboard as columns and rows (served as HTML, CSV, JSON and API)."""
    summary = _headline(filters)
    return _tables(filters, summary)


def _tables(filters: Filters, summary: dict[str, Any]) -> dict[str, dict[str, Any]]:
    backlog = queries.backlog(filters)
    return {
        "volume": {
            "title": "Volume and escalation rate",
            "columns": ["bucket", "created", "escalated", "rate"],
            "rows": queries.volume_series(filters),
        },
        "mttr": {
            "title": "Time to resolve by priority (business hours)",
            "columns": ["priority", "resolved", "mean_h", "median_h", "wall_mean_h"],
            "rows": queries.mttr_by_priority(filters),
        },
        "sla": {
            "title": "SLA and OLA compliance",
            "columns": ["target", "label", "met", "breached", "decided", "compliance"],
            "rows": summary["sla"],
        },
        "acceptance": {
            "title": "Acceptance of escalations by tier",
            "columns": ["tier", "accepted", "mean_min", "median_min"],
            "rows": summary["acceptance"],
        },
        "backlog": {
            "title": "Backlog by team and age",
            "columns": ["team", "total", *[b["key"] for b in backlog["buckets"]]],
            "rows": [
                {
                    "team_id": row["team_id"],
                    "team": row["team"],
                    "total": row["total"],
                    **{
                        b["key"]: n for b, n in zip(backlog["buckets"], row["buckets"], strict=True)
                    },
                }
                for row in backlog["teams"]
            ],
            "buckets": backlog["buckets"],
            "totals": backlog["totals"],
        },
        "bounces": {
            "title": "Worst bounce pairs",
            "columns": ["from_team", "to_team", "tiers", "bounces", "tickets"],
            "rows": queries.bounce_pairs(filters),
        },
        "recurring": {
            "title": "Top recurring clusters",
            "columns": ["kind", "label", "title", "incidents"],
            "rows": queries.recurring_clusters(filters),
        },
        "csat_tier": {
            "title": "Satisfaction by resolving tier",
            "columns": ["label", "rated", "share", "mean"],
            "rows": queries.csat_by(filters, "resolved_tier"),
        },
        "csat_team": {
            "title": "Satisfaction by resolving team",
            "columns": ["label", "rated", "share", "mean"],
            "rows": queries.csat_by(filters, "resolved_team_id"),
        },
    }


def warnings(current: dict[str, Any], previous: dict[str, Any]) -> list[dict[str, Any]]:
    """The early warnings that fire for this period against the previous one."""
    limits = thresholds()
    fired = []
    for rule in rules.WARNING_RULES:
        limit = limits[rule.key]
        if not limit.enabled:
            continue
        message = rule.check(current, previous, limit.threshold)
        if message:
            fired.append(
                {"key": rule.key, "title": rule.title, "message": message, "show": rule.show}
            )
    return fired


def build(filters: Filters) -> dict[str, Any]:
    """Everything the dashboard page shows."""
    current = _headline(filters)
    # The previous period is only compared: its medians beyond the cards' are not read.
    previous = _headline(filters.previous(), all_medians=False)
    table_data = _tables(filters, current)
    return {
        "summary": current,
        "previous": previous,
        "cards": cards(current, previous, filters),
        "warnings": warnings(current, previous),
        "tables": table_data,
        "charts": charts(table_data, filters),
    }


def _pct(value: float | None) -> float | None:
    return None if value is None else round(value * 100, 1)


def _bucket_link(filters: Filters, first_day: str, weekly: bool) -> str:
    """The tickets created in one bucket of the volume chart (a day, or a week of the period)."""
    start = date.fromisoformat(first_day)
    last = start + timedelta(days=6 if weekly else 0)
    end_of_period = (filters.end - timedelta(seconds=1)).astimezone(ZoneInfo(settings.TIME_ZONE))
    last = min(last, end_of_period.date())
    return filters.query(
        period="custom", start=start.isoformat(), end=last.isoformat(), show="created"
    )


def charts(t: dict[str, dict[str, Any]], filters: Filters) -> dict[str, dict[str, Any]]:
    """Chart.js-ready data for each chart; `links` open the tickets behind a bar."""
    volume = t["volume"]["rows"]
    sla = [row for row in t["sla"]["rows"] if row["decided"]]
    backlog = t["backlog"]
    return {
        "volume": {
            "type": "bar",
            "labels": [row["bucket"] for row in volume],
            "datasets": [
                {"label": "Created", "data": [row["created"] for row in volume]},
                {"label": "Reached L2+", "data": [row["escalated"] for row in volume]},
                {
                    "label": "Escalation rate %",
                    "type": "line",
                    "yAxisID": "percent",
                    "data": [_pct(row["rate"]) for row in volume],
                },
            ],
            "links": [_bucket_link(filters, row["bucket"], filters.days > 62) for row in volume],
        },
        "mttr": {
            "type": "bar",
            "labels": [f"P{row['priority']}" for row in t["mttr"]["rows"]],
            "datasets": [
                {"label": "Mean (h)", "data": [row["mean_h"] for row in t["mttr"]["rows"]]},
                {"label": "Median (h)", "data": [row["median_h"] for row in t["mttr"]["rows"]]},
            ],
            "links": [
                filters.query(priority=row["priority"], show="resolved")
                for row in t["mttr"]["rows"]
            ],
        },
        "sla": {
            "type": "bar",
            "horizontal": True,
            "percent": True,
            "labels": [row["label"] for row in sla],
            "datasets": [{"label": "Met %", "data": [_pct(row["compliance"]) for row in sla]}],
            "links": [filters.query(show=f"breached:{row['target']}") for row in sla],
        },
        "backlog": {
            "type": "bar",
            "stacked": True,
            "labels": [row["team"] for row in backlog["rows"]],
            "datasets": [
                {"label": bucket["label"], "data": [row[bucket["key"]] for row in backlog["rows"]]}
                for bucket in backlog["buckets"]
            ],
            "links": [
                filters.query(team=row["team_id"], show="backlog") for row in backlog["rows"]
            ],
        },
        "csat": {
            "type": "bar",
            "percent": True,
            "labels": [row["label"] for row in t["csat_tier"]["rows"]],
            "links": [filters.query(show=f"rated_t{row['key']}") for row in t["csat_tier"]["rows"]],
            "datasets": [
                {
                    "label": "Rated 4–5 %",
                    "data": [_pct(row["share"]) for row in t["csat_tier"]["rows"]],
                }
            ],
        },
    }
