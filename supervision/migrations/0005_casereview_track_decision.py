# Issue 21 item 3: what the review of a not-on-track case decided about it.

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("supervision", "0004_merge_this_rounds_branches"),
    ]

    operations = [
        migrations.AddField(
            model_name="casereview",
            name="track_decision",
            field=models.CharField(
                blank=True,
                choices=[
                    ("continue_with_change", "Continue, with a change to the treatment"),
                    ("step_up", "Step up"),
                    ("address_obstacle", "Address an obstacle to progress"),
                    ("other", "Other (say what in the notes)"),
                ],
                max_length=24,
                db_default="",
            ),
        ),
        migrations.AddField(
            model_name="casereview",
            name="track_obstacle",
            field=models.CharField(
                blank=True,
                choices=[
                    ("engagement", "Engagement or motivation (sessions, between-session work)"),
                    ("alliance", "The working relationship with the practitioner"),
                    ("life_events", "Life events or social circumstances"),
                    ("other_problem", "Another problem (physical health, substances, a second disorder)"),
                    ("other", "Other (say what in the notes)"),
                ],
                max_length=16,
                db_default="",
            ),
        ),
    ]
