"""API of the satisfaction app."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["satisfaction"])
