from django.apps import AppConfig


class EscalationConfig(AppConfig):
    name = "backline.escalation"
    label = "escalation"
    verbose_name = "Escalation between tiers"

    def ready(self) -> None:
        from backline.escalation import handlers, panels

        handlers.connect()
        panels.register()
        from backline.escalation import collab_panels

        collab_panels.register()
