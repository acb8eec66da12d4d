"""Each ticket service: what it changes, what it records, what it refuses."""

from __future__ import annotations

import threading

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection

from backline.core.errors import Conflict, DomainError, NotFound, PermissionDenied, TooLarge
from backline.tickets import services
from backline.tickets.choices import EventKind, Status
from backline.tickets.models import AppendOnlyError, Ticket, TicketEvent
from tests.factories import make_ticket

pytestmark = pytest.mark.django_db


def kinds(ticket):
    return list(
        TicketEvent.objects.filter(ticket=ticket).order_by("id").values_list("kind", flat=True)
    )


def test_create_sets_priority_from_matrix_and_records_the_event(l1_agent, requester):
    ticket = make_ticket(l1_agent, requester=requester, impact=1, urgency=2, title="  CRM down  ")
    assert ticket.number == f"INC-{ticket.pk:06d}"
    assert ticket.title == "CRM down"
    assert ticket.priority == 2
    assert ticket.status == Status.NEW
    assert ticket.tier == 1
    event = TicketEvent.objects.get(ticket=ticket)
    assert event.kind == EventKind.CREATED
    assert event.actor == l1_agent
    assert event.data["priority"] == 2


def test_create_with_an_assignee_is_assigned_to_their_team_and_tier(
    l1_agent, l2_agent, app_support
):
    ticket = make_ticket(l1_agent, assignee=l2_agent)
    assert ticket.status == Status.ASSIGNED
    assert ticket.team == app_support
    assert ticket.tier == 2


def test_priority_matrix_changes_apply_to_new_tickets(l1_agent, admin):
    services.priority_matrix_set(actor=admin, impact=3, urgency=3, priority=3)
    assert make_ticket(l1_agent, impact=3, urgency=3).priority == 3


def test_only_admins_change_the_matrix(l1_agent, manager):
    for actor in (l1_agent, manager):
        with pytest.raises(PermissionDenied):
            services.priority_matrix_set(actor=actor, impact=3, urgency=3, priority=1)


def test_requester_can_only_raise_for_themselves(requester, other_requester, app_support):
    mine = make_ticket(requester)
    assert mine.requester == requester
    with pytest.raises(DomainError) as exc:
        make_ticket(requester, requester=other_requester)
    assert exc.value.field == "requester"
    with pytest.raises(DomainError) as exc:
        make_ticket(requester, team=app_support)
    assert exc.value.field == "team"


def test_blank_title_is_refused_and_nothing_is_stored(l1_agent):
    with pytest.raises(DomainError) as exc:
        make_ticket(l1_agent, title="   ")
    assert exc.value.field == "title"
    assert not Ticket.objects.exists()
    assert not TicketEvent.objects.exists()


def test_assignee_must_be_in_the_team(l1_agent, l2_agent, engineering):
    with pytest.raises(DomainError) as exc:
        make_ticket(l1_agent, team=engineering, assignee=l2_agent)
    assert exc.value.field == "assignee"


def test_update_records_before_and_after_and_bumps_version(l1_agent, app_support):
    ticket = make_ticket(l1_agent, impact=2, urgency=2)
    ticket = services.ticket_update(
        actor=l1_agent,
        ticket=ticket,
        version=1,
        changes={"impact": 1, "title": "CRM down for Sales", "team": app_support},
    )
    assert ticket.version == 2
    assert ticket.priority == 2
    assert ticket.tier == 2
    updated = TicketEvent.objects.get(ticket=ticket, kind=EventKind.UPDATED)
    assert updated.data["changes"]["priority"] == [3, 2]
    assert updated.data["changes"]["title"][1] == "CRM down for Sales"
    assigned = TicketEvent.objects.get(ticket=ticket, kind=EventKind.ASSIGNED)
    assert assigned.data["changes"]["team"] == [
        None,
        {"id": app_support.pk, "name": app_support.name},
    ]
    assert assigned.data["tier"] == 2


def test_update_without_a_real_change_records_nothing(l1_agent):
    ticket = make_ticket(l1_agent, title="Same")
    again = services.ticket_update(
        actor=l1_agent, ticket=ticket, version=1, changes={"title": "Same"}
    )
    assert again.version == 1
    assert kinds(ticket) == [EventKind.CREATED]


def test_stale_version_is_a_conflict_and_changes_nothing(l1_agent, l2_agent):
    ticket = make_ticket(l1_agent, title="Original")
    services.ticket_update(actor=l2_agent, ticket=ticket, version=1, changes={"title": "First"})
    with pytest.raises(Conflict) as exc:
        services.ticket_update(
            actor=l1_agent, ticket=ticket, version=1, changes={"title": "Second"}
        )
    assert "Lena Second" in exc.value.message
    assert exc.value.field == "version"
    ticket.refresh_from_db()
    assert ticket.title == "First"
    assert ticket.version == 2


def test_moving_to_another_team_releases_an_assignee_outside_it(l1_agent, l2_agent, engineering):
    ticket = make_ticket(l1_agent, assignee=l2_agent)
    ticket = services.ticket_update(
        actor=l1_agent, ticket=ticket, version=1, changes={"team": engineering}
    )
    assert ticket.assignee is None
    assert ticket.status == Status.NEW
    assert ticket.tier == 3


def test_unknown_fields_cannot_be_updated(l1_agent):
    ticket = make_ticket(l1_agent)
    with pytest.raises(DomainError) as exc:
        services.ticket_update(
            actor=l1_agent, ticket=ticket, version=1, changes={"status": "closed"}
        )
    assert exc.value.field == "status"


def test_requesters_cannot_edit(requester):
    ticket = make_ticket(requester)
    with pytest.raises(PermissionDenied):
        services.ticket_update(actor=requester, ticket=ticket, version=1, changes={"title": "x"})


def test_assign_to_me_picks_my_team(l1_agent, l2_agent, app_support):
    ticket = make_ticket(l1_agent)
    ticket = services.ticket_assign(actor=l2_agent, ticket=ticket, assignee=l2_agent, version=1)
    assert (ticket.assignee, ticket.team, ticket.status) == (l2_agent, app_support, Status.ASSIGNED)
    ticket = services.ticket_assign(actor=l2_agent, ticket=ticket, assignee=None)
    assert ticket.assignee is None and ticket.status == Status.NEW


def test_full_lifecycle_records_each_transition(l1_agent, l2_agent):
    ticket = make_ticket(l1_agent, assignee=l2_agent)
    ticket = services.ticket_transition(actor=l2_agent, ticket=ticket, action="start", version=1)
    assert ticket.first_response_at is not None
    ticket = services.ticket_transition(
        actor=l2_agent, ticket=ticket, action="pend", pending_reason="vendor"
    )
    assert ticket.pending_reason == "vendor"
    ticket = services.ticket_transition(actor=l2_agent, ticket=ticket, action="resume")
    assert ticket.pending_reason == ""
    ticket = services.ticket_transition(
        actor=l2_agent,
        ticket=ticket,
        action="resolve",
        resolution_code="configuration",
        resolution_notes="Reverted work_mem",
        cause_code="configuration",
    )
    assert ticket.resolved_at is not None and ticket.resolution_code == "configuration"
    ticket = services.ticket_transition(actor=l1_agent, ticket=ticket, action="reopen")
    assert ticket.reopen_count == 1 and ticket.resolved_at is None
    ticket = services.ticket_transition(
        actor=l2_agent,
        ticket=ticket,
        action="resolve",
        resolution_code="fixed",
        resolution_notes="Index rebuilt",
    )
    ticket = services.ticket_transition(actor=l2_agent, ticket=ticket, action="close")
    assert ticket.status == Status.CLOSED and ticket.closed_at is not None
    moves = [
        (e.data["from"], e.data["to"])
        for e in TicketEvent.objects.filter(ticket=ticket, kind=EventKind.STATUS_CHANGED).order_by(
            "id"
        )
    ]
    assert moves == [
        ("assigned", "in_progress"),
        ("in_progress", "pending"),
        ("pending", "in_progress"),
        ("in_progress", "resolved"),
        ("resolved", "in_progress"),
        ("in_progress", "resolved"),
        ("resolved", "closed"),
    ]
    assert ticket.version == 8


def test_refused_transition_changes_nothing(l1_agent):
    ticket = make_ticket(l1_agent)
    with pytest.raises(DomainError):
        services.ticket_transition(actor=l1_agent, ticket=ticket, action="resolve")
    ticket.refresh_from_db()
    assert ticket.status == Status.NEW and ticket.version == 1
    assert kinds(ticket) == [EventKind.CREATED]


def test_requesters_cannot_change_status(requester):
    ticket = make_ticket(requester)
    with pytest.raises(PermissionDenied):
        services.ticket_transition(actor=requester, ticket=ticket, action="cancel", note="x")


def test_public_reply_counts_as_first_response_but_a_note_does_not(l1_agent, requester):
    ticket = make_ticket(l1_agent, requester=requester)
    services.ticket_comment(actor=l1_agent, ticket=ticket, body="Checking logs", internal=True)
    ticket.refresh_from_db()
    assert ticket.first_response_at is None
    reply = services.ticket_comment(actor=l1_agent, ticket=ticket, body="We are on it")
    ticket.refresh_from_db()
    assert ticket.first_response_at == reply.created_at
    assert ticket.version == 1  # comments do not make other people's edits stale
    assert kinds(ticket) == [EventKind.CREATED, EventKind.NOTED, EventKind.REPLIED]
    note_event = TicketEvent.objects.get(ticket=ticket, kind=EventKind.NOTED)
    assert note_event.is_internal


def test_requester_replies_but_cannot_write_internal_notes(requester, other_requester):
    ticket = make_ticket(requester)
    services.ticket_comment(actor=requester, ticket=ticket, body="Still broken")
    with pytest.raises(PermissionDenied):
        services.ticket_comment(actor=requester, ticket=ticket, body="psst", internal=True)
    with pytest.raises(NotFound):
        services.ticket_comment(actor=other_requester, ticket=ticket, body="not mine")


def test_empty_comment_is_refused(l1_agent):
    ticket = make_ticket(l1_agent)
    with pytest.raises(DomainError) as exc:
        services.ticket_comment(actor=l1_agent, ticket=ticket, body="  \n ")
    assert exc.value.field == "body"


def test_attachment_is_stored_hashed_and_sized(l1_agent):
    ticket = make_ticket(l1_agent)
    upload = SimpleUploadedFile("../../etc/crm error.txt", b"ERROR 42\n", content_type="text/html")
    attachment = services.ticket_attach(actor=l1_agent, ticket=ticket, upload=upload)
    assert attachment.filename == "crm error.txt"
    assert attachment.size == 9
    assert attachment.content_type == "text/plain"
    assert attachment.file.read() == b"ERROR 42\n"
    event = TicketEvent.objects.get(ticket=ticket, kind=EventKind.ATTACHED)
    assert event.attachment == attachment


def test_attachment_over_the_limit_is_refused(l1_agent, settings):
    settings.BACKLINE_MAX_ATTACHMENT_BYTES = 10
    ticket = make_ticket(l1_agent)
    with pytest.raises(TooLarge):
        services.ticket_attach(
            actor=l1_agent, ticket=ticket, upload=SimpleUploadedFile("big.bin", b"x" * 11)
        )
    assert not ticket.attachments.exists()


def test_comment_with_a_file_attaches_it_to_the_comment(l1_agent):
    ticket = make_ticket(l1_agent)
    comment = services.ticket_comment(
        actor=l1_agent,
        ticket=ticket,
        body="Log attached",
        internal=True,
        files=[SimpleUploadedFile("app.log", b"boom")],
    )
    attachment = comment.attachments.get()
    assert attachment.is_internal


def test_links_are_recorded_on_both_tickets_and_refuse_duplicates(l1_agent):
    a, b = make_ticket(l1_agent, title="A"), make_ticket(l1_agent, title="B")
    link = services.ticket_link(actor=l1_agent, ticket=a, target=b, kind="duplicate_of")
    assert kinds(b)[-1] == EventKind.LINKED
    with pytest.raises(DomainError):
        services.ticket_link(actor=l1_agent, ticket=a, target=b, kind="duplicate_of")
    with pytest.raises(DomainError):
        services.ticket_link(actor=l1_agent, ticket=b, target=a, kind="duplicate_of")
    with pytest.raises(DomainError):
        services.ticket_link(actor=l1_agent, ticket=a, target=a, kind="related")
    services.ticket_unlink(actor=l1_agent, ticket=b, link_id=link.pk)
    assert kinds(a)[-1] == EventKind.UNLINKED and kinds(b)[-1] == EventKind.UNLINKED


def test_watch_is_idempotent(l1_agent, l2_agent):
    ticket = make_ticket(l1_agent)
    services.ticket_watch(actor=l2_agent, ticket=ticket)
    services.ticket_watch(actor=l2_agent, ticket=ticket)
    assert list(ticket.watchers.all()) == [l2_agent]
    assert kinds(ticket).count(EventKind.WATCHED) == 1
    services.ticket_unwatch(actor=l2_agent, ticket=ticket)
    assert not ticket.watchers.exists()


def test_events_are_append_only(l1_agent):
    event = TicketEvent.objects.get(ticket=make_ticket(l1_agent))
    event.kind = EventKind.UPDATED
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.delete()


@pytest.mark.django_db(transaction=True)
def test_numbers_stay_unique_under_concurrent_creates(l1_agent):
    created: list[str] = []
    errors: list[Exception] = []

    def worker():
        try:
            created.extend(make_ticket(l1_agent, title="Concurrent").number for _ in range(5))
        except Exception as exc:  # collected and asserted below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(created) == 20 == len(set(created))
    assert Ticket.objects.count() == 20


@pytest.mark.django_db(transaction=True)
def test_concurrent_edits_of_one_ticket_give_one_winner_and_one_conflict(l1_agent, l2_agent):
    ticket = make_ticket(l1_agent, title="Original")
    outcomes: list[str] = []
    barrier = threading.Barrier(2)

    def edit(actor, title):
        barrier.wait()
        try:
            services.ticket_update(actor=actor, ticket=ticket, version=1, changes={"title": title})
            outcomes.append("ok")
        except Conflict:
            outcomes.append("conflict")
        finally:
            connection.close()

    threads = [
        threading.Thread(target=edit, args=(l1_agent, "One")),
        threading.Thread(target=edit, args=(l2_agent, "Two")),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["conflict", "ok"]
    ticket.refresh_from_db()
    assert ticket.version == 2


def test_escalating_an_in_progress_ticket_starts_it_over_in_the_new_team(l1_agent, app_support):
    ticket = make_ticket(l1_agent, assignee=l1_agent)
    ticket = services.ticket_transition(actor=l1_agent, ticket=ticket, action="start")
    ticket = services.ticket_update(
        actor=l1_agent, ticket=ticket, version=ticket.version, changes={"team": app_support}
    )
    assert (ticket.status, ticket.assignee, ticket.tier) == (Status.NEW, None, 2)
    event = TicketEvent.objects.get(ticket=ticket, kind=EventKind.ASSIGNED)
    assert event.data["status"] == ["in_progress", "new"]
    assert event.data["changes"]["assignee"] == [{"id": l1_agent.pk, "name": "Sam Desk"}, None]


def test_assigning_someone_in_two_tiers_keeps_the_ticket_at_its_tier(
    l1_agent, app_support, engineering
):
    from tests.factories import UserFactory

    kenji = UserFactory(username="kenji", teams=[app_support, engineering])
    ticket = make_ticket(l1_agent, team=app_support)
    other = make_ticket(l1_agent)
    assert services.ticket_assign(actor=kenji, ticket=ticket, assignee=kenji).team == app_support
    assert services.ticket_assign(actor=kenji, ticket=other, assignee=kenji).team == app_support


def test_reopen_clears_the_previous_resolution(l1_agent):
    ticket = make_ticket(l1_agent)
    ticket = services.ticket_transition(
        actor=l1_agent,
        ticket=ticket,
        action="resolve",
        resolution_code="fixed",
        resolution_notes="Rebooted",
        cause_code="hardware",
    )
    ticket = services.ticket_transition(actor=l1_agent, ticket=ticket, action="reopen")
    assert (ticket.resolution_code, ticket.resolution_notes, ticket.cause_code) == ("", "", "")
    resolved = TicketEvent.objects.get(ticket=ticket, data__to="resolved")
    assert resolved.data["resolution_notes"] == "Rebooted"


def test_mentions_in_internal_notes_notify_colleagues_not_requesters(l1_agent, l2_agent, requester):
    from backline.notifications.models import Notification

    ticket = make_ticket(l1_agent, requester=requester)
    services.ticket_comment(
        actor=l1_agent, ticket=ticket, body="@lena can you check? @rita", internal=True
    )
    services.ticket_comment(actor=l1_agent, ticket=ticket, body="Public: @lena")
    mention = Notification.objects.get(kind="mention")
    assert mention.recipient == l2_agent and mention.ticket_number == ticket.number


def test_starting_work_on_an_unassigned_ticket_takes_it(l1_agent, l2_agent, app_support):
    ticket = make_ticket(l1_agent, team=app_support)
    with pytest.raises(DomainError):
        services.ticket_transition(actor=l1_agent, ticket=ticket, action="start")
    ticket = services.ticket_transition(actor=l2_agent, ticket=ticket, action="start")
    assert ticket.assignee == l2_agent and ticket.status == Status.IN_PROGRESS
    event = TicketEvent.objects.get(ticket=ticket, kind=EventKind.STATUS_CHANGED)
    assert event.data["changes"]["assignee"][1]["name"] == "Lena Second"
