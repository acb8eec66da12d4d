from django.apps import AppConfig


class SearchConfig(AppConfig):
    name = "backline.search"
    label = "search"
    verbose_name = "Search"
