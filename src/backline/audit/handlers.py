"""Signal receivers that turn the application's writes and sign-ins into audit events.

Every model of a `backline.` app is audited on save and delete (and its plain many-to-many
links on change), except the tables in SKIPPED: derived or bookkeeping rows that follow from an
audited change (facts, rollups, search documents, SLA clocks, domain event timelines…) or that
are machinery (queues, deliveries, notifications). Receivers are connected per model, so
unaudited models pay nothing.

An update is logged as {field: [old, new]} for the fields that changed; the old values come from
one primary-key SELECT in pre_save (only for updates of audited models). A save that changes
nothing but `auto_now` timestamps writes no event. Secrets are never logged (rules.is_secret).
Saves with `raw=True` (fixtures) and `bulk_create`/`QuerySet.update` (no signals) are not seen:
the bulk paths are imports and the demo loader, whose own jobs are audited.
"""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db import models
from django.db.backends.signals import connection_created
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_save

from backline.audit import rules
from backline.audit.choices import AuditAction
from backline.audit.context import in_maintenance
from backline.audit.services import audit_record, target_fields

SKIPPED = frozenset(
    {
        "accounts.loginattempt",  # sign-ins are logged directly, from Django's auth signals
        "analytics.ticketfact",
        "analytics.factdirty",
        "analytics.dayrollup",
        "analytics.rolluplock",
        "search.searchdocument",
        "core.idempotencyrecord",
        "tickets.ticketevent",  # the domain timelines, written with the change we log
        "tickets.ticketaccess",  # derived from ticket events
        "changes.changeevent",
        "changes.expirynotice",
        "cmdb.cmdbevent",
        "knowledge.articleevent",
        "problems.problemevent",
        "sla.slaclock",  # derived from ticket state by the SLA engine and its sweeps
        "sla.clockpause",
        "diagnostics.logmodel",  # the miner's working state
        "diagnostics.logtemplate",
        "diagnostics.logtemplatestat",
        "notifications.notification",
        "mailout.outboundemail",
        "webhooks.delivery",
        "webhooks.attempt",
        "intake.inboundmessage",
        "intake.alert",  # monitoring's repeat counters; the ticket an alert opens is logged
        "intake.alertnotification",
    }
)
# Fields whose change alone is bookkeeping, not an action worth an event.
QUIET_FIELDS = {"accounts.user": frozenset({"last_login"})}

_audited: set[type[models.Model]] = set()
_tracked: dict[type[models.Model], tuple[tuple[str, str], ...]] = {}
_m2m: dict[type[models.Model], tuple[type[models.Model], str]] = {}


def is_audited(model: type[models.Model]) -> bool:
    return model in _audited


def audited_labels() -> list[str]:
    return sorted(m._meta.label_lower for m in _audited)


def _is_candidate(model: type[models.Model]) -> bool:
    meta = model._meta
    return (
        model.__module__.startswith("backline.")
        and meta.app_label != "audit"
        and not meta.proxy
        and meta.managed
        and meta.label_lower not in SKIPPED
    )


# Bookkeeping every save touches: the event's own time and the change itself say it all.
NOISE_FIELDS = frozenset({"updated_at", "version"})


def _tracked_fields(model: type[models.Model]) -> tuple[tuple[str, str], ...]:
    """(name, attname) of the concrete fields worth logging: not the key, not `updated_at`-like
    stamps or the optimistic-locking version."""
    return tuple(
        (f.name, f.attname)
        for f in model._meta.concrete_fields
        if not f.primary_key and not getattr(f, "auto_now", False) and f.name not in NOISE_FIELDS
    )


def _values(instance: models.Model, fields: tuple[tuple[str, str], ...]) -> dict[str, Any]:
    return {name: getattr(instance, attname, None) for name, attname in fields}


# --- Model changes --------------------------------------------------------------------------


def _fields_for(sender: type[models.Model], update_fields: Any) -> tuple[tuple[str, str], ...]:
    fields = _tracked[sender]
    if update_fields is None:
        return fields
    wanted = set(update_fields)
    return tuple((name, att) for name, att in fields if name in wanted or att in wanted)


def _quiet(sender: type[models.Model], update_fields: Any) -> bool:
    quiet = QUIET_FIELDS.get(sender._meta.label_lower)
    return bool(quiet and update_fields is not None and set(update_fields) <= quiet)


def on_pre_save(sender: type[models.Model], instance: models.Model, raw: bool = False, **kw):
    if raw or instance._state.adding or instance.pk is None:
        return
    update_fields = kw.get("update_fields")
    if _quiet(sender, update_fields):
        return
    fields = _fields_for(sender, update_fields)
    if not fields:
        return
    before = (
        sender._base_manager.using(instance._state.db or "default")
        .filter(pk=instance.pk)
        .values(*(att for _, att in fields))
        .first()
    )
    instance.__dict__["_audit_before"] = (fields, before)


def on_post_save(sender: type[models.Model], instance: models.Model, created: bool, **kw):
    if kw.get("raw"):
        return
    pending = instance.__dict__.pop("_audit_before", None)
    if created:
        changes: dict[str, Any] = rules.snapshot(_values(instance, _tracked[sender]))
        action = AuditAction.CREATE
    else:
        if pending is None:  # a quiet save (last_login) or one of untracked fields only
            return
        fields, before = pending
        old = {name: (before or {}).get(att) for name, att in fields}
        changes = rules.diff(old, _values(instance, fields))
        if not changes:
            return
        action = AuditAction.UPDATE
    audit_record(action=action, changes=changes, **target_fields(instance))


def on_post_delete(sender: type[models.Model], instance: models.Model, **kw):
    changes = rules.snapshot(_values(instance, _tracked[sender]))
    audit_record(action=AuditAction.DELETE, changes=changes, **target_fields(instance))


def on_m2m_changed(sender: type[models.Model], instance: models.Model, action: str, **kw):
    if action not in {"post_add", "post_remove", "post_clear"}:
        return
    pk_set = sorted(kw.get("pk_set") or [])
    if action != "post_clear" and not pk_set:
        return
    owner, name = _m2m[sender]
    key = name if not kw.get("reverse") else f"{owner._meta.label_lower}.{name}"
    what = {"post_add": "added", "post_remove": "removed", "post_clear": "cleared"}[action]
    value: Any = True if action == "post_clear" else [rules.jsonable(pk) for pk in pk_set[:100]]
    audit_record(action=AuditAction.UPDATE, changes={key: {what: value}}, **target_fields(instance))


# --- Sign-in --------------------------------------------------------------------------------


def on_logged_in(sender: Any, request: Any, user: Any, **kw) -> None:
    audit_record(action=AuditAction.LOGIN, actor=user, request=request, **target_fields(user))


def on_logged_out(sender: Any, request: Any, user: Any, **kw) -> None:
    if user is not None:
        audit_record(action=AuditAction.LOGOUT, actor=user, request=request, **target_fields(user))


def on_login_failed(sender: Any, credentials: dict, request: Any = None, **kw) -> None:
    # Django has already masked the password in `credentials`; only the name given is kept.
    username = str(credentials.get("username") or "")
    audit_record(
        action=AuditAction.LOGIN_FAILED,
        actor=None,
        request=request,
        object_type="accounts.user",
        object_label=rules.clip(username, 150),
    )


# --- Wiring ---------------------------------------------------------------------------------


def _sqlite_functions(sender: Any, connection: Any, **kw) -> None:
    """The append-only triggers on SQLite ask `backline_audit_maintenance()` whether a DELETE is
    the `flush` command's wipe; the answer is no everywhere else (and an error in any tool that
    does not define the function, which refuses the DELETE just the same)."""
    if connection.vendor == "sqlite":
        connection.connection.create_function("backline_audit_maintenance", 0, in_maintenance)


def connect() -> None:
    """Connect the receivers (AppConfig.ready)."""
    connection_created.connect(_sqlite_functions, dispatch_uid="audit-sqlite-functions")
    user_logged_in.connect(on_logged_in, dispatch_uid="audit-login")
    user_logged_out.connect(on_logged_out, dispatch_uid="audit-logout")
    user_login_failed.connect(on_login_failed, dispatch_uid="audit-login-failed")
    for model in apps.get_models():
        if not _is_candidate(model):
            continue
        _audited.add(model)
        _tracked[model] = _tracked_fields(model)
        uid = f"audit-{model._meta.label_lower}"
        pre_save.connect(on_pre_save, sender=model, dispatch_uid=uid)
        post_save.connect(on_post_save, sender=model, dispatch_uid=uid)
        post_delete.connect(on_post_delete, sender=model, dispatch_uid=uid)
        for field in model._meta.local_many_to_many:
            through = field.remote_field.through
            if through._meta.auto_created:
                _m2m[through] = (model, field.name)
                m2m_changed.connect(on_m2m_changed, sender=through, dispatch_uid=uid + field.name)
