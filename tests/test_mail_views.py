"""Settings → Mailboxes: managers list, add and edit mailboxes and see recent email; others may
not."""

from __future__ import annotations

import pytest
from django.test import Client

from backline.intake.mail import mailbox_create, message_process
from backline.intake.models import Mailbox
from tests.test_mail import DESK, make_mail

URL = "/settings/mailboxes/"


@pytest.fixture
def manager_web(admin) -> Client:
    client = Client()
    client.force_login(admin)
    return client


def test_list_shows_mailboxes_errors_and_recent_email(manager_web, admin, app_support):
    box = mailbox_create(actor=admin, team=app_support, address=DESK)
    Mailbox.objects.filter(pk=box.pk).update(last_error="LOGIN failed: bad password")
    ticket = message_process(make_mail(sender="rita@example.com"), mailbox=box).ticket

    page = manager_web.get(URL).content.decode()

    assert DESK in page
    assert "SMTP only" in page
    assert "LOGIN failed: bad password" in page
    assert ticket.number in page
    assert "Opened a ticket" in page


def test_manager_adds_a_mailbox(manager_web, app_support):
    response = manager_web.post(
        URL + "new/",
        {
            "team": app_support.pk, "address": "Ops@Example.test", "imap_host": "imap.example.test",
            "imap_port": 993, "imap_ssl": "on", "imap_user": "ops", "imap_password": "pw",
            "imap_folder": "INBOX", "is_active": "on",
        },
    )  # fmt: skip

    assert response.status_code == 302
    box = Mailbox.objects.get()
    assert (box.address, box.team, box.imap_host, box.imap_ssl) == (
        "ops@example.test", app_support, "imap.example.test", True,
    )  # fmt: skip


def test_duplicate_address_is_a_form_error(manager_web, admin, app_support):
    mailbox_create(actor=admin, team=app_support, address=DESK)

    response = manager_web.post(
        URL + "new/",
        {"team": app_support.pk, "address": DESK, "imap_port": 993, "imap_folder": "INBOX"},
    )

    assert response.status_code == 422
    assert "already a mailbox" in response.content.decode()
    assert Mailbox.objects.count() == 1


def test_agents_may_not_manage_mailboxes(web):
    assert web.get(URL).status_code == 403
    assert web.get(URL + "new/").status_code == 403


def test_manager_edits_a_mailbox_keeping_its_password(manager_web, admin, app_support):
    box = mailbox_create(
        actor=admin, team=app_support, address=DESK, imap_host="imap.example.test",
        imap_user="desk", imap_password="s3cret",
    )  # fmt: skip
    page = manager_web.get(f"{URL}{box.pk}/edit")
    assert page.status_code == 200 and "s3cret" not in page.content.decode()
    form = {
        "team": app_support.pk, "address": DESK, "imap_host": "imap2.example.test",
        "imap_port": 143, "imap_user": "desk", "imap_password": "", "imap_folder": "Support",
    }  # fmt: skip
    assert manager_web.post(f"{URL}{box.pk}/edit", form).status_code == 302
    box.refresh_from_db()
    assert (box.imap_host, box.imap_port, box.imap_folder, box.is_active) == (
        "imap2.example.test", 143, "Support", False,
    )  # fmt: skip
    assert box.imap_password == "s3cret"  # an empty field keeps the stored password


def test_editing_to_a_taken_address_changes_nothing(manager_web, admin, app_support):
    mailbox_create(actor=admin, team=app_support, address=DESK)
    other = mailbox_create(actor=admin, team=app_support, address="ops@example.test")
    form = {"team": app_support.pk, "address": DESK, "imap_port": 993, "imap_folder": "INBOX"}
    response = manager_web.post(f"{URL}{other.pk}/edit", form)
    assert response.status_code == 422 and "already a mailbox" in response.content.decode()
    other.refresh_from_db()
    assert other.address == "ops@example.test"
