"""Every referral's problem descriptor becomes its first primary presenting
problem (IDS603), dated the day of its assessment, or the day it was received
when it has not been assessed: the date the monthly extract already sent for it
(dataset/extract.py before decision 023), so a refresh submission does not move
it. recorded_by stays empty: who chose the descriptor was not kept.

Reversible without loss: going back writes each referral's current primary
(the latest live one, which may have been recorded after this migration) into
problem_descriptor, then deletes the rows."""

from django.db import migrations

FORWARD = """
INSERT INTO patients_presentingproblem (referral_id, kind, code, recorded_on, recorded_at)
SELECT r.id, 'P', r.problem_descriptor, COALESCE(r.assessed_on, r.received_on), now()
FROM patients_referral r
WHERE r.problem_descriptor <> ''
  AND NOT EXISTS (
      SELECT 1 FROM patients_presentingproblem p
      WHERE p.referral_id = r.id AND p.kind = 'P' AND p.removed_at IS NULL
  )
"""

BACKWARD = """
UPDATE patients_referral r
SET problem_descriptor = COALESCE((
    SELECT p.code FROM patients_presentingproblem p
    WHERE p.referral_id = r.id AND p.kind = 'P' AND p.removed_at IS NULL
    ORDER BY p.recorded_on DESC, p.id DESC LIMIT 1
), '')
WHERE EXISTS (SELECT 1 FROM patients_presentingproblem p WHERE p.referral_id = r.id);
DELETE FROM patients_presentingproblem;
"""


class Migration(migrations.Migration):
    dependencies = [("patients", "0005_presenting_problem")]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
