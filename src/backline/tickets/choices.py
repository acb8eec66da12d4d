from django.db import models


class Status(models.TextChoices):
    NEW = "new", "New"
    ASSIGNED = "assigned", "Assigned"
    IN_PROGRESS = "in_progress", "In progress"
    PENDING = "pending", "Pending"
    RESOLVED = "resolved", "Resolved"
    CLOSED = "closed", "Closed"
    CANCELLED = "cancelled", "Cancelled"


OPEN_STATUSES = (Status.NEW, Status.ASSIGNED, Status.IN_PROGRESS, Status.PENDING)
DONE_STATUSES = (Status.RESOLVED, Status.CLOSED, Status.CANCELLED)


class PendingReason(models.TextChoices):
    REQUESTER = "requester", "Waiting for requester"
    VENDOR = "vendor", "Waiting for vendor"
    CHANGE = "change", "Waiting for a change"
    OTHER = "other", "Other"


class Level(models.IntegerChoices):
    """Impact and urgency share the ITIL three-level scale (1 is the most severe)."""

    HIGH = 1, "High"
    MEDIUM = 2, "Medium"
    LOW = 3, "Low"


class Priority(models.IntegerChoices):
    P1 = 1, "P1 Critical"
    P2 = 2, "P2 High"
    P3 = 3, "P3 Moderate"
    P4 = 4, "P4 Low"


class Source(models.TextChoices):
    PHONE = "phone", "Phone"
    EMAIL = "email", "Email"
    WEB = "web", "Agent (web)"
    PORTAL = "portal", "Portal"
    API = "api", "API"
    MONITORING = "monitoring", "Monitoring"
    CHAT = "chat", "Chat"


class ResolutionCode(models.TextChoices):
    FIXED = "fixed", "Fixed"
    WORKAROUND = "workaround", "Workaround applied"
    CONFIGURATION = "configuration", "Configuration changed"
    KNOWN_ERROR = "known_error", "Known error, workaround given"
    ADVICE = "advice", "Advice or how-to given"
    NO_FAULT = "no_fault", "No fault found"
    DUPLICATE = "duplicate", "Duplicate"
    REFERRED = "referred", "Referred to vendor"


class CauseCode(models.TextChoices):
    SOFTWARE = "software", "Software defect"
    CONFIGURATION = "configuration", "Configuration"
    CAPACITY = "capacity", "Capacity or performance"
    HARDWARE = "hardware", "Hardware"
    NETWORK = "network", "Network"
    THIRD_PARTY = "third_party", "Third party or vendor"
    CHANGE = "change", "Change-induced"
    CREDENTIALS = "credentials", "Expired or invalid credentials"
    DATA = "data", "Data"
    USER = "user", "User error or training"
    UNKNOWN = "unknown", "Unknown"


class LinkKind(models.TextChoices):
    RELATED = "related", "Related to"
    DUPLICATE_OF = "duplicate_of", "Duplicate of"
    PARENT_OF = "parent_of", "Parent of"


class EventKind(models.TextChoices):
    CREATED = "created", "Created"
    UPDATED = "updated", "Updated"
    ASSIGNED = "assigned", "Assigned"
    STATUS_CHANGED = "status_changed", "Status changed"
    REPLIED = "replied", "Public reply"
    NOTED = "noted", "Internal note"
    ATTACHED = "attached", "File attached"
    LINKED = "linked", "Linked"
    UNLINKED = "unlinked", "Unlinked"
    WATCHED = "watched", "Watcher added"
    UNWATCHED = "unwatched", "Watcher removed"
    # Escalation between tiers (written by the escalation app through ticket_route and event_record)
    ESCALATED = "escalated", "Escalated"
    ACCEPTED = "accepted", "Escalation accepted"
    RETURNED = "returned", "Escalation returned"
    BOUNCED = "bounced", "Bounced"
    DEESCALATED = "deescalated", "De-escalated"
    TASK_CREATED = "task_created", "Task opened"
    TASK_UPDATED = "task_updated", "Task updated"
    ALERTED = "alerted", "Lead or manager alerted"
    MAJOR_INCIDENT = "major_incident", "Major incident declared"
    # SLA and OLA clocks (written by the sla app)
    SLA_WARNING = "sla_warning", "SLA warning"
    SLA_BREACHED = "sla_breached", "SLA breached"
    # Knowledge (written by the knowledge app)
    KB_LINKED = "kb_linked", "Article linked"
    KB_USED = "kb_used", "Solved with an article"
    KB_DECISION = "kb_decision", "Knowledge decision"
    # Changes (written by the changes app)
    CHANGE_LINKED = "change_linked", "Change linked as cause"
    CHANGE_UNLINKED = "change_unlinked", "Change unlinked"
    # Problems (written by the problems app)
    PROBLEM_LINKED = "problem_linked", "Linked to a problem"
    PROBLEM_UNLINKED = "problem_unlinked", "Unlinked from a problem"
    LOG_ATTACHED = "log_attached", "Log attached"
    EVIDENCE_PINNED = "evidence_pinned", "Evidence pinned"
    EVIDENCE_UNPINNED = "evidence_unpinned", "Evidence unpinned"
    # Effort and satisfaction (written by the worklog and satisfaction apps)
    TIME_LOGGED = "time_logged", "Time logged"
    TIME_REMOVED = "time_removed", "Time entry removed"
    RATED = "rated", "Satisfaction rated"
