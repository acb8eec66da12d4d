"""Formatting of dashboard numbers: shares, durations, counts and their change."""

from __future__ import annotations

from typing import Any

from django import template
from django.contrib.humanize.templatetags.humanize import intcomma

register = template.Library()


def _duration_minutes(minutes: float) -> str:
    if minutes < 60:
        return f"{minutes:.0f} min" if minutes >= 10 else f"{minutes:.1f} min"
    hours = minutes / 60
    if hours < 48:
        return f"{hours:.1f} h"
    return f"{hours / 24:.1f} d"


@register.filter
def metric(value: Any, fmt: str) -> str:
    """A metric as people read it: 42.9 %, 35 min, 5.0 h, 1,204, 4.2 of 5; — when undefined."""
    if value is None:
        return "—"
    if fmt == "pct":
        return f"{value * 100:.1f} %"
    if fmt == "minutes":
        return _duration_minutes(float(value))
    if fmt == "hours":
        return _duration_minutes(float(value) * 60)
    if fmt == "score":
        return f"{value:.2f}"
    if fmt == "ratio":
        return f"{value:.2f}"
    return str(intcomma(value))


@register.filter
def change(value: float | None) -> str:
    """+12 % or −8 % against the previous period; empty when not comparable."""
    if value is None:
        return ""
    sign = "+" if value > 0 else "−" if value < 0 else "±"
    return f"{sign}{abs(value) * 100:.0f} %"


@register.filter
def get(mapping: dict, key: Any) -> Any:
    return mapping.get(key) if mapping else None
