"""The weekly operations report as a page: any week (`?week=2026-03-02`), with links to the
weeks before and after. The report itself is built in analytics.report."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from backline.analytics import report, services
from backline.core.errors import DomainError
from backline.tickets.permissions import require_staff


@login_required
@require_GET
def weekly_report_page(request: HttpRequest) -> HttpResponse:
    require_staff(request.user, "see the weekly report")
    now = timezone.now()
    try:
        monday = report.week_parse(request.GET.get("week"), now=now)
        filters = report.week_filters(monday)
    except DomainError as exc:
        failed = {"title": "Weekly operations report", "error": str(exc)}
        return render(request, "analytics/report_page.html", failed, status=422)
    services.facts_sync(limit=2000)
    latest = report.week_start(report.weekly_period(now))
    following = monday + timedelta(days=7)
    context: dict[str, Any] = {
        "title": "Weekly operations report",
        "report": report.weekly_report(filters),
        "previous_week": monday - timedelta(days=7),
        # Only complete weeks are offered; a later one can still be asked for by its date.
        "next_week": following if following <= latest else None,
    }
    return render(request, "analytics/report_page.html", context)
