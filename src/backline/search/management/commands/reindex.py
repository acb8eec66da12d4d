"""`manage.py reindex [--kind ticket]`: rebuild the search index from the objects themselves."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from backline.core.errors import DomainError


class Command(BaseCommand):
    help = "Rebuild the search index (all kinds, or those named with --kind) from the objects."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--kind", action="append", help="ticket, article…; repeat for several")
        parser.add_argument("--batch", type=int, default=2000)

    def handle(self, *args, kind: list[str] | None = None, batch: int = 2000, **options) -> None:
        from backline.search.services import documents_reindex

        try:
            count = documents_reindex(kinds=kind, batch=batch)
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(
            f"Indexed {count:,} documents ({', '.join(kind) if kind else 'all kinds'})."
        )
