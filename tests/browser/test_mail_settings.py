"""Email settings in a real browser: an admin adds a team mailbox and edits it; an agent turns
off one kind of email in their preferences."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from backline.intake.models import Mailbox
from backline.mailout.models import MailPreference
from tests.browser.conftest import sign_in
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_ada_adds_and_edits_a_mailbox(page, admin, app_support):
    sign_in(page, "ada", PASSWORD)
    page.get_by_role("link", name="Mailboxes").click()
    page.get_by_role("link", name="Add the first one").click()
    page.get_by_label("Team").select_option(label="Application Support")
    page.get_by_label("Address").fill("apps@example.test")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("body")).to_contain_text("Mailbox apps@example.test added.")
    page.get_by_role("link", name="apps@example.test").click()
    page.get_by_label("IMAP host").fill("imap.example.test")
    page.get_by_label("IMAP login").fill("apps")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("body")).to_contain_text("IMAP apps@imap.example.test")
    box = Mailbox.objects.get()
    assert (box.team, box.imap_host, box.imap_user) == (app_support, "imap.example.test", "apps")


def test_lena_turns_off_sla_warning_emails(page, l2_agent):
    sign_in(page, "lena", PASSWORD)
    page.locator("summary[aria-label='Account menu']").click()
    page.get_by_role("link", name="Email preferences").click()
    box = page.get_by_label("A ticket I own (or my team's, unassigned) nears its SLA")
    expect(box).to_be_checked()
    box.uncheck()
    page.get_by_role("button", name="Save").click()
    expect(
        page.get_by_label("A ticket I own (or my team's, unassigned) nears its SLA")
    ).not_to_be_checked()
    assert "sla_warning" not in MailPreference.objects.get(user=l2_agent).kinds
