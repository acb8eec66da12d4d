"""Writes for services and configuration items."""

from __future__ import annotations

from django.core.exceptions import ValidationError

from backline.accounts.models import Team
from backline.cmdb.models import ConfigurationItem, Service
from backline.core.errors import from_validation_error


def service_create(*, name: str, description: str = "", owner_team: Team | None = None) -> Service:
    """Register a business service."""
    service = Service(name=name, description=description, owner_team=owner_team)
    try:
        service.full_clean()
    except ValidationError as exc:
        raise from_validation_error(exc) from exc
    service.save()
    return service


def item_create(
    *,
    name: str,
    ci_type: str,
    description: str = "",
    service: Service | None = None,
    owner_team: Team | None = None,
) -> ConfigurationItem:
    """Register a configuration item, optionally under a service."""
    item = ConfigurationItem(
        name=name, ci_type=ci_type, description=description, service=service, owner_team=owner_team
    )
    try:
        item.full_clean()
    except ValidationError as exc:
        raise from_validation_error(exc) from exc
    item.save()
    return item
