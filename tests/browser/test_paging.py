"""Paging a long queue in the browser: Next and Previous follow cursors, the count stops at the
cap and says "more than", the address bar keeps the page so a reload shows it again."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from backline.tickets import paging
from backline.tickets.models import Ticket
from tests.browser.conftest import sign_in
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_next_and_previous_walk_a_long_queue_by_cursor(
    page, l2_agent, requester, settings, monkeypatch
):
    settings.BACKLINE_PAGE_SIZE = 5
    monkeypatch.setattr(paging, "COUNT_CAP", 8)
    now = timezone.now()
    Ticket.objects.bulk_create(
        Ticket(
            title=f"Paged ticket {i:02d}",
            requester=requester,
            created_at=now - timedelta(minutes=i),
            updated_at=now - timedelta(minutes=i),
        )
        for i in range(12)
    )
    numbers = [t.number for t in Ticket.objects.order_by("-id")]
    sign_in(page, "lena", PASSWORD)
    page.goto("/tickets/?queue=all")
    results = page.locator("#results")
    expect(results.locator("#result-count")).to_have_text("More than 8 tickets")
    expect(results.locator("td.col-num").first).to_have_text(numbers[0])
    expect(results.locator(".pager")).to_contain_text("1–5 of more than 8")

    results.get_by_role("link", name="Next →").click()
    expect(results.locator("td.col-num").first).to_have_text(numbers[5])
    expect(results.locator(".pager")).to_contain_text("Page 2")
    assert re.search(r"after=[\w-]+&page=2", page.url)

    results.get_by_role("link", name="Next →").click()
    expect(results.locator("td.col-num")).to_have_count(2)  # the last two
    expect(results.locator("td.col-num").last).to_have_text(numbers[-1])
    expect(results.get_by_role("link", name="Next →")).to_have_count(0)

    page.reload()  # the address holds the cursor: the same page again
    expect(results.locator("td.col-num").first).to_have_text(numbers[10])

    results.get_by_role("link", name="← Previous").click()
    expect(results.locator("td.col-num").first).to_have_text(numbers[5])
    results.get_by_role("link", name="← Previous").click()
    expect(results.locator("td.col-num").first).to_have_text(numbers[0])
    expect(results.get_by_role("link", name="← Previous")).to_have_count(0)


def test_a_broken_page_link_says_so_and_shows_the_first_page(page, l2_agent, requester):
    now = timezone.now()
    only = Ticket.objects.create(
        title="Only one", requester=requester, created_at=now, updated_at=now
    )
    sign_in(page, "lena", PASSWORD)
    page.goto("/tickets/?queue=all&after=broken!")
    expect(page.locator("#results .flash.error")).to_contain_text("out of date or broken")
    expect(page.locator("#results td.col-num")).to_have_text([only.number])
