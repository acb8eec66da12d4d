"""Time worked on tickets: the duration parser, the team an entry counts for, the services and their
permissions, the ticket panel and "my time" page, and the API (bad input changes nothing)."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from backline.accounts.models import TeamMembership
from backline.core.errors import Conflict, DomainError, PermissionDenied
from backline.tickets.choices import EventKind
from backline.tickets.models import Ticket, TicketEvent
from backline.tickets.services import ticket_watch
from backline.worklog import queries, rules, services
from backline.worklog.models import TimeEntry
from tests.conftest import api_client_for
from tests.factories import TeamFactory, UserFactory, make_ticket

# --- rules: durations ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "minutes"),
    [
        ("45", 45),
        ("45m", 45),
        ("45 min", 45),
        ("1h", 60),
        ("1h 30m", 90),
        ("1h30", 90),
        ("1:30", 90),
        ("0:05", 5),
        ("1.5h", 90),
        ("1,5 h", 90),
        ("2 h 5 min", 125),
        ("2 hours 5 minutes", 125),
        ("  1H 15M ", 75),
        ("24h", 1440),
        ("24:00", 1440),
    ],
)
def test_parse_duration_reads_what_people_type(text, minutes):
    assert rules.parse_duration(text) == minutes


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("", "required"),
        ("   ", "required"),
        ("0", "too_short"),
        ("0h 0m", "too_short"),
        ("-5", "too_short"),
        ("-1h", "too_short"),
        ("24h 1m", "too_long"),
        ("25:00", "too_long"),
        ("999999h", "too_long"),
        ("abc", "invalid_duration"),
        ("1x", "invalid_duration"),
        ("1h foo", "invalid_duration"),
        ("30m 1h", "invalid_duration"),
        ("1h 2h", "invalid_duration"),
        ("5m 5m", "invalid_duration"),
        ("1.5", "invalid_duration"),
        ("1.5m", "invalid_duration"),
        ("1:5", "invalid_duration"),
        ("1:75", "invalid_duration"),
        ("1.33h", "invalid_duration"),
        ("30 45", "invalid_duration"),
    ],
)
def test_parse_duration_refuses_with_a_clear_message(text, code):
    with pytest.raises(DomainError) as caught:
        rules.parse_duration(text)
    assert caught.value.code == code
    assert caught.value.field == "duration"
    assert caught.value.message


@given(st.integers(min_value=1, max_value=rules.MAX_MINUTES))
def test_format_then_parse_round_trips(minutes):
    assert rules.parse_duration(rules.format_duration(minutes)) == minutes


@given(st.integers(min_value=0, max_value=24), st.integers(min_value=0, max_value=59))
def test_clock_and_unit_forms_agree(hours, mins):
    total = hours * 60 + mins
    if not 1 <= total <= rules.MAX_MINUTES:
        return
    assert rules.parse_duration(f"{hours}:{mins:02d}") == total
    assert rules.parse_duration(f"{hours}h {mins}m") == total


def test_check_minutes_bounds():
    assert rules.check_minutes(1) == 1
    assert rules.check_minutes(1440) == 1440
    for bad in (0, -3, 1441, True):
        with pytest.raises(DomainError) as caught:
            rules.check_minutes(bad)
        assert caught.value.field == "minutes"


# --- rules: the team an entry counts for --------------------------------------------------------

T1, T2, T3, T2B = (
    rules.TeamChoice(1, 1),
    rules.TeamChoice(2, 2),
    rules.TeamChoice(3, 3),
    rules.TeamChoice(4, 2),
)


def test_entry_team_is_the_tickets_when_the_user_is_in_it():
    assert rules.entry_team(ticket_team_id=2, ticket_tier=2, user_teams=[T1, T2]) == (2, 2)


def test_entry_team_is_the_users_team_closest_to_the_ticket_tier():
    assert rules.entry_team(ticket_team_id=9, ticket_tier=2, user_teams=[T1, T2B]) == (4, 2)
    assert rules.entry_team(ticket_team_id=9, ticket_tier=3, user_teams=[T1, T2B]) == (4, 2)
    # A tie between L1 and L3 for an L2 ticket goes to the higher tier.
    assert rules.entry_team(ticket_team_id=9, ticket_tier=2, user_teams=[T1, T3]) == (3, 3)


def test_entry_team_without_teams_keeps_the_tickets():
    assert rules.entry_team(ticket_team_id=None, ticket_tier=1, user_teams=[]) == (None, 1)
    assert rules.entry_team(ticket_team_id=7, ticket_tier=2, user_teams=[]) == (7, 2)


# --- services -----------------------------------------------------------------------------------


@pytest.fixture
def ticket(l2_agent, app_support, l1_agent, l3_agent):
    ticket = make_ticket(l2_agent, team=app_support, assignee=l2_agent)
    # Sam (L1) and Omar (L3) follow it, so they may see it and log time on it from other teams.
    for user in (l1_agent, l3_agent):
        ticket_watch(actor=l2_agent, ticket=ticket, user=user)
    ticket.refresh_from_db()
    return ticket


def test_agent_logs_time_with_team_tier_and_an_internal_event(l2_agent, ticket, app_support):
    entry = services.time_entry_log(actor=l2_agent, ticket=ticket, minutes=75, note="Read logs")
    assert (entry.user, entry.team, entry.tier, entry.minutes) == (l2_agent, app_support, 2, 75)
    assert entry.spent_at == entry.created_at
    event = TicketEvent.objects.get(ticket=ticket, kind=EventKind.TIME_LOGGED)
    assert event.is_internal
    assert event.data["entry"] == entry.pk
    assert event.data["minutes"] == 75
    assert event.data["user"] == {"id": l2_agent.pk, "name": "Lena Second"}
    assert event.data["team"]["id"] == app_support.pk
    assert event.data["tier"] == 2
    assert event.data["note"] == "Read logs"


def test_time_counts_for_the_users_own_team_when_not_in_the_tickets(l3_agent, ticket, engineering):
    entry = services.time_entry_log(actor=l3_agent, ticket=ticket, minutes=30)
    assert (entry.team, entry.tier) == (engineering, 3)


def test_team_and_tier_are_read_when_logging_not_from_a_stale_ticket(
    l2_agent, l3_agent, ticket, engineering
):
    Ticket.objects.filter(pk=ticket.pk).update(team=engineering, tier=3)
    entry = services.time_entry_log(actor=l3_agent, ticket=ticket, minutes=10)
    assert (entry.team, entry.tier) == (engineering, 3)


def test_spent_at_may_not_be_in_the_future_or_before_the_ticket(l2_agent, ticket):
    now = timezone.now()
    Ticket.objects.filter(pk=ticket.pk).update(created_at=now - timedelta(hours=2))
    ticket.refresh_from_db()
    for when, message in (
        (now + timedelta(minutes=5), "future"),
        (ticket.created_at - timedelta(minutes=1), "did not exist"),
    ):
        with pytest.raises(DomainError) as caught:
            services.time_entry_log(
                actor=l2_agent, ticket=ticket, minutes=10, spent_at=when, at=now
            )
        assert caught.value.field == "spent_at"
        assert message in caught.value.message
    entry = services.time_entry_log(
        actor=l2_agent, ticket=ticket, minutes=10, spent_at=now - timedelta(hours=1), at=now
    )
    assert entry.spent_at < entry.created_at
    assert TimeEntry.objects.count() == 1


def test_bad_minutes_and_notes_store_nothing(l2_agent, ticket):
    for kwargs, field in (
        ({"minutes": 0}, "minutes"),
        ({"minutes": 1441}, "minutes"),
        ({"minutes": 10, "note": "x" * 301}, "note"),
    ):
        with pytest.raises(DomainError) as caught:
            services.time_entry_log(actor=l2_agent, ticket=ticket, **kwargs)
        assert caught.value.field == field
    assert not TimeEntry.objects.exists()
    assert not TicketEvent.objects.filter(kind=EventKind.TIME_LOGGED).exists()


def test_requesters_cannot_log_time(requester, ticket):
    with pytest.raises(PermissionDenied):
        services.time_entry_log(actor=requester, ticket=ticket, minutes=10)
    assert not TimeEntry.objects.exists()


def test_agents_log_only_for_themselves(l1_agent, l2_agent, ticket):
    with pytest.raises(PermissionDenied) as caught:
        services.time_entry_log(actor=l1_agent, ticket=ticket, minutes=10, user=l2_agent)
    assert caught.value.field == "user"
    assert not TimeEntry.objects.exists()


def test_manager_and_team_lead_log_for_someone_else(manager, l2_agent, app_support, ticket):
    entry = services.time_entry_log(actor=manager, ticket=ticket, minutes=20, user=l2_agent)
    assert entry.user == l2_agent
    event = TicketEvent.objects.get(kind=EventKind.TIME_LOGGED)
    assert event.actor == manager and event.data["user"]["id"] == l2_agent.pk

    lead = UserFactory(username="lea", teams=[app_support])
    TeamMembership.objects.filter(user=lead).update(is_lead=True)
    entry = services.time_entry_log(actor=lead, ticket=ticket, minutes=5, user=l2_agent)
    assert entry.user == l2_agent


def test_a_lead_of_another_team_cannot_log_for_you(l2_agent, ticket):
    other = TeamFactory(name="Network", tier=3)
    lead = UserFactory(username="nick", teams=[other])
    TeamMembership.objects.filter(user=lead).update(is_lead=True)
    ticket_watch(actor=l2_agent, ticket=ticket, user=lead)  # sees the ticket, leads no one here
    with pytest.raises(PermissionDenied):
        services.time_entry_log(actor=lead, ticket=ticket, minutes=5, user=l2_agent)


def test_time_cannot_be_logged_for_a_requester(manager, requester, ticket):
    with pytest.raises(DomainError) as caught:
        services.time_entry_log(actor=manager, ticket=ticket, minutes=5, user=requester)
    assert caught.value.field == "user"


def test_delete_own_entry_records_what_was_removed(l2_agent, ticket):
    entry = services.time_entry_log(actor=l2_agent, ticket=ticket, minutes=40)
    services.time_entry_delete(actor=l2_agent, entry=entry)
    assert not TimeEntry.objects.exists()
    event = TicketEvent.objects.get(kind=EventKind.TIME_REMOVED)
    assert event.is_internal and event.data["minutes"] == 40 and event.data["entry"] == entry.pk


def test_only_the_owner_or_a_manager_deletes(l1_agent, l2_agent, manager, ticket):
    entry = services.time_entry_log(actor=l2_agent, ticket=ticket, minutes=40)
    with pytest.raises(PermissionDenied):
        services.time_entry_delete(actor=l1_agent, entry=entry)
    assert TimeEntry.objects.filter(pk=entry.pk).exists()
    services.time_entry_delete(actor=manager, entry=entry)
    assert not TimeEntry.objects.exists()


def test_deleting_twice_is_a_conflict(l2_agent, ticket):
    entry = services.time_entry_log(actor=l2_agent, ticket=ticket, minutes=40)
    stale = TimeEntry.objects.get(pk=entry.pk)
    services.time_entry_delete(actor=l2_agent, entry=entry)
    with pytest.raises(Conflict):
        services.time_entry_delete(actor=l2_agent, entry=stale)
    assert TicketEvent.objects.filter(kind=EventKind.TIME_REMOVED).count() == 1


# --- queries ------------------------------------------------------------------------------------


def test_ticket_time_totals_per_person_and_tier(l2_agent, l3_agent, ticket):
    services.time_entry_log(actor=l2_agent, ticket=ticket, minutes=30)
    services.time_entry_log(actor=l2_agent, ticket=ticket, minutes=45)
    services.time_entry_log(actor=l3_agent, ticket=ticket, minutes=20)
    data = queries.ticket_time(l2_agent, ticket, limit=2)
    assert (data.total, data.count) == (95, 3)
    assert [(r["name"], r["minutes"]) for r in data.per_user] == [
        ("Lena Second", 75),
        ("Omar Third", 20),
    ]
    assert [(r["tier"], r["minutes"]) for r in data.per_tier] == [(2, 75), (3, 20)]
    assert len(data.entries) == 2


def test_the_panel_costs_at_most_two_queries_however_many_entries(
    l2_agent, l3_agent, ticket, django_assert_max_num_queries
):
    with django_assert_max_num_queries(1):
        assert queries.ticket_time(l2_agent, ticket, limit=5).total == 0
    services.time_entry_log(actor=l2_agent, ticket=ticket, minutes=5)
    with django_assert_max_num_queries(2) as few:
        queries.ticket_time(l2_agent, ticket, limit=5)
    for n in range(8):
        services.time_entry_log(actor=l3_agent if n % 2 else l2_agent, ticket=ticket, minutes=n + 1)
    with django_assert_max_num_queries(2) as many:
        data = queries.ticket_time(l2_agent, ticket, limit=5)
        assert [e.user.username for e in data.entries]  # users are joined, not loaded one by one
    assert len(many.captured_queries) == len(few.captured_queries)


def test_report_filters_and_scopes_by_role(l2_agent, l3_agent, manager, ticket, engineering):
    services.time_entry_log(actor=l2_agent, ticket=ticket, minutes=30)
    services.time_entry_log(actor=l3_agent, ticket=ticket, minutes=20)
    mine = queries.report_entries(l2_agent, queries.ReportFilter())
    assert [e.minutes for e in mine] == [30]
    with pytest.raises(PermissionDenied):
        queries.report_entries(l2_agent, queries.ReportFilter(user=l3_agent.pk))
    everyone = queries.report_entries(manager, queries.ReportFilter())
    assert queries.report_totals(everyone)["minutes"] == 50
    team = queries.report_entries(manager, queries.ReportFilter(team=engineering.pk))
    assert [e.user for e in team] == [l3_agent]
    tier = queries.report_entries(manager, queries.ReportFilter(tier=2))
    assert [e.user for e in tier] == [l2_agent]
    today = timezone.localdate()
    past = queries.report_entries(
        manager,
        queries.ReportFilter(
            date_from=today - timedelta(days=9), date_to=today - timedelta(days=2)
        ),
    )
    assert not past.exists()


def test_report_refuses_a_backwards_range(manager):
    today = timezone.localdate()
    with pytest.raises(DomainError) as caught:
        queries.report_entries(
            manager, queries.ReportFilter(date_from=today, date_to=today - timedelta(days=1))
        )
    assert caught.value.field == "from"


# --- the ticket panel and the page ----------------------------------------------------------------


def test_ticket_page_shows_the_panel(web, ticket):
    response = web.get(ticket.get_absolute_url())
    body = response.content.decode()
    assert 'id="worklog"' in body
    assert "No time logged yet." in body
    assert 'id="worklog-duration"' in body


def test_panel_is_not_shown_to_requesters(requester, l2_agent):
    ticket = make_ticket(l2_agent, requester=requester)
    client = Client()
    client.force_login(requester)
    response = client.get(ticket.get_absolute_url())
    assert response.status_code == 200
    assert 'id="worklog"' not in response.content.decode()


def test_htmx_log_rerenders_the_panel(web, ticket):
    url = reverse("worklog:log", args=[ticket.number])
    response = web.post(url, {"duration": "1h 15m", "note": "Traced"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    body = response.content.decode()
    assert 'id="worklog"' in body and "1h 15m" in body and "Logged 1h 15m." in body
    assert TimeEntry.objects.get().minutes == 75


def test_htmx_log_with_bad_duration_shows_the_error_and_stores_nothing(web, ticket):
    url = reverse("worklog:log", args=[ticket.number])
    response = web.post(url, {"duration": "soon"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 422
    body = response.content.decode()
    assert "is not a duration" in body and 'aria-invalid="true"' in body
    assert not TimeEntry.objects.exists()


def test_plain_post_redirects_back_to_the_ticket(web, ticket):
    url = reverse("worklog:log", args=[ticket.number])
    response = web.post(url, {"duration": "20m"})
    assert response.status_code == 302
    assert response["Location"].endswith(ticket.get_absolute_url() + "#worklog")
    assert TimeEntry.objects.get().minutes == 20


def test_delete_from_the_panel(web, l2_agent, ticket):
    entry = services.time_entry_log(actor=l2_agent, ticket=ticket, minutes=40)
    url = reverse("worklog:delete", args=[entry.pk])
    response = web.post(url, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert "No time logged yet." in response.content.decode()
    assert not TimeEntry.objects.exists()


def test_someone_elses_entry_cannot_be_deleted_in_the_panel(l1_agent, l2_agent, ticket):
    entry = services.time_entry_log(actor=l1_agent, ticket=ticket, minutes=40)
    client = Client()
    client.force_login(l2_agent)
    response = client.post(reverse("worklog:delete", args=[entry.pk]), HTTP_HX_REQUEST="true")
    assert response.status_code == 403
    assert "only remove your own" in response.content.decode()
    assert TimeEntry.objects.filter(pk=entry.pk).exists()


def test_my_week_page(web, l2_agent, l3_agent, ticket):
    services.time_entry_log(actor=l2_agent, ticket=ticket, minutes=90)
    services.time_entry_log(actor=l3_agent, ticket=ticket, minutes=20)
    response = web.get(reverse("worklog:mine"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "1h 30m" in body and ticket.number in body
    assert "20m" not in body  # another person's entry
    assert 'name="user"' not in body  # the person filter is for managers


def test_my_week_page_manager_filters_by_person(manager, l2_agent, l3_agent, ticket):
    services.time_entry_log(actor=l2_agent, ticket=ticket, minutes=90)
    services.time_entry_log(actor=l3_agent, ticket=ticket, minutes=20)
    client = Client()
    client.force_login(manager)
    body = client.get(reverse("worklog:mine")).content.decode()
    assert 'name="user"' in body and "1h 50m" in body
    body = client.get(reverse("worklog:mine"), {"user": l3_agent.pk}).content.decode()
    assert "20m" in body and "1h 30m" not in body


def test_my_week_page_bad_range_shows_an_error(web):
    today = timezone.localdate()
    response = web.get(
        reverse("worklog:mine"),
        {"date_from": today.isoformat(), "date_to": (today - timedelta(days=3)).isoformat()},
    )
    assert response.status_code == 422
    assert "start date is after the end date" in response.content.decode()


def test_my_week_page_query_count_is_bounded(web, l2_agent, app_support):
    for n in range(6):
        services.time_entry_log(
            actor=l2_agent, ticket=make_ticket(l2_agent, title=f"T{n}"), minutes=10 + n
        )
    with CaptureQueriesContext(connection) as ctx:
        assert web.get(reverse("worklog:mine")).status_code == 200
    assert len(ctx.captured_queries) <= 15


# --- API ----------------------------------------------------------------------------------------


def _post(client, number, body):
    return client.post(
        f"/api/v1/tickets/{number}/time", json.dumps(body), content_type="application/json"
    )


def test_api_log_with_minutes_or_duration_and_read_back(api, ticket, l2_agent):
    response = _post(api, ticket.number, {"minutes": 30, "note": "Checked"})
    assert response.status_code == 201, response.content
    first = response.json()
    assert first["minutes"] == 30 and first["ticket"] == ticket.number and first["tier"] == 2
    response = _post(api, ticket.pk, {"duration": "1h 15m"})
    assert response.status_code == 201
    body = api.get(f"/api/v1/tickets/{ticket.number}/time").json()
    assert body["total_minutes"] == 105 and body["entries_count"] == 2
    assert body["per_user"] == [
        {
            "user": {"id": l2_agent.pk, "username": "lena", "name": "Lena Second"},
            "minutes": 105,
            "entries": 2,
        }
    ]
    assert body["per_tier"] == [{"tier": 2, "minutes": 105}]
    assert [e["minutes"] for e in body["entries"]] == [75, 30]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "minutes"),
        ({"minutes": 0}, "minutes"),
        ({"minutes": -5}, "minutes"),
        ({"minutes": 1441}, "minutes"),
        ({"minutes": "lots"}, "minutes"),
        ({"duration": "soon"}, "duration"),
        ({"duration": "25h"}, "duration"),
        ({"minutes": 10, "duration": "10m"}, "duration"),
        ({"minutes": 10, "note": "x" * 301}, "note"),
        ({"minutes": 10, "spent_at": "2999-01-01T00:00:00Z"}, "spent_at"),
        ({"minutes": 10, "spent_at": "yesterday"}, "spent_at"),
        ({"minutes": 10, "user": 999999}, "user"),
    ],
)
def test_api_bad_input_is_a_4xx_naming_the_field_and_stores_nothing(api, ticket, body, field):
    response = _post(api, ticket.number, body)
    assert 400 <= response.status_code < 500, response.content
    assert response.json()["field"] == field
    assert not TimeEntry.objects.exists()
    assert not TicketEvent.objects.filter(kind=EventKind.TIME_LOGGED).exists()


def test_api_unknown_ticket_is_404(api):
    assert _post(api, "INC-999999", {"minutes": 5}).status_code == 404
    assert api.get("/api/v1/tickets/INC-999999/time").status_code == 404


def test_api_requester_is_refused(requester, ticket):
    client = api_client_for(requester)
    assert _post(client, ticket.number, {"minutes": 5}).status_code in (403, 404)
    assert client.get("/api/v1/time").status_code == 403
    assert not TimeEntry.objects.exists()


def test_api_agent_cannot_log_for_someone_else(api, ticket, l3_agent):
    response = _post(api, ticket.number, {"minutes": 5, "user": l3_agent.pk})
    assert response.status_code == 403
    assert not TimeEntry.objects.exists()


def test_api_manager_logs_for_an_agent(manager, ticket, l3_agent, engineering):
    response = _post(api_client_for(manager), ticket.number, {"minutes": 5, "user": l3_agent.pk})
    assert response.status_code == 201
    assert response.json()["user"]["id"] == l3_agent.pk
    assert response.json()["team"]["id"] == engineering.pk


def test_api_delete(api, ticket, l2_agent, l1_agent):
    own = services.time_entry_log(actor=l2_agent, ticket=ticket, minutes=10)
    other = services.time_entry_log(actor=l1_agent, ticket=ticket, minutes=10)
    assert api.delete(f"/api/v1/time/{other.pk}").status_code == 403
    assert api.delete(f"/api/v1/time/{own.pk}").status_code == 204
    assert api.delete(f"/api/v1/time/{own.pk}").status_code == 404
    assert api.delete("/api/v1/time/0").status_code == 422
    assert list(TimeEntry.objects.values_list("pk", flat=True)) == [other.pk]


def test_api_report_with_filters_and_totals(manager, l2_agent, l3_agent, ticket, engineering):
    services.time_entry_log(actor=l2_agent, ticket=ticket, minutes=30)
    services.time_entry_log(actor=l3_agent, ticket=ticket, minutes=20)
    client = api_client_for(manager)
    body = client.get("/api/v1/time").json()
    assert body["count"] == 2 and body["totals"]["minutes"] == 50
    assert body["totals"]["per_tier"] == [{"tier": 2, "minutes": 30}, {"tier": 3, "minutes": 20}]
    body = client.get(f"/api/v1/time?team={engineering.pk}").json()
    assert [i["user"]["id"] for i in body["items"]] == [l3_agent.pk]
    body = client.get(f"/api/v1/time?user={l2_agent.pk}&tier=2").json()
    assert body["totals"]["minutes"] == 30
    today = timezone.localdate()
    body = client.get(f"/api/v1/time?from={today.isoformat()}&to={today.isoformat()}").json()
    assert body["count"] == 2
    old = (today - timedelta(days=5)).isoformat()
    body = client.get(f"/api/v1/time?from={old}&to={old}").json()
    assert body["count"] == 0 and body["totals"]["minutes"] == 0
    body = client.get("/api/v1/time?page_size=1&page=2").json()
    assert body["pages"] == 2 and len(body["items"]) == 1 and body["totals"]["minutes"] == 50


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("tier=4", "tier"),
        ("from=tomorrow", "from"),
        ("from=2026-05-02&to=2026-05-01", "from"),
        ("page_size=500", "page_size"),
    ],
)
def test_api_report_bad_filters(api, query, field):
    response = api.get(f"/api/v1/time?{query}")
    assert response.status_code in (400, 422)
    assert response.json()["field"] == field


def test_api_agent_report_is_their_own(api, l2_agent, l3_agent, ticket):
    services.time_entry_log(actor=l2_agent, ticket=ticket, minutes=30)
    services.time_entry_log(actor=l3_agent, ticket=ticket, minutes=20)
    body = api.get("/api/v1/time").json()
    assert [i["minutes"] for i in body["items"]] == [30]
    assert api.get(f"/api/v1/time?user={l3_agent.pk}").status_code == 403


def test_api_schema_documents_the_endpoints(web):
    paths = web.get("/api/v1/openapi.json").json()["paths"]
    assert {"get", "post"} <= set(paths["/api/v1/tickets/{number}/time"])
    assert "delete" in paths["/api/v1/time/{entry_id}"]
    params = {p["name"] for p in paths["/api/v1/time"]["get"]["parameters"]}
    assert {"user", "team", "tier", "from", "to", "page", "page_size"} <= params
