"""The two accelerators: filter tags in the FTS5 index (SQLite) and the cache of common words'
document frequencies (both backends). Neither may change a result."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import product

import pytest
from django.db import connection
from django.db.models import Q

from backline.search import queries
from backline.search.backends import COMMON_WORDS, CommonWords, Match, backend, filter_tag
from backline.search.documents import Document
from backline.search.models import SearchDocument
from backline.search.queries import SearchFilter, search, search_counts, similar
from backline.search.rules import Term
from backline.search.services import document_index
from backline.tickets import services as ticket_services

BASE = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
STATUSES = ("new", "in_progress", "resolved", "closed")
sqlite_only = pytest.mark.skipif(
    connection.vendor != "sqlite", reason="the tags are an FTS5 index (SQLite only)"
)


def _docs(owner_id: int) -> None:
    """48 printer tickets over every mix of service, CI, category, team, status and owner."""
    for i, (service, ci, status, owner) in enumerate(
        product((7, 8, None), (12, None), STATUSES, (owner_id, None))
    ):
        document_index(
            Document(
                kind="ticket",
                object_id=i + 1,
                title=f"Printer jam {i}" if i % 3 else f"Printer offline {i}",
                body="The printer on the second floor " + "prints slowly. " * (i % 4),
                status=status,
                owner_id=owner,
                service_id=service,
                ci_id=ci,
                category_id=(3 if i % 2 else None),
                team_id=(4 if i % 5 else None),
                updated_at=BASE - timedelta(hours=i),
            )
        )
    # Articles: public and published (requesters see them), internal, a draft of the requester.
    for i, (status, audience, owner) in enumerate(
        [("published", "public", None), ("published", "internal", None), ("draft", "", owner_id)]
    ):
        document_index(
            Document(
                kind="article",
                object_id=i + 1,
                title=f"How to fix a printer jam {i}",
                body="Open the printer tray on the second floor.",
                status=status,
                audience=audience,
                owner_id=owner,
                service_id=7,
                updated_at=BASE - timedelta(hours=i),
            )
        )


def _page(user, q: str, flt: SearchFilter) -> list[tuple[int, float]]:
    page = search(user=user, q=q, flt=flt, per_page=100)
    return [(h.object_id, h.score) for h in page.hits]


FILTERS = [
    SearchFilter(),
    SearchFilter(service_id=7),
    SearchFilter(service_id=8, ci_id=12),
    SearchFilter(ci_id=12, status=("new", "in_progress")),
    SearchFilter(category_id=3, team_id=4),
    SearchFilter(status=("resolved",), service_id=7, category_id=3),
    SearchFilter(service_id=99),
]


@pytest.mark.django_db
@pytest.mark.parametrize("q", ["printer", "printer -offline", "jam OR offline", '"second floor"'])
def test_filtered_results_are_the_same_with_and_without_the_tags(
    l2_agent, requester, monkeypatch, q
):
    _docs(requester.pk)
    with_tags = {
        (f, user.pk): (_page(user, q, f), search_counts(user=user, q=q, flt=f))
        for f in FILTERS
        for user in (l2_agent, requester)
    }
    assert any(pages[0] for pages in with_tags.values())
    monkeypatch.setattr(SearchFilter, "tags", lambda self: ())
    monkeypatch.setattr(queries, "_scope_tags", lambda scopes: ())
    for f in FILTERS:
        for user in (l2_agent, requester):
            assert with_tags[f, user.pk] == (
                _page(user, q, f),
                search_counts(user=user, q=q, flt=f),
            )


@pytest.mark.django_db
def test_the_search_hands_its_filter_and_owner_scope_to_the_backend_as_tags(
    l2_agent, requester, monkeypatch
):
    seen: list[Match] = []
    matching = type(backend()).matching
    matching_window = type(backend()).matching_window

    def spy(self, match, where, limit):
        seen.append(match)
        return matching(self, match, where, limit)

    def spy_window(self, match, where, limit, window):  # agents' searches on SQLite
        seen.append(match)
        return matching_window(self, match, where, limit, window)

    monkeypatch.setattr(type(backend()), "matching", spy)
    monkeypatch.setattr(type(backend()), "matching_window", spy_window)
    flt = SearchFilter(status=("new", "in_progress"), service_id=7, ci_id=12, team_id=4)
    search(user=l2_agent, q="printer", flt=flt)
    assert seen[-1].tags == (
        (filter_tag("status", "new"), filter_tag("status", "in_progress")),
        ("svc7",),
        ("ci12",),
        ("team4",),
    )
    search(user=requester, q="printer", flt=SearchFilter(kinds=("ticket",)))
    assert seen[-1].tags == ((f"own{requester.pk}",),)
    # A requester's own tickets or any article they may read (the scope Q decides which).
    search(user=requester, q="printer")
    visible = queries.visible_kinds(requester)
    assert seen[-1].tags == (
        tuple(
            f"own{requester.pk}" if kind == "ticket" else filter_tag("kind", kind)
            for kind in visible
        ),
    )
    # Staff see every ticket: no owner tag.
    search(user=l2_agent, q="printer", flt=SearchFilter(kinds=("ticket",)))
    assert seen[-1].tags == ()


def test_only_a_required_owner_becomes_a_tag():
    required = queries._required_owner
    assert required(Q(kind="ticket") & Q(owner_id=5)) == 5
    assert required(Q(kind="ticket") & (Q(status="x") & Q(owner_id=5))) == 5
    assert required(Q(kind="ticket")) is None
    assert required(Q(status="published") | Q(owner_id=5)) is None
    assert required(~Q(owner_id=5)) is None
    assert required(Q(kind="ticket") & ~Q(owner_id=5)) is None


@sqlite_only
@pytest.mark.django_db
def test_the_fts5_index_holds_the_filter_values_and_follows_updates(requester):
    _docs(requester.pk)
    engine = backend()
    printer = ((Term(("printer",)),),)

    def tagged(*tags: str) -> set[int]:
        return set(engine.matching(Match(printer, tags=tuple((t,) for t in tags)), Q(), 1000))

    def truth(**kw) -> set[int]:
        return set(SearchDocument.objects.filter(**kw).values_list("pk", flat=True))

    assert tagged("svc7") == truth(service_id=7)
    assert tagged("ci12", "cat3") == truth(ci_id=12, category_id=3)
    assert tagged("team4") == truth(team_id=4)
    assert tagged(f"own{requester.pk}") == truth(owner_id=requester.pk)
    assert tagged(filter_tag("status", "in_progress")) == truth(status="in_progress")
    assert tagged(filter_tag("kind", "ticket")) == truth(kind="ticket")
    assert tagged(filter_tag("kind", "article"), "svc7") == truth(kind="article", service_id=7)
    assert tagged("svc9") == set()
    # An update of a filter column alone rewrites the entry's tags (trigger 0003).
    first = SearchDocument.objects.filter(kind="ticket", object_id=1)
    pk = first.get().pk
    first.update(service_id=9, status="in_progress")
    assert tagged("svc9") == {pk}
    assert pk not in tagged("svc7")
    assert pk in tagged(filter_tag("status", "in_progress"))
    first.delete()
    assert tagged("svc9") == set()


@pytest.mark.django_db
def test_user_words_never_match_the_tags(l2_agent, requester):
    _docs(requester.pk)
    for q in [
        "svc7",
        "ci12",
        "cat3",
        "team4",
        f"own{requester.pk}",
        filter_tag("status", "resolved"),
        "svc*",
        "own*",
        "st*",
        "kd*",
        filter_tag("kind", "ticket"),
        "ticket",
    ]:
        assert search(user=l2_agent, q=q).total == 0, q
        assert all(n == (0, False) for n in search_counts(user=l2_agent, q=q).values()), q
    hits = similar(user=l2_agent, text="svc7 ci12 team4 cat3", kinds={"ticket": None})
    assert hits["ticket"] == []


# --- the cache of common words' document frequencies -----------------------------------------


@pytest.fixture
def clean_cache():
    COMMON_WORDS.clear()
    yield COMMON_WORDS
    COMMON_WORDS.clear()


def _index(n: int, word: str, start: int) -> None:
    for i in range(n):
        document_index(Document(kind="ticket", object_id=start + i, title=f"{word} {i}", body=word))


@pytest.mark.django_db(transaction=True)
def test_counts_at_the_cap_are_cached_and_counts_below_it_never(clean_cache):
    _index(3, "toner", 1)
    _index(1, "scanner", 10)
    engine = backend()
    toner, scanner, fuser = Term(("toner",)), Term(("scanner",)), Term(("fuser",))
    assert engine.doc_freq([toner, scanner, fuser], 2) == [2, 1, 0]
    alias = connection.alias
    assert (alias, 2, toner) in clean_cache
    assert (alias, 2, scanner) not in clean_cache and (alias, 2, fuser) not in clean_cache
    assert (alias, 1000, toner) not in clean_cache  # another cap is another count
    # Below the cap, every call counts afresh; the cached word stays at the cap until cleared.
    SearchDocument.objects.filter(title__startswith="toner").delete()
    _index(2, "scanner", 20)
    _index(1, "fuser", 30)
    assert engine.doc_freq([toner, scanner, fuser], 2) == [2, 2, 1]
    clean_cache.clear()
    assert engine.doc_freq([toner, scanner, fuser], 2) == [0, 2, 1]
    assert (alias, 2, toner) not in clean_cache and (alias, 2, scanner) in clean_cache


@pytest.mark.django_db
def test_counts_read_inside_a_transaction_are_not_cached(clean_cache):
    # The `db` fixture runs the test in a transaction that rolls back: nothing may outlive it.
    _index(3, "toner", 1)
    assert backend().doc_freq([Term(("toner",))], 2) == [2]
    assert len(clean_cache) == 0


def test_the_cache_expires_and_stays_bounded(monkeypatch):
    from backline.search import backends

    now = [100.0]
    monkeypatch.setattr(backends.time, "monotonic", lambda: now[0])
    cache = CommonWords(ttl=60, size=10)
    cache.add("a")
    now[0] += 59
    assert "a" in cache
    now[0] += 2
    assert "a" not in cache and len(cache) == 0
    for i in range(25):
        cache.add(i)
    assert len(cache) <= 10 and 24 in cache and 0 not in cache
    cache.clear()
    assert len(cache) == 0


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's planner statistics")
@pytest.mark.django_db(transaction=True)
def test_words_the_statistics_put_far_above_the_cap_are_not_counted(clean_cache, monkeypatch):
    from backline.search import backends

    _index(30, "toner", 1)
    _index(3, "scanner", 100)
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {SearchDocument._meta.db_table}")
    counted: list[Term] = []
    count = backends.Backend._doc_freq

    def spy(self, terms, cap):
        counted.extend(terms)
        return count(self, terms, cap)

    monkeypatch.setattr(backends.Backend, "_doc_freq", spy)
    toner, scanner, prefix = Term(("toner",)), Term(("scanner",)), Term(("ton",), prefix=True)
    # cap 2: toner is in 30 documents (>= 10 × 2) by the statistics, scanner in 3.
    assert backend().doc_freq([toner, scanner, prefix], 2) == [2, 2, 2]
    assert counted == [scanner, prefix]
    # cap 4: 30 is not 10 × 4, so toner is counted, reaches the cap and is cached; scanner (3)
    # stays under it and is counted every time.
    counted.clear()
    assert backend().doc_freq([toner, scanner], 4) == [4, 3]
    assert counted == [toner, scanner]
    counted.clear()
    assert backend().doc_freq([toner, scanner], 4) == [4, 3]
    assert counted == [scanner]


def test_an_agents_common_word_is_looked_for_among_its_newest_matches(
    l2_agent, requester, monkeypatch
):
    """An agent's visibility costs a probe per matched ticket: with more matches than the
    backend's scan window, only the newest are examined and the total says "more than"."""
    monkeypatch.setattr(type(backend()), "scan_window", 3)
    tickets = [
        ticket_services.ticket_create(actor=requester, title=f"Printer jam on floor {i}")
        for i in range(5)
    ]
    result = search(user=l2_agent, q="printer", flt=SearchFilter(kinds=("ticket",)))
    found = [hit.object_id for hit in result.hits]
    assert found == [t.pk for t in tickets[::-1][:3]]  # the newest three
    assert result.total_capped and result.total == 3
    counts = queries.search_counts(user=l2_agent, q="printer")
    assert counts["ticket"] == (3, True)
    # Without a window (managers never probe; nor does PostgreSQL) every match counts.
    monkeypatch.setattr(type(backend()), "scan_window", None)
    result = search(user=l2_agent, q="printer", flt=SearchFilter(kinds=("ticket",)))
    assert result.total == 5 and not result.total_capped
