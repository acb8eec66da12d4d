"""Writes to the search index: one document at a time from the apps' services, or a rebuild."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict
from itertools import islice

from django.db import transaction

from backline.search.backends import backend
from backline.search.documents import Document
from backline.search.models import SearchDocument
from backline.search.registry import providers


def _row_fields(doc: Document) -> dict:
    fields = asdict(doc)
    fields["title"] = (doc.title or "")[:300]
    fields["body"] = (doc.body or "").replace("\x00", " ")
    fields["keywords"] = (doc.keywords or "").replace("\x00", " ")
    return fields


def document_index(doc: Document) -> None:
    """Insert or update the object's search document and its full-text entry, inside the
    caller's transaction (it joins it), so the index commits or rolls back with the write."""
    fields = _row_fields(doc)
    with transaction.atomic():
        row = (
            SearchDocument.objects.select_for_update()
            .filter(kind=doc.kind, object_id=doc.object_id)
            .values_list("pk", flat=True)
            .first()
        )
        if row is None:
            row = SearchDocument.objects.create(**fields).pk
        else:
            SearchDocument.objects.filter(pk=row).update(**fields)
        backend().after_write([row], [(fields["title"], fields["keywords"], fields["body"])])


def document_remove(*, kind: str, object_id: int) -> None:
    """Drop the object's search document (the FTS5 entry goes with it by trigger)."""
    with transaction.atomic():
        SearchDocument.objects.filter(kind=kind, object_id=object_id).delete()


def _batches(docs: Iterable[Document], size: int) -> Iterable[list[Document]]:
    it = iter(docs)
    while chunk := list(islice(it, size)):
        yield chunk


def _insert(docs: list[Document]) -> int:
    rows = SearchDocument.objects.bulk_create(
        [SearchDocument(**_row_fields(d)) for d in docs], batch_size=len(docs)
    )
    if rows and rows[0].pk is not None:
        backend().after_write([r.pk for r in rows], [(r.title, r.keywords, r.body) for r in rows])
    return len(rows)


def documents_reindex(
    *,
    kinds: Sequence[str] | None = None,
    batch: int = 2000,
    progress: Callable[[str, int], None] | None = None,
) -> int:
    """Rebuild the index of the given kinds (all by default) from their providers, in one
    transaction; returns the number of documents written."""
    registered = providers()
    wanted = list(registered) if kinds is None else list(kinds)
    unknown = [k for k in wanted if k not in registered]
    if unknown:
        from backline.core.errors import DomainError

        raise DomainError(f"Unknown kind {', '.join(unknown)}.", field="kind")
    engine = backend()
    total = 0
    with transaction.atomic():
        SearchDocument.objects.filter(kind__in=wanted).delete()
        for kind in wanted:
            for chunk in _batches(registered[kind].documents(None), batch):
                total += _insert(chunk)
                if progress is not None:
                    progress(kind, len(chunk))
        if kinds is None:
            # Recovery: rebuilt from the rows alone, whatever a damaged index still held.
            engine.rebuild()
    return total
