"""Problems (PRB-) with their root cause analysis, corrective and preventive actions, known errors
(KE-) with workarounds, and proposals of problems from recurring incidents."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from backline.problems.choices import (
    ActionKind,
    ActionState,
    Closure,
    KnownErrorState,
    ProblemEventKind,
    ProblemState,
    ProposalState,
)

User = settings.AUTH_USER_MODEL


class Problem(models.Model):
    """The unknown (then known) cause behind one or more incidents."""

    title = models.CharField(max_length=200)
    statement = models.TextField(blank=True, help_text="What goes wrong, where, since when")
    services = models.ManyToManyField("cmdb.Service", blank=True, related_name="problems")
    cis = models.ManyToManyField("cmdb.ConfigurationItem", blank=True, related_name="problems")
    priority = models.PositiveSmallIntegerField(default=3, help_text="1 critical … 4 low")
    owner = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="owned_problems"
    )
    team = models.ForeignKey(
        "accounts.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="problems"
    )
    state = models.CharField(max_length=20, choices=ProblemState.choices, default=ProblemState.NEW)
    root_cause = models.TextField(blank=True)
    cause_code = models.CharField(max_length=20, blank=True, help_text="tickets CauseCode")
    closure = models.CharField(max_length=20, choices=Closure.choices, blank=True)
    verify_days = models.PositiveIntegerField(
        default=30, help_text="Watch for matching incidents this long after the fix"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["state", "priority"], name="problem_state_priority")]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    @property
    def number(self) -> str:
        return f"PRB-{self.pk}"


class ProblemIncident(models.Model):
    """An incident linked to a problem."""

    problem = models.ForeignKey(Problem, on_delete=models.CASCADE, related_name="incident_links")
    ticket = models.ForeignKey(
        "tickets.Ticket", on_delete=models.CASCADE, related_name="problem_links"
    )
    linked_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    linked_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["problem", "ticket"], name="problem_incident_once")
        ]

    def __str__(self) -> str:
        return f"PRB-{self.problem_id} ← INC-{self.ticket_id}"


class ProblemEvent(models.Model):
    """One step in a problem's life (append-only)."""

    problem = models.ForeignKey(Problem, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=24, choices=ProblemEventKind.choices)
    actor = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField()
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["problem", "at"], name="problem_event_timeline")]

    def __str__(self) -> str:
        return f"PRB-{self.problem_id} {self.kind}"


class FactorCategory(models.Model):
    """A category of contributing factor (people, process, technology, vendor, environment…)."""

    slug = models.SlugField(max_length=30, unique=True)
    name = models.CharField(max_length=60)
    position = models.PositiveSmallIntegerField(default=0)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["position", "name"]
        verbose_name_plural = "factor categories"

    def __str__(self) -> str:
        return self.name


class TimelineEntry(models.Model):
    """A moment in the investigation timeline: what happened when, with its evidence."""

    problem = models.ForeignKey(Problem, on_delete=models.CASCADE, related_name="timeline")
    happened_at = models.DateTimeField()
    text = models.TextField()
    ticket_event = models.ForeignKey(
        "tickets.TicketEvent", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    change = models.ForeignKey(
        "changes.Change", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    attachment = models.ForeignKey(
        "tickets.Attachment", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["happened_at", "id"]

    def __str__(self) -> str:
        return f"PRB-{self.problem_id} @ {self.happened_at:%Y-%m-%d %H:%M}"


class WhyStep(models.Model):
    """One answer in the 5 whys chain, in order; the last one is the root cause."""

    problem = models.ForeignKey(Problem, on_delete=models.CASCADE, related_name="whys")
    position = models.PositiveSmallIntegerField()
    text = models.TextField()

    class Meta:
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(fields=["problem", "position"], name="why_position_once")
        ]

    def __str__(self) -> str:
        return f"PRB-{self.problem_id} why {self.position}"


class ContributingFactor(models.Model):
    """Something that made the failure possible or worse, by category."""

    problem = models.ForeignKey(Problem, on_delete=models.CASCADE, related_name="factors")
    category = models.ForeignKey(FactorCategory, on_delete=models.PROTECT, related_name="+")
    text = models.TextField()

    class Meta:
        ordering = ["category__position", "id"]

    def __str__(self) -> str:
        return f"PRB-{self.problem_id} {self.category_id}"


class Action(models.Model):
    """A corrective or preventive action with an owner and a due date; the change or external
    engineering ticket that carries the fix is linked."""

    problem = models.ForeignKey(Problem, on_delete=models.CASCADE, related_name="actions")
    kind = models.CharField(
        max_length=12, choices=ActionKind.choices, default=ActionKind.CORRECTIVE
    )
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    owner = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="problem_actions"
    )
    team = models.ForeignKey(
        "accounts.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    due_date = models.DateField(null=True, blank=True)
    state = models.CharField(max_length=12, choices=ActionState.choices, default=ActionState.OPEN)
    change = models.ForeignKey(
        "changes.Change", null=True, blank=True, on_delete=models.SET_NULL, related_name="actions"
    )
    external_ref = models.CharField(
        max_length=300, blank=True, help_text="Engineering ticket key or URL"
    )
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()
    done_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["due_date", "id"]
        indexes = [models.Index(fields=["owner", "state", "due_date"], name="action_owner_due")]

    def __str__(self) -> str:
        return f"PRB-{self.problem_id}: {self.title}"


class KnownError(models.Model):
    """A known error (KE-): symptoms and a workaround, published so matching incidents show it."""

    problem = models.ForeignKey(
        Problem, null=True, blank=True, on_delete=models.SET_NULL, related_name="known_errors"
    )
    title = models.CharField(max_length=200)
    symptoms = models.TextField()
    workaround = models.TextField()
    services = models.ManyToManyField("cmdb.Service", blank=True, related_name="known_errors")
    cis = models.ManyToManyField("cmdb.ConfigurationItem", blank=True, related_name="known_errors")
    state = models.CharField(
        max_length=10, choices=KnownErrorState.choices, default=KnownErrorState.DRAFT
    )
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    published_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-updated_at", "-id"]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    @property
    def number(self) -> str:
        return f"KE-{self.pk}"


class Proposal(models.Model):
    """A problem proposed from a cluster of similar recent incidents no problem covers yet."""

    signature = models.CharField(max_length=64, unique=True, help_text="Hash of the incident ids")
    title = models.CharField(max_length=200)
    reasons = models.JSONField(default=list, help_text="Why these incidents were grouped")
    tickets = models.ManyToManyField("tickets.Ticket", related_name="problem_proposals")
    score = models.FloatField(default=0)
    state = models.CharField(
        max_length=10, choices=ProposalState.choices, default=ProposalState.OPEN
    )
    problem = models.ForeignKey(
        Problem, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()
    decided_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-score", "-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(state="accepted") | Q(problem__isnull=False),
                name="proposal_accepted_has_problem",
            )
        ]

    def __str__(self) -> str:
        return f"Proposal {self.pk}: {self.title}"
