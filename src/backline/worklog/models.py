"""Time agents spend on tickets: the work time per ticket the staffing forecast needs."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

User = settings.AUTH_USER_MODEL

MAX_ENTRY_MINUTES = 24 * 60


class TimeEntry(models.Model):
    """Minutes one agent worked on one ticket, in the team and tier they worked it for."""

    ticket = models.ForeignKey(
        "tickets.Ticket", on_delete=models.CASCADE, related_name="time_entries"
    )
    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="time_entries")
    team = models.ForeignKey(
        "accounts.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    tier = models.PositiveSmallIntegerField()
    minutes = models.PositiveIntegerField()
    note = models.CharField(max_length=300, blank=True)
    spent_at = models.DateTimeField(help_text="When the work was done")
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-spent_at", "-id"]
        verbose_name_plural = "time entries"
        indexes = [
            models.Index(fields=["ticket", "spent_at"], name="time_entry_ticket"),
            models.Index(fields=["team", "spent_at"], name="time_entry_team"),
            models.Index(fields=["user", "spent_at"], name="time_entry_user"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(minutes__gte=1) & Q(minutes__lte=MAX_ENTRY_MINUTES),
                name="time_entry_minutes_range",
            ),
            models.CheckConstraint(condition=Q(tier__in=[1, 2, 3]), name="time_entry_tier_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.minutes} min on {self.ticket_id} by {self.user_id}"
