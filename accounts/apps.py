from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts, services and access"

    def ready(self):
        from . import signals  # noqa: F401 - connects the login and logout receivers
