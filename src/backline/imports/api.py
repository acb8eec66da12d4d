"""API of the imports app: upload a file with its mapping, follow the job, list jobs."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.http import HttpRequest
from ninja import File, Form, Router, Status
from ninja.files import UploadedFile

from backline.core.api import ErrorOut, Id
from backline.core.errors import DomainError
from backline.imports import queries, services
from backline.imports.schemas import ImportJobDetailOut, ImportJobPage
from backline.tickets.queries import paginate

router = Router(tags=["imports"])

ERRORS: dict[int, Any] = dict.fromkeys((400, 401, 403, 404, 409, 413, 422, 429), ErrorOut)


@router.post("/imports", response={201: ImportJobDetailOut, **ERRORS})
def import_create(
    request: HttpRequest,
    file: File[UploadedFile],
    kind: Form[str],
    mapping: Form[str],
    dry_run: Form[bool] = True,
):
    """Upload a CSV (multipart `file`) with its `kind` (ticket_csv or event_log), its `mapping`
    as JSON text, and `dry_run`; the job runs in the background, poll GET /imports/{id}."""
    services.require_manager(request.user)  # admins only, before the mapping is even read
    parsed = services.mapping_parse(mapping)
    with transaction.atomic():
        job = services.import_job_create(
            actor=request.user, kind=kind, file=file, mapping=parsed, dry_run=dry_run
        )
    job.refresh_from_db()
    return Status(201, job)


@router.get("/imports", response={200: ImportJobPage, **ERRORS})
def import_list(request: HttpRequest, page: int = 1, page_size: int = 50):
    """Import jobs, newest first."""
    if page < 1 or not 1 <= page_size <= 200:
        raise DomainError("page ≥ 1 and page_size 1–200.", field="page_size")
    result = paginate(queries.import_jobs_list(request.user), page, page_size)
    return {
        "items": list(result),
        "count": result.paginator.count,
        "page": result.number,
        "page_size": page_size,
        "pages": result.paginator.num_pages,
    }


@router.get("/imports/{job_id}", response={200: ImportJobDetailOut, **ERRORS})
def import_get(request: HttpRequest, job_id: Id):
    """A job's progress (rows_done of rows_total), counts and first row errors."""
    return queries.import_job_get(request.user, job_id)
