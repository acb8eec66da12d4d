"""Sign-in, sign-out and the user's API tokens."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import login, logout
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST

from backline.accounts import services
from backline.accounts.forms import LoginForm, TokenForm
from backline.accounts.oidc import oidc_enabled
from backline.accounts.queries import tokens_of
from backline.core.errors import DomainError
from backline.core.forms import add_domain_error


@require_http_methods(["GET", "POST"])
def login_view(request: HttpRequest) -> HttpResponse:
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if not url_has_allowed_host_and_scheme(next_url, {request.get_host()}, request.is_secure()):
        next_url = ""
    form = LoginForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            user = services.login_attempt(
                request=request,
                username=form.cleaned_data["username"],
                password=form.cleaned_data["password"],
            )
        except DomainError as exc:
            form.add_error(None, exc.message)
            status = exc.status if exc.status == 429 else 401
        else:
            login(request, user)
            # Requesters land in the portal; staff on their queues.
            home = "tickets:queue" if user.is_staff_member else "portal:home"
            return redirect(next_url or home)
    context = {
        "form": form,
        "next": next_url,
        "title": "Sign in",
        "oidc_provider": settings.BACKLINE_OIDC_PROVIDER_NAME if oidc_enabled() else "",
    }
    return render(request, "accounts/login.html", context, status=status)


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    logout(request)
    return redirect("accounts:login")


@login_required
@require_http_methods(["GET", "POST"])
def token_list(request: HttpRequest) -> HttpResponse:
    form = TokenForm(request.POST or None)
    secret = ""
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            _, secret = services.token_create(
                user=request.user,
                name=form.cleaned_data["name"],
                scope=form.cleaned_data["scope"],
                actor=request.user,
            )
            form = TokenForm()
        except DomainError as exc:
            add_domain_error(form, exc)
            status = 422
    context = {
        "form": form,
        "secret": secret,
        "tokens": tokens_of(request.user),
        "title": "API tokens",
    }
    return render(request, "accounts/tokens.html", context, status=status)


@login_required
@require_POST
def token_revoke(request: HttpRequest, token_id: int) -> HttpResponse:
    services.token_revoke(token_id=token_id, actor=request.user)
    return redirect("accounts:tokens")
