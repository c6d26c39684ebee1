"""Scores outside a contact (issue 17 item 3, IDS606): the model's invariants, the
migration that makes the referral every score's owner, and which scores count
(docs/decisions/027-questionnaires.md): the service report and the national
extract's derivations agree on a referral with such scores."""

import io
from datetime import UTC, date, datetime, timedelta

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from accounts.models import Role
from dataset.derivations import derive
from dataset.extract import ExtractScope, local_id, read_extract, write_extract
from reports.sql import outcome_rows_sql
from sessions import measures
from sessions.models import CompletionChannel, MeasureScore, ReportedBy, counting_scores_sql
from tests.factories import ReferralFactory, ServiceFactory, UserFactory, phq9
from tests.reports.factories import Case, Visit, build

BEFORE = ("therapy_sessions", "0007_merge_this_rounds_branches")
MONTH = (date(2026, 3, 1), date(2026, 3, 31))


def outside(referral, code, total_items, when, *, reported_by=ReportedBy.PATIENT, channel=None):
    result = measures.score(code, total_items)
    return MeasureScore.objects.create(
        session=None,
        referral=referral,
        taken_at=when,
        completed_at=when,
        completion_channel=channel
        or (CompletionChannel.PATIENT_ONLINE if reported_by == ReportedBy.PATIENT else CompletionChannel.CLINICIAN),
        reported_by=reported_by,
        instrument=code,
        items=measures.stored_items(total_items),
        total=result.total,
        band=result.band or "",
        caseness=result.caseness,
        complete=result.complete,
        reference_version=measures.REFERENCE_VERSION,
    )


def test_the_sql_predicate_is_the_querysets(db):
    # the reports' and feedback's SQL write the clinician's stored value out
    assert counting_scores_sql("m") == "m.reported_by = 'clinician'"
    assert ReportedBy.CLINICIAN.value == "clinician"


def test_a_score_needs_a_session_or_a_completion_time_and_channel(db):
    referral = ReferralFactory()
    when = timezone.now() - timedelta(hours=1)
    kept = outside(referral, "PHQ9", phq9(11), when)
    assert kept.session_id is None and kept.referral_id == referral.pk
    for broken in (
        {"completed_at": None},
        {"completion_channel": ""},
        {"taken_at": when - timedelta(minutes=1)},  # taken_at is the completion time
    ):
        with pytest.raises(IntegrityError), transaction.atomic():
            MeasureScore.objects.filter(pk=kept.pk).update(**broken)
    assert MeasureScore.objects.get(pk=kept.pk).completed_at == when


def test_a_patients_report_is_never_a_sessions_score(db):
    (referral,) = build(
        service=ServiceFactory(), cases=[Case(received_on=date(2026, 2, 1), status="in_treatment", visits=[Visit(3)])]
    )
    session = referral.sessions.get()
    with pytest.raises(IntegrityError), transaction.atomic():
        MeasureScore.objects.create(
            session=session,
            referral=referral,
            taken_at=session.started_at,
            reported_by=ReportedBy.PATIENT,
            instrument="PHQ9",
            items=phq9(5),
            total=5,
            complete=True,
            reference_version="t",
        )


@pytest.mark.django_db(transaction=True)
def test_the_migration_gives_every_score_its_sessions_referral_and_reverses():
    # given the schema before, with a score whose referral drifted from its session's
    pwp = UserFactory(role=Role.PWP)
    referral = ReferralFactory(patient__service=pwp.service, assigned_practitioner=pwp)
    other = ReferralFactory(patient__service=pwp.service, assigned_practitioner=pwp)
    executor = MigrationExecutor(connection)
    executor.migrate([BEFORE])
    when = timezone.now().replace(microsecond=0) - timedelta(days=3)
    with connection.cursor() as cursor:
        cursor.execute(
            """INSERT INTO therapy_sessions_therapysession
               (referral_id, practitioner_id, started_at, appointment_type, attendance, medium,
                duration_minutes, interventions, notes, step, risk_recorded, created_at, created_by_id,
                version, idempotency_key)
               VALUES (%s, %s, %s, '02', '5', '02', 30, '{}', '', 2, false, %s, %s, 1, '') RETURNING id""",
            [referral.pk, pwp.pk, when, when, pwp.pk],
        )
        session_id = cursor.fetchone()[0]
        cursor.execute(
            """INSERT INTO therapy_sessions_measurescore
               (session_id, referral_id, taken_at, instrument, items, total, band, caseness, complete,
                reference_version) VALUES (%s, %s, %s, 'PHQ9', %s, 12, '', true, true, 'test') RETURNING id""",
            [session_id, other.pk, when, phq9(12)],
        )
        score_id = cursor.fetchone()[0]

    # when the release migrates
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())

    # then the score is its session's referral's, a clinician's, and counts
    score = MeasureScore.objects.get(pk=score_id)
    assert (score.referral_id, score.reported_by, score.completed_at) == (referral.pk, ReportedBy.CLINICIAN, None)
    assert MeasureScore.objects.counting().filter(pk=score_id).exists()

    # and it migrates back (the new columns go; the rows stay)
    executor = MigrationExecutor(connection)
    executor.migrate([BEFORE])
    with connection.cursor() as cursor:
        cursor.execute("SELECT referral_id FROM therapy_sessions_measurescore WHERE id = %s", [score_id])
        assert cursor.fetchone() == (referral.pk,)
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


def _report_row(service, referral):
    sql, params = outcome_rows_sql(service_id=service.pk, date_from=MONTH[0], date_to=MONTH[1])
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        names = [c.name for c in cursor.description]
        rows = {row[0]: dict(zip(names, row, strict=True)) for row in cursor.fetchall()}
    return rows[str(referral.pk)]


def _at(day: date, hour: int) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


def test_report_and_extract_agree_on_which_scores_outside_a_contact_count(db):
    # given a finished course, recovered on its session scores (PHQ-9 15 -> 5, GAD-7 12 -> 4)
    service = ServiceFactory()
    received = date(2026, 2, 1)
    (referral,) = build(
        service=service,
        cases=[
            Case(
                received_on=received,
                ended_on=date(2026, 3, 10),
                visits=[
                    Visit(3, "01", scores={"PHQ9": 15, "GAD7": 12}),
                    Visit(20, "02", scores={"PHQ9": 9, "GAD7": 7}),
                    Visit(30, "02", scores={"PHQ9": 5, "GAD7": 4}),
                ],
            )
        ],
    )
    # and a patient's unconfirmed answers that would change it if they counted:
    # a first PHQ-9 below caseness, and a last one far above it
    outside(referral, "PHQ9", phq9(3), _at(received + timedelta(days=2), 9))
    outside(referral, "PHQ9", phq9(24), _at(received + timedelta(days=31), 9))
    # and a clinician's score outside a contact, which counts: the first PHQ-9 is now 18
    outside(referral, "PHQ9", phq9(18), _at(received + timedelta(days=1), 9), reported_by=ReportedBy.CLINICIAN)

    # when the report and the extract are made
    row = _report_row(service, referral)
    buffer = io.BytesIO()
    write_extract(ExtractScope.for_month(service, 2026, 3), buffer)
    buffer.seek(0)
    tables = read_extract(buffer)
    derived = derive(tables)[local_id(referral.pk)]

    # then both count the clinician's score and neither the patient's unconfirmed ones
    assert (row["phq9_first"], row["phq9_last"], row["phq9_scores"]) == (18, 5, 4)
    outside_rows = [
        r for r in tables["IDS606CodedScoreAssessmentRefer"] if r["ServiceRequestId"] == local_id(referral.pk)
    ]
    assert [(r["PersScore"], r["AssToolCompDate"]) for r in outside_rows] == [("18", "2026-02-02")]
    assert row["finished_treatment"] and row["recovered"] and row["reliable_improvement"]
    assert derived.CompletedTreatment_Flag and derived.Recovery_Flag and derived.ReliableImprovement_Flag
    assert derived.NotCaseness_Flag is False
