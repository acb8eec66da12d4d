"""Worklog pages: the ticket panel's log and delete actions (HTMX, re-rendering the panel in place)
and "my time" at /worklog/. Views parse input and call services; refusals become form errors."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from backline.accounts.choices import STAFF_ROLES
from backline.accounts.models import Team, User
from backline.core.errors import DomainError
from backline.core.forms import add_domain_error
from backline.tickets.models import Ticket
from backline.tickets.permissions import require_staff
from backline.tickets.queries import paginate, ticket_get
from backline.worklog import panels, queries, rules, services
from backline.worklog.forms import ReportForm, TimeEntryForm

PAGE_SIZE = 50


def _panel(request: HttpRequest, ticket: Ticket, status: int = 200, **extra: Any) -> HttpResponse:
    p = panels.time_context(request, ticket, **extra)
    return render(request, "worklog/panels/time.html", {"ticket": ticket, "p": p}, status=status)


def _back(request: HttpRequest, ticket: Ticket, status: int = 200, **extra: Any) -> HttpResponse:
    """HTMX gets the panel; a plain form post goes back to the ticket page."""
    if request.htmx:
        return _panel(request, ticket, status, **extra)
    if extra.get("message"):
        messages.success(request, extra["message"])
    elif extra.get("error") or extra.get("form"):
        form = extra.get("form")
        text = extra.get("error") or "; ".join(
            str(e) for errors in (form.errors.values() if form else []) for e in errors
        )
        messages.error(request, text)
    return redirect(ticket.get_absolute_url() + "#worklog")


@login_required
@require_POST
def entry_log(request: HttpRequest, number: str) -> HttpResponse:
    ticket = ticket_get(request.user, number)
    require_staff(request.user, "log time")
    form = TimeEntryForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            entry = services.time_entry_log(
                actor=request.user,
                ticket=ticket,
                minutes=data["duration"],
                note=data["note"],
                spent_at=data["spent_at"],
            )
        except DomainError as exc:
            add_domain_error(form, exc)
            return _back(request, ticket, exc.status, form=form)
        message = f"Logged {rules.format_duration(entry.minutes)}."
        return _back(request, ticket, message=message)
    return _back(request, ticket, 422, form=form)


@login_required
@require_POST
def entry_delete(request: HttpRequest, pk: int) -> HttpResponse:
    entry = queries.entry_get(request.user, pk)
    ticket = entry.ticket
    try:
        services.time_entry_delete(actor=request.user, entry=entry)
    except DomainError as exc:
        return _back(request, ticket, exc.status, error=exc.message)
    message = f"Removed {rules.format_duration(entry.minutes)}."
    return _back(request, ticket, message=message)


def _report_filter(request: HttpRequest, form: ReportForm) -> queries.ReportFilter:
    today = timezone.localdate()
    monday, sunday = queries.week_bounds(today)
    data = form.cleaned_data if form.is_valid() else {}
    flt = queries.ReportFilter(
        date_from=data.get("date_from") or monday,
        date_to=data.get("date_to") or sunday,
    )
    if request.user.is_manager:
        flt.user = data.get("user")
        flt.team = data.get("team")
    else:
        flt.user = request.user.pk
    return flt


@login_required
@require_GET
def mine(request: HttpRequest) -> HttpResponse:
    """My time this week (or the chosen range) per day and ticket; managers pick person or team."""
    require_staff(request.user, "see time worked")
    form = ReportForm(request.GET or None)
    flt = _report_filter(request, form)
    context: dict[str, Any] = {"title": "Time worked", "form": form, "flt": flt, "error": ""}
    if form.errors:
        context["error"] = "; ".join(str(e) for errors in form.errors.values() for e in errors)
    try:
        qs = queries.report_entries(request.user, flt)
    except DomainError as exc:
        context["error"] = exc.message
        qs = queries.report_entries(
            request.user, queries.ReportFilter(user=request.user.pk, date_from=None)
        ).none()
    context.update(
        totals=queries.report_totals(qs),
        breakdown=queries.per_day_and_ticket(qs),
        page=paginate(qs, request.GET.get("page"), PAGE_SIZE),
        monday=queries.week_bounds(timezone.localdate())[0],
    )
    if request.user.is_manager:
        context["people"] = User.objects.filter(
            role__in=list(STAFF_ROLES), is_active=True
        ).order_by("first_name", "last_name", "username")
        context["teams"] = Team.objects.order_by("tier", "name")
    status = 422 if context["error"] else 200
    return render(request, "worklog/mine.html", context, status=status)
