"""The audit log: one append-only, hash-chained row per change, sign-in, token use and denial.

Append-only three times over: the model refuses to save an existing row or delete one, its
queryset refuses `update()` and `delete()`, and database triggers (migration 0002) refuse UPDATE and
DELETE from anything else — except the one-time seal that fills `seq`, `prev_hash` and `hash` of a
row that has none (services.audit_seal). A migration that changes this table must recreate the
triggers (SQLite rebuilds a table without them) and keep their column list in step.
"""

from __future__ import annotations

from typing import Any, NoReturn

from django.db import models
from django.db.models import Q

from backline.audit.choices import AuditAction, AuditSource


class AppendOnlyError(RuntimeError):
    """Raised on any attempt to change or delete an audit event through the application."""


def _refuse(what: str) -> NoReturn:
    raise AppendOnlyError(f"Audit events are append-only: {what} is not allowed.")


class AuditEventQuerySet(models.QuerySet):
    def update(self, **kwargs: Any) -> NoReturn:
        _refuse("update()")

    def delete(self) -> NoReturn:
        _refuse("delete()")

    def bulk_update(self, objs: Any, fields: Any, batch_size: Any = None) -> NoReturn:
        _refuse("bulk_update()")

    def update_or_create(self, *args: Any, **kwargs: Any) -> NoReturn:
        _refuse("update_or_create()")

    delete.queryset_only = True  # type: ignore[attr-defined]


class AuditEvent(models.Model):
    """Who did what, when and from where; sealed into a SHA-256 hash chain in `seq` order."""

    # Filled once by the seal, right after the writer's transaction commits (services.py).
    seq = models.BigIntegerField(null=True, blank=True, unique=True, editable=False)
    at = models.DateTimeField()
    actor_id = models.BigIntegerField(
        null=True, blank=True, help_text="The user's id; kept if the user is deleted later"
    )
    actor_label = models.CharField(max_length=150, blank=True, help_text="username, cli:…, worker")
    source = models.CharField(max_length=8, choices=AuditSource.choices)
    ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    method = models.CharField(max_length=8, blank=True)
    path = models.CharField(max_length=500, blank=True)
    action = models.CharField(max_length=16, choices=AuditAction.choices)
    object_type = models.CharField(max_length=60, blank=True, help_text="app.model")
    object_id = models.CharField(max_length=64, blank=True)
    object_label = models.CharField(max_length=200, blank=True)
    changes = models.JSONField(default=dict, blank=True)
    prev_hash = models.CharField(max_length=64, blank=True, editable=False)
    hash = models.CharField(max_length=64, blank=True, editable=False)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        base_manager_name = "objects"
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["at"], name="audit_at"),
            models.Index(fields=["object_type", "object_id"], name="audit_object"),
            models.Index(fields=["actor_label", "id"], name="audit_actor"),
            models.Index(fields=["action", "id"], name="audit_action"),
            # The rows still to seal: few at any moment, found without a scan.
            models.Index(fields=["id"], condition=Q(seq__isnull=True), name="audit_unsealed"),
        ]

    def __str__(self) -> str:
        return f"#{self.seq or '-'} {self.action} {self.object_type} {self.object_id}".strip()

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding or self.pk is not None:
            _refuse("changing a stored event")
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        _refuse("delete")

    @property
    def is_sealed(self) -> bool:
        return self.seq is not None
