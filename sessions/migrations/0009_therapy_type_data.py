"""Each attended contact's therapy type as a SNOMED CT procedure code (IDS202;
issue 17, docs/decisions/022-national-codes.md), from the interventions it
recorded, as the extract used to derive it: couple therapy to its named code,
a high-intensity intervention to "other high intensity", any other to "other
low intensity", appointment type 10 to employment support. The interventions
stay as they were (nothing lost); the practitioner can record the exact code.
Set-based, in batches; the codes are frozen here. Reverse empties the field."""

from django.db import migrations

BATCH = 50_000
ATTENDED = ("5", "6")
COUPLE_THERAPY = "1129471000000105"
OTHER_HIGH_INTENSITY = "1026131000000100"
OTHER_LOW_INTENSITY = "1026111000000108"
EMPLOYMENT_SUPPORT = "1098051000000103"
STEP3_INTERVENTIONS = ("cbt", "ipt", "ba_hi", "counselling", "couple_therapy", "emdr")

THERAPY_TYPE = (
    "CASE WHEN appointment_type = '10' AND cardinality(interventions) = 0 THEN '{es}' "
    "WHEN cardinality(interventions) = 0 THEN '' "
    "WHEN interventions[1] = 'couple_therapy' THEN '{couple}' "
    "WHEN interventions[1] IN ({step3}) THEN '{hi}' "
    "ELSE '{li}' END"
).format(
    es=EMPLOYMENT_SUPPORT,
    couple=COUPLE_THERAPY,
    step3=", ".join(f"'{i}'" for i in STEP3_INTERVENTIONS),
    hi=OTHER_HIGH_INTENSITY,
    li=OTHER_LOW_INTENSITY,
)


def forward(apps, schema_editor):
    where = "therapy_type = '' AND attendance IN ('5', '6') AND (cardinality(interventions) > 0 OR appointment_type = '10')"
    with schema_editor.connection.cursor() as cursor:
        after = None
        while True:
            since = "" if after is None else " AND id > %s"
            params = [] if after is None else [after]
            cursor.execute(
                f"SELECT id FROM therapy_sessions_therapysession WHERE {where}{since} ORDER BY id OFFSET {BATCH - 1} LIMIT 1",
                params,
            )
            boundary = cursor.fetchone()
            until = "" if boundary is None else " AND id <= %s"
            cursor.execute(
                f"UPDATE therapy_sessions_therapysession SET therapy_type = {THERAPY_TYPE} WHERE {where}{since}{until}",
                params + ([] if boundary is None else [boundary[0]]),
            )
            if boundary is None:
                return
            after = boundary[0]


def backward(apps, schema_editor):
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("UPDATE therapy_sessions_therapysession SET therapy_type = '' WHERE therapy_type <> ''")


class Migration(migrations.Migration):
    dependencies = [("therapy_sessions", "0008_national_codes")]

    operations = [migrations.RunPython(forward, backward, elidable=False)]
