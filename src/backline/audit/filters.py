"""The audit log filter, shared by the page, its download and the API list."""

from __future__ import annotations

import ipaddress
from datetime import date

from ninja import Schema
from pydantic import Field, field_validator

from backline.audit.choices import AuditAction, AuditSource


class AuditFilter(Schema):
    actor: str = Field("", max_length=150, description="Username (exact), or cli:…/worker")
    action: AuditAction | None = None
    source: AuditSource | None = None
    object_type: str = Field("", max_length=60, description="app.model, e.g. tickets.ticket")
    object_id: str = Field("", max_length=64, description="The object's id")
    ip: str = Field("", max_length=45, description="Client address (exact)")
    since: date | None = Field(None, description="On or after this day (UTC)")
    until: date | None = Field(None, description="On or before this day (UTC)")
    after_seq: int | None = Field(
        None, ge=0, le=2**63 - 1, description="Only events sealed after this sequence number"
    )

    @field_validator("ip")
    @classmethod
    def _an_address(cls, value: str) -> str:
        value = value.strip()
        if value:
            try:
                return str(ipaddress.ip_address(value))
            except ValueError as exc:
                raise ValueError("Give an IPv4 or IPv6 address, e.g. 192.0.2.10.") from exc
        return value
