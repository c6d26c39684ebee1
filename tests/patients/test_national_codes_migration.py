"""Stored values become national codes (issue 17, docs/decisions/022): the data
migration maps every local value the product stored, loses nothing, and reverses
exactly. Rows are written with the old values at the schema before the
migration (MigrationExecutor), then the release migrates forward and back."""

import importlib

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from patients import national_codes
from patients.codes import ReferralSource
from patients.models import Patient, Referral
from tests.factories import PatientFactory, ReferralFactory

BEFORE = [("patients", "0005_national_code_fields")]
data_migration = importlib.import_module("patients.migrations.0006_national_codes_data")

# every local value stored before, and one the map does not know
OLD_SOURCES = [*data_migration.LOCAL_SOURCE_OF_REFERRAL, "nhs111"]
EXPECTED_SOURCE = {
    "gp": ("A1", ""),
    "self": ("B1", ""),
    "primary_care": ("A3", ""),
    "secondary_care": ("H2", "secondary_care"),
    "acute": ("H2", "acute"),
    "employer": ("D1", "employer"),
    "voluntary": ("G4", ""),
    "other": ("M6", ""),
    "nhs111": ("M6", "nhs111"),
}
# free text as typed -> (code, the words kept)
EXPECTED_GENDER = {
    "Male": ("1", ""),
    " woman ": ("2", " woman "),
    "Non-binary": ("3", ""),
    "trans man": ("1", "trans man"),
    "Prefer not to say": ("Z", "Prefer not to say"),
    "Genderfluid": ("4", "Genderfluid"),
    "": ("", ""),
}


def _migrate(target):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(target)


def _latest():
    executor = MigrationExecutor(connection)
    return executor.loader.graph.leaf_nodes()


def test_the_map_covers_every_local_value_with_a_national_code():
    assert set(EXPECTED_SOURCE) - {"nhs111"} == set(data_migration.LOCAL_SOURCE_OF_REFERRAL)
    for code, _exact in data_migration.LOCAL_SOURCE_OF_REFERRAL.values():
        assert code in national_codes.SOURCE_OF_REFERRAL
    assert set(data_migration.NATIONAL_SOURCES) == set(national_codes.SOURCE_OF_REFERRAL) == set(ReferralSource.values)
    assert set(data_migration.GENDER_WORDS.values()) <= set(national_codes.GENDER_IDENTITY)


@pytest.mark.django_db(transaction=True)
def test_every_local_value_maps_nothing_is_lost_and_reverse_restores_it():
    # given rows made now, then the schema and values from before national codes
    referrals = [ReferralFactory() for _ in OLD_SOURCES]
    patients = [PatientFactory(service=referrals[0].service) for _ in EXPECTED_GENDER]
    new_code = ReferralFactory(source=ReferralSource.SOCIAL_SERVICES)  # recorded after the migration
    _migrate(BEFORE)
    with connection.cursor() as cursor:
        for referral, old in zip(referrals, OLD_SOURCES, strict=True):
            cursor.execute("UPDATE patients_referral SET source = %s WHERE id = %s", [old, referral.pk])
        for patient, text in zip(patients, EXPECTED_GENDER, strict=True):
            cursor.execute("UPDATE patients_patient SET gender_identity = %s WHERE id = %s", [text, patient.pk])
        cursor.execute("UPDATE patients_referral SET source = 'C1' WHERE id = %s", [new_code.pk])

    # when the release migrates forward
    _migrate(_latest())

    # then every value is a national code, and what the code cannot say is kept
    got = dict(Referral.objects.filter(pk__in=[r.pk for r in referrals]).values_list("pk", "source"))
    kept = dict(Referral.objects.filter(pk__in=[r.pk for r in referrals]).values_list("pk", "source_recorded_as"))
    for referral, old in zip(referrals, OLD_SOURCES, strict=True):
        assert (got[referral.pk], kept[referral.pk]) == EXPECTED_SOURCE[old], old
    assert Referral.objects.get(pk=new_code.pk).source == "C1"
    assert not Referral.objects.exclude(source__in=ReferralSource.values).exists()
    for patient, text in zip(patients, EXPECTED_GENDER, strict=True):
        row = Patient.objects.values_list("gender_identity", "gender_identity_described").get(pk=patient.pk)
        assert row == EXPECTED_GENDER[text], text

    # and reverse gives back exactly the values stored before
    _migrate(BEFORE)
    with connection.cursor() as cursor:
        cursor.execute("SELECT id, source FROM patients_referral")
        sources = dict(cursor.fetchall())
        cursor.execute("SELECT id, gender_identity FROM patients_patient")
        genders = dict(cursor.fetchall())
    assert [sources[r.pk] for r in referrals] == OLD_SOURCES
    assert [genders[p.pk] for p in patients] == list(EXPECTED_GENDER)
    assert sources[new_code.pk] == "other"  # a code with no local value goes back as "other" (decision 022)

    # leave the database as the other tests expect it
    _migrate(_latest())
    assert Referral.objects.get(pk=referrals[0].pk).source == ReferralSource.GP


@pytest.mark.django_db(transaction=True)
def test_the_update_runs_in_batches_and_misses_no_row(monkeypatch):
    # given more rows than one batch holds
    monkeypatch.setattr(data_migration, "BATCH", 2)
    referrals = [ReferralFactory() for _ in range(5)]
    _migrate(BEFORE)
    with connection.cursor() as cursor:
        cursor.execute("UPDATE patients_referral SET source = 'self'")
    # when
    _migrate(_latest())
    # then
    assert set(Referral.objects.filter(pk__in=[r.pk for r in referrals]).values_list("source", flat=True)) == {"B1"}
