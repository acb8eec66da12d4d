"""Template filters of the worklog: minutes as people typed them."""

from __future__ import annotations

from django import template

from backline.worklog import rules

register = template.Library()


@register.filter
def duration(value):
    """Minutes as 45m, 2h, 1h 30m (the form the time field accepts back)."""
    if value is None or value == "":
        return "—"
    return rules.format_duration(int(value))
