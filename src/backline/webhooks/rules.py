"""Pure webhook policy: which timeline events become which webhook kinds, the signature, the
retry schedule and the target URL check. No ORM here."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from backline.core.errors import DomainError
from backline.webhooks.choices import EventType

# tickets.choices.EventKind value → catalogue kind (events not listed are never sent).
TICKET_EVENTS: dict[str, str] = {
    "created": EventType.TICKET_CREATED,
    "assigned": EventType.TICKET_ASSIGNED,
    "escalated": EventType.TICKET_ESCALATED,
    "accepted": EventType.TICKET_ACCEPTED,
    "returned": EventType.TICKET_RETURNED,
    "deescalated": EventType.TICKET_DEESCALATED,
    "status_changed": EventType.TICKET_STATUS_CHANGED,
    "replied": EventType.TICKET_REPLIED,
    "sla_warning": EventType.TICKET_SLA_WARNING,
    "sla_breached": EventType.TICKET_SLA_BREACHED,
    "major_incident": EventType.TICKET_MAJOR_INCIDENT,
}
# problems.choices.ProblemEventKind value → catalogue kind.
PROBLEM_EVENTS: dict[str, str] = {
    "created": EventType.PROBLEM_CREATED,
    "state_changed": EventType.PROBLEM_STATE_CHANGED,
    "known_error_published": EventType.PROBLEM_KNOWN_ERROR,
}
# Ticket events the SLA sweep may write in bulk (no save signal): the worker looks for them.
SLA_TICKET_EVENTS = ("sla_warning", "sla_breached")

SIGNATURE_PREFIX = "sha256="
MAX_URL_LENGTH = 500


def ticket_event_type(kind: str) -> str | None:
    return TICKET_EVENTS.get(kind)


def problem_event_type(kind: str) -> str | None:
    return PROBLEM_EVENTS.get(kind)


def check_event_types(values: list[str]) -> list[str]:
    """The catalogue kinds asked for, deduplicated in catalogue order; unknown ones refused."""
    unknown = [v for v in values if v not in EventType.values]
    if unknown:
        raise DomainError(
            f"Unknown event type {unknown[0]!r}; see /api/v1/webhooks/event-types.",
            field="event_types",
        )
    if not values:
        raise DomainError("Choose at least one event type.", field="event_types")
    return [v for v in EventType.values if v in set(values)]


def check_url(url: str) -> str:
    """An absolute http(s) URL with a host; anything else is refused naming the field."""
    url = (url or "").strip()
    if not url:
        raise DomainError("The target URL is required.", field="url")
    if len(url) > MAX_URL_LENGTH:
        raise DomainError(f"The URL is longer than {MAX_URL_LENGTH} characters.", field="url")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError as exc:
        raise DomainError(f"Not a valid URL: {exc}.", field="url") from exc
    if parts.scheme not in ("http", "https"):
        raise DomainError("The URL must start with http:// or https://.", field="url")
    if not parts.hostname:
        raise DomainError("The URL must name a host.", field="url")
    if parts.username or parts.password:
        raise DomainError(
            "Put no credentials in the URL; the signature proves the sender.", field="url"
        )
    if any(c.isspace() for c in url):
        raise DomainError("The URL must not contain spaces.", field="url")
    return url


def body_bytes(payload: dict[str, Any]) -> bytes:
    """The exact bytes sent (and signed): compact JSON with sorted keys, so a retry is identical."""
    return json.dumps(payload, separators=(",", ":"), sort_keys=True, ensure_ascii=False).encode()


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """`sha256=` + hex HMAC-SHA256 of "<timestamp>.<body>" keyed with the subscription secret."""
    message = str(timestamp).encode() + b"." + body
    return SIGNATURE_PREFIX + hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def verify(
    secret: str, timestamp: str, body: bytes, signature: str, *, now: int, tolerance: int = 300
) -> bool:
    """What a receiver does: the signature matches and the timestamp is recent (no replays)."""
    if not timestamp.isdigit() or abs(now - int(timestamp)) > tolerance:
        return False
    return hmac.compare_digest(sign(secret, int(timestamp), body), signature)


def retry_delay(attempt: int, *, base: float, cap: float, jitter: float) -> timedelta:
    """Wait after failed attempt number `attempt` (1-based): base × 2^(attempt-1), capped, then
    spread by `jitter` in [0, 1) up to a quarter more, so many failing deliveries do not retry in
    lockstep."""
    seconds = min(cap, base * 2 ** max(0, attempt - 1))
    return timedelta(seconds=seconds * (1 + 0.25 * jitter))


def gives_up(attempts_in_round: int, max_attempts: int) -> bool:
    return attempts_in_round >= max_attempts


def is_success(status: int | None) -> bool:
    return status is not None and 200 <= status < 300
