"""API: webhook subscriptions (managers), the delivery log with filters, replay and test events."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Status

from backline.core.api import ErrorOut, Id
from backline.core.errors import DomainError
from backline.tickets.queries import paginate
from backline.webhooks import queries, services
from backline.webhooks.choices import EventType
from backline.webhooks.filters import DeliveryFilter
from backline.webhooks.schemas import (
    DeliveryDetailOut,
    DeliveryOut,
    DeliveryPage,
    EventTypeOut,
    SubscriptionIn,
    SubscriptionOut,
    SubscriptionPatch,
    SubscriptionSecretOut,
)

router = Router(tags=["webhooks"])

ERRORS: dict[int, Any] = dict.fromkeys((400, 401, 403, 404, 409, 422, 429), ErrorOut)


@router.get("/webhooks/event-types", response={200: list[EventTypeOut], **ERRORS})
def event_types(request: HttpRequest):
    """The catalogue of event kinds a subscription can receive."""
    return [{"kind": value, "label": label} for value, label in EventType.choices]


@router.get("/webhooks/subscriptions", response={200: list[SubscriptionOut], **ERRORS})
def subscription_list(request: HttpRequest):
    return list(queries.subscriptions_list(request.user))


@router.post("/webhooks/subscriptions", response={201: SubscriptionSecretOut, **ERRORS})
def subscription_create(request: HttpRequest, payload: SubscriptionIn):
    """Subscribe an endpoint; the answer holds the signing secret, shown only this once."""
    data = payload.dict()
    data["event_types"] = [str(t) for t in data["event_types"]]
    return Status(201, services.subscription_create(actor=request.user, **data))


@router.get("/webhooks/subscriptions/{sub_id}", response={200: SubscriptionOut, **ERRORS})
def subscription_get(request: HttpRequest, sub_id: Id):
    return queries.subscription_get(request.user, sub_id)


@router.patch("/webhooks/subscriptions/{sub_id}", response={200: SubscriptionOut, **ERRORS})
def subscription_update(request: HttpRequest, sub_id: Id, payload: SubscriptionPatch):
    """Change the name, URL, event kinds, or set `is_active` false to pause it."""
    sub = queries.subscription_get(request.user, sub_id)
    data = payload.dict(exclude_unset=True)
    for name in ("name", "url", "event_types", "is_active"):
        if name in data and data[name] is None:
            raise DomainError(f"{name} must not be null.", field=name)
    if "event_types" in data:
        data["event_types"] = [str(t) for t in data["event_types"]]
    return services.subscription_update(actor=request.user, subscription=sub, **data)


@router.delete("/webhooks/subscriptions/{sub_id}", response={204: None, **ERRORS})
def subscription_delete(request: HttpRequest, sub_id: Id):
    sub = queries.subscription_get(request.user, sub_id)
    services.subscription_delete(actor=request.user, subscription=sub)
    return Status(204, None)


@router.post(
    "/webhooks/subscriptions/{sub_id}/rotate-secret",
    response={200: SubscriptionSecretOut, **ERRORS},
)
def subscription_rotate_secret(request: HttpRequest, sub_id: Id):
    """A new signing secret (in this answer only); later deliveries are signed with it."""
    sub = queries.subscription_get(request.user, sub_id)
    return services.subscription_rotate_secret(actor=request.user, subscription=sub)


@router.post("/webhooks/subscriptions/{sub_id}/test", response={202: DeliveryOut, **ERRORS})
def subscription_test(request: HttpRequest, sub_id: Id):
    """Queue a `webhook.test` event; the worker sends it on its next sweep."""
    sub = queries.subscription_get(request.user, sub_id)
    return Status(202, services.subscription_send_test(actor=request.user, subscription=sub))


@router.get("/webhooks/deliveries", response={200: DeliveryPage, **ERRORS})
def delivery_list(
    request: HttpRequest, flt: Query[DeliveryFilter], page: int = 1, page_size: int = 50
):
    """The delivery log, newest first."""
    if page < 1 or not 1 <= page_size <= 200:
        raise DomainError("page must be >= 1 and page_size 1–200.", field="page_size")
    result = paginate(queries.deliveries_list(request.user, flt), page, page_size)
    return {
        "items": list(result.object_list),
        "count": result.paginator.count,
        "page": result.number,
        "page_size": page_size,
        "pages": result.paginator.num_pages,
    }


@router.get("/webhooks/deliveries/{delivery_id}", response={200: DeliveryDetailOut, **ERRORS})
def delivery_get(request: HttpRequest, delivery_id: Id):
    """One delivery with its payload and every attempt."""
    return queries.delivery_get(request.user, delivery_id)


@router.post("/webhooks/deliveries/{delivery_id}/replay", response={202: DeliveryOut, **ERRORS})
def delivery_replay(request: HttpRequest, delivery_id: Id):
    """Send again with the same X-Backline-Delivery id (receivers dedupe on it)."""
    delivery = queries.delivery_get(request.user, delivery_id)
    return Status(202, services.delivery_replay(actor=request.user, delivery=delivery))
