from django.apps import AppConfig


class ProblemsConfig(AppConfig):
    name = "backline.problems"
    label = "problems"
    verbose_name = "Problems and known errors"

    def ready(self) -> None:
        from backline.problems import ke_panels, panels

        panels.register()
        ke_panels.register()
