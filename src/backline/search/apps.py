from django.apps import AppConfig


class SearchConfig(AppConfig):
    name = "backline.search"
    label = "search"
    verbose_name = "Search"

    def ready(self) -> None:
        from backline.search import handlers, registry, tickets

        registry.register(tickets.provider())
        handlers.connect()
