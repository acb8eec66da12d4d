"""How known errors appear in search: their document (symptoms and workaround) and who may find
them — staff see published ones, known-error editors every state, requesters none."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from django.db.models import Q

from backline.problems.choices import KnownErrorState
from backline.problems.models import KnownError
from backline.search.documents import Document
from backline.search.registry import Provider, register
from backline.search.services import document_index

KIND = "known_error"


def known_error_document(
    ke: KnownError, *, service_id: int | None = None, ci_id: int | None = None
) -> Document:
    """The search document of a known error (its first service and CI drive "same CI" boosts)."""
    return Document(
        kind=KIND,
        object_id=ke.pk,
        title=ke.title,
        body=f"{ke.symptoms}\n\n{ke.workaround}",
        status=ke.state,
        owner_id=ke.created_by_id,
        service_id=service_id,
        ci_id=ci_id,
        created_at=ke.created_at,
        updated_at=ke.updated_at,
    )


def known_error_reindex(ke: KnownError) -> None:
    """Write the known error's search document (inside the caller's transaction)."""
    service = ke.services.order_by("pk").values_list("pk", flat=True).first()
    ci = ke.cis.order_by("pk").values_list("pk", flat=True).first()
    document_index(known_error_document(ke, service_id=service, ci_id=ci))


def _documents(ids: Iterable[int] | None) -> Iterator[Document]:
    qs = KnownError.objects.order_by("pk")
    if ids is not None:
        qs = qs.filter(pk__in=list(ids))
    firsts: dict[str, dict[int, int]] = {"services": {}, "cis": {}}
    for rel, column in (("services", "service_id"), ("cis", "configurationitem_id")):
        through = getattr(KnownError, rel).through
        rows = through.objects.order_by(f"-{column}").values_list("knownerror_id", column)
        for ke_id, other in rows:
            firsts[rel][ke_id] = other  # descending, so the lowest id wins
    for ke in qs.iterator(chunk_size=2000):
        yield known_error_document(
            ke, service_id=firsts["services"].get(ke.pk), ci_id=firsts["cis"].get(ke.pk)
        )


def _scope(user: Any) -> Q | None:
    from backline.problems.known_errors import is_ke_editor

    if not user.is_staff_member:
        return None
    if is_ke_editor(user):
        return Q()
    return Q(status=KnownErrorState.PUBLISHED)


def register_known_errors() -> None:
    register(
        Provider(
            kind=KIND,
            label="Known errors",
            documents=_documents,
            scope=_scope,
            url=lambda pk: f"/known-errors/{pk}",
            number=lambda pk: f"KE-{pk}",
        )
    )
