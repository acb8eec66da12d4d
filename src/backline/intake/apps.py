from django.apps import AppConfig


class IntakeConfig(AppConfig):
    name = "backline.intake"
    label = "intake"
    verbose_name = "Intake"

    def ready(self) -> None:
        from backline.intake import panels

        panels.register()
