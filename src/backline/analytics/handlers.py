"""Keeps the derived ticket facts in step with the timeline: every event marks its ticket."""

from __future__ import annotations

from typing import Any

from backline.tickets import signals


def mark_on_event(sender: Any, event: Any, **kwargs: Any) -> None:
    from backline.analytics.services import facts_mark_dirty

    facts_mark_dirty([event.ticket_id])


def connect() -> None:
    """Connect the receivers (called from AnalyticsConfig.ready)."""
    signals.event_recorded.connect(mark_on_event, dispatch_uid="analytics.mark_dirty")
