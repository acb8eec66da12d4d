from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "backline.webhooks"
    label = "webhooks"
    verbose_name = "Webhooks"

    def ready(self) -> None:
        from backline.webhooks import handlers

        handlers.connect()
