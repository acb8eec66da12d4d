"""Requester portal: own requests only, the public side of a ticket, asking with article
suggestions, replying with files, confirming or rejecting a resolution, and signed links."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import signing
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from backline.accounts.choices import Role
from backline.cmdb.models import Service
from backline.core.errors import DomainError, PermissionDenied
from backline.knowledge import services as kb
from backline.knowledge.choices import Audience
from backline.portal import services
from backline.tickets import services as tickets
from backline.tickets.choices import EventKind, Source, Status
from backline.tickets.models import Attachment, Ticket, TicketEvent
from tests.factories import PASSWORD, make_ticket

pytestmark = pytest.mark.django_db


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _article(author, editor, *, audience=Audience.PUBLIC, publish=True, **fields):
    fields.setdefault("symptoms", "Outlook asks for the password again and again")
    fields.setdefault("resolution", "1. Open Credential Manager\n2. Remove the Office entries")
    article = kb.article_create(actor=author, audience=audience, **fields)
    if publish:
        article = kb.article_transition(actor=editor, article=article, action="publish")
    return article


def _resolved(requester, agent, **fields):
    ticket = make_ticket(requester, **fields)
    ticket = tickets.ticket_transition(actor=agent, ticket=ticket, action="start")
    return tickets.ticket_transition(
        actor=agent,
        ticket=ticket,
        action="resolve",
        resolution_code="fixed",
        resolution_notes="Replaced the toner cartridge.",
    )


# --- signing in and the home page ---------------------------------------------------------


def test_requesters_land_in_the_portal_and_staff_on_the_desk(requester, l2_agent):
    client = Client()
    response = client.post("/accounts/login/", {"username": "rita", "password": PASSWORD})
    assert response["Location"] == "/portal/"
    client = Client()
    response = client.post("/accounts/login/", {"username": "lena", "password": PASSWORD})
    assert response["Location"] == "/tickets/"


def test_portal_requires_sign_in(db):
    response = Client().get("/portal/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=/portal/")


def test_home_lists_only_my_requests_in_plain_words(requester, other_requester, l1_agent):
    mine = make_ticket(requester, title="My laptop will not boot")
    make_ticket(other_requester, title="Rob's payroll question")
    make_ticket(l1_agent, title="Agent's own ticket")
    tickets.ticket_transition(actor=l1_agent, ticket=mine, action="start")
    response = _client(requester).get("/portal/")
    content = response.content.decode()
    assert response.status_code == 200
    assert "My laptop will not boot" in content and mine.number in content
    assert "Rob&#x27;s payroll" not in content and "Agent&#x27;s own" not in content
    assert "Being worked on" in content
    assert 'name="viewport"' in content
    assert "Ask for help" in content


def test_home_query_count_does_not_grow_with_requests(
    requester, l1_agent, django_assert_max_num_queries
):
    for n in range(12):
        ticket = make_ticket(requester, title=f"Request {n}")
        tickets.ticket_comment(actor=l1_agent, ticket=ticket, body="On it")
    client = _client(requester)
    with django_assert_max_num_queries(8):
        response = client.get("/portal/")
    assert response.content.decode().count('data-testid="request-row"') == 12


def test_staff_see_their_own_requests_and_a_way_back_to_the_desk(l2_agent, requester):
    make_ticket(requester, title="Someone else's request")
    make_ticket(l2_agent, title="My own monitor flickers")
    content = _client(l2_agent).get("/portal/").content.decode()
    assert "My own monitor flickers" in content
    assert "Someone else" not in content
    assert 'data-testid="back-to-desk"' in content


# --- one request --------------------------------------------------------------------------


def test_ticket_shows_public_replies_never_internal_notes_or_files(requester, l1_agent):
    ticket = make_ticket(requester, title="VPN drops", description="Every ten minutes")
    tickets.ticket_comment(actor=l1_agent, ticket=ticket, body="Can you send a screenshot?")
    tickets.ticket_comment(
        actor=l1_agent,
        ticket=ticket,
        body="Probably the flaky concentrator again",
        internal=True,
        files=[SimpleUploadedFile("internal-notes.txt", b"secret")],
    )
    tickets.ticket_attach(
        actor=l1_agent, ticket=ticket, upload=SimpleUploadedFile("vpn-gw.log", b"x"), internal=True
    )
    tickets.ticket_attach(
        actor=l1_agent, ticket=ticket, upload=SimpleUploadedFile("howto.pdf", b"pdf")
    )
    response = _client(requester).get(f"/portal/tickets/{ticket.number}")
    content = response.content.decode()
    assert response.status_code == 200
    assert "Every ten minutes" in content
    assert "Can you send a screenshot?" in content
    assert "howto.pdf" in content
    assert "flaky concentrator" not in content
    assert "internal-notes.txt" not in content and "vpn-gw.log" not in content


def test_staff_do_not_see_internal_notes_in_the_portal_either(l2_agent):
    ticket = make_ticket(l2_agent, title="My own request")
    tickets.ticket_comment(actor=l2_agent, ticket=ticket, body="note to self", internal=True)
    content = _client(l2_agent).get(f"/portal/tickets/{ticket.number}").content.decode()
    assert "note to self" not in content


def test_another_requesters_ticket_is_not_found(requester, other_requester):
    theirs = make_ticket(other_requester, title="Rob's payroll question")
    client = _client(requester)
    assert client.get(f"/portal/tickets/{theirs.number}").status_code == 404
    response = client.post(f"/portal/tickets/{theirs.number}/reply", {"body": "hi"})
    assert response.status_code == 404
    assert not theirs.comments.exists()
    assert client.get("/portal/tickets/INC-999999").status_code == 404


def test_staff_cannot_open_other_peoples_tickets_in_the_portal(l2_agent, requester):
    ticket = make_ticket(requester)
    assert _client(l2_agent).get(f"/portal/tickets/{ticket.number}").status_code == 404


def test_short_number_redirects_to_the_canonical_one(requester):
    ticket = make_ticket(requester)
    response = _client(requester).get(f"/portal/tickets/{ticket.pk}")
    assert response.status_code == 302 and response["Location"].endswith(ticket.number)


# --- asking for help ----------------------------------------------------------------------


def test_ask_form_creates_a_portal_ticket_with_a_file(requester):
    service = Service.objects.create(name="Email")
    Service.objects.create(name="Old fax", is_active=False)
    client = _client(requester)
    page = client.get("/portal/new").content.decode()
    assert "Email" in page and "Old fax" not in page
    response = client.post(
        "/portal/new",
        {
            "title": "Outlook keeps asking for my password",
            "description": "Since this morning",
            "service": service.pk,
            "file": SimpleUploadedFile("prompt.png", b"\x89PNG"),
        },
    )
    ticket = Ticket.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/portal/tickets/{ticket.number}"
    assert (ticket.requester, ticket.source, ticket.service) == (requester, Source.PORTAL, service)
    attachment = Attachment.objects.get()
    assert (attachment.filename, attachment.is_internal) == ("prompt.png", False)


def test_ask_form_without_a_title_shows_the_error_and_stores_nothing(requester):
    response = _client(requester).post("/portal/new", {"title": "", "description": "x"})
    assert response.status_code == 422
    assert b"This field is required" in response.content
    assert not Ticket.objects.exists()


def test_a_file_too_large_keeps_the_form_and_stores_no_ticket(requester, settings):
    settings.BACKLINE_MAX_ATTACHMENT_BYTES = 10
    response = _client(requester).post(
        "/portal/new",
        {"title": "Printer jam", "file": SimpleUploadedFile("big.bin", b"x" * 100)},
    )
    assert response.status_code == 422
    assert b"larger than" in response.content
    assert not Ticket.objects.exists()


def test_suggestions_offer_only_published_public_articles(requester, l1_agent, l2_agent):
    public = _article(l1_agent, l2_agent, title="Outlook password prompt loop")
    _article(l1_agent, l2_agent, title="Outlook password reset internals", audience=Audience.L1)
    _article(l1_agent, l2_agent, title="Outlook password draft notes", publish=False)
    response = _client(requester).post(
        "/portal/suggest", {"title": "outlook password", "description": "asks for password"}
    )
    content = response.content.decode()
    assert response.status_code == 200
    assert "Does this solve it?" in content
    assert public.title in content and f"/portal/articles/{public.number}" in content
    assert "internals" not in content and "draft notes" not in content
    assert "<html" not in content  # a fragment, not a page


def test_staff_get_only_public_suggestions_in_the_portal(l1_agent, l2_agent):
    _article(l1_agent, l2_agent, title="Outlook password reset internals", audience=Audience.L1)
    response = _client(l2_agent).post("/portal/suggest", {"title": "outlook password reset"})
    assert "internals" not in response.content.decode()


def test_no_suggestions_for_too_little_text(requester):
    response = _client(requester).post("/portal/suggest", {"title": "a"})
    assert response.status_code == 200 and b"Does this solve it?" not in response.content


def test_article_page_shows_public_articles_sanitised_and_hides_others(
    requester, l1_agent, l2_agent
):
    public = _article(
        l1_agent,
        l2_agent,
        title="Clear saved passwords",
        resolution="Open **Credential Manager** <script>alert(1)</script>",
    )
    internal = _article(l1_agent, l2_agent, title="Internal runbook", audience=Audience.INTERNAL)
    client = _client(requester)
    content = client.get(f"/portal/articles/{public.number}").content.decode()
    assert "<strong>Credential Manager</strong>" in content
    assert "<script>alert(1)</script>" not in content
    assert client.get(f"/portal/articles/{internal.number}").status_code == 404
    # Staff reading the portal see the same public-only view.
    assert _client(l2_agent).get(f"/portal/articles/{internal.number}").status_code == 404


# --- replying -----------------------------------------------------------------------------


def test_reply_is_a_public_comment_with_its_file(requester):
    ticket = make_ticket(requester)
    response = _client(requester).post(
        f"/portal/tickets/{ticket.number}/reply",
        {"body": "Here is the error", "file": SimpleUploadedFile("error.png", b"img")},
    )
    assert response.status_code == 302
    comment = ticket.comments.get()
    assert (comment.body, comment.is_internal, comment.author) == (
        "Here is the error",
        False,
        requester,
    )
    attachment = comment.attachments.get()
    assert (attachment.filename, attachment.is_internal) == ("error.png", False)
    page = _client(requester).get(f"/portal/tickets/{ticket.number}").content.decode()
    assert "Here is the error" in page and "error.png" in page


def test_a_file_alone_is_attached_publicly(requester):
    ticket = make_ticket(requester)
    _client(requester).post(
        f"/portal/tickets/{ticket.number}/reply",
        {"body": "", "file": SimpleUploadedFile("log.txt", b"lines")},
    )
    attachment = Attachment.objects.get(ticket=ticket)
    assert attachment.comment is None and attachment.is_internal is False


def test_an_empty_reply_is_refused(requester):
    ticket = make_ticket(requester)
    response = _client(requester).post(f"/portal/tickets/{ticket.number}/reply", {"body": "  "})
    assert response.status_code == 422
    assert b"Write a reply or choose a file" in response.content
    assert not ticket.comments.exists()


def test_requesters_cannot_sneak_an_internal_note_through_the_portal(requester):
    ticket = make_ticket(requester)
    _client(requester).post(
        f"/portal/tickets/{ticket.number}/reply", {"body": "hello", "internal": "on"}
    )
    assert ticket.comments.get().is_internal is False


# --- confirming or rejecting a resolution ------------------------------------------------


def test_resolved_ticket_offers_confirm_and_reject(requester, l1_agent):
    ticket = _resolved(requester, l1_agent)
    content = _client(requester).get(f"/portal/tickets/{ticket.number}").content.decode()
    assert "Yes, it's fixed" in content and "No, still broken" in content
    assert "Replaced the toner cartridge." in content
    open_ticket = make_ticket(requester)
    content = _client(requester).get(f"/portal/tickets/{open_ticket.number}").content.decode()
    assert "No, still broken" not in content


def test_confirm_closes_the_ticket_as_the_requester(requester, l1_agent):
    ticket = _resolved(requester, l1_agent)
    response = _client(requester).post(
        f"/portal/tickets/{ticket.number}/confirm", {"version": ticket.version}
    )
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == Status.CLOSED and ticket.closed_at is not None
    event = TicketEvent.objects.filter(ticket=ticket, kind=EventKind.STATUS_CHANGED).last()
    assert event.actor == requester
    assert (event.data["from"], event.data["to"], event.data["action"]) == (
        "resolved",
        "closed",
        "close",
    )
    assert event.is_internal is False


def test_reject_reopens_with_the_comment_as_a_public_reply(requester, l1_agent):
    ticket = _resolved(requester, l1_agent)
    response = _client(requester).post(
        f"/portal/tickets/{ticket.number}/reject",
        {"version": ticket.version, "comment": "Still prints blank pages"},
    )
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == Status.IN_PROGRESS
    assert ticket.reopen_count == 1 and ticket.resolved_at is None
    assert ticket.resolution_notes == ""
    reply = ticket.comments.get()
    assert (reply.body, reply.is_internal, reply.author) == (
        "Still prints blank pages",
        False,
        requester,
    )
    event = TicketEvent.objects.filter(ticket=ticket, kind=EventKind.STATUS_CHANGED).last()
    assert (event.actor, event.data["action"]) == (requester, "reopen")


def test_reject_requires_a_comment_and_changes_nothing_without_one(requester, l1_agent):
    ticket = _resolved(requester, l1_agent)
    response = _client(requester).post(
        f"/portal/tickets/{ticket.number}/reject", {"version": ticket.version, "comment": " "}
    )
    assert response.status_code == 422
    assert b"Tell us what is still wrong." in response.content
    ticket.refresh_from_db()
    assert ticket.status == Status.RESOLVED and ticket.reopen_count == 0


def test_confirm_on_a_ticket_that_is_not_resolved_is_refused(requester):
    ticket = make_ticket(requester)
    response = _client(requester).post(f"/portal/tickets/{ticket.number}/confirm")
    assert response.status_code == 422
    assert b"Cannot close a ticket that is new" in response.content
    ticket.refresh_from_db()
    assert ticket.status == Status.NEW


def test_stale_version_is_a_conflict_not_a_silent_close(requester, l1_agent):
    ticket = _resolved(requester, l1_agent)
    stale = ticket.version
    tickets.ticket_transition(actor=l1_agent, ticket=ticket, action="reopen")
    ticket.refresh_from_db()
    ticket = tickets.ticket_transition(
        actor=l1_agent,
        ticket=ticket,
        action="resolve",
        resolution_code="fixed",
        resolution_notes="Second try",
    )
    response = _client(requester).post(
        f"/portal/tickets/{ticket.number}/confirm", {"version": stale}
    )
    assert response.status_code == 409
    ticket.refresh_from_db()
    assert ticket.status == Status.RESOLVED


def test_only_the_requester_may_confirm_or_reject(requester, other_requester, l1_agent):
    ticket = _resolved(requester, l1_agent)
    with pytest.raises(DomainError):
        services.resolution_confirm(actor=other_requester, ticket=ticket)
    with pytest.raises(DomainError):
        services.resolution_reject(actor=l1_agent, ticket=ticket, comment="no")
    response = _client(other_requester).post(f"/portal/tickets/{ticket.number}/confirm")
    assert response.status_code == 404
    ticket.refresh_from_db()
    assert ticket.status == Status.RESOLVED


# --- signed links -------------------------------------------------------------------------


def test_signed_link_signs_the_requester_in_and_opens_the_ticket(requester, settings):
    settings.BACKLINE_BASE_URL = "https://help.example.com/"
    ticket = make_ticket(requester)
    link = services.signed_link(ticket, requester)
    assert link.startswith("https://help.example.com/portal/link/")
    client = Client()
    response = client.get(link.removeprefix("https://help.example.com"))
    assert response.status_code == 302
    assert response["Location"] == f"/portal/tickets/{ticket.number}"
    assert client.get(response["Location"]).status_code == 200


def test_expired_signed_link_is_refused_without_signing_in(requester, settings):
    ticket = make_ticket(requester)
    link = services.signed_link(ticket, requester)
    settings.BACKLINE_PORTAL_LINK_MAX_AGE_DAYS = 7
    client = Client()
    later = timezone.now() + timedelta(days=8)
    # TimestampSigner reads time.time(); move it forward rather than backdating the token.
    import time

    real_time = time.time
    try:
        time.time = lambda: later.timestamp()
        response = client.get(link)
    finally:
        time.time = real_time
    assert response.status_code == 400
    assert b"This link has expired" in response.content
    assert client.get("/portal/").status_code == 302  # still signed out


def test_max_age_setting_is_read_at_call_time(requester, settings):
    ticket = make_ticket(requester)
    link = services.signed_link(ticket, requester)
    settings.BACKLINE_PORTAL_LINK_MAX_AGE_DAYS = -1
    response = Client().get(link)
    assert response.status_code == 400 and b"expired" in response.content


def test_tampered_signed_link_is_refused(requester, other_requester):
    ticket = make_ticket(requester)
    token = services.signed_link(ticket, requester).rsplit("/", 1)[1]
    forged = signing.TimestampSigner(salt="another-purpose").sign_object(
        {"u": requester.pk, "t": ticket.pk}
    )
    client = Client()
    for bad in (token[:-2] + "xx", forged, "nonsense"):
        response = client.get(f"/portal/link/{bad}")
        assert response.status_code == 400
        assert b"This link is not valid" in response.content
    assert client.get("/portal/").status_code == 302


def test_signed_links_are_not_for_staff(requester, l1_agent):
    ticket = make_ticket(requester)
    with pytest.raises(PermissionDenied):
        services.signed_link(ticket, l1_agent)
    with pytest.raises(PermissionDenied):
        services.signed_link(make_ticket(l1_agent), l1_agent)
    # A link sent while the user was a requester stops working once they become staff.
    link = services.signed_link(ticket, requester)
    requester.role = Role.AGENT
    requester.save()
    client = Client()
    response = client.get(link)
    assert response.status_code == 400
    assert b"sign in with their password" in response.content
    assert client.get("/tickets/").status_code == 302


def test_signed_link_for_a_disabled_user_is_refused(requester):
    ticket = make_ticket(requester)
    link = services.signed_link(ticket, requester)
    requester.is_active = False
    requester.save()
    assert Client().get(link).status_code == 400
