"""Settings pages for managers: SLA policies and business calendars."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from backline.core.errors import DomainError
from backline.core.forms import add_domain_error
from backline.sla import queries, services
from backline.sla.forms import CalendarForm, PolicyForm


@login_required
@require_GET
def policy_list(request: HttpRequest) -> HttpResponse:
    services.require_sla_manager(request.user)
    rows = [
        {"policy": p, "conditions": queries.policy_conditions(p)} for p in queries.policies_all()
    ]
    return render(request, "sla/policies.html", {"rows": rows, "title": "SLA policies"})


@login_required
@require_http_methods(["GET", "POST"])
def policy_edit(request: HttpRequest, policy_id: int | None = None) -> HttpResponse:
    services.require_sla_manager(request.user)
    policy = queries.policy_get(policy_id) if policy_id else None
    initial = PolicyForm.initial_for(policy) if policy else None
    form = PolicyForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.sla_policy_save(
                actor=request.user, policy=policy, changes=form.changes()
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, f"Policy “{saved.name}” saved.")
            return redirect("sla:policies")
    title = f"Edit policy · {policy.name}" if policy else "New SLA policy"
    status = 422 if request.method == "POST" else 200
    context = {"form": form, "policy": policy, "title": title}
    return render(request, "sla/policy_form.html", context, status=status)


@login_required
@require_GET
def calendar_list(request: HttpRequest) -> HttpResponse:
    services.require_sla_manager(request.user)
    rows = [
        {"calendar": c, "week": queries.week_lines(c)}
        for c in queries.calendars_all().prefetch_related("policies")
    ]
    return render(request, "sla/calendars.html", {"rows": rows, "title": "Business calendars"})


@login_required
@require_http_methods(["GET", "POST"])
def calendar_edit(request: HttpRequest, calendar_id: int | None = None) -> HttpResponse:
    services.require_sla_manager(request.user)
    record = queries.calendar_get(calendar_id) if calendar_id else None
    initial = CalendarForm.initial_for(record) if record else None
    form = CalendarForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.business_calendar_save(
                actor=request.user, calendar=record, changes=form.changes()
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, f"Calendar “{saved.name}” saved.")
            return redirect("sla:calendars")
    title = f"Edit calendar · {record.name}" if record else "New business calendar"
    status = 422 if request.method == "POST" else 200
    context = {"form": form, "calendar": record, "title": title}
    return render(request, "sla/calendar_form.html", context, status=status)
