from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "backline.accounts"
    label = "accounts"
    verbose_name = "Accounts and teams"
