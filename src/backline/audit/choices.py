from django.db import models


class AuditAction(models.TextChoices):
    CREATE = "create", "Created"
    UPDATE = "update", "Changed"
    DELETE = "delete", "Deleted"
    LOGIN = "login", "Signed in"
    LOGIN_FAILED = "login_failed", "Sign-in failed"
    LOGOUT = "logout", "Signed out"
    TOKEN_USED = "token_used", "API token used"
    TOKEN_REJECTED = "token_rejected", "API token refused"
    DENIED = "denied", "Permission denied"


class AuditSource(models.TextChoices):
    WEB = "web", "Web"
    API = "api", "API"
    CLI = "cli", "Command line"
    WORKER = "worker", "Worker"
    SYSTEM = "system", "System"
