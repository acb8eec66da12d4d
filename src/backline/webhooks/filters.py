"""The delivery log filter, shared by the HTML log and the API list."""

from __future__ import annotations

from ninja import Schema
from pydantic import Field

from backline.webhooks.choices import DeliveryStatus


class DeliveryFilter(Schema):
    subscription: int | None = Field(None, ge=1, le=2**63 - 1, description="Subscription id")
    status: DeliveryStatus | None = None
    event_type: str | None = Field(None, max_length=40, description="e.g. ticket.escalated")
    ticket: str | None = Field(None, max_length=30, description="INC-000042 or 42")
