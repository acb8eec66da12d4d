from django.apps import AppConfig


class ChangesConfig(AppConfig):
    name = "backline.changes"
    label = "changes"
    verbose_name = "Changes"
