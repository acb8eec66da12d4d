"""Escalation pages: the escalate dialog, the team inbox, de-escalation, policies, metrics."""

from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect

from backline.accounts.queries import team_ids_of, teams_all
from backline.core.errors import Conflict, DomainError, PermissionDenied
from backline.core.forms import add_domain_error
from backline.core.time import local_day_range, parse_day
from backline.escalation import queries, services
from backline.escalation.choices import PackagePart
from backline.escalation.forms import (
    AcceptForm,
    DeescalateForm,
    EscalateForm,
    HandoffPolicyForm,
    ReturnForm,
)
from backline.tickets import queries as ticket_queries
from backline.tickets.permissions import require_staff


def _suggested_team(ticket):
    try:
        from backline.tickets.routing import suggest_team
    except ImportError:  # routing rules not installed
        return None
    return suggest_team(ticket, min_tier=ticket.tier + 1)


def _back_to_ticket(request: HttpRequest, ticket, message: str) -> HttpResponse:
    messages.success(request, message)
    if request.htmx:
        return HttpResponseClientRedirect(ticket.get_absolute_url())
    return redirect(ticket)


@login_required
@require_http_methods(["GET", "POST"])
def escalate(request: HttpRequest, number: str) -> HttpResponse:
    ticket = ticket_queries.ticket_get(request.user, number)
    require_staff(request.user, "escalate tickets")
    teams = queries.escalation_targets(ticket)
    attachments = ticket.attachments.order_by("id")
    form_kwargs = {"teams": teams, "attachments": attachments}
    if request.method == "POST":
        form = EscalateForm(request.POST, **form_kwargs)
        if form.is_valid():
            data = dict(form.cleaned_data)
            evidence = data.pop("evidence")
            try:
                services.escalation_create(
                    actor=request.user,
                    ticket=ticket,
                    to_team=data.pop("to_team"),
                    version=data.pop("version"),
                    evidence_ids=[a.pk for a in evidence],
                    **data,
                )
            except Conflict as exc:
                form.add_error(None, exc.message)
            except DomainError as exc:
                add_domain_error(form, _as_form_errors(exc))
            else:
                return _back_to_ticket(
                    request, ticket, f"{ticket.number} escalated to {form.cleaned_data['to_team']}."
                )
    else:
        suggested = _suggested_team(ticket)
        initial = {**queries.handoff_prefill(ticket), "version": ticket.version}
        if suggested is not None:
            initial["to_team"] = suggested
        form = EscalateForm(initial=initial, **form_kwargs)
    requirements = {
        team.pk: [PackagePart(p).label for p in services.handoff_required(team)] for team in teams
    }
    context = {
        "ticket": ticket,
        "form": form,
        "requirements": requirements,
        "part_fields": _PART_FIELDS,
        "title": f"Escalate {ticket.number}",
        "pinned": ticket_queries.pinned_evidence([ticket.pk]),
    }
    template = "escalation/escalate.html#dialog" if request.htmx else "escalation/escalate.html"
    status = 422 if request.method == "POST" else 200
    return render(request, template, context, status=status)


# Which form fields carry each package part (business impact and evidence span several).
_PART_FIELDS = {
    PackagePart.SUMMARY: ["summary"],
    PackagePart.BUSINESS_IMPACT: ["impact_users", "impact_services", "impact_at_risk"],
    PackagePart.STEPS_TAKEN: ["steps_taken"],
    PackagePart.EVIDENCE: ["evidence", "log_excerpts"],
    PackagePart.REPRODUCTION_STEPS: ["reproduction_steps"],
    PackagePart.HYPOTHESIS: ["hypothesis"],
    PackagePart.URGENCY_JUSTIFICATION: ["urgency_justification"],
}


def _as_form_errors(exc: DomainError) -> DomainError:
    """Put the errors of multi-field parts on their first field, so each shows next to it."""
    errors = [
        {**e, "field": _PART_FIELDS.get(e.get("field"), [e.get("field")])[0]} for e in exc.errors
    ]
    return DomainError(exc.message, code=exc.code, field=exc.field, errors=errors)


@login_required
@require_GET
def inbox(request: HttpRequest) -> HttpResponse:
    require_staff(request.user, "see escalation inboxes")
    team_ids = [int(t) for t in request.GET.getlist("team") if t.isdecimal()]
    escalations = list(queries.inbox(request.user, team_ids=team_ids))
    now = timezone.now()
    context = {
        "escalations": escalations,
        "now": now,
        "teams": list(teams_all()),
        "my_team_ids": team_ids_of(request.user),
        "selected": team_ids,
        "accept_form": AcceptForm(),
        "return_form": ReturnForm(),
        "title": "Escalation inbox",
    }
    return render(request, "escalation/inbox.html", context)


def _render_card(request: HttpRequest, escalation, status: int = 200, **extra) -> HttpResponse:
    context = {
        "e": escalation,
        "accept_form": AcceptForm(),
        "return_form": ReturnForm(),
        "now": timezone.now(),
        **extra,
    }
    return render(request, "escalation/inbox.html#card", context, status=status)


@login_required
@require_POST
def accept(request: HttpRequest, escalation_id: int) -> HttpResponse:
    escalation = services.escalation_get(escalation_id)
    form = AcceptForm(request.POST)
    form.is_valid()
    try:
        services.escalation_accept(
            actor=request.user,
            escalation=escalation,
            assign_to_self=form.cleaned_data.get("assign_to_self", False),
        )
    except DomainError as exc:
        if request.htmx:
            return _render_card(request, escalation, status=exc.status, error=exc.message)
        messages.error(request, exc.message)
        return redirect("escalation:inbox")
    escalation.refresh_from_db()
    if request.htmx:
        return _render_card(request, escalation, done=f"Accepted {escalation.ticket.number}.")
    messages.success(request, f"Accepted {escalation.ticket.number}.")
    return redirect(escalation.ticket)


@login_required
@require_POST
def return_(request: HttpRequest, escalation_id: int) -> HttpResponse:
    escalation = services.escalation_get(escalation_id)
    form = ReturnForm(request.POST)
    if form.is_valid():
        try:
            services.escalation_return(
                actor=request.user,
                escalation=escalation,
                reason=form.cleaned_data["reason"],
                guidance=form.cleaned_data["guidance"],
            )
        except Conflict as exc:
            form.add_error(None, exc.message)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            escalation.refresh_from_db()
            message = (
                f"Returned {escalation.ticket.number} to {escalation.from_team or 'the sender'}."
            )
            if request.htmx:
                return _render_card(request, escalation, done=message)
            messages.success(request, message)
            return redirect("escalation:inbox")
    if request.htmx:
        return _render_card(request, escalation, status=422, return_form=form, open_return=True)
    messages.error(request, "; ".join(e for errs in form.errors.values() for e in errs))
    return redirect("escalation:inbox")


@login_required
@require_POST
def deescalate(request: HttpRequest, number: str) -> HttpResponse:
    ticket = ticket_queries.ticket_get(request.user, number)
    form = DeescalateForm(request.POST, teams=queries.deescalation_targets(ticket))
    if form.is_valid():
        try:
            services.ticket_deescalate(
                actor=request.user,
                ticket=ticket,
                to_team=form.cleaned_data["to_team"],
                note=form.cleaned_data["note"],
                version=form.cleaned_data["version"],
            )
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            return _back_to_ticket(
                request, ticket, f"Handed down to {form.cleaned_data['to_team']}."
            )
    else:
        messages.error(request, "Choose the team to hand the ticket down to.")
    if request.htmx:
        return HttpResponseClientRedirect(ticket.get_absolute_url())
    return redirect(ticket)


@login_required
@require_http_methods(["GET", "POST"])
def handoff_settings(request: HttpRequest) -> HttpResponse:
    if not request.user.is_manager:
        raise PermissionDenied("Only managers and admins can change hand-off requirements.")
    teams = list(teams_all())
    if request.method == "POST":
        team = next((t for t in teams if str(t.pk) == request.POST.get("team")), None)
        form = HandoffPolicyForm(request.POST)
        if team is not None and form.is_valid():
            services.handoff_policy_set(
                actor=request.user, team=team, required=form.cleaned_data["required"]
            )
            messages.success(request, f"Saved what {team.name} requires.")
            return redirect("escalation:handoff_settings")
        messages.error(request, "Choose a team and valid parts.")
    rows = [{"team": t, "required": services.handoff_required(t)} for t in teams]
    context = {"rows": rows, "parts": PackagePart.choices, "title": "Hand-off requirements"}
    return render(request, "escalation/handoff_settings.html", context)


@login_required
@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    require_staff(request.user, "see escalation metrics")
    try:
        start, end = local_day_range(
            parse_day(request.GET.get("start")), parse_day(request.GET.get("end"))
        )
    except DomainError as exc:
        messages.error(request, exc.message)
        start, end = local_day_range(None, None)
    start_text = timezone.localtime(start).date().isoformat()
    end_text = (timezone.localtime(end).date() - timedelta(days=1)).isoformat()
    team_ids = [int(t) for t in request.GET.getlist("team") if t.isdecimal()]
    context = {
        "m": queries.escalation_metrics(start=start, end=end, team_ids=team_ids or None),
        "start": start_text,
        "end": end_text,
        "teams": list(teams_all()),
        "selected": team_ids,
        "title": "Escalation metrics",
    }
    return render(request, "escalation/metrics.html", context)
