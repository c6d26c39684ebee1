"""Stored values become the national codes (issue 17, docs/decisions/022-national-codes.md).

Referral source: each local value maps to its SourceOfReferralIAPT code. Where
the map is only the nearest code (secondary care and acute to H2, employer to
D1), or a value is not on the map at all (then M6 "other service or agency"),
the local value is kept in `source_recorded_as`, so nothing is lost and the
validation report can ask for the exact source. Reverse restores the local
value (a national code with no local counterpart, recorded after this
migration, goes back as "other").

Gender identity: the free text was the patient's own words. Recognised words
become GENDER IDENTITY CODE (1, 2, 3, X, Z; "trans man" 1 and "trans woman" 2,
as the code list's labels say); anything else becomes 4 "other". The words are
kept in `gender_identity_described` unless they are exactly the code's own word
("Male", "Female", ...), so reverse gives back exactly what was stored.

Set-based: an UPDATE with CASE over batches of rows, never row by row in Python.
The maps are frozen here: a migration must not read application code that may
change after it."""

from django.db import migrations

BATCH = 50_000

# local value -> (SourceOfReferralIAPT, exact)
LOCAL_SOURCE_OF_REFERRAL = {
    "gp": ("A1", True),
    "self": ("B1", True),
    "primary_care": ("A3", True),
    "secondary_care": ("H2", False),
    "acute": ("H2", False),
    "employer": ("D1", False),
    "voluntary": ("G4", True),
    "other": ("M6", True),
}
NATIONAL_SOURCES = (
    "A1 A2 A3 A4 B1 B2 C1 C2 C3 D1 D2 E1 E2 E3 E4 E5 E6 F1 F2 F3 G1 G2 G3 G4 H1 H2 I1 I2 "
    "M1 M2 M3 M4 M5 M6 M7 M8 N1 N2 N4 P1 Q1"
).split()
UNMAPPED_SOURCE = "M6"
# the local value a national code goes back to (the exact maps only)
NATIONAL_TO_LOCAL = {code: local for local, (code, exact) in LOCAL_SOURCE_OF_REFERRAL.items() if exact}

# recognised words (lower case, trimmed) -> GENDER IDENTITY CODE
GENDER_WORDS = {
    "male": "1",
    "man": "1",
    "female": "2",
    "woman": "2",
    "trans man": "1",
    "trans woman": "2",
    "non-binary": "3",
    "non binary": "3",
    "nonbinary": "3",
    "not known": "X",
    "unknown": "X",
    "not stated": "Z",
    "prefer not to say": "Z",
}
GENDER_CODE_WORDS = {"1": "Male", "2": "Female", "3": "Non-binary", "4": "Other", "X": "Not known", "Z": "Not stated"}


def _sql_list(values) -> str:
    return ", ".join(f"'{v}'" for v in values)


def _case(column: str, mapping: dict[str, str], otherwise: str) -> str:
    whens = " ".join(f"WHEN '{k}' THEN '{v}'" for k, v in mapping.items())
    return f"CASE {column} {whens} ELSE {otherwise} END"


def _batched(cursor, table: str, where: str, assignments: str) -> int:
    """UPDATE the rows matching `where` in key order, BATCH rows per statement
    (each batch ends at the BATCH-th matching key). Returns the rows updated."""
    total, after = 0, None
    while True:
        since = "" if after is None else " AND id > %s"
        params = [] if after is None else [after]
        cursor.execute(
            f"SELECT id FROM {table} WHERE ({where}){since} ORDER BY id OFFSET {BATCH - 1} LIMIT 1", params
        )
        boundary = cursor.fetchone()
        until = "" if boundary is None else " AND id <= %s"
        cursor.execute(
            f"UPDATE {table} SET {assignments} WHERE ({where}){since}{until}",
            params + ([] if boundary is None else [boundary[0]]),
        )
        total += cursor.rowcount
        if boundary is None:
            return total
        after = boundary[0]


def forward(apps, schema_editor):
    inexact = [local for local, (_code, exact) in LOCAL_SOURCE_OF_REFERRAL.items() if not exact]
    to_national = {local: code for local, (code, _exact) in LOCAL_SOURCE_OF_REFERRAL.items()}
    with schema_editor.connection.cursor() as cursor:
        _batched(
            cursor,
            "patients_referral",
            f"source NOT IN ({_sql_list(NATIONAL_SOURCES)})",
            # both right-hand sides read the old source
            f"source_recorded_as = CASE WHEN source IN ({_sql_list(to_national)}) "
            f"AND source NOT IN ({_sql_list(inexact)}) THEN '' ELSE source END, "
            f"source = {_case('source', to_national, repr(UNMAPPED_SOURCE))}",
        )
        words = "lower(btrim(gender_identity))"
        code = _case(words, GENDER_WORDS, repr("4"))
        _batched(
            cursor,
            "patients_patient",
            "gender_identity NOT IN ('', '1', '2', '3', '4', 'X', 'Z')",
            # the words are kept unless the code's own word gives them back exactly
            f"gender_identity_described = CASE WHEN gender_identity = {_case(code, GENDER_CODE_WORDS, 'NULL')} "
            "THEN '' ELSE gender_identity END, "
            f"gender_identity = {code}",
        )


def backward(apps, schema_editor):
    with schema_editor.connection.cursor() as cursor:
        _batched(
            cursor,
            "patients_referral",
            f"source IN ({_sql_list(NATIONAL_SOURCES)})",
            "source = CASE WHEN source_recorded_as <> '' THEN source_recorded_as "
            f"ELSE {_case('source', NATIONAL_TO_LOCAL, repr('other'))} END, source_recorded_as = ''",
        )
        _batched(
            cursor,
            "patients_patient",
            f"gender_identity IN ({_sql_list(GENDER_CODE_WORDS)})",
            "gender_identity = CASE WHEN gender_identity_described <> '' THEN gender_identity_described "
            f"ELSE {_case('gender_identity', GENDER_CODE_WORDS, repr(''))} END, gender_identity_described = ''",
        )


class Migration(migrations.Migration):
    dependencies = [("patients", "0005_national_code_fields")]

    operations = [migrations.RunPython(forward, backward, elidable=False)]
