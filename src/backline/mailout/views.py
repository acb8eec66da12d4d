"""The user's own email preferences: which kinds of email they receive."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from backline.core.errors import DomainError
from backline.mailout import queries, rules, services
from backline.mailout.choices import EmailKind


@login_required
@require_http_methods(["GET", "POST"])
def preferences(request: HttpRequest) -> HttpResponse:
    user = request.user
    error = ""
    if request.method == "POST":
        try:
            services.mail_preference_set(actor=user, kinds=request.POST.getlist("kinds"))
        except DomainError as exc:
            error = exc.message
        else:
            messages.success(request, "Email preferences saved.")
            return redirect("mailout:preferences")
    received = set(queries.kinds_received(user))
    staff = user.is_staff_member
    groups = [("About my own requests", rules.REQUESTER_KINDS)]
    if staff:
        groups.append(("About my work", rules.STAFF_KINDS))
    if staff and user.is_manager:
        groups.append(("As a manager", rules.MANAGER_KINDS))
    context = {
        "title": "Email preferences",
        "error": error,
        "groups": [
            (heading, [(k, EmailKind(k).label, k in received) for k in kinds])
            for heading, kinds in groups
        ],
        "base": "base.html" if staff else "portal/base.html",
        "mail_enabled": services.mail_enabled(),
    }
    return render(request, "mailout/preferences.html", context)
