"""Known-error pages and the problem proposals from recurring incidents. Views parse input and
call services; a refusal becomes a form error or a message."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from backline.core.errors import Conflict, DomainError, NotFound, PermissionDenied
from backline.core.forms import add_domain_error
from backline.problems import known_errors as ke_services
from backline.problems import recurrence
from backline.problems.choices import KnownErrorState, ProposalState
from backline.problems.ke_forms import KnownErrorForm, TransitionForm
from backline.problems.models import Problem
from backline.tickets.permissions import require_staff
from backline.tickets.queries import paginate
from backline.tickets.rules import format_number


def problem_url(problem: Problem) -> str:
    """The problem's page (owned by the problems views; a plain path until they exist)."""
    try:
        return reverse("problems:detail", args=[problem.number])
    except NoReverseMatch:
        return f"/problems/{problem.number}"


def _problem(user: Any, ref: str) -> Problem:
    require_staff(user, "see problems")
    text = ref.strip().upper().removeprefix("PRB-")
    problem = Problem.objects.filter(pk=text).first() if text.isdecimal() else None
    if problem is None:
        raise NotFound(f"No problem {ref}.", field="problem")
    return problem


@login_required
@require_GET
def known_error_list(request: HttpRequest) -> HttpResponse:
    require_staff(request.user, "see known errors")
    state = request.GET.get("state", "")
    state = state if state in KnownErrorState.values else ""
    q = request.GET.get("q", "")[:200]
    page = paginate(
        ke_services.known_error_list(request.user, q=q, state=state), request.GET.get("page"), 25
    )
    return render(
        request,
        "problems/known_errors/list.html",
        {
            "page": page,
            "q": q,
            "state": state,
            "states": KnownErrorState.choices,
            "editor": ke_services.is_ke_editor(request.user),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def known_error_create(request: HttpRequest) -> HttpResponse:
    ke_services.require_ke_editor(request.user)
    problem = _problem(request.user, request.GET["problem"]) if request.GET.get("problem") else None
    start = ke_services.known_error_initial(problem) if problem else {}
    form = KnownErrorForm(request.POST or None, initial=start)
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k != "version"}
        try:
            ke = ke_services.known_error_create(actor=request.user, problem=problem, **data)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, f"{ke.number} saved as a draft. Publish it when it is right.")
            return redirect("known_errors:detail", pk=ke.pk)
    return render(
        request,
        "problems/known_errors/form.html",
        {"form": form, "problem": problem, "root_cause": start.get("root_cause", "")},
    )


@login_required
@require_GET
def known_error_detail(request: HttpRequest, pk: int) -> HttpResponse:
    ke = ke_services.known_error_get(request.user, pk)
    return render(
        request,
        "problems/known_errors/detail.html",
        {
            "ke": ke,
            "editor": ke_services.is_ke_editor(request.user),
            "actions": ke_services.TRANSITIONS.get(ke.state, {}),
            "problem_href": problem_url(ke.problem) if ke.problem else "",
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def known_error_edit(request: HttpRequest, pk: int) -> HttpResponse:
    ke = ke_services.known_error_get(request.user, pk)
    ke_services.require_ke_editor(request.user)
    initial = {
        "title": ke.title,
        "symptoms": ke.symptoms,
        "workaround": ke.workaround,
        "services": list(ke.services.all()),
        "cis": list(ke.cis.all()),
        "version": ke.version,
    }
    form = KnownErrorForm(request.POST or None, initial=initial)
    conflict = ""
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        version = data.pop("version")
        try:
            ke = ke_services.known_error_update(
                actor=request.user, known_error=ke, version=version, **data
            )
        except Conflict as exc:
            conflict = exc.message
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, f"{ke.number} updated (version {ke.version}).")
            return redirect("known_errors:detail", pk=ke.pk)
    return render(
        request, "problems/known_errors/form.html", {"form": form, "ke": ke, "conflict": conflict}
    )


@login_required
@require_POST
def known_error_transition(request: HttpRequest, pk: int) -> HttpResponse:
    ke = ke_services.known_error_get(request.user, pk)
    form = TransitionForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose publish, retire or back to draft.")
        return redirect("known_errors:detail", pk=ke.pk)
    try:
        ke = ke_services.known_error_transition(
            actor=request.user,
            known_error=ke,
            action=form.cleaned_data["action"],
            version=form.cleaned_data.get("version"),
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"{ke.number} is now {ke.get_state_display().lower()}.")
    return redirect("known_errors:detail", pk=ke.pk)


# --- proposals -------------------------------------------------------------------------------


@login_required
@require_GET
def proposal_list(request: HttpRequest) -> HttpResponse:
    require_staff(request.user, "see problem proposals")
    state = request.GET.get("state", ProposalState.OPEN)
    state = state if state in ProposalState.values else ProposalState.OPEN
    groups = recurrence.resolved_recurrences()
    page = paginate(
        recurrence.proposals_list(request.user, state=state), request.GET.get("page"), 15
    )
    return render(
        request,
        "problems/proposals/list.html",
        {
            "proposals": page.object_list,
            "page": page,
            "state": state,
            "states": ProposalState.choices,
            "resolved_groups": [
                {"group": g, "numbers": [format_number(pk) for pk in g.tickets]} for g in groups
            ],
            "can_run": request.user.is_manager,
        },
    )


def _decided(request: HttpRequest, proposal: Any) -> HttpResponse:
    """An HTMX request gets the updated row; a plain form post goes back to the list (or to the
    new problem after an accept)."""
    if request.htmx:
        return render(
            request,
            "problems/proposals/list.html#proposal",
            {
                "p": proposal,
                "problem_href": problem_url(proposal.problem) if proposal.problem else "",
            },
        )
    if proposal.problem is not None:
        return redirect(problem_url(proposal.problem))
    return redirect("known_errors:proposals")


def _decide(request: HttpRequest, pk: int, decide: Any) -> HttpResponse:
    try:
        proposal = decide(actor=request.user, proposal_id=pk)
    except (NotFound, PermissionDenied):
        raise
    except DomainError as exc:
        if request.htmx:
            return HttpResponse(exc.message, status=422)
        messages.error(request, exc.message)
        return redirect("known_errors:proposals")
    if not request.htmx:
        verb = "accepted" if proposal.problem else "dismissed"
        messages.success(request, f"Proposal {verb}.")
    proposal = recurrence.proposal_get(request.user, proposal.pk)
    return _decided(request, proposal)


@login_required
@require_POST
def proposal_accept(request: HttpRequest, pk: int) -> HttpResponse:
    return _decide(request, pk, recurrence.proposal_accept)


@login_required
@require_POST
def proposal_dismiss(request: HttpRequest, pk: int) -> HttpResponse:
    return _decide(request, pk, recurrence.proposal_dismiss)


@login_required
@require_POST
def proposals_run(request: HttpRequest) -> HttpResponse:
    if not request.user.is_manager:
        raise PermissionDenied("Only managers can run the detection by hand.")
    found = recurrence.proposals_detect()
    messages.success(request, f"{len(found)} new proposal{'s' if len(found) != 1 else ''}.")
    return redirect("known_errors:proposals")
