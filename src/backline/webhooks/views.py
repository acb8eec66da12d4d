"""Webhook settings pages for managers: subscriptions, their delivery log, attempts, replay.
Views parse input and call services; a refusal becomes a form error or a message."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from backline.core.errors import DomainError
from backline.core.forms import add_domain_error
from backline.tickets.queries import paginate
from backline.webhooks import queries, rules, services
from backline.webhooks.choices import EventType
from backline.webhooks.filters import DeliveryFilter
from backline.webhooks.forms import DeliveryFilterForm, SubscriptionForm
from backline.webhooks.models import Subscription

_SESSION_SLOT = "webhooks.new_secret"
STATUS_CLASSES = {
    "pending": "chip sla-warning",
    "delivering": "chip",
    "delivered": "chip sla-ok",
    "failed": "chip sla-breached",
}


def _show_secret_once(request: HttpRequest, sub: Subscription) -> None:
    # The secret rides in the session until the next page shows it, then it is gone.
    request.session[_SESSION_SLOT] = {"id": sub.pk, "secret": sub.secret}


@login_required
@require_GET
def subscription_list(request: HttpRequest) -> HttpResponse:
    subs = list(queries.subscriptions_list(request.user))
    labels = dict(EventType.choices)
    context = {"title": "Webhooks", "subs": subs, "labels": labels}
    return render(request, "webhooks/list.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def subscription_create(request: HttpRequest) -> HttpResponse:
    services.require_manager(request.user)
    form = SubscriptionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            sub = services.subscription_create(actor=request.user, **form.cleaned_data)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            _show_secret_once(request, sub)
            messages.success(request, f"Webhook “{sub.name}” created.")
            return redirect("webhooks:detail", pk=sub.pk)
    status = 422 if request.method == "POST" else 200
    context = {"form": form, "title": "New webhook", "sub": None}
    return render(request, "webhooks/form.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def subscription_edit(request: HttpRequest, pk: int) -> HttpResponse:
    sub = queries.subscription_get(request.user, pk)
    initial = {f: getattr(sub, f) for f in services.EDITABLE_FIELDS}
    form = SubscriptionForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            sub = services.subscription_update(
                actor=request.user, subscription=sub, **form.cleaned_data
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, f"Webhook “{sub.name}” saved.")
            return redirect("webhooks:detail", pk=sub.pk)
    status = 422 if request.method == "POST" else 200
    context = {"form": form, "title": f"Edit webhook · {sub.name}", "sub": sub}
    return render(request, "webhooks/form.html", context, status=status)


def _log_context(request: HttpRequest, sub: Subscription) -> dict:
    form = DeliveryFilterForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    flt = DeliveryFilter(
        subscription=sub.pk,
        status=data.get("status") or None,
        event_type=data.get("event_type") or None,
    )
    page = paginate(queries.deliveries_list(request.user, flt), request.GET.get("page"), 25)
    return {"sub": sub, "filter_form": form, "page": page, "status_classes": STATUS_CLASSES}


@login_required
@require_GET
def subscription_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The subscription and its delivery log (the log alone for an HTMX refresh or filter)."""
    sub = queries.subscription_get(request.user, pk)
    context = _log_context(request, sub)
    if request.htmx:
        return render(request, "webhooks/detail.html#log", context)
    shown = request.session.pop(_SESSION_SLOT, None)
    context.update(
        title=f"Webhook · {sub.name}",
        secret=shown["secret"] if shown and shown.get("id") == sub.pk else "",
        labels=dict(EventType.choices),
    )
    return render(request, "webhooks/detail.html", context)


@login_required
@require_POST
def subscription_rotate(request: HttpRequest, pk: int) -> HttpResponse:
    sub = queries.subscription_get(request.user, pk)
    sub = services.subscription_rotate_secret(actor=request.user, subscription=sub)
    _show_secret_once(request, sub)
    messages.success(request, "New secret generated; update the receiver before the next event.")
    return redirect("webhooks:detail", pk=sub.pk)


@login_required
@require_POST
def subscription_toggle(request: HttpRequest, pk: int) -> HttpResponse:
    sub = queries.subscription_get(request.user, pk)
    sub = services.subscription_update(
        actor=request.user, subscription=sub, is_active=not sub.is_active
    )
    state = "active again" if sub.is_active else "paused: nothing is queued or sent for it"
    messages.success(request, f"Webhook “{sub.name}” is {state}.")
    return redirect("webhooks:detail", pk=sub.pk)


@login_required
@require_POST
def subscription_delete(request: HttpRequest, pk: int) -> HttpResponse:
    sub = queries.subscription_get(request.user, pk)
    services.subscription_delete(actor=request.user, subscription=sub)
    messages.success(request, f"Webhook “{sub.name}” deleted with its delivery log.")
    return redirect("webhooks:list")


def _after_log_action(request: HttpRequest, sub: Subscription, message: str, ok: bool = True):
    if request.htmx:
        context = _log_context(request, sub)
        context["flash"], context["flash_ok"] = message, ok
        return render(request, "webhooks/detail.html#log", context, status=200 if ok else 409)
    (messages.success if ok else messages.error)(request, message)
    return redirect("webhooks:detail", pk=sub.pk)


@login_required
@require_POST
def subscription_test(request: HttpRequest, pk: int) -> HttpResponse:
    sub = queries.subscription_get(request.user, pk)
    services.subscription_send_test(actor=request.user, subscription=sub)
    note = "" if sub.is_active else " It is sent once the webhook is active again."
    return _after_log_action(request, sub, "Test event queued; the worker sends it shortly." + note)


@login_required
@require_GET
def delivery_detail(request: HttpRequest, pk: int) -> HttpResponse:
    delivery = queries.delivery_get(request.user, pk)
    context = {
        "title": f"Delivery {delivery.number}",
        "delivery": delivery,
        "sub": delivery.subscription,
        "attempts": queries.delivery_attempts(delivery),
        "body": rules.body_bytes(delivery.payload).decode(),
        "status_classes": STATUS_CLASSES,
    }
    return render(request, "webhooks/delivery.html", context)


@login_required
@require_POST
def delivery_replay(request: HttpRequest, pk: int) -> HttpResponse:
    delivery = queries.delivery_get(request.user, pk)
    try:
        services.delivery_replay(actor=request.user, delivery=delivery)
    except DomainError as exc:
        return _after_log_action(request, delivery.subscription, exc.message, ok=False)
    message = f"Delivery {delivery.number} queued again (same delivery id)."
    if not request.htmx and request.POST.get("next") == "delivery":
        messages.success(request, message)
        return redirect("webhooks:delivery", pk=delivery.pk)
    return _after_log_action(request, delivery.subscription, message)
