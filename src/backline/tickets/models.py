"""Tickets (incidents), their append-only event timeline, comments, attachments, watchers, links."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from backline.tickets import rules
from backline.tickets.choices import (
    OPEN_STATUSES,
    CauseCode,
    EventKind,
    Level,
    LinkKind,
    PendingReason,
    Priority,
    ResolutionCode,
    Source,
    Status,
)

User = settings.AUTH_USER_MODEL


class SlaState(models.TextChoices):
    """The ticket's SLA at a glance, denormalised from its live clocks by the sla app."""

    NONE = "", "No SLA"
    OK = "ok", "On track"
    WARNING = "warning", "At risk"
    BREACHED = "breached", "Breached"
    PAUSED = "paused", "Paused"


def _short_duration(minutes: int) -> str:
    """1 d 3 h, 2 h 10 m, 35 m."""
    days, rest = divmod(minutes, 1440)
    hours_part, mins = divmod(rest, 60)
    if days:
        return f"{days} d {hours_part} h" if hours_part else f"{days} d"
    if hours_part:
        return f"{hours_part} h {mins} m" if mins else f"{hours_part} h"
    return f"{mins} m"


class Category(models.Model):
    """A ticket category (optionally under a parent) used for routing and reporting."""

    name = models.CharField(max_length=100)
    slug = models.SlugField(max_length=100, unique=True)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    description = models.TextField(blank=True)
    is_active = models.BooleanField(default=True)
    restricted = models.BooleanField(
        default=False,
        help_text="Security, HR…: only the owning team, the assignee, the requester and managers "
        "see these tickets (a sub-category of a restricted one is restricted too)",
    )
    team = models.ForeignKey(
        "accounts.Team",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="owned_categories",
        help_text="The team that owns this category's tickets (required when restricted)",
    )

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "categories"

    def __str__(self) -> str:
        return f"{self.parent.name} / {self.name}" if self.parent_id and self.parent else self.name

    def clean(self) -> None:
        # A restricted category nobody owns would be visible to managers only: say so up front.
        if self.restricted and not self.team_id:
            raise ValidationError({"team": "A restricted category needs the team that owns it."})


class PriorityMatrixEntry(models.Model):
    """One cell of the configurable impact × urgency → priority matrix."""

    impact = models.PositiveSmallIntegerField(choices=Level.choices)
    urgency = models.PositiveSmallIntegerField(choices=Level.choices)
    priority = models.PositiveSmallIntegerField(choices=Priority.choices)

    class Meta:
        ordering = ["impact", "urgency"]
        verbose_name_plural = "priority matrix"
        constraints = [
            models.UniqueConstraint(
                fields=["impact", "urgency"], name="priority_matrix_cell_unique"
            )
        ]

    def __str__(self) -> str:
        return f"impact {self.impact} × urgency {self.urgency} → P{self.priority}"


class RoutingRule(models.Model):
    """An ordered rule picking a ticket's team from category, service, words and priority."""

    class Mode(models.TextChoices):
        SUGGEST = "suggest", "Suggest the team"
        SET = "set", "Set the team on new API tickets"

    name = models.CharField(max_length=120)
    position = models.PositiveIntegerField(default=0, help_text="Lower runs first")
    is_active = models.BooleanField(default=True)
    category = models.ForeignKey(
        Category, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    service = models.ForeignKey(
        "cmdb.Service", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    keywords = models.CharField(
        max_length=500, blank=True, help_text="Comma-separated; any one in the title or description"
    )
    priorities = models.JSONField(default=list, blank=True, help_text="Priorities 1–4; empty = any")
    team = models.ForeignKey("accounts.Team", on_delete=models.CASCADE, related_name="+")
    mode = models.CharField(max_length=10, choices=Mode.choices, default=Mode.SUGGEST)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.name


# An L1 reference travels in URLs (/tickets/by-ref/<system>/<id>), so neither part may hold a
# slash, space or other character that needs escaping.
EXTERNAL_SYSTEM_PATTERN = r"\A[a-z][a-z0-9_-]{1,29}\Z"
EXTERNAL_SYSTEM_HELP = (
    "Use a slug of 2–30 lowercase letters, digits, '-' or '_', starting with a letter."
)
EXTERNAL_ID_PATTERN = r"\A[A-Za-z0-9][A-Za-z0-9._:@+=~-]{0,99}\Z"
EXTERNAL_ID_HELP = "Use 1–100 letters, digits or . _ : @ + = ~ -, starting with a letter or digit."


class Ticket(models.Model):
    """An incident; its number is INC- and its primary key."""

    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    requester = models.ForeignKey(User, on_delete=models.PROTECT, related_name="requested_tickets")
    category = models.ForeignKey(
        Category, null=True, blank=True, on_delete=models.PROTECT, related_name="tickets"
    )
    impact = models.PositiveSmallIntegerField(choices=Level.choices, default=Level.MEDIUM)
    urgency = models.PositiveSmallIntegerField(choices=Level.choices, default=Level.MEDIUM)
    priority = models.PositiveSmallIntegerField(choices=Priority.choices, default=Priority.P3)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.NEW)
    pending_reason = models.CharField(max_length=16, choices=PendingReason.choices, blank=True)
    tier = models.PositiveSmallIntegerField(default=1)
    team = models.ForeignKey(
        "accounts.Team", null=True, blank=True, on_delete=models.PROTECT, related_name="tickets"
    )
    assignee = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="assigned_tickets"
    )
    service = models.ForeignKey(
        "cmdb.Service", null=True, blank=True, on_delete=models.PROTECT, related_name="tickets"
    )
    ci = models.ForeignKey(
        "cmdb.ConfigurationItem",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="tickets",
        verbose_name="configuration item",
    )
    source = models.CharField(max_length=16, choices=Source.choices, default=Source.WEB)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    first_response_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    resolution_code = models.CharField(max_length=20, choices=ResolutionCode.choices, blank=True)
    resolution_notes = models.TextField(blank=True)
    cause_code = models.CharField(max_length=20, choices=CauseCode.choices, blank=True)
    reopen_count = models.PositiveIntegerField(default=0)
    version = models.PositiveIntegerField(default=1)
    watchers = models.ManyToManyField(User, through="TicketWatcher", related_name="watched_tickets")
    # Kept by sla.services.ticket_sla_refresh (a queryset update, no version bump) so queues can
    # sort and badge by time to breach without reading the clocks row by row.
    sla_due_at = models.DateTimeField(
        null=True, blank=True, help_text="Earliest due time of the running SLA clocks"
    )
    sla_state = models.CharField(max_length=10, choices=SlaState.choices, blank=True, default="")
    # The L1 tool's record this ticket stands for; one L1 record maps to one ticket.
    external_system = models.CharField(
        max_length=30,
        blank=True,
        default="",
        validators=[RegexValidator(EXTERNAL_SYSTEM_PATTERN, EXTERNAL_SYSTEM_HELP)],
        help_text="The L1 tool, as a slug: servicenow, zammad, l1desk",
    )
    external_id = models.CharField(
        max_length=100,
        blank=True,
        default="",
        validators=[RegexValidator(EXTERNAL_ID_PATTERN, EXTERNAL_ID_HELP)],
        help_text="The record's id in the L1 tool",
    )

    class Meta:
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["status", "priority"], name="ticket_status_priority"),
            models.Index(fields=["team", "status"], name="ticket_team_status"),
            models.Index(fields=["assignee", "status"], name="ticket_assignee_status"),
            models.Index(fields=["requester", "status"], name="ticket_requester_status"),
            models.Index(fields=["created_at"], name="ticket_created"),
            models.Index(fields=["updated_at"], name="ticket_updated"),
            models.Index(fields=["status", "sla_due_at"], name="ticket_status_sla_due"),
            # The default order of lists that are not limited to open tickets (docs/performance.md)
            models.Index(fields=["priority", "-updated_at", "-id"], name="ticket_priority_updated"),
            models.Index(fields=["status", "updated_at", "id"], name="ticket_status_updated"),
            # Recurrence on a configuration item: its tickets resolved lately (problems.recurrence)
            models.Index(fields=["ci", "resolved_at"], name="ticket_ci_resolved"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(tier__in=[1, 2, 3]), name="ticket_tier_valid"),
            models.CheckConstraint(
                condition=Q(priority__in=[1, 2, 3, 4]), name="ticket_priority_valid"
            ),
            models.CheckConstraint(
                condition=~Q(status="pending") | ~Q(pending_reason=""),
                name="ticket_pending_has_reason",
            ),
            models.CheckConstraint(
                condition=Q(external_system="", external_id="")
                | (~Q(external_system="") & ~Q(external_id="")),
                name="ticket_external_ref_both_or_neither",
            ),
            models.UniqueConstraint(
                fields=["external_system", "external_id"],
                condition=~Q(external_id=""),
                name="ticket_external_ref_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    def get_absolute_url(self) -> str:
        return reverse("tickets:detail", args=[self.number])

    @property
    def number(self) -> str:
        return rules.format_number(self.pk) if self.pk else "INC-new"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def sla_badge(self) -> str:
        """Queue badge text: wall-clock time to `sla_due_at` (the ticket page shows business time,
        which would need each row's calendar)."""
        if not self.is_open or not self.sla_state:
            return ""
        if self.sla_state == SlaState.PAUSED or self.sla_due_at is None:
            return "paused"
        minutes = int((self.sla_due_at - timezone.now()).total_seconds() // 60)
        if minutes < 0:
            return f"overdue {_short_duration(-minutes)}"
        return f"{_short_duration(minutes)} left"


class Comment(models.Model):
    """A public reply (seen by the requester) or an internal note (staff only)."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    body = models.TextField()
    is_internal = models.BooleanField(default=False)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["ticket", "created_at"], name="comment_ticket_created")]

    def __str__(self) -> str:
        return f"{'note' if self.is_internal else 'reply'} on {self.ticket_id} by {self.author_id}"


def attachment_path(instance: Attachment, filename: str) -> str:
    # The stored name is the content hash; the user's file name lives in the row.
    return f"attachments/{instance.sha256[:2]}/{instance.sha256}"


class Attachment(models.Model):
    """A file on a ticket, stored through Django's storage API and always served as a download."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="attachments")
    comment = models.ForeignKey(
        Comment, null=True, blank=True, on_delete=models.SET_NULL, related_name="attachments"
    )
    file = models.FileField(upload_to=attachment_path, max_length=200)
    filename = models.CharField(max_length=255)
    content_type = models.CharField(max_length=120, default="application/octet-stream")
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    is_internal = models.BooleanField(default=False)
    uploaded_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.filename


class TicketWatcher(models.Model):
    """A user who follows a ticket's updates."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="watcher_rows")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["ticket", "user"], name="watcher_unique")]

    def __str__(self) -> str:
        return f"{self.user_id} watches {self.ticket_id}"


class TicketAccess(models.Model):
    """A team or user that has been involved with a ticket (held it, acted on it): they may see it.

    Kept by `event_record` as events happen, so visibility is one indexed lookup instead of a scan
    of the timeline. Exactly one of team and user is set.
    """

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="access_rows")
    team = models.ForeignKey(
        "accounts.Team", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    user = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(team__isnull=True, user__isnull=False)
                | Q(team__isnull=False, user__isnull=True),
                name="access_team_xor_user",
            ),
            models.UniqueConstraint(
                fields=["ticket", "team"],
                condition=Q(team__isnull=False),
                name="access_team_unique",
            ),
            models.UniqueConstraint(
                fields=["ticket", "user"],
                condition=Q(user__isnull=False),
                name="access_user_unique",
            ),
        ]
        indexes = [
            models.Index(fields=["team", "ticket"], name="access_team_ticket"),
            models.Index(fields=["user", "ticket"], name="access_user_ticket"),
        ]

    def __str__(self) -> str:
        who = f"team {self.team_id}" if self.team_id else f"user {self.user_id}"
        return f"{who} involved in {self.ticket_id}"


class TicketLink(models.Model):
    """A typed link from one ticket to another (related, duplicate of, parent of)."""

    source = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="links_out")
    target = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="links_in")
    kind = models.CharField(max_length=20, choices=LinkKind.choices)
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["source", "target", "kind"], name="link_unique"),
            models.CheckConstraint(condition=~Q(source=models.F("target")), name="link_not_self"),
        ]

    def __str__(self) -> str:
        return f"{self.source_id} {self.kind} {self.target_id}"


class AppendOnlyError(Exception):
    pass


class TicketEvent(models.Model):
    """One entry of a ticket's timeline; append-only, the source of every metric."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=32, choices=EventKind.choices)
    actor = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField()
    is_internal = models.BooleanField(default=False, help_text="Hidden from the requester")
    data = models.JSONField(default=dict, blank=True)
    comment = models.ForeignKey(
        Comment, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    attachment = models.ForeignKey(
        Attachment, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["at", "id"]
        indexes = [
            models.Index(fields=["ticket", "at"], name="event_ticket_at"),
            models.Index(fields=["kind", "at"], name="event_kind_at"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} on {self.ticket_id} at {self.at:%Y-%m-%d %H:%M}"

    def save(self, *args, **kwargs):
        if self.pk is not None and not kwargs.get("force_insert"):
            raise AppendOnlyError("Ticket events are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("Ticket events are append-only.")
