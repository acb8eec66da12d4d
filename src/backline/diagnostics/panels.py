"""The ticket page's "Logs and evidence" panel (main column)."""

from __future__ import annotations

from backline.diagnostics.views import panel_context
from backline.tickets.panels import register_panel


def register() -> None:
    register_panel(slot="main", template="diagnostics/panels/logs.html", context=panel_context)
