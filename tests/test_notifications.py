"""Notifications: queries, marking read, @mentions, the API, the pages and the bell."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.template.loader import render_to_string
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from backline.accounts.choices import Role
from backline.core.errors import NotFound
from backline.notifications import queries, services
from backline.notifications.choices import NotificationKind
from backline.notifications.context_processors import notifications as notifications_context
from backline.notifications.mentions import mentioned_users, notify_mentions
from backline.notifications.models import Notification
from backline.notifications.services import notify
from tests.conftest import api_client_for
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
HX = {"HTTP_HX_REQUEST": "true"}
T0 = timezone.now().replace(microsecond=0) - timedelta(days=1)


def make(recipient, title, *, minutes=0, actor=None, url="", kind=NotificationKind.ALERT):
    """One notification for `recipient`, created `minutes` after T0."""
    [row] = notify(
        recipients=[recipient],
        kind=kind,
        title=title,
        url=url,
        actor=actor,
        ticket_number="INC-000042",
        at=T0 + timedelta(minutes=minutes),
    )
    return row


def unread_titles(user) -> list[str]:
    return [n.title for n in queries.notifications_for(user, unread_only=True)]


# Queries and services


def test_notifications_for_is_newest_first_and_filters_unread(l2_agent, l1_agent):
    make(l2_agent, "older", minutes=1)
    make(l2_agent, "newer", minutes=2)
    read = make(l2_agent, "read one", minutes=3)
    make(l1_agent, "not hers", minutes=4)
    services.notification_mark_read(actor=l2_agent, notification_id=read.pk)

    assert [n.title for n in queries.notifications_for(l2_agent)] == ["read one", "newer", "older"]
    assert unread_titles(l2_agent) == ["newer", "older"]
    assert queries.unread_count(l2_agent) == 2
    assert queries.unread_count(l1_agent) == 1


def test_notifications_for_joins_the_actor(l2_agent, l1_agent, l3_agent):
    for i, actor in enumerate([l1_agent, l3_agent, l1_agent]):
        make(l2_agent, f"n{i}", minutes=i, actor=actor)
    with CaptureQueriesContext(connection) as ctx:
        names = [n.actor.display_name for n in queries.notifications_for(l2_agent)]
    assert names == ["Sam Desk", "Omar Third", "Sam Desk"]
    # One for the rows with their actors, the others (a fixed number) leave out notifications
    # about tickets the agent may no longer see; nothing per row.
    # (5: the agent's visibility reads the small category table once instead of joining it)
    assert len(ctx.captured_queries) <= 5


def test_mark_read_only_for_the_recipient_and_keeps_the_first_time(l2_agent, l1_agent):
    note = make(l2_agent, "escalated to you")
    with pytest.raises(NotFound):
        services.notification_mark_read(actor=l1_agent, notification_id=note.pk)
    note.refresh_from_db()
    assert note.read_at is None

    first = T0 + timedelta(hours=1)
    done = services.notification_mark_read(actor=l2_agent, notification_id=note.pk, at=first)
    assert done.read_at == first
    again = services.notification_mark_read(
        actor=l2_agent, notification_id=note.pk, at=first + timedelta(hours=1)
    )
    assert again.read_at == first
    with pytest.raises(NotFound):
        services.notification_mark_read(actor=l2_agent, notification_id=note.pk + 999)


def test_mark_all_read_touches_only_the_actors_unread(l2_agent, l1_agent):
    make(l2_agent, "a")
    make(l2_agent, "b")
    already = make(l2_agent, "c")
    services.notification_mark_read(actor=l2_agent, notification_id=already.pk, at=T0)
    make(l1_agent, "someone else's")

    assert services.notifications_mark_all_read(actor=l2_agent) == 2
    assert queries.unread_count(l2_agent) == 0
    assert queries.unread_count(l1_agent) == 1
    already.refresh_from_db()
    assert already.read_at == T0
    assert services.notifications_mark_all_read(actor=l2_agent) == 0


# Mentions


def names(users) -> list[str]:
    return [u.username for u in users]


def test_mentions_stop_at_punctuation(l1_agent, l2_agent, l3_agent, manager):
    text = "Thanks @lena, can (@omar) check this? cc @maria: and @sam."
    assert names(mentioned_users(text)) == ["lena", "omar", "maria", "sam"]
    assert names(mentioned_users("@lena! @omar? @maria;")) == ["lena", "omar", "maria"]


def test_mentions_are_case_insensitive_and_unique(l2_agent):
    assert names(mentioned_users("@LENA see above, @lena again, @Lena thrice")) == ["lena"]


def test_mentions_ignore_unknown_requesters_and_inactive_users(l2_agent, requester):
    UserFactory(username="gone", is_active=False)
    assert mentioned_users("@nobody @rita @gone please look") == []
    assert names(mentioned_users("@rita and @lena")) == ["lena"]


def test_email_addresses_are_not_mentions(l2_agent):
    UserFactory(username="example")
    assert mentioned_users("Mail bob@example.com, ops@example or lena@example.org") == []
    assert names(mentioned_users("bob@example.com, ask @example")) == ["example"]


def test_usernames_with_dots_dashes_and_plus(db):
    UserFactory(username="j.doe")
    UserFactory(username="ops-bot")
    UserFactory(username="a+b")
    assert names(mentioned_users("@j.doe. @ops-bot, @a+b!")) == ["j.doe", "ops-bot", "a+b"]


def test_an_exact_case_match_wins_over_an_ambiguous_one(l2_agent):
    UserFactory(username="LENA")
    assert names(mentioned_users("@LENA")) == ["LENA"]
    assert names(mentioned_users("@lena")) == ["lena"]
    assert mentioned_users("@Lena") == []  # two people match; guessing would notify the wrong one


def test_notify_mentions_notifies_everyone_named_but_the_author(l1_agent, l2_agent, l3_agent):
    rows = notify_mentions(
        actor=l2_agent,
        text="@lena here: @omar can you check the pool? @sam FYI",
        ticket_number="INC-000007",
        url="/tickets/INC-000007/",
        title="Lena Second mentioned you on INC-000007",
    )
    assert sorted(r.recipient.username for r in rows) == ["omar", "sam"]
    stored = Notification.objects.get(recipient=l3_agent)
    assert stored.kind == NotificationKind.MENTION
    assert stored.actor == l2_agent
    assert stored.ticket_number == "INC-000007"
    assert stored.url == "/tickets/INC-000007/"
    assert "check the pool" in stored.body
    assert not Notification.objects.filter(recipient=l2_agent).exists()


def test_notify_mentions_without_staff_mentions_creates_nothing(l2_agent, requester):
    rows = notify_mentions(actor=l2_agent, text="@rita thanks", ticket_number="", url="", title="x")
    assert rows == []
    assert Notification.objects.count() == 0


# API


def assert_error(response, status, field=None):
    assert response.status_code == status, response.content
    body = response.json()
    assert body["code"] and body["message"]
    if field is not None:
        assert body["field"] == field, body
    return body


def test_api_requires_a_token(db):
    client = Client()
    assert_error(client.get("/api/v1/notifications"), 401, "Authorization")
    assert_error(client.post("/api/v1/notifications/read-all"), 401)
    assert_error(client.post("/api/v1/notifications/1/read"), 401)


def test_api_lists_newest_first_with_counts(api, l2_agent, l1_agent):
    make(l2_agent, "first", minutes=1, actor=l1_agent, url="/tickets/INC-000042/")
    second = make(l2_agent, "second", minutes=2, kind=NotificationKind.MENTION)
    make(l1_agent, "not hers")
    services.notification_mark_read(actor=l2_agent, notification_id=second.pk)

    body = api.get("/api/v1/notifications").json()
    assert (body["count"], body["unread"]) == (2, 1)
    assert [i["title"] for i in body["items"]] == ["second", "first"]
    item = body["items"][1]
    assert item["actor"]["username"] == "sam"
    assert item["url"] == "/tickets/INC-000042/"
    assert (item["kind"], item["is_read"], item["read_at"]) == ("alert", False, None)
    assert body["items"][0]["kind_label"] == "Mentioned in a note"

    only_unread = api.get("/api/v1/notifications?unread=true").json()
    assert [i["title"] for i in only_unread["items"]] == ["first"]
    assert (only_unread["count"], only_unread["unread"]) == (1, 1)


def test_api_paginates_and_refuses_bad_paging(api, l2_agent):
    for i in range(5):
        make(l2_agent, f"n{i}", minutes=i)
    body = api.get("/api/v1/notifications?page=2&page_size=2").json()
    assert [i["title"] for i in body["items"]] == ["n2", "n1"]
    assert (body["count"], body["pages"], body["page"]) == (5, 3, 2)
    assert_error(api.get("/api/v1/notifications?page_size=101"), 422, "page_size")
    assert_error(api.get("/api/v1/notifications?page=0"), 422, "page")
    assert_error(api.get("/api/v1/notifications?unread=maybe"), 422, "unread")


def test_api_mark_one_read(api, l2_agent, l1_agent):
    mine = make(l2_agent, "mine")
    theirs = make(l1_agent, "theirs")
    response = api.post(f"/api/v1/notifications/{mine.pk}/read")
    assert response.status_code == 204
    assert api.get("/api/v1/notifications").json()["unread"] == 0
    assert api.post(f"/api/v1/notifications/{mine.pk}/read").status_code == 204  # again is fine

    assert_error(api.post(f"/api/v1/notifications/{theirs.pk}/read"), 404, "notification_id")
    theirs.refresh_from_db()
    assert theirs.read_at is None
    assert_error(api.post("/api/v1/notifications/999999/read"), 404)


def test_api_mark_all_read(api, l2_agent, l1_agent):
    make(l2_agent, "a")
    make(l2_agent, "b")
    make(l1_agent, "theirs")
    response = api.post("/api/v1/notifications/read-all")
    assert response.status_code == 200
    assert response.json() == {"marked": 2}
    assert api.post("/api/v1/notifications/read-all").json() == {"marked": 0}
    other = api_client_for(l1_agent).get("/api/v1/notifications?unread=true").json()
    assert other["unread"] == 1


def test_api_is_in_the_openapi_schema(api):
    paths = json.loads(api.get("/api/v1/openapi.json").content)["paths"]
    assert {"/api/v1/notifications", "/api/v1/notifications/read-all"} <= set(paths)
    assert paths["/api/v1/notifications"]["get"]["tags"] == ["notifications"]


# Pages


def test_pages_require_sign_in(db):
    response = Client().get("/notifications/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_list_shows_own_notifications_with_unread_highlighted(web, l2_agent, l1_agent):
    make(l2_agent, "Escalation INC-000042 received", minutes=1, actor=l1_agent)
    done = make(l2_agent, "Task TSK-000003 assigned", minutes=2)
    make(l1_agent, "Not for Lena")
    services.notification_mark_read(actor=l2_agent, notification_id=done.pk)

    response = web.get("/notifications/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "Escalation INC-000042 received" in html and "Task TSK-000003 assigned" in html
    assert "Not for Lena" not in html
    assert html.count('class="notif-row unread"') == 1
    assert "1 unread" in html

    unread_page = web.get("/notifications/?unread=1").content.decode()
    assert "Escalation INC-000042 received" in unread_page
    assert "Task TSK-000003 assigned" not in unread_page


def test_list_query_count_does_not_grow_with_rows(web, l2_agent, l1_agent):
    def count_queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert web.get("/notifications/").status_code == 200
        return len(ctx.captured_queries)

    make(l2_agent, "one", actor=l1_agent)
    few = count_queries()
    for i in range(20):
        make(l2_agent, f"more {i}", minutes=i, actor=UserFactory())
    assert count_queries() == few


def test_list_is_paginated_by_50(web, l2_agent):
    for i in range(51):
        make(l2_agent, f"Notification number {i:02d}", minutes=i)
    first = web.get("/notifications/").content.decode()
    assert "Notification number 50" in first and "Notification number 00" not in first
    second = web.get("/notifications/?page=2").content.decode()
    assert "Notification number 00" in second and "Notification number 50" not in second


def test_opening_one_marks_it_read_and_follows_its_link(web, l2_agent):
    note = make(l2_agent, "Escalation received", url="/tickets/INC-000042/")
    assert web.get(f"/notifications/{note.pk}/read/").status_code == 405
    response = web.post(f"/notifications/{note.pk}/read/")
    assert response.status_code == 302 and response["Location"] == "/tickets/INC-000042/"
    note.refresh_from_db()
    assert note.read_at is not None


def test_opening_one_never_redirects_off_site(web, l2_agent):
    note = make(l2_agent, "Odd link", url="https://evil.example/phish")
    response = web.post(f"/notifications/{note.pk}/read/")
    assert response["Location"] == "/notifications/"


def test_opening_someone_elses_is_not_found(web, l1_agent):
    theirs = make(l1_agent, "theirs")
    assert web.post(f"/notifications/{theirs.pk}/read/").status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_mark_all_read_page(web, l2_agent):
    make(l2_agent, "a")
    make(l2_agent, "b")
    response = web.post("/notifications/read-all/", follow=True)
    assert response.redirect_chain == [("/notifications/", 302)]
    assert "Marked 2 notifications read." in response.content.decode()
    assert queries.unread_count(l2_agent) == 0
    back = web.post("/notifications/read-all/", {"next": "/tickets/?queue=open"})
    assert back["Location"] == "/tickets/?queue=open"
    away = web.post("/notifications/read-all/", {"next": "//evil.example/"})
    assert away["Location"] == "/notifications/"


def test_bell_menu_fragment_shows_the_latest_ten(web, l2_agent):
    for i in range(12):
        make(l2_agent, f"Alert {i:02d}", minutes=i)
    response = web.get(
        "/notifications/menu/", HTTP_HX_CURRENT_URL="http://testserver/tickets/INC-000042/", **HX
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html
    assert html.count('class="notif-item unread"') == 10
    assert "Alert 11" in html and "Alert 01" not in html
    assert "Mark all read" in html and 'value="/tickets/INC-000042/"' in html
    assert 'href="/notifications/"' in html
    assert web.get("/notifications/menu/")["Location"] == "/notifications/"


# The bell and its context processor


@pytest.fixture
def bell_settings(settings):
    """The context processor installed, as settings will have it once the bell is in base.html."""
    processor = "backline.notifications.context_processors.notifications"
    templates = [dict(t, OPTIONS=dict(t["OPTIONS"])) for t in settings.TEMPLATES]
    processors = list(templates[0]["OPTIONS"]["context_processors"])
    if processor not in processors:
        processors.append(processor)
    templates[0]["OPTIONS"]["context_processors"] = processors
    settings.TEMPLATES = templates
    return settings


def render_bell(user, path="/tickets/") -> str:
    request = RequestFactory().get(path)
    request.user = user
    return render_to_string("notifications/bell.html", request=request)


def test_bell_shows_the_unread_count(bell_settings, l2_agent, l1_agent):
    make(l2_agent, "a")
    make(l2_agent, "b")
    make(l1_agent, "theirs")
    html = render_bell(l2_agent)
    assert 'aria-label="Notifications: 2 unread"' in html
    assert '<span class="notif-badge" aria-hidden="true">2</span>' in html
    assert 'hx-get="/notifications/menu/"' in html


def test_bell_without_unread_has_no_badge(bell_settings, l2_agent):
    make(l2_agent, "read already")
    services.notifications_mark_all_read(actor=l2_agent)
    html = render_bell(l2_agent)
    assert 'aria-label="Notifications: none unread"' in html
    assert "notif-badge" not in html


def test_bell_caps_the_badge(bell_settings, l2_agent):
    notify(recipients=[l2_agent], kind=NotificationKind.ALERT, title="x")
    Notification.objects.bulk_create(
        Notification(recipient=l2_agent, kind="alert", title=f"n{i}", created_at=T0)
        for i in range(120)
    )
    html = render_bell(l2_agent)
    assert 'aria-label="Notifications: 121 unread"' in html
    assert ">99+</span>" in html


def test_context_processor_is_lazy_and_skips_the_api_and_anonymous(l2_agent):
    make(l2_agent, "a")
    request = RequestFactory().get("/tickets/")
    request.user = l2_agent
    with CaptureQueriesContext(connection) as ctx:
        context = notifications_context(request)
    assert len(ctx.captured_queries) == 0
    assert context["unread_notifications"] == 1

    api_request = RequestFactory().get("/api/v1/tickets")
    api_request.user = l2_agent
    assert notifications_context(api_request) == {}
    anonymous = RequestFactory().get("/tickets/")
    anonymous.user = AnonymousUser()
    assert notifications_context(anonymous) == {}


def test_requesters_have_a_notifications_page_too(requester):
    client = Client()
    client.force_login(requester)
    assert requester.role == Role.REQUESTER
    assert client.get("/notifications/").status_code == 200
