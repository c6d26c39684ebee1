# Issue 20: the notifications an urgent self-referral made are marked as their
# own kind, so their email says so (supervision/sweep.py EMAIL_WORDS) and their
# link opens the incoming self-referrals. Reversible.

from django.db import migrations


def forward(apps, schema_editor):
    apps.get_model("supervision", "Notification").objects.filter(
        flag__isnull=True, message__startswith="Urgent self-referral "
    ).update(kind="urgent_self_referral")


def backward(apps, schema_editor):
    apps.get_model("supervision", "Notification").objects.filter(kind="urgent_self_referral").update(
        kind="supervision"
    )


class Migration(migrations.Migration):
    dependencies = [
        ("selfreferral", "0001_initial"),
        ("supervision", "0006_duty_worker_and_notification_kind"),
    ]

    operations = [migrations.RunPython(forward, backward)]
