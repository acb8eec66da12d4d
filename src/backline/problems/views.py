"""Problem pages: the list, a new problem (also from a ticket or a queue selection), the problem
page with its overview, root cause analysis, actions and history, my actions, the report. Views
parse input and call services; on the problem page every form answers an HTMX request with the
re-rendered page body (`#problem`) and a plain POST with a redirect, or the page with the error."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRefresh

from backline.changes import queries as change_queries
from backline.core.errors import Conflict, DomainError, NotFound
from backline.core.forms import add_domain_error
from backline.problems import export, queries, rules, services, verification
from backline.problems.choices import Closure, ProblemState
from backline.problems.filters import ProblemFilter
from backline.problems.forms import (
    ActionForm,
    FactorForm,
    NumbersForm,
    ProblemFilterForm,
    ProblemForm,
    RootCauseForm,
    TimelineForm,
    TransitionForm,
    split_numbers,
)
from backline.problems.models import (
    ContributingFactor,
    FactorCategory,
    Problem,
    ProblemIncident,
    TimelineEntry,
)
from backline.tickets.choices import CauseCode
from backline.tickets.models import Attachment, TicketEvent
from backline.tickets.permissions import require_staff
from backline.tickets.queries import paginate, pinned_evidence, ticket_get

# --- list and create ---------------------------------------------------------------------------


@login_required
@require_GET
def problem_list(request: HttpRequest) -> HttpResponse:
    require_staff(request.user, "see problems")
    form = ProblemFilterForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    state = data.get("state") or ""
    flt = ProblemFilter(
        q=data.get("q") or "",
        state=state if state in ProblemState.values else None,
        open=True if state == "open" else None,
        priority=data.get("priority"),
        team=data["team"].pk if data.get("team") else None,
        owner=data["owner"].pk if data.get("owner") else None,
        service=data["service"].pk if data.get("service") else None,
        ci=data["ci"].pk if data.get("ci") else None,
    )
    page = paginate(queries.problem_list(request.user, flt), request.GET.get("page"), 25)
    params = request.GET.copy()
    params.pop("page", None)
    context = {"title": "Problems", "form": form, "page": page, "params": params.urlencode()}
    return render(request, "problems/list.html", context)


def _prefill(request: HttpRequest) -> dict[str, Any]:
    """A new problem from a ticket (or a queue selection): its title, service, CI and number."""
    refs = request.GET.getlist("ticket")
    if not refs:
        return {}
    try:
        tickets = queries.tickets_by_numbers(request.user, refs[: services.MAX_LINK])
    except DomainError:
        return {}
    first = tickets[0]
    initial: dict[str, Any] = {
        "title": first.title if len(tickets) == 1 else "",
        "statement": first.description[:2000] if len(tickets) == 1 else "",
        "tickets": " ".join(t.number for t in tickets),
        "services": sorted({t.service_id for t in tickets if t.service_id}),
        "cis": sorted({t.ci_id for t in tickets if t.ci_id}),
    }
    return initial


@login_required
@require_http_methods(["GET", "POST"])
def problem_create(request: HttpRequest) -> HttpResponse:
    require_staff(request.user, "open problems")
    form = ProblemForm(request.POST or None, initial=_prefill(request))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            tickets = queries.tickets_by_numbers(request.user, split_numbers(data["tickets"]))
            problem = services.problem_create(
                actor=request.user,
                title=data["title"],
                statement=data["statement"],
                priority=data["priority"],
                owner=data["owner"],
                team=data["team"],
                services=data["services"],
                cis=data["cis"],
                tickets=tickets,
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, f"{problem.number} opened.")
            return redirect("problems:detail", number=problem.number)
    status = 422 if request.method == "POST" else 200
    return render(
        request, "problems/form.html", {"form": form, "title": "New problem"}, status=status
    )


# --- the problem page --------------------------------------------------------------------------


def _pinned_offers(incidents: list[ProblemIncident], rca: queries.Rca) -> list[dict[str, Any]]:
    """Log evidence pinned on the linked incidents and not yet in the timeline, ready to add."""
    in_timeline = {e.ticket_event_id for e in rca.timeline if e.ticket_event_id}
    offers = []
    for event in pinned_evidence([link.ticket_id for link in incidents]):
        if event.pk in in_timeline:
            continue
        when = parse_datetime(event.data.get("happened_at") or "") or event.at
        offers.append(
            {
                "event": event,
                "when": timezone.localtime(when).strftime("%Y-%m-%dT%H:%M"),
                "text": f"{event.data.get('title', '')}"[:4000],
            }
        )
    return offers


def _detail_context(request: HttpRequest, problem: Problem, **extra: Any) -> dict[str, Any]:
    actions = queries.problem_actions(problem)
    rca = queries.problem_rca(problem, request.user)
    incidents = queries.problem_incidents(problem, request.user)
    facts = rules.ProblemFacts(
        state=problem.state,
        has_root_cause=bool(problem.root_cause.strip()),
        open_corrective=rules.open_corrective((a.kind, a.state) for a in actions),
        may_close=services.may_close(request.user, problem),
    )
    errors: dict[str, str] = extra.pop("errors", {})
    context = {
        "title": f"{problem.number} {problem.title}",
        "problem": problem,
        "span": queries.incident_span(problem, request.user),
        "rca": rca,
        "whys": extra.pop("whys", None) or [w.text for w in rca.whys],
        "categories": [c for c in rca.categories if c.is_active],
        "actions": actions,
        "history": queries.problem_history(problem, request.user),
        "known_errors": list(problem.known_errors.order_by("-updated_at")),
        "recurrences": verification.problem_recurrences(problem, request.user),
        "services": list(problem.services.order_by("name")),
        "cis": list(problem.cis.order_by("name")),
        "transitions": [(a, rules.ACTION_LABELS[a]) for a in rules.available_actions(facts)],
        "closures": Closure.choices,
        "cause_codes": CauseCode.choices,
        "cause_label": CauseCode(problem.cause_code).label
        if problem.cause_code in CauseCode.values
        else "",
        "states": ProblemState.choices,
        "editable": problem.state != ProblemState.CLOSED,
        "action_form": extra.pop("action_form", None) or ActionForm(),
        "timeline_form": extra.pop("timeline_form", None) or TimelineForm(),
        "errors": errors,
        "step_labels": rules.ACTION_STEP_LABELS,
        "incidents": incidents,
        "pinned": _pinned_offers(incidents, rca),
    }
    for a in actions:
        a.steps = rules.action_steps(a.state)
    context.update(extra)
    return context


def _page(request: HttpRequest, problem: Problem, status: int = 200, **extra: Any) -> HttpResponse:
    context = _detail_context(request, problem, **extra)
    template = "problems/detail.html#problem" if request.htmx else "problems/detail.html"
    return render(request, template, context, status=status)


def _done(request: HttpRequest, problem: Problem, message: str, anchor: str = "") -> HttpResponse:
    """After a successful write: the refreshed page body for HTMX, else a redirect."""
    fresh = queries.problem_get(request.user, problem.pk)
    if request.htmx:
        return _page(request, fresh, flash=message)
    messages.success(request, message)
    url = reverse("problems:detail", args=[fresh.number])
    return redirect(f"{url}#{anchor}" if anchor else url)


def _refused(
    request: HttpRequest, problem: Problem, exc: DomainError, section: str, **extra: Any
) -> HttpResponse:
    """A refusal shown next to the form it came from (409 for a stale version)."""
    fresh = queries.problem_get(request.user, problem.pk)
    if isinstance(exc, Conflict):
        extra["conflict"] = exc.message
    else:
        extra["errors"] = {section: exc.message}
    return _page(request, fresh, status=exc.status, **extra)


def _version(request: HttpRequest) -> int | None:
    raw = request.POST.get("version", "")
    return int(raw) if raw.isdecimal() else None


@login_required
@require_GET
def problem_detail(request: HttpRequest, number: str) -> HttpResponse:
    problem = queries.problem_get(request.user, number)
    if number != problem.number:
        return redirect("problems:detail", number=problem.number)
    return render(request, "problems/detail.html", _detail_context(request, problem))


@login_required
@require_http_methods(["GET", "POST"])
def problem_edit(request: HttpRequest, number: str) -> HttpResponse:
    problem = queries.problem_get(request.user, number)
    initial = {
        "title": problem.title,
        "statement": problem.statement,
        "priority": problem.priority,
        "owner": problem.owner,
        "team": problem.team,
        "services": list(problem.services.all()),
        "cis": list(problem.cis.all()),
        "version": problem.version,
    }
    form = ProblemForm(request.POST or None, initial=initial)
    form.fields.pop("tickets")
    conflict = ""
    if request.method == "POST" and form.is_valid():
        changed = {
            k: form.cleaned_data[k]
            for k in form.changed_data
            if k in services.PROBLEM_FIELDS and k != "owner"
        }
        if "owner" in form.changed_data and form.cleaned_data["owner"] is not None:
            changed["owner"] = form.cleaned_data["owner"]
        try:
            problem = services.problem_update(
                actor=request.user,
                problem=problem,
                version=form.cleaned_data.get("version"),
                **changed,
            )
        except Conflict as exc:
            conflict = exc.message
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, f"{problem.number} saved.")
            return redirect("problems:detail", number=problem.number)
    status = 409 if conflict else (422 if request.method == "POST" else 200)
    context = {
        "form": form,
        "problem": problem,
        "conflict": conflict,
        "title": f"Edit {problem.number}",
    }
    return render(request, "problems/form.html", context, status=status)


@login_required
@require_POST
def problem_transition(request: HttpRequest, number: str) -> HttpResponse:
    problem = queries.problem_get(request.user, number)
    form = TransitionForm(request.POST)
    if not form.is_valid():
        return _refused(request, problem, DomainError("Choose an action."), "state")
    try:
        problem = services.problem_transition(
            actor=request.user,
            problem=problem,
            action=form.cleaned_data["action"],
            closure=form.cleaned_data["closure"],
            note=form.cleaned_data["note"],
            version=form.cleaned_data["version"],
        )
    except DomainError as exc:
        return _refused(request, problem, exc, "state")
    return _done(request, problem, f"{problem.number} is now {problem.get_state_display()}.")


@login_required
@require_POST
def incidents_link(request: HttpRequest, number: str) -> HttpResponse:
    problem = queries.problem_get(request.user, number)
    form = NumbersForm(request.POST)
    if not form.is_valid():
        return _refused(request, problem, DomainError("Give incident numbers."), "incidents")
    try:
        tickets = queries.tickets_by_numbers(
            request.user, split_numbers(form.cleaned_data["numbers"])
        )
        created = services.problem_link_incidents(
            actor=request.user, problem=problem, tickets=tickets
        )
    except DomainError as exc:
        return _refused(request, problem, exc, "incidents", numbers=request.POST.get("numbers"))
    n = len(created)
    message = f"Linked {n} incident{'s' if n != 1 else ''}." if n else "Already linked."
    return _done(request, problem, message, "incidents")


@login_required
@require_POST
def incident_unlink(request: HttpRequest, number: str) -> HttpResponse:
    problem = queries.problem_get(request.user, number)
    try:
        ticket = ticket_get(request.user, request.POST.get("ticket", ""))
        services.problem_unlink_incident(actor=request.user, problem=problem, ticket=ticket)
    except DomainError as exc:
        return _refused(request, problem, exc, "incidents")
    return _done(request, problem, f"{ticket.number} unlinked.", "incidents")


# --- root cause analysis -----------------------------------------------------------------------


def _evidence(request: HttpRequest, text: str) -> dict[str, Any]:
    """The object an evidence reference names (checked: it exists and may be seen)."""
    if not text.strip():
        return {}
    ref = rules.parse_evidence(text)
    if ref is None:
        raise DomainError(
            "Give CHG-…, a ticket event link (…#event-34) or an attachment link.",
            field="evidence",
        )
    kind, pk = ref
    if kind == "change":
        try:
            return {"change": change_queries.change_get(request.user, pk)}
        except NotFound:
            raise DomainError(f"No change CHG-{pk}.", field="evidence") from None
    if kind == "event":
        event = TicketEvent.objects.select_related("ticket").filter(pk=pk).first()
        if event is None:
            raise DomainError(f"No ticket event {pk}.", field="evidence")
        return {"ticket_event": event}
    attachment = Attachment.objects.select_related("ticket").filter(pk=pk).first()
    if attachment is None:
        raise DomainError(f"No attachment {pk}.", field="evidence")
    return {"attachment": attachment}


@login_required
@require_POST
def timeline_add(request: HttpRequest, number: str) -> HttpResponse:
    problem = queries.problem_get(request.user, number)
    form = TimelineForm(request.POST)
    try:
        if not form.is_valid():
            field, errs = next(iter(form.errors.items()))
            raise DomainError(f"{form.fields[field].label}: {errs[0]}", field=field)
        when: datetime = form.cleaned_data["happened_at"]
        if timezone.is_naive(when):
            when = timezone.make_aware(when)
        services.timeline_entry_add(
            actor=request.user,
            problem=problem,
            happened_at=when,
            text=form.cleaned_data["text"],
            **_evidence(request, form.cleaned_data["evidence"]),
        )
    except DomainError as exc:
        return _refused(request, problem, exc, "timeline", timeline_form=form)
    return _done(request, problem, "Added to the timeline.", "rca")


@login_required
@require_POST
def timeline_remove(request: HttpRequest, number: str, entry_id: int) -> HttpResponse:
    problem = queries.problem_get(request.user, number)
    entry = TimelineEntry.objects.filter(problem=problem, pk=entry_id).first()
    if entry is None:
        raise NotFound("No such timeline entry.")
    entry.problem = problem
    try:
        services.timeline_entry_remove(actor=request.user, entry=entry)
    except DomainError as exc:
        return _refused(request, problem, exc, "timeline")
    return _done(request, problem, "Removed from the timeline.", "rca")


def _edit_chain(steps: list[str], op: str) -> tuple[list[str], bool]:
    """Apply an editor button to the submitted chain; returns (chain, save?)."""
    name, _, raw = op.partition("-")
    i = int(raw) if raw.isdecimal() else -1
    if name == "add":
        return [*steps, ""], False
    if name == "remove" and 0 <= i < len(steps):
        return steps[:i] + steps[i + 1 :], True
    if name in ("up", "down"):
        j = i - 1 if name == "up" else i + 1
        if 0 <= i < len(steps) and 0 <= j < len(steps):
            steps = list(steps)
            steps[i], steps[j] = steps[j], steps[i]
        return steps, True
    return steps, True


@login_required
@require_POST
def whys_save(request: HttpRequest, number: str) -> HttpResponse:
    """The 5 whys editor: save the chain, or add, remove or move a step (and save)."""
    problem = queries.problem_get(request.user, number)
    steps, save = _edit_chain(request.POST.getlist("why"), request.POST.get("op", "save"))
    if not save:
        return _page(request, problem, whys=steps)
    try:
        problem = services.whys_set(
            actor=request.user, problem=problem, whys=steps, version=_version(request)
        )
    except DomainError as exc:
        return _refused(request, problem, exc, "whys", whys=steps)
    return _done(request, problem, "5 whys saved.", "whys")


@login_required
@require_POST
def factor_add(request: HttpRequest, number: str) -> HttpResponse:
    problem = queries.problem_get(request.user, number)
    form = FactorForm(request.POST)
    try:
        if not form.is_valid():
            raise DomainError("Choose a category and describe the factor.", field="text")
        category = FactorCategory.objects.filter(slug=form.cleaned_data["category"]).first()
        if category is None:
            raise DomainError("No such category.", field="category")
        services.factor_add(
            actor=request.user, problem=problem, category=category, text=form.cleaned_data["text"]
        )
    except DomainError as exc:
        return _refused(request, problem, exc, "factors", factor_text=request.POST.get("text"))
    return _done(request, problem, "Factor added.", "factors")


@login_required
@require_POST
def factor_remove(request: HttpRequest, number: str, factor_id: int) -> HttpResponse:
    problem = queries.problem_get(request.user, number)
    factor = ContributingFactor.objects.filter(problem=problem, pk=factor_id).first()
    if factor is None:
        raise NotFound("No such factor.")
    factor.problem = problem
    try:
        services.factor_remove(actor=request.user, factor=factor)
    except DomainError as exc:
        return _refused(request, problem, exc, "factors")
    return _done(request, problem, "Factor removed.", "factors")


@login_required
@require_POST
def root_cause_save(request: HttpRequest, number: str) -> HttpResponse:
    problem = queries.problem_get(request.user, number)
    form = RootCauseForm(request.POST)
    try:
        if not form.is_valid():
            raise DomainError("Check the root cause and cause code.", field="root_cause")
        problem = services.root_cause_set(
            actor=request.user,
            problem=problem,
            root_cause=form.cleaned_data["root_cause"],
            cause_code=form.cleaned_data["cause_code"],
            version=form.cleaned_data["version"],
        )
    except DomainError as exc:
        return _refused(
            request, problem, exc, "root_cause", root_cause_input=request.POST.get("root_cause")
        )
    return _done(request, problem, "Root cause saved.", "root-cause")


# --- actions -----------------------------------------------------------------------------------


def _action_fields(request: HttpRequest, form: ActionForm) -> dict[str, Any]:
    data = {k: form.cleaned_data.get(k) for k in services.ACTION_FIELDS}
    ref = (data.pop("change") or "").strip()
    data["change"] = None
    if ref:
        try:
            data["change"] = change_queries.change_get(request.user, ref)
        except NotFound:
            raise DomainError(f"No change {ref}.", field="change") from None
    return data


@login_required
@require_POST
def action_add(request: HttpRequest, number: str) -> HttpResponse:
    problem = queries.problem_get(request.user, number)
    form = ActionForm(request.POST)
    if form.is_valid():
        try:
            data = _action_fields(request, form)
            services.action_create(actor=request.user, problem=problem, **data)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            return _done(request, problem, "Action added.", "actions")
    return _page(request, problem, status=422, action_form=form, action_form_open=True)


@login_required
@require_http_methods(["GET", "POST"])
def action_edit(request: HttpRequest, number: str, action_id: int) -> HttpResponse:
    problem = queries.problem_get(request.user, number)
    action = queries.action_get(problem, action_id)
    initial = {k: getattr(action, k) for k in services.ACTION_FIELDS if k != "change"}
    initial["change"] = action.change.number if action.change else ""
    initial["version"] = action.version
    form = ActionForm(request.POST or None, initial=initial)
    conflict = ""
    if request.method == "POST" and form.is_valid():
        try:
            data = _action_fields(request, form)
            if data["owner"] is None:
                data.pop("owner")
            services.action_update(
                actor=request.user,
                action=action,
                version=form.cleaned_data.get("version"),
                **data,
            )
        except Conflict as exc:
            conflict = exc.message
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, "Action saved.")
            return redirect(reverse("problems:detail", args=[problem.number]) + "#actions")
    status = 409 if conflict else (422 if request.method == "POST" else 200)
    context = {
        "form": form,
        "problem": problem,
        "action": action,
        "conflict": conflict,
        "title": f"Edit action · {problem.number}",
    }
    return render(request, "problems/action_form.html", context, status=status)


@login_required
@require_POST
def action_transition(request: HttpRequest, number: str, action_id: int) -> HttpResponse:
    problem = queries.problem_get(request.user, number)
    action = queries.action_get(problem, action_id)
    try:
        action = services.action_transition(
            actor=request.user,
            action=action,
            step=request.POST.get("step", ""),
            version=_version(request),
        )
    except DomainError as exc:
        return _refused(request, problem, exc, "actions")
    return _done(request, problem, f"“{action.title}” is {action.get_state_display()}.", "actions")


# --- the report --------------------------------------------------------------------------------


@login_required
@require_GET
def report_markdown(request: HttpRequest, number: str) -> HttpResponse:
    problem = queries.problem_get(request.user, number)
    response = HttpResponse(
        export.report_markdown(problem, request.user), content_type="text/markdown; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{problem.number}-report.md"'
    return response


@login_required
@require_GET
def report_html(request: HttpRequest, number: str) -> HttpResponse:
    problem = queries.problem_get(request.user, number)
    return render(
        request,
        "problems/report.html",
        {"problem": problem, "body": export.report_html(problem, request.user)},
    )


# --- from tickets and the queue ----------------------------------------------------------------


def _back(request: HttpRequest, ticket: Any) -> HttpResponse:
    return HttpResponseClientRefresh() if request.htmx else redirect(ticket)


@login_required
@require_POST
def ticket_link(request: HttpRequest, number: str) -> HttpResponse:
    """Link the ticket to an existing problem by its number (from the ticket page)."""
    ticket = ticket_get(request.user, number)
    try:
        problem = queries.problem_get(request.user, request.POST.get("problem", ""))
        created = services.problem_link_incidents(
            actor=request.user, problem=problem, tickets=[ticket]
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        verb = "Linked to" if created else "Already linked to"
        messages.success(request, f"{verb} {problem.number}.")
    return _back(request, ticket)


@login_required
@require_POST
def ticket_unlink(request: HttpRequest, number: str) -> HttpResponse:
    ticket = ticket_get(request.user, number)
    try:
        problem = queries.problem_get(request.user, request.POST.get("problem", ""))
        services.problem_unlink_incident(actor=request.user, problem=problem, ticket=ticket)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Unlinked from {problem.number}.")
    return _back(request, ticket)


@login_required
@require_POST
def bulk_link(request: HttpRequest) -> HttpResponse:
    """The queue's "Link to problem…": the selected tickets to a PRB, or to a new problem."""
    require_staff(request.user, "link incidents to problems")
    refs = request.POST.getlist("tickets")
    back = request.POST.get("next") or reverse("tickets:queue")
    if not back.startswith("/") or back.startswith("//"):
        back = reverse("tickets:queue")
    if not refs:
        messages.error(request, "Select the incidents to link first.")
        return redirect(back)
    target = request.POST.get("problem", "").strip()
    try:
        tickets = queries.tickets_by_numbers(request.user, refs)
        if not target or target.lower() == "new":
            query = "&".join(f"ticket={t.number}" for t in tickets)
            return redirect(f"{reverse('problems:create')}?{query}")
        problem = queries.problem_get(request.user, target)
        created = services.problem_link_incidents(
            actor=request.user, problem=problem, tickets=tickets
        )
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect(back)
    n = len(created)
    messages.success(request, f"Linked {n} incident{'s' if n != 1 else ''} to {problem.number}.")
    return redirect("problems:detail", number=problem.number)


# --- my actions --------------------------------------------------------------------------------


@login_required
@require_GET
def my_actions(request: HttpRequest) -> HttpResponse:
    show_closed = request.GET.get("closed") == "1"
    actions = queries.actions_for(request.user, include_closed=show_closed)
    context = {
        "title": "My problem actions",
        "actions": actions,
        "show_closed": show_closed,
        "overdue_count": sum(1 for a in actions if a.overdue),
    }
    return render(request, "problems/my_actions.html", context)


@login_required
@require_GET
def overdue_strip(request: HttpRequest) -> HttpResponse:
    """The "Your overdue problem actions" strip of the My work queue (loaded after the page)."""
    return render(
        request, "problems/panels/overdue.html", {"overdue": queries.overdue_actions(request.user)}
    )
