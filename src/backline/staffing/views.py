"""Staffing pages for managers and team leads: the Erlang C forecast of a team (HTMX updates,
a heat-map and a chart), its validation by simulation, and the team schedule editor."""

from __future__ import annotations

from typing import Any, cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from backline.accounts.models import User
from backline.core.errors import Conflict, DomainError, PermissionDenied
from backline.staffing import queries, rules, services

_PARAMS = (
    ("target_share", float, 0.8),
    ("target_minutes", float, 30.0),
    ("weeks", int, queries.DEFAULT_WEEKS),
    ("volume_pct", float, 0.0),
    ("handle_pct", float, 0.0),
)


def _params(request: HttpRequest) -> tuple[dict[str, Any], dict[str, str]]:
    """The forecast inputs from the query string; unreadable ones are reported per field."""
    values: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for name, kind, default in _PARAMS:
        raw = request.GET.get(name, "").strip().replace(",", ".")
        try:
            if name == "target_share" and raw.endswith("%"):  # "80 %" reads as 0.8
                values[name] = float(raw[:-1]) / 100
            else:
                values[name] = kind(raw) if raw else default
        except ValueError:
            errors[name] = "Enter a number."
            values[name] = default
    return values, errors


def _user(request: HttpRequest) -> User:
    return cast(User, request.user)  # every view is behind login_required


def _heatmap(result: queries.Forecast) -> list[dict]:
    rows = []
    for day, label in enumerate(rules.DAY_LABELS):
        cells = []
        for h in result.hours[day * 24 : day * 24 + 24]:
            if h.required is None:
                state = "unknown"
            elif h.required == 0 and h.scheduled == 0:
                state = "idle"
            elif h.gap is not None and h.gap < 0:
                state = "short"
            else:
                state = "ok"
            cells.append({"hour": h, "state": state})
        rows.append({"label": label, "cells": cells})
    return rows


def _chart(result: queries.Forecast) -> dict:
    return {
        "labels": [h.label for h in result.hours],
        "required": [h.required for h in result.hours],
        "scheduled": [h.scheduled for h in result.hours],
        "arrivals": [round(h.rate, 3) for h in result.hours],
    }


def _context(request: HttpRequest) -> dict[str, Any]:
    teams = list(queries.teams_for_planner(_user(request)))
    if not teams:
        raise PermissionDenied("Only managers and team leads can see staffing forecasts.")
    slug = request.GET.get("team") or next((t.slug for t in teams if t.tier == 2), teams[0].slug)
    team = queries.team_for_planner(_user(request), slug)
    values, errors = _params(request)
    context: dict[str, Any] = {
        "title": "Staffing forecast",
        "teams": teams,
        "team": team,
        "values": values,
        "errors": errors,
        "result": None,
        "validation": None,
    }
    if errors:
        return context
    try:
        result = queries.forecast(team, **values)
    except DomainError as exc:
        errors[exc.field or "team"] = exc.message
        return context
    context.update(
        result=result,
        heatmap=_heatmap(result),
        chart=_chart(result),
        hours=range(24),
        busiest=queries.busiest_hours(result),
        query=request.GET.urlencode(),
    )
    return context


@login_required
@require_GET
def forecast(request: HttpRequest) -> HttpResponse:
    context = _context(request)
    status = 422 if context["errors"] else 200
    if request.headers.get("HX-Request"):
        return render(request, "staffing/forecast.html#result", context, status=status)
    return render(request, "staffing/forecast.html", context, status=status)


@login_required
@require_GET
def validate(request: HttpRequest) -> HttpResponse:
    """Formula against simulation for the busiest hours of the forecast shown."""
    context = _context(request)
    rows = queries.validate(context["result"]) if context["result"] is not None else []
    context["validation"] = rows
    return render(request, "staffing/forecast.html#validation", context)


def _editor_rows(team, post=None) -> list[dict]:
    rows = []
    for row in queries.schedule_rows(team):
        uid = row["user"].pk
        days = []
        for day, label in zip(rules.WEEKDAYS, rules.DAY_LABELS, strict=True):
            name = f"u{uid}-{day}"
            saved = rules.format_spans(row["week"].get(day))
            value = saved if post is None else post.get(name, "")
            days.append({"day": day, "label": label, "name": name, "value": value, "error": ""})
        version = row["version"] if post is None else post.get(f"u{uid}-version", row["version"])
        rows.append({**row, "days": days, "version": version})
    return rows


def _save_rows(request: HttpRequest, team, rows: list[dict]) -> int | None:
    """Save the edited rows; None when saved, else the status code of the refusal."""
    payload = []
    for row in rows:
        week: dict[str, list[list[str]]] = {}
        for cell in row["days"]:
            try:
                week[cell["day"]] = rules.parse_spans(cell["value"])
            except ValueError as exc:
                cell["error"] = str(exc)
        try:
            version = int(row["version"])
        except (TypeError, ValueError):
            version = None
        payload.append({"user": row["user"].pk, "week": week, "version": version})
    if any(cell["error"] for row in rows for cell in row["days"]):
        return 422
    try:
        services.team_schedule_replace(actor=_user(request), team=team, rows=payload)
    except DomainError as exc:
        _place_error(rows, exc)
        return exc.status if isinstance(exc, Conflict) else 422
    return None


def _place_error(rows: list[dict], exc: DomainError) -> None:
    # Service fields look like "members.3.week.mon": show the message in that cell.
    parts = (exc.field or "").split(".")
    if len(parts) == 4 and parts[1].isdecimal() and int(parts[1]) < len(rows):
        for cell in rows[int(parts[1])]["days"]:
            if cell["day"] == parts[3]:
                cell["error"] = exc.message.split(": ", 1)[-1]
                return
    if rows:
        rows[0]["form_error"] = exc.message


@login_required
@require_http_methods(["GET", "POST"])
def schedule_edit(request: HttpRequest, slug: str) -> HttpResponse:
    team = queries.team_for_planner(_user(request), slug)
    rows = _editor_rows(team, request.POST if request.method == "POST" else None)
    status = 200
    error = None
    if request.method == "POST":
        refused = _save_rows(request, team, rows)
        if refused is None:
            messages.success(request, f"Schedule of {team.name} saved.")
            return redirect("staffing:schedule", slug=team.slug)
        status = refused
        error = next((r.get("form_error") for r in rows if r.get("form_error")), None)
    context = {
        "title": f"Schedule · {team.name}",
        "team": team,
        "rows": rows,
        "error": error,
        "days": rules.DAY_LABELS,
    }
    return render(request, "staffing/schedule.html", context, status=status)
