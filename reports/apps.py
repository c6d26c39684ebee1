from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = "Reports and exports"

    def ready(self):
        from . import checks  # noqa: F401 - registers the deploy check of the pseudonymisation key
