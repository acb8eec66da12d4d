"""The search page: one box over tickets, articles and more, with kind tabs and filters."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET
from pydantic import ValidationError

from backline.search import queries
from backline.search.registry import providers
from backline.search.schemas import SearchParams
from backline.tickets.choices import Status

PER_PAGE = 20
# Ticket statuses plus the article states a filter is most often for.
STATUSES = [*Status.choices, ("published", "Published"), ("draft", "Draft")]


def _params(request: HttpRequest) -> tuple[SearchParams, str]:
    try:
        return SearchParams.from_query(request.GET), ""
    except ValidationError as exc:
        message = "; ".join(
            f"{'.'.join(map(str, e['loc'])) or 'query'}: {e['msg'].removeprefix('Value error, ')}"
            for e in exc.errors()
        )
        return SearchParams(q=request.GET.get("q", "")[:2000]), message


@login_required
@require_GET
def search(request: HttpRequest) -> HttpResponse:
    params, error = _params(request)
    registered = providers()
    kind = (params.kind or [""])[0]
    kind = kind if kind in registered else ""
    result = queries.search(
        user=request.user,
        q=params.q,
        flt=params.to_filter((kind,) if kind else ()),
        page=params.page,
        per_page=PER_PAGE,
    )
    # A number typed alone (INC-42) jumps straight to the object.
    only = result.hits[0] if len(result.hits) == 1 and result.hits[0].exact else None
    if only is not None and result.query.is_empty and not request.htmx:
        return redirect(only.url)
    counts = queries.search_counts(user=request.user, q=params.q, flt=params.to_filter(()))
    query = request.GET.copy()
    for key in ("page", "kind"):
        query.pop(key, None)
    context = {
        "title": f"Search: {params.q}" if params.q else "Search",
        "params": params,
        "kind": kind,
        "result": result,
        "error": error,
        "tabs": [
            (k, p.label, counts.get(k, (0, False))) for k, p in registered.items() if k in counts
        ],
        "all_count": (sum(c for c, _ in counts.values()), any(m for _, m in counts.values())),
        "base_query": query.urlencode(),
        "page_query": (query.urlencode() + (f"&kind={kind}" if kind else "")),
        "start": (result.page - 1) * PER_PAGE,
        "statuses": STATUSES,
        "status_labels": dict(STATUSES),
    }
    template = "search/search.html#results" if request.htmx else "search/search.html"
    return render(request, template, context)
