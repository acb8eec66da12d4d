"""History import pages for managers: the job list, the upload and mapping editor, a job's
progress and error report. Views parse input and call services."""

from __future__ import annotations

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from backline.accounts.models import Team
from backline.core.errors import DomainError
from backline.core.forms import add_domain_error
from backline.imports import queries, rules, services
from backline.imports.forms import (
    FIELD_LABELS,
    GROUP_ROWS,
    TIER_CHOICES,
    ImportForm,
    guess_column,
    mapping_from_post,
)

STATE_CLASSES = {
    "pending": "chip sla-paused",
    "running": "chip sla-warning",
    "done": "chip sla-ok",
    "failed": "chip sla-breached",
}


@login_required
@require_GET
def job_list(request: HttpRequest) -> HttpResponse:
    jobs = list(queries.import_jobs_list(request.user)[:100])
    context = {"title": "History import", "jobs": jobs, "state_classes": STATE_CLASSES}
    return render(request, "imports/list.html", context)


def _editor(request: HttpRequest, kind: str, upload, selected: dict | None = None) -> dict:
    """Context of the mapping editor: a select per field, group → tier rows."""
    header = services.read_header(upload) if upload else []
    selected = selected or {}
    fields = [
        {
            "name": name,
            "label": FIELD_LABELS.get(name, name),
            "required": name in rules.REQUIRED[kind],
            "value": selected.get(name, guess_column(name, header)),
        }
        for name in rules.FIELDS.get(kind, ())
    ]
    group_field = "group" if kind == "event_log" else "team"
    group_column = next((f["value"] for f in fields if f["name"] == group_field), "")
    groups = services.upload_preview(upload, group_column) if upload else []
    tiers = {t.name.lower(): str(t.tier) for t in Team.objects.all()}
    rows = [{"name": g, "tier": tiers.get(g.lower(), "")} for g in groups]
    rows += [{"name": "", "tier": ""} for _ in range(2 if rows else GROUP_ROWS)]
    return {
        "header": header,
        "fields": fields,
        "group_rows": rows,
        "tier_choices": TIER_CHOICES,
        "kind": kind,
    }


@login_required
@require_POST
def job_columns(request: HttpRequest) -> HttpResponse:
    """HTMX: the mapping editor for the chosen file and kind."""
    services.require_manager(request.user)
    kind = request.POST.get("kind") or "event_log"
    upload = request.FILES.get("file")
    try:
        context = _editor(request, kind, upload)
    except DomainError as exc:
        context = {"editor_error": exc.message, "fields": [], "group_rows": []}
    return render(request, "imports/form.html#editor", context)


@login_required
@require_http_methods(["GET", "POST"])
def job_create(request: HttpRequest) -> HttpResponse:
    services.require_manager(request.user)
    form = ImportForm(request.POST or None, request.FILES or None)
    editor: dict = {"fields": [], "group_rows": []}
    if request.method == "POST" and form.is_valid():
        kind = form.cleaned_data["kind"]
        mapping = mapping_from_post(request.POST, kind)
        try:
            job = services.import_job_create(
                actor=request.user,
                kind=kind,
                file=form.cleaned_data["file"],
                mapping=mapping,
                dry_run=form.cleaned_data["dry_run"],
            )
        except DomainError as exc:
            if exc.field in ("mapping.system", "mapping.timezone", "mapping.timestamp_format"):
                form.add_error(exc.field.removeprefix("mapping."), exc.message)
            else:
                add_domain_error(form, exc)  # mapping.columns, groups…: above the form
            selected = {field: column for column, field in mapping["columns"].items()}
            editor = _editor(request, kind, form.cleaned_data["file"], selected)
        else:
            what = "Dry run" if job.dry_run else "Import"
            messages.success(request, f"{what} of {job.filename} started.")
            return redirect("imports:detail", pk=job.pk)
    status = 422 if request.method == "POST" else 200
    context = {"form": form, "title": "New import", **editor}
    return render(request, "imports/form.html", context, status=status)


@login_required
@require_GET
def job_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The job's progress and report (the progress card alone for the HTMX poll)."""
    job = queries.import_job_get(request.user, pk)
    context = {"job": job, "state_classes": STATE_CLASSES, "title": f"Import {job.pk}"}
    if request.htmx:
        response = render(request, "imports/detail.html#progress", context)
        if request.GET.get("poll") and job.is_finished:
            # The poll saw the end: reload once so the page shows its actions (Run for real).
            response["HX-Refresh"] = "true"
        return response
    context["mapping_json"] = json.dumps(job.mapping, indent=2, ensure_ascii=False)
    return render(request, "imports/detail.html", context)


@login_required
@require_POST
def job_run(request: HttpRequest, pk: int) -> HttpResponse:
    """Run a finished dry run for real, as a new job."""
    job = queries.import_job_get(request.user, pk)
    try:
        real = services.import_job_run_for_real(actor=request.user, job=job)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("imports:detail", pk=job.pk)
    messages.success(request, f"Import of {real.filename} started.")
    return redirect("imports:detail", pk=real.pk)
