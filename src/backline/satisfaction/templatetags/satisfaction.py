"""`{% rating_choices ticket %}`: the "How did we do?" card for the requester's portal page."""

from __future__ import annotations

from django import template

from backline.satisfaction import queries, services
from backline.satisfaction.choices import FACES, Score

register = template.Library()


@register.inclusion_tag("satisfaction/portal_rating.html", takes_context=True)
def rating_choices(context: template.Context, ticket) -> dict:
    user = context.get("user")
    show = (
        ticket.status in services.RATEABLE
        and user is not None
        and user.is_authenticated
        and user.pk == ticket.requester_id
    )
    if not show:
        return {"show": False}
    return {
        "show": True,
        "ticket": ticket,
        "token": services.link_token(ticket),
        "rating": queries.rating_of(ticket),
        "choices": [(s.value, s.label, FACES[s.value]) for s in Score],
    }
