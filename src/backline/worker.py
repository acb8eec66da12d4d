"""`backline worker`: the background tasks queue plus the periodic sweeps.

Any number of workers may run at once: every sweep records each outcome with a conditional
update (a warning, a breach, a close happens once), so a second worker finds nothing left to do,
and a worker killed mid-sweep loses nothing — the next sweep picks up where it stopped.
"""

from __future__ import annotations

import logging
import signal
import time
from collections.abc import Callable

from django.conf import settings
from django.core.management import call_command
from django.db import close_old_connections
from django.utils import timezone

logger = logging.getLogger("backline.worker")
TASK_POLL_SECONDS = 2


def sweeps() -> list[tuple[str, Callable[[], dict]]]:
    """The periodic jobs, in the order they run."""
    from backline.analytics.report import weekly_report_send
    from backline.analytics.services import facts_sync
    from backline.audit.services import audit_seal
    from backline.changes.services import credentials_expiry_sweep
    from backline.intake.mail_imap import mailboxes_poll
    from backline.knowledge.services import stale_reviews_open
    from backline.mailout.services import emails_send
    from backline.problems.verification import problems_sweep
    from backline.sla.services import sla_sweep
    from backline.tickets.services import tickets_autoclose
    from backline.webhooks.services import deliveries_run

    return [
        ("sla", lambda: sla_sweep(now=timezone.now())),
        ("autoclose", lambda: tickets_autoclose(now=timezone.now())),
        ("kb_stale", lambda: stale_reviews_open()),
        ("expiry", lambda: credentials_expiry_sweep(now=timezone.now())),
        ("problems", lambda: problems_sweep(now=timezone.now())),
        ("webhooks", lambda: deliveries_run(now=timezone.now())),
        ("weekly_report", lambda: weekly_report_send(now=timezone.now())),
        ("mailout", lambda: emails_send(now=timezone.now())),
        ("mail", lambda: mailboxes_poll(now=timezone.now())),
        ("analytics", lambda: facts_sync()),
        # Audit events whose writer died between commit and seal (normally sealed at once).
        ("audit", lambda: {"sealed": audit_seal()}),
    ]


def requeue_abandoned_tasks(*, now=None) -> int:
    """Tasks claimed by a worker that died (killed mid-task) go back to the queue after the
    lease (BACKLINE_TASK_LEASE_SECONDS), so they run again instead of staying "running"."""
    from datetime import timedelta

    from django_tasks.base import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    now = now or timezone.now()
    cutoff = now - timedelta(seconds=settings.BACKLINE_TASK_LEASE_SECONDS)
    return DBTaskResult.objects.filter(
        status=TaskResultStatus.RUNNING, started_at__lt=cutoff
    ).update(status=TaskResultStatus.READY, started_at=None)


def run_once() -> dict[str, dict]:
    """Run every sweep once, then the queued background tasks."""
    from backline.audit.context import audit_scope

    with audit_scope("worker"):  # what the sweeps change is audited as done by the worker
        results: dict[str, dict] = {"tasks": {"requeued": requeue_abandoned_tasks()}}
        for name, job in sweeps():
            try:
                results[name] = job()
            except Exception:  # a failing sweep must not stop the others; retried next round
                logger.exception("sweep %s failed", name)
                results[name] = {"error": 1}
        run_tasks()
    return results


def run_tasks() -> None:
    """Run the queued background tasks (log processing…) until the queue is empty."""
    from backline.audit.context import audit_scope

    backend = settings.TASKS.get("default", {}).get("BACKEND", "")
    if "django_tasks_db" in settings.INSTALLED_APPS and backend.startswith("django_tasks_db"):
        with audit_scope("worker"):
            call_command("db_worker", batch=True, verbosity=0)


def run_forever(*, interval: float) -> None:
    """Sweep every `interval` seconds until SIGINT or SIGTERM."""
    stop = {"now": False}

    def request_stop(signum, frame) -> None:
        stop["now"] = True

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    logger.info("worker started; sweeping every %s s", interval)
    while not stop["now"]:
        close_old_connections()
        results = run_once()
        if any(any(v for v in r.values()) for r in results.values()):
            logger.info("sweep: %s", results)
        slept = 0.0
        while slept < interval and not stop["now"]:
            time.sleep(0.5)
            slept += 0.5
            if slept % TASK_POLL_SECONDS == 0:
                # Queued tasks (a log someone just attached) start within seconds, not a sweep.
                close_old_connections()
                try:
                    run_tasks()
                except Exception:  # the next poll tries again; a sweep must still run
                    logger.exception("background tasks failed")
    logger.info("worker stopped")
