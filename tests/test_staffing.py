"""Staffing: Erlang C against independent sums, the simulation against Erlang C, the forecast on
a fixture with a known arrival rate and handle time, schedules, the API and the pages."""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from fractions import Fraction
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st

from backline.accounts.choices import Role
from backline.accounts.models import TeamMembership
from backline.core.errors import Conflict, DomainError, PermissionDenied
from backline.staffing import erlang, queries, rules, services
from backline.staffing.models import Schedule
from backline.staffing.simulation import simulate, simulate_erlang
from backline.tickets.choices import EventKind
from backline.tickets.models import TicketEvent
from backline.worklog.models import TimeEntry
from tests.conftest import api_client_for
from tests.factories import TeamFactory, UserFactory, make_ticket

BERLIN = ZoneInfo("Europe/Berlin")
NOW = datetime(2026, 3, 2, 0, 0, tzinfo=BERLIN)  # a Monday; the 8 weeks before hold no DST change
MONDAY_10 = 10  # hour of the week: Monday 10:00–11:00


# --- independent reference: the textbook sum of terms, exact with fractions ------------------


def textbook_erlang_c(n: int, a: Fraction) -> Fraction:
    """C(N, A) = (A^N/N! · N/(N−A)) / (Σ_{k<N} A^k/k! + A^N/N! · N/(N−A))."""
    top = a**n / math.factorial(n) * Fraction(n) / (n - a)
    return top / (sum(a**k / math.factorial(k) for k in range(n)) + top)


def textbook_sl(n: int, a: Fraction, t_over_aht: float) -> float:
    if n <= a:
        return 0.0
    return 1 - float(textbook_erlang_c(n, a)) * math.exp(-float(n - a) * t_over_aht)


def textbook_required(a: Fraction, share: float, t_over_aht: float) -> int:
    n = math.floor(a) + 1
    while textbook_sl(n, a, t_over_aht) < share:
        n += 1
    return n


# --- erlang ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("n", "a"),
    [
        (1, Fraction(1, 2)),
        (3, Fraction(2)),
        (5, Fraction(9, 2)),
        (12, Fraction(10)),
        (40, Fraction(33)),
    ],
)
def test_erlang_c_equals_the_textbook_sum(n, a):
    assert erlang.erlang_c(n, float(a)) == pytest.approx(float(textbook_erlang_c(n, a)), rel=1e-12)


def test_erlang_c_is_stable_for_hundreds_of_agents():
    a = Fraction(450)
    exact = float(textbook_erlang_c(480, a))
    assert erlang.erlang_c(480, 450.0) == pytest.approx(exact, rel=1e-9)
    assert 0 < exact < 1


def test_published_reference_values():
    # The classic call-centre example: 8 Erlangs on 10 agents wait with probability 0.4092.
    assert erlang.erlang_c(10, 8.0) == pytest.approx(0.4092, abs=5e-5)
    # 100 calls per half hour, 3 min handling, 80 % within 20 s: 13 agents give 79.6 %,
    # 14 give 88.8 %.
    sl13 = erlang.service_level(13, 10.0, 20, 180)
    sl14 = erlang.service_level(14, 10.0, 20, 180)
    assert (round(sl13, 3), round(sl14, 3)) == (0.796, 0.888)
    assert erlang.required_agents(200, 3 / 60, target_share=0.8, target_time=20 / 3600) == 14


def test_asa_and_occupancy():
    assert erlang.average_speed_of_answer(3, 2.0, 30) == pytest.approx(
        float(textbook_erlang_c(3, Fraction(2))) * 30 / 1
    )
    assert erlang.occupancy(4, 2.0) == 0.5
    assert erlang.average_speed_of_answer(2, 2.0, 30) == math.inf
    assert erlang.service_level(2, 2.0, 30, 30) == 0.0


@pytest.mark.parametrize(
    ("rate", "aht", "share", "t"),
    [(4, 0.5, 0.8, 0.5), (12, 0.25, 0.9, 0.1), (1, 2.0, 0.8, 0.5), (300, 0.1, 0.95, 0.02)],
)
def test_required_agents_is_the_smallest_n_meeting_the_target(rate, aht, share, t):
    n = erlang.required_agents(rate, aht, target_share=share, target_time=t)
    a = Fraction(rate) * Fraction(aht)
    assert n == textbook_required(a, share, t / aht)
    assert n > rate * aht
    assert erlang.service_level(n, rate * aht, t, aht) >= share
    assert n - 1 <= rate * aht or erlang.service_level(n - 1, rate * aht, t, aht) < share


def test_occupancy_cap_adds_agents_and_no_load_needs_nobody():
    assert erlang.required_agents(4, 0.5, target_share=0.8, target_time=0.5) == 3
    assert erlang.required_agents(4, 0.5, target_share=0.8, target_time=0.5, max_occupancy=0.5) == 4
    assert erlang.required_agents(0, 0.5, target_share=0.8, target_time=0.5) == 0
    with pytest.raises(ValueError, match="target share"):
        erlang.required_agents(4, 0.5, target_share=1.0, target_time=0.5)


@settings(max_examples=60, deadline=None)
@given(
    load=st.floats(min_value=0.05, max_value=80),
    t_over_aht=st.floats(min_value=0, max_value=3),
    extra=st.integers(min_value=1, max_value=40),
)
def test_service_level_grows_with_agents(load, t_over_aht, extra):
    n = math.floor(load) + extra
    assert erlang.service_level(n + 1, load, t_over_aht, 1.0) >= erlang.service_level(
        n, load, t_over_aht, 1.0
    )


@settings(max_examples=60, deadline=None)
@given(
    rate=st.floats(min_value=0.1, max_value=200),
    more=st.floats(min_value=0, max_value=50),
    aht=st.floats(min_value=0.05, max_value=1.5),
    share=st.floats(min_value=0.5, max_value=0.95),
)
def test_required_agents_grow_with_the_arrival_rate(rate, more, aht, share):
    def need(r: float) -> int:
        return erlang.required_agents(r, aht, target_share=share, target_time=0.5)

    assert need(rate + more) >= need(rate)


# --- simulation --------------------------------------------------------------------------------


def test_replay_serves_first_come_first_served():
    result = simulate([0, 0, 0, 5], [1, 1, 1, 2], 2, target_wait=0.5)
    assert result.waits == (0, 0, 1, 0)
    assert result.share_within == pytest.approx(3 / 4)
    assert result.mean_wait == pytest.approx(0.25)
    assert result.utilisation == pytest.approx(5 / (2 * 7))


def test_replay_follows_staffing_steps_without_interrupting_work():
    # Nobody on duty until 2, one agent from 2, none again from 2.5: the call started at 2 is
    # finished, the second one waits for the agent who comes back at 4.
    result = simulate([0, 1], [1, 1], [(0, 0), (2, 1), (2.5, 0), (4, 1)], target_wait=1.5)
    assert result.waits == (2, 3)
    assert result.share_within == 0


# The tolerance documented in docs/staffing.md: ±0.02 absolute on the share answered in time.
SIM_TOLERANCE = 0.02


@pytest.mark.parametrize(
    ("rate", "aht", "agents", "t"),
    [(4, 0.5, 3, 0.5), (6, 0.5, 4, 0.25), (10, 0.25, 4, 0.1), (2, 1.0, 3, 0.5)],
)
def test_simulation_agrees_with_erlang_c(rate, aht, agents, t):
    sim = simulate_erlang(rate, aht, agents, target_wait=t, duration=6000, seed=7)
    load = rate * aht
    assert sim.calls > 10_000
    assert abs(sim.share_within - erlang.service_level(agents, load, t, aht)) <= SIM_TOLERANCE
    assert sim.mean_wait == pytest.approx(
        erlang.average_speed_of_answer(agents, load, aht), rel=0.1
    )
    assert sim.utilisation == pytest.approx(load / agents, abs=0.02)


def test_simulation_is_reproducible_with_a_seed():
    a = simulate_erlang(4, 0.5, 3, target_wait=0.5, duration=200, seed=5)
    b = simulate_erlang(4, 0.5, 3, target_wait=0.5, duration=200, seed=5)
    c = simulate_erlang(4, 0.5, 3, target_wait=0.5, duration=200, seed=6)
    assert a == b
    assert a.waits != c.waits


# --- fixture with a known arrival rate and handle time -----------------------------------------


@pytest.fixture
def team_x(db):
    return TeamFactory(name="Team X", tier=2)


@pytest.fixture
def x_lead(team_x):
    user = UserFactory(username="xlead", first_name="Xena", last_name="Lead")
    TeamMembership.objects.create(user=user, team=team_x, is_lead=True)
    return user


@pytest.fixture
def x_engineer(team_x):
    return UserFactory(username="xeng", first_name="Ed", last_name="Engineer", teams=[team_x])


def load_history(team_x, engineer, l1_agent, other_team, mondays) -> list:
    """4 escalations into Team X each given Monday 10:00–11:00 (local), 30 min logged per ticket
    (in two entries); time another team logged on them does not count."""
    tickets = []
    for monday in mondays:
        for minute in (5, 20, 35, 50):
            at = monday.replace(hour=10, minute=minute)
            ticket = make_ticket(l1_agent)
            TicketEvent.objects.create(
                ticket=ticket,
                kind=EventKind.ESCALATED,
                at=at,
                data={"to_team": {"id": team_x.pk, "name": team_x.name}},
            )
            for minutes in (10, 20):
                TimeEntry.objects.create(
                    ticket=ticket,
                    user=engineer,
                    team=team_x,
                    tier=2,
                    minutes=minutes,
                    spent_at=at + timedelta(hours=1),
                    created_at=at + timedelta(hours=1),
                )
            TimeEntry.objects.create(
                ticket=ticket,
                user=l1_agent,
                team=other_team,
                tier=2,
                minutes=200,
                spent_at=at,
                created_at=at,
            )
            tickets.append(ticket)
    return tickets


@pytest.fixture
def history(team_x, x_engineer, l1_agent, app_support):
    """Exactly 4 escalations every Monday 10:00–11:00 for the 8 weeks before NOW, plus one just
    outside the window and one into another team: neither of those counts."""
    mondays = [NOW - timedelta(weeks=8 - week) for week in range(8)]
    tickets = load_history(team_x, x_engineer, l1_agent, app_support, mondays)
    TicketEvent.objects.create(
        ticket=tickets[0],
        kind=EventKind.ESCALATED,
        at=NOW - timedelta(weeks=8, minutes=1),
        data={"to_team": {"id": team_x.pk, "name": team_x.name}},
    )
    TicketEvent.objects.create(
        ticket=tickets[0],
        kind=EventKind.ESCALATED,
        at=NOW - timedelta(days=7, hours=-10),
        data={"to_team": {"id": team_x.pk + 1000, "name": "Elsewhere"}},
    )
    return tickets


@pytest.fixture
def recent_history(team_x, x_engineer, l1_agent, app_support):
    """The same pattern on the last 8 Mondays before the real clock (for the pages)."""
    now = timezone.localtime(timezone.now().replace(minute=0, second=0, microsecond=0), BERLIN)
    last = (now - timedelta(days=now.weekday())).replace(hour=0)
    if last.replace(hour=10, minute=50) >= now:
        last -= timedelta(days=7)
    mondays = [(last - timedelta(weeks=k)).replace(tzinfo=BERLIN) for k in range(8)]
    return load_history(team_x, x_engineer, l1_agent, app_support, mondays)


def test_arrivals_per_hour_of_the_week_in_local_time(team_x, history):
    rates = queries.arrivals_per_hour(team_x, weeks=8, now=NOW)
    assert len(rates) == 168
    assert rates[MONDAY_10] == 4
    assert sum(rates) == 4


def test_handle_time_is_the_mean_of_the_team_minutes_per_ticket(team_x, history):
    handle = queries.handle_time(team_x, weeks=8, now=NOW)
    assert (handle.minutes, handle.tickets, handle.source) == (30, 32, "window")


def test_handle_time_falls_back_to_all_history(team_x, history):
    later = NOW + timedelta(weeks=20)  # no arrivals in this window
    handle = queries.handle_time(team_x, weeks=8, now=later)
    assert (handle.minutes, handle.source) == (30, "all history")
    empty = TeamFactory(name="Empty", tier=2)
    assert queries.handle_time(empty, now=NOW).source == "none"


def test_forecast_matches_independent_erlang_c(team_x, history, x_engineer, x_lead):
    services.schedule_save(
        actor=x_lead,
        team=team_x,
        user=x_engineer,
        week={"mon": [["08:00", "12:00"]]},
        valid_from=NOW.date() - timedelta(days=30),
    )
    services.schedule_save(
        actor=x_lead,
        team=team_x,
        user=x_lead,
        week={"mon": [["10:30", "17:00"]]},
        valid_from=NOW.date() - timedelta(days=30),
    )
    result = queries.forecast(team_x, target_share=0.8, target_minutes=30, weeks=8, now=NOW)
    hour = result.hours[MONDAY_10]
    expected = textbook_required(Fraction(2), 0.8, 30 / 30)
    assert (hour.rate, hour.aht_minutes, hour.load) == (4, 30, 2)
    assert hour.required == expected == 3
    assert hour.scheduled == 1.5
    assert hour.gap == -1.5
    assert hour.predicted_sl == 0  # one whole head cannot carry 2 Erlangs
    assert result.hours[MONDAY_10 + 1].required == 0
    assert result.hours[MONDAY_10 + 1].scheduled == 2  # both until 12:00
    assert result.totals["required_hours"] == 3
    assert result.totals["short_hours"] == 1
    assert result.totals["scheduled_hours"] == pytest.approx(4 + 6.5)


def test_what_if_volume_and_handle_time(team_x, history):
    result = queries.forecast(team_x, volume_pct=50, handle_pct=-50, now=NOW)
    hour = result.hours[MONDAY_10]
    assert (hour.rate, hour.aht_minutes, hour.load) == (6, 15, 1.5)
    assert hour.required == textbook_required(Fraction(3, 2), 0.8, 30 / 15)
    bigger = queries.forecast(team_x, volume_pct=300, now=NOW).hours[MONDAY_10]
    assert bigger.required == textbook_required(Fraction(8), 0.8, 1) > 3


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("target_share", 1.2),
        ("target_minutes", 0),
        ("weeks", 0),
        ("volume_pct", -100),
        ("handle_pct", -150),
    ],
)
def test_forecast_refuses_bad_input_naming_the_field(team_x, field, value):
    with pytest.raises(DomainError) as caught:
        queries.forecast(team_x, **{field: value})
    assert caught.value.field == field


def test_validate_puts_formula_and_simulation_side_by_side(team_x, history):
    result = queries.forecast(team_x, now=NOW)
    rows = queries.validate(result, duration_hours=3000)
    assert [r["label"] for r in rows] == ["Mon 10:00"]
    assert rows[0]["agents"] == 3
    assert abs(rows[0]["difference"]) <= SIM_TOLERANCE


# --- schedules -------------------------------------------------------------------------------


def test_coverage_counts_part_hours():
    covered = rules.coverage({"tue": [["08:30", "10:00"], ["23:00", "24:00"]]})
    assert covered[24 + 8] == 0.5
    assert covered[24 + 9] == 1
    assert covered[24 + 23] == 1
    assert sum(covered) == 2.5


def test_lead_saves_a_members_schedule_and_versions_guard_it(team_x, x_lead, x_engineer):
    s = services.schedule_save(
        actor=x_lead,
        team=team_x,
        user=x_engineer,
        week={"tue": [["09:00", "17:00"]], "mon": []},
        version=0,
    )
    assert (s.week, s.version) == ({"tue": [["09:00", "17:00"]]}, 1)
    s = services.schedule_save(
        actor=x_lead, team=team_x, user=x_engineer, week={"wed": [["09:00", "12:00"]]}, version=1
    )
    assert s.version == 2
    with pytest.raises(Conflict):
        services.schedule_save(actor=x_lead, team=team_x, user=x_engineer, week={}, version=1)
    assert Schedule.objects.get(pk=s.pk).week == {"wed": [["09:00", "12:00"]]}
    services.schedule_delete(actor=x_lead, schedule=s)
    assert not Schedule.objects.exists()


def test_schedule_refusals_name_the_field(team_x, x_lead, x_engineer, l2_agent):
    with pytest.raises(PermissionDenied):
        services.schedule_save(actor=x_engineer, team=team_x, user=x_engineer, week={})
    with pytest.raises(DomainError) as caught:
        services.schedule_save(actor=x_lead, team=team_x, user=l2_agent, week={})
    assert caught.value.field == "user"
    with pytest.raises(DomainError) as caught:
        services.schedule_save(
            actor=x_lead, team=team_x, user=x_engineer, week={"mon": [["17:00", "08:00"]]}
        )
    assert caught.value.field == "mon"
    with pytest.raises(DomainError) as caught:
        services.schedule_save(actor=x_lead, team=team_x, user=x_engineer, week={"xyz": []})
    assert caught.value.field == "week"
    assert not Schedule.objects.exists()


def test_replacing_a_team_schedule_is_all_or_nothing(team_x, x_lead, x_engineer, manager):
    services.schedule_save(
        actor=manager, team=team_x, user=x_lead, week={"mon": [["08:00", "16:00"]]}
    )
    with pytest.raises(DomainError) as caught:
        services.team_schedule_replace(
            actor=manager,
            team=team_x,
            rows=[
                {"user": x_engineer.pk, "week": {"mon": [["08:00", "12:00"]]}},
                {"user": x_lead.pk, "week": {"fri": [["8", "9"]]}},
            ],
        )
    assert caught.value.field == "members.1.week.fri"
    assert list(Schedule.objects.values_list("user__username", flat=True)) == ["xlead"]
    services.team_schedule_replace(
        actor=manager,
        team=team_x,
        rows=[{"user": x_engineer.pk, "week": {"mon": [["08:00", "12:00"]]}}],
    )
    assert list(Schedule.objects.values_list("user__username", flat=True)) == ["xeng"]


# --- API ---------------------------------------------------------------------------------------


def test_api_forecast(team_x, recent_history, manager):
    client = api_client_for(manager)
    response = client.get(f"/api/v1/staffing/forecast?team={team_x.slug}&volume_pct=100")
    assert response.status_code == 200, response.content
    monday_10 = response.json()["hours"][MONDAY_10]
    assert (monday_10["rate"], monday_10["load"]) == (8, 4)
    assert monday_10["required"] == textbook_required(Fraction(4), 0.8, 1)
    body = response.json()
    assert len(body["hours"]) == 168
    assert body["volume_pct"] == 100
    assert body["handle_time"]["source"] in {"window", "all history"}
    assert body["totals"]["arrivals_per_week"] == pytest.approx(
        sum(h["rate"] for h in body["hours"])
    )


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("target_share=1.5", "target_share"),
        ("target_minutes=-3", "target_minutes"),
        ("weeks=0", "weeks"),
        ("weeks=abc", "weeks"),
        ("volume_pct=-120", "volume_pct"),
        ("handle_pct=lots", "handle_pct"),
    ],
)
def test_api_forecast_bad_input_is_422_naming_the_field(team_x, manager, query, field):
    response = api_client_for(manager).get(f"/api/v1/staffing/forecast?team={team_x.slug}&{query}")
    assert response.status_code == 422
    assert response.json()["field"] == field


def test_api_forecast_permissions(team_x, x_lead, x_engineer, manager):
    assert (
        api_client_for(x_lead).get(f"/api/v1/staffing/forecast?team={team_x.slug}").status_code
        == 200
    )
    assert (
        api_client_for(x_engineer).get(f"/api/v1/staffing/forecast?team={team_x.slug}").status_code
        == 403
    )
    missing = api_client_for(manager).get("/api/v1/staffing/forecast?team=nope")
    assert (missing.status_code, missing.json()["field"]) == (404, "team")


def test_api_schedule_get_and_put(team_x, x_lead, x_engineer):
    client = api_client_for(x_lead)
    url = f"/api/v1/staffing/teams/{team_x.slug}/schedule"
    body = client.get(url).json()
    assert {m["user"]: m["version"] for m in body["members"]} == {"xlead": 0, "xeng": 0}
    payload = {"members": [{"user": "xeng", "week": {"mon": [["08:00", "12:00"]]}, "version": 0}]}
    response = client.put(url, payload, content_type="application/json")
    assert response.status_code == 200, response.content
    rows = {m["user"]: m for m in response.json()["members"]}
    assert (rows["xeng"]["hours_per_week"], rows["xeng"]["version"]) == (4, 1)
    stale = client.put(url, payload, content_type="application/json")
    assert (stale.status_code, stale.json()["field"]) == (409, "version")
    bad = {"members": [{"user": "xeng", "week": {"mon": [["12:00", "08:00"]]}}]}
    response = client.put(url, bad, content_type="application/json")
    assert (response.status_code, response.json()["field"]) == (422, "members.0.week.mon")
    unknown = {"members": [{"user": "ghost", "week": {}}]}
    response = client.put(url, unknown, content_type="application/json")
    assert (response.status_code, response.json()["field"]) == (422, "members.0.user")
    assert Schedule.objects.get().week == {"mon": [["08:00", "12:00"]]}
    assert (
        api_client_for(x_engineer).put(url, payload, content_type="application/json").status_code
        == 403
    )


# --- pages -------------------------------------------------------------------------------------


def _signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_forecast_page_and_htmx_partial(team_x, recent_history, manager):
    client = _signed_in(manager)
    page = client.get(f"/staffing/?team={team_x.slug}")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-hour="10" data-required="3"' in html
    assert "staffing-chart-data" in html
    assert "that arrived in the window" in html or "across all history" in html
    partial = client.get(f"/staffing/?team={team_x.slug}&volume_pct=300", HTTP_HX_REQUEST="true")
    assert partial.status_code == 200
    body = partial.content.decode()
    assert "<html" not in body
    assert f'data-hour="10" data-required="{textbook_required(Fraction(8), 0.8, 1)}"' in body


def test_forecast_page_bad_input_and_permissions(team_x, manager, x_engineer):
    response = _signed_in(manager).get(f"/staffing/?team={team_x.slug}&target_share=2")
    assert response.status_code == 422
    assert "target_share must be between 0 and 1" in response.content.decode()
    response = _signed_in(manager).get(f"/staffing/?team={team_x.slug}&weeks=many")
    assert response.status_code == 422
    response = _signed_in(manager).get(f"/staffing/?team={team_x.slug}&target_share=lots%25")
    assert response.status_code == 422
    response = _signed_in(manager).get(f"/staffing/?team={team_x.slug}&target_share=90%25")
    assert response.status_code == 200
    assert (
        'name="target_share" step="0.01" min="0.01" max="0.99" value="0.9"'
        in response.content.decode()
    )
    assert _signed_in(x_engineer).get("/staffing/").status_code == 403


def test_validate_action_shows_formula_and_simulation(team_x, recent_history, manager):
    response = _signed_in(manager).get(
        f"/staffing/validate?team={team_x.slug}", HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "Formula vs simulation" in html
    assert "Mon 10:00" in html


def test_schedule_editor_saves_and_refuses_bad_hours(team_x, x_lead, x_engineer):
    client = _signed_in(x_lead)
    url = f"/staffing/{team_x.slug}/schedule"
    assert client.get(url).status_code == 200
    data = {
        f"u{x_engineer.pk}-mon": "08:00-12:00, 13:00-17:00",
        f"u{x_engineer.pk}-version": "0",
        f"u{x_lead.pk}-version": "0",
    }
    assert client.post(url, data).status_code == 302
    assert Schedule.objects.get(user=x_engineer).week == {
        "mon": [["08:00", "12:00"], ["13:00", "17:00"]]
    }
    bad = {
        f"u{x_engineer.pk}-tue": "nine to five",
        f"u{x_engineer.pk}-version": "1",
        f"u{x_lead.pk}-version": "0",
    }
    response = client.post(url, bad)
    assert response.status_code == 422
    assert "Write hours like 08:00-17:00" in response.content.decode()
    stale = {
        f"u{x_engineer.pk}-mon": "09:00-10:00",
        f"u{x_engineer.pk}-version": "0",
        f"u{x_lead.pk}-version": "0",
    }
    response = client.post(url, stale)
    assert response.status_code == 409
    assert Schedule.objects.get(user=x_engineer).version == 1
    assert _signed_in(x_engineer).get(url).status_code == 403


def test_managers_and_leads_only(team_x, x_lead, requester):
    other = TeamFactory(name="Other", tier=2)
    assert _signed_in(x_lead).get(f"/staffing/?team={other.slug}").status_code == 403
    assert _signed_in(x_lead).get("/staffing/").status_code == 200
    manager2 = UserFactory(username="m2", role=Role.MANAGER)
    assert _signed_in(manager2).get(f"/staffing/{other.slug}/schedule").status_code == 200


def test_hours_are_local_across_a_dst_change(team_x, x_engineer, l1_agent, app_support):
    now = datetime(2026, 4, 13, 0, 0, tzinfo=BERLIN)  # summer time began on 2026-03-29
    load_history(
        team_x, x_engineer, l1_agent, app_support, [now - timedelta(weeks=k) for k in (1, 2, 3, 4)]
    )
    rates = queries.arrivals_per_hour(team_x, weeks=4, now=now)
    assert rates[MONDAY_10] == 4
    assert sum(rates) == 4


def test_forecast_reads_in_a_few_queries(team_x, history, django_assert_max_num_queries):
    with django_assert_max_num_queries(6):
        result = queries.forecast(team_x, now=NOW)
    assert len(result.hours) == 168


def test_effort_load_on_the_demo(db):
    from django.db.models import F, Sum

    from backline.accounts.models import Team
    from backline.demo.effort import effort_load
    from backline.demo.generate import load_demo
    from backline.tickets.models import Ticket

    load_demo(seed=7, tickets=200, password="demo-pass")  # which calls effort_load
    assert Schedule.objects.count() == TeamMembership.objects.count()
    assert TimeEntry.objects.count() > 200
    assert effort_load(seed=11) == {"schedules": 0, "time_entries": 0}  # once only
    assert not TimeEntry.objects.filter(spent_at__lt=F("ticket__created_at")).exists()
    totals: dict[int, list[int]] = {1: [], 2: [], 3: []}
    for tier, total in (
        TimeEntry.objects.values("ticket_id", "team__tier")
        .annotate(total=Sum("minutes"))
        .values_list("team__tier", "total")
    ):
        totals[tier].append(total)
    means = {tier: sum(v) / len(v) for tier, v in totals.items()}
    assert 5 <= means[1] <= 30
    assert 30 <= means[2] <= 240
    assert means[3] > means[2] / 2
    assert Ticket.objects.filter(time_entries__isnull=False).distinct().count() > 150
    # the L2 leads start late on Mondays, so the Monday morning shows a gap
    app_support = Team.objects.get(name="Application Support")
    lead = TeamMembership.objects.get(team=app_support, is_lead=True).user
    week = Schedule.objects.get(team=app_support, user=lead).week
    assert week["mon"] == [["11:00", "18:00"]] and week["tue"] == [["08:00", "17:00"]]
    assert effort_load(seed=11) == {"schedules": 0, "time_entries": 0}
