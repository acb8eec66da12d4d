"""Signal receivers: escalation reacts to ticket changes without tickets importing it."""

from __future__ import annotations


def connect() -> None:
    """Connect the receivers (called from EscalationConfig.ready)."""
