"""Ticket pages: queues, the ticket page with in-place actions, create and edit."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect
from pydantic import ValidationError

from backline.core.errors import Conflict, DomainError
from backline.core.forms import add_domain_error
from backline.core.security import attachment_response
from backline.tickets import paging, panels, queries, rules, services
from backline.tickets.choices import Level, Priority, Status
from backline.tickets.filters import QUEUES, TicketFilter
from backline.tickets.forms import (
    CommentForm,
    LinkForm,
    TicketCreateForm,
    TicketEditForm,
    TransitionForm,
)
from backline.tickets.permissions import require_staff


@login_required
def home(request: HttpRequest) -> HttpResponse:
    # Requesters live in the portal; the desk's queues are for support staff.
    if request.user.is_authenticated and not request.user.is_staff_member:
        return redirect("portal:home")
    return redirect("tickets:queue")


@login_required
@require_GET
def queue(request: HttpRequest) -> HttpResponse:
    query = request.GET.copy()
    if "queue" not in query and request.user.is_staff_member and not query:
        query["queue"] = "teams" if request.user.memberships.exists() else "open"
    try:
        flt = TicketFilter.from_query(query)
        filter_error = ""
    except ValidationError as exc:
        flt = TicketFilter(queue=query.get("queue") if query.get("queue") in QUEUES else None)
        filter_error = "; ".join(
            f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()
        )
    tickets = queries.ticket_list(request.user, flt)
    try:
        page = paging.paginate(
            tickets,
            flt.order,
            per_page=settings.BACKLINE_PAGE_SIZE,
            page=request.GET.get("page"),
            after=request.GET.get("after"),
            before=request.GET.get("before"),
        )
    except DomainError as exc:
        filter_error = exc.message
        page = paging.paginate(tickets, flt.order, per_page=settings.BACKLINE_PAGE_SIZE)
    params = query.copy()
    for key in ("page", "after", "before"):
        params.pop(key, None)
    previous_href, next_href = page.links(params.urlencode())
    context = {
        "page": page,
        "previous_href": previous_href,
        "next_href": next_href,
        "flt": flt,
        "filter_error": filter_error,
        "queues": QUEUES,
        "current_queue": flt.queue,
        "params": params.urlencode(),
        "sort_params": _without(params, "sort"),
        "statuses": Status.choices,
        "priorities": Priority.choices,
        "teams": _teams(),
        "title": QUEUES.get(flt.queue or "", "Tickets"),
        "panels": panels.render_context(request, None, ("queue",)),
    }
    template = "tickets/queue.html#results" if request.htmx else "tickets/queue.html"
    return render(request, template, context, status=400 if filter_error else 200)


def _without(params, key: str) -> str:
    copy = params.copy()
    copy.pop(key, None)
    return copy.urlencode()


def _teams():
    from backline.accounts.queries import teams_all

    return list(teams_all())


def _ticket_context(request: HttpRequest, ticket, **extra) -> dict:
    user = request.user
    watcher_ids = queries.ticket_watcher_ids(ticket)
    context = {
        "ticket": ticket,
        "title": f"{ticket.number} {ticket.title}",
        "timeline": queries.ticket_timeline(user, ticket),
        "links": queries.ticket_links(ticket) if user.is_staff_member else [],
        "watcher_count": len(watcher_ids),
        "is_watching": user.pk in watcher_ids,
        "actions": rules.available_actions(ticket.status) if user.is_staff_member else [],
        "comment_form": CommentForm(),
        "transition_form": TransitionForm(),
        "link_form": LinkForm(),
        "levels": Level.choices,
        "max_upload_mb": settings.BACKLINE_MAX_ATTACHMENT_BYTES // (1024 * 1024),
        "panels": panels.render_context(request, ticket),
    }
    context.update(extra)
    return context


def _render_ticket(request: HttpRequest, number: str, status: int = 200, **extra) -> HttpResponse:
    ticket = queries.ticket_get(request.user, number)
    context = _ticket_context(request, ticket, **extra)
    template = "tickets/detail.html#ticket" if request.htmx else "tickets/detail.html"
    return render(request, template, context, status=status)


def _after_action(request: HttpRequest, number: str, message: str) -> HttpResponse:
    if request.htmx:
        return _render_ticket(request, number, flash=message)
    messages.success(request, message)
    return redirect("tickets:detail", number=number)


def _refused(request: HttpRequest, number: str, exc: DomainError, **forms) -> HttpResponse:
    """Re-render the ticket with the refusal shown where it belongs (409 for stale versions)."""
    extra = {"conflict": exc.message} if isinstance(exc, Conflict) else {"error": exc.message}
    extra.update(forms)
    return _render_ticket(request, number, status=exc.status, **extra)


@login_required
@require_GET
def detail(request: HttpRequest, number: str) -> HttpResponse:
    ticket = queries.ticket_get(request.user, number)
    if number != ticket.number:
        return redirect("tickets:detail", number=ticket.number)
    return render(request, "tickets/detail.html", _ticket_context(request, ticket))


@login_required
@require_http_methods(["GET", "POST"])
def create(request: HttpRequest) -> HttpResponse:
    form = TicketCreateForm(request.POST or None)
    if not request.user.is_staff_member:
        for name in ("requester", "team", "assignee", "source"):
            form.fields.pop(name)
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if v not in (None, "")}
        try:
            ticket = services.ticket_create(actor=request.user, **data)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, f"{ticket.number} created.")
            if request.htmx:
                return HttpResponseClientRedirect(ticket.get_absolute_url())
            return redirect(ticket)
    status = 422 if request.method == "POST" else 200
    context = {
        "form": form,
        "title": "New ticket",
        "panels": panels.render_context(request, None, ("create",)),
    }
    return render(request, "tickets/create.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def edit(request: HttpRequest, number: str) -> HttpResponse:
    ticket = queries.ticket_get(request.user, number)
    require_staff(request.user, "edit tickets")
    initial = {name: getattr(ticket, name) for name in services.EDITABLE_FIELDS}
    initial["version"] = ticket.version
    form = TicketEditForm(request.POST or None, initial=initial)
    conflict = ""
    if request.method == "POST" and form.is_valid():
        version = form.cleaned_data.pop("version")
        changes = {k: v for k, v in form.cleaned_data.items() if k in form.changed_data}
        try:
            services.ticket_update(
                actor=request.user, ticket=ticket, version=version, changes=changes
            )
        except Conflict as exc:
            conflict = exc.message
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, f"{ticket.number} saved.")
            return redirect(ticket)
    context = {
        "form": form,
        "ticket": ticket,
        "conflict": conflict,
        "title": f"Edit {ticket.number}",
    }
    status = 409 if conflict else (422 if request.method == "POST" else 200)
    return render(request, "tickets/edit.html", context, status=status)


@login_required
@require_POST
def assign(request: HttpRequest, number: str) -> HttpResponse:
    ticket = queries.ticket_get(request.user, number)
    version = _int(request.POST.get("version"))
    assignee = request.user if request.POST.get("to") == "me" else None
    try:
        services.ticket_assign(
            actor=request.user, ticket=ticket, assignee=assignee, version=version
        )
    except DomainError as exc:
        return _refused(request, number, exc)
    return _after_action(
        request, number, "Assigned to you." if assignee else "Released: nobody is assigned."
    )


def _int(value: str | None) -> int | None:
    return int(value) if value and value.isdecimal() else None


@login_required
@require_POST
def transition(request: HttpRequest, number: str) -> HttpResponse:
    ticket = queries.ticket_get(request.user, number)
    form = TransitionForm(request.POST)
    if not form.is_valid():
        return _render_ticket(
            request,
            number,
            status=422,
            transition_form=form,
            open_action=request.POST.get("action"),
        )
    data = dict(form.cleaned_data)
    action = data["action"]  # read now: add_domain_error may drop fields from cleaned_data
    try:
        fresh = services.ticket_transition(actor=request.user, ticket=ticket, **data)
    except Conflict as exc:
        return _refused(request, number, exc)
    except DomainError as exc:
        add_domain_error(form, exc)
        return _render_ticket(
            request, number, status=exc.status, transition_form=form, open_action=action
        )
    return _after_action(
        request, number, f"{fresh.number} is now {fresh.get_status_display().lower()}."
    )


@login_required
@require_POST
def comment(request: HttpRequest, number: str) -> HttpResponse:
    ticket = queries.ticket_get(request.user, number)
    form = CommentForm(request.POST, request.FILES)
    if not form.is_valid():
        return _render_ticket(request, number, status=422, comment_form=form)
    upload = form.cleaned_data.get("file")
    internal = form.cleaned_data["internal"]
    body = form.cleaned_data["body"].strip()
    try:
        if upload and not body:
            # A file on its own is an attachment, not a message.
            services.ticket_attach(
                actor=request.user, ticket=ticket, upload=upload, internal=internal
            )
            message = f"{upload.name} attached."
        else:
            services.ticket_comment(
                actor=request.user,
                ticket=ticket,
                body=body,
                internal=internal,
                files=[upload] if upload else [],
            )
            message = "Internal note added." if internal else "Reply sent."
    except DomainError as exc:
        add_domain_error(form, exc)
        return _render_ticket(request, number, status=exc.status, comment_form=form)
    return _after_action(request, number, message)


@login_required
@require_POST
def watch(request: HttpRequest, number: str) -> HttpResponse:
    ticket = queries.ticket_get(request.user, number)
    if request.POST.get("watch") == "0":
        services.ticket_unwatch(actor=request.user, ticket=ticket)
        return _after_action(request, number, "You no longer watch this ticket.")
    services.ticket_watch(actor=request.user, ticket=ticket)
    return _after_action(request, number, "You are watching this ticket.")


@login_required
@require_POST
def link(request: HttpRequest, number: str) -> HttpResponse:
    ticket = queries.ticket_get(request.user, number)
    form = LinkForm(request.POST)
    if form.is_valid():
        try:
            target = queries.ticket_get(request.user, form.cleaned_data["target"])
            services.ticket_link(
                actor=request.user, ticket=ticket, target=target, kind=form.cleaned_data["kind"]
            )
        except DomainError as exc:
            form.add_error("target", exc.message)
        else:
            return _after_action(request, number, f"Linked to {target.number}.")
    return _render_ticket(request, number, status=422, link_form=form, open_link=True)


@login_required
@require_POST
def unlink(request: HttpRequest, number: str, link_id: int) -> HttpResponse:
    ticket = queries.ticket_get(request.user, number)
    try:
        services.ticket_unlink(actor=request.user, ticket=ticket, link_id=link_id)
    except DomainError as exc:
        return _refused(request, number, exc)
    return _after_action(request, number, "Link removed.")


@login_required
@require_GET
def download(request: HttpRequest, attachment_id: int) -> HttpResponse:
    attachment = queries.attachment_get(request.user, attachment_id)
    return attachment_response(attachment.file.open("rb"), filename=attachment.filename)
