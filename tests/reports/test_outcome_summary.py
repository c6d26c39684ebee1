"""The stored outcome summary (reports/outcome_summary.py) stays equal to the
live SELECT after every kind of write, through the real services where there is
one, and under concurrency."""

import threading
import time
from datetime import timedelta

import psycopg2
import pytest
from django.db import connection, connections
from django.utils import timezone

from accounts.models import Role
from patients.services import referral_update
from reports import figures
from reports.models import OutcomeQueue, ReferralOutcome
from reports.outcome_summary import outcomes_rebuild, outcomes_refresh, outcomes_refresh_all, refresh_statement
from reports.selectors import ReportScope
from sessions import measures
from sessions.models import MeasureScore, TherapySession
from stepped_care.services import step_change_record_confirmed
from tests.factories import ReferralFactory, SupervisionAssignmentFactory, UserFactory, gad7, log_session

from .factories import items_for
from .test_sql_agreement import sql_rows


def period():
    today = timezone.localdate()
    return today - timedelta(days=400), today


def rows(service, *, stored: bool) -> dict:
    return sql_rows(service, period(), stored=stored)


def assert_current(service) -> None:
    """After the beat task's refresh, the stored path gives the live rows and figures."""
    outcomes_refresh_all()
    assert not OutcomeQueue.objects.exists()
    assert rows(service, stored=True) == rows(service, stored=False)
    date_from, date_to = period()
    scope = ReportScope(service=service, team=None, date_from=date_from, date_to=date_to)
    assert figures.referral_counts(scope) == figures.referral_counts(scope, stored=False)
    assert figures.trend(scope) == figures.trend(scope, stored=False)


def queued(referral) -> bool:
    return OutcomeQueue.objects.filter(referral_id=referral.pk).exists()


@pytest.fixture
def pwp(db):
    return UserFactory(role=Role.PWP)


@pytest.fixture
def supervisor(pwp):
    supervisor = UserFactory(role=Role.SUPERVISOR, service=pwp.service)
    SupervisionAssignmentFactory(supervisor=supervisor, supervisee=pwp)  # who may decide (accounts/policy.py)
    return supervisor


def referral_for(pwp, **kwargs):
    defaults = {
        "patient__service": pwp.service,
        "assigned_practitioner": pwp,
        "received_on": timezone.localdate() - timedelta(days=90),
    }
    return ReferralFactory(**{**defaults, **kwargs})


def log(pwp, referral, *, days_ago, phq=14, gad=11, attendance="5", kind="02", extra=None):
    return log_session(
        pwp, referral, days_ago=days_ago, phq=phq, gad=gad, attendance=attendance, kind=kind, extra=extra
    )


def test_every_write_path_keeps_the_summary_equal_to_the_live_select(pwp, supervisor):
    service = pwp.service
    # given: a new referral is queued and gets its (empty) summary
    referral = referral_for(pwp)
    assert queued(referral)
    assert_current(service)
    assert ReferralOutcome.objects.get(referral=referral).appointments == 0

    # a session logged with PHQ-9 and GAD-7 (the session service)
    log(pwp, referral, days_ago=60, kind="01", phq=16, gad=13)
    assert queued(referral)
    assert_current(service)
    log(pwp, referral, days_ago=50, phq=12, gad=10)
    log(pwp, referral, days_ago=40, phq=7, gad=5)
    assert_current(service)
    assert ReferralOutcome.objects.get(referral=referral).treatment_sessions == 2

    # a DNA
    log(pwp, referral, days_ago=30, attendance="3")
    assert_current(service)
    assert ReferralOutcome.objects.get(referral=referral).dna_count == 1

    # a session amended: the second treatment turns out to be a DNA
    second = TherapySession.objects.filter(referral=referral).order_by("started_at")[2]
    TherapySession.objects.filter(pk=second.pk).update(attendance="3")
    assert queued(referral)
    assert_current(service)
    assert ReferralOutcome.objects.get(referral=referral).treatment_sessions == 1

    # the problem descriptor changed (the referral service) to one with an ADSM,
    # then a measure added: its ADSM at a later session
    adsm = measures.anxiety_instrument_for("F401")
    assert adsm != "GAD7"
    referral.refresh_from_db()
    referral = referral_update(user=supervisor, referral=referral, version=referral.version, problem_descriptor="F401")
    assert queued(referral)
    session = log(pwp, referral, days_ago=20, phq=6, gad=4, extra={adsm: items_for(adsm, 30)})
    assert_current(service)
    later = log(pwp, referral, days_ago=10, phq=5, gad=4)
    MeasureScore.objects.filter(session=session, instrument=adsm).update(total=None, complete=False)
    assert queued(referral)
    assert_current(service)
    score = measures.score(adsm, items_for(adsm, 12))
    MeasureScore.objects.create(
        session=later, referral=referral, taken_at=later.started_at, instrument=adsm, items=items_for(adsm, 12),
        total=score.total, band=score.band or "", caseness=score.caseness, complete=True,
    )  # fmt: skip
    assert queued(referral)
    assert_current(service)
    summary = ReferralOutcome.objects.get(referral=referral)
    assert (summary.adsm, summary.adsm_scores) == (adsm, 1)

    # the referral ended (a discharge confirmed in supervision): the flags follow at read time
    referral.refresh_from_db()
    step_change_record_confirmed(
        user=supervisor, referral=referral, kind="discharge", reason="Finished", effective_on=timezone.localdate(),
        end_code="46",
    )  # fmt: skip
    assert_current(service)
    row = rows(service, stored=True)[str(referral.pk)]
    assert row["ended"] and row["finished_treatment"] and row["treatment_sessions"] == 3

    # a measure deleted, a session deleted
    MeasureScore.objects.filter(session=later).delete()
    assert queued(referral)
    assert_current(service)
    MeasureScore.objects.filter(session=second).delete()
    TherapySession.objects.filter(pk=second.pk).delete()
    assert queued(referral)
    assert_current(service)


def test_each_trigger_queues_the_referral(pwp):
    """Fails if any of the triggers of migration reports 0002 is dropped."""
    referral = referral_for(pwp)
    assert queued(referral)  # referral INSERT
    session = log(pwp, referral, days_ago=5)
    checks = [
        lambda: TherapySession.objects.filter(pk=session.pk).update(attendance="6"),  # session UPDATE
        lambda: MeasureScore.objects.filter(session=session, instrument="GAD7").update(total=12),  # measure UPDATE
        lambda: MeasureScore.objects.filter(session=session, instrument="GAD7").delete(),  # measure DELETE
        lambda: MeasureScore.objects.create(  # measure INSERT
            session=session,
            referral=referral,
            taken_at=session.started_at,
            instrument="GAD7",
            items=gad7(3),
            total=3,
            band="minimal",
            caseness=False,
            complete=True,
        ),  # fmt: skip
        lambda: (
            MeasureScore.objects.filter(session=session).delete()
            and TherapySession.objects.filter(pk=session.pk).delete()
        ),  # session DELETE (after its measures)
        lambda: log(pwp, referral, days_ago=3, attendance="3"),  # session INSERT
        lambda: type(referral).objects.filter(pk=referral.pk).update(problem_descriptor="F42"),  # descriptor
    ]
    for check in checks:
        OutcomeQueue.objects.all().delete()
        check()
        assert queued(referral), check
    # A referral change that does not touch the summary queues nothing.
    OutcomeQueue.objects.all().delete()
    type(referral).objects.filter(pk=referral.pk).update(reason_notes="Phoned the GP")
    assert not queued(referral)


def test_the_report_page_refreshes_its_service_before_it_aggregates(pwp):
    service = pwp.service
    referral = referral_for(pwp)
    outcomes_refresh_all()
    log(pwp, referral, days_ago=5)
    other = referral_for(UserFactory(role=Role.PWP))  # another service's queue is left to the beat task
    date_from, date_to = period()
    report = figures.service_report(ReportScope(service=service, team=None, date_from=date_from, date_to=date_to))
    assert report.total["received"] == 1
    assert not queued(referral) and queued(other)
    assert rows(service, stored=True) == rows(service, stored=False)


def test_a_full_rebuild_restores_a_lost_summary(pwp):
    referral = referral_for(pwp)
    log(pwp, referral, days_ago=5)
    outcomes_refresh_all()
    ReferralOutcome.objects.filter(referral=referral).update(appointments=99)  # a summary gone wrong
    assert outcomes_rebuild() >= 1
    assert_current(pwp.service)


def test_a_referral_whose_summary_is_missing_is_built_by_the_report_not_dropped(pwp):
    """A summary deleted, and no queue entry (as after a load with the triggers
    off): the report finds the referral by its LEFT join, builds it and counts it."""
    referral = referral_for(pwp)
    log(pwp, referral, days_ago=30)
    log(pwp, referral, days_ago=5, phq=6, gad=4)
    outcomes_refresh_all()
    ReferralOutcome.objects.filter(referral=referral).delete()
    assert not queued(referral)
    date_from, date_to = period()
    scope = ReportScope(service=pwp.service, team=None, date_from=date_from, date_to=date_to)
    live = figures.referral_counts(scope, stored=False)
    assert live["total"]["received"] == 1 and live["total"]["entered_treatment"] == 1
    assert figures.referral_counts(scope) == live
    assert ReferralOutcome.objects.filter(referral=referral).exists()
    assert rows(pwp.service, stored=True) == rows(pwp.service, stored=False)


def _connect():
    s = connection.settings_dict
    return psycopg2.connect(
        dbname=s["NAME"], user=s["USER"], host=s["HOST"] or None, port=s["PORT"] or None, password=s["PASSWORD"]
    )


@pytest.mark.django_db(transaction=True)
def test_a_session_committed_during_a_refresh_stays_queued_for_the_next(pwp):
    referral = referral_for(pwp)
    log(pwp, referral, days_ago=9)
    outcomes_refresh_all()
    other = _connect()
    try:
        with other.cursor() as cursor:  # a session being logged, not yet committed
            cursor.execute(
                """INSERT INTO therapy_sessions_therapysession (referral_id, practitioner_id, created_by_id, started_at,
                       appointment_type, attendance, medium, interventions, notes, risk_recorded, created_at, version,
                       idempotency_key)
                   VALUES (%s, %s, %s, now() - interval '1 day', '02', '5', '02', '{}', '', false, now(), 1, '')""",
                [str(referral.pk), pwp.pk, pwp.pk],
            )
        outcomes_refresh()  # the refresh cannot see it
        other.commit()
    finally:
        other.close()
    assert queued(referral)
    assert rows(pwp.service, stored=True) != rows(pwp.service, stored=False)
    assert_current(pwp.service)
    assert ReferralOutcome.objects.get(referral=referral).appointments == 2


@pytest.mark.django_db(transaction=True)
def test_two_refreshes_of_a_referral_leave_the_newer_computation(pwp):
    """A refresh that computed before a new session commits cannot overwrite the
    summary of a later refresh that saw it: the later one waits for its locks."""
    referral = referral_for(pwp)
    log(pwp, referral, days_ago=9)
    outcomes_refresh_all()
    log(pwp, referral, days_ago=8)  # queued
    older = _connect()
    try:
        sql, params = refresh_statement()
        with older.cursor() as cursor:
            cursor.execute(sql, params)  # computed with two sessions; holds the queue entry
        log(pwp, referral, days_ago=7)  # committed: a third session, queued again
        result = {}

        def newer():
            try:
                result["written"] = outcomes_refresh()
            except Exception as exc:  # noqa: BLE001 - reported by the assertion below
                result["error"] = exc
            finally:
                connections.close_all()

        thread = threading.Thread(target=newer)
        thread.start()
        _wait_until_blocked(result)
        older.commit()  # the older computation commits first
        thread.join(10)
        assert not thread.is_alive()
    finally:
        older.close()
    assert result["written"] == 1
    assert ReferralOutcome.objects.get(referral=referral).appointments == 3
    assert not queued(referral)
    assert rows(pwp.service, stored=True) == rows(pwp.service, stored=False)


def _wait_until_blocked(result: dict, seconds: float = 10.0) -> None:
    """Until another backend waits on a lock (seen from a connection of its own:
    a transaction keeps one view of pg_stat_activity)."""
    watcher = _connect()
    watcher.autocommit = True
    try:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            with watcher.cursor() as cursor:
                cursor.execute(
                    "SELECT count(*) FROM pg_stat_activity "
                    "WHERE wait_event_type = 'Lock' AND datname = current_database()"
                )
                if cursor.fetchone()[0]:
                    return
            time.sleep(0.05)
    finally:
        watcher.close()
    raise AssertionError(f"the second refresh never waited for the first: {result}")


def test_the_synthetic_year_builds_summaries_equal_to_the_live_select(db):
    from accounts.models import Service
    from bench import synthetic

    synthetic.generate(referrals=1500, seed=5, heavy_caseload=40)
    # the bulk load fires no trigger row by row: it queues every referral once
    assert OutcomeQueue.objects.count() == 1500 and not ReferralOutcome.objects.exists()
    assert outcomes_refresh_all(batch=400) == 1500
    for service in Service.objects.filter(ods_code__startswith="SY"):
        stored = rows(service, stored=True)
        assert stored and stored == rows(service, stored=False)
    assert_current(Service.objects.filter(ods_code__startswith="SY").first())


def test_the_command_and_the_beat_task_refresh(pwp, settings):
    from io import StringIO

    from django.core.management import call_command

    from reports import tasks

    referral = referral_for(pwp)
    log(pwp, referral, days_ago=3)
    assert tasks.refresh_outcomes() == 1
    assert settings.CELERY_BEAT_SCHEDULE["reports-refresh-outcomes"]["task"] == tasks.refresh_outcomes.name
    ReferralOutcome.objects.filter(referral=referral).update(dna_count=7)
    out = StringIO()
    call_command("refresh_outcomes", "--full", stdout=out)
    assert "Outcome summaries written: 1." in out.getvalue()
    assert_current(pwp.service)


def test_every_reader_of_the_stored_figures_refreshes_first(pwp):
    """The API's report and the page call the same function: it refreshes the
    service's queue itself, so no caller can read a summary the queue says is stale."""
    referral = referral_for(pwp)
    log(pwp, referral, days_ago=20, kind="01")
    date_from, date_to = period()
    scope = ReportScope(service=pwp.service, team=None, date_from=date_from, date_to=date_to)
    assert queued(referral)
    assert figures.referral_counts(scope) == figures.referral_counts(scope, stored=False)
    assert figures.referral_counts(scope)["total"]["assessed"] == 1
    assert not queued(referral)


def test_a_release_that_changes_the_definition_requeues_every_summary(pwp, monkeypatch):
    from reports import sql
    from reports.outcome_summary import outcomes_check_definition

    referral = referral_for(pwp)
    log(pwp, referral, days_ago=30, kind="01")
    log(pwp, referral, days_ago=20)
    assert_current(pwp.service)
    assert not outcomes_check_definition()  # the same code: nothing to do
    assert ReferralOutcome.objects.get(referral=referral).treatment_sessions == 1
    # when a release counts assessments as treatment too (a change of national codes)
    monkeypatch.setattr(sql, "TREATMENT_APPOINTMENT_TYPES", {*sql.TREATMENT_APPOINTMENT_TYPES, "01"})
    assert rows(pwp.service, stored=True) != rows(pwp.service, stored=False)
    # then the beat task's next run queues every referral and rebuilds them under it
    assert outcomes_check_definition()
    assert queued(referral)
    assert_current(pwp.service)
    assert ReferralOutcome.objects.get(referral=referral).treatment_sessions == 2
    assert not outcomes_check_definition()


def test_issue_14_changed_the_definition_so_the_release_rebuilds_every_summary():
    # The fingerprint the summaries were built under before issue 14 (test
    # settings); the summaries now hold the last treatment date too, so the
    # beat task's first run after the release queues and rebuilds every one.
    from reports.outcome_summary import definition_fingerprint, refresh_statement

    before_issue_14 = "86f424026e9ce646343d154d5fc1813dce9706b2020c4b18fe6a54756145e5c1"
    assert definition_fingerprint() != before_issue_14
    assert "last_treatment_on" in refresh_statement()[0]


def test_a_new_primary_problem_requeues_the_outcome_and_the_report_follows_it(pwp):
    """Decision 023: recording a primary presenting problem changes the referral's
    problem descriptor in the same transaction, which requeues its outcome
    summary, so the stored report judges it on the new primary's ADSM."""
    from patients.codes import PresentingProblemType, ProblemDescriptor
    from patients.services import presenting_problem_record

    referral = referral_for(pwp, problem_descriptor=ProblemDescriptor.GAD)
    log(pwp, referral, days_ago=40)
    log(pwp, referral, days_ago=20)
    outcomes_refresh_all()
    assert not queued(referral)
    referral.refresh_from_db()
    presenting_problem_record(
        user=pwp,
        referral=referral,
        version=referral.version,
        kind=PresentingProblemType.PRIMARY,
        code=ProblemDescriptor.SOCIAL_PHOBIA,
        recorded_on=timezone.localdate() - timedelta(days=10),
    )
    assert queued(referral)
    assert_current(pwp.service)
