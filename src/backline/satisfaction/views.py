"""The one-click rating pages: no sign-in, the signed link proves the requester.

GET /rate/<token>/<score> records the score at once (a repeated click changes nothing, another
score replaces it) and shows the thank-you page with the five choices and a comment form.
Browser prefetches (Sec-Purpose / Purpose: prefetch) and HEAD requests record nothing; see
docs/satisfaction.md for link-scanning mail filters."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from backline.core.errors import DomainError
from backline.core.forms import add_domain_error
from backline.satisfaction import queries, services
from backline.satisfaction.choices import FACES, Score
from backline.satisfaction.forms import CommentForm
from backline.tickets.models import Ticket


def _no_index(response: HttpResponse) -> HttpResponse:
    # The URL carries a credential: keep it out of search engines and other sites' referrers.
    response["X-Robots-Tag"] = "noindex, nofollow"
    # same-origin, not no-referrer: with no-referrer the comment POST says Origin: null (CSRF).
    response["Referrer-Policy"] = "same-origin"
    response["Cache-Control"] = "no-store"
    return response


def _invalid(request: HttpRequest, exc: DomainError) -> HttpResponse:
    context = {
        "message": exc.message,
        "code": exc.code,
        "max_age_days": services.LINK_MAX_AGE.days,
        "title": "Link not valid",
    }
    return _no_index(render(request, "satisfaction/link_invalid.html", context, status=exc.status))


def _is_prefetch(request: HttpRequest) -> bool:
    purpose = f"{request.headers.get('Sec-Purpose', '')} {request.headers.get('Purpose', '')}"
    return "prefetch" in purpose.lower() or request.headers.get("X-Moz", "") == "prefetch"


def _thanks(
    request: HttpRequest,
    ticket: Ticket,
    token: str,
    *,
    form: CommentForm | None = None,
    error: str = "",
    status: int = 200,
) -> HttpResponse:
    rating = queries.rating_of(ticket)
    context = {
        "ticket": ticket,
        "token": token,
        "rating": rating,
        "choices": [(s.value, s.label, FACES[s.value]) for s in Score],
        "form": form or CommentForm(initial={"comment": rating.comment if rating else ""}),
        "error": error,
        "title": "Thank you" if rating else "How did we do?",
    }
    return _no_index(render(request, "satisfaction/thanks.html", context, status=status))


@require_http_methods(["GET"])
def rate(request: HttpRequest, token: str, score: int) -> HttpResponse:
    try:
        ticket = services.rating_link_open(token)
    except DomainError as exc:
        return _invalid(request, exc)
    if _is_prefetch(request):
        return _thanks(request, ticket, token)
    try:
        services.rating_submit(ticket=ticket, score=score, comment=None)
    except DomainError as exc:
        return _thanks(request, ticket, token, error=exc.message, status=exc.status)
    return _thanks(request, ticket, token)


@require_POST
def comment(request: HttpRequest, token: str) -> HttpResponse:
    try:
        ticket = services.rating_link_open(token)
    except DomainError as exc:
        return _invalid(request, exc)
    form = CommentForm(request.POST)
    rating = queries.rating_of(ticket)
    if rating is None:
        return _thanks(request, ticket, token, error="Choose a score first.", status=422)
    if not form.is_valid():
        return _thanks(request, ticket, token, form=form, status=422)
    try:
        services.rating_submit(
            ticket=ticket, score=rating.score, comment=form.cleaned_data["comment"]
        )
    except DomainError as exc:
        add_domain_error(form, exc)
        return _thanks(request, ticket, token, form=form, status=exc.status)
    messages.success(request, "Thanks, we have your comment.")
    return redirect("satisfaction:rate", token=token, score=rating.score)
