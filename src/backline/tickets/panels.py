"""Extension point for the ticket page: other apps add panels without tickets importing them.

An app registers a panel in its AppConfig.ready():

    register_panel(slot="side", template="escalation/panels/tasks.html", context=tasks_context)

`context(request, ticket)` returns the template's context (or None to hide the panel). The ticket
page renders the panels of each slot in registration order: "header" under the title, "actions"
inside the actions card, "main" above the timeline, "side" in the right column. The new-ticket
page renders the "create" slot beside its form (`ticket` is None there; the form has the id
`ticket-create-form`). The queue page renders the "queue" slot above its results (`ticket` is
None) inside the form `queue-selection`, which the rows' checkboxes (`tickets`) belong to, so a
panel can offer a bulk action with a `formaction` button; a queue panel must not query the
database (the queue's query count is bounded), so it loads anything it needs with HTMX.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest

SLOTS = ("header", "actions", "main", "side", "create", "queue")
TICKET_SLOTS = ("header", "actions", "main", "side")


@dataclass(frozen=True)
class Panel:
    slot: str
    template: str
    context: Callable[[HttpRequest, Any], dict | None]
    staff_only: bool = True


_PANELS: list[Panel] = []


def register_panel(
    *,
    slot: str,
    template: str,
    context: Callable[[HttpRequest, Any], dict | None],
    staff_only: bool = True,
) -> None:
    if slot not in SLOTS:
        raise ValueError(f"unknown panel slot {slot!r}")
    panel = Panel(slot, template, context, staff_only)
    if panel not in _PANELS:
        _PANELS.append(panel)


def render_context(
    request: HttpRequest, ticket: Any, slots_wanted: tuple[str, ...] = TICKET_SLOTS
) -> dict[str, list[dict]]:
    """For each slot, the panels to render with their context."""
    slots: dict[str, list[dict]] = {slot: [] for slot in slots_wanted}
    for panel in _PANELS:
        if panel.slot not in slots:
            continue
        if panel.staff_only and not request.user.is_staff_member:
            continue
        context = panel.context(request, ticket)
        if context is not None:
            slots[panel.slot].append({"template": panel.template, "context": context})
    return slots
