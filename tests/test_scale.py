"""`backline generate` (demo/scale.py): a base lived through by the demo loader, then copies of
its histories week by week into the past, written by INSERT … SELECT in the database."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client

from backline.accounts.models import User
from backline.analytics.models import TicketFact
from backline.core.errors import DomainError
from backline.demo import scale
from backline.escalation.models import Escalation
from backline.search.models import SearchDocument
from backline.sla.models import ClockPause, SlaClock
from backline.tickets.models import Comment, Ticket, TicketAccess, TicketEvent

pytestmark = pytest.mark.django_db
PASSWORD = "generate-test-password"


@pytest.fixture
def generated(db, monkeypatch):
    monkeypatch.setattr(scale, "BASE", 60)  # a small base, so the copies are most of the desk
    return scale.generate(tickets=700, seed=3, password=PASSWORD)


def _generates_exactly_the_tickets_asked_for_with_their_histories(generated):
    assert generated["tickets"] == Ticket.objects.count() == 700
    assert generated["events"] == TicketEvent.objects.count() > 700 * 5
    # Every ticket has a timeline that starts with its creation, a fact and a search document.
    created = Counter(
        TicketEvent.objects.filter(kind="created").values_list("ticket_id", flat=True)
    )
    assert set(created) == set(Ticket.objects.values_list("id", flat=True))
    assert TicketFact.objects.count() == 700
    assert SearchDocument.objects.filter(kind="ticket").count() == 700


def _a_copy_is_its_template_moved_whole_weeks_back(generated):
    copies = Ticket.objects.filter(id__gt=generated["base_max"]).order_by("id")
    assert copies.exists()
    for copy in copies[:25]:
        k, template_id = _template_of(generated, copy.pk)
        template = Ticket.objects.get(pk=template_id)
        shift = timedelta(days=7 * k)
        assert (copy.title, copy.status, copy.team_id) == (
            template.title,
            template.status,
            template.team_id,
        )
        assert copy.created_at == template.created_at - shift
        assert copy.updated_at == template.updated_at - shift
        assert _timeline(copy) == [(kind, at - shift) for kind, at in _timeline(template)]
        assert copy.fact.created_day == template.fact.created_day - shift
        assert copy.fact.created_how == template.fact.created_how  # the same hour of the week
        copied_comments = list(Comment.objects.filter(ticket=copy).values_list("body", flat=True))
        assert copied_comments == list(
            Comment.objects.filter(ticket=template).values_list("body", flat=True)
        )
        # Events point at the copy's own comments, escalations belong to the copy.
        for event in TicketEvent.objects.filter(ticket=copy, comment__isnull=False):
            assert event.comment.ticket_id == copy.pk
        assert Escalation.objects.filter(ticket=copy).count() == (
            Escalation.objects.filter(ticket=template).count()
        )


def _old_copies_hold_only_finished_tickets(generated):
    assert generated["copies"] > scale.OPEN_WEEKS
    for copy in Ticket.objects.filter(id__gt=generated["base_max"]):
        k, _ = _template_of(generated, copy.pk)
        if k > scale.OPEN_WEEKS:
            assert copy.status in scale.FINISHED, (copy.pk, k, copy.status)


def _every_reference_is_whole(generated):
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA foreign_key_check")
            assert cursor.fetchall() == []
    assert not ClockPause.objects.exclude(clock__in=SlaClock.objects.all()).exists()
    assert not TicketAccess.objects.exclude(ticket__in=Ticket.objects.all()).exists()
    # A running clock belongs to an open ticket.
    running = SlaClock.objects.filter(state="running").values_list("ticket__status", flat=True)
    assert set(running) <= {"new", "assigned", "in_progress", "pending"}


def _a_copied_ticket_opens_for_the_manager_and_new_tickets_get_new_numbers(generated):
    manager = User.objects.get(username="hcarter")
    client = Client()
    client.force_login(manager)
    copy = Ticket.objects.filter(id__gt=generated["base_max"]).order_by("-id").first()
    assert copy is not None
    page = client.get(f"/tickets/{copy.number}/")
    assert page.status_code == 200
    assert copy.title in page.content.decode()
    fresh = Ticket.objects.create(
        title="after the copies",
        requester=manager,
        created_at=copy.created_at,
        updated_at=copy.updated_at,
    )
    assert fresh.pk > copy.pk  # the sequences moved past the copies' keys


def _refuses_a_database_that_has_tickets_and_a_nonsense_count(generated):
    with pytest.raises(DomainError):
        scale.generate(tickets=10, password=PASSWORD)


def test_generate_builds_a_whole_desk_from_copies(generated):
    """One build (the demo base takes seconds), every property checked on it."""
    _generates_exactly_the_tickets_asked_for_with_their_histories(generated)
    _a_copy_is_its_template_moved_whole_weeks_back(generated)
    _old_copies_hold_only_finished_tickets(generated)
    _every_reference_is_whole(generated)
    _a_copied_ticket_opens_for_the_manager_and_new_tickets_get_new_numbers(generated)
    _refuses_a_database_that_has_tickets_and_a_nonsense_count(generated)


def test_refuses_zero_tickets(db):
    with pytest.raises(DomainError):
        scale.generate(tickets=0, password=PASSWORD)
    assert not Ticket.objects.exists()


def _template_of(generated: dict, pk: int) -> tuple[int, int]:
    """Copy k of base ticket t has the id t + k·base_max."""
    span = generated["base_max"]
    k = (pk - 1) // span
    return k, pk - k * span


def _timeline(ticket: Ticket) -> list[tuple[str, object]]:
    return list(
        TicketEvent.objects.filter(ticket=ticket).order_by("at", "id").values_list("kind", "at")
    )
