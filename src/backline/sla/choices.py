from django.db import models


class Target(models.TextChoices):
    FIRST_RESPONSE = "first_response", "First response"
    RESOLUTION = "resolution", "Resolution"
    OLA_ACCEPT = "ola_accept", "Acceptance by the tier (OLA)"
    OLA_RESOLVE = "ola_resolve", "Resolution within the tier (OLA)"


class ClockState(models.TextChoices):
    RUNNING = "running", "Running"
    PAUSED = "paused", "Paused"
    STOPPED = "stopped", "Stopped"


class SlaAction(models.TextChoices):
    NOTIFY_ASSIGNEE = "notify_assignee", "Notify the assignee"
    NOTIFY_TEAM = "notify_team", "Notify the team"
    NOTIFY_LEAD = "notify_lead", "Notify the team lead"
    RAISE_PRIORITY = "raise_priority", "Raise the priority one step"
    ALERT_MANAGER = "alert_manager", "Alert a manager (hierarchical escalation)"


WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
