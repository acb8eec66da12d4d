from django.apps import AppConfig


class WorklogConfig(AppConfig):
    name = "backline.worklog"
    label = "worklog"
    verbose_name = "Time worked"

    def ready(self) -> None:
        from backline.worklog import panels

        panels.register()
