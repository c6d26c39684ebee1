# Issue 20: one duty worker for both patient-facing apps. The service's duty
# worker moves to supervision (supervision/duty.py), the floor both apps stand
# on; its rows are copied there, then this app's table goes. The notifications
# this app made are marked as the patient-risk kind (their email's words).
# Reversible: back, the rows are copied home again and the kind set back.

from django.db import migrations

# questionnaires/services.py RISK_MESSAGE as this app wrote it
RISK_MESSAGE = "Risk: a patient's answer before their appointment (PHQ-9 item 9) needs a clinician today."


def forward(apps, schema_editor):
    old = apps.get_model("questionnaires", "DutyWorker")
    new = apps.get_model("supervision", "DutyWorker")
    new.objects.bulk_create([new(service_id=row.service_id, user_id=row.user_id) for row in old.objects.all()])
    apps.get_model("supervision", "Notification").objects.filter(message=RISK_MESSAGE).update(kind="patient_risk")


def backward(apps, schema_editor):
    old = apps.get_model("questionnaires", "DutyWorker")
    new = apps.get_model("supervision", "DutyWorker")
    old.objects.bulk_create([old(service_id=row.service_id, user_id=row.user_id) for row in new.objects.all()])
    new.objects.all().delete()
    apps.get_model("supervision", "Notification").objects.filter(kind="patient_risk").update(kind="supervision")


class Migration(migrations.Migration):
    dependencies = [
        ("questionnaires", "0001_initial"),
        ("supervision", "0006_duty_worker_and_notification_kind"),
    ]

    operations = [
        migrations.RunPython(forward, backward),
        migrations.DeleteModel(name="DutyWorker"),
    ]
