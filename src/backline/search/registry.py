"""The kinds of objects that are searchable: each app registers a Provider from its AppConfig."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from django.db.models import Q

from backline.search.documents import Document


@dataclass(frozen=True)
class Provider:
    """How the index gets, scopes and links the documents of one kind."""

    kind: str
    label: str  # "Incidents", "Articles"
    # None = all (reindex); streams documents in batches.
    documents: Callable[[Iterable[int] | None], Iterator[Document]]
    # Q over SearchDocument fields limiting what the user may see; None = kind hidden from them.
    scope: Callable[[Any], Q | None]
    url: Callable[[int], str]  # the object's page
    number: Callable[[int], str]  # display id: "INC-42", "KB-7"

    @property
    def prefix(self) -> str:
        """The letters before the dash of the display id ("INC"), for direct jumps."""
        return self.number(1).split("-", 1)[0].upper()


_PROVIDERS: dict[str, Provider] = {}


def register(provider: Provider) -> None:
    """Make a kind searchable (registering a kind again replaces it)."""
    _PROVIDERS[provider.kind] = provider


def providers() -> dict[str, Provider]:
    """The registered providers by kind, in registration order."""
    return dict(_PROVIDERS)
