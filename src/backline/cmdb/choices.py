from django.db import models


class Environment(models.TextChoices):
    PRODUCTION = "production", "Production"
    STAGING = "staging", "Staging"
    TEST = "test", "Test"
    DEVELOPMENT = "development", "Development"


class Criticality(models.IntegerChoices):
    CRITICAL = 1, "Critical"
    HIGH = 2, "High"
    MEDIUM = 3, "Medium"
    LOW = 4, "Low"


class CiStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    RETIRED = "retired", "Retired"


class DependencyKind(models.TextChoices):
    """How the source of a dependency relies on its target."""

    RUNS_ON = "runs_on", "runs on"
    DEPENDS_ON = "depends_on", "depends on"
    CONNECTS_TO = "connects_to", "connects to"


class AttributeType(models.TextChoices):
    """Value types a CI type's attributes may declare (validated by cmdb.rules)."""

    TEXT = "text", "Text"
    INTEGER = "integer", "Whole number"
    NUMBER = "number", "Number"
    BOOLEAN = "boolean", "Yes / no"
    DATE = "date", "Date"
    URL = "url", "URL"
    CHOICE = "choice", "One of"
