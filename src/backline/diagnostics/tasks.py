"""Background tasks: they take ids and call services, so a retry is safe."""

from __future__ import annotations

from django_tasks import task


@task()
def process_log(log_id: int) -> str:
    from backline.core.tasks import enqueue_after_lease
    from backline.diagnostics.choices import LogStatus
    from backline.diagnostics.services import log_process

    log = log_process(log_id=log_id)
    if log.status == LogStatus.PROCESSING and log.started_at is not None:
        # Another run holds the log, perhaps one of a worker that died: look again once its
        # lease is over, or the log would stay "processing" for good.
        enqueue_after_lease(process_log, log.started_at, log_id)
    return log.status
