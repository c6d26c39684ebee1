"""Issue 14 item 1: a care contact is unique per referral, start time and
appointment type: the service says so beside the time (web and API, never a
500), and the migration resolves the duplicates already recorded."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role
from sessions.models import MeasureScore, RiskAssessment, TherapySession
from sessions.services import therapy_session_record
from tests.factories import ReferralFactory, UserFactory, gad7, phq9


@pytest.fixture
def case(db):
    pwp = UserFactory(role=Role.PWP)
    return pwp, ReferralFactory(patient__service=pwp.service, assigned_practitioner=pwp)


def _record(pwp, referral, started_at, appointment_type="02"):
    return therapy_session_record(
        user=pwp,
        referral=referral,
        started_at=started_at,
        appointment_type=appointment_type,
        attendance="5",
        medium="02",
        measure_items={"PHQ9": phq9(12), "GAD7": gad7(9)},
        enqueue_followup=False,
    )


def test_the_same_contact_twice_is_refused_beside_the_time_and_nothing_is_half_written(case):
    pwp, referral = case
    when = timezone.now().replace(second=0, microsecond=0) - timedelta(days=2)
    _record(pwp, referral, when)
    with pytest.raises(ValidationError) as refused:
        _record(pwp, referral, when)
    assert "already recorded" in refused.value.message_dict["started_at"][0]
    assert TherapySession.objects.count() == 1 and MeasureScore.objects.count() == 2
    # another appointment type at the same time is another contact
    _record(pwp, referral, when, appointment_type="05")
    assert TherapySession.objects.count() == 2


def test_the_session_form_sent_twice_without_a_token_shows_the_message_not_a_500(client, case):
    pwp, referral = case
    client.force_login(pwp)
    data = {
        "started_at": (timezone.localtime() - timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"),
        "appointment_type": "02",
        "attendance": "5",
        "medium": "02",
    }
    url = reverse("sessions:session_create", args=[referral.pk])
    assert client.post(url, data).status_code == 302
    again = client.post(url, data)
    assert again.status_code == 200
    assert "already recorded" in again.content.decode()
    assert TherapySession.objects.count() == 1


BEFORE = ("therapy_sessions", "0004_perf_drop_redundant_fk_indexes")


@pytest.mark.django_db(transaction=True)
def test_the_migration_removes_identical_copies_and_keeps_differing_ones_apart():
    # given the schema before the constraint, with duplicates recorded
    pwp = UserFactory(role=Role.PWP)
    referral = ReferralFactory(patient__service=pwp.service, assigned_practitioner=pwp)
    executor = MigrationExecutor(connection)
    executor.migrate([BEFORE])
    when = timezone.now().replace(microsecond=0) - timedelta(days=3)
    with connection.cursor() as cursor:

        def insert(created_minutes: int, notes: str, phq_items: list[int]) -> int:
            cursor.execute(
                """INSERT INTO therapy_sessions_therapysession
                   (referral_id, practitioner_id, started_at, appointment_type, attendance, medium,
                    duration_minutes, interventions, notes, step, risk_recorded, created_at, created_by_id,
                    version, idempotency_key)
                   VALUES (%s, %s, %s, '02', '5', '02', 30, '{}', %s, 2, false, %s, %s, 1, '') RETURNING id""",
                [referral.pk, pwp.pk, when, notes, when + timedelta(minutes=created_minutes), pwp.pk],
            )
            session_id = cursor.fetchone()[0]
            cursor.execute(
                """INSERT INTO therapy_sessions_measurescore
                   (session_id, referral_id, taken_at, instrument, items, total, band, caseness, complete,
                    reference_version) VALUES (%s, %s, %s, 'PHQ9', %s, %s, '', true, true, 'test')""",
                [session_id, referral.pk, when, phq_items, sum(phq_items)],
            )
            return session_id

        kept = insert(0, "Worksheet", phq9(12))
        copy = insert(1, "Worksheet", phq9(12))  # a double submit
        differing = insert(2, "Another note", phq9(14))  # a real clash: different content
        cursor.execute(
            """INSERT INTO therapy_sessions_riskassessment
               (referral_id, session_id, recorded_at, recorded_by_id, trigger, risk_to_self, risk_to_others,
                risk_from_others, level, plan, actions) VALUES
               (%s, %s, %s, %s, 'practitioner', 'low', 'none', 'none', 'low', 'Plan', '')""",
            [referral.pk, copy, when, pwp.pk],
        )

    # when the release migrates
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())

    # then the identical copy is gone (its risk assessment kept, on the contact kept),
    # the differing one stays, a microsecond apart, with its measures' time moved with it
    ids = set(TherapySession.objects.values_list("id", flat=True))
    assert ids == {kept, differing}
    assert RiskAssessment.objects.get().session_id == kept
    moved = TherapySession.objects.get(pk=differing)
    assert moved.started_at == when + timedelta(microseconds=2)
    assert MeasureScore.objects.get(session_id=differing).taken_at == moved.started_at
    assert not MeasureScore.objects.filter(session_id=copy).exists()
