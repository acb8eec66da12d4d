"""Every CMDB write: services, configuration items, their dependencies and the CI types.

Permission (kept simple on purpose): all support staff read the CMDB; managers write anything;
members of a service's or CI's owner team write that service or CI (and its dependencies); CI
types are managers' settings. `actor=None` is a system write (demo data, data migrations, tests)
and skips the permission check, so the signatures the demo uses keep working.

Each write: permission → rule (`cmdb.rules`) → one transaction (the row locked, `version`
compared for CIs) → `full_clean()` → one `CmdbEvent`."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Model
from django.utils import timezone

from backline.accounts.models import Team, User
from backline.cmdb import rules
from backline.cmdb.choices import CiStatus, Criticality, DependencyKind, Environment
from backline.cmdb.models import CiType, CmdbEvent, ConfigurationItem, Dependency, Service
from backline.core.errors import (
    Conflict,
    DomainError,
    NotFound,
    PermissionDenied,
    from_validation_error,
)

Kind = CmdbEvent.Kind
ITEM_FIELDS = ("name", "ci_type", "description", "service", "owner_team", "environment",
               "criticality", "status", "attributes", "expires_at")  # fmt: skip
SERVICE_FIELDS = ("name", "description", "owner_team", "criticality", "is_active")


# --- permission ------------------------------------------------------------------------------


def can_read(user: User | None) -> bool:
    return bool(user and user.is_active and user.is_staff_member)


def can_write(user: User | None, owner_team_id: int | None) -> bool:
    """Managers, or members of the owner team."""
    if user is None or not can_read(user):
        return False
    if user.is_manager:
        return True
    return owner_team_id is not None and user.memberships.filter(team_id=owner_team_id).exists()


def require_read(user: User | None) -> None:
    if not can_read(user):
        raise PermissionDenied("Only support staff can see the CMDB.")


def _require_write(actor: User | None, *team_ids: int | None, what: str) -> None:
    if actor is None:
        return
    if not any(can_write(actor, t) for t in team_ids or (None,)):
        raise PermissionDenied(
            f"Only managers and members of the owner team can {what}.", field="owner_team"
        )


def _require_manager(actor: User | None, what: str) -> None:
    if actor is not None and not (can_read(actor) and actor.is_manager):
        raise PermissionDenied(f"Only managers can {what}.")


# --- helpers ---------------------------------------------------------------------------------


def _clean(obj: Model, exclude: tuple[str, ...] = ()) -> None:
    try:
        obj.full_clean(exclude=exclude)
    except ValidationError as exc:
        raise from_validation_error(exc) from exc


def _event(
    kind: str, actor: User | None, at: datetime, *, ci=None, service=None, data=None
) -> CmdbEvent:
    return CmdbEvent.objects.create(
        kind=kind, actor=actor, at=at, ci=ci, service=service, data=data or {}
    )


def _diff(obj: Model, changes: dict[str, Any]) -> dict[str, list[Any]]:
    """Field → [old, new] for the fields that really change (related objects by id)."""
    out: dict[str, list[Any]] = {}
    for name, new in changes.items():
        old = getattr(obj, name)
        if old != new:
            pair = [getattr(old, "pk", old), getattr(new, "pk", new)]
            out[name] = [v.isoformat() if isinstance(v, date) else v for v in pair]
    return out


def _stale(item: ConfigurationItem) -> Conflict:
    last = item.events.select_related("actor").first()
    who = ""
    if last is not None:
        name = last.actor.display_name if last.actor else "an import"
        who = f" by {name} at {timezone.localtime(last.at):%Y-%m-%d %H:%M}"
    return Conflict(
        f"{item.name} was changed{who} (now version {item.version}). Reload and try again.",
        field="version",
    )


def ci_type_get(slug: str) -> CiType:
    found = CiType.objects.filter(slug=slug).first()
    if found is None:
        raise DomainError(f"Unknown CI type {slug!r}.", field="ci_type", code="unknown_type")
    return found


def _check_item(item: ConfigurationItem) -> None:
    if item.name.strip() != item.name or not item.name:
        item.name = item.name.strip()
        if not item.name:
            raise DomainError("Name is required.", field="name")
    ci_type = ci_type_get(item.ci_type)
    item.attributes = rules.validate_attributes(ci_type.attributes, item.attributes)
    _clean(item)


# --- services --------------------------------------------------------------------------------


def service_create(
    *,
    name: str,
    description: str = "",
    owner_team: Team | None = None,
    actor: User | None = None,
    criticality: int = Criticality.MEDIUM,
    is_active: bool = True,
    at: datetime | None = None,
) -> Service:
    """Register a business service."""
    _require_write(actor, owner_team.pk if owner_team else None, what="add services")
    service = Service(
        name=name.strip(),
        description=description,
        owner_team=owner_team,
        criticality=criticality,
        is_active=is_active,
    )
    _clean(service)
    with transaction.atomic():
        service.save()
        _event(Kind.CREATED, actor, at or timezone.now(), service=service)
    return service


def service_update(
    *, actor: User | None, service: Service, at: datetime | None = None, **changes: Any
) -> Service:
    """Change a service's name, description, owner team, criticality or active flag."""
    unknown = set(changes) - set(SERVICE_FIELDS)
    if unknown:
        raise DomainError(f"Cannot change {', '.join(sorted(unknown))}.", field=min(unknown))
    new_team = changes.get("owner_team", service.owner_team)
    _require_write(actor, service.owner_team_id, what="change this service")
    if new_team != service.owner_team:
        _require_write(actor, new_team.pk if new_team else None, what="hand a service over")
    if "name" in changes:
        changes["name"] = str(changes["name"]).strip()
    with transaction.atomic():
        locked = Service.objects.select_for_update().get(pk=service.pk)
        diff = _diff(locked, changes)
        for name, value in changes.items():
            setattr(locked, name, value)
        _clean(locked)
        if diff:
            locked.save()
            _event(Kind.UPDATED, actor, at or timezone.now(), service=locked, data=diff)
    return locked


# --- configuration items ---------------------------------------------------------------------


def item_create(
    *,
    name: str,
    ci_type: str,
    description: str = "",
    service: Service | None = None,
    owner_team: Team | None = None,
    actor: User | None = None,
    environment: str = Environment.PRODUCTION,
    criticality: int = Criticality.MEDIUM,
    status: str = CiStatus.ACTIVE,
    attributes: dict[str, Any] | None = None,
    expires_at: date | None = None,
    at: datetime | None = None,
) -> ConfigurationItem:
    """Register a configuration item, optionally under a service; attributes follow its type."""
    _require_write(actor, owner_team.pk if owner_team else None, what="add configuration items")
    item = ConfigurationItem(
        name=name, ci_type=ci_type, description=description, service=service,
        owner_team=owner_team, environment=environment, criticality=criticality, status=status,
        attributes=attributes or {}, expires_at=expires_at,
    )  # fmt: skip
    _check_item(item)
    with transaction.atomic():
        item.save()
        _event(Kind.CREATED, actor, at or timezone.now(), ci=item)
    return item


def item_update(
    *,
    actor: User | None,
    item: ConfigurationItem,
    version: int | None,
    at: datetime | None = None,
    **changes: Any,
) -> ConfigurationItem:
    """Edit a CI; `version` is the one the editor saw (stale → Conflict naming who changed it)."""
    unknown = set(changes) - set(ITEM_FIELDS)
    if unknown:
        raise DomainError(f"Cannot change {', '.join(sorted(unknown))}.", field=min(unknown))
    _require_write(actor, item.owner_team_id, what="change this configuration item")
    new_team = changes.get("owner_team", item.owner_team)
    if new_team != item.owner_team:
        _require_write(actor, new_team.pk if new_team else None, what="hand a CI over")
    with transaction.atomic():
        locked = ConfigurationItem.objects.select_for_update(of=("self",)).get(pk=item.pk)
        if version is not None and version != locked.version:
            raise _stale(locked)
        diff = _diff(locked, changes)
        if not diff:
            return locked
        for name, value in changes.items():
            setattr(locked, name, value)
        _check_item(locked)
        locked.version += 1
        locked.save()
        kind = Kind.RETIRED if diff.get("status", [None, None])[1] == CiStatus.RETIRED else None
        _event(kind or Kind.UPDATED, actor, at or timezone.now(), ci=locked, data=diff)
    return locked


def item_retire(
    *, actor: User | None, item: ConfigurationItem, version: int | None = None
) -> ConfigurationItem:
    """Mark a CI retired (kept for history and the tickets that name it)."""
    if item.status == CiStatus.RETIRED:
        raise DomainError(f"{item.name} is already retired.", field="status")
    return item_update(actor=actor, item=item, version=version, status=CiStatus.RETIRED)


# --- dependencies ----------------------------------------------------------------------------


def dependency_add(
    *,
    actor: User | None,
    source: ConfigurationItem,
    kind: str,
    target_ci: ConfigurationItem | None = None,
    target_service: Service | None = None,
    at: datetime | None = None,
) -> Dependency:
    """Record that `source` runs on, depends on or connects to a CI or a service."""
    _require_write(actor, source.owner_team_id, what="change this CI's dependencies")
    if kind not in DependencyKind.values:
        raise DomainError(f"Unknown dependency kind {kind!r}.", field="kind")
    rules.check_dependency(
        source_id=source.pk,
        target_ci_id=target_ci.pk if target_ci else None,
        target_service_id=target_service.pk if target_service else None,
    )
    with transaction.atomic():
        # Lock the source so two people adding the same edge cannot both pass the check.
        ConfigurationItem.objects.select_for_update().filter(pk=source.pk).first()
        same = Dependency.objects.filter(
            source=source, kind=kind, target_ci=target_ci, target_service=target_service
        )
        target = target_ci or target_service
        if same.exists():
            raise DomainError(
                f"{source.name} already {DependencyKind(kind).label} {target}.",
                field="target_service" if target_service else "target_ci",
                code="duplicate",
            )
        dep = Dependency(
            source=source, kind=kind, target_ci=target_ci, target_service=target_service
        )
        _clean(dep, exclude=("created_at",))
        dep.save()
        _event(Kind.DEPENDENCY_ADDED, actor, at or timezone.now(), ci=source, data=_edge(dep))
    return dep


def _edge(dep: Dependency) -> dict[str, Any]:
    if dep.target_ci_id:
        return {"kind": dep.kind, "target_ci": dep.target_ci_id, "target": str(dep.target_ci)}
    return {
        "kind": dep.kind,
        "target_service": dep.target_service_id,
        "target": str(dep.target_service),
    }


def dependency_remove(*, actor: User | None, dependency: Dependency) -> None:
    """Delete a dependency edge (the event keeps what it was)."""
    source = dependency.source
    _require_write(actor, source.owner_team_id, what="change this CI's dependencies")
    with transaction.atomic():
        deleted, _ = Dependency.objects.filter(pk=dependency.pk).delete()
        if not deleted:
            raise NotFound("That dependency no longer exists.")
        _event(Kind.DEPENDENCY_REMOVED, actor, timezone.now(), ci=source, data=_edge(dependency))


# --- CI types --------------------------------------------------------------------------------


def ci_type_create(
    *,
    actor: User | None,
    slug: str,
    name: str,
    description: str = "",
    attributes: list[dict[str, Any]] | None = None,
    has_expiry: bool = False,
    expiry_warning_days: int = 14,
) -> CiType:
    """Add a CI type with its attribute schema (managers)."""
    _require_manager(actor, "define CI types")
    ci_type = CiType(
        slug=slug.strip().lower(),
        name=name.strip(),
        description=description,
        attributes=rules.check_schema(attributes or []),
        has_expiry=has_expiry,
        expiry_warning_days=expiry_warning_days,
    )
    if not ci_type.name:
        raise DomainError("Name is required.", field="name")
    _clean(ci_type)
    ci_type.save()
    return ci_type


def ci_type_update(*, actor: User | None, ci_type: CiType, **changes: Any) -> CiType:
    """Rename a CI type, change its schema or expiry settings (the slug is fixed: CIs name it).
    Existing items are not rewritten; they are checked against the new schema when next saved."""
    _require_manager(actor, "change CI types")
    allowed = {"name", "description", "attributes", "has_expiry", "expiry_warning_days"}
    unknown = set(changes) - allowed
    if unknown:
        raise DomainError(f"Cannot change {', '.join(sorted(unknown))}.", field=min(unknown))
    if "attributes" in changes:
        changes["attributes"] = rules.check_schema(changes["attributes"])
    with transaction.atomic():
        locked = CiType.objects.select_for_update().get(pk=ci_type.pk)
        for name, value in changes.items():
            setattr(locked, name, value)
        _clean(locked)
        locked.save()
    return locked
