from django.db import models


class ProblemState(models.TextChoices):
    NEW = "new", "New"
    INVESTIGATING = "investigating", "Under investigation"
    ROOT_CAUSE_KNOWN = "root_cause_known", "Root cause known"
    FIX_IN_PROGRESS = "fix_in_progress", "Fix in progress"
    RESOLVED = "resolved", "Resolved"
    CLOSED = "closed", "Closed"


OPEN_PROBLEM_STATES = (
    ProblemState.NEW,
    ProblemState.INVESTIGATING,
    ProblemState.ROOT_CAUSE_KNOWN,
    ProblemState.FIX_IN_PROGRESS,
)


class Closure(models.TextChoices):
    """How a problem ended."""

    RECURRENCE_STOPPED = "recurrence_stopped", "Recurrence stopped"
    NOT_REPRODUCIBLE = "not_reproducible", "Could not be reproduced"
    ACCEPTED_RISK = "accepted_risk", "Risk accepted, no fix"
    DUPLICATE = "duplicate", "Duplicate of another problem"


class ActionKind(models.TextChoices):
    CORRECTIVE = "corrective", "Corrective"
    PREVENTIVE = "preventive", "Preventive"


class ActionState(models.TextChoices):
    OPEN = "open", "Open"
    IN_PROGRESS = "in_progress", "In progress"
    DONE = "done", "Done"
    CANCELLED = "cancelled", "Cancelled"


class KnownErrorState(models.TextChoices):
    DRAFT = "draft", "Draft"
    PUBLISHED = "published", "Published"
    RETIRED = "retired", "Retired"


class ProposalState(models.TextChoices):
    OPEN = "open", "Proposed"
    ACCEPTED = "accepted", "Accepted"
    DISMISSED = "dismissed", "Dismissed"


class ProblemEventKind(models.TextChoices):
    CREATED = "created", "Created"
    UPDATED = "updated", "Updated"
    STATE_CHANGED = "state_changed", "State changed"
    INCIDENT_LINKED = "incident_linked", "Incident linked"
    INCIDENT_UNLINKED = "incident_unlinked", "Incident unlinked"
    RCA_UPDATED = "rca_updated", "Root cause analysis updated"
    ACTION_ADDED = "action_added", "Action added"
    ACTION_UPDATED = "action_updated", "Action updated"
    KNOWN_ERROR_PUBLISHED = "known_error_published", "Known error published"
    RECURRED = "recurred", "Matching incident after the fix"
    VERIFIED = "verified", "Fix verified: recurrence stopped"
