from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "backline.notifications"
    label = "notifications"
    verbose_name = "Notifications"
