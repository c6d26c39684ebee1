# Issue 20: who is on duty (supervision/duty.py) and what kind each notification is
# (its email's words and its link); existing notifications are of the supervision kind.

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0007_merge_this_rounds_branches'),
        ('supervision', '0005_casereview_track_decision'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='notification',
            name='kind',
            field=models.CharField(choices=[('supervision', 'A case needs case-management supervision'), ('patient_risk', "A patient's answer before their appointment needs a clinician today"), ('urgent_self_referral', 'An urgent self-referral is waiting')], db_default='supervision', default='supervision', max_length=24),
        ),
        migrations.CreateModel(
            name='DutyWorker',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('service', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='duty_worker', to='accounts.service')),
                ('user', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
        ),
    ]
