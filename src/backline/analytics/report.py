"""The weekly operations report: the dashboard's headline numbers, warnings and top tables for the
last complete Monday–Sunday week, shown at /analytics/report/weekly and emailed to managers by
the worker every Monday morning.

Exactly once per week and manager: each report email's Message-ID is derived from the week and
the recipient (`<weekly-report-20260302-17@domain>`), and OutboundEmail.message_id is unique, so
a repeated sweep or a second worker finds the row already there and queues nothing."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse

from backline.analytics import dashboard, rules
from backline.analytics import services as analytics_services
from backline.analytics.filters import Filters, parse
from backline.core.errors import DomainError
from backline.mailout import queries as mail_queries
from backline.mailout import services as mail_services
from backline.mailout.choices import EmailKind

# The tables of the dashboard the report carries, in the order it shows them.
REPORT_TABLES = ("sla", "backlog", "bounces", "recurring", "csat_tier")
# The report of a week goes out from this local time on the Monday after it.
SEND_FROM = time(7, 0)


def _tz() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def week_filters(monday: date) -> Filters:
    """The Monday–Sunday week starting `monday`, as whole local days."""
    sunday = monday + timedelta(days=6)
    return parse({"start": monday.isoformat(), "end": sunday.isoformat()})


def weekly_period(now: datetime) -> Filters:
    """The last complete Monday–Sunday week (in settings.TIME_ZONE) before `now`."""
    today = now.astimezone(_tz()).date()
    this_monday = today - timedelta(days=today.weekday())
    return week_filters(this_monday - timedelta(days=7))


def week_start(filters: Filters) -> date:
    """The local Monday a week's filters start on."""
    return filters.start.astimezone(_tz()).date()


def week_parse(raw: str | None, *, now: datetime) -> date:
    """The Monday of the week named by `?week=` (any day of it); the last complete week when
    empty. A bad date raises DomainError naming `week`."""
    if not raw:
        return week_start(weekly_period(now))
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        raise DomainError("week must be a date like 2026-03-02.", field="week") from None
    return day - timedelta(days=day.weekday())


def _tickets_url(filters: Filters, **extra: Any) -> str:
    params = filters.params(**extra)
    return mail_services.desk_url(f"{reverse('analytics:tickets')}?{urlencode(params)}")


def _table_links(filters: Filters, name: str, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The table's rows, each with the absolute links of its numbers."""
    out = []
    for row in rows:
        links: dict[str, str] = {}
        if name == "sla":
            for outcome in ("met", "breached"):
                links[outcome] = _tickets_url(filters, show=f"{outcome}:{row['target']}")
        elif name == "backlog":
            team = row["team_id"]
            links["total"] = _tickets_url(filters, team=team, show="backlog")
            for key, *_ in rules.AGE_BUCKETS:
                links[key] = _tickets_url(filters, team=team, show=f"backlog:{key}")
        elif name == "bounces":
            links["bounces"] = _tickets_url(filters, show="bounced")
        elif name == "recurring":
            links["incidents"] = mail_services.desk_url(row["url"])
        elif name == "csat_tier":
            links["rated"] = _tickets_url(filters, show=f"rated_t{row['key']}")
        out.append({**row, "links": links})
    return out


def weekly_report(filters: Filters) -> dict[str, Any]:
    """The report's context: headline cards, warnings and top tables, all from dashboard.build,
    with an absolute link to the tickets behind every number."""
    data = dashboard.build(filters)
    tz = _tz()
    tables = {}
    for name in REPORT_TABLES:
        table = data["tables"][name]
        rows = table["rows"]
        if name == "sla":
            rows = [row for row in rows if row["decided"]]
        tables[name] = {**table, "rows": _table_links(filters, name, rows)}
    return {
        "filters": filters,
        "week_start": filters.start.astimezone(tz).date(),
        "week_end": (filters.end.astimezone(tz) - timedelta(seconds=1)).date(),
        "cards": [{**c, "url": _tickets_url(filters, show=c["show"])} for c in data["cards"]],
        "warnings": [{**w, "url": _tickets_url(filters, show=w["show"])} for w in data["warnings"]],
        "summary": data["summary"],
        "tables": tables,
        "age_buckets": rules.AGE_BUCKETS,
        "dashboard_url": mail_services.desk_url(
            f"{reverse('analytics:dashboard')}?{filters.query(view='all')}"
        ),
        "report_url": mail_services.desk_url(
            f"{reverse('analytics:weekly_report')}?week={week_start(filters).isoformat()}"
        ),
    }


def report_subject(report: dict[str, Any]) -> str:
    start, end = report["week_start"], report["week_end"]
    return f"Weekly operations report: {start:%-d %b} – {end:%-d %b %Y}"


def report_render(report: dict[str, Any]) -> tuple[str, str]:
    """(plain text, HTML) bodies of the report email."""
    context = {**report, "preferences_url": mail_services.preferences_url()}
    text = render_to_string("analytics/report_email.txt", context).strip() + "\n"
    html = render_to_string("analytics/report_email.html", context)
    return text, html


def _message_key(monday: date, user_id: int) -> str:
    return f"weekly-report-{monday:%Y%m%d}-{user_id}"


def weekly_report_send(*, now: datetime) -> dict[str, int]:
    """The worker's sweep: from Monday 07:00 local, queue the report of the week just ended for
    every manager who receives it — once per week and manager, however often it runs."""
    if not mail_services.mail_enabled():
        return {}
    filters = weekly_period(now)
    local = now.astimezone(_tz())
    this_monday = week_start(filters) + timedelta(days=7)
    if local < datetime.combine(this_monday, SEND_FROM, _tz()):
        return {}
    monday = week_start(filters)
    recipients = mail_queries.receiving(EmailKind.WEEKLY_REPORT)
    keys = {user.pk: _message_key(monday, user.pk) for user in recipients}
    # Cheap check first: the sweep runs every minute and the report is costly to compute.
    done = mail_queries.message_keys_queued(keys.values())
    missing = [user for user in recipients if keys[user.pk] not in done]
    if not missing:
        return {}
    analytics_services.facts_sync()
    report = weekly_report(filters)
    subject = report_subject(report)
    text, html = report_render(report)
    queued = 0
    for user in missing:
        email = mail_services.email_queue(
            recipient=user,
            kind=EmailKind.WEEKLY_REPORT,
            subject=subject,
            text_body=text,
            html_body=html,
            message_key=keys[user.pk],
            at=now,
        )
        queued += email is not None
    return {"queued": queued} if queued else {}
