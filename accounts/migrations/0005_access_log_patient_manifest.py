"""The manifest of a large disclosure (an export): one row per patient the
access-log entry disclosed, keyed by patient first so "who read this record"
finds a patient's exports by the primary key (docs/decisions/012).

Append-only like the log: UPDATE is always refused, DELETE only by the
retention purge (iapt.audit_purge = 'on') and only for rows whose log entry is
past the 6-year floor or gone."""

import django.db.models.deletion
from django.db import migrations, models

TRIGGER = """
CREATE OR REPLACE FUNCTION accounts_accesslogpatient_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE'
       AND coalesce(current_setting('iapt.audit_purge', true), '') = 'on'
       AND NOT EXISTS (
           SELECT 1 FROM accounts_accesslog
           WHERE id = OLD.access_log_id AND at >= now() - interval '6 years'
       ) THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'the access audit manifest is append-only (% refused)', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER accounts_accesslogpatient_no_update_delete
    BEFORE UPDATE OR DELETE ON accounts_accesslogpatient
    FOR EACH ROW EXECUTE FUNCTION accounts_accesslogpatient_append_only();
"""

REVERSE = """
DROP TRIGGER IF EXISTS accounts_accesslogpatient_no_update_delete ON accounts_accesslogpatient;
DROP FUNCTION IF EXISTS accounts_accesslogpatient_append_only();
"""


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0004_user_sessions"),
    ]

    operations = [
        migrations.CreateModel(
            name="AccessLogPatient",
            fields=[
                (
                    "pk",
                    models.CompositePrimaryKey(
                        "patient_id", "access_log_id", blank=True, editable=False, primary_key=True, serialize=False
                    ),
                ),
                ("patient_id", models.UUIDField()),
                (
                    "access_log",
                    models.ForeignKey(
                        db_constraint=False,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="accounts.accesslog",
                    ),
                ),
            ],
        ),
        migrations.RunSQL(TRIGGER, REVERSE),
    ]
