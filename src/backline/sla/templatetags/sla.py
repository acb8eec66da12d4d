"""Template filters for SLA durations."""

from __future__ import annotations

from django import template

register = template.Library()


@register.filter
def minutes(value: float | None) -> str:
    """Business minutes as "2 h 10 min" (days of 24 h are not assumed: hours stay hours)."""
    if value is None:
        return "—"
    whole = round(abs(value))
    hours, mins = divmod(whole, 60)
    text = f"{hours} h {mins} min" if hours and mins else f"{hours} h" if hours else f"{mins} min"
    return f"-{text}" if value < 0 and whole else text


@register.filter
def action_labels(values) -> str:
    """Warning or breach actions as people read them."""
    from backline.sla.choices import SlaAction

    labels = dict(SlaAction.choices)
    return ", ".join(str(labels.get(v, v)).lower() for v in values or [])


@register.filter
def pending_labels(values) -> str:
    """Pending reasons as people read them."""
    from backline.tickets.choices import PendingReason

    labels = dict(PendingReason.choices)
    return ", ".join(str(labels.get(v, v)).lower() for v in values or [])
