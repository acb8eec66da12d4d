from django.apps import AppConfig


class EscalationConfig(AppConfig):
    name = "backline.escalation"
    label = "escalation"
    verbose_name = "Escalation between tiers"

    def ready(self) -> None:
        from backline.escalation import handlers

        handlers.connect()
