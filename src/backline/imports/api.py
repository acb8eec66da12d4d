"""API of the imports app."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["imports"])
