"""Queueing background tasks so that a crash can neither lose one nor strand its object.

Tasks take ids and call services that claim their object (a log, an import job) with a
conditional update and a lease (BACKLINE_TASK_LEASE_SECONDS); `backline worker` puts tasks a
killed worker held back in the queue once that lease has run out (worker.requeue_abandoned_tasks).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction


def _stored_with_the_data(task: Any) -> bool:
    from django_tasks_db.backend import DatabaseBackend

    return isinstance(task.get_backend(), DatabaseBackend)


def enqueue_on_commit(task: Any, *args: Any) -> None:
    """Queue `task(*args)` as part of the caller's transaction.

    With the database backend the task row is written in that transaction, so the object and
    its task commit together: a server killed right after the commit cannot leave an object
    "queued" with no task to process it. Other backends (the tests' immediate one) queue once
    the transaction has committed, so the task never reads uncommitted or rolled-back rows."""
    if _stored_with_the_data(task):
        task.enqueue(*args)
    else:
        transaction.on_commit(lambda: task.enqueue(*args))


def enqueue_after_lease(task: Any, started_at: datetime, *args: Any) -> bool:
    """Queue `task(*args)` again for when the lease of the run that holds its object ends.

    A task put back in the queue after its worker died may start a little before the object's
    own lease has run out (the object is claimed a moment after the task): without this it would
    find the object busy, finish, and leave it claimed by a dead worker for good. Returns False
    when the backend cannot defer tasks (then nothing is queued)."""
    if not task.get_backend().supports_defer:
        return False
    lease = timedelta(seconds=settings.BACKLINE_TASK_LEASE_SECONDS)
    task.using(run_after=started_at + lease + timedelta(seconds=1)).enqueue(*args)
    return True
