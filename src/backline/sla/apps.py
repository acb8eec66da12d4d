from django.apps import AppConfig


class SlaConfig(AppConfig):
    name = "backline.sla"
    label = "sla"
    verbose_name = "SLAs, OLAs and business calendars"

    def ready(self) -> None:
        from backline.sla import handlers, panels

        handlers.connect()
        panels.register()
