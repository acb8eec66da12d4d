"""Every write to webhooks: subscriptions (create, edit, rotate the secret, delete, send a test),
queueing deliveries for timeline events, the worker's delivery sweep and replays.

Deliveries are an outbox: a timeline event inserts its Delivery rows in the transaction that
writes the event, so a rolled-back request queues nothing and a committed one cannot lose its
webhook; only the worker talks HTTP, so a slow or failing endpoint never holds up a request."""

from __future__ import annotations

import http.client
import logging
import secrets
import time
import urllib.error
import urllib.request
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from backline.accounts.models import User
from backline.core.errors import Conflict, DomainError, PermissionDenied
from backline.webhooks import payloads, rules
from backline.webhooks.choices import TEST_EVENT, DeliveryStatus, SourceType
from backline.webhooks.models import Attempt, Delivery, Subscription

logger = logging.getLogger("backline.webhooks")
_random = secrets.SystemRandom()
USER_AGENT = "Backline-Webhooks/1"
EDITABLE_FIELDS = ("name", "url", "event_types", "is_active")


def _setting(name: str, default: float) -> float:
    return float(getattr(settings, name, default))


def require_manager(actor: User) -> None:
    """Subscriptions hold secrets and send ticket data out: admins only (docs/security.md)."""
    if not actor.is_active or not actor.is_admin:
        raise PermissionDenied("Only admins can manage webhooks.")


def new_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


def _check(name: str, url: str, event_types: Iterable[str]) -> tuple[str, str, list[str]]:
    name = (name or "").strip()
    if not name:
        raise DomainError("Give the subscription a name.", field="name")
    if len(name) > 120:
        raise DomainError("The name is longer than 120 characters.", field="name")
    return name, rules.check_url(url), rules.check_event_types(list(event_types))


def _last_ticket_event_id() -> int:
    from backline.tickets.models import TicketEvent

    return TicketEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


# --- subscriptions ------------------------------------------------------------------------------


def subscription_create(
    *,
    actor: User,
    name: str,
    url: str,
    event_types: Iterable[str],
    is_active: bool = True,
    at: datetime | None = None,
) -> Subscription:
    """Subscribe an endpoint to event kinds; its secret is generated (show it to the user once)."""
    require_manager(actor)
    name, url, types = _check(name, url, event_types)
    now = at or timezone.now()
    return Subscription.objects.create(
        name=name,
        url=url,
        secret=new_secret(),
        event_types=types,
        is_active=bool(is_active),
        since_event_id=_last_ticket_event_id(),
        created_by=actor,
        created_at=now,
        updated_at=now,
    )


def subscription_update(
    *, actor: User, subscription: Subscription, at: datetime | None = None, **changes: Any
) -> Subscription:
    """Rename, retarget, change the event kinds, or (de)activate a subscription."""
    require_manager(actor)
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        field = sorted(unknown)[0]
        raise DomainError(f"Unknown field {field!r}.", field=field)
    values = {
        "name": changes.get("name", subscription.name),
        "url": changes.get("url", subscription.url),
        "event_types": changes.get("event_types", subscription.event_types),
    }
    name, url, types = _check(**values)
    with transaction.atomic():
        fresh = Subscription.objects.select_for_update().get(pk=subscription.pk)
        fresh.name, fresh.url, fresh.event_types = name, url, types
        if "is_active" in changes:
            fresh.is_active = bool(changes["is_active"])
        fresh.updated_at = at or timezone.now()
        fresh.save()
    return fresh


def subscription_rotate_secret(
    *, actor: User, subscription: Subscription, at: datetime | None = None
) -> Subscription:
    """Replace the secret; deliveries from now on are signed with the new one."""
    require_manager(actor)
    now = at or timezone.now()
    Subscription.objects.filter(pk=subscription.pk).update(
        secret=new_secret(), secret_rotated_at=now, updated_at=now
    )
    subscription.refresh_from_db()
    return subscription


def subscription_delete(*, actor: User, subscription: Subscription) -> None:
    """Remove a subscription with its delivery log."""
    require_manager(actor)
    subscription.delete()


def subscription_send_test(
    *, actor: User, subscription: Subscription, at: datetime | None = None
) -> Delivery:
    """Queue a `webhook.test` event for this endpoint (sent by the next worker sweep)."""
    require_manager(actor)
    now = at or timezone.now()
    payload = payloads.ping_payload(subscription, actor, now)
    return Delivery.objects.create(
        subscription=subscription,
        event_id=payload["id"],
        source_type=SourceType.TEST,
        event_type=TEST_EVENT,
        payload=payload,
        next_attempt_at=now,
        created_at=now,
    )


def delivery_replay(*, actor: User, delivery: Delivery, at: datetime | None = None) -> Delivery:
    """Send a delivery again, with the same X-Backline-Delivery id and a fresh retry budget."""
    require_manager(actor)
    now = at or timezone.now()
    replayable = (DeliveryStatus.DELIVERED, DeliveryStatus.FAILED, DeliveryStatus.PENDING)
    # Conditional, so a replay never races a worker that is sending it right now.
    updated = Delivery.objects.filter(pk=delivery.pk, status__in=replayable).update(
        status=DeliveryStatus.PENDING,
        next_attempt_at=now,
        attempts_before_replay=delivery.attempts,
        lease_until=None,
    )
    if not updated:
        raise Conflict("This delivery is being sent right now; try again in a moment.")
    delivery.refresh_from_db()
    return delivery


# --- queueing (called from the save receivers, inside the writing transaction) ------------------


def _subscribers(event_type: str, event_pk: int | None = None) -> list[Subscription]:
    subs = Subscription.objects.filter(is_active=True).only("pk", "event_types", "since_event_id")
    return [
        s
        for s in subs
        if event_type in (s.event_types or []) and (event_pk is None or event_pk > s.since_event_id)
    ]


def _queue(rows: list[Delivery]) -> int:
    """Insert the rows (returns how many were offered; ones already queued are skipped)."""
    if not rows:
        return 0
    # The unique (subscription, source) constraint makes a second queueing a no-op; the savepoint
    # keeps a failed insert from breaking the transaction of the write that caused the event.
    with transaction.atomic():
        created = Delivery.objects.bulk_create(rows, ignore_conflicts=True)
    return len(created)


def _delivery(sub: Subscription, source: str, event: Any, payload: dict, now: datetime) -> Delivery:
    return Delivery(
        subscription=sub,
        event_id=payload["id"],
        source_type=source,
        source_id=event.pk,
        event_type=payload["kind"],
        ticket_id=getattr(event, "ticket_id", None),
        payload=payload,
        next_attempt_at=now,
        created_at=now,
    )


def deliveries_queue_ticket_event(event: Any) -> int:
    """Queue one delivery per active subscription that asked for this ticket event's kind."""
    event_type = rules.ticket_event_type(event.kind)
    if event_type is None:
        return 0
    subs = _subscribers(event_type, event.pk)
    if not subs:
        return 0
    payload = payloads.ticket_payload(event, event_type)
    now = timezone.now()
    return _queue([_delivery(s, SourceType.TICKET, event, payload, now) for s in subs])


def deliveries_queue_problem_event(event: Any) -> int:
    """Queue one delivery per active subscription that asked for this problem event's kind."""
    event_type = rules.problem_event_type(event.kind)
    if event_type is None:
        return 0
    subs = _subscribers(event_type)
    if not subs:
        return 0
    payload = payloads.problem_payload(event, event_type)
    now = timezone.now()
    return _queue([_delivery(s, SourceType.PROBLEM, event, payload, now) for s in subs])


def deliveries_queue_missed(*, now: datetime, limit: int = 500) -> int:
    """Queue SLA warnings and breaches the SLA sweep wrote in bulk (no save signal fires for
    those); an event already queued for a subscription is skipped."""
    from backline.tickets.models import TicketEvent

    lookback = timedelta(hours=_setting("BACKLINE_WEBHOOK_LOOKBACK_HOURS", 168))
    queued = 0
    for sub in Subscription.objects.filter(is_active=True):
        kinds = [k for k in rules.SLA_TICKET_EVENTS if rules.TICKET_EVENTS[k] in sub.event_types]
        if not kinds:
            continue
        already = Delivery.objects.filter(
            subscription=sub, source_type=SourceType.TICKET, source_id=OuterRef("pk")
        )
        events = (
            TicketEvent.objects.filter(
                kind__in=kinds, pk__gt=sub.since_event_id, at__gte=now - lookback
            )
            .exclude(Exists(already))
            .select_related("actor", "ticket__team", "ticket__assignee")
            .order_by("pk")[:limit]
        )
        rows = []
        for event in events:
            payload = payloads.ticket_payload(event, rules.TICKET_EVENTS[event.kind])
            rows.append(_delivery(sub, SourceType.TICKET, event, payload, now))
        queued += _queue(rows)
    return queued


# --- sending (the worker) -----------------------------------------------------------------------


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A redirect is an answer, not a new target: a 3xx counts as a failed attempt."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


def _post(
    url: str, body: bytes, headers: dict[str, str], timeout: float
) -> tuple[int | None, str, str]:
    """POST once: (status code or None, start of the response body, error text)."""
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310 - rules.check_url allows http(s) only
    opener = urllib.request.build_opener(_NoRedirects)
    try:
        with opener.open(request, timeout=timeout) as response:
            return response.status, response.read(2048).decode(errors="replace"), ""
    except urllib.error.HTTPError as exc:
        excerpt = exc.read(2048).decode(errors="replace") if exc.fp else ""
        return exc.code, excerpt, f"HTTP {exc.code} {exc.reason}"
    except TimeoutError:
        return None, "", f"Timed out after {timeout:g} s"
    except urllib.error.URLError as exc:
        return None, "", f"Connection failed: {exc.reason}"
    except (OSError, http.client.HTTPException, ValueError) as exc:
        return None, "", f"{type(exc).__name__}: {exc}"


def signed_headers(delivery: Delivery, body: bytes, timestamp: int) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "X-Backline-Event": delivery.event_type,
        "X-Backline-Delivery": str(delivery.delivery_id),
        "X-Backline-Timestamp": str(timestamp),
        "X-Backline-Signature": rules.sign(delivery.subscription.secret, timestamp, body),
    }


def _due(now: datetime) -> Q:
    """Deliveries due now, of active subscriptions: pending ones whose time has come, and ones a
    killed worker left mid-delivery once their lease ran out.

    Every condition sits on the delivery row itself; the subscription is a subquery on its own
    table, not a join. Through a join (`subscription__is_active`) Django writes a conditional
    UPDATE as `WHERE id IN (SELECT … WHERE status = 'pending' …)`, and PostgreSQL, when a second
    worker's UPDATE waited for the first one's row lock, re-checks only `id IN (…)` on the new row
    version, not the status inside the subquery: both workers claimed and sent the delivery."""
    active = Subscription.objects.filter(is_active=True).values("pk")
    return Q(subscription_id__in=active) & (
        Q(status=DeliveryStatus.PENDING, next_attempt_at__lte=now)
        | Q(status=DeliveryStatus.DELIVERING, lease_until__lt=now)
    )


def _lease_end(now: datetime) -> datetime:
    return max(now, timezone.now()) + timedelta(
        seconds=_setting("BACKLINE_WEBHOOK_LEASE_SECONDS", 120)
    )


def delivery_claim(
    delivery_pk: int, *, now: datetime, reserved: datetime | None = None
) -> datetime | None:
    """Take a due delivery for this worker until the lease ends (None: someone else has it).

    `reserved`: the lease under which this worker's batch reserved the delivery
    (`deliveries_reserve`); the claim then renews it, so each delivery gets a full lease from the
    moment it is sent, however long the deliveries before it in the batch took."""
    if reserved is None:
        condition = _due(now)
    else:
        active = Subscription.objects.filter(is_active=True).values("pk")
        condition = Q(
            status=DeliveryStatus.DELIVERING, lease_until=reserved, subscription_id__in=active
        )
    lease_until = _lease_end(now)
    claimed = Delivery.objects.filter(condition, pk=delivery_pk).update(
        status=DeliveryStatus.DELIVERING, lease_until=lease_until
    )
    return lease_until if claimed else None


def deliveries_reserve(*, now: datetime, limit: int) -> tuple[list[int], datetime]:
    """Reserve up to `limit` due deliveries for this worker, oldest first: their ids, and the
    lease they were reserved under (each is claimed again with it just before it is sent).

    On PostgreSQL the due rows are locked `FOR UPDATE SKIP LOCKED` and marked `delivering` in one
    short transaction, so concurrent workers reserve different deliveries instead of racing down
    the same list; SQLite has one writer at a time (IMMEDIATE transactions) and gets the same
    result. The conditional update re-checks each row, so only still-due rows are reserved."""
    from django.db import connection

    reserved = _lease_end(now)
    with transaction.atomic():
        due = Delivery.objects.filter(_due(now)).order_by("next_attempt_at", "pk")
        if connection.features.has_select_for_update_skip_locked:
            due = due.select_for_update(skip_locked=True, of=("self",))
        picked = list(due.values_list("pk", flat=True)[:limit])
        if not picked:
            return [], reserved
        Delivery.objects.filter(_due(now), pk__in=picked).update(
            status=DeliveryStatus.DELIVERING, lease_until=reserved
        )
        mine = set(
            Delivery.objects.filter(
                pk__in=picked, status=DeliveryStatus.DELIVERING, lease_until=reserved
            ).values_list("pk", flat=True)
        )
    return [pk for pk in picked if pk in mine], reserved


def _release(pks: list[int], reserved: datetime) -> None:
    """Hand reserved deliveries this worker will not send back as pending (due as before), so
    another worker or the next round sends them without waiting for the lease to run out."""
    if pks:
        Delivery.objects.filter(
            pk__in=pks, status=DeliveryStatus.DELIVERING, lease_until=reserved
        ).update(status=DeliveryStatus.PENDING, lease_until=None)


def delivery_send(delivery: Delivery, *, lease_until: datetime, now: datetime) -> str:
    """POST a claimed delivery once and record the attempt; returns the outcome."""
    body = rules.body_bytes(delivery.payload)
    headers = signed_headers(delivery, body, int(time.time()))
    timeout = _setting("BACKLINE_WEBHOOK_TIMEOUT_SECONDS", 5)
    started = time.monotonic()
    try:
        code, excerpt, error = _post(delivery.subscription.url, body, headers, timeout)
    except Exception as exc:  # anything unforeseen is one failed attempt, never a stuck row
        logger.exception("webhook delivery %s failed", delivery.pk)
        code, excerpt, error = None, "", f"{type(exc).__name__}: {exc}"
    duration_ms = int((time.monotonic() - started) * 1000)
    return _record(
        delivery, lease_until, max(now, timezone.now()), code, excerpt, error, duration_ms
    )


def _record(
    delivery: Delivery,
    lease_until: datetime,
    at: datetime,
    code: int | None,
    excerpt: str,
    error: str,
    duration_ms: int,
) -> str:
    attempts = delivery.attempts + 1
    changes: dict[str, Any] = {
        "attempts": attempts,
        "last_attempt_at": at,
        "last_response_code": code,
        "lease_until": None,
    }
    if rules.is_success(code):
        outcome = "delivered"
        changes.update(
            status=DeliveryStatus.DELIVERED, delivered_at=at, next_attempt_at=None, last_error=""
        )
    else:
        error = error or f"HTTP {code}"
        changes["last_error"] = error
        in_round = attempts - delivery.attempts_before_replay
        if rules.gives_up(in_round, int(_setting("BACKLINE_WEBHOOK_MAX_ATTEMPTS", 8))):
            outcome = "failed"
            changes.update(status=DeliveryStatus.FAILED, next_attempt_at=None)
        else:
            outcome = "retrying"
            delay = rules.retry_delay(
                in_round,
                base=_setting("BACKLINE_WEBHOOK_RETRY_BASE_SECONDS", 30),
                cap=_setting("BACKLINE_WEBHOOK_RETRY_CAP_SECONDS", 6 * 3600),
                jitter=_random.random(),
            )
            changes.update(status=DeliveryStatus.PENDING, next_attempt_at=at + delay)
    with transaction.atomic():
        Attempt.objects.create(
            delivery=delivery,
            number=attempts,
            at=at,
            response_code=code,
            duration_ms=duration_ms,
            error=error[:2000],
            response_excerpt=excerpt[:2000],
        )
        # Only while this worker still holds the lease: a slower one must not undo a newer result.
        Delivery.objects.filter(
            pk=delivery.pk, status=DeliveryStatus.DELIVERING, lease_until=lease_until
        ).update(**changes)
    return outcome


def deliveries_run(*, now: datetime) -> dict[str, int]:
    """Deliver the webhook events that are due (the worker's sweep): pending ones whose time has
    come, and ones a killed worker left mid-delivery once their lease ran out.

    Takes batches of BACKLINE_WEBHOOK_BATCH until none is due or BACKLINE_WEBHOOK_SWEEP_SECONDS
    (10 s) are spent, so a backlog drains at the endpoints' pace rather than one batch per worker
    round (at most 50 per 15 s); 0 sends one batch per call. Safe with many workers: each batch is
    reserved with SKIP LOCKED and each delivery claimed with a conditional update, so every
    delivery is sent by one worker. `now` stays fixed for the call: a delivery that fails is due
    again later (its backoff), never twice in one call."""
    counts = {
        "queued": deliveries_queue_missed(now=now),
        "delivered": 0,
        "retrying": 0,
        "failed": 0,
    }
    batch = max(1, int(_setting("BACKLINE_WEBHOOK_BATCH", 50)))
    budget = _setting("BACKLINE_WEBHOOK_SWEEP_SECONDS", 10)
    started = time.monotonic()
    while True:
        pks, reserved = deliveries_reserve(now=now, limit=batch)
        if not pks:
            break
        unsent, skipped = list(pks), []
        try:
            while unsent:
                pk = unsent.pop(0)
                lease_until = delivery_claim(pk, now=now, reserved=reserved)
                if lease_until is None:
                    # Paused meanwhile (it goes back to pending, to wait there), or its lease ran
                    # out and another worker has it now (then the release leaves it alone).
                    skipped.append(pk)
                    continue
                delivery = Delivery.objects.select_related("subscription").get(pk=pk)
                counts[delivery_send(delivery, lease_until=lease_until, now=now)] += 1
                if budget > 0 and time.monotonic() - started >= budget:
                    break  # the rest of the batch goes back for the next round
        finally:
            _release(unsent + skipped, reserved)
        if time.monotonic() - started >= budget:
            break
    return {k: v for k, v in counts.items() if v}
