from django.apps import AppConfig


class ChangesConfig(AppConfig):
    name = "backline.changes"
    label = "changes"
    verbose_name = "Changes"

    def ready(self) -> None:
        from backline.changes import panels

        panels.register()
