"""Requester portal pages: my requests, ask for help, one request, articles, signed links."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from backline.core.errors import Conflict, DomainError
from backline.core.forms import add_domain_error
from backline.knowledge.services import article_viewed
from backline.portal import queries, services
from backline.portal.forms import AskForm, ReplyForm, ResolutionForm
from backline.tickets import services as ticket_services
from backline.tickets.choices import Status
from backline.tickets.queries import paginate


@login_required
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    page = paginate(
        queries.my_requests(request.user), request.GET.get("page"), settings.BACKLINE_PAGE_SIZE
    )
    rows = [{"ticket": t, "status": queries.plain_status(t)} for t in page.object_list]
    return render(request, "portal/home.html", {"page": page, "rows": rows, "title": "My requests"})


@login_required
@require_http_methods(["GET", "POST"])
def create(request: HttpRequest) -> HttpResponse:
    form = AskForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            ticket = services.portal_ticket_create(
                actor=request.user,
                title=data["title"],
                description=data["description"],
                service=data["service"],
                upload=data.get("file"),
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, f"Thanks, we have your request {ticket.number}.")
            return redirect("portal:ticket", number=ticket.number)
    status = 422 if request.method == "POST" else 200
    context = {"form": form, "title": "Ask for help", "max_upload_mb": _max_upload_mb()}
    return render(request, "portal/new.html", context, status=status)


@login_required
@require_POST
def suggest(request: HttpRequest) -> HttpResponse:
    """Articles like the request being typed (the ask form posts here while typing)."""
    text = f"{request.POST.get('title', '')}\n{request.POST.get('description', '')}"[:5000]
    service = request.POST.get("service", "")
    found = queries.article_suggestions(
        request.user, text=text, service_id=int(service) if service.isdecimal() else None
    )
    return render(request, "portal/new.html#suggestions", {"suggestions": found})


@login_required
@require_GET
def article(request: HttpRequest, number: str) -> HttpResponse:
    found = queries.public_article(request.user, number)
    article_viewed(article=found)
    return render(request, "portal/article.html", {"article": found, "title": found.title})


def _ticket_page(request: HttpRequest, number: str, status: int = 200, **extra) -> HttpResponse:
    ticket = queries.my_ticket(request.user, number)
    files_by_comment: dict[int, list] = {}
    for attachment in queries.public_attachments(ticket):
        if attachment.comment_id:
            files_by_comment.setdefault(attachment.comment_id, []).append(attachment)
    context = {
        "ticket": ticket,
        "status_text": queries.plain_status(ticket),
        "timeline": queries.public_timeline(ticket),
        "files_by_comment": files_by_comment,
        "reply_form": ReplyForm(),
        "resolution_form": ResolutionForm(initial={"version": ticket.version}),
        "is_resolved": ticket.status == Status.RESOLVED,
        "can_reply": ticket.status not in (Status.CLOSED, Status.CANCELLED),
        "max_upload_mb": _max_upload_mb(),
        "title": f"{ticket.number} {ticket.title}",
    }
    context.update(extra)
    return render(request, "portal/ticket.html", context, status=status)


@login_required
@require_GET
def ticket(request: HttpRequest, number: str) -> HttpResponse:
    found = queries.my_ticket(request.user, number)
    if number != found.number:
        return redirect("portal:ticket", number=found.number)
    return _ticket_page(request, number)


@login_required
@require_POST
def reply(request: HttpRequest, number: str) -> HttpResponse:
    found = queries.my_ticket(request.user, number)
    form = ReplyForm(request.POST, request.FILES)
    if not form.is_valid():
        return _ticket_page(request, number, status=422, reply_form=form)
    body = form.cleaned_data["body"].strip()
    upload = form.cleaned_data.get("file")
    try:
        if body:
            ticket_services.ticket_comment(
                actor=request.user, ticket=found, body=body, files=[upload] if upload else []
            )
            message = "Reply sent."
        else:
            ticket_services.ticket_attach(actor=request.user, ticket=found, upload=upload)
            message = f"{upload.name} attached."
    except DomainError as exc:
        add_domain_error(form, exc)
        return _ticket_page(request, number, status=exc.status, reply_form=form)
    messages.success(request, message)
    return redirect("portal:ticket", number=found.number)


@login_required
@require_POST
def confirm(request: HttpRequest, number: str) -> HttpResponse:
    found = queries.my_ticket(request.user, number)
    form = ResolutionForm(request.POST)
    form.is_valid()
    try:
        services.resolution_confirm(
            actor=request.user, ticket=found, version=form.cleaned_data.get("version")
        )
    except DomainError as exc:
        return _refused(request, number, exc, form)
    messages.success(request, "Thanks for confirming. The request is closed.")
    return redirect("portal:ticket", number=found.number)


@login_required
@require_POST
def reject(request: HttpRequest, number: str) -> HttpResponse:
    found = queries.my_ticket(request.user, number)
    form = ResolutionForm(request.POST)
    form.is_valid()
    try:
        services.resolution_reject(
            actor=request.user,
            ticket=found,
            comment=form.cleaned_data.get("comment") or "",
            version=form.cleaned_data.get("version"),
        )
    except DomainError as exc:
        return _refused(request, number, exc, form, open_reject=True)
    messages.success(request, "Sorry it is not fixed yet. We have reopened your request.")
    return redirect("portal:ticket", number=found.number)


def _refused(
    request: HttpRequest, number: str, exc: DomainError, form: ResolutionForm, **extra
) -> HttpResponse:
    if isinstance(exc, Conflict) or exc.field != "comment":
        return _ticket_page(request, number, status=exc.status, error=exc.message, **extra)
    add_domain_error(form, exc)
    return _ticket_page(request, number, status=exc.status, resolution_form=form, **extra)


@require_GET
def signed_in_by_link(request: HttpRequest, token: str) -> HttpResponse:
    """Open a ticket from a notification email, signing its requester in."""
    try:
        user, found = services.signed_link_open(token)
    except DomainError as exc:
        context = {
            "message": exc.message,
            "code": exc.code,
            "max_age_days": services.link_max_age().days,
            "title": "Link not valid",
        }
        return render(request, "portal/link_invalid.html", context, status=400)
    if request.user.pk != user.pk:
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    return redirect("portal:ticket", number=found.number)


def _max_upload_mb() -> int:
    return settings.BACKLINE_MAX_ATTACHMENT_BYTES // (1024 * 1024)
