"""How articles appear in search: the document an article indexes as, and who may find it."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from django.db.models import Q

from backline.accounts.models import User
from backline.knowledge.models import Article
from backline.search.documents import Document
from backline.search.registry import Provider, register
from backline.search.services import document_index

KIND = "article"


def article_document(
    article: Article, *, service_id: int | None = None, ci_id: int | None = None
) -> Document:
    """The search document of an article (its first service and CI drive "same CI" boosts)."""
    return Document(
        kind=KIND,
        object_id=article.pk,
        title=article.title,
        body="\n\n".join(
            p for p in (article.symptoms, article.cause, article.resolution, article.body) if p
        ),
        keywords=article.keywords,
        status=article.state,
        audience=article.audience,
        owner_id=article.owner_id,
        service_id=service_id,
        ci_id=ci_id,
        category_id=article.category_id,
        created_at=article.created_at,
        updated_at=article.updated_at,
    )


def article_reindex(article: Article) -> None:
    """Write the article's search document (inside the caller's transaction)."""
    service = article.services.order_by("pk").values_list("pk", flat=True).first()
    ci = article.cis.order_by("pk").values_list("pk", flat=True).first()
    document_index(article_document(article, service_id=service, ci_id=ci))


def _documents(ids: Iterable[int] | None) -> Iterator[Document]:
    qs = Article.objects.order_by("pk")
    if ids is not None:
        qs = qs.filter(pk__in=list(ids))
    services: dict[int, int] = {}
    cis: dict[int, int] = {}
    for rel, target in (("services", services), ("cis", cis)):
        through = getattr(Article, rel).through
        column = "service_id" if rel == "services" else "configurationitem_id"
        for article_id, other in through.objects.order_by(f"-{column}").values_list(
            "article_id", column
        ):
            target[article_id] = other
    for article in qs.iterator(chunk_size=2000):
        yield article_document(
            article, service_id=services.get(article.pk), ci_id=cis.get(article.pk)
        )


def _scope(user: User) -> Q | None:
    from backline.knowledge.queries import article_scope

    # The same rule as the article pages; a search document calls the state `status`.
    return article_scope(user, state_field="status")


def register_articles() -> None:
    register(
        Provider(
            kind=KIND,
            label="Articles",
            documents=_documents,
            scope=_scope,
            url=lambda pk: f"/kb/KB-{pk}",
            number=lambda pk: f"KB-{pk}",
        )
    )
