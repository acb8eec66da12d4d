"""The Level 2 dashboard, the tickets behind each number, exports and the warning thresholds.
Views parse the filters and call the dashboard and query functions; nothing here computes."""

from __future__ import annotations

import csv
import json
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.serializers.json import DjangoJSONEncoder
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from backline.accounts.models import User
from backline.analytics import dashboard, queries, rules, services
from backline.analytics.filters import Filters, parse, require_scope
from backline.core.errors import DomainError
from backline.tickets.permissions import require_staff
from backline.tickets.queries import paginate

PERIOD_LABELS = {
    "7d": "Last 7 days",
    "30d": "Last 30 days",
    "90d": "Last 90 days",
    "182d": "Last 6 months",
    "365d": "Last 12 months",
    "custom": "Custom dates",
}


def _default_team(user: User) -> int | None:
    """Agents open their own L2 (or highest) team's view; managers open everyone's."""
    if user.is_manager:
        return None
    team = user.teams.order_by("-tier", "name").first()
    return team.pk if team else None


def _filters(request: HttpRequest) -> tuple[Filters | None, DomainError | None]:
    data: dict[str, Any] = request.GET.dict()
    if "team" not in data and data.get("view") != "all":
        team = _default_team(request.user)
        if team:
            data["team"] = str(team)
    try:
        filters = parse(data)
    except DomainError as exc:
        return None, exc
    return require_scope(request.user, filters), None  # 403 for another team's numbers


def _context(request: HttpRequest, filters: Filters) -> dict[str, Any]:
    # Facts of tickets changed since the worker's last sweep are rebuilt first, so a manager
    # who just resolved a ticket sees it counted.
    services.facts_sync(limit=2000)
    data = dashboard.build(filters)
    return {
        "title": "Level 2 dashboard",
        "f": filters,
        "d": data,
        "periods": PERIOD_LABELS,
        "choices": queries.choices(request.user),
        "my_teams": list(request.user.teams.order_by("-tier", "name")),
        "age_buckets": rules.AGE_BUCKETS,
        "export_query": filters.query(),
    }


@login_required
@require_GET
def dashboard_page(request: HttpRequest) -> HttpResponse:
    require_staff(request.user, "see the dashboard")
    filters, error = _filters(request)
    if filters is None:
        context = {
            "title": "Level 2 dashboard",
            "error": error,
            "periods": PERIOD_LABELS,
            "choices": queries.choices(request.user),
            "f": parse({}),
        }
        return render(request, "analytics/dashboard.html", context, status=422)
    context = _context(request, filters)
    if request.htmx and request.htmx.target == "dashboard":
        return render(request, "analytics/dashboard.html#body", context)
    return render(request, "analytics/dashboard.html", context)


@login_required
@require_GET
def tickets_page(request: HttpRequest) -> HttpResponse:
    require_staff(request.user, "see the dashboard")
    filters, error = _filters(request)
    key = request.GET.get("show", "")
    if filters is None or key not in queries.SHOW:
        message = str(error) if error else f"Unknown number {key!r}."
        return render(
            request, "analytics/tickets.html", {"title": "Tickets", "error": message}, status=422
        )
    services.facts_sync(limit=2000)
    rows = queries.show_tickets(filters, key, request.user)
    page = paginate(rows, request.GET.get("page"), 50)
    context = {
        "title": queries.SHOW[key].label,
        "label": queries.SHOW[key].label,
        "f": filters,
        "key": key,
        "page": page,
        "back": filters.query(),
        "period_label": PERIOD_LABELS.get(filters.period, ""),
    }
    return render(request, "analytics/tickets.html", context)


def _cell(value: Any) -> Any:
    return "" if value is None else value


@login_required
@require_GET
def export(request: HttpRequest, name: str, fmt: str) -> HttpResponse:
    require_staff(request.user, "export the dashboard")
    if fmt not in ("csv", "json"):
        raise Http404("Exports are csv or json")
    filters, error = _filters(request)
    if filters is None:
        return HttpResponse(str(error), status=422, content_type="text/plain")
    services.facts_sync(limit=2000)
    if name == "summary":
        data = dashboard.build(filters)
        table = {
            "columns": ["metric", "value", "previous", "change"],
            "rows": [
                {
                    "metric": c["key"],
                    "value": c["value"],
                    "previous": c["previous"],
                    "change": c["change"],
                }
                for c in data["cards"]
            ],
        }
    else:
        tables = dashboard.tables(filters)
        if name not in tables:
            raise Http404(f"No table {name}")
        table = tables[name]
    filename = f"backline-{name}-{filters.start:%Y%m%d}-{filters.end:%Y%m%d}.{fmt}"
    if fmt == "json":
        body = json.dumps(
            {"filters": filters.params(), "columns": table["columns"], "rows": table["rows"]},
            cls=DjangoJSONEncoder,
            indent=1,
        )
        response = HttpResponse(body, content_type="application/json")
    else:
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        writer = csv.writer(response)
        writer.writerow(table["columns"])
        for row in table["rows"]:
            writer.writerow([_cell(row.get(col)) for col in table["columns"]])
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@login_required
@require_http_methods(["GET", "POST"])
def warning_settings(request: HttpRequest) -> HttpResponse:
    require_staff(request.user, "see warning thresholds")
    errors: dict[str, str] = {}
    if request.method == "POST":
        wanted: dict[str, tuple[float, bool]] = {}
        for rule in rules.WARNING_RULES:
            raw = request.POST.get(f"{rule.key}-threshold", "").strip()
            try:
                value = float(raw)
            except ValueError:
                errors[rule.key] = "Give a number, e.g. 0.2 for 20 %."
                continue
            wanted[rule.key] = (value, bool(request.POST.get(f"{rule.key}-enabled")))
        if not errors:
            try:
                services.warning_thresholds_save(actor=request.user, values=wanted)
            except DomainError as exc:
                errors[exc.field or ""] = str(exc)
        if not errors:
            messages.success(request, "Warning thresholds saved.")
            return redirect("analytics:warnings")
    limits = dashboard.thresholds()
    rows = [
        {"rule": rule, "limit": limits[rule.key], "error": errors.get(rule.key)}
        for rule in rules.WARNING_RULES
    ]
    status = 422 if errors else 200
    context = {"title": "Early-warning thresholds", "rows": rows}
    return render(request, "analytics/warnings.html", context, status=status)
