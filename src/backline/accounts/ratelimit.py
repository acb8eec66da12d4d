"""API rate limits: a fixed one-minute window counter per client in Django's cache.

A fixed window is exact about what it promises (at most N calls between hh:mm:00 and hh:mm:59)
and costs two cache operations a request; its known weakness is that a client may send up to 2N
calls across a window boundary, which is acceptable for a generous abuse limit.

The counters live in the `default` cache. With the local-memory cache (the default) each server
process counts on its own, so `backline serve` with 2 workers lets a client through up to twice
the configured rate (each worker enforces the limit on the calls it serves). A shared cache
backend (Redis, memcached) in `CACHES` makes the count exact across processes.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache

WINDOW_SECONDS = 60


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    limit: int
    retry_after: int  # seconds until the window resets; 0 when allowed


def _now() -> float:
    return time.time()


def limit_for(kind: str) -> int:
    """The configured calls per minute for a budget (`read`, `write`, `anonymous`); 0 = none."""
    return int(settings.BACKLINE_API_RATE_PER_MINUTE.get(kind, 0))


def hit(key: str, kind: str) -> Verdict:
    """Count one call by `key` against its `kind` budget and say whether it may go ahead."""
    limit = limit_for(kind)
    if limit <= 0:
        return Verdict(True, 0, 0)
    now = _now()
    window = int(now // WINDOW_SECONDS)
    cache_key = f"backline:rate:{kind}:{key}:{window}"
    # add() is a no-op when the key exists, so concurrent first calls do not reset each other.
    cache.add(cache_key, 0, timeout=WINDOW_SECONDS + 5)
    try:
        count = cache.incr(cache_key)
    except ValueError:  # evicted between add() and incr(): start the window again
        cache.set(cache_key, 1, timeout=WINDOW_SECONDS + 5)
        count = 1
    if count <= limit:
        return Verdict(True, limit, 0)
    retry_after = max(1, math.ceil((window + 1) * WINDOW_SECONDS - now))
    return Verdict(False, limit, retry_after)
