"""Who is on duty when: weekly schedules of team members, the supply side of the forecast."""

from __future__ import annotations

from django.conf import settings
from django.db import models

User = settings.AUTH_USER_MODEL


def empty_week() -> dict:
    return {}


class Schedule(models.Model):
    """A member's weekly hours in a team, in the shape of SLA calendars, local to TIME_ZONE."""

    team = models.ForeignKey("accounts.Team", on_delete=models.CASCADE, related_name="schedules")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="schedules")
    week = models.JSONField(
        default=empty_week,
        blank=True,
        help_text='{"mon": [["08:00", "17:00"]], …}; missing days are off',
    )
    valid_from = models.DateField()
    version = models.PositiveIntegerField(default=1)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["team", "user__last_name", "user__first_name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["team", "user"], name="schedule_team_user_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} in {self.team_id}"
