"""Users, teams (assignment groups with a tier) and API tokens."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models

from backline.accounts.choices import STAFF_ROLES, Role, Tier, TokenScope


class User(AbstractUser):
    """A person: requester, agent, manager or admin."""

    role = models.CharField(max_length=16, choices=Role.choices, default=Role.REQUESTER)
    title = models.CharField(max_length=120, blank=True, help_text="Job title, shown on hover")
    teams = models.ManyToManyField("Team", through="TeamMembership", related_name="members")

    class Meta:
        ordering = ["username"]

    @property
    def is_staff_member(self) -> bool:
        return self.role in STAFF_ROLES

    @property
    def is_manager(self) -> bool:
        return self.role in {Role.MANAGER, Role.ADMIN}

    @property
    def is_admin(self) -> bool:
        """Admins configure the desk (routing, SLA, webhooks, users); see docs/security.md."""
        return self.role == Role.ADMIN

    @property
    def display_name(self) -> str:
        return self.get_full_name() or self.username

    @property
    def initials(self) -> str:
        parts = [p for p in (self.first_name, self.last_name) if p]
        return "".join(p[0] for p in parts).upper() or self.username[:2].upper()


class Team(models.Model):
    """An assignment group at one support tier."""

    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(max_length=100, unique=True)
    tier = models.PositiveSmallIntegerField(choices=Tier.choices)
    description = models.TextField(blank=True)
    email = models.EmailField(blank=True)

    class Meta:
        ordering = ["tier", "name"]
        constraints = [
            models.CheckConstraint(condition=models.Q(tier__in=[1, 2, 3]), name="team_tier_valid")
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def label(self) -> str:
        return f"L{self.tier} {self.name}"


class TeamMembership(models.Model):
    """A user's membership of a team; leads get hierarchical escalations."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="memberships")
    is_lead = models.BooleanField(default=False)
    joined_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "team"], name="membership_unique")]

    def __str__(self) -> str:
        return f"{self.user} in {self.team}"


class ApiToken(models.Model):
    """A named API token; only its SHA-256 is stored, the secret is shown once at creation."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=12, unique=True)
    digest = models.CharField(max_length=64)
    scope = models.CharField(
        max_length=8,
        choices=TokenScope.choices,
        default=TokenScope.WRITE,
        help_text="read: safe methods; write: also changes; admin: also configuration",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(scope__in=TokenScope.values), name="api_token_scope_valid"
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class LoginAttempt(models.Model):
    """One sign-in attempt, kept for throttling and the audit trail."""

    username = models.CharField(max_length=150, db_index=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    succeeded = models.BooleanField()
    at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        indexes = [models.Index(fields=["ip_address", "at"], name="login_attempt_ip_at")]

    def __str__(self) -> str:
        return f"{self.username} {'ok' if self.succeeded else 'failed'} at {self.at:%Y-%m-%d %H:%M}"


class LoginLockout(models.Model):
    """A sign-in lock on a username (known or not, so a lock never reveals which names exist)."""

    username = models.CharField(max_length=150, unique=True, help_text="Lower-cased")
    locked_until = models.DateTimeField(
        help_text="Sign-in is refused until then; failures before it no longer count afterwards"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-locked_until"]

    def __str__(self) -> str:
        return f"{self.username} locked until {self.locked_until:%Y-%m-%d %H:%M}"
