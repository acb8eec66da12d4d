from django.apps import AppConfig


class KnowledgeConfig(AppConfig):
    name = "backline.knowledge"
    label = "knowledge"
    verbose_name = "Knowledge base"

    def ready(self) -> None:
        from backline.knowledge import handlers, index, panels

        handlers.connect()
        index.register_articles()
        panels.register()
