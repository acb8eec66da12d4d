"""Search reads: full-text search with filters, and "similar to this text" suggestions.

Both backends only supply bounded candidate sets; `rules.py` re-ranks them the same way on each,
so a query gives the same top results on SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time
from typing import Any

from django.db.models import Q
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from backline.search import rules
from backline.search.backends import Match, backend, filter_tag
from backline.search.models import SearchDocument
from backline.search.registry import Provider, providers
from backline.search.rules import ParsedQuery, Term

CANDIDATES = 200  # documents re-ranked in Python per search (more for deep pages)
MAX_CANDIDATES = 1000  # pages past this depth are not served
COUNT_CAP = rules.DF_CAP  # totals above this are shown as "1000+"
SIMILAR_CANDIDATES = 200

_FIELDS = (
    "id",
    "kind",
    "object_id",
    "title",
    "keywords",
    "body",
    "status",
    "service_id",
    "ci_id",
    "category_id",
    "updated_at",
)


@dataclass(frozen=True)
class Hit:
    kind: str
    object_id: int
    number: str
    title: str
    url: str
    snippet: SafeString  # escaped text with <mark>…</mark> around matched terms
    score: float
    status: str
    updated_at: datetime | None
    reasons: tuple[str, ...] = ()  # similar(): e.g. ("same CI", "same service")
    title_html: SafeString = field(default_factory=lambda: mark_safe(""))  # title, marked
    exact: bool = False  # found by its number (INC-42)


@dataclass(frozen=True)
class SearchFilter:
    """Filters of a search; empty tuples and None mean "any"."""

    kinds: tuple[str, ...] = ()
    status: tuple[str, ...] = ()
    service_id: int | None = None
    ci_id: int | None = None
    category_id: int | None = None
    team_id: int | None = None
    updated_after: date | None = None
    updated_before: date | None = None

    def q(self) -> Q:
        """The filter as a condition on SearchDocument (kinds are applied with the scope)."""
        q = Q()
        if self.status:
            q &= Q(status__in=self.status)
        for name in ("service_id", "ci_id", "category_id", "team_id"):
            value = getattr(self, name)
            if value is not None:
                q &= Q(**{name: value})
        if self.updated_after:
            start = datetime.combine(
                self.updated_after, time.min, tzinfo=timezone.get_current_timezone()
            )
            q &= Q(updated_at__gte=start)
        if self.updated_before:
            end = datetime.combine(
                self.updated_before, time.max, tzinfo=timezone.get_current_timezone()
            )
            q &= Q(updated_at__lte=end)
        return q

    def tags(self) -> tuple[tuple[str, ...], ...]:
        """The filter's service, CI, category, team and status as FTS5 tags (`Match.tags`); the
        dates are not tags (`q()` applies them)."""
        groups = [tuple(filter_tag("status", s) for s in self.status)] if self.status else []
        for name in ("service_id", "ci_id", "category_id", "team_id"):
            value = getattr(self, name)
            if value is not None:
                groups.append((filter_tag(name, value),))
        return tuple(groups)


@dataclass(frozen=True)
class SearchPage:
    hits: list[Hit]
    total: int
    page: int
    per_page: int
    has_next: bool
    query: ParsedQuery
    total_capped: bool = False  # total is a lower bound ("1000+")
    relaxed: bool = False  # nothing held every word: these hold some of them

    @property
    def terms(self) -> tuple[str, ...]:
        return tuple(str(t) for t in self.query.terms)


def visible_kinds(user: Any, kinds: Sequence[str] = ()) -> dict[str, Q]:
    """Kind → the condition limiting that kind to what the user may see (kinds hidden from the
    user are left out)."""
    out: dict[str, Q] = {}
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return out
    for kind, provider in providers().items():
        if kinds and kind not in kinds:
            continue
        scope = provider.scope(user)
        if scope is not None:
            out[kind] = Q(kind=kind) & scope
    return out


def _scope_q(scopes: Mapping[str, Q]) -> Q:
    q = Q(pk__in=[])
    for scope in scopes.values():
        q |= scope
    return q


def _required_owner(q: Q) -> int | None:
    """The owner id a scope condition requires (a requester's own tickets), if it requires one:
    `owner_id=N` joined by AND, not negated, at any depth."""
    if q.negated or (q.connector != Q.AND and len(q.children) > 1):
        return None
    for child in q.children:
        if isinstance(child, Q):
            found = _required_owner(child)
        elif isinstance(child, tuple) and child[0] in ("owner_id", "owner_id__exact"):
            found = child[1] if type(child[1]) is int else None
        else:
            continue
        if found is not None:
            return found
    return None


def _scope_tags(scopes: Mapping[str, Q]) -> tuple[tuple[str, ...], ...]:
    """The visible kinds as one OR of tags when some kind is limited to one owner: a requester
    sees (own tickets) OR (any article) → `own55 OR kd<article>`; the scope Q keeps the rest
    (published, audience). Nothing when no kind is limited to an owner."""
    owners = {kind: _required_owner(q) for kind, q in scopes.items()}
    if all(owner is None for owner in owners.values()):
        return ()
    group = (
        filter_tag("kind", kind) if owner is None else filter_tag("owner_id", owner)
        for kind, owner in owners.items()
    )
    return (tuple(dict.fromkeys(group)),)


def _match(
    groups: tuple[tuple[Term, ...], ...],
    exclude: tuple[Term, ...],
    scopes: Mapping[str, Q],
    tags: tuple[tuple[str, ...], ...] = (),
) -> Match:
    """The backend query for these visible kinds, with the filter's and the scope's tags. The
    kind hint is left out when every kind is visible, or when the scope's tag group already
    names each kind (by owner or kind): intersecting with all tickets costs FTS5 more than the
    hint saves."""
    scope_tags = _scope_tags(scopes)
    kinds = () if scope_tags or len(scopes) == len(providers()) else tuple(scopes)
    return Match(groups, exclude, kinds, tags + scope_tags)


def _weights(terms: Sequence[Term]) -> dict[Term, float]:
    """Each term's IDF from capped document frequencies (the same on both backends)."""
    if not terms:
        return {}
    counts = backend().doc_freq(list(terms), rules.DF_CAP)
    return {t: rules.idf(n) for t, n in zip(terms, counts, strict=True)}


def _hit(
    row: SearchDocument,
    provider: Provider,
    query: ParsedQuery,
    score: float,
    reasons: tuple[str, ...] = (),
    exact: bool = False,
) -> Hit:
    return Hit(
        kind=row.kind,
        object_id=row.object_id,
        number=provider.number(row.object_id),
        title=row.title,
        url=provider.url(row.object_id),
        snippet=rules.snippet(row.body or row.keywords, query),
        score=score,
        status=row.status,
        updated_at=row.updated_at,
        reasons=reasons,
        title_html=rules.highlight(row.title, query),
        exact=exact,
    )


def _probed(user: Any) -> bool:
    """Whether the user's scope checks each matched ticket with a probe (agents: involvement),
    so a very common word is looked for among its newest matches only (`scan_window`)."""
    return bool(user is not None and user.is_staff_member and not user.is_manager)


def _matching(match: Match, where: Q, limit: int, window: int | None) -> tuple[list[int], bool]:
    """Up to `limit` matching ids, and whether older matches were left unexamined."""
    engine = backend()
    if window is None:
        return engine.matching(match, where, limit), False
    return engine.matching_window(match, where, limit, window)


def _candidates(
    match: Match, where: Q, need: int, window: int | None = None
) -> tuple[list[int], int, bool, bool]:
    """(candidate ids, number of matches up to COUNT_CAP, whether all matches are candidates,
    whether there are more than counted). Small match sets are taken whole; moderate ones by
    the engine's rank; huge ones (a very common word, or more than an agent's window holds) by
    recency, so the work stays bounded at any index size."""
    engine = backend()
    ids, truncated = _matching(match, where, COUNT_CAP + 1, window)
    count = len(ids)
    capped = count > COUNT_CAP or truncated
    if truncated:
        # Only the newest matches were examined: rank the ones found, newest first.
        return sorted(ids, reverse=True)[:need], min(count, COUNT_CAP), False, capped
    if count <= need:
        return ids, count, True, False
    if count <= COUNT_CAP:
        return engine.ranked(match, where, need), count, False, False
    # Over COUNT_CAP matches: the newest `need`. FTS5 returned them newest first already;
    # on PostgreSQL an ORDER BY id over a common word's bitmap (with a filter) can cost 100+ ms,
    # so the newest of the first 1,001 matches it found stand in.
    return sorted(ids, reverse=True)[:need], count, False, True


def _direct_hits(user: Any, query: ParsedQuery, scopes: Mapping[str, Q]) -> list[Hit]:
    """Objects named by number in the query (INC-42, KB-7), if the user may see them."""
    by_prefix = {p.prefix: p for p in providers().values() if p.kind in scopes}
    hits = []
    for prefix, number in query.numbers:
        provider = by_prefix.get(prefix)
        if provider is None:
            continue
        row = (
            SearchDocument.objects.filter(scopes[provider.kind], object_id=number)
            .only(*_FIELDS)
            .first()
        )
        if row is not None:
            hits.append(_hit(row, provider, query, 0.0, exact=True))
    return hits


def _empty(query: ParsedQuery, page: int, per_page: int, hits: list[Hit] | None = None):
    hits = hits or []
    return SearchPage(
        hits=hits, total=len(hits), page=page, per_page=per_page, has_next=False, query=query
    )


def search(
    *,
    user: Any,
    q: str,
    flt: SearchFilter | None = None,
    page: int = 1,
    per_page: int = 20,
) -> SearchPage:
    """One page of the documents matching `q` that the user may see, best first; a number like
    INC-42 puts that object first. Bad or empty queries give an empty page. When no document
    holds every word, the documents holding any of them are given instead (`relaxed`), best
    first, as people expect of a search box."""
    flt = flt or SearchFilter()
    page, per_page = max(1, page), max(1, min(per_page, 100))
    query = rules.parse_query(q, number_prefixes={p.prefix for p in providers().values()})
    result = _search(user, query, flt, page, per_page)
    relaxed = _relaxed(query)
    if result.total == 0 and not result.hits and relaxed is not None:
        fallback = _search(user, relaxed, flt, page, per_page)
        if fallback.total:
            return replace(fallback, relaxed=True)
    return result


def _relaxed(query: ParsedQuery) -> ParsedQuery | None:
    """The query with its words OR-ed instead of AND-ed (None when that changes nothing)."""
    if len(query.groups) < 2:
        return None
    return ParsedQuery(groups=(query.terms,), exclude=query.exclude, numbers=query.numbers)


def _search(
    user: Any, query: ParsedQuery, flt: SearchFilter, page: int, per_page: int
) -> SearchPage:
    scopes = visible_kinds(user, flt.kinds)
    if not scopes:
        return _empty(query, page, per_page)
    direct = _direct_hits(user, query, scopes) if page == 1 else []
    if query.is_empty:
        return _empty(query, page, per_page, direct)
    need = page * per_page + 1
    if need > MAX_CANDIDATES:
        return _empty(query, page, per_page)
    where = _scope_q(scopes) & flt.q()
    match = _match(query.groups, query.exclude, scopes, flt.tags())
    window = backend().scan_window if _probed(user) else None
    ids, count, complete, capped = _candidates(match, where, max(CANDIDATES, need), window)
    rows = SearchDocument.objects.filter(pk__in=ids).only(*_FIELDS)
    weights = _weights(query.terms)
    scored = []
    for row in rows:
        doc = rules.analyse({"title": row.title, "keywords": row.keywords, "body": row.body})
        if rules.matches(query, doc):
            s = rules.score(query, doc, weights)
            scored.append((rules.rank_key(s, row.updated_at, row.object_id, row.kind), s, row))
    scored.sort(key=lambda x: x[0])
    total = len(scored) if complete and not capped else max(count, len(scored))
    registered = providers()
    start = (page - 1) * per_page
    direct_keys = {(h.kind, h.object_id) for h in direct}
    hits = direct + [
        _hit(row, registered[row.kind], query, s)
        for _, s, row in scored[start : start + per_page]
        if (row.kind, row.object_id) not in direct_keys
    ]
    return SearchPage(
        hits=hits,
        total=total,
        page=page,
        per_page=per_page,
        has_next=start + per_page < total and start + per_page < MAX_CANDIDATES,
        query=query,
        total_capped=capped,
    )


def search_counts(
    *, user: Any, q: str, flt: SearchFilter | None = None
) -> dict[str, tuple[int, bool]]:
    """Kind → (number of matches up to COUNT_CAP, whether there are more), for the kind tabs.
    Counted by the engine, so phrases count documents holding their words anywhere."""
    flt = flt or SearchFilter()
    query = rules.parse_query(q, number_prefixes={p.prefix for p in providers().values()})
    if query.is_empty:
        return {}
    counts = _counts(user, query, flt)
    relaxed = _relaxed(query)
    if relaxed is not None and not any(n for n, _ in counts.values()):
        return _counts(user, relaxed, flt)
    return counts


def _counts(user: Any, query: ParsedQuery, flt: SearchFilter) -> dict[str, tuple[int, bool]]:
    out = {}
    for kind, scope in visible_kinds(user).items():
        match = _match(query.groups, query.exclude, {kind: scope}, flt.tags())
        window = backend().scan_window if kind == "ticket" and _probed(user) else None
        ids, truncated = _matching(match, scope & flt.q(), COUNT_CAP + 1, window)
        out[kind] = (min(len(ids), COUNT_CAP), len(ids) > COUNT_CAP or truncated)
    return out


# --- similar ---------------------------------------------------------------------------------


def _similar_kind(
    scope: Q,
    query: ParsedQuery,
    match: Match,
    weights: Mapping[Term, float],
    shared: Mapping[str, int | None],
    limit: int,
) -> list[tuple[tuple, float, tuple[str, ...], SearchDocument]]:
    ids, _, _, _ = _candidates(match, scope, SIMILAR_CANDIDATES)
    rows = list(SearchDocument.objects.filter(pk__in=ids).only(*_FIELDS))
    texts = []
    for row in rows:
        doc = rules.analyse({"title": row.title, "keywords": row.keywords, "body": row.body})
        s = rules.score(query, doc, weights)
        if s > 0:
            texts.append((s, row))
    best = max((s for s, _ in texts), default=0.0)
    out = []
    for s, row in texts:
        same = [
            name
            for name, value in shared.items()
            if value is not None and getattr(row, f"{name}_id") == value
        ]
        final, reasons = rules.boosted(s, best, same)
        out.append(
            (rules.rank_key(final, row.updated_at, row.object_id, row.kind), final, reasons, row)
        )
    out.sort(key=lambda x: x[0])
    return out[:limit]


def similar(
    *,
    user: Any,
    text: str,
    kinds: Mapping[str, Sequence[str] | None],
    service_id: int | None = None,
    ci_id: int | None = None,
    category_id: int | None = None,
    exclude: tuple[str, int] | None = None,
    limit: int = 5,
) -> dict[str, list[Hit]]:
    """Per kind, the documents most like `text` that the user may see: similarity of their
    words (rare words weigh more) plus boosts for the same CI, service and category."""
    scopes = visible_kinds(user, tuple(kinds))
    out: dict[str, list[Hit]] = {kind: [] for kind in kinds}
    words = rules.informative_words(text or "")[: rules.MAX_SIMILAR_TERMS]
    if not scopes or not words or limit < 1:
        return out
    terms = [Term((w,)) for w in words]
    counts = backend().doc_freq(terms, rules.DF_CAP)
    df = dict(zip(words, counts, strict=True))
    picked = rules.retrieval_words(words, df)
    if not picked:
        return out
    query = ParsedQuery(groups=tuple((t,) for t in terms if df[t.words[0]] > 0))
    weights = {t: rules.idf(df[t.words[0]]) for t in query.terms}
    match = Match((tuple(Term((w,)) for w in picked),))
    shared = {"ci": ci_id, "service": service_id, "category": category_id}
    registered = providers()
    for kind, statuses in kinds.items():
        if kind not in scopes:
            continue
        scope = scopes[kind]
        if statuses is not None:
            scope &= Q(status__in=list(statuses))
        if exclude is not None and exclude[0] == kind:
            scope &= ~Q(object_id=exclude[1])
        narrowed = _match(match.groups, (), {kind: scope})
        ranked = _similar_kind(scope, query, narrowed, weights, shared, min(limit, 50))
        out[kind] = [
            _hit(row, registered[kind], query, final, reasons) for _, final, reasons, row in ranked
        ]
    return out


def marked(text: str, q: str) -> SafeString:
    """`text` escaped with the words of query `q` marked (for titles shown outside search)."""
    query = rules.parse_query(q)
    return rules.highlight(text, query) if not query.is_empty else mark_safe(escape(text))  # noqa: S308
