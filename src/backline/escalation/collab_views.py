"""Pages and form posts for collaboration tasks, alerts to leads and managers, major incidents.

The ticket-page panels (collab_panels) post here. With HTMX a success reloads the page
(HttpResponseClientRefresh, the flash travels in the session) and a refusal re-renders the panel
in place with the errors; without HTMX a success redirects back and a refusal shows a small form
page with the errors.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRefresh

from backline.accounts.choices import STAFF_ROLES
from backline.accounts.models import Team, User
from backline.core.errors import Conflict, DomainError
from backline.core.forms import add_domain_error
from backline.escalation import collab_panels, collaboration, hierarchy
from backline.escalation.choices import AlertLevel, TaskStatus
from backline.escalation.models import Task
from backline.tickets.models import Ticket
from backline.tickets.permissions import require_staff
from backline.tickets.queries import paginate, ticket_get

# --- forms (they only parse input; the services decide) ---------------------------------------

_DUE_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"]


class _TeamField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Team) -> str:
        return obj.label


class _UserField(forms.ModelChoiceField):
    def label_from_instance(self, obj: User) -> str:
        return obj.display_name


def _staff() -> Any:
    return User.objects.filter(is_active=True, role__in=list(STAFF_ROLES))


class TaskForm(forms.Form):
    team = _TeamField(queryset=Team.objects.order_by("tier", "name"), empty_label="— choose —")
    title = forms.CharField(max_length=200)
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))
    required = forms.BooleanField(
        required=False, initial=True, label="Required: the ticket cannot be resolved before"
    )
    due_at = forms.DateTimeField(
        required=False,
        label="Due",
        input_formats=_DUE_FORMATS,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=_DUE_FORMATS[0]),
    )
    assignee = _UserField(queryset=_staff(), required=False, empty_label="— anyone in the team —")


class TaskUpdateForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    status = forms.ChoiceField(choices=TaskStatus.choices, required=False)
    outcome = forms.CharField(required=False, max_length=100_000, widget=forms.Textarea)
    assignee = _UserField(queryset=_staff(), required=False, empty_label="— nobody —")
    due_at = forms.DateTimeField(required=False, input_formats=_DUE_FORMATS)


class AlertForm(forms.Form):
    level = forms.ChoiceField(choices=AlertLevel.choices)
    reason = forms.CharField(max_length=10_000, widget=forms.Textarea(attrs={"rows": 3}))


class MajorIncidentForm(forms.Form):
    reason = forms.CharField(max_length=10_000, widget=forms.Textarea(attrs={"rows": 3}))
    users_affected = forms.IntegerField(required=False, min_value=0, label="Users affected")


# --- helpers -----------------------------------------------------------------------------------


def _done(request: HttpRequest, url: str, message: str) -> HttpResponse:
    messages.success(request, message)
    if request.htmx:
        return HttpResponseClientRefresh()
    return redirect(url)


def _next(request: HttpRequest, default: str) -> str:
    url = request.POST.get("next") or ""
    if url and url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return url
    return default


def _tasks_url(ticket: Ticket) -> str:
    return f"{ticket.get_absolute_url()}#tasks"


def _form_status(form: forms.Form, exc: DomainError | None) -> int:
    return exc.status if exc is not None else (422 if form.errors else 200)


def _panel(
    request: HttpRequest, template: str, ticket: Ticket, p: dict | None, status: int
) -> HttpResponse:
    return render(request, template, {"ticket": ticket, "p": p or {}}, status=status)


# --- tasks -------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def task_new(request: HttpRequest, number: str) -> HttpResponse:
    ticket = ticket_get(request.user, number)
    require_staff(request.user, "open collaboration tasks")
    form = TaskForm(request.POST or None)
    refusal: DomainError | None = None
    if request.method == "POST" and form.is_valid():
        try:
            task = collaboration.task_create(actor=request.user, ticket=ticket, **form.cleaned_data)
        except DomainError as exc:
            refusal = exc
            add_domain_error(form, exc)
        else:
            return _done(request, _tasks_url(ticket), f"{task.number} opened for {task.team.name}.")
    status = _form_status(form, refusal)
    if request.method == "POST" and request.htmx:
        p = collab_panels.tasks_context(request, ticket, form=form)
        return _panel(request, "escalation/collab/panel_tasks.html", ticket, p, status)
    context = {"ticket": ticket, "form": form, "title": f"New task on {ticket.number}"}
    return render(request, "escalation/collab/task_new.html", context, status=status)


@login_required
@require_GET
def task_detail(request: HttpRequest, task_id: int) -> HttpResponse:
    task = collaboration.task_get(request.user, task_id)
    return _render_task(request, task)


def _render_task(request: HttpRequest, task: Task, status: int = 200, **extra: Any) -> HttpResponse:
    collab_panels.decorate([task], request)
    members = User.objects.filter(memberships__team=task.team, is_active=True).order_by(
        "first_name", "last_name", "username"
    )
    context = {
        "task": task,
        "ticket": task.ticket,
        "members": members,
        "title": f"{task.number} {task.title}",
        "error": "",
        "conflict": "",
        **extra,
    }
    return render(request, "escalation/collab/task_detail.html", context, status=status)


def _same_minute(a: datetime | None, b: datetime | None) -> bool:
    if a is None or b is None:
        return a is b
    return a.replace(second=0, microsecond=0) == b.replace(second=0, microsecond=0)


def _update_kwargs(request: HttpRequest, form: TaskUpdateForm, task: Task) -> dict[str, Any]:
    # Only the fields a form actually sent change; a missing field is not "clear it".
    kwargs = {
        name: form.cleaned_data[name]
        for name in ("status", "outcome", "assignee", "due_at")
        if name in request.POST and not (name == "status" and not form.cleaned_data[name])
    }
    # The picker shows minutes: an untouched due time comes back without its seconds.
    if "due_at" in kwargs and _same_minute(kwargs["due_at"], task.due_at):
        del kwargs["due_at"]
    return kwargs


@login_required
@require_POST
def task_update(request: HttpRequest, task_id: int) -> HttpResponse:
    task = collaboration.task_get(request.user, task_id)
    form = TaskUpdateForm(request.POST)
    if form.is_valid():
        try:
            fresh = collaboration.task_update(
                actor=request.user,
                task=task,
                version=form.cleaned_data["version"],
                **_update_kwargs(request, form, task),
            )
        except DomainError as exc:
            return _task_refused(request, task, exc)
        label = fresh.get_status_display().lower()
        return _done(
            request, _next(request, _tasks_url(fresh.ticket)), f"{fresh.number} is {label}."
        )
    field, errors = next(iter(form.errors.items()))
    return _task_refused(request, task, DomainError(errors[0], field=field))


def _task_refused(request: HttpRequest, task: Task, exc: DomainError) -> HttpResponse:
    """Show a refused task change where it was asked for: the panel, the queue or the task page."""
    origin = request.POST.get("view", "")
    message = exc.message
    if request.htmx and origin == "ticket":
        p = collab_panels.tasks_context(
            request,
            task.ticket,
            conflict=message if isinstance(exc, Conflict) else "",
            error="" if isinstance(exc, Conflict) else message,
            task_error_id=task.pk,
            open_done=task.pk if exc.field == "outcome" else None,
        )
        return _panel(request, "escalation/collab/panel_tasks.html", task.ticket, p, exc.status)
    if request.htmx and origin == "queue":
        return _render_queue(
            request, status=exc.status, error=message, task_error_id=task.pk, open_done=task.pk
        )
    extra = {"conflict": message} if isinstance(exc, Conflict) else {"error": message}
    return _render_task(request, task, status=exc.status, **extra)


def _int(value: str | None) -> int | None:
    return int(value) if value and value.isdecimal() else None


def _render_queue(request: HttpRequest, status: int = 200, **extra: Any) -> HttpResponse:
    require_staff(request.user, "see team tasks")
    source = request.GET if request.method == "GET" else request.POST
    team = _int(source.get("team"))
    include_done = source.get("done") == "1"
    mine = collab_panels.my_team_ids(request)
    qs = collaboration.task_queue(
        request.user, team_ids=[team] if team else mine, include_done=include_done
    )
    page = paginate(qs, source.get("page"), settings.BACKLINE_PAGE_SIZE)
    page.object_list = collab_panels.decorate(page.object_list, request)
    context = {
        "page": page,
        "team": team,
        "include_done": include_done,
        "teams": list(Team.objects.order_by("tier", "name")),
        "my_team_ids": mine,
        "title": "Team tasks",
        "error": "",
        "task_error_id": None,
        "open_done": None,
        **extra,
    }
    template = "escalation/collab/task_queue.html"
    if request.htmx:
        template += "#results"
    return render(request, template, context, status=status)


@login_required
@require_GET
def task_queue(request: HttpRequest) -> HttpResponse:
    return _render_queue(request)


# --- alerts ------------------------------------------------------------------------------------


def _actions_panel(request: HttpRequest, ticket: Ticket, status: int, **extra: Any) -> HttpResponse:
    p = collab_panels.actions_context(request, ticket, **extra)
    return _panel(request, "escalation/collab/panel_actions.html", ticket, p, status)


@login_required
@require_http_methods(["GET", "POST"])
def alert_new(request: HttpRequest, number: str) -> HttpResponse:
    ticket = ticket_get(request.user, number)
    require_staff(request.user, "alert a lead or manager")
    initial = {"level": request.GET.get("level", AlertLevel.LEAD)}
    form = AlertForm(request.POST or None, initial=initial)
    refusal: DomainError | None = None
    if request.method == "POST" and form.is_valid():
        try:
            alert = hierarchy.alert_raise(actor=request.user, ticket=ticket, **form.cleaned_data)
        except DomainError as exc:
            refusal = exc
            add_domain_error(form, exc)
        else:
            names = ", ".join(u.display_name for u in alert.recipients.all())
            return _done(request, ticket.get_absolute_url(), f"Alert sent to {names}.")
    status = _form_status(form, refusal)
    if request.method == "POST" and request.htmx:
        level = request.POST.get("level", "")
        return _actions_panel(request, ticket, status, form=form, open_form=level)
    context = {"ticket": ticket, "form": form, "title": f"Alert about {ticket.number}"}
    return render(request, "escalation/collab/alert_new.html", context, status=status)


def _render_alerts(request: HttpRequest, status: int = 200, **extra: Any) -> HttpResponse:
    source = request.GET if request.method == "GET" else request.POST
    show_all = source.get("all") == "1"
    qs = hierarchy.alerts_for(request.user, open_only=not show_all)
    page = paginate(qs, source.get("page"), settings.BACKLINE_PAGE_SIZE)
    context = {"page": page, "show_all": show_all, "title": "Alerts for me", "error": "", **extra}
    template = "escalation/collab/alerts.html"
    if request.htmx:
        template += "#results"
    return render(request, template, context, status=status)


@login_required
@require_GET
def alert_list(request: HttpRequest) -> HttpResponse:
    return _render_alerts(request)


@login_required
@require_POST
def alert_ack(request: HttpRequest, alert_id: int) -> HttpResponse:
    alert = hierarchy.alert_get(request.user, alert_id)
    try:
        hierarchy.alert_acknowledge(actor=request.user, alert=alert)
    except DomainError as exc:
        return _render_alerts(request, status=exc.status, error=exc.message)
    return _done(
        request,
        _next(request, reverse("collab:alerts")),
        f"Acknowledged the alert on {alert.ticket.number}.",
    )


# --- major incidents ---------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def major_new(request: HttpRequest, number: str) -> HttpResponse:
    ticket = ticket_get(request.user, number)
    require_staff(request.user, "declare a major incident")
    form = MajorIncidentForm(request.POST or None)
    refusal: DomainError | None = None
    if request.method == "POST" and form.is_valid():
        try:
            hierarchy.major_incident_declare(actor=request.user, ticket=ticket, **form.cleaned_data)
        except DomainError as exc:
            refusal = exc
            add_domain_error(form, exc)
        else:
            return _done(
                request, ticket.get_absolute_url(), f"{ticket.number} is a major incident."
            )
    status = _form_status(form, refusal)
    if request.method == "POST" and request.htmx:
        return _actions_panel(request, ticket, status, major_form=form, open_form="major")
    context = {"ticket": ticket, "form": form, "title": f"Major incident: {ticket.number}"}
    return render(request, "escalation/collab/major_new.html", context, status=status)
