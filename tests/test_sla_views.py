"""SLA in the HTML: queue badges, the at-risk queue, the ticket's SLA panel, settings pages."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from backline.sla import services
from backline.sla.models import BusinessCalendar, SlaPolicy
from backline.tickets import services as tickets
from backline.tickets.models import SlaState, Ticket
from tests.factories import make_ticket

pytestmark = pytest.mark.django_db
BERLIN = ZoneInfo("Europe/Berlin")


def _breached(agent, title="Mail server down"):
    """A P3 opened last week: the sweep has recorded both of its clocks breached."""
    start = timezone.now() - timedelta(days=14)
    ticket = make_ticket(agent, impact=2, urgency=2, title=title, at=start)
    services.sla_sweep(now=timezone.now())
    return Ticket.objects.get(pk=ticket.pk)


def test_new_ticket_carries_its_earliest_running_due_time(l1_agent):
    monday = datetime(2026, 11, 16, 9, 0, tzinfo=BERLIN)
    ticket = Ticket.objects.get(pk=make_ticket(l1_agent, impact=2, urgency=2, at=monday).pk)
    assert ticket.sla_state == SlaState.OK
    assert ticket.sla_due_at == datetime(2026, 11, 16, 13, 0, tzinfo=BERLIN)  # first response
    assert ticket.version == 1


def test_pause_resume_and_resolve_follow_into_the_ticket(l1_agent):
    ticket = make_ticket(l1_agent, at=timezone.now() - timedelta(minutes=5))
    ticket = tickets.ticket_transition(
        actor=l1_agent, ticket=ticket, action="pend", pending_reason="requester"
    )
    fresh = Ticket.objects.get(pk=ticket.pk)
    assert (fresh.sla_state, fresh.sla_due_at) == (SlaState.PAUSED, None)
    assert fresh.sla_badge == "paused"
    ticket = tickets.ticket_transition(actor=l1_agent, ticket=ticket, action="resume")
    assert Ticket.objects.get(pk=ticket.pk).sla_state == SlaState.OK
    tickets.ticket_transition(
        actor=l1_agent,
        ticket=ticket,
        action="resolve",
        resolution_code="fixed",
        resolution_notes="x",
    )
    fresh = Ticket.objects.get(pk=ticket.pk)
    assert (fresh.sla_state, fresh.sla_due_at) == (SlaState.NONE, None)


def test_sweep_marks_the_ticket_breached(l1_agent):
    ticket = _breached(l1_agent)
    assert ticket.sla_state == SlaState.BREACHED
    assert ticket.sla_badge.startswith("overdue ")


def test_at_risk_queue_lists_breached_first_with_a_red_badge_in_bounded_queries(
    l1_agent, l2_agent, web
):
    for n in range(3):
        make_ticket(l1_agent, title=f"Fine {n}", impact=3, urgency=3)
    breached = _breached(l1_agent)
    cancelled = make_ticket(l1_agent, title="Cancelled one")
    tickets.ticket_transition(actor=l1_agent, ticket=cancelled, action="cancel", note="dup")

    web.get("/tickets/?queue=at_risk")  # warm caches (calendars, sessions)
    with CaptureQueriesContext(connection) as few:
        response = web.get("/tickets/?queue=at_risk")
    for n in range(5):
        make_ticket(l1_agent, title=f"More {n}")
    with CaptureQueriesContext(connection) as more:
        again = web.get("/tickets/?queue=at_risk")
    assert response.status_code == 200
    assert len(more.captured_queries) == len(few.captured_queries)

    rows = list(again.context["page"].object_list)
    assert rows[0].pk == breached.pk
    assert cancelled.pk not in [t.pk for t in rows]
    assert len(rows) == 9
    html = again.content.decode()
    assert 'class="sla-badge sla-breached"' in html
    assert html.index(breached.number) < html.index("More 0")
    assert again.context["queue_counts"]["at_risk"] == 1  # warned or breached only


def test_due_sort_orders_by_time_to_breach(l1_agent, web):
    slow = make_ticket(l1_agent, title="P4 slow", impact=3, urgency=3)
    fast = make_ticket(l1_agent, title="P1 fast", impact=1, urgency=1)
    rows = list(web.get("/tickets/?queue=open&sort=due").context["page"].object_list)
    assert [t.pk for t in rows][:2] == [fast.pk, slow.pk]
    rows = list(web.get("/tickets/?queue=open&sort=-due").context["page"].object_list)
    assert [t.pk for t in rows][:2] == [slow.pk, fast.pk]


def test_ticket_page_shows_clocks_pauses_and_why(l1_agent, web):
    monday = datetime(2026, 11, 16, 9, 0, tzinfo=BERLIN)
    ticket = make_ticket(l1_agent, impact=2, urgency=2, at=monday)
    ticket = tickets.ticket_transition(
        actor=l1_agent,
        ticket=ticket,
        action="pend",
        pending_reason="requester",
        at=monday + timedelta(hours=1),
    )
    tickets.ticket_transition(
        actor=l1_agent, ticket=ticket, action="resume", at=monday + timedelta(hours=3)
    )
    html = web.get(ticket.get_absolute_url()).content.decode()
    panel = html[html.index('id="sla-panel"') :]
    assert "First response" in panel and "Resolution" in panel
    assert "requester: 2026-11-16 10:00 → 2026-11-16 12:00" in panel
    assert "Why this due time?" in panel
    assert "P3 Moderate" in panel and "Conditions: priority P3" in panel
    assert "time zone Europe/Berlin" in panel and "public holidays of DE-BY" in panel
    assert "Mon 08:00–18:00" in panel and "Sat closed" in panel
    assert "1 h used before 2026-11-16 12:00" in panel
    assert "3 h of business time from Mon 2026-11-16 12:00 CET" in panel  # 4 h − 1 h used


def test_requester_does_not_see_the_sla_panel(requester, l1_agent, client):
    ticket = make_ticket(l1_agent, requester=requester)
    client.force_login(requester)
    assert 'id="sla-panel"' not in client.get(ticket.get_absolute_url()).content.decode()


@pytest.mark.parametrize(
    "url",
    ["/settings/sla/", "/settings/sla/new/", "/settings/calendars/", "/settings/calendars/new/"],
)
def test_settings_are_for_managers(url, web, admin, client):
    assert web.get(url).status_code == 403
    client.force_login(admin)
    assert client.get(url).status_code == 200


def test_policy_list_shows_conditions_and_targets(admin, client):
    client.force_login(admin)
    html = client.get("/settings/sla/").content.decode()
    assert "P1 Critical" in html and "priority P1" in html and "Office hours" in html
    assert "SLA policies" in html  # sidebar link for managers


def test_manager_creates_a_policy_and_sees_field_errors(admin, client):
    client.force_login(admin)
    calendar = BusinessCalendar.objects.first()
    bad = client.post(
        "/settings/sla/new/",
        {
            "name": "VIP",
            "calendar": calendar.pk,
            "first_response_minutes": "0",
            "resolution_minutes": "60",
            "warn_share": "1.5",
        },
    )
    assert bad.status_code == 422
    assert bad.context["form"].errors["first_response_minutes"]
    response = client.post(
        "/settings/sla/new/",
        {
            "name": "VIP",
            "calendar": calendar.pk,
            "first_response_minutes": "10",
            "resolution_minutes": "120",
            "warn_share": "0.5",
            "priorities": ["1", "2"],
            "sources": ["phone"],
            "pause_reasons": ["requester"],
            "breach_actions": ["notify_team"],
            "ola_2_accept": "15",
            "ola_2_resolve": "",
        },
    )
    assert response.status_code == 302
    policy = SlaPolicy.objects.get(name="VIP")
    assert (policy.priorities, policy.sources, policy.warn_share) == ([1, 2], ["phone"], 0.5)
    assert [(o.tier, o.accept_minutes, o.resolve_minutes) for o in policy.ola_targets.all()] == [
        (2, 15, None)
    ]
    assert (
        policy.position > SlaPolicy.objects.exclude(pk=policy.pk).order_by("-position")[0].position
    )


def test_manager_edits_a_calendar_with_validated_inputs(admin, client):
    client.force_login(admin)
    record = BusinessCalendar.objects.get(name="Office hours")
    form = client.get(f"/settings/calendars/{record.pk}/edit/").context["form"]
    data = dict(form.initial)
    for field, value, message in (
        ("timezone", "Mars/Olympus", "Unknown time zone"),
        ("country", "XX", "No public holidays"),
        ("mon", "17:00-08:00", "Working hours"),
        ("closed_dates", "2026-13-01", "not a date"),
    ):
        response = client.post(f"/settings/calendars/{record.pk}/edit/", {**data, field: value})
        assert response.status_code == 422, field
        assert message in response.context["form"].errors[field][0]
    response = client.post(
        f"/settings/calendars/{record.pk}/edit/",
        {
            **data,
            "mon": "08:00-12:00, 13:00-17:00",
            "sat": "",
            "closed_dates": "2026-12-24",
            "extra_working_days": "2026-12-19 09:00-13:00",
        },
    )
    assert response.status_code == 302
    record.refresh_from_db()
    assert record.week["mon"] == [["08:00", "12:00"], ["13:00", "17:00"]]
    assert record.closed_dates == ["2026-12-24"]
    assert record.extra_working_days == {"2026-12-19": [["09:00", "13:00"]]}
