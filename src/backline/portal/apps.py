from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "backline.portal"
    label = "portal"
    verbose_name = "Requester portal"
