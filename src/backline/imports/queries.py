"""Reads of the imports app, scoped to managers."""

from __future__ import annotations

from django.db.models import QuerySet

from backline.accounts.models import User
from backline.core.errors import NotFound
from backline.imports.models import ImportJob
from backline.imports.services import require_manager


def import_jobs_list(user: User) -> QuerySet[ImportJob]:
    """Every import job, newest first (managers only)."""
    require_manager(user)
    return ImportJob.objects.select_related("created_by").order_by("-id")


def import_job_get(user: User, job_id: int) -> ImportJob:
    """One import job (managers only)."""
    job = import_jobs_list(user).filter(pk=job_id).first()
    if job is None:
        raise NotFound(f"No import {job_id}.")
    return job
