"""Demo set-up for reports: the demo service manager may make identifiable
exports (with a stated reason), as a real manager would be granted it."""

from django.contrib.auth.models import Permission


def grant_demo_permissions(users: dict) -> None:
    manager = users.get("manager")
    if manager is not None:
        manager.user_permissions.add(
            Permission.objects.get(codename="export_identifiable", content_type__app_label="reports")
        )
