from django.db import models


class EventType(models.TextChoices):
    """The catalogue of events a subscription can ask for (the `kind` of every payload)."""

    TICKET_CREATED = "ticket.created", "Ticket created"
    TICKET_ASSIGNED = "ticket.assigned", "Ticket assigned"
    TICKET_ESCALATED = "ticket.escalated", "Ticket escalated"
    TICKET_ACCEPTED = "ticket.accepted", "Escalation accepted"
    TICKET_RETURNED = "ticket.returned", "Escalation returned"
    TICKET_DEESCALATED = "ticket.deescalated", "Ticket de-escalated"
    TICKET_STATUS_CHANGED = "ticket.status_changed", "Ticket status changed"
    TICKET_REPLIED = "ticket.replied", "Public reply"
    TICKET_SLA_WARNING = "ticket.sla_warning", "SLA warning"
    TICKET_SLA_BREACHED = "ticket.sla_breached", "SLA breached"
    TICKET_MAJOR_INCIDENT = "ticket.major_incident", "Major incident declared"
    PROBLEM_CREATED = "problem.created", "Problem created"
    PROBLEM_STATE_CHANGED = "problem.state_changed", "Problem state changed"
    PROBLEM_KNOWN_ERROR = "problem.known_error_published", "Known error published"


# Sent by "Send test event"; no subscription asks for it, every subscription can receive it.
TEST_EVENT = "webhook.test"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    DELIVERING = "delivering", "Delivering"
    DELIVERED = "delivered", "Delivered"
    FAILED = "failed", "Failed"


class SourceType(models.TextChoices):
    TICKET = "ticket", "Ticket event"
    PROBLEM = "problem", "Problem event"
    TEST = "test", "Test event"
