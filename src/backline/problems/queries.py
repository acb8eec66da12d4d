"""Reads for problems, scoped by permission (problems are support staff's work)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db.models import Count, Max, Min, Q, QuerySet
from django.utils import timezone

from backline.accounts.models import User
from backline.core.errors import DomainError, NotFound
from backline.problems import rules
from backline.problems.choices import OPEN_PROBLEM_STATES
from backline.problems.filters import ProblemFilter
from backline.problems.models import (
    Action,
    ContributingFactor,
    FactorCategory,
    Problem,
    ProblemEvent,
    ProblemIncident,
    TimelineEntry,
    WhyStep,
)
from backline.tickets.models import Ticket
from backline.tickets.permissions import require_staff
from backline.tickets.queries import tickets_visible_to, visible_numbers
from backline.tickets.rules import parse_number as ticket_number

_LIST_RELATED = ("owner", "team")
_OPEN = rules.OPEN_ACTION_STATES


def problems_visible_to(user: User) -> QuerySet[Problem]:
    """Problems the user may see: all for support staff, none for requesters."""
    if not user.is_authenticated or not user.is_active or not user.is_staff_member:
        return Problem.objects.none()
    return Problem.objects.all()


def problem_list(user: User, flt: ProblemFilter) -> QuerySet[Problem]:
    """Problems matching the filter, open and urgent first, with their incident counts."""
    qs = problems_visible_to(user).select_related(*_LIST_RELATED)
    if flt.q:
        text = Q(title__icontains=flt.q) | Q(statement__icontains=flt.q)
        pk = rules.parse_number(flt.q)
        qs = qs.filter(text | Q(pk=pk) if pk else text)
    if flt.state:
        qs = qs.filter(state=flt.state)
    if flt.open is not None:
        in_open = Q(state__in=OPEN_PROBLEM_STATES)
        qs = qs.filter(in_open if flt.open else ~in_open)
    if flt.priority:
        qs = qs.filter(priority=flt.priority)
    if flt.team:
        qs = qs.filter(team_id=flt.team)
    if flt.owner:
        qs = qs.filter(owner_id=flt.owner)
    if flt.service:
        qs = qs.filter(services__id=flt.service)
    if flt.ci:
        qs = qs.filter(cis__id=flt.ci)
    return qs.annotate(
        incident_count=Count(
            "incident_links",
            filter=Q(incident_links__ticket__in=tickets_visible_to(user)),
            distinct=True,
        ),
        open_actions=Count(
            "actions", filter=Q(actions__state__in=rules.OPEN_ACTION_STATES), distinct=True
        ),
    ).order_by("priority", "-updated_at", "-id")


def problem_get(user: User, number: str | int) -> Problem:
    """One problem by `PRB-12` or `12`; NotFound for anything else or for requesters."""
    pk = rules.parse_number(number)
    problem = (
        problems_visible_to(user).select_related(*_LIST_RELATED).filter(pk=pk).first()
        if pk
        else None
    )
    if problem is None:
        raise NotFound(f"No problem {number}.", field="problem")
    return problem


def problem_incidents(problem: Problem, user: User) -> list[ProblemIncident]:
    """The linked incidents the user may see, newest incident first."""
    return list(
        ProblemIncident.objects.filter(problem=problem, ticket__in=tickets_visible_to(user))
        .select_related("ticket", "ticket__team", "ticket__service", "linked_by")
        .order_by("-ticket__created_at", "-ticket_id")
    )


def problem_history(problem: Problem, user: User) -> list[ProblemEvent]:
    """The problem's events, newest first; incidents the user may not see are left out of them
    (an event naming only such incidents is left out whole)."""
    events = list(problem.events.select_related("actor").order_by("-at", "-id"))
    named = {n for e in events for n in _event_tickets(e.data)}
    seen = visible_numbers(user, named)
    out = []
    for event in events:
        numbers = _event_tickets(event.data)
        if numbers and not (numbers & seen):
            continue
        if isinstance(event.data.get("tickets"), list):
            event.data = {**event.data, "tickets": [n for n in event.data["tickets"] if n in seen]}
        out.append(event)
    return out


def _event_tickets(data: dict) -> set[str]:
    """The ticket numbers a problem event names ("ticket" or "tickets")."""
    listed = data.get("tickets")
    found: list = listed if isinstance(listed, list) else []
    single = data.get("ticket")
    return {str(n) for n in found} | ({str(single)} if single else set())


@dataclass
class Rca:
    timeline: list[TimelineEntry]
    whys: list[WhyStep]
    factors: list[ContributingFactor]
    categories: list[FactorCategory]


def problem_rca(problem: Problem, user: User) -> Rca:
    """The whole root cause analysis (four queries); entries citing a ticket event or attachment
    of a ticket the user may not see are left out."""
    visible = tickets_visible_to(user)
    timeline = list(
        TimelineEntry.objects.filter(problem=problem)
        .exclude(Q(ticket_event__isnull=False) & ~Q(ticket_event__ticket__in=visible))
        .exclude(Q(attachment__isnull=False) & ~Q(attachment__ticket__in=visible))
        .select_related(
            "ticket_event", "ticket_event__ticket", "change", "attachment", "created_by"
        )
    )
    return Rca(
        timeline=timeline,
        whys=list(WhyStep.objects.filter(problem=problem).order_by("position")),
        factors=list(ContributingFactor.objects.filter(problem=problem).select_related("category")),
        categories=list(FactorCategory.objects.all()),
    )


def problem_actions(problem: Problem, today: date | None = None) -> list[Action]:
    """The problem's actions by due date, each with `overdue` set."""
    today = today or timezone.localdate()
    actions = list(Action.objects.filter(problem=problem).select_related("owner", "team", "change"))
    return _mark_overdue(actions, today)


def _mark_overdue(actions: list[Action], today: date) -> list[Action]:
    """Set `overdue` on each action (an annotation for pages and the API, not a column)."""
    for a in actions:
        a.overdue = rules.is_overdue(a.due_date, a.state, today)  # type: ignore[attr-defined]
    return actions


def ticket_problems(ticket: Ticket) -> list[ProblemIncident]:
    """The problems an incident is linked to (one query)."""
    return list(
        ProblemIncident.objects.filter(ticket=ticket)
        .select_related("problem")
        .order_by("-problem__created_at")
    )


def actions_for(
    user: User, *, include_closed: bool = False, today: date | None = None
) -> list[Action]:
    """The actions the user owns, overdue first then by due date, each with `overdue` set."""
    require_staff(user, "see problem actions")
    today = today or timezone.localdate()
    qs = Action.objects.filter(owner=user).select_related("problem", "team", "change")
    if not include_closed:
        qs = qs.filter(state__in=rules.OPEN_ACTION_STATES)
    actions = _mark_overdue(list(qs.order_by("due_date", "id")), today)
    actions.sort(key=lambda a: (not getattr(a, "overdue", False), a.state not in _OPEN))
    return actions


def overdue_actions(user: User, today: date | None = None) -> list[Action]:
    """The user's open actions past their due day, oldest due first (one query)."""
    if not user.is_authenticated or not user.is_staff_member:
        return []
    today = today or timezone.localdate()
    actions = list(
        Action.objects.filter(owner=user, state__in=rules.OPEN_ACTION_STATES, due_date__lt=today)
        .select_related("problem")
        .order_by("due_date", "id")
    )
    return _mark_overdue(actions, today)


def factor_categories(*, active_only: bool = True) -> list[FactorCategory]:
    qs = FactorCategory.objects.all()
    return list(qs.filter(is_active=True) if active_only else qs)


def incident_span(problem: Problem, user: User) -> dict:
    """How many incidents the user may see are linked, and when the first and last were opened."""
    links = ProblemIncident.objects.filter(problem=problem, ticket__in=tickets_visible_to(user))
    return links.aggregate(
        count=Count("id"), first=Min("ticket__created_at"), last=Max("ticket__created_at")
    )


def problems_for_picker(user: User, limit: int = 50) -> list[Problem]:
    """Open problems, most recently touched first, for "link to a problem" pickers."""
    return list(
        problems_visible_to(user)
        .filter(state__in=OPEN_PROBLEM_STATES)
        .only("id", "title", "state")
        .order_by("-updated_at")[:limit]
    )


def tickets_by_numbers(user: User, refs: list[str]) -> list[Ticket]:
    """The tickets named by number, in the order given; the first unknown one is a field error
    (one query for the whole selection)."""
    wanted: list[tuple[str, int | None]] = [(ref, ticket_number(str(ref))) for ref in refs]
    ids = {pk for _, pk in wanted if pk}
    found = {t.pk: t for t in tickets_visible_to(user).filter(pk__in=ids)}
    out: list[Ticket] = []
    for ref, pk in wanted:
        if pk is None or pk not in found:
            raise DomainError(f"No ticket {ref}.", field="tickets")
        out.append(found[pk])
    return out


def action_get(problem: Problem, action_id: int) -> Action:
    """One action of the problem (NotFound for an action of another problem)."""
    action = (
        Action.objects.filter(problem=problem, pk=action_id)
        .select_related("problem", "owner", "team", "change")
        .first()
    )
    if action is None:
        raise NotFound(f"{problem.number} has no action {action_id}.", field="action")
    return _mark_overdue([action], timezone.localdate())[0]
