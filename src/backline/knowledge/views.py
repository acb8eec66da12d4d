"""Knowledge-base pages and the ticket-page knowledge actions. Views parse input and call
services; a refusal becomes a form error, a conflict a message naming who changed it."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect, HttpResponseClientRefresh

from backline.accounts.queries import teams_all
from backline.core.errors import Conflict, DomainError, NotFound
from backline.core.forms import add_domain_error
from backline.core.time import local_day_range, parse_day
from backline.knowledge import queries, rules, services
from backline.knowledge.choices import ArticleState
from backline.knowledge.forms import (
    ArticleForm,
    DecisionForm,
    FeedbackForm,
    ListFilterForm,
    ReviewCloseForm,
    TransitionForm,
)
from backline.knowledge.models import ArticleReview, KnowledgePolicy
from backline.knowledge.suggestions import suggestions_for, ticket_text
from backline.tickets.forms import TicketCreateForm
from backline.tickets.permissions import require_staff
from backline.tickets.queries import paginate, ticket_get

_FIELDS = ("title", "symptoms", "cause", "resolution", "body", "keywords", "audience",
           "category", "services", "cis", "owner", "review_by")  # fmt: skip


def _article_url(article: Any) -> str:
    return f"/kb/{article.number}"


@login_required
@require_GET
def article_list(request: HttpRequest) -> HttpResponse:
    form = ListFilterForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    qs = queries.article_list(
        request.user,
        q=data.get("q") or "",
        state=data.get("state") or "",
        audience=data.get("audience") or "",
        category_id=data["category"].pk if data.get("category") else None,
        stale=bool(data.get("stale")),
        owner_id=request.user.pk if data.get("mine") else None,
    )
    page = paginate(qs, request.GET.get("page"), 25)
    reader = queries.reader_of(request.user)
    context = {
        "title": "Knowledge base",
        "form": form,
        "page": page,
        "today": timezone.localdate(),
        "reader": reader,
        "reviews": queries.reviews_for(request.user)[:20] if reader.staff else [],
        "query": request.GET.urlencode(),
    }
    return render(request, "knowledge/list.html", context)


def _save_article(request: HttpRequest, form: ArticleForm, article: Any = None) -> Any:
    data = {k: form.cleaned_data.get(k) for k in _FIELDS}
    if article is None:
        data["owner"] = data.get("owner") or request.user
        return services.article_create(actor=request.user, note=form.cleaned_data["note"], **data)
    changes = {k: v for k, v in data.items() if k in form.changed_data}
    return services.article_update(
        actor=request.user,
        article=article,
        version=form.cleaned_data.get("version"),
        note=form.cleaned_data["note"],
        **changes,
    )


@login_required
@require_http_methods(["GET", "POST"])
def article_create(request: HttpRequest) -> HttpResponse:
    require_staff(request.user, "write knowledge articles")
    form = ArticleForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            article = _save_article(request, form)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, f"{article.number} saved as a draft.")
            return redirect(_article_url(article))
    status = 422 if request.method == "POST" else 200
    return render(
        request, "knowledge/form.html", {"form": form, "title": "New article"}, status=status
    )


@login_required
@require_http_methods(["GET", "POST"])
def article_edit(request: HttpRequest, number: str) -> HttpResponse:
    article = queries.article_get(request.user, number)
    initial: dict[str, Any] = {
        f: getattr(article, f) for f in _FIELDS if f not in ("services", "cis")
    }
    initial.update(services=list(article.services.all()), cis=list(article.cis.all()))
    initial["version"] = article.version
    form = ArticleForm(request.POST or None, initial=initial)
    conflict = ""
    if request.method == "POST" and form.is_valid():
        try:
            article = _save_article(request, form, article)
        except Conflict as exc:
            conflict = exc.message
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(
                request, f"{article.number} saved (version {article.versions.count()})."
            )
            return redirect(_article_url(article))
    status = 422 if request.method == "POST" else 200
    context = {
        "form": form,
        "article": article,
        "conflict": conflict,
        "title": f"Edit {article.number}",
    }
    return render(request, "knowledge/form.html", context, status=status)


@login_required
@require_GET
def article_detail(request: HttpRequest, number: str) -> HttpResponse:
    article = queries.article_get(request.user, number)
    services.article_viewed(article=article)
    article.view_count += 1
    reader = queries.reader_of(request.user)
    mine = article.feedback.filter(user=request.user).first()
    context = {
        "title": f"{article.number} {article.title}",
        "article": article,
        "stats": queries.article_stats(article),
        "actions": rules.available_actions(article.state, editor=reader.editor),
        "can_edit": reader.staff
        and (
            reader.editor
            or (article.owner_id == request.user.pk and article.state == ArticleState.DRAFT)
        ),
        "stale": rules.is_stale(article.state, article.review_by, timezone.localdate()),
        "my_feedback": mine,
        "feedback_form": FeedbackForm(),
        "history": article.events.select_related("actor")[:30],
        "versions": queries.article_versions(article)[:30],
        "reviews": article.reviews.select_related("assignee", "feedback__user")[:10],
        "recent_feedback": article.feedback.select_related("user").exclude(comment="")[:10]
        if reader.staff
        else [],
        "uses": article.uses.select_related("ticket", "by")[:15] if reader.staff else [],
        "services_list": list(article.services.all()),
        "cis_list": list(article.cis.all()),
    }
    return render(request, "knowledge/detail.html", context)


@login_required
@require_POST
def article_transition(request: HttpRequest, number: str) -> HttpResponse:
    article = queries.article_get(request.user, number)
    form = TransitionForm(request.POST)
    if form.is_valid():
        try:
            article = services.article_transition(
                actor=request.user,
                article=article,
                action=form.cleaned_data["action"],
                note=form.cleaned_data["note"],
                version=form.cleaned_data["version"],
            )
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(
                request, f"{article.number} is now {article.get_state_display().lower()}."
            )
    else:
        messages.error(request, "Choose an action.")
    return redirect(_article_url(article))


@login_required
@require_POST
def article_feedback(request: HttpRequest, number: str) -> HttpResponse:
    article = queries.article_get(request.user, number)
    form = FeedbackForm(request.POST)
    saved = None
    if form.is_valid():
        try:
            saved = services.article_feedback(
                actor=request.user,
                article=article,
                helpful=form.cleaned_data["helpful"],
                comment=form.cleaned_data["comment"],
            )
        except DomainError as exc:
            add_domain_error(form, exc)
    context = {
        "article": article,
        "my_feedback": saved,
        "feedback_form": form,
        "thanks": saved is not None,
    }
    template = "knowledge/detail.html#feedback" if request.htmx else None
    if template:
        return render(request, template, context, status=200 if saved else 422)
    if saved:
        messages.success(request, "Thanks for the feedback.")
    else:
        messages.error(request, "Choose helpful or not helpful.")
    return redirect(_article_url(article))


@login_required
@require_GET
def article_versions(request: HttpRequest, number: str) -> HttpResponse:
    article = queries.article_get(request.user, number)
    versions = list(queries.article_versions(article))
    by_number = {v.number: v for v in versions}
    newest = versions[0].number if versions else 0
    b = _int(request.GET.get("b"), newest)
    a = _int(request.GET.get("a"), b - 1)
    diff = []
    if a in by_number and b in by_number:
        from backline.knowledge.models import CONTENT_FIELDS

        diff = rules.diff_versions(
            queries.version_content(by_number[a]),
            queries.version_content(by_number[b]),
            CONTENT_FIELDS,
        )
    context = {
        "title": f"{article.number} history",
        "article": article,
        "versions": versions,
        "a": by_number.get(a),
        "b": by_number.get(b),
        "diff": diff,
    }
    return render(request, "knowledge/versions.html", context)


def _int(value: str | None, default: int) -> int:
    try:
        return int(value) if value is not None else default
    except ValueError:
        return default


@login_required
@require_POST
def review_close(request: HttpRequest, pk: int) -> HttpResponse:
    review = ArticleReview.objects.select_related("article").filter(pk=pk).first()
    if review is None:
        raise NotFound(f"No review task {pk}.")
    form = ReviewCloseForm(request.POST)
    if form.is_valid():
        try:
            services.review_close(
                actor=request.user, review=review, outcome=form.cleaned_data["outcome"]
            )
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, f"Review of {review.article.number} closed.")
    else:
        messages.error(request, "Say what you did about it.")
    return redirect(request.POST.get("next") or _article_url(review.article))


# --- on the ticket page ----------------------------------------------------------------------


@login_required
@require_POST
def draft_from_ticket(request: HttpRequest, number: str) -> HttpResponse:
    ticket = ticket_get(request.user, number)
    try:
        article = services.article_draft_from_ticket(actor=request.user, ticket=ticket)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect(ticket)
    messages.success(
        request, f"{article.number} drafted from {ticket.number}: check it and publish it."
    )
    url = f"/kb/{article.number}/edit"
    return HttpResponseClientRedirect(url) if request.htmx else redirect(url)


@login_required
@require_GET
def ticket_suggestions(request: HttpRequest, number: str) -> HttpResponse:
    ticket = ticket_get(request.user, number)
    require_staff(request.user, "see suggestions")
    found = suggestions_for(
        request.user,
        text=ticket_text(ticket),
        service_id=ticket.service_id,
        ci_id=ticket.ci_id,
        category_id=ticket.category_id,
        exclude_ticket=ticket.pk,
    )
    linked = set(queries.ticket_articles(ticket))
    context = {"found": found, "ticket": ticket, "used": {(u.article_id, u.kind) for u in linked}}
    return render(request, "knowledge/partials/suggestions.html", context)


@login_required
@require_POST
def ticket_use(request: HttpRequest, number: str) -> HttpResponse:
    ticket = ticket_get(request.user, number)
    try:
        article = queries.article_get(request.user, request.POST.get("article", ""))
        solved = request.POST.get("solved") == "1"
        services.article_use(actor=request.user, article=article, ticket=ticket, solved=solved)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            f"{article.number} {'recorded as the fix' if solved else 'linked'} on {ticket.number}.",
        )
    return HttpResponseClientRefresh() if request.htmx else redirect(ticket)


@login_required
@require_POST
def ticket_decide(request: HttpRequest, number: str) -> HttpResponse:
    ticket = ticket_get(request.user, number)
    form = DecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose a knowledge decision.")
        return HttpResponseClientRefresh() if request.htmx else redirect(ticket)
    try:
        ref = form.cleaned_data["article"].strip()
        article = queries.article_get(request.user, ref) if ref else None
        services.ticket_kb_decide(
            actor=request.user,
            ticket=ticket,
            decision=form.cleaned_data["decision"],
            article=article,
            reason=form.cleaned_data["reason"],
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "Knowledge decision recorded.")
    return HttpResponseClientRefresh() if request.htmx else redirect(ticket)


# --- beside the new-ticket form --------------------------------------------------------------


@login_required
@require_POST
def suggest(request: HttpRequest) -> HttpResponse:
    """Suggestions for the ticket being typed (the new-ticket form posts here while typing)."""
    text = f"{request.POST.get('title', '')}\n{request.POST.get('description', '')}"[:5000]
    found = suggestions_for(
        request.user,
        text=text if len(text.strip()) >= 3 else "",
        service_id=_int(request.POST.get("service") or None, 0) or None,
        ci_id=_int(request.POST.get("ci") or None, 0) or None,
        category_id=_int(request.POST.get("category") or None, 0) or None,
    )
    return render(request, "knowledge/partials/suggestions.html", {"found": found, "ticket": None})


@login_required
@require_POST
def create_solved(request: HttpRequest) -> HttpResponse:
    """Create the ticket in the form and resolve it with the article the agent chose."""
    require_staff(request.user, "resolve tickets with an article")
    form = TicketCreateForm(request.POST)
    try:
        article = queries.article_get(request.user, request.POST.get("solved_by", ""))
    except DomainError as exc:
        form.is_valid()
        add_domain_error(form, exc)
        article = None
    if article is not None and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if v not in (None, "")}
        try:
            ticket = services.ticket_create_solved(actor=request.user, article=article, **data)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(
                request, f"{ticket.number} created and resolved with {article.number}."
            )
            return (
                HttpResponseClientRedirect(ticket.get_absolute_url())
                if request.htmx
                else redirect(ticket)
            )
    from backline.tickets.panels import render_context

    context = {
        "form": form,
        "title": "New ticket",
        "panels": render_context(request, None, ("create",)),
    }
    return render(request, "tickets/create.html", context, status=422)


# --- insights and policy ---------------------------------------------------------------------


@login_required
@require_GET
def insights(request: HttpRequest) -> HttpResponse:
    require_staff(request.user, "see knowledge metrics")
    start_day = parse_day(request.GET.get("start"))
    end_day = parse_day(request.GET.get("end"))
    start, end = local_day_range(start_day, end_day, default_days=30)
    context = {
        "title": "Knowledge insights",
        "m": queries.kb_metrics(start=start, end=end),
        "top": queries.top_articles(start=start, end=end),
        "start": start,
        "end_day": (end - timedelta(seconds=1)).date(),
    }
    return render(request, "knowledge/insights.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def policies(request: HttpRequest) -> HttpResponse:
    if not request.user.is_manager:
        raise NotFound("No such page.")
    teams = [t for t in teams_all() if t.tier >= 2]
    if request.method == "POST":
        wanted = set(request.POST.getlist("require"))
        for team in teams:
            services.knowledge_policy_set(
                actor=request.user, team=team, require_decision=str(team.pk) in wanted
            )
        messages.success(request, "Knowledge policies saved.")
        return redirect("knowledge:policies")
    required = set(
        KnowledgePolicy.objects.filter(require_decision=True).values_list("team_id", flat=True)
    )
    context = {"title": "Knowledge policy", "teams": teams, "required": required}
    return render(request, "knowledge/policies.html", context)
