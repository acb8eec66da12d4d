"""The audit log page and its download (admins)."""

from __future__ import annotations

import csv
from collections.abc import Iterator

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from backline.audit import queries, rules
from backline.audit.forms import AuditFilterForm
from backline.tickets.queries import paginate

PAGE_SIZE = 50


@login_required
@require_GET
def audit_list(request: HttpRequest) -> HttpResponse:
    queries.require_audit_viewer(request.user)
    form = AuditFilterForm(request.GET or None)
    flt = form.to_filter()
    page = paginate(queries.events_filtered(flt), request.GET.get("page"), PAGE_SIZE)
    for event in page:
        event.summary = rules.changes_summary(event.action, event.changes)  # type: ignore[attr-defined]
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "title": "Audit log",
        "form": form,
        "page": page,
        "query": query.urlencode(),
        "head": queries.chain_head(),
    }
    return render(request, "audit/list.html", context)


class _Echo:
    """A file-like object for csv.writer that hands each line back instead of storing it."""

    def write(self, value: str) -> str:
        return value


def _csv_lines(rows: Iterator[dict]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield writer.writerow(queries.EXPORT_FIELDS)
    for row in rows:
        yield writer.writerow(queries.export_cells(row))


@login_required
@require_GET
def audit_export(request: HttpRequest, fmt: str) -> StreamingHttpResponse:
    queries.require_audit_viewer(request.user)
    if fmt not in {"csv", "jsonl"}:
        raise Http404("No such format")
    form = AuditFilterForm(request.GET or None)
    rows = queries.events_export(form.to_filter())
    if fmt == "csv":
        response = StreamingHttpResponse(_csv_lines(rows), content_type="text/csv; charset=utf-8")
    else:
        lines = (queries.export_line(row) for row in rows)
        response = StreamingHttpResponse(lines, content_type="application/x-ndjson")
    stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
    response["Content-Disposition"] = f'attachment; filename="backline-audit-{stamp}.{fmt}"'
    return response
