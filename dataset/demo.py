"""The national data set's part of the demo service: the demo manager may build
and download the monthly submission."""

from django.contrib.auth.models import Permission


def build(result: dict) -> None:
    manager = result["users"].get("manager")
    if manager is not None:
        manager.user_permissions.add(
            Permission.objects.get(codename="submit_dataset", content_type__app_label="dataset")
        )
