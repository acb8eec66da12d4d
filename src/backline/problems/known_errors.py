"""Known errors (KE-): writes (create from a problem or standalone, edit, publish, retire) and
reads (lists, one record, the published ones matching a ticket). Every write re-indexes the
record for search in the same transaction."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import BooleanField, Exists, ExpressionWrapper, OuterRef, Q, QuerySet, Value
from django.utils import timezone

from backline.accounts.models import User
from backline.cmdb.models import ConfigurationItem, Service
from backline.core.errors import (
    Conflict,
    DomainError,
    NotFound,
    PermissionDenied,
    from_validation_error,
)
from backline.problems.choices import KnownErrorState, ProblemEventKind
from backline.problems.index import known_error_reindex
from backline.problems.models import KnownError, Problem
from backline.problems.services import problem_event

CONTENT = ("title", "symptoms", "workaround")

# The states a known error may move to from each state (publish, retire, back to draft to rework).
TRANSITIONS: dict[str, dict[str, str]] = {
    KnownErrorState.DRAFT: {"publish": KnownErrorState.PUBLISHED},
    KnownErrorState.PUBLISHED: {
        "retire": KnownErrorState.RETIRED,
        "unpublish": KnownErrorState.DRAFT,
    },
    KnownErrorState.RETIRED: {"publish": KnownErrorState.PUBLISHED},
}


def is_ke_editor(user: Any) -> bool:
    """Known errors are written by whoever edits the knowledge base (L2/L3 staff and managers);
    L1 reads published ones. Shares the knowledge app's per-request cache of the user's tiers."""
    from backline.knowledge.queries import reader_of

    return reader_of(user).editor


def require_ke_editor(actor: User) -> None:
    if not is_ke_editor(actor):
        raise PermissionDenied("Only L2/L3 staff and managers can write known errors.")


def _check(fields: dict[str, str]) -> dict[str, str]:
    out = {name: (fields.get(name) or "").strip() for name in CONTENT}
    for name in CONTENT:
        if not out[name]:
            raise DomainError(f"{name.capitalize()} is required.", field=name)
    if len(out["title"]) > 200:
        raise DomainError("At most 200 characters.", field="title")
    return out


def _clean(ke: KnownError) -> None:
    try:
        ke.full_clean(exclude=["problem", "created_by"])
    except ValidationError as exc:
        raise from_validation_error(exc) from exc


def known_error_initial(problem: Problem) -> dict[str, Any]:
    """What a known error from this problem starts with: its title, its statement as the
    symptoms, the root cause as a hint for the workaround, its CIs and services plus those of
    its incidents."""
    cis = set(problem.cis.values_list("pk", flat=True))
    services = set(problem.services.values_list("pk", flat=True))
    for ci, service in problem.incident_links.values_list("ticket__ci_id", "ticket__service_id"):
        cis.update([ci] if ci else [])
        services.update([service] if service else [])
    return {
        "title": problem.title,
        "symptoms": problem.statement,
        "workaround": "",
        "root_cause": problem.root_cause,
        "cis": sorted(cis),
        "services": sorted(services),
    }


def known_error_create(
    *,
    actor: User,
    problem: Problem | None = None,
    title: str = "",
    symptoms: str = "",
    workaround: str = "",
    services: Iterable[Service] | None = None,
    cis: Iterable[ConfigurationItem] | None = None,
    at: datetime | None = None,
) -> KnownError:
    """Record a draft known error, from a problem (empty fields are taken from it) or alone."""
    require_ke_editor(actor)
    if problem is not None:
        start = known_error_initial(problem)
        title = title or start["title"]
        symptoms = symptoms or start["symptoms"]
        if services is None:
            services = Service.objects.filter(pk__in=start["services"])
        if cis is None:
            cis = ConfigurationItem.objects.filter(pk__in=start["cis"])
    content = _check({"title": title, "symptoms": symptoms, "workaround": workaround})
    now = at or timezone.now()
    with transaction.atomic():
        ke = KnownError(
            problem=problem, created_by=actor, created_at=now, updated_at=now, **content
        )
        _clean(ke)
        ke.save()
        ke.services.set(list(services or ()))
        ke.cis.set(list(cis or ()))
        known_error_reindex(ke)
    return ke


def _lock(ke: KnownError, version: int | None) -> KnownError:
    fresh = KnownError.objects.select_for_update().get(pk=ke.pk)
    if version is not None and version != fresh.version:
        raise Conflict(
            f"{fresh.number} was changed by someone else (now version {fresh.version}); "
            "reload and apply your change again.",
            field="version",
        )
    return fresh


def known_error_update(
    *,
    actor: User,
    known_error: KnownError,
    version: int | None = None,
    at: datetime | None = None,
    **changes: Any,
) -> KnownError:
    """Edit the text, CIs or services; send the version you read (stale → 409)."""
    require_ke_editor(actor)
    unknown = set(changes) - {*CONTENT, "services", "cis"}
    if unknown:
        name = sorted(unknown)[0]
        raise DomainError(f"Unknown field {name!r}.", field=name)
    now = at or timezone.now()
    with transaction.atomic():
        ke = _lock(known_error, version)
        content = _check({f: changes.get(f, getattr(ke, f)) for f in CONTENT})
        for name, value in content.items():
            setattr(ke, name, value)
        _clean(ke)
        ke.version += 1
        ke.updated_at = now
        ke.save()
        for rel in ("services", "cis"):
            if changes.get(rel) is not None:
                getattr(ke, rel).set(list(changes[rel]))
        known_error_reindex(ke)
    return ke


def known_error_transition(
    *,
    actor: User,
    known_error: KnownError,
    action: str,
    version: int | None = None,
    at: datetime | None = None,
) -> KnownError:
    """Publish (matching incidents show the workaround), retire or take back to draft.
    Publishing one that belongs to a problem writes the problem's KNOWN_ERROR_PUBLISHED event."""
    require_ke_editor(actor)
    now = at or timezone.now()
    with transaction.atomic():
        ke = _lock(known_error, version)
        target = TRANSITIONS.get(ke.state, {}).get(action)
        if target is None:
            raise DomainError(
                f"A {ke.get_state_display().lower()} known error cannot {action}.",
                code="invalid_transition",
                field="action",
            )
        ke.state = target
        ke.version += 1
        ke.updated_at = now
        if target == KnownErrorState.PUBLISHED:
            ke.published_at = now
        ke.save()
        if target == KnownErrorState.PUBLISHED and ke.problem_id is not None:
            problem_event(
                ke.problem,  # type: ignore[arg-type]
                ProblemEventKind.KNOWN_ERROR_PUBLISHED,
                actor,
                now,
                known_error=ke.number,
                title=ke.title,
            )
        known_error_reindex(ke)
    return ke


def known_error_publish(*, actor: User, known_error: KnownError, **kw: Any) -> KnownError:
    return known_error_transition(actor=actor, known_error=known_error, action="publish", **kw)


def known_error_retire(*, actor: User, known_error: KnownError, **kw: Any) -> KnownError:
    return known_error_transition(actor=actor, known_error=known_error, action="retire", **kw)


# --- reads -----------------------------------------------------------------------------------


def known_errors_visible_to(user: User) -> QuerySet[KnownError]:
    """Published known errors for staff; every state for editors; nothing for requesters."""
    if not user.is_authenticated or not user.is_active or not user.is_staff_member:
        return KnownError.objects.none()
    qs = KnownError.objects.select_related("problem", "created_by")
    if is_ke_editor(user):
        return qs
    return qs.filter(state=KnownErrorState.PUBLISHED)


def known_error_list(user: User, *, q: str = "", state: str = "") -> QuerySet[KnownError]:
    qs = known_errors_visible_to(user)
    if state:
        qs = qs.filter(state=state)
    if q:
        qs = qs.filter(Q(title__icontains=q) | Q(symptoms__icontains=q))
    return qs.order_by("-updated_at", "-id")


def known_error_get(user: User, ref: str | int) -> KnownError:
    """One known error by id or number (KE-7); hidden ones are NotFound."""
    text = str(ref).strip().upper().removeprefix("KE-")
    if not text.isdecimal() or len(text) > 12:
        raise NotFound(f"No known error {ref}.")
    found = (
        known_errors_visible_to(user).prefetch_related("services", "cis").filter(pk=text).first()
    )
    if found is None:
        raise NotFound(f"No known error KE-{text}.")
    return found


@dataclass(frozen=True)
class KnownErrorMatch:
    known_error: KnownError
    linked: bool  # shares the ticket's CI or service
    shared: int  # informative words in common
    score: float


def _linked(ticket: Any) -> Q | None:
    """Whether a known error lists the ticket's CI or service (None when it has neither)."""
    parts = []
    if ticket.ci_id:
        cis = KnownError.cis.through.objects
        parts.append(Exists(cis.filter(
            knownerror_id=OuterRef("pk"), configurationitem_id=ticket.ci_id)))  # fmt: skip
    if ticket.service_id:
        services = KnownError.services.through.objects
        parts.append(Exists(services.filter(
            knownerror_id=OuterRef("pk"), service_id=ticket.service_id)))  # fmt: skip
    if not parts:
        return None
    q = Q(parts[0])
    for part in parts[1:]:
        q |= Q(part)
    return q


def matching_known_errors(
    user: User, ticket: Any, *, text: str, candidate_ids: Iterable[int] = (), limit: int = 3
) -> list[KnownErrorMatch]:
    """Published known errors matching a ticket: the search candidates (`candidate_ids`, from
    search.similar) and those linked to its CI or service, read in one query, kept when their
    symptoms match its text (`recurrence.text_matches`: half the words, or 30% with a shared
    CI/service; never a shared CI alone — a disk alert on a CI is not its report bug)."""
    from backline.problems.recurrence import overlap, terms, text_matches

    linked = _linked(ticket)
    ids = list(candidate_ids)
    if linked is None and not ids:
        return []
    wanted = Q(pk__in=ids)
    rows = KnownError.objects.filter(state=KnownErrorState.PUBLISHED).only(
        "id", "title", "symptoms", "workaround", "problem_id", "state"
    )
    if linked is None:
        rows = rows.filter(wanted).annotate(linked=Value(False))
    else:
        rows = rows.filter(wanted | linked).annotate(
            linked=ExpressionWrapper(linked, output_field=BooleanField())
        )
    mine = terms(text)
    found = []
    for ke in rows[:50]:
        score, shared = overlap(mine, terms(f"{ke.title}\n{ke.symptoms}"))
        if text_matches(score, shared, linked=bool(ke.linked)):
            found.append(KnownErrorMatch(ke, bool(ke.linked), shared, round(score, 3)))
    found.sort(key=lambda m: (-m.linked, -m.score, -m.known_error.pk))
    return found[:limit]
