"""Analytics: every metric of DESIGN.md on a hand-built week, checked against values worked out
by hand (the arithmetic is in the comments), plus facts maintenance and the filters."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from backline.analytics import filters as analytics_filters
from backline.analytics import queries, services
from backline.analytics.models import FactDirty, TicketFact
from backline.core.errors import DomainError
from backline.escalation import services as escalation
from backline.escalation.models import Escalation
from backline.problems.services import problem_create
from backline.satisfaction.services import rating_submit
from backline.tickets import services as tickets
from backline.tickets.choices import Level

pytestmark = pytest.mark.django_db

L2_PACKAGE = {
    "summary": "CRM crashes on every sales report",
    "impact_users": 40,
    "steps_taken": "Other browser, cleared cache, another account: same crash.",
}
L3_PACKAGE = {
    **L2_PACKAGE,
    "reproduction_steps": "Open Reports > Sales > Q1, press Run.",
    "log_excerpts": "ERROR ReportEngine NullPointerException at line 42",
}
P1 = {"impact": Level.HIGH, "urgency": Level.HIGH}


def t(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


def pending(ticket) -> Escalation:
    return Escalation.objects.get(ticket=ticket, state="pending")


def resolve(actor, ticket, at, **kw):
    kw.setdefault("resolution_code", "fixed")
    kw.setdefault("resolution_notes", "Fixed it.")
    return tickets.ticket_transition(actor=actor, ticket=ticket, action="resolve", at=at, **kw)


def start(actor, ticket, at):
    return tickets.ticket_transition(actor=actor, ticket=ticket, action="start", at=at)


@pytest.fixture
def week(l1_agent, l2_agent, l3_agent, service_desk, app_support, engineering, requester):
    """The week of Monday 2 March 2026 (Europe/Berlin, UTC+1) and two tickets from before it.

    A  P1  Mon 09:00  L1 starts 09:10, escalates 09:20, L2 accepts 09:30, resolves 11:00; rated 5
    B  P3  Mon 10:00  L1 starts 10:30, resolves 12:00 with a known error; reopened Tue 08:00,
                      resolved again Tue 09:00
    I  P1  Tue 12:00  L1 starts 12:40 (first response breached), resolves 17:00 (resolution
                      breached)
    C  P3  Wed 08:00  escalated 08:30, returned 09:00 as solvable at L1, L1 starts 09:30,
                      resolves 10:00; rated 2
    D  P3  Thu 14:00  escalated 14:30, L2 accepts 15:30, escalates to L3 16:00, L3 accepts Fri 08:00
    E  P3  Fri 16:00  open
    G  P3  Sat 10:00  cancelled 11:00
    F  P3  Fri 20 Feb open (backlog only)
    H  P3  Wed 25 Feb L1 starts 10:05, resolves Mon 2 Mar 09:00; rated 4
    All times UTC. A, B and C are linked to one problem (three incidents: recurring).
    """
    mk = {"actor": l1_agent, "team": service_desk, "assignee": l1_agent, "requester": requester}
    f = tickets.ticket_create(title="F old printer", at=t(2, 20, 10), **mk)
    h = tickets.ticket_create(title="H VPN drops", at=t(2, 25, 10), **mk)
    start(l1_agent, h, t(2, 25, 10, 5))
    h = resolve(l1_agent, h, t(3, 2, 9))

    a = tickets.ticket_create(title="A CRM crashes", at=t(3, 2, 9), **P1, **mk)
    a = start(l1_agent, a, t(3, 2, 9, 10))
    escalation.escalation_create(
        actor=l1_agent, ticket=a, to_team=app_support, at=t(3, 2, 9, 20), **L2_PACKAGE
    )
    escalation.escalation_accept(
        actor=l2_agent, escalation=pending(a), assign_to_self=True, at=t(3, 2, 9, 30)
    )
    a.refresh_from_db()
    a = start(l2_agent, a, t(3, 2, 10))
    a = resolve(l2_agent, a, t(3, 2, 11))

    b = tickets.ticket_create(title="B report slow", at=t(3, 2, 10), **mk)
    b = start(l1_agent, b, t(3, 2, 10, 30))
    b = resolve(l1_agent, b, t(3, 2, 12), resolution_code="known_error")
    b = tickets.ticket_transition(actor=l1_agent, ticket=b, action="reopen", at=t(3, 3, 8))
    b = resolve(l1_agent, b, t(3, 3, 9))

    i = tickets.ticket_create(title="I mail down", at=t(3, 3, 12), **P1, **mk)
    i = start(l1_agent, i, t(3, 3, 12, 40))
    i = resolve(l1_agent, i, t(3, 3, 17))

    c = tickets.ticket_create(title="C password", at=t(3, 4, 8), **mk)
    escalation.escalation_create(
        actor=l1_agent, ticket=c, to_team=app_support, at=t(3, 4, 8, 30), **L2_PACKAGE
    )
    escalation.escalation_return(
        actor=l2_agent,
        escalation=pending(c),
        reason="lower_tier",
        guidance="Reset it in the directory; the KB article explains how.",
        at=t(3, 4, 9),
    )
    c.refresh_from_db()
    c = start(l1_agent, c, t(3, 4, 9, 30))
    c = resolve(l1_agent, c, t(3, 4, 10))

    d = tickets.ticket_create(title="D invoices wrong", at=t(3, 5, 14), **mk)
    escalation.escalation_create(
        actor=l1_agent, ticket=d, to_team=app_support, at=t(3, 5, 14, 30), **L2_PACKAGE
    )
    escalation.escalation_accept(
        actor=l2_agent, escalation=pending(d), assign_to_self=True, at=t(3, 5, 15, 30)
    )
    d.refresh_from_db()
    escalation.escalation_create(
        actor=l2_agent, ticket=d, to_team=engineering, at=t(3, 5, 16), **L3_PACKAGE
    )
    escalation.escalation_accept(
        actor=l3_agent, escalation=pending(d), assign_to_self=True, at=t(3, 6, 8)
    )

    e = tickets.ticket_create(title="E new laptop", at=t(3, 6, 16), **mk)
    g = tickets.ticket_create(title="G duplicate", at=t(3, 7, 10), **mk)
    tickets.ticket_transition(
        actor=l1_agent, ticket=g, action="cancel", note="Raised twice.", at=t(3, 7, 11)
    )
    problem_create(actor=l1_agent, title="CRM reports", tickets=[a, b, c], at=t(3, 6, 9))
    rating_submit(ticket=a, score=5, at=t(3, 2, 12))
    rating_submit(ticket=c, score=2, at=t(3, 4, 11))
    rating_submit(ticket=h, score=4, at=t(3, 2, 10))
    services.facts_sync()
    return {"A": a, "B": b, "C": c, "D": d, "E": e, "F": f, "G": g, "H": h, "I": i}


def the_week(**extra) -> analytics_filters.Filters:
    return analytics_filters.parse({"start": "2026-03-02", "end": "2026-03-08", **extra})


def test_every_metric_matches_the_hand_computed_week(week):
    s = queries.summary(the_week())
    # Created in the week: A B I C D E G = 7; reached L2 or above: A C D.
    assert (s["created"], s["reached_t2"], s["escalation_rate"]) == (7, 3, 0.4286)
    # Resolved in the week (current resolution): H (Mon 09:00), A, B (Tue), I, C = 5;
    # never left L1: H B I.
    assert (s["resolved"], s["l1_resolved"], s["l1_resolution_rate"]) == (5, 3, 0.6)
    # Escalated: A C D; C bounced once.
    assert (s["escalated"], s["bounced"], s["bounce_rate"]) == (3, 1, 0.3333)
    assert (s["bounces"], s["bounces_per_ticket"]) == (1, 0.3333)
    # First response: A 10, B 30, I 40, C 90 min -> mean 42.5, median (30 + 40) / 2.
    assert (s["responded"], s["mtta_mean_min"], s["mtta_median_min"]) == (4, 42.5, 35.0)
    # Acceptance: L2 A 10 min and D 60 min; L3 D 16 h.
    assert s["acceptance"] == [
        {"tier": 2, "accepted": 2, "mean_min": 35.0, "median_min": 35.0},
        {"tier": 3, "accepted": 1, "mean_min": 960.0, "median_min": 960.0},
    ]
    # Wall clock: A 2 h, B 23 h, C 2 h, H 119 h, I 5 h -> mean 151 / 5 = 30.2 h, median 5 h.
    assert (s["mttr_mean_h"], s["mttr_median_h"]) == (30.2, 5.0)
    # Business time: A 120 (24x7), B Mon 11:00-18:00 + Tue 08:00-10:00 local = 540, C 120,
    # H Wed 11:00-18:00 + Thu + Fri + Mon 08:00-10:00 = 420 + 600 + 600 + 120 = 1740, I 300 (24x7)
    # -> mean 2820 / 5 = 564 min = 9.4 h, median 300 min = 5 h.
    assert (s["mttr_business_mean_h"], s["mttr_business_median_h"]) == (9.4, 5.0)
    # First resolved in the week: H A B I C; B was reopened.
    assert (s["first_resolved"], s["reopened"], s["reopen_rate"]) == (5, 1, 0.2)
    # A B C are linked to a problem with three incidents.
    assert (s["recurring"], s["recurrence_rate"]) == (3, 0.4286)
    # Ratings of tickets resolved in the week: A 5, C 2, H 4.
    assert (s["rated"], s["satisfied"], s["csat_share"], s["csat_mean"]) == (3, 2, 0.6667, 3.67)
    # L1-resolved: H B I; B solved with a known error.
    assert (s["kb_deflected"], s["kb_deflection"]) == (1, 0.3333)
    # Reached L2: A C D; C returned as solvable at a lower tier.
    assert (s["l2"], s["l1_capable"], s["l1_capable_share"]) == (3, 1, 0.3333)
    sla = {row["target"]: (row["met"], row["decided"], row["compliance"]) for row in s["sla"]}
    # First response: A B C met, I breached (40 > 15); D E open, G cancelled: undecided.
    assert sla["sla_response"] == (3, 4, 0.75)
    # Resolution: A B C met, I breached (300 > 240).
    assert sla["sla_resolution"] == (3, 4, 0.75)
    # L2 acceptance OLA (P1 only): A in 10 of 15 minutes.
    assert sla["ola_accept_t2"] == (1, 1, 1.0)
    assert sla["ola_accept_t3"] == (0, 0, None)
    assert s["sla_breaches"] == 2


def test_series_and_breakdowns_match_the_week(week, service_desk, app_support, engineering):
    f = the_week()
    assert [(r["bucket"], r["created"], r["escalated"]) for r in queries.volume_series(f)] == [
        ("2026-03-02", 2, 1),
        ("2026-03-03", 1, 0),
        ("2026-03-04", 1, 1),
        ("2026-03-05", 1, 1),
        ("2026-03-06", 1, 0),
        ("2026-03-07", 1, 0),
    ]
    by_priority = {r["priority"]: r for r in queries.mttr_by_priority(f)}
    # P1: A 120, I 300 business minutes; P3: B 540, C 120, H 1740.
    assert (by_priority[1]["mean_h"], by_priority[1]["median_h"]) == (3.5, 3.5)
    assert (by_priority[3]["resolved"], by_priority[3]["mean_h"], by_priority[3]["median_h"]) == (
        3,
        13.33,
        9.0,
    )
    assert by_priority[2]["resolved"] == 0 and by_priority[2]["mean_h"] is None
    backlog = queries.backlog(f)
    # At Mon 9 Mar 00:00 local: E 2 d 7 h old, D 4 d 9 h, F 16 d 13 h.
    assert backlog["total"] == 3
    rows = {r["team"]: r["buckets"] for r in backlog["teams"]}
    assert rows == {"Service Desk": [0, 1, 0, 1, 0], "Engineering": [0, 0, 1, 0, 0]}
    assert queries.bounce_pairs(f) == [
        {
            "from_team": "Application Support",
            "to_team": "Service Desk",
            "tiers": "L2 → L1",
            "bounces": 1,
            "tickets": 1,
        }
    ]
    by_tier = {
        r["key"]: (r["rated"], r["share"], r["mean"]) for r in queries.csat_by(f, "resolved_tier")
    }
    assert by_tier == {1: (2, 0.5, 3.0), 2: (1, 1.0, 5.0)}
    clusters = queries.recurring_clusters(f)
    assert [(c["kind"], c["incidents"]) for c in clusters] == [("problem", 3)]


def test_filters_narrow_every_cohort(week, app_support):
    s = queries.summary(the_week(priority=1))
    assert (s["created"], s["resolved"], s["sla_breaches"]) == (2, 2, 2)
    l3 = queries.summary(the_week(tier=3))
    assert (l3["created"], l3["reached_t2"], l3["resolved"]) == (1, 1, 0)
    team = queries.summary(the_week(team=app_support.pk))
    # The team is the ticket's current one: A, resolved in L2, is the only one still there.
    assert (team["created"], team["resolved"], team["escalation_rate"]) == (1, 1, 1.0)


def test_each_number_lists_the_tickets_behind_it(week, manager):
    f = the_week()
    numbers = lambda key: sorted(x.ticket.title[0] for x in queries.show_tickets(f, key, manager))  # noqa: E731
    assert numbers("reached_t2") == ["A", "C", "D"]
    assert numbers("l1_resolved") == ["B", "H", "I"]
    assert numbers("breached:sla_resolution") == ["I"]
    assert numbers("reopened") == ["B"]
    assert numbers("recurring") == ["A", "B", "C"]
    assert numbers("backlog:d7_30") == ["F"]
    assert numbers("l1_capable") == ["C"]
    assert numbers("kb_deflected") == ["B"]


def test_previous_period_is_the_week_before(week):
    previous = queries.summary(the_week().previous())
    # Only H was created in the week of 23 February, and nothing was resolved in it.
    assert (previous["created"], previous["resolved"]) == (1, 0)


def test_every_event_marks_its_ticket_and_sync_rebuilds_it(week, l1_agent):
    e = week["E"]
    assert not FactDirty.objects.exists()
    e = start(l1_agent, e, t(3, 6, 16, 20))
    assert FactDirty.objects.filter(ticket_id=e.pk).exists()
    assert TicketFact.objects.get(ticket=e).first_response_s is None
    services.facts_sync()
    assert TicketFact.objects.get(ticket=e).first_response_s == 1200
    assert not FactDirty.objects.exists()


def test_a_mark_made_during_a_rebuild_survives_it(week):
    e = week["E"]
    services.facts_mark_dirty([e.pk])
    token = FactDirty.objects.get(ticket_id=e.pk).token
    services.facts_mark_dirty([e.pk])  # marked again: a new token
    FactDirty.objects.filter(ticket_id__in=[e.pk], token__in=[token]).delete()
    assert FactDirty.objects.filter(ticket_id=e.pk).exists()


def test_rebuild_recomputes_the_same_facts(week):
    before = {
        f.ticket_id: {k: v for k, v in vars(f).items() if k not in ("_state", "refreshed_at")}
        for f in TicketFact.objects.all()
    }
    TicketFact.objects.all().delete()
    assert services.facts_rebuild() == len(before)
    after = {
        f.ticket_id: {k: v for k, v in vars(f).items() if k not in ("_state", "refreshed_at")}
        for f in TicketFact.objects.all()
    }
    assert after == before


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"period": "fortnight"}, "period"),
        ({"start": "2026-03-09", "end": "2026-03-01"}, "end"),
        ({"start": "yesterday", "end": "2026-03-01"}, "start"),
        ({"period": "30d", "priority": "7"}, "priority"),
        ({"period": "30d", "team": "x"}, "team"),
        ({"start": "2020-01-01", "end": "2026-03-01"}, "end"),
    ],
)
def test_bad_filters_name_the_field(params, field):
    with pytest.raises(DomainError) as info:
        analytics_filters.parse(params)
    assert info.value.field == field


def test_dashboard_page_shows_the_week_and_links_each_number(week, manager, client):
    client.force_login(manager)
    response = client.get("/analytics/", {"start": "2026-03-02", "end": "2026-03-08"})
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-card="escalation_rate"' in html and "42.9 %" in html
    assert "show=reached_t2" in html
    drill = client.get(
        "/analytics/tickets",
        {"start": "2026-03-02", "end": "2026-03-08", "show": "breached:sla_resolution"},
    )
    assert drill.status_code == 200
    assert week["I"].number in drill.content.decode()
    assert week["A"].number not in drill.content.decode()


def test_dashboard_refuses_bad_filters_with_a_clear_message(manager, client):
    client.force_login(manager)
    response = client.get("/analytics/", {"period": "fortnight"})
    assert response.status_code == 422
    assert "period must be one of" in response.content.decode()
    assert client.get("/analytics/tickets", {"show": "nonsense"}).status_code == 422


def test_requesters_cannot_see_the_dashboard(requester, client):
    client.force_login(requester)
    assert client.get("/analytics/").status_code == 403


def test_exports_serve_every_table_as_csv_and_json(week, manager, client):
    client.force_login(manager)
    params = {"start": "2026-03-02", "end": "2026-03-08"}
    csv_body = client.get("/analytics/export/volume.csv", params).content.decode()
    assert csv_body.splitlines()[:2] == ["bucket,created,escalated,rate", "2026-03-02,2,1,0.5"]
    data = client.get("/analytics/export/sla.json", params).json()
    row = next(r for r in data["rows"] if r["target"] == "sla_response")
    assert (row["met"], row["breached"]) == (3, 1)
    summary = client.get("/analytics/export/summary.csv", params).content.decode()
    assert "escalation_rate,0.4286" in summary
    assert client.get("/analytics/export/nope.csv", params).status_code == 404
    assert client.get("/analytics/export/volume.xml", params).status_code == 404


def test_warning_thresholds_are_all_saved_or_none(manager, l2_agent, client):
    from backline.analytics.models import WarningThreshold

    client.force_login(manager)
    form = {
        "escalation_volume-threshold": "0.3",
        "escalation_volume-enabled": "on",
        "resolution_time-threshold": "-1",
    }
    assert client.post("/analytics/warnings", form).status_code == 422
    assert not WarningThreshold.objects.exists()
    with pytest.raises(DomainError):
        services.warning_thresholds_save(actor=l2_agent, values={"escalation_volume": (0.3, True)})
    services.warning_thresholds_save(actor=manager, values={"escalation_volume": (0.3, False)})
    assert WarningThreshold.objects.get(key="escalation_volume").enabled is False


def test_chart_bars_link_to_their_tickets(week, manager):
    from urllib.parse import parse_qs

    from backline.analytics import dashboard

    charts = dashboard.build(the_week())["charts"]
    first_day = parse_qs(charts["volume"]["links"][0])
    assert (first_day["start"], first_day["end"], first_day["show"]) == (
        ["2026-03-02"],
        ["2026-03-02"],
        ["created"],
    )
    f = analytics_filters.parse({k: v[0] for k, v in first_day.items() if k != "show"})
    assert sorted(x.ticket.title[0] for x in queries.show_tickets(f, "created", manager)) == [
        "A",
        "B",
    ]
    assert parse_qs(charts["sla"]["links"][0])["show"] == ["breached:sla_response"]
    assert parse_qs(charts["mttr"]["links"][0])["priority"] == ["1"]


@pytest.mark.parametrize("extra", [{}, {"priority": "1"}, {"tier": "2"}, {"tier": "3"}])
def test_rollups_and_facts_give_the_same_numbers(week, extra, monkeypatch):
    """The daily rollups (period, team, tier, priority filters) and the facts (any filter) are
    two roads to one answer."""
    f = the_week(**extra)
    from_rollups = (queries.summary(f), queries.mttr_by_priority(f), queries.volume_series(f))
    monkeypatch.setattr(analytics_filters.Filters, "rollup_ready", property(lambda self: False))
    from_facts = (queries.summary(f), queries.mttr_by_priority(f), queries.volume_series(f))
    assert from_rollups == from_facts


def test_a_category_filter_reads_the_facts(week):
    from backline.tickets.models import Category

    category = Category.objects.order_by("id").first()
    a = week["A"]
    tickets.ticket_update(
        actor=a.assignee, ticket=a, version=a.version, changes={"category": category}
    )
    services.facts_sync()
    s = queries.summary(the_week(category=str(category.pk)))
    assert (s["created"], s["reached_t2"], s["resolved"]) == (1, 1, 1)


def test_rollups_follow_changes_and_rebuild_to_the_same_rows(week, l1_agent):
    from backline.analytics.models import DayRollup

    def rows():
        return sorted(
            tuple(v for k, v in vars(r).items() if k not in ("_state", "id"))
            for r in DayRollup.objects.all()
        )

    resolve(l1_agent, week["E"], t(3, 6, 17))
    services.facts_sync()
    assert queries.summary(the_week())["resolved"] == 6
    before = rows()
    services.rollups_rebuild()
    assert rows() == before
