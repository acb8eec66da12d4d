"""API of the staffing app."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["staffing"])
