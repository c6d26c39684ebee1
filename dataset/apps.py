from django.apps import AppConfig


class DatasetConfig(AppConfig):
    """The national data set (IAPT v2.1): the monthly extract, its validation and
    NHS England's derivations. Top clinical floor: it reads every app below."""

    name = "dataset"
    verbose_name = "National data set"
