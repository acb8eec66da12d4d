from django.db import models


class SourceKind(models.TextChoices):
    """The payload format a source posts; each has its own receiver URL."""

    ALERTMANAGER = "alertmanager", "Prometheus Alertmanager"
    GRAFANA = "grafana", "Grafana alerting"
    GENERIC = "generic", "Generic JSON"


class AlertStatus(models.TextChoices):
    FIRING = "firing", "Firing"
    RESOLVED = "resolved", "Resolved"


class Outcome(models.TextChoices):
    """What one alert in a notification did (kept in the notification log)."""

    CREATED = "created", "Opened an incident"
    REPEATED = "repeated", "Counted on its open incident"
    REFIRED = "refired", "Fired again on its open incident"
    AUTO_RESOLVED = "auto_resolved", "Resolved its incident"
    NOTED = "noted", "Noted on its incident (people are working on it)"
    CLEARED = "cleared", "Cleared (its incident was already done)"
    IGNORED = "ignored", "Ignored (no firing alert to resolve)"


class MatchOp(models.TextChoices):
    """Label matchers, as in Prometheus and Alertmanager."""

    EQ = "=", "equals"
    NE = "!=", "does not equal"
    RE = "=~", "matches the regex"
    NRE = "!~", "does not match the regex"
