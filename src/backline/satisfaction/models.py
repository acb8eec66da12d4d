"""Customer satisfaction: one rating (1–5) per resolved ticket, given by its requester."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class Rating(models.Model):
    """The requester's rating of how their resolved ticket went; rating again updates it."""

    ticket = models.OneToOneField("tickets.Ticket", on_delete=models.CASCADE, related_name="rating")
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="ratings"
    )
    score = models.PositiveSmallIntegerField()
    comment = models.TextField(blank=True)
    tier = models.PositiveSmallIntegerField(help_text="The tier that resolved the ticket")
    team = models.ForeignKey(
        "accounts.Team",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="ratings",
        help_text="The team that resolved the ticket",
    )
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["-updated_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(score__gte=1, score__lte=5), name="rating_score_1_to_5"
            ),
        ]
        indexes = [
            models.Index(fields=["updated_at"], name="rating_updated_idx"),
            models.Index(fields=["team", "updated_at"], name="rating_team_updated_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.score}/5 for ticket {self.ticket_id}"
