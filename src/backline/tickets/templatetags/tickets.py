"""Filters that phrase ticket events and values for people."""

from __future__ import annotations

from django import template

from backline.tickets.choices import (
    CauseCode,
    Level,
    LinkKind,
    PendingReason,
    Priority,
    ResolutionCode,
    Status,
)

register = template.Library()

_FIELD_LABELS = {
    "ci": "configuration item",
    "assignee": "assignee",
    "team": "team",
    "impact": "impact",
    "urgency": "urgency",
    "priority": "priority",
    "category": "category",
    "service": "service",
    "title": "title",
    "description": "description",
}
_CHOICES = {
    "priority": Priority,
    "impact": Level,
    "urgency": Level,
    "status": Status,
    "pending_reason": PendingReason,
    "resolution_code": ResolutionCode,
    "cause_code": CauseCode,
    "kind": LinkKind,
}


@register.filter
def field_label(name: str) -> str:
    return _FIELD_LABELS.get(name, name.replace("_", " "))


@register.filter
def show_value(value, field: str = "") -> str:
    """A before/after value from event data as a person would say it."""
    if value is None or value == "":
        return "—"
    if isinstance(value, dict):
        return str(value.get("name", value.get("id", "")))
    enum = _CHOICES.get(field)
    if enum is not None:
        try:
            return str(enum(value).label)
        except ValueError:
            return str(value)
    if field == "description":
        return "(edited)"
    return str(value)


@register.filter
def status_label(value: str) -> str:
    return show_value(value, "status")


@register.filter
def choice_label(value: str, field: str) -> str:
    return show_value(value, field)


@register.filter
def escalation_reason(value: str) -> str:
    """A return reason's label (the escalation app's choices, kept as plain strings in events)."""
    labels = {
        "insufficient_info": "insufficient information",
        "wrong_team": "wrong team",
        "lower_tier": "solvable at lower tier",
        "duplicate": "duplicate",
        "other": "other",
    }
    return labels.get(value, value)
