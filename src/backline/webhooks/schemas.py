from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from ninja import Field, Schema

from backline.accounts.schemas import UserRef
from backline.webhooks.choices import DeliveryStatus, EventType


class EventTypeOut(Schema):
    kind: str
    label: str


class SubscriptionOut(Schema):
    id: int
    name: str
    url: str
    event_types: list[str]
    is_active: bool
    secret_hint: str = Field(
        ..., description="The secret's last characters; it is shown in full once"
    )
    secret_rotated_at: datetime | None
    created_by: UserRef
    created_at: datetime
    updated_at: datetime


class SubscriptionSecretOut(SubscriptionOut):
    secret: str = Field(..., description="Shown only in this answer: store it in the receiver")


class SubscriptionIn(Schema):
    name: str = Field(..., max_length=120)
    url: str = Field(..., max_length=500, description="http:// or https:// endpoint")
    event_types: list[EventType] = Field(..., min_length=1, max_length=50)
    is_active: bool = True


class SubscriptionPatch(Schema):
    name: str | None = Field(None, max_length=120)
    url: str | None = Field(None, max_length=500)
    event_types: list[EventType] | None = Field(None, min_length=1, max_length=50)
    is_active: bool | None = None


class AttemptOut(Schema):
    number: int
    at: datetime
    response_code: int | None
    duration_ms: int
    error: str
    response_excerpt: str


class DeliveryOut(Schema):
    id: int
    delivery_id: UUID
    subscription: int
    event_id: str
    event_type: str
    ticket: str | None
    status: DeliveryStatus
    attempts: int
    next_attempt_at: datetime | None
    last_attempt_at: datetime | None
    last_response_code: int | None
    last_error: str
    created_at: datetime
    delivered_at: datetime | None

    @staticmethod
    def resolve_subscription(obj) -> int:
        return obj.subscription_id

    @staticmethod
    def resolve_ticket(obj) -> str | None:
        return obj.ticket.number if obj.ticket_id else None


class DeliveryDetailOut(DeliveryOut):
    payload: dict[str, Any]
    attempt_log: list[AttemptOut]

    @staticmethod
    def resolve_attempt_log(obj) -> list:
        return list(obj.attempt_log.order_by("number", "id"))


class DeliveryPage(Schema):
    items: list[DeliveryOut]
    count: int
    page: int
    page_size: int
    pages: int
