"""Idempotency-Key handling: a retry of a create returns the first answer instead of a duplicate."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import JsonResponse
from django.utils import timezone

from backline.core.errors import BadRequest, Conflict
from backline.core.models import IdempotencyRecord


def fingerprint(payload: Any) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


def run_idempotent(
    *, user, scope: str, key: str | None, payload: Any, create: Callable[[], tuple[int, dict]]
) -> tuple[int, dict, bool]:
    """Run `create` once per (user, scope, key); returns (status, body, replayed).

    The record is written in the same transaction as the object, so a crash leaves neither;
    a concurrent retry collides on the unique key and then reads the winner's answer.
    """
    if not key:
        status, body = create()
        return status, body, False
    if len(key) > 200 or "\x00" in key:
        raise BadRequest(
            "Idempotency-Key must be at most 200 characters, without NUL.", field="Idempotency-Key"
        )
    digest = fingerprint(payload)
    cutoff = timezone.now() - timedelta(hours=settings.BACKLINE_IDEMPOTENCY_TTL_HOURS)
    existing = _find(user, scope, key, cutoff)
    if existing is None:
        try:
            with transaction.atomic():
                IdempotencyRecord.objects.filter(
                    user=user, scope=scope, key=key, created_at__lt=cutoff
                ).delete()
                status, body = create()
                IdempotencyRecord.objects.create(
                    user=user,
                    scope=scope,
                    key=key,
                    fingerprint=digest,
                    status_code=status,
                    response=body,
                )
                return status, body, False
        except IntegrityError:
            existing = _find(user, scope, key, cutoff)
            if existing is None:
                raise
    if existing.fingerprint != digest:
        raise Conflict(
            "This Idempotency-Key was already used with a different request body.",
            code="idempotency_mismatch",
            field="Idempotency-Key",
        )
    return existing.status_code, existing.response, True


def _find(user, scope: str, key: str, cutoff) -> IdempotencyRecord | None:
    return IdempotencyRecord.objects.filter(
        user=user, scope=scope, key=key, created_at__gte=cutoff
    ).first()


def idempotent_response(
    *, user: Any, scope: str, key: str | None, payload: Any, create: Callable[[], tuple[int, dict]]
) -> JsonResponse:
    """`run_idempotent` answered as JSON, marked `Idempotent-Replayed` when it is a repeat."""
    status, body, replayed = run_idempotent(
        user=user, scope=scope, key=key, payload=payload, create=create
    )
    response = JsonResponse(body, status=status)
    if replayed:
        response["Idempotent-Replayed"] = "true"
    return response
