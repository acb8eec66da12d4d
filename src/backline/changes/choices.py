from django.db import models


class ChangeKind(models.TextChoices):
    STANDARD = "standard", "Standard"
    NORMAL = "normal", "Normal"
    EMERGENCY = "emergency", "Emergency"


class ChangeState(models.TextChoices):
    PLANNED = "planned", "Planned"
    APPROVED = "approved", "Approved"
    IN_PROGRESS = "in_progress", "In progress"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"
    ROLLED_BACK = "rolled_back", "Rolled back"
    CANCELLED = "cancelled", "Cancelled"


# A change that has begun touches production: only these can have caused an incident.
STARTED_STATES = (
    ChangeState.IN_PROGRESS,
    ChangeState.DONE,
    ChangeState.FAILED,
    ChangeState.ROLLED_BACK,
)


class Risk(models.TextChoices):
    LOW = "low", "Low"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High"


class ChangeSource(models.TextChoices):
    MANUAL = "manual", "Manual"
    API = "api", "API"
    PIPELINE = "pipeline", "CI/CD pipeline"
    TOOL = "tool", "Configuration tool"


class ChangeEventKind(models.TextChoices):
    CREATED = "created", "Created"
    EDITED = "edited", "Edited"
    APPROVED = "approved", "Approved"
    STARTED = "started", "Started"
    COMPLETED = "completed", "Completed"
    FAILED = "failed", "Failed"
    ROLLED_BACK = "rolled_back", "Rolled back"
    CANCELLED = "cancelled", "Cancelled"
    LINKED = "linked", "Linked to an incident"
    UNLINKED = "unlinked", "Unlinked from an incident"


class CauseKind(models.TextChoices):
    SUSPECTED = "suspected", "Suspected cause"
    CONFIRMED = "confirmed", "Confirmed cause"
