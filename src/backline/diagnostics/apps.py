from django.apps import AppConfig


class DiagnosticsConfig(AppConfig):
    name = "backline.diagnostics"
    label = "diagnostics"
    verbose_name = "Diagnostics"

    def ready(self) -> None:
        from backline.diagnostics import panels

        panels.register()
