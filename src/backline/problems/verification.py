"""Fix verification: after a problem is resolved Backline watches new incidents for its
`verify_days`. A matching incident records RECURRED (and tells the owner) — the fix may not have
worked; a window that passes without one closes the problem as "recurrence stopped" (VERIFIED).

A new incident matches a resolved problem when both hold:
- it is on the problem's ground: the same CI or service as the problem or its linked incidents
  (or its known errors) — the text alone would flag look-alikes on other systems;
- its text matches a linked incident or a known error's symptoms (`recurrence.text_matches`:
  half the shorter text's informative words and at least two, or 30% on the same CI/service,
  which is always the case here).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import connection, transaction
from django.db.models import F, Prefetch
from django.utils import timezone

from backline.accounts.models import User
from backline.notifications.services import notify
from backline.problems.choices import Closure, ProblemEventKind, ProblemState
from backline.problems.models import KnownError, Problem, ProblemEvent, ProblemIncident
from backline.problems.recurrence import overlap, terms, text_matches
from backline.problems.services import problem_event
from backline.tickets.models import Ticket
from backline.tickets.queries import tickets_visible_to


def window_end(problem: Problem) -> datetime | None:
    if problem.resolved_at is None:
        return None
    return problem.resolved_at + timedelta(days=problem.verify_days)


def _watched(at: datetime) -> list[Problem]:
    """Resolved problems whose verification window is open at `at`, with what matching needs
    (one query per relation; resolved problems are few)."""
    links = ProblemIncident.objects.select_related("ticket").only(
        "problem_id", "ticket__id", "ticket__title", "ticket__description",
        "ticket__ci_id", "ticket__service_id",
    )  # fmt: skip
    problems = (
        Problem.objects.filter(state=ProblemState.RESOLVED, resolved_at__lte=at)
        .select_related("owner")
        .prefetch_related(
            Prefetch("incident_links", queryset=links),
            Prefetch("known_errors", queryset=KnownError.objects.prefetch_related("cis")),
            "cis",
            "services",
        )
    )
    return [p for p in problems if (end := window_end(p)) is not None and at <= end]


@dataclass(frozen=True)
class Footprint:
    cis: frozenset[int]
    services: frozenset[int]
    texts: tuple[dict[str, str], ...]


def footprint(problem: Problem) -> Footprint:
    """The CIs, services and symptom texts of a problem (from prefetched relations)."""
    cis = {c.pk for c in problem.cis.all()}
    services = {s.pk for s in problem.services.all()}
    texts = [terms(f"{problem.title}\n{problem.statement}")]
    for link in problem.incident_links.all():
        t = link.ticket
        cis.update([t.ci_id] if t.ci_id else [])
        services.update([t.service_id] if t.service_id else [])
        texts.append(terms(f"{t.title}\n{t.description}"))
    for ke in problem.known_errors.all():
        cis.update(c.pk for c in ke.cis.all())
        texts.append(terms(f"{ke.title}\n{ke.symptoms}"))
    return Footprint(frozenset(cis), frozenset(services), tuple(texts))


def matches(ticket: Ticket, fp: Footprint, mine: dict[str, str] | None = None) -> bool:
    on_ground = (ticket.ci_id is not None and ticket.ci_id in fp.cis) or (
        ticket.service_id is not None and ticket.service_id in fp.services
    )
    if not on_ground:
        return False
    mine = mine if mine is not None else terms(f"{ticket.title}\n{ticket.description}")
    return any(text_matches(*overlap(mine, text), linked=True) for text in fp.texts)


def recurrence_check(*, ticket: Ticket, at: datetime | None = None) -> list[ProblemEvent]:
    """Record RECURRED on each resolved problem in its window that the new ticket matches and
    notify its owner (inside the ticket's transaction). Nothing is linked automatically: the
    owner decides whether the fix failed."""
    if ticket.ci_id is None and ticket.service_id is None:
        return []  # no ground to match on; costs no query
    now = at or timezone.now()
    mine = terms(f"{ticket.title}\n{ticket.description}")
    events = []
    for problem in _watched(now):
        if any(link.ticket_id == ticket.pk for link in problem.incident_links.all()):
            continue
        if not matches(ticket, footprint(problem), mine):
            continue
        days = max(0, (now - problem.resolved_at).days) if problem.resolved_at else 0
        events.append(
            problem_event(
                problem,
                ProblemEventKind.RECURRED,
                None,
                now,
                ticket=ticket.number,
                ticket_id=ticket.pk,
                title=ticket.title,
                days_after_fix=days,
            )
        )
        if problem.owner is not None:
            notify(
                recipients=[problem.owner],
                kind="problem_recurred",
                title=f"{problem.number} may have recurred: {ticket.number} {ticket.title}",
                body=f"{ticket.number} matches {problem.number}, resolved {days} days ago.",
                url=f"/problems/{problem.number}",
                ticket_number=ticket.number,
                at=now,
            )
    return events


def verification_sweep(*, now: datetime | None = None) -> dict[str, int]:
    """Close resolved problems whose window passed without a recurrence ("recurrence stopped"),
    each once however many workers sweep: rows are locked (skipped when another worker holds
    them on PostgreSQL) and the close is a conditional update on the state and version."""
    now = now or timezone.now()
    closed = 0
    due = Problem.objects.filter(state=ProblemState.RESOLVED, resolved_at__lte=now).only(
        "id", "resolved_at", "verify_days", "version"
    )
    for problem in due:
        end = window_end(problem)
        if end is None or end > now:
            continue
        closed += _close_verified(problem.pk, now)
    return {"verified": closed}


def _close_verified(problem_id: int, now: datetime) -> int:
    with transaction.atomic():
        qs = Problem.objects.filter(pk=problem_id, state=ProblemState.RESOLVED)
        if connection.features.has_select_for_update_skip_locked:
            qs = qs.select_for_update(skip_locked=True)
        problem = qs.first()
        if problem is None or problem.resolved_at is None:
            return 0
        recurred = ProblemEvent.objects.filter(
            problem=problem, kind=ProblemEventKind.RECURRED, at__gte=problem.resolved_at
        ).exists()
        if recurred:
            return 0  # the owner decides: reopen, or close by hand
        updated = Problem.objects.filter(
            pk=problem.pk, state=ProblemState.RESOLVED, version=problem.version
        ).update(
            state=ProblemState.CLOSED,
            closure=Closure.RECURRENCE_STOPPED,
            closed_at=now,
            updated_at=now,
            version=F("version") + 1,
        )
        if updated != 1:
            return 0
        problem_event(
            problem,
            ProblemEventKind.VERIFIED,
            None,
            now,
            closure=Closure.RECURRENCE_STOPPED,
            watched_days=problem.verify_days,
            **{"from": ProblemState.RESOLVED, "to": ProblemState.CLOSED},
        )
    return 1


# --- reads -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Recurrence:
    event: ProblemEvent
    ticket: Ticket | None
    days_after_fix: int


def problem_recurrences(problem: Problem, user: User) -> list[Recurrence]:
    """The matching incidents the user may see recorded after the problem's fix, newest first
    (two queries)."""
    events = list(
        ProblemEvent.objects.filter(problem=problem, kind=ProblemEventKind.RECURRED).order_by(
            "-at", "-id"
        )
    )
    ids = [e.data.get("ticket_id") for e in events if e.data.get("ticket_id")]
    tickets = tickets_visible_to(user).in_bulk(ids) if ids else {}
    return [
        Recurrence(e, tickets[e.data["ticket_id"]], int(e.data.get("days_after_fix", 0)))
        for e in events
        if e.data.get("ticket_id") in tickets
    ]


def ticket_recurrences(ticket: Ticket) -> list[dict[str, Any]]:
    """The resolved problems this ticket was found to match (one query)."""
    events = (
        ProblemEvent.objects.filter(kind=ProblemEventKind.RECURRED, data__ticket_id=ticket.pk)
        .select_related("problem")
        .order_by("-at")
    )
    return [
        {
            "problem": e.problem,
            "days_after_fix": int(e.data.get("days_after_fix", 0)),
        }
        for e in events[:5]
    ]


def recurrence_signals(*, days: int = 30, now: datetime | None = None) -> list[dict[str, Any]]:
    """RECURRED events of the last `days` days, newest first (at most 200)."""
    now = now or timezone.now()
    events = (
        ProblemEvent.objects.filter(kind=ProblemEventKind.RECURRED, at__gte=now - timedelta(days))
        .select_related("problem")
        .order_by("-at", "-id")[:200]
    )
    return [
        {
            "problem": e.problem.number,
            "ticket": e.data.get("ticket"),
            "at": e.at,
            "days_after_fix": int(e.data.get("days_after_fix", 0)),
        }
        for e in events
    ]


def problems_sweep(*, now: datetime | None = None) -> dict[str, int]:
    """The worker's problems job: close verified fixes, then (hourly) look for recurring
    incidents to propose as problems."""
    from backline.problems.recurrence import proposals_sweep

    now = now or timezone.now()
    return {**verification_sweep(now=now), **proposals_sweep(now=now)}
