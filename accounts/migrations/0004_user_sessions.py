"""Sessions per user (logout and password change end the others), the index
behind "who read this record", and the one way an audit entry may ever be
deleted: by the retention purge, for entries past the retention floor.

The append-only trigger keeps refusing UPDATE always, and DELETE unless the
transaction has set iapt.audit_purge = 'on' (purge_records does, with SET LOCAL)
AND the entry is older than 6 years, the floor of accounts/retention.py. A
retention setting shorter than the floor is refused by the database itself."""

import django.contrib.postgres.indexes
import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

TRIGGER = """
CREATE OR REPLACE FUNCTION accounts_accesslog_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE'
       AND coalesce(current_setting('iapt.audit_purge', true), '') = 'on'
       AND OLD.at < now() - interval '6 years' THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'the access audit log is append-only (% refused)', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
"""

PREVIOUS_TRIGGER = """
CREATE OR REPLACE FUNCTION accounts_accesslog_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'the access audit log is append-only (% refused)', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
"""


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0003_api_token'),
        ('sessions', '0001_initial'),
    ]

    operations = [
        migrations.CreateModel(
            name='UserSession',
            fields=[
                ('session', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, primary_key=True, related_name='+', serialize=False, to='sessions.session')),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
            ],
        ),
        migrations.AddIndex(
            model_name='accesslog',
            index=django.contrib.postgres.indexes.GinIndex(fields=['detail'], name='accesslog_detail_gin', opclasses=['jsonb_path_ops']),
        ),
        migrations.AddField(
            model_name='usersession',
            name='user',
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='login_sessions', to=settings.AUTH_USER_MODEL),
        ),
        migrations.RunSQL(TRIGGER, PREVIOUS_TRIGGER),
    ]
