"""Change pages and the ticket-page change actions. Views parse input and call services; a
refusal becomes a form error or a message, a conflict a message naming who changed it."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRefresh

from backline.changes import queries, rules, services
from backline.changes.choices import CauseKind
from backline.changes.filters import ChangeFilter
from backline.changes.forms import ChangeFilterForm, ChangeForm, LinkForm, TransitionForm
from backline.changes.models import Change
from backline.core.errors import Conflict, DomainError
from backline.core.forms import add_domain_error
from backline.tickets.permissions import require_staff
from backline.tickets.queries import paginate, ticket_get

WINDOWS = ((24, "24 h"), (72, "72 h"), (168, "7 d"))


@login_required
@require_GET
def change_list(request: HttpRequest) -> HttpResponse:
    require_staff(request.user, "see changes")
    form = ChangeFilterForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    flt = ChangeFilter(
        q=data.get("q") or "",
        state=data.get("state") or None,
        kind=data.get("kind") or None,
        source=data.get("source") or None,
        ci=data["ci"].pk if data.get("ci") else None,
        team=data["team"].pk if data.get("team") else None,
        start=data.get("start"),
        end=data.get("end"),
    )
    page = paginate(queries.change_list(request.user, flt), request.GET.get("page"), 25)
    now = timezone.now()
    context = {
        "title": "Changes",
        "form": form,
        "page": page,
        "metric": queries.change_induced_rate(now - timedelta(days=30), now),
    }
    return render(request, "changes/list.html", context)


@login_required
@require_GET
def change_detail(request: HttpRequest, number: str) -> HttpResponse:
    change = queries.change_get(request.user, number)
    incidents = queries.change_incidents(change, request.user)
    context = {
        "title": f"{change.number} {change.title}",
        "change": change,
        "cis": queries.change_cis(change),
        "incidents": incidents,
        "caused": sum(1 for link in incidents if link.kind == CauseKind.CONFIRMED),
        "history": queries.change_history(change, request.user),
        "actions": [
            (a, rules.ACTION_LABELS[a])
            for a in rules.available_actions(
                kind=change.kind,
                state=change.state,
                approved=change.approved_by_id is not None,
                manager=request.user.is_manager,
            )
        ],
        "awaiting_approval": change.kind == "normal"
        and change.state == "planned"
        and not request.user.is_manager,
    }
    return render(request, "changes/detail.html", context)


def _fields(form: ChangeForm) -> dict[str, Any]:
    return {k: form.cleaned_data.get(k) for k in services.EDITABLE_FIELDS}


@login_required
@require_http_methods(["GET", "POST"])
def change_create(request: HttpRequest) -> HttpResponse:
    require_staff(request.user, "record changes")
    form = ChangeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in _fields(form).items() if v is not None}
        data["cis"] = form.cleaned_data["cis"]
        try:
            change = services.change_create(actor=request.user, **data)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, f"{change.number} planned.")
            return redirect(change.get_absolute_url())
    status = 422 if request.method == "POST" else 200
    return render(
        request, "changes/form.html", {"form": form, "title": "New change"}, status=status
    )


@login_required
@require_http_methods(["GET", "POST"])
def change_edit(request: HttpRequest, number: str) -> HttpResponse:
    change = queries.change_get(request.user, number)
    initial: dict[str, Any] = {
        f: getattr(change, f) for f in services.EDITABLE_FIELDS if f != "cis"
    }
    initial["cis"] = list(change.cis.all())
    initial["version"] = change.version
    form = ChangeForm(request.POST or None, initial=initial)
    conflict = ""
    if request.method == "POST" and form.is_valid():
        changed = {k: v for k, v in _fields(form).items() if k in form.changed_data}
        for text in ("description", "backout_plan", "external_ref"):
            if text in changed and changed[text] is None:
                changed[text] = ""
        try:
            change = services.change_update(
                actor=request.user,
                change=change,
                version=form.cleaned_data.get("version"),
                **changed,
            )
        except Conflict as exc:
            conflict = exc.message
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, f"{change.number} saved.")
            return redirect(change.get_absolute_url())
    status = 422 if request.method == "POST" else 200
    context = {
        "form": form,
        "change": change,
        "conflict": conflict,
        "title": f"Edit {change.number}",
    }
    return render(request, "changes/form.html", context, status=status)


@login_required
@require_POST
def change_transition(request: HttpRequest, number: str) -> HttpResponse:
    change = queries.change_get(request.user, number)
    form = TransitionForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose an action.")
        return redirect(change.get_absolute_url())
    try:
        change = services.change_transition(
            actor=request.user,
            change=change,
            action=form.cleaned_data["action"],
            note=form.cleaned_data["note"],
            version=form.cleaned_data["version"],
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        done = "approved" if form.cleaned_data["action"] == "approve" else "updated"
        messages.success(
            request, f"{change.number} {done}: now {change.get_state_display().lower()}."
        )
    return redirect(change.get_absolute_url())


# --- on the ticket page -------------------------------------------------------------------------


@login_required
@require_GET
def ticket_what_changed(request: HttpRequest, number: str) -> HttpResponse:
    """The ranked candidates (an HTMX fragment of the ticket panel, or a page of its own)."""
    ticket = ticket_get(request.user, number)
    require_staff(request.user, "see what changed")
    error = ""
    try:
        hours = rules.parse_hours(request.GET.get("hours"))
    except DomainError as exc:
        error, hours = exc.message, 72
    context = {
        "ticket": ticket,
        "hours": hours,
        "error": error,
        "windows": WINDOWS,
        "candidates": queries.what_changed(ticket, hours=hours),
        "has_context": ticket.ci_id is not None or ticket.service_id is not None,
    }
    if request.htmx:
        return render(request, "changes/panels/candidates.html", context)
    context["title"] = f"What changed before {ticket.number}?"
    return render(request, "changes/what_changed.html", context)


@login_required
@require_GET
def ticket_affected(request: HttpRequest, number: str) -> HttpResponse:
    ticket = ticket_get(request.user, number)
    require_staff(request.user, "see the CIs behind a ticket")
    context = {"ticket": ticket, "affected": queries.ticket_affected(ticket)}
    return render(request, "changes/panels/affected_list.html", context)


def _back(request: HttpRequest, ticket: Any) -> HttpResponse:
    return HttpResponseClientRefresh() if request.htmx else redirect(ticket)


@login_required
@require_POST
def ticket_link(request: HttpRequest, number: str) -> HttpResponse:
    ticket = ticket_get(request.user, number)
    form = LinkForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose a change and whether it is a suspected or confirmed cause.")
        return _back(request, ticket)
    try:
        change = queries.change_get(request.user, form.cleaned_data["change"])
        link = services.ticket_change_link(
            actor=request.user, ticket=ticket, change=change, kind=form.cleaned_data["kind"]
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request, f"{change.number} linked as the {link.get_kind_display().lower()}."
        )
    return _back(request, ticket)


@login_required
@require_POST
def ticket_unlink(request: HttpRequest, number: str) -> HttpResponse:
    ticket = ticket_get(request.user, number)
    try:
        change: Change = queries.change_get(request.user, request.POST.get("change", ""))
        services.ticket_change_unlink(actor=request.user, ticket=ticket, change=change)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"{change.number} is no longer linked as a cause.")
    return _back(request, ticket)
