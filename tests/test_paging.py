"""Ticket list paging (tickets/paging.py): capped counts, cursors both ways, every keyset sort."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from backline.core.errors import DomainError
from backline.tickets import paging
from backline.tickets.filters import SORTS, TicketFilter
from backline.tickets.models import Ticket


@pytest.fixture
def tickets(db, requester):
    """37 tickets with repeating priorities and titles and clashing update times, so every sort
    has ties that only the id breaks."""
    now = timezone.now()
    rows = [
        Ticket(
            title=f"Ticket {i % 5}",
            requester=requester,
            priority=1 + i % 4,
            created_at=now - timedelta(hours=i % 7),
            updated_at=now - timedelta(hours=i % 3),
        )
        for i in range(37)
    ]
    Ticket.objects.bulk_create(rows)
    return Ticket.objects.all()


def _walk(qs, order, per_page):
    """Every page by Next, then back by Previous; returns the ids seen each way."""
    page = paging.paginate(qs, order, per_page=per_page)
    forward = [page.object_list]
    while page.has_next:
        page = paging.paginate(qs, order, per_page=per_page, after=page.next_cursor)
        forward.append(page.object_list)
    backward = [page.object_list]
    while page.has_previous:
        page = paging.paginate(qs, order, per_page=per_page, before=page.previous_cursor)
        backward.append(page.object_list)
    return forward, backward[::-1]


@pytest.mark.parametrize("sort", [s for s in SORTS if paging.keyset_fields(SORTS[s])])
def test_cursor_pages_match_the_ordered_list_both_ways(tickets, sort):
    order = TicketFilter(sort=sort).order
    qs = tickets.order_by(*order)
    expected = [t.pk for t in qs]
    forward, backward = _walk(qs, order, per_page=5)
    assert [t.pk for page in forward for t in page] == expected
    assert [[t.pk for t in p] for p in backward] == [[t.pk for t in p] for p in forward]


def test_sorts_on_expressions_page_by_number_only(tickets):
    order = TicketFilter(sort="due").order
    assert paging.keyset_fields(order) is None
    qs = tickets.order_by(*order)
    page = paging.paginate(qs, order, per_page=10, page=2)
    assert [t.pk for t in page.object_list] == [t.pk for t in qs][10:20]
    assert page.next_cursor is None and page.has_next
    with pytest.raises(DomainError):
        paging.paginate(qs, order, per_page=10, after="abc")


def test_count_is_exact_up_to_the_cap_then_says_more(tickets, monkeypatch):
    qs = tickets.order_by("-id")
    page = paging.paginate(qs, ("-id",), per_page=10)
    assert (page.count, page.count_exact, page.pages) == (37, True, 4)
    monkeypatch.setattr(paging, "COUNT_CAP", 20)
    page = paging.paginate(qs, ("-id",), per_page=10)
    assert (page.count, page.count_exact, page.pages) == (20, False, None)
    assert page.has_next


def test_a_page_past_the_end_is_empty_and_offers_the_way_back(tickets):
    page = paging.paginate(tickets.order_by("-id"), ("-id",), per_page=10, page=9)
    assert page.object_list == [] and not page.has_next and page.has_previous


@pytest.mark.parametrize(
    "cursor",
    # empty, junk, [], ["x"], {}, [1,2], too long
    ["", "!!!", "W10", "WyJ4Il0", "e30", "WzEsMl0", "x" * 3000],
)
def test_broken_cursors_are_refused_clearly(tickets, cursor):
    qs = tickets.order_by("-updated_at", "-id")
    if cursor == "":
        assert paging.paginate(qs, ("-updated_at", "-id"), per_page=5).object_list
        return
    with pytest.raises(DomainError) as exc:
        paging.paginate(qs, ("-updated_at", "-id"), per_page=5, after=cursor)
    assert exc.value.field == "after"


@pytest.mark.parametrize("page", ["0", "-1", "x", "99999999999"])
def test_bad_page_numbers_are_refused(tickets, page):
    with pytest.raises(DomainError):
        paging.paginate(tickets.order_by("-id"), ("-id",), per_page=5, page=page)
