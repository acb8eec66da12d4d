"""Background tasks: they take ids and call services, so a retry is safe."""

from __future__ import annotations

from django_tasks import task


@task()
def run_import(job_id: int) -> str:
    from backline.imports.services import import_job_run

    return import_job_run(job_id).state
