from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "backline.core"
    label = "core"
