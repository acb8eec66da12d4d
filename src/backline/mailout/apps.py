from django.apps import AppConfig


class MailoutConfig(AppConfig):
    name = "backline.mailout"
    label = "mailout"
    verbose_name = "Email out"

    def ready(self) -> None:
        from backline.mailout import handlers

        handlers.connect()
