"""Notification pages: the full list, the bell's dropdown, and marking read."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from backline.notifications import queries, services

PAGE_SIZE = 50
MENU_SIZE = 10


def _safe_url(request: HttpRequest, url: str | None) -> str | None:
    """The URL if it stays on this site, so a stored or posted link cannot send users away."""
    if url and url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return url
    return None


@login_required
@require_GET
def notification_list(request: HttpRequest) -> HttpResponse:
    unread_only = request.GET.get("unread") in {"1", "true", "on"}
    qs = queries.notifications_for(request.user, unread_only=unread_only)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "unread_only": unread_only,
        "unread_total": queries.unread_count(request.user),
        "params": "unread=1&" if unread_only else "",
        "title": "Notifications",
    }
    return render(request, "notifications/list.html", context)


@login_required
@require_GET
def notification_menu(request: HttpRequest) -> HttpResponse:
    """The bell's dropdown body, fetched by HTMX when the bell is first opened."""
    if not request.htmx:
        return redirect("notifications:list")
    context = {
        "latest": list(queries.notifications_for(request.user)[:MENU_SIZE]),
        "unread_total": queries.unread_count(request.user),
        # Mark-all-read from the dropdown returns to the page the user was on.
        "next": _safe_url(request, request.htmx.current_url_abs_path) or "",
    }
    return render(request, "notifications/bell.html#panel", context)


@login_required
@require_POST
def notification_read(request: HttpRequest, notification_id: int) -> HttpResponse:
    """Mark it read and go where it points."""
    notification = services.notification_mark_read(
        actor=request.user, notification_id=notification_id
    )
    return redirect(_safe_url(request, notification.url) or "notifications:list")


@login_required
@require_POST
def notification_read_all(request: HttpRequest) -> HttpResponse:
    marked = services.notifications_mark_all_read(actor=request.user)
    if marked:
        messages.success(request, f"Marked {marked} notification{'s' if marked != 1 else ''} read.")
    return redirect(_safe_url(request, request.POST.get("next")) or "notifications:list")
