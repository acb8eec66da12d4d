from django.db import models


class Role(models.TextChoices):
    REQUESTER = "requester", "Requester"
    AGENT = "agent", "Agent"
    MANAGER = "manager", "Manager"
    ADMIN = "admin", "Admin"


class Tier(models.IntegerChoices):
    L1 = 1, "L1"
    L2 = 2, "L2"
    L3 = 3, "L3"


# Roles that work tickets (as opposed to requesters, who only raise and follow their own).
STAFF_ROLES = frozenset({Role.AGENT, Role.MANAGER, Role.ADMIN})


class TokenScope(models.TextChoices):
    """What an API token may do; each level includes the ones below it."""

    READ = "read", "Read"
    WRITE = "write", "Write"
    ADMIN = "admin", "Admin"
