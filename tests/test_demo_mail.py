"""The demo's mailboxes and email threads: created, replied, and the ignored auto-reply and
repeat delivery, each taken in by the real email intake at its own time."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from backline.demo import text as T
from backline.demo.generate import load_demo
from backline.demo.mail import DOCKING_ID, SHARED_MAILBOX_ID, Mailroom
from backline.intake.models import InboundMessage, Mailbox, MailOutcome
from backline.sla.choices import ClockState
from backline.sla.models import SlaClock
from backline.tickets.choices import EventKind, Source, Status
from backline.tickets.models import Ticket, TicketEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(db) -> None:
    load_demo(seed=7, tickets=60, password="backline-demo", progress=False)


def test_each_l1_and_l2_team_has_an_inactive_mailbox_at_its_address(demo):
    boxes = {m.team.name: m for m in Mailbox.objects.select_related("team")}
    assert set(boxes) == {T.SD, T.AS, T.NI, T.DB}
    for box in boxes.values():
        assert not box.is_active and box.address == box.team.email
        assert box.address.endswith(f"@{T.DOMAIN}")


def test_the_threads_have_their_outcomes_and_the_reply_lands_on_its_ticket(demo):
    log = {m.message_id: m for m in InboundMessage.objects.select_related("ticket", "mailbox")}
    assert sorted(m.outcome for m in log.values()) == sorted(
        [MailOutcome.CREATED, MailOutcome.REPLIED, MailOutcome.CREATED,
         MailOutcome.IGNORED_AUTOREPLY]
    )  # fmt: skip
    shared, docking = log[SHARED_MAILBOX_ID], log[DOCKING_ID]
    assert shared.outcome == docking.outcome == MailOutcome.CREATED
    for first in (shared, docking):
        ticket = first.ticket
        assert ticket.source == Source.EMAIL and ticket.team.name == T.SD
        assert ticket.created_at == first.received_at and first.mailbox.team == ticket.team
    reply = InboundMessage.objects.get(outcome=MailOutcome.REPLIED)
    assert reply.ticket == shared.ticket
    comment = shared.ticket.comments.get(author__email=reply.from_address)
    assert not comment.is_internal and comment.created_at == reply.received_at
    assert comment.body.startswith("Hi Sofia") and "wrote:" not in comment.body  # quote cut
    event = TicketEvent.objects.get(comment=comment)
    assert event.kind == EventKind.REPLIED and event.at == reply.received_at
    assert shared.ticket.status == Status.RESOLVED
    # The out-of-office answer changed nothing; its ticket is still being worked.
    away = InboundMessage.objects.get(outcome=MailOutcome.IGNORED_AUTOREPLY)
    assert away.ticket is None and away.received_at > docking.received_at
    docking_ticket = Ticket.objects.get(pk=docking.ticket.pk)
    assert docking_ticket.status == Status.IN_PROGRESS
    assert list(docking_ticket.comments.values_list("author__username", flat=True)) == ["jweber"]


def test_email_tickets_are_numbered_by_date_and_their_running_clocks_are_swept(demo):
    tickets = list(
        Ticket.objects.filter(inbound_messages__isnull=False).distinct().order_by("created_at")
    )
    assert len(tickets) == 2
    for ticket in tickets:
        assert not Ticket.objects.filter(created_at__lt=ticket.created_at, pk__gt=ticket.pk)
        assert Ticket.objects.filter(created_at__gt=ticket.created_at, pk__gt=ticket.pk).exists()
    now = timezone.now()
    assert all(now - timedelta(days=13) < t.created_at < now for t in tickets)
    running = SlaClock.objects.filter(ticket__in=tickets, state=ClockState.RUNNING)
    assert running.exists()
    assert not running.filter(warn_at__lte=now, warned_at__isnull=True).exists()
    assert not running.filter(due_at__lte=now, breached_at__isnull=True).exists()


def test_the_repeat_delivery_is_ignored_and_leaves_no_row(db):
    from backline.accounts.choices import Role
    from backline.accounts.models import Team
    from backline.accounts.services import team_add_member, team_create, user_create
    from backline.demo.history import Clock, Org

    org = Org()
    for name, tier, _ in T.TEAMS[:4]:
        slug = name.lower().replace(" & ", "-").replace(" ", "-")
        org.teams[name] = team_create(name=name, tier=tier, email=f"{slug}@{T.DOMAIN}")
    people = [
        (T.MANAGER, Role.MANAGER),
        (T.ADMIN, Role.ADMIN),  # mailboxes are configuration: the admin sets them up
        *((p, Role.AGENT) for p in T.STAFF if p.username in ("smarquez", "jweber")),
        *((p, Role.REQUESTER) for p in T.REQUESTERS if p.username in ("lhoffmann", "ewalsh")),
    ]
    for person, role in people:
        user = user_create(
            username=person.username, password=None, first_name=person.first,
            last_name=person.last, role=role, email=f"{person.username}@{T.DOMAIN}",
        )  # fmt: skip
        org.users[person.username] = user
        for team_name, is_lead in person.teams:
            team_add_member(team=Team.objects.get(name=team_name), user=user, is_lead=is_lead)
    anchor = timezone.now().replace(minute=0, second=0, microsecond=0)
    mailroom = Mailroom(org=org, clock=Clock(anchor, timezone.get_current_timezone()))
    for _, deliver in sorted(mailroom.openings(), key=lambda o: o[0]):
        deliver()
    outcomes = [(d.message_id, d.outcome, d.pk is not None) for d in mailroom.deliveries]
    assert outcomes == [
        (SHARED_MAILBOX_ID, MailOutcome.CREATED, True),
        (outcomes[1][0], MailOutcome.REPLIED, True),
        (DOCKING_ID, MailOutcome.CREATED, True),
        (DOCKING_ID, MailOutcome.IGNORED_DUPLICATE, False),
        (outcomes[4][0], MailOutcome.IGNORED_AUTOREPLY, True),
    ]
    repeat = mailroom.deliveries[3]
    assert repeat.ticket == mailroom.deliveries[2].ticket
    assert InboundMessage.objects.filter(message_id=DOCKING_ID).count() == 1
    assert [t.title for t in mailroom.tickets()] == [
        "Customer Service shared mailbox gone from Outlook",
        "Monitors flicker on my docking station",
    ]
