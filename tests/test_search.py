"""Search: the query parser, scorer and snippets; the index following the ticket services;
visibility, filters, reindex, bad input, the API and the page."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.test import Client
from django.utils import timezone

from backline import cli
from backline.cmdb.models import ConfigurationItem, Service
from backline.core.errors import DomainError
from backline.search import rules
from backline.search.documents import Document
from backline.search.models import SearchDocument
from backline.search.queries import SearchFilter, search, similar
from backline.search.registry import providers
from backline.search.rules import parse_query
from backline.search.services import document_index, document_remove, documents_reindex
from backline.tickets import services as tickets
from backline.tickets.models import Category
from tests.conftest import api_client_for
from tests.factories import make_ticket

NASTY = [
    "",
    " ",
    '"',
    '""',
    "*",
    "**",
    "AND",
    "OR",
    "NOT",
    "NEAR(",
    "NEAR(a b, 2)",
    "-",
    "--",
    "-vpn",
    "(",
    ")",
    "'",
    "a:b",
    "title:vpn",
    "^vpn",
    "vpn & | ! <->",
    "'vpn':*",
    "\\",
    "über café naïve",
    "日本語 テスト",
    "emoji 🎉 printer",
    "\x00",
    "printer\x00 drop",
    "x" * 10_000,
    "word " * 2000,
    "INC-",
    "INC-0",
    "INC-99999999999999999999",
    "KB-",
    "%_",
]


# --- rules -----------------------------------------------------------------------------------


def test_words_are_anded_phrases_prefixes_exclusions_and_or_groups():
    q = parse_query('vpn "gateway not responding" print* -outlook wifi OR lan')
    assert [[str(t) for t in g] for g in q.groups] == [
        ["vpn"],
        ['"gateway not responding"'],
        ["print*"],
        ["wifi", "lan"],
    ]
    assert [str(t) for t in q.exclude] == ["-outlook"]
    assert q.groups[1][0].key_words == ("gateway", "responding")  # "not" is a stop word


def test_numbers_are_direct_lookups_and_other_codes_are_text():
    q = parse_query("INC-000042 kb-7 WEB-1041234", number_prefixes={"INC", "KB"})
    assert q.numbers == (("INC", 42), ("KB", 7))
    assert [str(t) for t in q.terms] == ['"web 1041234"']


@pytest.mark.parametrize("text", NASTY)
def test_any_input_parses_into_plain_words(text):
    q = parse_query(text)
    for term in (*q.terms, *q.exclude):
        assert all(w.isalnum() for w in term.words)
    assert len(q.terms) + len(q.exclude) <= rules.MAX_TERMS


def test_stop_words_alone_are_an_empty_query():
    assert parse_query("the and of").is_empty
    assert parse_query("a*").is_empty  # too short a prefix


def _doc(title="", body="", keywords=""):
    return rules.analyse({"title": title, "keywords": keywords, "body": body})


def test_a_title_match_outranks_a_body_match_and_more_occurrences_rank_higher():
    q = parse_query("printer")
    weights = dict.fromkeys(q.terms, 1.0)
    in_title = rules.score(q, _doc("Printer offline", "Nothing prints."), weights)
    in_body = rules.score(q, _doc("Offline device", "The printer is offline."), weights)
    twice = rules.score(q, _doc("Offline device", "The printer and the printer again."), weights)
    assert in_title > twice > in_body > 0


def test_rare_terms_weigh_more_and_phrases_only_match_in_order():
    assert rules.idf(1) > rules.idf(100) > rules.idf(5000) == rules.idf(rules.DF_CAP)
    q = parse_query('"gateway not responding"')
    assert rules.matches(q, _doc(body="VPN says: Gateway not responding since 9"))
    assert not rules.matches(q, _doc(body="the gateway is responding, not the client"))


def test_exclusions_and_prefixes_follow_the_stems():
    q = parse_query("print* -excel")
    assert rules.matches(q, _doc("Printing fails in Word"))
    assert not rules.matches(q, _doc("Printing fails in Excel"))
    assert not rules.matches(q, _doc("Scanner broken"))


def test_ties_break_by_most_recent_update_then_highest_id():
    now = timezone.now()
    keys = [
        rules.rank_key(1.0, now - timedelta(days=1), 9, "ticket"),
        rules.rank_key(1.0, now, 3, "ticket"),
        rules.rank_key(1.0, now, 4, "ticket"),
        rules.rank_key(2.0, None, 1, "ticket"),
    ]
    assert [k[2] for k in sorted(keys)] == [-1, -4, -3, -9]


def test_snippets_are_escaped_marked_and_cut_around_the_first_match():
    text = (
        "<b>Intro</b> "
        + "filler words here " * 30
        + "the VPN gateway & the <script> tag "
        + "x " * 100
    )
    html = str(rules.snippet(text, parse_query("gateway")))
    assert "<mark>gateway</mark>" in html
    assert "&lt;script&gt;" in html and "<script>" not in html
    assert "&amp;" in html
    assert html.startswith("… ") and html.endswith(" …")
    assert len(html) < 320
    short = str(rules.snippet("Café <ok>", parse_query("cafe")))
    assert short == "<mark>Café</mark> &lt;ok&gt;"


def test_similar_picks_rare_words_first():
    words = rules.informative_words("The VPN client at 09:15 fails: certificate validation failed")
    assert "the" not in words and "09" not in words and "15" not in words
    df = {"vpn": 500, "client": 900, "fails": 2000, "certificate": 30, "validation": 30}
    picked = rules.retrieval_words(words, df)
    assert picked[:2] == ["certificate", "validation"]
    assert "failed" not in picked  # never seen in the index


# --- the index follows the ticket services ---------------------------------------------------

pytestmark_db = pytest.mark.django_db


def _numbers(page):
    return [h.number for h in page.hits]


@pytest.mark.django_db
def test_a_new_ticket_is_searchable_at_once(l2_agent, requester):
    ticket = make_ticket(l2_agent, title="VPN gateway not responding", requester=requester)
    page = search(user=l2_agent, q="vpn gateway")
    assert _numbers(page) == [ticket.number]
    hit = page.hits[0]
    assert hit.url == f"/tickets/{ticket.number}/"
    assert "<mark>VPN</mark>" in str(hit.title_html)
    doc = SearchDocument.objects.get(kind="ticket", object_id=ticket.pk)
    assert (doc.owner_id, doc.status) == (requester.pk, "new")


@pytest.mark.django_db
def test_edits_and_resolution_notes_are_indexed_but_internal_notes_are_not(l2_agent):
    ticket = make_ticket(l2_agent, title="Outlook calendar missing", description="Since today.")
    ticket = tickets.ticket_update(
        actor=l2_agent, ticket=ticket, version=ticket.version, changes={"title": "Teams crashes"}
    )
    assert search(user=l2_agent, q="outlook").total == 0
    assert _numbers(search(user=l2_agent, q="teams crashes")) == [ticket.number]
    tickets.ticket_comment(
        actor=l2_agent, ticket=ticket, body="secretword in an internal note", internal=True
    )
    tickets.ticket_transition(
        actor=l2_agent,
        ticket=ticket,
        action="resolve",
        resolution_code="fixed",
        resolution_notes="Cleared the stale profile cache.",
    )
    page = search(user=l2_agent, q="stale cache")
    assert _numbers(page) == [ticket.number]
    assert page.hits[0].status == "resolved"
    assert "<mark>stale</mark>" in str(page.hits[0].snippet)
    assert search(user=l2_agent, q="secretword").total == 0


@pytest.mark.django_db
def test_the_index_rolls_back_with_the_ticket(l2_agent):
    with pytest.raises(RuntimeError), transaction.atomic():
        make_ticket(l2_agent, title="Ghostly ticket")
        assert search(user=l2_agent, q="ghostly").total == 1
        raise RuntimeError
    assert search(user=l2_agent, q="ghostly").total == 0
    assert not SearchDocument.objects.exists()


@pytest.mark.django_db
def test_document_index_updates_in_place_and_remove_drops_it(manager):
    # A document with no ticket behind it: only someone who sees every ticket may find it.
    document_index(Document(kind="ticket", object_id=777, title="Alpha printer", body=""))
    document_index(Document(kind="ticket", object_id=777, title="Beta scanner", body=""))
    assert SearchDocument.objects.filter(object_id=777).count() == 1
    assert search(user=manager, q="alpha").total == 0
    assert search(user=manager, q="scanner").total == 1
    document_remove(kind="ticket", object_id=777)
    assert search(user=manager, q="scanner").total == 0


# --- visibility and filters ------------------------------------------------------------------


@pytest.mark.django_db
def test_requesters_find_only_their_own_tickets_and_anonymous_users_nothing(
    l2_agent, requester, other_requester
):
    mine = make_ticket(requester, title="Laptop fan is loud")
    theirs = make_ticket(other_requester, title="Laptop screen flickers")
    assert _numbers(search(user=requester, q="laptop")) == [mine.number]
    assert _numbers(search(user=other_requester, q="laptop")) == [theirs.number]
    assert set(_numbers(search(user=l2_agent, q="laptop"))) == {mine.number, theirs.number}
    assert _numbers(search(user=requester, q=theirs.number)) == []
    from django.contrib.auth.models import AnonymousUser

    assert search(user=AnonymousUser(), q="laptop").hits == []


@pytest.mark.django_db
def test_filters_narrow_by_status_service_ci_category_and_date(l2_agent):
    crm = Service.objects.create(name="CRM")
    erp = Service.objects.create(name="ERP")
    ci = ConfigurationItem.objects.create(name="crm-app-01", ci_type="server", service=crm)
    category = Category.objects.first()
    a = make_ticket(l2_agent, title="Report export slow", service=crm, ci=ci, category=category)
    b = make_ticket(l2_agent, title="Report export fails", service=erp)
    tickets.ticket_transition(
        actor=l2_agent, ticket=b, action="resolve", resolution_code="fixed", resolution_notes="ok"
    )

    def found(**kw):
        return set(_numbers(search(user=l2_agent, q="report", flt=SearchFilter(**kw))))

    assert found() == {a.number, b.number}
    assert found(status=("resolved",)) == {b.number}
    assert found(service_id=crm.pk) == {a.number}
    assert found(ci_id=ci.pk) == {a.number}
    assert found(category_id=category.pk) == {a.number}
    today = timezone.localdate()
    assert found(updated_after=today) == {a.number, b.number}
    assert found(updated_before=today - timedelta(days=1)) == set()
    assert found(kinds=("ticket",)) == {a.number, b.number}


@pytest.mark.django_db
def test_a_number_puts_that_ticket_first(l2_agent):
    target = make_ticket(l2_agent, title="Mouse broken")
    other = make_ticket(l2_agent, title=f"Mouse also broken, like {target.number}")
    page = search(user=l2_agent, q=f"INC-{target.pk} mouse")
    assert _numbers(page) == [target.number, other.number]
    assert page.hits[0].exact


@pytest.mark.django_db
def test_pages_and_capped_totals(l2_agent):
    for i in range(25):
        make_ticket(l2_agent, title=f"Keyboard issue {i}")
    first = search(user=l2_agent, q="keyboard", per_page=10)
    second = search(user=l2_agent, q="keyboard", page=3, per_page=10)
    assert (first.total, first.has_next, first.total_capped) == (25, True, False)
    assert len(second.hits) == 5 and not second.has_next
    assert not set(_numbers(first)) & set(_numbers(second))


@pytest.mark.django_db
@pytest.mark.parametrize("text", NASTY)
def test_bad_queries_give_empty_results_never_errors(l2_agent, text):
    make_ticket(l2_agent, title="Printer drop")
    page = search(user=l2_agent, q=text)
    assert page.total >= 0  # no exception is the point; stray words may still match


# --- similar ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_similar_ranks_by_words_and_boosts_shared_ci_service_category(l2_agent):
    crm = Service.objects.create(name="CRM")
    ci = ConfigurationItem.objects.create(name="crm-db-01", ci_type="database", service=crm)
    plain = make_ticket(l2_agent, title="CRM report times out", description="Sales pipeline")
    on_ci = make_ticket(
        l2_agent, title="CRM report times out", description="Sales pipeline", service=crm, ci=ci
    )
    unrelated = make_ticket(l2_agent, title="Printer jam")
    for t in (plain, on_ci, unrelated):
        tickets.ticket_transition(
            actor=l2_agent,
            ticket=t,
            action="resolve",
            resolution_code="fixed",
            resolution_notes="x",
        )
    still_open = make_ticket(l2_agent, title="CRM report times out again")
    hits = similar(
        user=l2_agent,
        text="The CRM sales pipeline report times out",
        kinds={"ticket": ["resolved", "closed"]},
        service_id=crm.pk,
        ci_id=ci.pk,
    )["ticket"]
    assert [h.object_id for h in hits] == [on_ci.pk, plain.pk]
    assert hits[0].reasons == ("same CI", "same service")
    assert hits[0].score > hits[1].score
    assert still_open.pk not in [h.object_id for h in hits]
    excluded = similar(
        user=l2_agent,
        text="CRM report times out",
        kinds={"ticket": None},
        exclude=("ticket", on_ci.pk),
    )["ticket"]
    assert on_ci.pk not in [h.object_id for h in excluded]
    assert similar(user=l2_agent, text="the and of", kinds={"ticket": None}) == {"ticket": []}


# --- reindex ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_reindex_rebuilds_from_the_tickets(l2_agent, capsys):
    ticket = make_ticket(l2_agent, title="Docking station flicker")
    SearchDocument.objects.all().delete()
    assert search(user=l2_agent, q="docking").total == 0
    assert documents_reindex(kinds=["ticket"]) == 1
    assert _numbers(search(user=l2_agent, q="docking")) == [ticket.number]
    assert documents_reindex() >= 1
    assert _numbers(search(user=l2_agent, q="docking")) == [ticket.number]
    with pytest.raises(DomainError):
        documents_reindex(kinds=["nonsense"])


@pytest.mark.django_db(transaction=True)
def test_the_reindex_command(l2_agent, capsys):
    make_ticket(l2_agent, title="Docking station flicker")
    SearchDocument.objects.all().delete()
    assert cli.main(["reindex", "--kind", "ticket"]) == 0
    assert "Indexed 1 documents (ticket)" in capsys.readouterr().out
    assert search(user=l2_agent, q="docking").total == 1
    assert cli.main(["reindex", "--kind", "nonsense"]) == 2


def test_tickets_are_a_registered_kind():
    provider = providers()["ticket"]
    assert (provider.label, provider.number(42), provider.prefix) == (
        "Incidents",
        "INC-000042",
        "INC",
    )


# --- API -------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_search_api(api, l2_agent):
    ticket = make_ticket(l2_agent, title="Wi-Fi drops <in> meeting room")
    response = api.get("/api/v1/search", {"q": "wifi OR wi-fi meeting", "kind": "ticket"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["total"] == 1 and body["page"] == 1 and body["has_next"] is False
    item = body["items"][0]
    assert item["number"] == ticket.number and item["id"] == ticket.pk
    assert item["kind"] == "ticket" and item["url"] == f"/tickets/{ticket.number}/"
    assert set(item) >= {"snippet", "score", "status", "updated_at", "title"}
    assert api.get("/api/v1/search", {"q": '"'}).json()["items"] == []


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("params", "status", "field"),
    [
        ({"q": "x", "page": 0}, 422, "page"),
        ({"q": "x", "updated_after": "yesterday"}, 422, "updated_after"),
        ({"q": "x", "updated_after": "2026-02-02", "updated_before": "2026-01-01"}, 422, None),
        ({"q": "x", "service": -1}, 422, "service"),
        ({"q": "x", "kind": "spaceship"}, 422, "kind"),
        ({"q": "x\x00"}, 400, None),
        ({"q": "x" * 3000}, 422, "q"),
    ],
)
def test_search_api_rejects_bad_parameters(api, params, status, field):
    response = api.get("/api/v1/search", params)
    assert response.status_code == status, response.content
    body = response.json()
    assert body["code"] and body["message"]
    if field:
        assert body["field"] == field


@pytest.mark.django_db
def test_search_api_needs_a_token(db):
    assert Client().get("/api/v1/search", {"q": "x"}).status_code == 401


@pytest.mark.django_db
def test_similar_api(api, l2_agent, requester):
    t = make_ticket(l2_agent, title="Outlook search returns nothing")
    tickets.ticket_transition(
        actor=l2_agent, ticket=t, action="resolve", resolution_code="fixed", resolution_notes="ok"
    )
    response = api.post(
        "/api/v1/search/similar",
        data=json.dumps({"text": "Search in Outlook returns nothing", "kinds": {"ticket": None}}),
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    assert [h["number"] for h in response.json()["ticket"]] == [t.number]
    for payload in (
        {"text": ""},
        {"text": "x", "kinds": {"spaceship": None}},
        {"text": "x", "limit": 0},
    ):
        bad = api.post(
            "/api/v1/search/similar", data=json.dumps(payload), content_type="application/json"
        )
        assert bad.status_code == 422, bad.content
    # Requesters see only their own tickets here too.
    as_requester = api_client_for(requester).post(
        "/api/v1/search/similar",
        data=json.dumps({"text": "Outlook search returns nothing", "kinds": {"ticket": None}}),
        content_type="application/json",
    )
    assert as_requester.json()["ticket"] == []


# --- the page --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_search_page(web, l2_agent):
    ticket = make_ticket(
        l2_agent, title="Scanner <jams> on floor 2", description="Paper jam in scanner"
    )
    response = web.get("/search/", {"q": "scanner"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "<mark>Scanner</mark> &lt;jams&gt;" in html
    assert ticket.number in html
    assert 'data-kind="ticket"' in html
    assert "1 result" in html
    partial = web.get("/search/", {"q": "scanner"}, HTTP_HX_REQUEST="true").content.decode()
    assert ticket.number in partial and "<html" not in partial


@pytest.mark.django_db
def test_typing_a_number_jumps_to_the_ticket(web, l2_agent):
    ticket = make_ticket(l2_agent, title="Anything")
    response = web.get("/search/", {"q": f"inc-{ticket.pk}"})
    assert response.status_code == 302 and response["Location"] == f"/tickets/{ticket.number}/"
    missing = web.get("/search/", {"q": "INC-999999"})
    assert missing.status_code == 200 and "No results" in missing.content.decode()


@pytest.mark.django_db
def test_search_page_shows_bad_filters_and_needs_a_login(web):
    response = web.get("/search/", {"q": "x", "updated_after": "soon"})
    assert response.status_code == 200 and "Invalid filter" in response.content.decode()
    assert Client().get("/search/", {"q": "x"}).status_code == 302


@pytest.mark.django_db
def test_large_match_sets_are_ranked_by_the_engine_then_by_recency(manager, monkeypatch):
    # Documents without tickets behind them: the manager, who sees every ticket, searches.
    from backline.search import queries

    for i in range(12):
        body = "toner " * (i % 4 + 1)
        document_index(Document(kind="ticket", object_id=900 + i, title=f"Toner {i}", body=body))
    monkeypatch.setattr(queries, "CANDIDATES", 3)
    ranked = search(user=manager, q="toner", per_page=2)  # 12 matches: the engine's top 3
    assert ranked.total == 12 and not ranked.total_capped and len(ranked.hits) == 2
    monkeypatch.setattr(queries, "COUNT_CAP", 5)
    newest = search(user=manager, q="toner", per_page=2)  # "5+": the newest 3
    assert newest.total_capped and len(newest.hits) == 2
    if connection.vendor == "sqlite":
        # FTS5 finds matches newest first; PostgreSQL takes the newest of the ones it found
        # first (queries._candidates), which need not be the newest overall.
        assert {h.object_id for h in newest.hits} <= {909, 910, 911}


@pytest.mark.django_db
def test_kind_names_are_not_searchable_words(l2_agent):
    make_ticket(l2_agent, title="Monitor flickers")
    assert search(user=l2_agent, q="ticket").total == 0


def test_no_document_with_every_word_falls_back_to_any_word(l1_agent, l2_agent):
    from backline.search import queries as search_queries

    vpn = make_ticket(l1_agent, title="VPN drops every ten minutes")
    teams = make_ticket(l1_agent, title="Teams disconnects during calls")
    page = search_queries.search(user=l2_agent, q="vpn disconnect")
    assert page.relaxed is True
    assert {h.object_id for h in page.hits} == {vpn.pk, teams.pk}
    counts = search_queries.search_counts(user=l2_agent, q="vpn disconnect")
    assert counts["ticket"][0] == 2
    strict = search_queries.search(user=l2_agent, q="vpn drops")
    assert strict.relaxed is False and [h.object_id for h in strict.hits] == [vpn.pk]
    # a single word that matches nothing stays empty: there is nothing to relax
    assert search_queries.search(user=l2_agent, q="zebra").total == 0


def test_search_page_says_when_it_shows_any_word(web, l1_agent):
    make_ticket(l1_agent, title="VPN drops every ten minutes")
    response = web.get("/search/", {"q": "vpn disconnect"})
    assert response.status_code == 200
    assert "No result holds all of “vpn disconnect”" in response.content.decode()
