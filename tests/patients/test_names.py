"""Issue 14 item 4: names are written in one form (NFC, apostrophes folded) and
found on a case- and accent-insensitive key, indexed, whatever spelling a
person types; existing rows are rewritten by the migration."""

import unicodedata
from datetime import date, timedelta

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from hypothesis import given
from hypothesis import strategies as st

from accounts.models import Role
from patients import services
from patients.codes import ReferralSource
from patients.models import Patient
from patients.names import APOSTROPHES, normalise_name
from patients.selectors import patient_search_for_user
from tests.factories import PatientFactory, UserFactory

DECOMPOSED = "Bronte\u0308"  # e + combining diaeresis, as some keyboards and imports send it


@pytest.mark.parametrize(
    "typed,stored",
    [
        ("O\u2019Brien", "O'Brien"),
        ("O\u2018Brien", "O'Brien"),
        ("O\u02bcBrien", "O'Brien"),
        ("O`Brien", "O'Brien"),
        (DECOMPOSED, "Brontë"),
        ("  Mary   Ann ", "Mary Ann"),
        ("Łukasz", "Łukasz"),
    ],
)
def test_a_name_is_written_in_one_form(typed, stored):
    assert normalise_name(typed) == stored


@given(st.text(max_size=30))
def test_normalising_is_idempotent_and_leaves_nfc_with_no_other_apostrophe(text):
    once = normalise_name(text)
    assert normalise_name(once) == once
    assert unicodedata.is_normalized("NFC", once)
    assert not any(ch in once for ch in APOSTROPHES)


@pytest.fixture
def admin(db):
    return UserFactory(role=Role.REFERRAL_ADMIN)


def _register(admin, family_name):
    import random

    from patients import nhs_number

    referral = services.patient_and_referral_register(
        user=admin,
        patient_data={
            "nhs_number": nhs_number.generate(random.Random(family_name)),
            "given_name": "Emily",
            "family_name": family_name,
            "date_of_birth": date(1980, 7, 30),
            "sex": "2",
        },
        referral_data={"source": ReferralSource.SELF, "received_on": date.today() - timedelta(days=3)},
    )
    return referral.patient


@pytest.mark.parametrize(
    "stored,typed",
    [
        ("O'Brien", "O\u2019Brien"),
        ("O\u2019Brien", "O'Brien"),
        ("O\u2019Brien", "o\u2018brien"),
        (DECOMPOSED, "Brontë"),
        ("Brontë", DECOMPOSED),
        ("Brontë", "bronte"),
        ("Brontë", "BRONTË"),
        ("Nuñez", "nunez"),
    ],
)
def test_every_spelling_a_person_types_finds_the_patient(admin, stored, typed):
    patient = _register(admin, stored)
    assert [p.pk for p in patient_search_for_user(user=admin, query=typed)] == [patient.pk]


def test_registration_and_edits_store_the_normal_form(admin):
    patient = _register(admin, DECOMPOSED)
    assert Patient.objects.get(pk=patient.pk).family_name == "Brontë"
    services.patient_update(user=admin, patient=patient, version=patient.version, given_name="Anne\u2019s")
    assert Patient.objects.get(pk=patient.pk).given_name == "Anne's"


def test_a_different_name_is_not_found(admin):
    _register(admin, "O'Brien")
    assert patient_search_for_user(user=admin, query="OBrien") == []


def test_the_search_uses_the_name_key_index(admin):
    qs = Patient.objects.all()
    _register(admin, "Brontë")
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        from django.db.models import TextField, Value

        from patients.models import NameKey

        sql, params = (
            qs.annotate(k=NameKey("family_name"))
            .filter(k=NameKey(Value("bronte", output_field=TextField())))
            .query.sql_with_params()
        )
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "patient_family_name_key_idx" in plan


@pytest.mark.django_db(transaction=True)
def test_the_migration_rewrites_existing_names():
    executor = MigrationExecutor(connection)
    executor.migrate([("patients", "0002_perf_referral_review_due")])
    patient = PatientFactory.build(family_name=DECOMPOSED, given_name=" Siobh\u00e1n  O\u2019Neill ")
    with connection.cursor() as cursor:
        service = UserFactory().service
        cursor.execute(
            """INSERT INTO patients_patient (id, service_id, nhs_number, given_name, family_name, date_of_birth,
               sex, gender_identity, ethnicity, phone, email, address, postcode, contact_preferences,
               consent_to_contact, consent_to_leave_messages, gp_practice_code, gp_practice_name, created_at,
               updated_at, version)
               VALUES (%s, %s, '9434765919', %s, %s, '1980-01-01', '2', '', 'Z', '', '', '', '', '{}',
               false, false, '', '', now(), now(), 1)""",
            [patient.id, service.pk, patient.given_name, patient.family_name],
        )
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
    stored = Patient.objects.get(pk=patient.id)
    assert stored.family_name == "Brontë" and stored.given_name == "Siobhán O'Neill"
