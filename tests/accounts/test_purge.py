"""Records retention: the purge counts first, deletes set-based what is past its
period (and nothing else), and audits every purge."""

import uuid
from datetime import datetime, time, timedelta

import pytest
from axes.models import AccessAttempt
from dateutil.relativedelta import relativedelta
from django.apps import apps
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, models, transaction
from django.utils import timezone

from accounts.models import AccessLog
from accounts.retention import SCHEDULE, retention_years
from patients import purge
from patients.models import Patient, Referral
from sessions.models import MeasureScore, TherapySession
from sessions.services import therapy_session_record
from supervision.models import Flag, Notification
from tests.factories import ReferralFactory, UserFactory, gad7, phq9


def years_ago(n, days=0):
    return timezone.localdate() - relativedelta(years=n) - timedelta(days=days)


def case(*, received, ended=None, status="ended"):
    """A patient with one referral, a session with measures, a flag and a notification."""
    pwp = UserFactory()
    referral = ReferralFactory(patient__service=pwp.service, assigned_practitioner=pwp, received_on=received)
    therapy_session_record(
        user=pwp,
        referral=referral,
        started_at=timezone.make_aware(datetime.combine(received + timedelta(days=30), time(10))),
        appointment_type="02",
        attendance="5",
        medium="02",
        measure_items={"PHQ9": phq9(12), "GAD7": gad7(9)},
        enqueue_followup=False,
    )
    flag = Flag.objects.create(referral=referral, reason=Flag._meta.get_field("reason").choices[0][0])
    Notification.objects.create(user=pwp, flag=flag, message="a flag")
    Referral.objects.filter(pk=referral.pk).update(
        status=status, ended_on=ended, end_code="46" if status == "ended" else "", last_contact_on=None
    )
    return referral.patient


@pytest.fixture
def cases(db):
    old = case(received=years_ago(23), ended=years_ago(20, days=1))  # last contact just over 20 years ago
    recent_end = case(received=years_ago(23), ended=years_ago(19))  # ended under 20 years ago
    still_open = case(received=years_ago(25), status="in_treatment")  # never purged while open
    return old, recent_end, still_open


def test_clinical_records_schedule_is_20_years_and_audit_log_6():
    assert SCHEDULE["clinical_record"].years == 20 and retention_years("clinical_record") == 20
    assert SCHEDULE["access_log"].years == 6


def test_dry_run_counts_and_deletes_nothing(cases):
    before = {m: m.objects.count() for m in (Patient, Referral, TherapySession, MeasureScore, Flag, Notification)}
    counts = purge.records_count(record_class="clinical_record")
    assert counts["patients.Patient"] == 1 and counts["patients.Referral"] == 1
    assert counts["therapy_sessions.MeasureScore"] == 2 and counts["supervision.Notification"] == 1
    call_command("purge_records", "--dry-run")
    assert {m: m.objects.count() for m in before} == before
    assert not AccessLog.objects.filter(action="purge").exists()


def test_purge_deletes_only_what_is_past_its_period_and_audits_it(cases):
    old, recent_end, still_open = cases
    call_command("purge_records", "--class", "clinical_record")
    assert set(Patient.objects.values_list("pk", flat=True)) == {recent_end.pk, still_open.pk}
    assert not Referral.objects.filter(patient=old).exists()
    assert not TherapySession.objects.filter(referral__patient=old).exists()
    assert TherapySession.objects.count() == 2 and MeasureScore.objects.count() == 4
    assert Flag.objects.count() == 2 and Notification.objects.count() == 2
    entry = AccessLog.objects.get(action="purge")
    assert entry.object_type == "clinical_record" and entry.username == "system"
    assert entry.detail["deleted"]["patients.Patient"] == 1
    assert entry.detail["retention_years"] == 20 and entry.detail["schedule_version"]
    assert entry.detail["cutoff"] == years_ago(20).isoformat()


def test_the_period_is_configurable(cases, settings):
    settings.RETENTION_YEARS = {"clinical_record": 18}
    purge.records_purge(record_class="clinical_record")
    assert Patient.objects.count() == 1  # only the open case is left


@pytest.mark.parametrize("size", [2, 12])
def test_purge_is_set_based(db, django_assert_max_num_queries, size):
    for _ in range(size):
        case(received=years_ago(30), ended=years_ago(25))
    # the patient ids, one DELETE per table of the plan (the drafts, appointments' three, the
    # presenting problems and the questionnaire links included), the audit insert, and savepoints:
    # the same whatever the number of patients.
    with django_assert_max_num_queries(20):
        deleted = purge.records_purge(record_class="clinical_record")
    assert deleted["patients.Patient"] == size and not Patient.objects.exists()


def test_every_model_pointing_at_a_purged_model_is_in_the_plan():
    planned = {apps.get_model(label) for label, _ in purge.CLINICAL_RECORD_PLAN}
    for model in apps.get_models():
        for field in model._meta.get_fields():
            if field.many_to_one and field.concrete and field.related_model in planned:
                cascades = field.remote_field.on_delete in (models.CASCADE, models.SET_NULL)
                assert model in planned or cascades, f"{model._meta.label}.{field.name} blocks the purge"


def access_log_at(when):
    return AccessLog.objects.create(at=when, username="someone", role="pwp", action="view", object_type="patient")


def test_access_log_purge_keeps_six_years(db):
    from accounts.models import AccessLogPatient

    old = access_log_at(timezone.now() - relativedelta(years=6, days=2))
    young = access_log_at(timezone.now() - relativedelta(years=5, months=11))
    # an export's manifest goes with its entry (docs/decisions/012)
    AccessLogPatient.objects.bulk_create(
        [AccessLogPatient(access_log=entry, patient_id=uuid.uuid4()) for entry in (old, old, young)]
    )
    expected = {"accounts.AccessLogPatient": 2, "accounts.AccessLog": 1}
    assert purge.records_count(record_class="access_log") == expected
    call_command("purge_records", "--class", "access_log")
    assert not AccessLog.objects.filter(pk=old.pk).exists()
    assert AccessLog.objects.filter(pk=young.pk).exists()
    assert list(AccessLogPatient.objects.values_list("access_log_id", flat=True)) == [young.pk]
    entry = AccessLog.objects.get(action="purge")
    assert entry.detail["deleted"] == expected


def test_the_database_refuses_to_delete_audit_entries_younger_than_six_years(db):
    young = access_log_at(timezone.now() - relativedelta(years=5))
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL iapt.audit_purge = 'on'")
        cursor.execute("DELETE FROM accounts_accesslog WHERE id = %s", [young.pk])
    assert AccessLog.objects.filter(pk=young.pk).exists()


def test_a_retention_below_the_audit_floor_is_refused(db, settings):
    settings.RETENTION_YEARS = {"access_log": 2}
    access_log_at(timezone.now() - relativedelta(years=3))
    with pytest.raises(CommandError, match="floor"):
        call_command("purge_records", "--class", "access_log")
    assert AccessLog.objects.count() == 1


def test_login_records_purge(db):
    AccessAttempt.objects.create(
        username="x", ip_address="10.0.0.1", user_agent="", failures_since_start=1, get_data="", post_data=""
    )
    AccessAttempt.objects.update(attempt_time=timezone.now() - relativedelta(years=3))
    call_command("purge_records", "--class", "login_records")
    assert not AccessAttempt.objects.exists()
    assert AccessLog.objects.get(action="purge").detail["deleted"]["axes.AccessAttempt"] == 1
