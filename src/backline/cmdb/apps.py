from django.apps import AppConfig


class CmdbConfig(AppConfig):
    name = "backline.cmdb"
    label = "cmdb"
    verbose_name = "Services and configuration items"
