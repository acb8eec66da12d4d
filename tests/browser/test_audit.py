"""The audit log in a real browser: a failed and a good sign-in are on record, an admin filters
the log down to the failure and downloads exactly that as CSV."""

from __future__ import annotations

import csv
import io

import pytest
from playwright.sync_api import expect

from backline.accounts.choices import Role
from backline.audit.models import AuditEvent
from backline.audit.services import audit_verify
from tests.browser.conftest import sign_in
from tests.factories import PASSWORD, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_admin_filters_the_audit_log_and_downloads_it(page):
    UserFactory(username="ada", first_name="Ada", last_name="Admin", role=Role.ADMIN)
    UserFactory(username="rita", role=Role.REQUESTER)

    page.goto("/accounts/login/")
    page.get_by_label("Username").fill("rita")
    page.get_by_label("Password").fill("not-her-password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_label("Password")).to_be_visible()  # still on the sign-in page

    sign_in(page, "ada", PASSWORD)
    page.get_by_role("link", name="Audit log").click()
    expect(page.get_by_role("heading", name="Audit log")).to_be_visible()
    rows = page.get_by_test_id("audit-row")
    expect(rows.filter(has_text="Signed in").filter(has_text="ada")).to_have_count(1)
    # Every request commits and seals its events, so the head moves past the sign-ins.
    expect(page.get_by_test_id("chain-head")).not_to_contain_text("event #0")

    page.locator("select[name=action]").select_option("login_failed")
    page.get_by_role("button", name="Filter").click()
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Sign-in failed")
    expect(rows.first).to_contain_text("rita")
    expect(rows.first).to_contain_text("127.0.0.1")

    with page.expect_download() as info:
        page.get_by_test_id("export-csv").click()
    download = info.value
    assert download.suggested_filename.endswith(".csv")
    with open(download.path(), encoding="utf-8") as handle:
        table = list(csv.DictReader(io.StringIO(handle.read())))
    assert [(r["action"], r["object_label"], r["ip"]) for r in table] == [
        ("login_failed", "rita", "127.0.0.1")
    ]
    assert table[0]["hash"]  # sealed: the download carries the chain fields

    assert AuditEvent.objects.filter(seq__isnull=True).count() == 0
    assert audit_verify(seal=False).ok
