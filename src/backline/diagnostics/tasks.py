"""Background tasks: they take ids and call services, so a retry is safe."""

from __future__ import annotations

from django_tasks import task


@task()
def process_log(log_id: int) -> str:
    from backline.diagnostics.services import log_process

    return log_process(log_id=log_id).status
