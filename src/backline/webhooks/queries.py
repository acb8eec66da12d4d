"""Reads for webhooks: subscriptions with their delivery counts, and the delivery log."""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet

from backline.accounts.models import User
from backline.core.errors import NotFound
from backline.tickets import rules as ticket_rules
from backline.webhooks.choices import DeliveryStatus
from backline.webhooks.filters import DeliveryFilter
from backline.webhooks.models import Attempt, Delivery, Subscription
from backline.webhooks.services import require_manager


def subscriptions_list(user: User) -> QuerySet[Subscription]:
    """Every subscription with how many of its deliveries wait, and how many gave up."""
    require_manager(user)
    return Subscription.objects.select_related("created_by").annotate(
        pending=Count(
            "deliveries",
            filter=Q(deliveries__status__in=[DeliveryStatus.PENDING, DeliveryStatus.DELIVERING]),
        ),
        failed=Count("deliveries", filter=Q(deliveries__status=DeliveryStatus.FAILED)),
    )


def subscription_get(user: User, pk: int | str) -> Subscription:
    """One subscription by id (managers only)."""
    require_manager(user)
    sub = (
        Subscription.objects.select_related("created_by").filter(pk=pk).first()
        if str(pk).isdecimal()
        else None
    )
    if sub is None:
        raise NotFound(f"No webhook subscription {pk}.")
    return sub


def deliveries_list(user: User, flt: DeliveryFilter) -> QuerySet[Delivery]:
    """The delivery log, newest first, filtered."""
    require_manager(user)
    qs = Delivery.objects.select_related("subscription", "ticket").defer("payload")
    if flt.subscription:
        qs = qs.filter(subscription_id=flt.subscription)
    if flt.status:
        qs = qs.filter(status=flt.status)
    if flt.event_type:
        qs = qs.filter(event_type=flt.event_type)
    if flt.ticket:
        qs = qs.filter(ticket_id=ticket_rules.parse_number(flt.ticket) or 0)
    return qs.order_by("-created_at", "-id")


def delivery_get(user: User, pk: int | str) -> Delivery:
    """One delivery with its subscription (managers only)."""
    require_manager(user)
    delivery = (
        Delivery.objects.select_related("subscription", "ticket").filter(pk=pk).first()
        if str(pk).isdecimal()
        else None
    )
    if delivery is None:
        raise NotFound(f"No webhook delivery {pk}.")
    return delivery


def delivery_attempts(delivery: Delivery) -> list[Attempt]:
    """Every attempt of a delivery, latest first."""
    return list(delivery.attempt_log.order_by("-number", "-id"))
