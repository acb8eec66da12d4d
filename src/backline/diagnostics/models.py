"""Logs on tickets: the files, the templates mined from them, per-log statistics and evidence.

The lines themselves stay in files (the upload, or a plain copy of a gzip upload) with two small
side files per log: the template of every line and the byte offset of every 256th line (see
`store.py`). The database holds what the views rank and filter: templates and their per-minute
counts in each log.
"""

from __future__ import annotations

from django.db import models

from backline.accounts.models import User
from backline.diagnostics.choices import LogSource, LogStatus
from backline.tickets.models import Ticket


def log_path(instance: LogFile, filename: str) -> str:
    return f"logs/{instance.ticket_id}/{filename}"


class LogModel(models.Model):
    """A ticket's template miner state: every log on the ticket extends the same templates."""

    ticket = models.OneToOneField(Ticket, on_delete=models.CASCADE, related_name="log_model")
    state = models.JSONField(default=dict)
    version = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"templates of ticket {self.ticket_id}"


class LogFile(models.Model):
    """A log attached to a ticket, processed by the worker into templates and statistics."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="logs")
    name = models.CharField(max_length=255)
    source = models.CharField(max_length=10, choices=LogSource.choices, default=LogSource.UPLOAD)
    file = models.FileField(upload_to=log_path, max_length=300, blank=True)
    share_path = models.CharField(max_length=500, blank=True)
    size = models.PositiveBigIntegerField(default=0)
    compressed = models.BooleanField(default=False)
    pattern = models.CharField(max_length=500, blank=True)
    tz = models.CharField(max_length=64, default="UTC")
    format_name = models.CharField(max_length=40, blank=True)
    format_label = models.CharField(max_length=80, blank=True)
    status = models.CharField(max_length=12, choices=LogStatus.choices, default=LogStatus.QUEUED)
    bytes_done = models.PositiveBigIntegerField(default=0)
    lines = models.PositiveBigIntegerField(default=0)
    first_at = models.DateTimeField(null=True, blank=True)
    last_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)
    # Miner ids that the template miner merged into another while reading: {"7": 5}.
    merged = models.JSONField(default=dict, blank=True)
    seconds = models.FloatField(null=True, blank=True)
    uploaded_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.name

    @property
    def progress(self) -> int:
        """Percent of the file read so far."""
        if self.status == LogStatus.READY:
            return 100
        return min(99, int(100 * self.bytes_done / self.size)) if self.size else 0


class LogTemplate(models.Model):
    """A message template of a ticket's logs, `<*>` where the variable parts were."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="log_templates")
    number = models.PositiveIntegerField()  # the miner's id, stable across the ticket's logs
    text = models.TextField()
    signature = models.CharField(max_length=32, db_index=True)
    level = models.CharField(max_length=10, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["ticket", "number"], name="log_template_unique")
        ]

    def __str__(self) -> str:
        return self.text[:80]


class LogTemplateStat(models.Model):
    """One template in one log: how often, when, at which levels, and its count per minute."""

    log = models.ForeignKey(LogFile, on_delete=models.CASCADE, related_name="stats")
    template = models.ForeignKey(LogTemplate, on_delete=models.CASCADE, related_name="stats")
    count = models.PositiveBigIntegerField()
    level = models.CharField(max_length=10, blank=True)  # the most frequent level
    component = models.CharField(max_length=120, blank=True)  # the most frequent component
    first_line = models.PositiveBigIntegerField()
    first_at = models.DateTimeField(null=True, blank=True)
    last_at = models.DateTimeField(null=True, blank=True)
    sample = models.TextField(blank=True)
    levels = models.JSONField(default=dict)
    # Sparse per-minute counts: {"m": [minutes since the epoch], "c": [counts]}.
    minutes = models.JSONField(default=dict)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["log", "template"], name="log_template_stat_unique")
        ]

    def __str__(self) -> str:
        return f"{self.count} × template {self.template_id} in log {self.log_id}"


class LogEvidence(models.Model):
    """A template or a range of lines pinned to the ticket as evidence, with its text copied."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="log_evidence")
    log = models.ForeignKey(LogFile, null=True, on_delete=models.SET_NULL, related_name="+")
    template = models.ForeignKey(
        LogTemplate, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    line_from = models.PositiveBigIntegerField(null=True, blank=True)
    line_to = models.PositiveBigIntegerField(null=True, blank=True)
    happened_at = models.DateTimeField(null=True, blank=True)
    title = models.CharField(max_length=300)
    excerpt = models.TextField()
    note = models.CharField(max_length=500, blank=True)
    pinned_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    pinned_at = models.DateTimeField()

    class Meta:
        ordering = ["pinned_at", "id"]

    def __str__(self) -> str:
        return self.title
