"""API of the worklog app."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["worklog"])
