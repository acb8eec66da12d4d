from django.apps import AppConfig


class KnowledgeConfig(AppConfig):
    name = "backline.knowledge"
    label = "knowledge"
    verbose_name = "Knowledge base"
