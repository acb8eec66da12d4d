from django.apps import AppConfig


class ImportsConfig(AppConfig):
    name = "backline.imports"
    label = "imports"
    verbose_name = "History import"
