"""The weekly operations report: the week it covers (DST weeks too), numbers identical to the
dashboard's, the page, and the worker's sweep that emails each manager once per week."""

from __future__ import annotations

import importlib
from datetime import UTC, datetime, timedelta
from email import policy
from email.parser import BytesParser

import pytest
from django.urls import include, path
from django.utils import timezone

from backline.accounts.choices import Role
from backline.analytics import dashboard, report
from backline.analytics import urls as analytics_urls
from backline.analytics.models import WarningThreshold
from backline.core.errors import DomainError
from backline.mailout import services as mail_services
from backline.mailout.choices import EmailKind, EmailStatus
from backline.mailout.models import MailPreference, OutboundEmail
from tests import test_analytics, test_mailout
from tests.factories import UserFactory

# The report's URLs as analytics/urls.py will include them (this module is the tests' URLconf).
urlpatterns = [
    path(
        "analytics/",
        include(
            (
                [
                    *analytics_urls.urlpatterns,
                    path("report/", include("backline.analytics.report_urls")),
                ],
                "analytics",
            )
        ),
    ),
    path("", include("backline.config.urls")),
]
pytestmark = [pytest.mark.django_db, pytest.mark.urls(__name__)]

# The hand-built week of Monday 2 March 2026 from the analytics tests, and a loopback SMTP server.
week = test_analytics.week
smtp = test_mailout.smtp
BASE_URL = "https://desk.example.test"
# Monday 9 March 2026, 07:30 in Berlin (UTC+1): the week of 2 March is complete and due.
DUE = datetime(2026, 3, 9, 6, 30, tzinfo=UTC)


@pytest.fixture
def mail_on(settings):
    settings.BACKLINE_SMTP_HOST = "127.0.0.1"
    settings.BACKLINE_BASE_URL = BASE_URL
    settings.BACKLINE_MAIL_DOMAIN = "desk.example.test"
    return settings


@pytest.fixture
def managers(manager):
    """Two managers who receive the report, and people who must not."""
    admin = UserFactory(username="ada", role=Role.ADMIN)
    opted_out = UserFactory(username="otto", role=Role.MANAGER)
    mail_services.mail_preference_set(
        actor=opted_out, kinds=[EmailKind.ASSIGNED, EmailKind.MENTION]
    )
    UserFactory(username="ines", role=Role.MANAGER, is_active=False)
    UserFactory(username="nomail", role=Role.MANAGER, email="")
    UserFactory(username="agnes", role=Role.AGENT)
    return [manager, admin]


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


# --- the week --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("now", "start", "end"),
    [
        # Monday 9 March 00:30 Berlin is already the new week: the report is 2–8 March.
        (utc(2026, 3, 8, 23, 30), utc(2026, 3, 1, 23), utc(2026, 3, 8, 23)),
        # Sunday 8 March 23:59 Berlin: that week is not over, the last complete one is 23 Feb.
        (utc(2026, 3, 8, 22, 59), utc(2026, 2, 22, 23), utc(2026, 3, 1, 23)),
        # Any day of the following week gives the same one.
        (utc(2026, 3, 14, 12), utc(2026, 3, 1, 23), utc(2026, 3, 8, 23)),
        # Clocks go forward on Sunday 29 March: the week is 167 hours long.
        (utc(2026, 3, 30, 8), utc(2026, 3, 22, 23), utc(2026, 3, 29, 22)),
        # Clocks go back on Sunday 25 October: 169 hours.
        (utc(2026, 10, 26, 8), utc(2026, 10, 18, 22), utc(2026, 10, 25, 23)),
    ],
)
def test_weekly_period_is_the_last_complete_local_monday_to_sunday(now, start, end):
    f = report.weekly_period(now)
    assert (f.start, f.end) == (start, end)
    assert f.start.astimezone(timezone.get_default_timezone()).weekday() == 0


def test_dst_weeks_are_whole_local_days():
    spring = report.weekly_period(utc(2026, 3, 30, 8))
    autumn = report.weekly_period(utc(2026, 10, 26, 8))
    assert spring.end - spring.start == timedelta(hours=167)
    assert autumn.end - autumn.start == timedelta(hours=169)
    assert (report.week_start(spring).isoformat(), report.week_start(autumn).isoformat()) == (
        "2026-03-23",
        "2026-10-19",
    )


def test_a_week_is_named_by_any_of_its_days():
    now = utc(2026, 3, 11, 12)
    assert report.week_parse("2026-03-05", now=now).isoformat() == "2026-03-02"
    assert report.week_parse("", now=now).isoformat() == "2026-03-02"
    with pytest.raises(DomainError) as info:
        report.week_parse("last week", now=now)
    assert info.value.field == "week"


# --- the report --------------------------------------------------------------------------------


def test_the_report_numbers_are_the_dashboards(week, mail_on):
    f = test_analytics.the_week()
    built = dashboard.build(f)
    r = report.weekly_report(f)
    assert [(c["key"], c["value"], c["previous"], c["change"], c["mood"]) for c in r["cards"]] == [
        (c["key"], c["value"], c["previous"], c["change"], c["mood"]) for c in built["cards"]
    ]
    assert [w["key"] for w in r["warnings"]] == [w["key"] for w in built["warnings"]]
    for name in report.REPORT_TABLES:
        rows = built["tables"][name]["rows"]
        if name == "sla":
            rows = [row for row in rows if row["decided"]]
        assert [
            {k: v for k, v in row.items() if k != "links"} for row in r["tables"][name]["rows"]
        ] == rows
    cards = {c["key"]: c for c in r["cards"]}
    # The hand-computed week: 7 created, 3 reached L2 → 42.9 %.
    assert (cards["created"]["value"], cards["escalation_rate"]["value"]) == (7, 0.4286)
    assert cards["escalation_rate"]["url"] == (
        f"{BASE_URL}/analytics/tickets?period=custom&start=2026-03-02&end=2026-03-08"
        "&show=reached_t2"
    )


def test_a_disabled_warning_leaves_the_report(week, mail_on):
    WarningThreshold.objects.create(key="recurrence", threshold=0.1, enabled=False)
    r = report.weekly_report(test_analytics.the_week())
    assert r["warnings"] == []
    _, html = report.report_render(r)
    assert "Recurring issues despite resolution" not in html
    assert "No early warnings this week." in html


def test_the_email_shows_every_number_linked_and_the_warnings(week, mail_on):
    r = report.weekly_report(test_analytics.the_week())
    # 1 of 5 resolutions reopened, 3 of 7 incidents recur: the recurrence warning fires.
    assert [w["title"] for w in r["warnings"]] == ["Recurring issues despite resolution"]
    text, html = report.report_render(r)
    for w in r["warnings"]:
        assert w["title"] in html and w["title"] in text
    assert "42.9 %" in html and "Escalation rate: 42.9 %" in text
    assert 'href="/' not in html  # every link is absolute, so it works from a mail client
    assert f'href="{BASE_URL}/analytics/tickets?' in html
    assert "<style" not in html and "<link" not in html  # inline CSS only
    assert "Satisfaction by resolving tier" in html and "Backlog by team and age" in html
    assert "&amp;" not in text  # the plain text is not HTML-escaped


# --- the sweep ---------------------------------------------------------------------------------


def test_one_email_per_manager_per_week_however_often_the_sweep_runs(week, managers, mail_on):
    assert report.weekly_report_send(now=DUE) == {"queued": 2}
    assert report.weekly_report_send(now=DUE) == {}
    assert report.weekly_report_send(now=DUE + timedelta(days=1)) == {}
    emails = OutboundEmail.objects.order_by("recipient__username")
    assert [e.recipient.username for e in emails] == ["ada", "maria"]
    assert {(e.kind, e.ticket_id, e.status) for e in emails} == {
        (EmailKind.WEEKLY_REPORT, None, EmailStatus.PENDING)
    }
    assert emails[0].subject == "Weekly operations report: 2 Mar – 8 Mar 2026"
    assert emails[0].html_body and "Escalation rate" in emails[0].text_body
    # The next Monday brings the next week's report.
    assert report.weekly_report_send(now=DUE + timedelta(days=7)) == {"queued": 2}
    assert OutboundEmail.objects.count() == 4


def test_a_worker_losing_the_race_queues_nothing(week, managers, mail_on):
    key = "weekly-report-20260302-1"
    first = mail_services.email_queue(
        recipient=managers[0],
        kind=EmailKind.WEEKLY_REPORT,
        subject="s",
        text_body="t",
        message_key=key,
        at=DUE,
    )
    second = mail_services.email_queue(
        recipient=managers[0],
        kind=EmailKind.WEEKLY_REPORT,
        subject="s",
        text_body="t",
        message_key=key,
        at=DUE,
    )
    assert first is not None and second is None
    assert OutboundEmail.objects.count() == 1


def test_nothing_before_monday_seven_in_the_morning(week, managers, mail_on):
    # Monday 9 March 06:59 in Berlin.
    assert report.weekly_report_send(now=utc(2026, 3, 9, 5, 59)) == {}
    assert not OutboundEmail.objects.exists()


def test_nothing_when_mail_is_off(week, managers, settings):
    settings.BACKLINE_SMTP_HOST = ""
    assert report.weekly_report_send(now=DUE) == {}
    assert not OutboundEmail.objects.exists()


def test_a_manager_who_opts_out_gets_none_and_one_who_opts_back_in_does(week, managers, mail_on):
    maria = managers[0]
    mail_services.mail_preference_set(actor=maria, kinds=[EmailKind.ASSIGNED])
    assert report.weekly_report_send(now=DUE) == {"queued": 1}
    assert not OutboundEmail.objects.filter(recipient=maria).exists()
    mail_services.mail_preference_set(actor=maria, kinds=[EmailKind.WEEKLY_REPORT])
    assert report.weekly_report_send(now=DUE) == {"queued": 1}
    assert OutboundEmail.objects.filter(recipient=maria).count() == 1


def test_agents_cannot_choose_the_weekly_report(l2_agent):
    pref = mail_services.mail_preference_set(
        actor=l2_agent, kinds=[EmailKind.WEEKLY_REPORT, EmailKind.ASSIGNED]
    )
    assert pref.kinds == [EmailKind.ASSIGNED]


def test_the_report_is_sent_with_text_and_html_alternatives(week, managers, mail_on, smtp):
    report.weekly_report_send(now=DUE)
    email = OutboundEmail.objects.filter(recipient=managers[0]).get()
    msg = mail_services.message_build(email)
    assert msg.get_content_type() == "multipart/alternative"
    parts = [p.get_content_type() for p in msg.iter_parts()]
    assert parts == ["text/plain", "text/html"]

    sent = mail_services.emails_send(now=DUE)
    assert sent["sent"] == 2
    received = {str(m["To"]): m for m in smtp.messages}
    got = received[managers[0].email]
    assert got["Message-ID"] == f"<weekly-report-20260302-{managers[0].pk}@desk.example.test>"
    html = got.get_body(preferencelist=("html",)).get_content()
    text = got.get_body(preferencelist=("plain",)).get_content()
    fired = report.weekly_report(test_analytics.the_week())["warnings"]
    assert fired and all(w["title"] in html for w in fired)
    assert "Escalation rate: 42.9 %" in text
    raw = BytesParser(policy=policy.default).parsebytes(got.as_bytes())
    assert raw.is_multipart()


# --- the page ----------------------------------------------------------------------------------


def test_the_page_shows_any_week_with_links_to_the_next_and_previous(week, manager, client):
    client.force_login(manager)
    response = client.get("/analytics/report/weekly", {"week": "2026-03-04"})
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-card="escalation_rate"' in html and "42.9 %" in html
    assert "?week=2026-02-23" in html
    assert "?week=2026-03-09" in html  # today is long after March 2026


def test_the_page_offers_no_next_week_past_the_last_complete_one(manager, client):
    client.force_login(manager)
    response = client.get("/analytics/report/weekly")
    assert response.status_code == 200
    latest = report.week_start(report.weekly_period(timezone.now()))
    html = response.content.decode()
    assert f"?week={latest - timedelta(days=7)}" in html
    assert 'rel="next"' not in html


def test_the_page_refuses_a_bad_week_with_a_clear_message(manager, client):
    client.force_login(manager)
    response = client.get("/analytics/report/weekly", {"week": "03/02/2026"})
    assert response.status_code == 422
    assert "week must be a date like 2026-03-02." in response.content.decode()


def test_requesters_cannot_see_the_report(requester, client):
    client.force_login(requester)
    assert client.get("/analytics/report/weekly").status_code == 403


def test_managers_find_the_weekly_report_in_their_email_preferences(manager, l2_agent, client):
    client.force_login(manager)
    assert "weekly operations report" in client.get("/email-preferences/").content.decode()
    client.force_login(l2_agent)
    assert "weekly operations report" not in client.get("/email-preferences/").content.decode()


def test_managers_who_chose_before_the_report_existed_are_given_it(manager, l2_agent):
    from django.apps import apps

    migration = importlib.import_module(
        "backline.mailout.migrations.0003_weekly_report_for_managers"
    )
    for user in (manager, l2_agent):
        MailPreference.objects.create(user=user, kinds=[EmailKind.ASSIGNED], updated_at=DUE)
    migration.add_weekly_report(apps, None)
    assert MailPreference.objects.get(user=manager).kinds == [
        EmailKind.ASSIGNED,
        EmailKind.WEEKLY_REPORT,
    ]
    assert MailPreference.objects.get(user=l2_agent).kinds == [EmailKind.ASSIGNED]
