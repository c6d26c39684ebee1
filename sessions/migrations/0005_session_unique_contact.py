"""One care contact per referral, start time and appointment type (issue 14 item 1).

Existing duplicates are resolved first, set-based, keeping the first recorded
of each group (earliest created_at, then id):
- a later copy identical to it (practitioner, attendance, medium, duration,
  interventions, notes, risk flag and the same measures item for item) is a
  double submit: its risk assessments are moved to the kept contact and it is
  deleted with its measures;
- a later copy that differs is a real record whose time clashes: it is kept,
  moved by whole microseconds (the n-th copy by n-1 us; nothing shows times below
  the minute), so no clinical content is lost.
The counts are printed; docs/decisions/013-record-integrity.md says why."""

from django.db import migrations, models

FIND = """
CREATE TEMP TABLE session_duplicates AS
WITH ranked AS (
    SELECT s.id,
           first_value(s.id) OVER w AS kept_id,
           row_number() OVER w AS n
      FROM therapy_sessions_therapysession s
    WINDOW w AS (PARTITION BY s.referral_id, s.started_at, s.appointment_type ORDER BY s.created_at, s.id)
), measures AS (
    SELECT session_id, array_agg(instrument || ':' || items::text ORDER BY instrument) AS answers
      FROM therapy_sessions_measurescore
     WHERE session_id IN (SELECT id FROM ranked WHERE kept_id IN (SELECT kept_id FROM ranked WHERE n > 1))
     GROUP BY session_id
)
SELECT r.id, r.kept_id, r.n,
       (d.practitioner_id = k.practitioner_id AND d.attendance = k.attendance AND d.medium = k.medium
        AND d.duration_minutes IS NOT DISTINCT FROM k.duration_minutes AND d.interventions = k.interventions
        AND d.notes = k.notes AND d.risk_recorded = k.risk_recorded
        AND dm.answers IS NOT DISTINCT FROM km.answers) AS identical
  FROM ranked r
  JOIN therapy_sessions_therapysession d ON d.id = r.id
  JOIN therapy_sessions_therapysession k ON k.id = r.kept_id
  LEFT JOIN measures dm ON dm.session_id = r.id
  LEFT JOIN measures km ON km.session_id = r.kept_id
 WHERE r.n > 1
"""

RESOLVE = [
    """UPDATE therapy_sessions_riskassessment a SET session_id = d.kept_id
         FROM session_duplicates d WHERE d.identical AND a.session_id = d.id""",
    """DELETE FROM therapy_sessions_measurescore m USING session_duplicates d
        WHERE d.identical AND m.session_id = d.id""",
    """DELETE FROM therapy_sessions_therapysession s USING session_duplicates d
        WHERE d.identical AND s.id = d.id""",
    """UPDATE therapy_sessions_therapysession s
          SET started_at = s.started_at + (d.n - 1) * interval '1 microsecond'
         FROM session_duplicates d WHERE NOT d.identical AND s.id = d.id""",
    """UPDATE therapy_sessions_measurescore m SET taken_at = s.started_at
         FROM session_duplicates d JOIN therapy_sessions_therapysession s ON s.id = d.id
        WHERE NOT d.identical AND m.session_id = d.id""",
]


def resolve_duplicates(apps, schema_editor):
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(FIND)
        cursor.execute(
            "SELECT count(*) FILTER (WHERE identical), count(*) FILTER (WHERE NOT identical) FROM session_duplicates"
        )
        identical, differing = cursor.fetchone()
        for statement in RESOLVE:
            cursor.execute(statement)
        cursor.execute("DROP TABLE session_duplicates")
        # Fire the deferred foreign-key checks of the deletes now: ALTER TABLE
        # refuses to run with trigger events pending.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    if identical or differing:
        print(
            f"\n  duplicate care contacts: {identical} identical copies removed, "
            f"{differing} differing copies kept and moved by microseconds"
        )


class Migration(migrations.Migration):
    atomic = True

    dependencies = [
        ("therapy_sessions", "0004_perf_drop_redundant_fk_indexes"),
    ]

    operations = [
        migrations.RunPython(resolve_duplicates, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="therapysession",
            constraint=models.UniqueConstraint(
                fields=("referral", "started_at", "appointment_type"),
                name="session_unique_contact",
                violation_error_message="This contact is already recorded: same referral, time and appointment type.",
            ),
        ),
        migrations.RemoveIndex(model_name="therapysession", name="therapy_ses_referra_5b3851_idx"),
    ]
