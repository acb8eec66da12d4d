from django.db import models


class EscalationState(models.TextChoices):
    PENDING = "pending", "Waiting for acceptance"
    ACCEPTED = "accepted", "Accepted"
    RETURNED = "returned", "Returned"


class ReturnReason(models.TextChoices):
    INSUFFICIENT_INFO = "insufficient_info", "Insufficient information"
    WRONG_TEAM = "wrong_team", "Wrong team"
    LOWER_TIER = "lower_tier", "Solvable at lower tier"
    DUPLICATE = "duplicate", "Duplicate"
    OTHER = "other", "Other"


class PackagePart(models.TextChoices):
    """The parts of a hand-off package a receiving team can require."""

    SUMMARY = "summary", "Summary"
    BUSINESS_IMPACT = "business_impact", "Business impact"
    STEPS_TAKEN = "steps_taken", "Steps already taken"
    EVIDENCE = "evidence", "Evidence (attachments or log excerpts)"
    REPRODUCTION_STEPS = "reproduction_steps", "Reproduction steps"
    HYPOTHESIS = "hypothesis", "Hypothesis"
    URGENCY_JUSTIFICATION = "urgency_justification", "Urgency justification"


class TaskStatus(models.TextChoices):
    OPEN = "open", "Open"
    IN_PROGRESS = "in_progress", "In progress"
    DONE = "done", "Done"
    CANCELLED = "cancelled", "Cancelled"


OPEN_TASK_STATUSES = (TaskStatus.OPEN, TaskStatus.IN_PROGRESS)


class AlertLevel(models.TextChoices):
    LEAD = "lead", "Team lead"
    MANAGER = "manager", "Manager"
