"""Routing rules pages for managers: the ordered list, new/edit, move, delete, and a tester."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from backline.accounts.queries import teams_all
from backline.cmdb.queries import services_all
from backline.core.errors import DomainError
from backline.core.forms import add_domain_error
from backline.tickets import routing
from backline.tickets.choices import Priority
from backline.tickets.forms import TeamChoiceField
from backline.tickets.models import Category, RoutingRule
from backline.tickets.queries import categories_active

Mode = RoutingRule.Mode


class RoutingRuleForm(forms.Form):
    name = forms.CharField(max_length=120, widget=forms.TextInput(attrs={"autocomplete": "off"}))
    team = TeamChoiceField(queryset=None, empty_label="— choose —", label="Team")
    mode = forms.ChoiceField(
        choices=Mode.choices,
        initial=Mode.SUGGEST,
        help_text="Suggest pre-selects the team when escalating; Set also routes new API tickets "
        "that arrive without a team.",
    )
    is_active = forms.BooleanField(required=False, initial=True, label="Active")
    category = forms.ModelChoiceField(queryset=None, required=False, empty_label="— any —")
    service = forms.ModelChoiceField(queryset=None, required=False, empty_label="— any —")
    keywords = forms.CharField(
        required=False,
        max_length=routing.KEYWORDS_MAX_LENGTH,
        widget=forms.TextInput(attrs={"autocomplete": "off", "placeholder": "timeout, deadlock"}),
        help_text="Comma-separated words or phrases; any one in the title or description "
        "matches (whole words, any case).",
    )
    priorities = forms.TypedMultipleChoiceField(
        choices=Priority.choices,
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="None ticked: any priority.",
    )

    def __init__(self, *args, current_category: Category | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        categories = categories_active()
        if current_category is not None:
            # An inactive category a rule already uses stays selectable on its edit page.
            categories = (
                Category.objects.filter(Q(is_active=True) | Q(pk=current_category.pk))
                .select_related("parent")
                .order_by("name")
            )
        self.fields["category"].queryset = categories
        self.fields["service"].queryset = services_all()
        self.fields["team"].queryset = teams_all()

    def main_fields(self) -> list:
        return [self[name] for name in ("name", "team", "mode", "is_active")]

    def condition_fields(self) -> list:
        return [self[name] for name in ("category", "service", "keywords")]


class SampleForm(forms.Form):
    """A sample ticket for the rule tester."""

    title = forms.CharField(
        required=False, max_length=200, widget=forms.TextInput(attrs={"autocomplete": "off"})
    )
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))
    category = forms.ModelChoiceField(queryset=None, required=False, empty_label="— none —")
    service = forms.ModelChoiceField(queryset=None, required=False, empty_label="— none —")
    priority = forms.TypedChoiceField(choices=Priority.choices, coerce=int, initial=Priority.P3)

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "sample_%s")
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = categories_active()
        self.fields["service"].queryset = services_all()


def _rules_context(**extra) -> dict:
    rules = list(routing.routing_rules())
    specs = {rule.pk: routing.spec_of(rule) for rule in rules}
    active = [specs[rule.pk] for rule in rules if rule.is_active]
    unreachable = set(routing.unreachable_after_catch_all(active))
    rows = [
        {
            "rule": rule,
            "keywords": specs[rule.pk].keywords,
            "catch_all": routing.is_catch_all(specs[rule.pk]),
            "unreachable": rule.pk in unreachable,
        }
        for rule in rules
    ]
    shadowing = next(
        (row["rule"] for row in rows if row["catch_all"] and row["rule"].is_active), None
    )
    context = {
        "rows": rows,
        "shadowing": shadowing if unreachable else None,
        "unreachable_count": len(unreachable),
    }
    context.update(extra)
    return context


def _page(request: HttpRequest, status: int = 200, **extra) -> HttpResponse:
    context = _rules_context(title="Routing rules", **extra)
    context.setdefault("sample_form", SampleForm())
    return render(request, "routing/list.html", context, status=status)


@login_required
@require_GET
def rule_list(request: HttpRequest) -> HttpResponse:
    routing.require_admin(request.user)
    return _page(request)


@login_required
@require_http_methods(["GET", "POST"])
def rule_create(request: HttpRequest) -> HttpResponse:
    routing.require_admin(request.user)
    form = RoutingRuleForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            rule = routing.routing_rule_create(actor=request.user, **form.cleaned_data)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, f"Rule “{rule.name}” added at position {rule.position + 1}.")
            return redirect("routing:list")
    status = 422 if request.method == "POST" else 200
    context = {"form": form, "title": "New routing rule", "rule": None}
    return render(request, "routing/form.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def rule_edit(request: HttpRequest, rule_id: int) -> HttpResponse:
    routing.require_admin(request.user)
    rule = routing.routing_rule_get(rule_id)
    initial = {
        "name": rule.name,
        "team": rule.team,
        "mode": rule.mode,
        "is_active": rule.is_active,
        "category": rule.category,
        "service": rule.service,
        "keywords": rule.keywords,
        "priorities": list(rule.priorities or []),
    }
    form = RoutingRuleForm(
        request.POST if request.method == "POST" else None,
        initial=initial,
        current_category=rule.category,
    )
    if request.method == "POST" and form.is_valid():
        try:
            rule = routing.routing_rule_update(
                actor=request.user, rule=rule, changes=form.cleaned_data
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, f"Rule “{rule.name}” saved.")
            return redirect("routing:list")
    status = 422 if request.method == "POST" else 200
    context = {"form": form, "title": f"Edit rule · {rule.name}", "rule": rule}
    return render(request, "routing/form.html", context, status=status)


def _after_change(request: HttpRequest, message: str) -> HttpResponse:
    if request.htmx:
        return render(request, "routing/list.html#rules", _rules_context(flash=message))
    messages.success(request, message)
    return redirect("routing:list")


def _refused(request: HttpRequest, exc: DomainError) -> HttpResponse:
    if request.htmx:
        context = _rules_context(error=exc.message)
        return render(request, "routing/list.html#rules", context, status=exc.status)
    messages.error(request, exc.message)
    return redirect("routing:list")


@login_required
@require_POST
def rule_move(request: HttpRequest, rule_id: int) -> HttpResponse:
    routing.require_admin(request.user)
    rule = routing.routing_rule_get(rule_id)
    direction = request.POST.get("direction", "")
    try:
        moved = routing.routing_rule_move(actor=request.user, rule=rule, direction=direction)
    except DomainError as exc:
        return _refused(request, exc)
    return _after_change(request, f"“{moved.name}” is now rule {moved.position + 1}.")


@login_required
@require_POST
def rule_delete(request: HttpRequest, rule_id: int) -> HttpResponse:
    routing.require_admin(request.user)
    rule = routing.routing_rule_get(rule_id)
    routing.routing_rule_delete(actor=request.user, rule=rule)
    return _after_change(request, f"Rule “{rule.name}” deleted.")


@login_required
@require_POST
def rule_test(request: HttpRequest) -> HttpResponse:
    """Which rule a sample ticket would match, and why; in place with HTMX, a full page without."""
    routing.require_admin(request.user)
    form = SampleForm(request.POST)
    result = None
    if form.is_valid():
        rule, reasons = routing.match_for(**form.cleaned_data)
        result = {"rule": rule, "reasons": reasons}
    status = 200 if result is not None else 422
    context = {"sample_form": form, "result": result, "tested": result is not None}
    if request.htmx:
        return render(request, "routing/list.html#tester", context, status=status)
    return _page(request, status=status, **context)
