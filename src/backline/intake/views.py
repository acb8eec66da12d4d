"""Settings → Alert sources, for managers: sources (token shown once, regenerate), the ordered
label rules, and each source's log of notifications with the incidents they opened."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from backline.core.errors import DomainError
from backline.core.forms import add_domain_error
from backline.intake import queries, rules, services
from backline.intake.forms import RuleForm, SourceForm
from backline.intake.models import AlertRule, AlertSource


def _rules_context(**extra: Any) -> dict:
    rows = [{"rule": r, "matchers": rules.matchers_text(r.matchers)} for r in queries.rules_list()]
    return {"rule_rows": rows, **extra}


@login_required
@require_GET
def index(request: HttpRequest) -> HttpResponse:
    services.require_manager(request.user)
    context = _rules_context(title="Alert sources", sources=list(queries.sources_list()))
    return render(request, "intake/index.html", context)


def _detail(
    request: HttpRequest, source: AlertSource, secret: str = "", status: int = 200
) -> HttpResponse:
    context = {
        "title": f"Alert source · {source.name}",
        "source": source,
        "secret": secret,
        "receiver_url": request.build_absolute_uri(source.receiver_path),
        "notifications": queries.source_notifications(source),
        "alerts": queries.source_alerts(source),
    }
    if request.htmx and not secret:
        return render(request, "intake/source.html#log", context, status=status)
    return render(request, "intake/source.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def source_create(request: HttpRequest) -> HttpResponse:
    services.require_manager(request.user)
    form = SourceForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            source, secret = services.alert_source_create(actor=request.user, **form.cleaned_data)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, f"Alert source “{source.name}” added.")
            return _detail(request, source, secret, status=201)
    status = 422 if request.method == "POST" else 200
    context = {"form": form, "title": "New alert source", "source": None}
    return render(request, "intake/source_form.html", context, status=status)


@login_required
@require_GET
def source_detail(request: HttpRequest, pk: int) -> HttpResponse:
    services.require_manager(request.user)
    return _detail(request, queries.source_get(pk))


@login_required
@require_http_methods(["GET", "POST"])
def source_edit(request: HttpRequest, pk: int) -> HttpResponse:
    services.require_manager(request.user)
    source = queries.source_get(pk)
    initial = {name: getattr(source, name) for name in services.SOURCE_FIELDS}
    form = SourceForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            source = services.alert_source_update(
                actor=request.user, source=source, **form.cleaned_data
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, f"Alert source “{source.name}” saved.")
            return redirect("intake:source", pk=source.pk)
    status = 422 if request.method == "POST" else 200
    context = {"form": form, "title": f"Edit · {source.name}", "source": source}
    return render(request, "intake/source_form.html", context, status=status)


@login_required
@require_POST
def source_token(request: HttpRequest, pk: int) -> HttpResponse:
    services.require_manager(request.user)
    source, secret = services.alert_source_token_regenerate(
        actor=request.user, source=queries.source_get(pk)
    )
    messages.success(request, "New token made: the old one no longer works.")
    return _detail(request, source, secret)


def _rule_form_page(
    request: HttpRequest, form: RuleForm, rule: AlertRule | None, status: int
) -> HttpResponse:
    title = f"Edit rule · {rule.name}" if rule else "New alert rule"
    return render(
        request,
        "intake/rule_form.html",
        {"form": form, "rule": rule, "title": title},
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def rule_create(request: HttpRequest) -> HttpResponse:
    services.require_manager(request.user)
    form = RuleForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            rule = services.alert_rule_create(actor=request.user, **form.cleaned_data)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, f"Rule “{rule.name}” added at position {rule.position + 1}.")
            return redirect("intake:index")
    return _rule_form_page(request, form, None, 422 if request.method == "POST" else 200)


@login_required
@require_http_methods(["GET", "POST"])
def rule_edit(request: HttpRequest, pk: int) -> HttpResponse:
    services.require_manager(request.user)
    rule = queries.rule_get(pk)
    initial = {name: getattr(rule, name) for name in services.RULE_FIELDS}
    initial["matchers"] = rules.matchers_text(rule.matchers)
    form = RuleForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            rule = services.alert_rule_update(actor=request.user, rule=rule, **form.cleaned_data)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, f"Rule “{rule.name}” saved.")
            return redirect("intake:index")
    return _rule_form_page(request, form, rule, 422 if request.method == "POST" else 200)


def _after_rule_change(request: HttpRequest, message: str) -> HttpResponse:
    if request.htmx:
        return render(request, "intake/index.html#rules", _rules_context(flash=message))
    messages.success(request, message)
    return redirect("intake:index")


@login_required
@require_POST
def rule_move(request: HttpRequest, pk: int) -> HttpResponse:
    services.require_manager(request.user)
    rule = queries.rule_get(pk)
    services.alert_rule_move(
        actor=request.user, rule=rule, direction=request.POST.get("direction", "")
    )
    return _after_rule_change(request, f"Moved “{rule.name}”.")


@login_required
@require_POST
def rule_delete(request: HttpRequest, pk: int) -> HttpResponse:
    services.require_manager(request.user)
    rule = queries.rule_get(pk)
    services.alert_rule_delete(actor=request.user, rule=rule)
    return _after_rule_change(request, f"Deleted “{rule.name}”.")
