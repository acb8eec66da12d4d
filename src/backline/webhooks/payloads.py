"""The JSON bodies sent to subscribers: the event, plus a snapshot of its ticket or problem."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from django.conf import settings
from django.urls import reverse

from backline.webhooks.choices import TEST_EVENT


def absolute(path: str) -> str:
    """A link for another system: BACKLINE_BASE_URL (e.g. https://desk.example.com) + path."""
    base = getattr(settings, "BACKLINE_BASE_URL", "") or ""
    return base.rstrip("/") + path


def _user(user: Any) -> dict[str, Any] | None:
    if user is None:
        return None
    return {"id": user.pk, "username": user.username, "name": user.display_name}


def _team(team: Any) -> dict[str, Any] | None:
    if team is None:
        return None
    return {"id": team.pk, "name": team.name, "tier": team.tier}


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _external_ref(ticket: Any) -> dict[str, str] | None:
    """The L1 record the ticket stands for, so the L1 tool can match it without our number."""
    if not ticket.external_id:
        return None
    return {"system": ticket.external_system, "id": ticket.external_id}


def ticket_snapshot(ticket: Any) -> dict[str, Any]:
    """The ticket as the event left it; the L1 tool matches on `number` or `external_ref`."""
    return {
        "number": ticket.number,
        "title": ticket.title,
        "status": ticket.status,
        "pending_reason": ticket.pending_reason or None,
        "priority": ticket.priority,
        "tier": ticket.tier,
        "team": _team(ticket.team),
        "assignee": _user(ticket.assignee),
        "source": ticket.source,
        "resolution_code": ticket.resolution_code or None,
        "resolution_notes": ticket.resolution_notes or None,
        "external_ref": _external_ref(ticket),
        "created_at": _iso(ticket.created_at),
        "updated_at": _iso(ticket.updated_at),
        "resolved_at": _iso(ticket.resolved_at),
        "url": absolute(ticket.get_absolute_url()),
    }


def ticket_event_id(event_pk: int) -> str:
    return f"evt_t{event_pk}"


def problem_event_id(event_pk: int) -> str:
    return f"evt_p{event_pk}"


def ticket_payload(event: Any, event_type: str) -> dict[str, Any]:
    return {
        "id": ticket_event_id(event.pk),
        "kind": event_type,
        "occurred_at": _iso(event.at),
        "actor": _user(event.actor),
        "ticket": ticket_snapshot(event.ticket),
        "data": event.data or {},
    }


def problem_payload(event: Any, event_type: str) -> dict[str, Any]:
    problem = event.problem
    return {
        "id": problem_event_id(event.pk),
        "kind": event_type,
        "occurred_at": _iso(event.at),
        "actor": _user(event.actor),
        "problem": {
            "number": problem.number,
            "title": problem.title,
            "state": problem.state,
            "priority": problem.priority,
            "team": _team(problem.team),
            "owner": _user(problem.owner),
            "url": absolute(reverse("problems:detail", args=[problem.number])),
        },
        "data": event.data or {},
    }


def ping_payload(subscription: Any, actor: Any, at: datetime) -> dict[str, Any]:
    return {
        "id": f"evt_test_{uuid.uuid4().hex[:16]}",
        "kind": TEST_EVENT,
        "occurred_at": _iso(at),
        "actor": _user(actor),
        "subscription": {"id": subscription.pk, "name": subscription.name},
        "data": {"message": "A test event from Backline: your endpoint is reachable."},
    }
