"""Names written in one form and found whatever is typed (issue 14 item 4).

- The `unaccent` extension (PostgreSQL contrib, trusted: no superuser needed).
- `patient_name_key(text)`: lower(unaccent(name)), declared IMMUTABLE so it can
  be indexed (unaccent itself is only STABLE because its dictionary could
  change; the dictionary is named explicitly here, so the result depends on
  the text alone).
- Existing names rewritten as patients/names.py writes new ones: NFC, the
  apostrophe-like characters folded to ', spaces trimmed (set-based, one UPDATE).
- An index on the key of the family name."""

from django.contrib.postgres.operations import UnaccentExtension
from django.db import migrations, models

import patients.models

# The characters of patients.names.APOSTROPHES (spelt out: a migration does not
# change when the code does).
APOSTROPHES = "\u2019\u2018\u02bc\u02b9\u2032\u0060\u00b4\u201b\uff07"

CREATE_KEY = """
CREATE OR REPLACE FUNCTION patient_name_key(name text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
    AS $$ SELECT lower(public.unaccent('public.unaccent'::regdictionary, name)) $$
"""
DROP_KEY = "DROP FUNCTION IF EXISTS patient_name_key(text)"


def _normalised(column: str) -> str:
    return (
        f"normalize(btrim(regexp_replace(translate({column}, %(apostrophes)s, %(folded)s), "
        r"'\s+', ' ', 'g')), NFC)"
    )


BACKFILL = f"""
UPDATE patients_patient
   SET given_name = {_normalised("given_name")}, family_name = {_normalised("family_name")}
 WHERE given_name IS DISTINCT FROM {_normalised("given_name")}
    OR family_name IS DISTINCT FROM {_normalised("family_name")}
"""


def backfill(apps, schema_editor):
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(BACKFILL, {"apostrophes": APOSTROPHES, "folded": "'" * len(APOSTROPHES)})


class Migration(migrations.Migration):
    dependencies = [("patients", "0002_perf_referral_review_due")]

    operations = [
        UnaccentExtension(),
        migrations.RunSQL(CREATE_KEY, DROP_KEY),
        migrations.RunPython(backfill, migrations.RunPython.noop),
        migrations.AddIndex(
            model_name="patient",
            index=models.Index(patients.models.NameKey("family_name"), name="patient_family_name_key_idx"),
        ),
    ]
