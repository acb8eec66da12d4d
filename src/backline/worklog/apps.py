from django.apps import AppConfig


class WorklogConfig(AppConfig):
    name = "backline.worklog"
    label = "worklog"
    verbose_name = "Time worked"
