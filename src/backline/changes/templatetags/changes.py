from __future__ import annotations

from django import template
from django.urls import reverse

register = template.Library()


@register.filter
def ci_url(pk: int) -> str:
    """The CI's page in the CMDB."""
    return reverse("cmdb:ci", args=[pk])


@register.filter
def percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f} %"
