"""Small inline SVG charts for the log views: a template's sparkline and the error timeline."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

register = template.Library()


@register.simple_tag
def sparkline(values: list[int], width: int = 96, height: int = 20) -> SafeString:
    """The counts as a small filled line, scaled to their own maximum."""
    if not values:
        return format_html('<span class="muted">–</span>')
    top = max(values) or 1
    step = width / max(1, len(values) - 1)
    points = " ".join(
        f"{i * step:.1f},{height - 1 - (v / top) * (height - 2):.1f}" for i, v in enumerate(values)
    )
    return format_html(
        '<svg class="spark" width="{}" height="{}" viewBox="0 0 {} {}" aria-hidden="true">'
        '<polyline points="0,{} {} {},{}" class="spark-fill"/>'
        '<polyline points="{}" class="spark-line"/></svg>',
        width, height, width, height, height, points, width, height, points,
    )  # fmt: skip


@register.simple_tag
def error_chart(timeline: dict[str, Any], around: Any = None, height: int = 90) -> SafeString:
    """Error-level lines per bar over the log's span, with the incident window shaded."""
    bars, top = timeline["bars"], timeline["max"] or 1
    n, width = len(bars), 720
    bar = width / n
    shade = ""
    if around is not None and around.window is not None:
        start, end = timeline["edges"][0].timestamp(), timeline["edges"][-1].timestamp()
        span = max(1.0, end - start)
        x0 = (around.window.start * 60 - start) / span * width
        x1 = (around.window.end * 60 - start) / span * width
        x0, x1 = max(0.0, x0), min(float(width), x1)
        if x1 > x0:
            shade = format_html(
                '<rect class="win" x="{}" y="0" width="{}" height="{}">'
                "<title>Incident window</title></rect>",
                f"{x0:.1f}", f"{x1 - x0:.1f}", height,
            )  # fmt: skip
    rects = format_html_join(
        "",
        '<rect class="bar" x="{}" y="{}" width="{}" height="{}">'
        "<title>{} – {}: {} error lines</title></rect>",
        (
            (
                f"{i * bar + 0.5:.1f}",
                f"{height - (v / top) * (height - 4):.1f}",
                f"{max(1.0, bar - 1):.1f}",
                f"{(v / top) * (height - 4):.1f}",
                timezone.localtime(timeline["edges"][i]).strftime("%d %b %H:%M"),
                timezone.localtime(timeline["edges"][i + 1]).strftime("%H:%M"),
                v,
            )
            for i, v in enumerate(bars)
        ),
    )
    return format_html(
        '<svg class="err-chart" viewBox="0 0 {} {}" preserveAspectRatio="none" role="img" '
        'aria-label="Error-level lines over time">{}{}</svg>',
        width, height, shade, rects,
    )  # fmt: skip


@register.filter
def level_class(level: str) -> str:
    return f"lv lv-{level or 'none'}"
