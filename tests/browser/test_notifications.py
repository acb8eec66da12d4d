"""Notifications in a browser: the list, opening one, and marking all read."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from backline.notifications.choices import NotificationKind
from backline.notifications.queries import unread_count
from backline.notifications.services import notify
from tests.browser.conftest import sign_in
from tests.factories import PASSWORD, make_ticket

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_open_a_notification_then_mark_all_read(page, l1_agent, l2_agent, requester):
    crash = make_ticket(l1_agent, title="CRM crashes on reports", requester=requester)
    vpn = make_ticket(l1_agent, title="VPN drops every hour", requester=requester)
    notify(
        recipients=[l2_agent],
        kind=NotificationKind.ESCALATION_RECEIVED,
        title=f"{crash.number} escalated to Application Support",
        url=crash.get_absolute_url(),
        actor=l1_agent,
        ticket_number=crash.number,
    )
    notify(
        recipients=[l2_agent],
        kind=NotificationKind.MENTION,
        title=f"Sam Desk mentioned you on {vpn.number}",
        url=vpn.get_absolute_url(),
        actor=l1_agent,
        ticket_number=vpn.number,
    )

    sign_in(page, "lena", PASSWORD)
    page.goto("/notifications/")
    rows = page.locator("#notifications .notif-row")
    expect(rows).to_have_count(2)
    expect(page.locator("#notifications .notif-row.unread")).to_have_count(2)
    expect(rows.first).to_contain_text(f"Sam Desk mentioned you on {vpn.number}")

    page.locator("#notifications").get_by_role(
        "button", name=f"{crash.number} escalated to Application Support"
    ).click()
    page.wait_for_url(re.compile(re.escape(crash.get_absolute_url()) + "$"))
    expect(page.locator("h1")).to_have_text("CRM crashes on reports")

    page.goto("/notifications/")
    expect(page.locator("#notifications .notif-row.unread")).to_have_count(1)
    expect(page.locator("#unread-total")).to_have_text("1 unread")
    page.locator("#main").get_by_role("button", name="Mark all read").click()
    expect(page.locator(".flash.success")).to_have_text("Marked 1 notification read.")
    expect(page.locator("#notifications .notif-row")).to_have_count(2)
    expect(page.locator("#notifications .notif-row.unread")).to_have_count(0)
    expect(page.locator("#unread-total")).to_have_text("0 unread")
    assert unread_count(l2_agent) == 0
