"""A system administrator is a role, never a Django superuser (issue 13,
finding 1): installations made before this (the demo's `sysadmin` among them)
have their system administrators demoted, each demotion audited like any other
staff change. A deployment's break-glass superuser keeps another role."""

import uuid

from django.db import migrations
from django.utils import timezone


def demote(apps, schema_editor):
    User = apps.get_model("accounts", "User")
    AccessLog = apps.get_model("accounts", "AccessLog")
    for user in User.objects.filter(role="system_admin", is_superuser=True):
        User.objects.filter(pk=user.pk).update(is_superuser=False, is_staff=True)
        AccessLog.objects.create(
            at=timezone.now(),
            user=None,
            username="system",
            role="system",
            action="update",
            object_type="user",
            object_id=str(user.pk),
            request_id=uuid.uuid4().hex,
            detail={
                "event": "demoted_by_migration",
                "subject": user.username,
                "changes": {"is_superuser": {"before": True, "after": False}},
                "service_ids": [user.service_id] if user.service_id else [],
            },
        )


class Migration(migrations.Migration):
    dependencies = [("accounts", "0005_token_expiry_and_client_request_id")]

    operations = [migrations.RunPython(demote, migrations.RunPython.noop)]
