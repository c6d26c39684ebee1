"""Therapy type (IDS202) as a SNOMED CT procedure code on each attended contact
(issue 17 item 1, docs/decisions/022-national-codes.md): the service's default
from the interventions, the practitioner's own code, and the data migration
that fills it for contacts recorded before."""

import importlib
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from accounts.models import Role
from patients import national_codes
from sessions.models import TherapySession
from sessions.services import session_therapy_type, therapy_session_record
from stepped_care.decision_support import STEP3_INTERVENTIONS
from tests.factories import ReferralFactory, UserFactory

LI, HI = national_codes.OTHER_LOW_INTENSITY, national_codes.OTHER_HIGH_INTENSITY
COUPLE = "1129471000000105"
data_migration = importlib.import_module("sessions.migrations.0009_therapy_type_data")


@pytest.mark.parametrize(
    ("therapy_type", "appointment_type", "attendance", "interventions", "expected"),
    [
        ("", "02", "5", ["gsh"], LI),
        ("", "02", "6", ["cbt", "gsh"], HI),  # the first intervention gives it
        ("", "02", "5", ["couple_therapy"], COUPLE),
        ("", "10", "5", [], national_codes.EMPLOYMENT_SUPPORT),
        ("", "02", "5", [], ""),
        ("", "02", "3", ["gsh"], ""),  # did not attend: nothing delivered
        ("1127281000000100", "02", "5", ["gsh"], "1127281000000100"),  # the practitioner's code wins
    ],
)
def test_the_therapy_type_a_contact_stores(therapy_type, appointment_type, attendance, interventions, expected):
    got = session_therapy_type(
        therapy_type=therapy_type, appointment_type=appointment_type, attendance=attendance, interventions=interventions
    )
    assert got == expected


def test_a_code_not_on_the_national_list_is_refused_beside_its_field():
    with pytest.raises(ValidationError) as refused:
        session_therapy_type(therapy_type="cbt", appointment_type="02", attendance="5", interventions=[])
    assert "therapy_type" in refused.value.message_dict


def test_the_migration_default_and_the_services_agree():
    for intervention in ("gsh", "cbt", "couple_therapy", "emdr", "ba"):
        from_service = national_codes.therapy_type_for(intervention)
        from_migration = COUPLE if intervention == "couple_therapy" else (
            HI if intervention in data_migration.STEP3_INTERVENTIONS else LI
        )  # fmt: skip
        assert from_service == from_migration, intervention
    assert set(data_migration.STEP3_INTERVENTIONS) == national_codes.STEP3_INTERVENTIONS
    # the high-intensity interventions are decision support's step 3 (stepped care sits above patients)
    assert {code for code, _ in STEP3_INTERVENTIONS} == national_codes.STEP3_INTERVENTIONS


@pytest.mark.django_db(transaction=True)
def test_the_data_migration_fills_attended_contacts_and_reverses():
    # given contacts recorded before therapy types were stored
    pwp = UserFactory(role=Role.PWP)
    referral = ReferralFactory(patient__service=pwp.service, assigned_practitioner=pwp)
    start = timezone.now().replace(microsecond=0) - timedelta(days=20)
    rows = [("02", "5", ["gsh"]), ("02", "5", ["cbt"]), ("05", "6", ["couple_therapy"]), ("02", "3", ["gsh"])]
    sessions = [
        therapy_session_record(
            user=pwp,
            referral=referral,
            started_at=start + timedelta(days=n),
            appointment_type=kind,
            attendance=attendance,
            medium="02",
            interventions=interventions,
            enqueue_followup=False,
        )
        for n, (kind, attendance, interventions) in enumerate(rows)
    ]
    executor = MigrationExecutor(connection)
    executor.migrate([("therapy_sessions", "0008_national_codes")])
    with connection.cursor() as cursor:
        cursor.execute("UPDATE therapy_sessions_therapysession SET therapy_type = ''")

    # when the release migrates
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())

    # then
    stored = dict(TherapySession.objects.values_list("pk", "therapy_type"))
    assert [stored[s.pk] for s in sessions] == [LI, HI, COUPLE, ""]
    assert TherapySession.objects.get(pk=sessions[0].pk).interventions == ["gsh"]  # nothing lost

    # and reverse empties it, forward fills it again
    executor = MigrationExecutor(connection)
    executor.migrate([("therapy_sessions", "0008_national_codes")])
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM therapy_sessions_therapysession WHERE therapy_type <> ''")
        assert cursor.fetchone()[0] == 0
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
    assert TherapySession.objects.get(pk=sessions[1].pk).therapy_type == HI
