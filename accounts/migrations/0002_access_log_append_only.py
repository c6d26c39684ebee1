"""The access audit log is append-only: the database itself refuses UPDATE and
DELETE on it, whatever the application does (DSPT: audit trails must be tamper-evident)."""

from django.db import migrations

SQL = """
CREATE OR REPLACE FUNCTION accounts_accesslog_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'the access audit log is append-only (% refused)', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER accounts_accesslog_no_update_delete
    BEFORE UPDATE OR DELETE ON accounts_accesslog
    FOR EACH ROW EXECUTE FUNCTION accounts_accesslog_append_only();
"""

REVERSE = """
DROP TRIGGER IF EXISTS accounts_accesslog_no_update_delete ON accounts_accesslog;
DROP FUNCTION IF EXISTS accounts_accesslog_append_only();
"""


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_initial")]

    operations = [migrations.RunSQL(SQL, REVERSE)]
