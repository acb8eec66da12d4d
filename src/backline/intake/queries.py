"""Reads for the alert settings pages and the ticket panel."""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet

from backline.core.errors import NotFound
from backline.intake.choices import AlertStatus
from backline.intake.models import Alert, AlertNotification, AlertRule, AlertSource
from backline.tickets.choices import Source
from backline.tickets.models import Ticket


def sources_list() -> QuerySet[AlertSource]:
    """Every source with its team, requester and number of firing alerts."""
    return AlertSource.objects.select_related("team", "requester").annotate(
        firing=Count("alerts", filter=Q(alerts__status=AlertStatus.FIRING))
    )


def source_get(pk: int) -> AlertSource:
    source = AlertSource.objects.select_related("team", "requester").filter(pk=pk).first()
    if source is None:
        raise NotFound("No such alert source.")
    return source


def rules_list() -> QuerySet[AlertRule]:
    """The rules in the order they run."""
    return AlertRule.objects.select_related("source", "service", "ci", "team").order_by(
        "position", "id"
    )


def rule_get(pk: int) -> AlertRule:
    rule = rules_list().filter(pk=pk).first()
    if rule is None:
        raise NotFound("No such alert rule.")
    return rule


def source_notifications(source: AlertSource, limit: int = 50) -> list[AlertNotification]:
    """The latest notifications a source delivered (their outcomes name alerts and incidents)."""
    return list(
        AlertNotification.objects.filter(source=source).order_by("-received_at", "-id")[:limit]
    )


def source_alerts(source: AlertSource, limit: int = 50) -> list[Alert]:
    """The source's alerts, firing first, then the most recently seen, with their incidents."""
    return list(
        Alert.objects.filter(source=source)
        .select_related("ticket")
        .order_by("status", "-last_seen", "-id")[:limit]
    )


def ticket_alerts(ticket: Ticket) -> list[Alert]:
    """The monitoring alerts behind an incident (none for tickets from other sources)."""
    if ticket.source != Source.MONITORING:
        return []
    return list(ticket.monitoring_alerts.select_related("source").order_by("-last_seen", "-id"))
