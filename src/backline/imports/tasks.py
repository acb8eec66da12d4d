"""Background tasks: they take ids and call services, so a retry is safe."""

from __future__ import annotations

from django_tasks import task


@task()
def run_import(job_id: int) -> str:
    from backline.core.errors import Conflict
    from backline.core.tasks import enqueue_after_lease
    from backline.imports.models import ImportJob
    from backline.imports.services import import_job_run

    try:
        return import_job_run(job_id).state
    except Conflict:
        # Another run holds the job, perhaps one of a worker that died: look again once its
        # lease is over, or the job would stay "running" for good.
        job = ImportJob.objects.get(pk=job_id)
        if job.started_at is None or not enqueue_after_lease(run_import, job.started_at, job_id):
            raise
        return str(job.state)
