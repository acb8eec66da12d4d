"""API: problems, their incidents, root cause analysis and actions."""

from ninja import Router

router = Router(tags=["problems"])
