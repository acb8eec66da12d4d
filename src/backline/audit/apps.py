from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "backline.audit"
    label = "audit"
    verbose_name = "Audit log"

    def ready(self) -> None:
        from backline.audit import handlers

        handlers.connect()
