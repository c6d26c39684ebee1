"""The database holds each measure's item count, item range and total range
(DOMAIN.md "Measures"), whatever the application does. Generated from the
reference data of sessions/measures.py version 2026.1; a change of an
instrument's shape needs a new migration like this one."""

from django.db import migrations

INSTRUMENTS = {
    # code: (items, item_min, item_max, max_total)
    "PHQ9": (9, 0, 3, 27),
    "GAD7": (7, 0, 3, 21),
    "WSAS": (5, 0, 8, 40),
    "PHOBIA": (3, 0, 8, None),
    "SPIN": (17, 0, 4, 68),
    "PDSS": (7, 0, 4, 28),
    "PCL5": (20, 0, 4, 80),
    "IESR": (22, 0, 4, 88),
    "MI": (27, 1, 5, 5),
    "OCI": (42, 0, 4, 168),
    "HAI": (18, 0, 3, 54),
}


def _condition(code, items, lo, hi, max_total):
    total = "total IS NULL" if max_total is None else f"(total IS NULL OR total BETWEEN {lo if code == 'MI' else 0} AND {max_total})"
    return (
        f"(instrument = '{code}' AND cardinality(items) = {items} "
        f"AND {lo} <= ALL(items) AND {hi} >= ALL(items) AND {total})"
    )


CHECK = " OR ".join(_condition(code, *shape) for code, shape in INSTRUMENTS.items())

SQL = f"""
ALTER TABLE therapy_sessions_measurescore ADD CONSTRAINT measure_items_and_total_in_range CHECK ({CHECK});
ALTER TABLE therapy_sessions_measurescore ADD CONSTRAINT measure_complete_has_all_items
    CHECK (complete = false OR array_position(items, NULL) IS NULL);
"""
REVERSE = """
ALTER TABLE therapy_sessions_measurescore DROP CONSTRAINT measure_items_and_total_in_range;
ALTER TABLE therapy_sessions_measurescore DROP CONSTRAINT measure_complete_has_all_items;
"""


class Migration(migrations.Migration):
    dependencies = [("therapy_sessions", "0002_amendment")]

    operations = [migrations.RunSQL(SQL, REVERSE)]
