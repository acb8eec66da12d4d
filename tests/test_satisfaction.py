"""Customer satisfaction: rating a resolved ticket (service, one-click signed links, portal, API),
the link in the "resolved" email, the staff panel, CSAT figures and the demo's ratings."""

from __future__ import annotations

import re
import time
from unittest import mock

import pytest
from django.test import Client
from django.urls import resolve

from backline.core.errors import DomainError, NotFound, PermissionDenied
from backline.mailout.choices import EmailKind
from backline.mailout.models import OutboundEmail
from backline.satisfaction import queries, services
from backline.satisfaction.filters import RatingFilter
from backline.satisfaction.models import Rating
from backline.tickets import services as tickets
from backline.tickets.choices import EventKind
from backline.tickets.models import TicketEvent
from tests.conftest import api_client_for
from tests.factories import make_ticket

pytestmark = pytest.mark.django_db
BASE_URL = "https://desk.example.test"


def _resolve(ticket, agent, **fields):
    if ticket.status in ("new", "assigned"):
        ticket = tickets.ticket_transition(actor=agent, ticket=ticket, action="start")
    return tickets.ticket_transition(
        actor=agent, ticket=ticket, action="resolve", resolution_code="fixed",
        resolution_notes="Replaced the toner cartridge.", **fields,
    )  # fmt: skip


@pytest.fixture
def resolved(requester, l2_agent, app_support):
    ticket = make_ticket(
        l2_agent, requester=requester, team=app_support, title="Printer prints blank pages"
    )
    return _resolve(ticket, l2_agent)


def _rated_events(ticket) -> list[TicketEvent]:
    return list(TicketEvent.objects.filter(ticket=ticket, kind=EventKind.RATED).order_by("id"))


def _path(url: str) -> str:
    return url.removeprefix(BASE_URL)


# --- the service ------------------------------------------------------------------------------


def test_rating_records_score_tier_team_and_an_event(resolved, requester, app_support):
    rating = services.rating_submit(
        ticket=resolved, score=4, comment="  Quick fix, thanks.  ", actor=requester
    )

    assert (rating.score, rating.comment, rating.tier, rating.team) == (
        4, "Quick fix, thanks.", 2, app_support,
    )  # fmt: skip
    assert rating.requester == requester
    [event] = _rated_events(resolved)
    assert event.actor == requester
    assert event.data == {
        "score": 4,
        "comment": "Quick fix, thanks.",
        "tier": 2,
        "team": {"id": app_support.pk, "name": str(app_support)},
        "by": "requester",
    }


def test_rating_again_updates_the_one_rating_and_a_repeat_changes_nothing(resolved, requester):
    services.rating_submit(ticket=resolved, score=2, comment="Slow.", actor=requester)
    services.rating_submit(ticket=resolved, score=2, comment="Slow.", actor=requester)
    assert len(_rated_events(resolved)) == 1

    rating = services.rating_submit(ticket=resolved, score=5, comment=None)  # by a link
    assert Rating.objects.count() == 1
    assert (rating.score, rating.comment) == (5, "Slow.")  # None keeps the comment
    last = _rated_events(resolved)[-1]
    assert (last.data["score"], last.data["previous"], last.data["by"]) == (5, 2, "link")
    assert last.actor == requester  # the link proves the requester


def test_long_comments_are_cut_in_the_event_but_kept_in_the_rating(resolved, requester):
    text = "word " * 100
    rating = services.rating_submit(ticket=resolved, score=3, comment=text)
    assert rating.comment == text.strip()
    assert len(_rated_events(resolved)[0].data["comment"]) == 300


@pytest.mark.parametrize("score", [0, 6, -1, "5", True, None, 4.0])
def test_scores_outside_1_to_5_are_refused_naming_score(resolved, requester, score):
    with pytest.raises(DomainError) as exc:
        services.rating_submit(ticket=resolved, score=score, actor=requester)
    assert exc.value.field == "score"
    assert not Rating.objects.exists()
    assert _rated_events(resolved) == []


def test_a_comment_over_2000_characters_is_refused(resolved, requester):
    with pytest.raises(DomainError) as exc:
        services.rating_submit(ticket=resolved, score=4, comment="x" * 2001, actor=requester)
    assert exc.value.field == "comment"
    assert not Rating.objects.exists()


def test_only_resolved_or_closed_tickets_can_be_rated(requester, l2_agent):
    ticket = make_ticket(requester)
    with pytest.raises(DomainError) as exc:
        services.rating_submit(ticket=ticket, score=5, actor=requester)
    assert (exc.value.code, exc.value.field) == ("not_resolved", "ticket")

    ticket = _resolve(ticket, l2_agent)
    ticket = tickets.ticket_transition(actor=l2_agent, ticket=ticket, action="close")
    assert services.rating_submit(ticket=ticket, score=5, actor=requester).score == 5


def test_only_the_requester_rates(resolved, other_requester, l2_agent):
    with pytest.raises(NotFound):
        services.rating_submit(ticket=resolved, score=1, actor=other_requester)
    with pytest.raises(PermissionDenied):
        services.rating_submit(ticket=resolved, score=5, actor=l2_agent)
    assert not Rating.objects.exists()


def test_after_a_reopen_the_next_rating_names_the_team_that_resolved_it_again(
    resolved, requester, l2_agent, l3_agent, engineering
):
    services.rating_submit(ticket=resolved, score=2, actor=requester)
    ticket = tickets.ticket_transition(actor=l2_agent, ticket=resolved, action="reopen")
    ticket = tickets.ticket_update(
        actor=l2_agent, ticket=ticket, version=None,
        changes={"team": engineering, "assignee": l3_agent},
    )  # fmt: skip
    ticket = _resolve(ticket, l3_agent)

    rating = services.rating_submit(ticket=ticket, score=4, actor=requester)
    assert (rating.score, rating.tier, rating.team) == (4, 3, engineering)
    assert Rating.objects.count() == 1


# --- signed links -----------------------------------------------------------------------------


def test_a_click_on_an_email_link_records_the_score_and_shows_the_thank_you_page(
    resolved, settings
):
    settings.BACKLINE_BASE_URL = BASE_URL
    link = services.rating_link(resolved, 4)
    assert link.startswith(f"{BASE_URL}/rate/") and link.endswith("/4")

    client = Client()
    response = client.get(_path(link))
    body = response.content.decode()
    assert response.status_code == 200
    assert "Thank you for your feedback" in body
    assert re.search(r'class="csat-choice is-current"[^>]*aria-current="true" data-score="4"', body)
    assert response["X-Robots-Tag"] == "noindex, nofollow"
    assert Rating.objects.get().score == 4

    client.get(_path(link))  # clicking again changes nothing
    assert len(_rated_events(resolved)) == 1
    client.get(_path(services.rating_link(resolved, 2)))  # another score replaces it
    assert Rating.objects.get().score == 2
    assert len(_rated_events(resolved)) == 2


def test_a_comment_from_the_thank_you_page_keeps_the_score(resolved):
    token = services.link_token(resolved)
    client = Client(enforce_csrf_checks=True)
    client.get(f"/rate/{token}/5")
    csrf = client.cookies["csrftoken"].value
    response = client.post(
        f"/rate/{token}/comment", {"comment": "Fixed before lunch!", "csrfmiddlewaretoken": csrf}
    )
    assert response.status_code == 302
    assert response["Location"] == f"/rate/{token}/5"
    rating = Rating.objects.get()
    assert (rating.score, rating.comment) == (5, "Fixed before lunch!")
    page = client.get(response["Location"]).content.decode()
    assert "Fixed before lunch!" in page and "Thanks, we have your comment." in page

    response = client.post(
        f"/rate/{token}/comment", {"comment": "y" * 2001, "csrfmiddlewaretoken": csrf}
    )
    assert response.status_code == 422
    assert "at most 2000 characters" in response.content.decode()
    assert Rating.objects.get().comment == "Fixed before lunch!"


def test_a_comment_without_a_score_or_a_csrf_token_changes_nothing(resolved):
    token = services.link_token(resolved)
    response = Client().post(f"/rate/{token}/comment", {"comment": "Hello"})
    assert response.status_code == 422
    assert "Choose a score first." in response.content.decode()
    Client().get(f"/rate/{token}/3")
    strict = Client(enforce_csrf_checks=True)
    assert strict.post(f"/rate/{token}/comment", {"comment": "Hi"}).status_code == 403
    assert Rating.objects.get().comment == ""


def test_a_tampered_link_is_refused_and_changes_nothing(resolved, l2_agent, requester):
    token = services.link_token(resolved)
    other = make_ticket(requester)
    # Another ticket's payload under this token's timestamp and signature.
    forged = ":".join([services.link_token(other).split(":")[0], *token.split(":")[1:]])
    assert forged != token
    for bad in (token[:-2] + "xx", forged, "nonsense"):
        response = Client().get(f"/rate/{bad}/5")
        assert response.status_code == 422
        assert "This rating link cannot be used" in response.content.decode()
    assert not Rating.objects.exists()
    assert _rated_events(resolved) == []


def test_an_expired_link_says_so_and_changes_nothing(resolved):
    with mock.patch("time.time", return_value=time.time() - 31 * 86400):
        token = services.link_token(resolved)
    response = Client().get(f"/rate/{token}/5")
    assert response.status_code == 422
    assert "This rating link has expired" in response.content.decode()
    assert not Rating.objects.exists()

    with mock.patch("time.time", return_value=time.time() - 29 * 86400):
        token = services.link_token(resolved)
    assert Client().get(f"/rate/{token}/5").status_code == 200
    assert Rating.objects.get().score == 5


def test_a_link_stops_working_when_the_requester_is_disabled(resolved, requester):
    token = services.link_token(resolved)
    requester.is_active = False
    requester.save()
    assert Client().get(f"/rate/{token}/5").status_code == 422
    assert not Rating.objects.exists()


def test_prefetches_and_head_requests_record_nothing(resolved):
    token = services.link_token(resolved)
    response = Client().get(f"/rate/{token}/1", HTTP_SEC_PURPOSE="prefetch")
    assert response.status_code == 200
    assert "How did we do?" in response.content.decode()
    assert Client().head(f"/rate/{token}/1").status_code == 405
    assert not Rating.objects.exists()


def test_a_score_outside_the_scale_in_the_url_shows_an_error(resolved):
    response = Client().get(f"/rate/{services.link_token(resolved)}/9")
    assert response.status_code == 422
    assert "Choose a score from 1 to 5." in response.content.decode()
    assert not Rating.objects.exists()


def test_a_link_to_a_reopened_ticket_records_nothing(resolved, l2_agent):
    token = services.link_token(resolved)
    tickets.ticket_transition(actor=l2_agent, ticket=resolved, action="reopen")
    response = Client().get(f"/rate/{token}/5")
    assert response.status_code == 422
    assert "is not resolved yet" in response.content.decode()
    assert not Rating.objects.exists()


# --- the resolved email, the portal and the staff panel ----------------------------------------


def test_the_resolved_email_holds_five_rating_links_for_the_requester(
    settings, requester, l2_agent
):
    settings.BACKLINE_SMTP_HOST = "127.0.0.1"
    settings.BACKLINE_BASE_URL = BASE_URL
    ticket = make_ticket(requester)
    tickets.ticket_comment(actor=l2_agent, ticket=ticket, body="Looking at it.")
    ticket = _resolve(ticket, l2_agent)

    reply = OutboundEmail.objects.get(kind=EmailKind.REPLY)
    assert "/rate/" not in reply.text_body
    email = OutboundEmail.objects.get(kind=EmailKind.RESOLVED)
    assert email.recipient == requester
    assert "How did we do?" in email.text_body
    links = re.findall(rf"  (\d): ({re.escape(BASE_URL)}/rate/\S+)", email.text_body)
    assert [int(score) for score, _ in links] == [1, 2, 3, 4, 5]
    for score, link in links:
        match = resolve(_path(link))
        assert match.url_name == "rate" and match.kwargs["score"] == int(score)
        assert services.rating_link_open(match.kwargs["token"]) == ticket

    assert Client().get(_path(links[3][1])).status_code == 200
    assert Rating.objects.get(ticket=ticket).score == 4


def test_the_portal_page_asks_how_we_did_once_resolved(resolved, requester, l2_agent):
    client = Client()
    client.force_login(requester)
    open_ticket = make_ticket(requester, title="Still open")
    body = client.get(f"/portal/tickets/{open_ticket.number}").content.decode()
    assert "How did we do?" not in body

    body = client.get(f"/portal/tickets/{resolved.number}").content.decode()
    assert "How did we do?" in body
    assert body.count('class="csat-choice"') == 5
    services.rating_submit(ticket=resolved, score=3, comment="OK in the end.", actor=requester)
    body = client.get(f"/portal/tickets/{resolved.number}").content.decode()
    assert "You rated this <strong>3 of 5</strong>" in body
    assert 'aria-current="true" data-score="3"' in body


def test_staff_see_the_rating_in_the_ticket_panel(resolved, requester, web):
    page = web.get(resolved.get_absolute_url()).content.decode()
    assert 'data-testid="rating-panel"' not in page

    services.rating_submit(ticket=resolved, score=2, comment="Took two days.", actor=requester)
    page = web.get(resolved.get_absolute_url()).content.decode()
    assert 'data-testid="rating-panel"' in page
    assert "2 / 5" in page and "Took two days." in page and "Poor" in page


# --- queries and CSAT -------------------------------------------------------------------------


def _rate_many(requester, agent, team, scores):
    rated = []
    for score in scores:
        ticket = make_ticket(agent, requester=requester, team=team)
        rated.append(services.rating_submit(ticket=_resolve(ticket, agent), score=score))
    return rated


def test_csat_summary_is_the_share_of_4_and_5_and_the_mean(
    requester, l2_agent, l3_agent, app_support, engineering, manager, django_assert_num_queries
):
    _rate_many(requester, l2_agent, app_support, [5, 4, 4, 2])
    _rate_many(requester, l3_agent, engineering, [1, 3])

    # The manager sees every team's ratings (an agent only those of tickets they may see).
    with django_assert_num_queries(1):
        everything = queries.csat_summary(queries.ratings_list(manager))
    assert everything == {"count": 6, "satisfied": 3, "satisfied_share": 0.5, "mean": 3.17}
    l3 = queries.csat_summary(queries.ratings_list(manager, RatingFilter(tier=3)))
    assert l3 == {"count": 2, "satisfied": 0, "satisfied_share": 0.0, "mean": 2.0}
    none = queries.csat_summary(queries.ratings_list(manager, RatingFilter(score=5, tier=3)))
    assert none == {"count": 0, "satisfied": 0, "satisfied_share": None, "mean": None}
    with pytest.raises(PermissionDenied):
        queries.ratings_list(requester)


# --- API --------------------------------------------------------------------------------------


def test_api_lists_ratings_with_filters_and_csat(
    requester, l2_agent, l3_agent, app_support, engineering, manager
):
    _rate_many(requester, l2_agent, app_support, [5, 4, 1])
    [old] = _rate_many(requester, l3_agent, engineering, [3])
    Rating.objects.filter(pk=old.pk).update(updated_at=old.updated_at.replace(year=2024))
    api = api_client_for(manager)

    data = api.get("/api/v1/ratings").json()
    assert data["count"] == 4
    assert data["summary"] == {"count": 4, "satisfied": 2, "satisfied_share": 0.5, "mean": 3.25}
    assert data["items"][0]["ticket"].startswith("INC-")
    data = api.get(f"/api/v1/ratings?team={app_support.pk}&score=5").json()
    assert [i["score"] for i in data["items"]] == [5]
    assert data["items"][0]["team"]["name"] == app_support.name
    data = api.get("/api/v1/ratings?tier=3").json()
    assert [i["score"] for i in data["items"]] == [3]
    data = api.get("/api/v1/ratings?from=2025-01-01").json()
    assert sorted(i["score"] for i in data["items"]) == [1, 4, 5]
    data = api.get("/api/v1/ratings?to=2024-12-31").json()
    assert [i["score"] for i in data["items"]] == [3]

    bad = api.get("/api/v1/ratings?score=7")
    assert bad.status_code == 422 and bad.json()["field"] == "score"
    bad = api.get("/api/v1/ratings?from=2025-02-01&to=2025-01-01")
    assert bad.status_code == 422
    assert api_client_for(requester).get("/api/v1/ratings").status_code == 403


def test_api_requester_rates_their_ticket_and_reads_it_back(
    resolved, requester, other_requester, l2_agent
):
    api = api_client_for(requester)
    url = f"/api/v1/tickets/{resolved.number}/rating"
    assert api.get(url).status_code == 404

    response = api.post(url, {"score": 4, "comment": "Good job"}, content_type="application/json")
    assert response.status_code == 200
    assert response.json()["score"] == 4 and response.json()["tier"] == 2
    response = api.post(url, {"score": 5}, content_type="application/json")
    assert (response.json()["score"], response.json()["comment"]) == (5, "Good job")

    assert api.get(url).json()["score"] == 5
    assert api_client_for(l2_agent).get(url).json()["requester"]["username"] == "rita"
    assert api_client_for(other_requester).get(url).status_code == 404


def test_api_refuses_bad_scores_staff_and_open_tickets(resolved, requester, l2_agent):
    api = api_client_for(requester)
    url = f"/api/v1/tickets/{resolved.number}/rating"
    for score in (0, 6, "five"):
        response = api.post(url, {"score": score}, content_type="application/json")
        assert response.status_code == 422
        assert response.json()["field"] == "score"
    response = api.post(url, {"comment": "no score"}, content_type="application/json")
    assert (response.status_code, response.json()["field"]) == (422, "score")
    staff = api_client_for(l2_agent).post(url, {"score": 5}, content_type="application/json")
    assert staff.status_code == 403
    open_ticket = make_ticket(requester)
    response = api.post(
        f"/api/v1/tickets/{open_ticket.number}/rating", {"score": 5},
        content_type="application/json",
    )  # fmt: skip
    assert (response.status_code, response.json()["code"]) == (422, "not_resolved")
    assert not Rating.objects.exists()


# --- demo data --------------------------------------------------------------------------------


def test_demo_ratings_rate_about_a_third_shortly_after_resolution():
    from django.utils import timezone

    from backline.demo.generate import load_demo
    from backline.demo.ratings import ratings_load
    from backline.tickets.models import Ticket

    load_demo(seed=7, tickets=200, password="backline-demo", progress=False)
    done = Ticket.objects.filter(status__in=("resolved", "closed")).count()

    made = Rating.objects.count()  # load_demo rates the history (demo.ratings)
    assert ratings_load(seed=7) == 0  # and a second run adds nothing
    assert 0.25 * done <= made <= 0.45 * done
    assert Rating.objects.count() == made
    scores = list(Rating.objects.values_list("score", flat=True))
    assert sum(s >= 4 for s in scores) / made > 0.6
    unhappy = Rating.objects.filter(score__lte=2)
    assert unhappy.exists() and not unhappy.filter(comment="").exists()
    now = timezone.now()
    for rating in Rating.objects.select_related("ticket"):
        assert rating.ticket.resolved_at <= rating.updated_at <= now
        assert rating.ticket.status in ("resolved", "closed")
    events = TicketEvent.objects.filter(kind=EventKind.RATED)
    assert events.count() == made
    event = events.select_related("ticket__rating").first()
    assert event.at == event.ticket.rating.updated_at
    assert event.data["score"] == event.ticket.rating.score
    assert event.actor_id == event.ticket.requester_id
    assert ratings_load(seed=7) == 0  # nothing is rated twice


def test_the_ratings_list_query_count_does_not_grow_with_rows(
    requester, l2_agent, app_support, manager, django_assert_max_num_queries
):
    api = api_client_for(manager)
    _rate_many(requester, l2_agent, app_support, [5, 4])
    api.get("/api/v1/ratings")  # a new token's first use is audited once; count the steady state
    with django_assert_max_num_queries(8) as few:
        api.get("/api/v1/ratings")
    _rate_many(requester, l2_agent, app_support, [3, 2, 1, 5, 4, 4])
    with django_assert_max_num_queries(len(few.captured_queries)):
        data = api.get("/api/v1/ratings").json()
    assert data["count"] == 8
