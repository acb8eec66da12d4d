from django.db import models


class EmailKind(models.TextChoices):
    """Why an email was sent; each is a preference a user can turn off."""

    # To requesters
    REPLY = "reply", "A staff member replied to my request"
    RESOLVED = "resolved", "My request was resolved"
    NEED_INFO = "need_info", "The desk needs information from me"
    # To staff
    ASSIGNED = "assigned", "A ticket was assigned to me"
    ESCALATED = "escalated", "A ticket was escalated or handed to my team"
    MENTION = "mention", "Someone mentioned me in an internal note"
    SLA_WARNING = "sla_warning", "A ticket I own (or my team's, unassigned) nears its SLA"
    REQUESTER_REPLIED = "requester_replied", "The requester replied on a ticket I own"
    # To managers
    WEEKLY_REPORT = "weekly_report", "The weekly operations report (every Monday morning)"


class EmailStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"
