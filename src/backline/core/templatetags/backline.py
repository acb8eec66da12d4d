"""Small template filters used across pages."""

from __future__ import annotations

from django import template

register = template.Library()


@register.filter
def get_item(mapping, key):
    try:
        return mapping[key]
    except (KeyError, TypeError, IndexError):
        return None


@register.filter
def minutes(value):
    """A duration in minutes as people read it: 45 min, 3.2 h, 2.5 d."""
    if value is None or value == "":
        return "—"
    value = float(value)
    if value < 60:
        return f"{value:.0f} min"
    if value < 48 * 60:
        return f"{value / 60:.1f} h"
    return f"{value / 1440:.1f} d"


@register.filter
def markdown(value):
    """Markdown rendered and sanitised (see core.markdown)."""
    from backline.core.markdown import render_markdown

    return render_markdown(value or "")
