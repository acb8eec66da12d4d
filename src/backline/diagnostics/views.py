"""Log investigation pages: the ticket's logs panel, one log's investigation view (around the
incident, error timeline, templates, lines, search), two logs compared, and pinned evidence."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseClientRefresh

from backline.core.errors import DomainError
from backline.diagnostics import queries, services
from backline.diagnostics.choices import LogStatus
from backline.diagnostics.forms import AroundForm, LogUploadForm, PinForm
from backline.diagnostics.models import LogEvidence, LogFile
from backline.tickets.models import Ticket
from backline.tickets.permissions import require_staff
from backline.tickets.queries import ticket_get

LINES_PAGE = 50
SEARCH_PAGE = 100
CONTEXT = 8


def _log(request: HttpRequest, number: str, log_id: int) -> tuple[Ticket, LogFile]:
    ticket = ticket_get(request.user, number)
    return ticket, queries.log_get(request.user, ticket, log_id)


def panel_context(request: HttpRequest, ticket: Ticket) -> dict:
    # No query: the logs and the evidence load with HTMX after the page (logs_panel).
    return {"form": LogUploadForm(), "share": bool(settings.BACKLINE_LOG_SHARE)}


@login_required
def logs_panel(request: HttpRequest, number: str) -> HttpResponse:
    ticket = ticket_get(request.user, number)
    require_staff(request.user, "read logs")
    logs = queries.ticket_logs(ticket)
    body = {
        "logs": logs,
        "busy": any(log.status in (LogStatus.QUEUED, LogStatus.PROCESSING) for log in logs),
        "evidence": queries.pinned(ticket),
    }
    return render(request, "diagnostics/panels/logs.html#logs-body", {"ticket": ticket, "b": body})


@login_required
@require_POST
def log_upload(request: HttpRequest, number: str) -> HttpResponse:
    ticket = ticket_get(request.user, number)
    form = LogUploadForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            log = services.log_attach(
                actor=request.user,
                ticket=ticket,
                upload=form.cleaned_data["file"],
                share_path=form.cleaned_data["share_path"],
                pattern=form.cleaned_data["pattern"],
                tz=form.cleaned_data["tz"],
            )
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, f"{log.name} attached; it is being read.")
            return redirect(reverse("diagnostics:log", args=[ticket.number, log.pk]))
    else:
        messages.error(request, "; ".join(e for errs in form.errors.values() for e in errs))
    return redirect(f"{ticket.get_absolute_url()}#logs")


@login_required
def log_detail(request: HttpRequest, number: str, log_id: int) -> HttpResponse:
    ticket, log = _log(request, number, log_id)
    context: dict = {"ticket": ticket, "log": log, "logs": queries.ticket_logs(ticket)}
    if log.status == LogStatus.READY:
        start = queries.incident_start(ticket)
        context.update(
            around_form=AroundForm(initial=AroundForm.initial_for(start)),
            around=queries.around_incident(log, start=start),
            timeline=queries.error_timeline(log),
            facets=queries.facets(log),
            rows=queries.template_rows(log),
            memory=queries.memory(log),
            evidence=[e for e in queries.pinned(ticket) if e.log_id == log.pk],
        )
    return render(request, "diagnostics/log.html", context)


@login_required
def log_progress(request: HttpRequest, number: str, log_id: int) -> HttpResponse:
    ticket, log = _log(request, number, log_id)
    if log.status == LogStatus.READY and request.htmx:
        return HttpResponseClientRefresh()
    return render(request, "diagnostics/log.html#progress", {"ticket": ticket, "log": log})


@login_required
def log_around(request: HttpRequest, number: str, log_id: int) -> HttpResponse:
    ticket, log = _log(request, number, log_id)
    form = AroundForm(request.GET)
    if form.is_valid():
        data = form.cleaned_data
        around = queries.around_incident(
            log, start=data["start"], before=data["before"], after=data["after"]
        )
    else:
        around = queries.around_incident(log, start=queries.incident_start(ticket))
    context = {"ticket": ticket, "log": log, "around": around, "around_form": form}
    context["timeline"] = queries.error_timeline(log)
    return render(request, "diagnostics/log.html#around", context)


@login_required
def log_templates(request: HttpRequest, number: str, log_id: int) -> HttpResponse:
    ticket, log = _log(request, number, log_id)
    rows = queries.template_rows(
        log,
        level=request.GET.get("level", ""),
        component=request.GET.get("component", ""),
        text=request.GET.get("q", "").strip(),
        sort=request.GET.get("sort", "count"),
    )
    return render(
        request, "diagnostics/log.html#templates", {"ticket": ticket, "log": log, "rows": rows}
    )


def _int(value: str | None, default: int) -> int:
    try:
        return int(value) if value not in (None, "") else default  # type: ignore[arg-type]
    except ValueError:
        return default


@login_required
def template_lines(request: HttpRequest, number: str, log_id: int, template: int) -> HttpResponse:
    ticket, log = _log(request, number, log_id)
    stat = queries.log_stats(log).filter(template__number=template).first()
    if stat is None:
        raise DomainError(f"No template {template} in {log.name}.", field="template")
    lines = queries.log_lines(log)
    after = _int(request.GET.get("after"), -1)
    numbers, cursor = lines.template_lines(
        queries.raw_template_ids(log, template), after, LINES_PAGE
    )
    shown = lines.at(numbers)
    context = {
        "ticket": ticket,
        "log": log,
        "stat": stat,
        "lines": shown,
        "cursor": cursor,
        "more": after >= 0,
    }
    return render(request, "diagnostics/log.html#lines", context)


@login_required
def line_context(request: HttpRequest, number: str, log_id: int) -> HttpResponse:
    ticket, log = _log(request, number, log_id)
    line = max(0, _int(request.GET.get("line"), 0))
    rows = queries.log_lines(log).read(max(0, line - CONTEXT), 2 * CONTEXT + 1)
    context = {"ticket": ticket, "log": log, "rows": rows, "line": line}
    return render(request, "diagnostics/log.html#context", context)


@login_required
def log_search(request: HttpRequest, number: str, log_id: int) -> HttpResponse:
    ticket, log = _log(request, number, log_id)
    needle = request.GET.get("q", "").strip()
    after = _int(request.GET.get("after"), -1)
    hits, cursor = (
        queries.log_lines(log).search(needle, after, SEARCH_PAGE) if needle else ([], None)
    )
    context = {"ticket": ticket, "log": log, "hits": hits, "cursor": cursor, "q": needle}
    context["more"] = after >= 0
    return render(request, "diagnostics/log.html#search", context)


@login_required
def log_compare(request: HttpRequest, number: str, log_id: int) -> HttpResponse:
    ticket, log = _log(request, number, log_id)
    others = [x for x in queries.ready_logs(ticket) if x.pk != log.pk]
    other_id = _int(request.GET.get("other"), others[0].pk if others else 0)
    comparison = None
    if other_id and log.status == LogStatus.READY:
        other = queries.log_get(request.user, ticket, other_id)
        if other.status == LogStatus.READY and other.pk != log.pk:
            comparison = queries.compare_logs(log, other)
    context = {"ticket": ticket, "log": log, "others": others, "comparison": comparison}
    return render(request, "diagnostics/compare.html", context)


@login_required
@require_POST
def evidence_pin(request: HttpRequest, number: str, log_id: int) -> HttpResponse:
    ticket, log = _log(request, number, log_id)
    form = PinForm(request.POST)
    if not form.is_valid():
        messages.error(request, "; ".join(e for errs in form.errors.values() for e in errs))
    else:
        data = form.cleaned_data
        try:
            evidence = services.evidence_pin(
                actor=request.user,
                log=log,
                template_number=data["template"],
                line_from=data["line_from"],
                line_to=data["line_to"],
                note=data["note"],
            )
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, f"Pinned as evidence: {evidence.title[:120]}")
    if request.htmx:
        evidence_list = [e for e in queries.pinned(ticket) if e.log_id == log.pk]
        context = {"ticket": ticket, "log": log, "evidence": evidence_list}
        return render(request, "diagnostics/log.html#evidence", context)
    return redirect(reverse("diagnostics:log", args=[ticket.number, log.pk]))


@login_required
@require_POST
def evidence_unpin(request: HttpRequest, number: str, evidence_id: int) -> HttpResponse:
    ticket = ticket_get(request.user, number)
    evidence = LogEvidence.objects.filter(ticket=ticket, pk=evidence_id).first()
    if evidence is None:
        messages.error(request, "That evidence is no longer pinned.")
    else:
        services.evidence_unpin(actor=request.user, evidence=evidence)
        messages.success(request, "Evidence unpinned.")
    back = request.POST.get("next") or f"{ticket.get_absolute_url()}#logs"
    return HttpResponseClientRefresh() if request.htmx else redirect(back)


@login_required
@require_POST
def log_reprocess(request: HttpRequest, number: str, log_id: int) -> HttpResponse:
    ticket, log = _log(request, number, log_id)
    try:
        services.log_reprocess(
            actor=request.user,
            log=log,
            pattern=request.POST.get("pattern", ""),
            tz=request.POST.get("tz", ""),
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"{log.name} is being read again.")
    return redirect(reverse("diagnostics:log", args=[ticket.number, log.pk]))


@login_required
@require_POST
def log_delete(request: HttpRequest, number: str, log_id: int) -> HttpResponse:
    ticket, log = _log(request, number, log_id)
    name = log.name
    services.log_delete(actor=request.user, log=log)
    messages.success(request, f"{name} deleted; pinned evidence keeps its lines.")
    return redirect(f"{ticket.get_absolute_url()}#logs")
