from django.db import models


class NotificationKind(models.TextChoices):
    ESCALATION_RECEIVED = "escalation_received", "Escalation received"
    ESCALATION_RETURNED = "escalation_returned", "Escalation returned"
    ESCALATION_ACCEPTED = "escalation_accepted", "Escalation accepted"
    TASK_ASSIGNED = "task_assigned", "Task assigned"
    MENTION = "mention", "Mentioned in a note"
    ALERT = "alert", "Alert from a team"
    MAJOR_INCIDENT = "major_incident", "Major incident"
    KB_REVIEW = "kb_review", "Article needs review"
    PROBLEM_RECURRED = "problem_recurred", "Resolved problem may have recurred"
