from django.db import models


class LogSource(models.TextChoices):
    UPLOAD = "upload", "Uploaded"
    API = "api", "Pushed through the API"
    SHARE = "share", "Log share"


class LogStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    PROCESSING = "processing", "Processing"
    READY = "ready", "Ready"
    FAILED = "failed", "Failed"


# Most severe first; the order ranks ties and colours the views.
LEVELS = ("critical", "error", "warning", "notice", "info", "debug", "")
ERROR_LEVELS = frozenset({"critical", "error"})
