"""Health probes for load balancers and orchestrators: `/healthz` (liveness) and `/readyz`.

`/healthz` answers "ok" without touching the database, the session or the user, so it says only
that this process serves requests; it is also the "trivial view" ceiling the benchmarks compare
real pages against. `/readyz` runs exactly one `SELECT 1` and answers 503 when the database cannot
be reached, so a load balancer stops sending traffic to a process that could only fail.

Neither reads `request.user` or `request.session` (both lazy), so the session, authentication,
CSRF, messages and audit middleware do no database work for them; the settings exempt both from
the HTTPS redirect so a probe over plain HTTP inside the network gets its answer, not a 301.
"""

from __future__ import annotations

import logging

from django.db import DatabaseError, connection
from django.http import HttpRequest, HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

logger = logging.getLogger("backline.health")


def _text(body: str, status: int = 200) -> HttpResponse:
    return HttpResponse(body, status=status, content_type="text/plain; charset=utf-8")


@never_cache
@require_safe
def healthz(request: HttpRequest) -> HttpResponse:
    """Liveness: the process answers. No database, session or authentication."""
    return _text("ok")


@never_cache
@require_safe
def readyz(request: HttpRequest) -> HttpResponse:
    """Readiness: the database answers one trivial query; 503 when it does not."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        # Logged without the traceback's noise: a probe fails every few seconds while it lasts.
        logger.warning("readiness probe: database unreachable", exc_info=True)
        return _text("database unavailable", status=503)
    return _text("ready")
