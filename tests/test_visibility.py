"""Who sees which ticket (docs/security.md): team queues, involvement, restricted categories.

The role × object × action walk through every page and endpoint is tests/test_permissions_walk.py;
this file pins the rule itself: `tickets_visible_to` (the queryset) and `can_view` (one ticket)
must always agree, and the involvement rows must be the same whether written live or rebuilt.
"""

from __future__ import annotations

import pytest

from backline.escalation import services as escalation
from backline.tickets import services
from backline.tickets.access import access_rebuild
from backline.tickets.models import Category, TicketAccess
from backline.tickets.permissions import can_view
from backline.tickets.queries import tickets_visible_to
from tests.factories import TeamFactory, UserFactory, make_ticket

pytestmark = pytest.mark.django_db

PACKAGE = {"summary": "CRM report crashes", "impact_users": 40, "steps_taken": "Cleared cache"}


@pytest.fixture
def security_team(db):
    return TeamFactory(name="Security", tier=2)


@pytest.fixture
def secops(security_team):
    return UserFactory(username="sofia", teams=[security_team])


@pytest.fixture
def security(security_team):
    category, _ = Category.objects.update_or_create(
        slug="security", defaults={"name": "Security", "restricted": True, "team": security_team}
    )
    return category


def visible(user) -> set[int]:
    return set(tickets_visible_to(user).values_list("pk", flat=True))


def assert_agree(users, tickets) -> None:
    """The queryset and the single-ticket check give the same answer for every pair."""
    for user in users:
        seen = visible(user)
        for ticket in tickets:
            assert can_view(user, ticket) == (ticket.pk in seen), (user.username, ticket.title)


def test_agents_see_their_teams_queue_and_the_triage_pool_but_not_other_teams(
    l1_agent, l2_agent, l3_agent, service_desk, app_support, engineering, manager
):
    triage = make_ticket(l1_agent, title="Nobody's yet")
    desk = make_ticket(l1_agent, title="At the desk", team=service_desk)
    l3 = make_ticket(l3_agent, title="Engineering's own", team=engineering)
    assert visible(l2_agent) == {triage.pk}
    assert visible(l3_agent) == {triage.pk, l3.pk}
    assert visible(l1_agent) == {triage.pk, desk.pk}
    assert visible(manager) == {triage.pk, desk.pk, l3.pk}
    assert_agree([l1_agent, l2_agent, l3_agent, manager], [triage, desk, l3])


def test_the_team_that_escalated_keeps_following_the_ticket(
    l1_agent, l2_agent, l3_agent, service_desk, app_support
):
    colleague = UserFactory(username="dana", teams=[service_desk])
    ticket = make_ticket(l1_agent, title="CRM crashes on every report", team=service_desk)
    assert not can_view(l2_agent, ticket)
    escalation.escalation_create(actor=l1_agent, ticket=ticket, to_team=app_support, **PACKAGE)
    ticket.refresh_from_db()
    assert ticket.team_id == app_support.pk
    # The receiving team sees it; so does the desk that handed it over, and Sam's colleague.
    for user in (l2_agent, l1_agent, colleague):
        assert can_view(user, ticket) and ticket.pk in visible(user), user.username
    assert not can_view(l3_agent, ticket) and ticket.pk not in visible(l3_agent)
    assert_agree([l1_agent, l2_agent, l3_agent, colleague], [ticket])


def test_a_watcher_outside_the_teams_sees_the_ticket(l1_agent, l2_agent, service_desk):
    watched = make_ticket(l1_agent, title="Watched", team=service_desk)
    outsider = UserFactory(username="otto", teams=[TeamFactory(name="Facilities", tier=1)])
    assert watched.pk not in visible(outsider) and not can_view(outsider, watched)
    services.ticket_watch(actor=l1_agent, ticket=watched, user=outsider)
    assert watched.pk in visible(outsider) and can_view(outsider, watched)
    assert_agree([outsider, l2_agent], [watched])


def test_restricted_category_only_for_its_team_the_requester_and_managers(
    l1_agent, l2_agent, manager, requester, secops, security, service_desk, app_support
):
    ticket = make_ticket(
        l1_agent, title="Phishing mail with a payroll link", requester=requester, category=security
    )
    # Unrouted, but restricted: the triage pool does not reach it.
    assert not can_view(l2_agent, ticket) and ticket.pk not in visible(l2_agent)
    assert can_view(secops, ticket) and can_view(manager, ticket) and can_view(requester, ticket)
    # Sam raised it (he acted on it) and his team holds it: still not enough for a restricted one.
    services.ticket_update(
        actor=l1_agent, ticket=ticket, version=ticket.version, changes={"team": service_desk}
    )
    ticket.refresh_from_db()
    assert not can_view(l1_agent, ticket) and ticket.pk not in visible(l1_agent)
    # Being made its assignee is an explicit grant.
    services.ticket_update(
        actor=manager, ticket=ticket, version=ticket.version, changes={"assignee": l1_agent}
    )
    ticket.refresh_from_db()
    assert can_view(l1_agent, ticket)
    assert_agree([l1_agent, l2_agent, secops, manager, requester], [ticket])


def test_a_sub_category_of_a_restricted_one_is_restricted(l1_agent, l2_agent, secops, security):
    child = Category.objects.create(name="Malware", slug="malware-test", parent=security)
    ticket = make_ticket(l1_agent, title="Ransom note on the file share", category=child)
    assert not can_view(l2_agent, ticket) and ticket.pk not in visible(l2_agent)
    assert can_view(secops, ticket) and ticket.pk in visible(secops)


def test_requesters_see_only_their_own(requester, other_requester, l1_agent):
    mine = make_ticket(requester, title="My laptop")
    theirs = make_ticket(other_requester, title="Their laptop")
    unrouted = make_ticket(l1_agent, title="Agent's own")
    assert visible(requester) == {mine.pk}
    assert_agree([requester, other_requester], [mine, theirs, unrouted])


def test_inactive_and_anonymous_users_see_nothing(l1_agent):
    from django.contrib.auth.models import AnonymousUser

    ticket = make_ticket(l1_agent)
    l1_agent.is_active = False
    assert visible(l1_agent) == set() and not can_view(l1_agent, ticket)
    assert not can_view(AnonymousUser(), ticket)
    assert tickets_visible_to(AnonymousUser()).count() == 0


def test_rebuilt_involvement_equals_what_was_written_live(
    l1_agent, l2_agent, l3_agent, service_desk, app_support, engineering
):
    ticket = make_ticket(l1_agent, title="Slow invoices", team=service_desk)
    escalation.escalation_create(actor=l1_agent, ticket=ticket, to_team=app_support, **PACKAGE)
    ticket.refresh_from_db()
    services.ticket_comment(actor=l2_agent, ticket=ticket, body="Looking", internal=True)
    live = set(TicketAccess.objects.values_list("ticket_id", "team_id", "user_id"))
    assert (ticket.pk, service_desk.pk, None) in live and (ticket.pk, None, l2_agent.pk) in live
    TicketAccess.objects.all().delete()
    access_rebuild()
    assert set(TicketAccess.objects.values_list("ticket_id", "team_id", "user_id")) == live
    assert access_rebuild() == 0  # idempotent: nothing new the second time


def test_a_restricted_category_needs_an_owning_team(db):
    from django.core.exceptions import ValidationError

    category = Category(name="HR cases", slug="hr-cases", restricted=True)
    with pytest.raises(ValidationError) as err:
        category.full_clean()
    assert "team" in err.value.message_dict


def test_a_team_asked_for_a_task_sees_the_ticket(l2_agent, l3_agent, app_support, engineering):
    from backline.escalation.collaboration import task_create

    ticket = make_ticket(l2_agent, title="ERP sync stalls", team=app_support)
    assert not can_view(l3_agent, ticket)
    task_create(actor=l2_agent, ticket=ticket, team=engineering, title="Check the sync host")
    assert can_view(l3_agent, ticket) and ticket.pk in visible(l3_agent)


def test_opening_a_ticket_one_may_not_see_is_recorded_as_a_denial(l1_agent, l2_agent, service_desk):
    from backline.audit.models import AuditEvent
    from backline.core.errors import NotFound
    from backline.tickets.queries import ticket_get

    ticket = make_ticket(l1_agent, title="Desk only", team=service_desk)
    with pytest.raises(NotFound):
        ticket_get(l2_agent, ticket.number)
    with pytest.raises(NotFound):
        ticket_get(l2_agent, "INC-999999")  # missing: nothing was refused
    denials = AuditEvent.objects.filter(action="denied")
    assert [(d.actor_id, d.object_id) for d in denials] == [(l2_agent.pk, str(ticket.pk))]
