"""Settings → Mailboxes: managers list and add mailboxes and see recent email; others may not.
Mounted here at settings/mailboxes/ as config/urls.py mounts it."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import include, path

from backline.config.urls import urlpatterns as site_urlpatterns
from backline.intake.mail import mailbox_create, message_process
from backline.intake.models import Mailbox
from tests.test_mail import DESK, make_mail

urlpatterns = [
    path("settings/mailboxes/", include("backline.intake.mail_urls")),
    *site_urlpatterns,
]
pytestmark = pytest.mark.urls("tests.test_mail_views")
URL = "/settings/mailboxes/"


@pytest.fixture
def manager_web(manager) -> Client:
    client = Client()
    client.force_login(manager)
    return client


def test_list_shows_mailboxes_errors_and_recent_email(manager_web, manager, app_support):
    box = mailbox_create(actor=manager, team=app_support, address=DESK)
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


def test_duplicate_address_is_a_form_error(manager_web, manager, app_support):
    mailbox_create(actor=manager, team=app_support, address=DESK)

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
