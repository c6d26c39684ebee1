from django.apps import AppConfig


class CoreConfig(AppConfig):
    """Shared helpers on the ground floor (ARCHITECTURE.md "Floors"): the one-time
    form tokens and the date-time parser that web forms and the API share."""

    name = "core"
    default_auto_field = "django.db.models.BigAutoField"
