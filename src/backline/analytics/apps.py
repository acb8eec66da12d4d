from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    name = "backline.analytics"
    label = "analytics"
    verbose_name = "Analytics"

    def ready(self) -> None:
        from backline.analytics import handlers

        handlers.connect()
