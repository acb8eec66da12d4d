"""The search index: one row per searchable object, whatever app it belongs to."""

from __future__ import annotations

from django.contrib.postgres.search import SearchVectorField
from django.db import models


class SearchDocument(models.Model):
    """The searchable text and filter fields of one object; ids are plain integers, not foreign
    keys, so the index never couples the apps' deletes together."""

    kind = models.CharField(max_length=20)
    object_id = models.BigIntegerField()
    title = models.CharField(max_length=300)
    body = models.TextField(blank=True)
    keywords = models.TextField(blank=True)
    status = models.CharField(max_length=20, blank=True)
    audience = models.CharField(max_length=20, blank=True)
    owner_id = models.BigIntegerField(null=True, blank=True)
    team_id = models.BigIntegerField(null=True, blank=True)
    service_id = models.BigIntegerField(null=True, blank=True)
    ci_id = models.BigIntegerField(null=True, blank=True)
    category_id = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(null=True, blank=True)
    # PostgreSQL only (GIN-indexed by migration 0002); stays NULL on SQLite, whose FTS5 table
    # `search_fts` indexes the same three fields.
    search_vector = SearchVectorField(null=True, blank=True, editable=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["kind", "object_id"], name="searchdoc_kind_object")
        ]
        indexes = [
            models.Index(fields=["kind", "status"], name="searchdoc_kind_status"),
            models.Index(fields=["owner_id"], name="searchdoc_owner"),
            models.Index(fields=["service_id"], name="searchdoc_service"),
            models.Index(fields=["ci_id"], name="searchdoc_ci"),
            models.Index(fields=["category_id"], name="searchdoc_category"),
            models.Index(fields=["team_id"], name="searchdoc_team"),
            models.Index(fields=["updated_at"], name="searchdoc_updated"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.object_id}: {self.title}"
