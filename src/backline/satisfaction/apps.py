from django.apps import AppConfig


class SatisfactionConfig(AppConfig):
    name = "backline.satisfaction"
    label = "satisfaction"
    verbose_name = "Satisfaction"

    def ready(self) -> None:
        from backline.satisfaction import panels

        panels.register()
