"""Every write for problems: creation, incident links, state, root cause analysis, actions,
known errors and proposals. (This module holds the core; other topics live beside it.)"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from backline.accounts.models import Team, User
from backline.cmdb.models import ConfigurationItem, Service
from backline.core.errors import DomainError, PermissionDenied
from backline.problems.choices import ProblemEventKind
from backline.problems.models import Problem, ProblemEvent, ProblemIncident
from backline.tickets.choices import EventKind
from backline.tickets.models import Ticket
from backline.tickets.permissions import require_staff, require_view
from backline.tickets.services import event_record

MAX_LINK = 500  # incidents linked in one request (a queue selection)


def problem_event(
    problem: Problem, kind: str, actor: User | None, at: datetime, **data: Any
) -> ProblemEvent:
    """Append one event to the problem's timeline (inside the writing transaction)."""
    return ProblemEvent.objects.create(problem=problem, kind=kind, actor=actor, at=at, data=data)


def problem_create(
    *,
    actor: User,
    title: str,
    statement: str = "",
    priority: int = 3,
    owner: User | None = None,
    team: Team | None = None,
    services: Iterable[Service] = (),
    cis: Iterable[ConfigurationItem] = (),
    tickets: Iterable[Ticket] = (),
    at: datetime | None = None,
) -> Problem:
    """Open a problem (optionally with the incidents behind it already linked)."""
    require_staff(actor, "open problems")
    title = (title or "").strip()
    if not title:
        raise DomainError("Title is required.", field="title")
    if len(title) > 200:
        raise DomainError("At most 200 characters.", field="title")
    if priority not in (1, 2, 3, 4):
        raise DomainError("Priority is 1 (critical) to 4 (low).", field="priority")
    if owner is not None and (not owner.is_active or not owner.is_staff_member):
        raise DomainError(f"{owner.display_name} cannot own problems.", field="owner")
    now = at or timezone.now()
    with transaction.atomic():
        problem = Problem.objects.create(
            title=title,
            statement=(statement or "").strip(),
            priority=priority,
            owner=owner or actor,
            team=team,
            created_by=actor,
            created_at=now,
            updated_at=now,
        )
        problem.services.set(list(services))
        problem.cis.set(list(cis))
        problem_event(problem, ProblemEventKind.CREATED, actor, now, title=title)
        linked = list(tickets)
        if linked:
            problem_link_incidents(actor=actor, problem=problem, tickets=linked, at=now)
    return problem


def problem_link_incidents(
    *, actor: User, problem: Problem, tickets: Iterable[Ticket], at: datetime | None = None
) -> list[ProblemIncident]:
    """Link incidents to the problem (from either side, or a queue selection); incidents already
    linked are left as they are. Each new link is an event on both timelines."""
    require_staff(actor, "link incidents to problems")
    wanted = list({t.pk: t for t in tickets}.values())
    if not wanted:
        raise DomainError("Choose at least one incident.", field="tickets")
    if len(wanted) > MAX_LINK:
        raise DomainError(f"At most {MAX_LINK} incidents at once.", field="tickets")
    for ticket in wanted:
        require_view(actor, ticket)
    now = at or timezone.now()
    created: list[ProblemIncident] = []
    with transaction.atomic():
        have = set(
            ProblemIncident.objects.filter(problem=problem, ticket__in=wanted).values_list(
                "ticket_id", flat=True
            )
        )
        for ticket in wanted:
            if ticket.pk in have:
                continue
            try:
                with transaction.atomic():
                    link = ProblemIncident.objects.create(
                        problem=problem, ticket=ticket, linked_by=actor, linked_at=now
                    )
            except IntegrityError:
                continue  # linked by someone else at the same moment
            created.append(link)
            event_record(
                ticket=ticket,
                kind=EventKind.PROBLEM_LINKED,
                actor=actor,
                at=now,
                data={"problem": problem.number, "title": problem.title, "tier": ticket.tier},
            )
        if created:
            problem_event(
                problem,
                ProblemEventKind.INCIDENT_LINKED,
                actor,
                now,
                tickets=[link.ticket.number for link in created],
            )
            Problem.objects.filter(pk=problem.pk).update(updated_at=now)
    return created


def require_problem_editor(actor: User, problem: Problem) -> None:
    """Staff may work on problems; closing and reopening is for the owner, its team's members
    and managers (checked where it matters)."""
    if not actor.is_staff_member:
        raise PermissionDenied("Only support staff can change problems.")
