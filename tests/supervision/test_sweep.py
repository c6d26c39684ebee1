"""The flag sweep (DOMAIN.md "Supervision") at every boundary."""

import threading
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.db import connection
from django.utils import timezone

from stepped_care.services import step_change_propose
from supervision.models import Flag, Notification
from supervision.services import case_review_record, flag_request
from supervision.sweep import sweep

from .conftest import RISK, log, open_case

LONDON = ZoneInfo("Europe/London")


def reasons(referral):
    return set(Flag.objects.filter(referral=referral, resolved_at__isnull=True).values_list("reason", flat=True))


def at(*args):
    return datetime(*args, tzinfo=LONDON)


@pytest.mark.parametrize(
    ("reviewed", "now", "flagged"),
    [
        # Spring: clocks go forward on 29 March 2026. 28 local days is no flag, 29 is.
        (at(2026, 3, 1, 10, 0), at(2026, 3, 29, 23, 59), False),
        (at(2026, 3, 1, 10, 0), at(2026, 3, 30, 0, 30), True),  # 23:30 UTC on the 29th: UTC dates would say 28
        # Autumn: clocks go back on 25 October 2026.
        (at(2026, 10, 1, 23, 30), at(2026, 10, 29, 23, 59), False),  # reviewed 22:30 UTC on the 1st
        (at(2026, 10, 1, 23, 30), at(2026, 10, 30, 0, 10), True),
        (at(2026, 10, 1, 0, 30), at(2026, 10, 29, 23, 30), False),  # reviewed 23:30 UTC on 30 September
    ],
)
def test_28_days_in_local_days_across_the_clock_changes(team, reviewed, now, flagged):
    pwp, _ = team
    referral = open_case(
        pwp,
        received_on=reviewed.date() - timedelta(days=30),
        opened_at=reviewed - timedelta(days=10),
        last_reviewed_at=reviewed,
    )
    sweep(now=now)
    assert ("overdue_review" in reasons(referral)) is flagged


def test_never_reviewed_counts_from_the_day_it_was_opened(team):
    pwp, _ = team
    opened = timezone.now() - timedelta(days=28)
    referral = open_case(pwp, opened_at=opened)
    sweep()
    assert "overdue_review" not in reasons(referral)
    sweep(now=opened + timedelta(days=29))
    assert "overdue_review" in reasons(referral)


def test_a_second_run_raises_nothing_and_ended_cases_are_resolved(team):
    pwp, _ = team
    referral = open_case(pwp, opened_at=timezone.now() - timedelta(days=40))
    first = sweep()
    assert first.raised["overdue_review"] == 1
    second = sweep()
    assert second.raised_total == 0 and second.resolved == 0
    referral.status, referral.ended_on, referral.end_code = "ended", timezone.localdate(), "46"
    referral.save()
    assert sweep().resolved == 1 and not reasons(referral)


def _flags_analysed_at():
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute("SELECT last_analyze FROM pg_stat_user_tables WHERE relname = 'supervision_flag'")
        return cursor.fetchone()[0]


def test_a_run_that_changes_many_flags_analyses_the_flag_table(team, monkeypatch):
    """The dashboard's plan rests on the flag table's statistics: a bulk change
    (the nightly sweep) samples them at once, a quiet hourly run does not."""
    pwp, _ = team
    open_case(pwp, opened_at=timezone.now() - timedelta(days=40))
    monkeypatch.setattr("supervision.sweep.ANALYZE_AFTER_CHANGES", 2)
    before = _flags_analysed_at()
    sweep()  # one flag raised: below the threshold
    assert _flags_analysed_at() == before
    open_case(pwp, opened_at=timezone.now() - timedelta(days=40))
    open_case(pwp, opened_at=timezone.now() - timedelta(days=40))
    assert sweep(full=True).raised_total == 2
    after = _flags_analysed_at()
    assert after is not None and after != before


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_runs_produce_no_duplicate(team):
    pwp, _ = team
    referrals = [open_case(pwp, opened_at=timezone.now() - timedelta(days=40)) for _ in range(30)]
    barrier = threading.Barrier(2)
    errors = []

    def run():
        try:
            barrier.wait()
            sweep()
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert Flag.objects.filter(reason="overdue_review").count() == len(referrals)


def test_a_review_resolves_the_overdue_flag_and_the_addressed_ones(team):
    pwp, supervisor = team
    referral = open_case(pwp, opened_at=timezone.now() - timedelta(days=40))
    log(pwp, referral, days_ago=2, item9=1, risk=RISK)
    sweep()
    assert reasons(referral) == {"overdue_review", "risk"}
    case_review_record(
        user=supervisor,
        referral=referral,
        decisions=["continue"],
        next_review_on=timezone.localdate() + timedelta(days=14),
    )
    assert reasons(referral) == {"risk"}  # risk needs a risk action
    case_review_record(
        user=supervisor,
        referral=referral,
        decisions=["risk_action"],
        risk_action="Call crisis team",
        risk_action_owner=pwp,
        risk_action_due=timezone.localdate() + timedelta(days=1),
        next_review_on=timezone.localdate() + timedelta(days=7),
    )
    assert reasons(referral) == set()
    assert sweep().raised_total == 0  # the evidence predates the review
    resolved = Flag.objects.get(reason="risk")
    assert resolved.resolved_by_review.decisions == ["risk_action"]


@pytest.mark.parametrize(("item9", "flagged"), [(0, False), (1, True)])
def test_risk_at_its_boundary(team, item9, flagged):
    pwp, _ = team
    referral = open_case(pwp)
    log(pwp, referral, days_ago=1, item9=item9, risk=RISK if item9 else None)
    sweep()
    assert ("risk" in reasons(referral)) is flagged


def test_risk_flag_notifies_the_supervisor_once_after_commit(team, django_capture_on_commit_callbacks):
    pwp, supervisor = team
    referral = open_case(pwp)
    log(pwp, referral, days_ago=1, item9=2, risk=RISK)
    with django_capture_on_commit_callbacks(execute=True):
        sweep()
    with django_capture_on_commit_callbacks(execute=True):
        sweep()
    assert Notification.objects.filter(user=supervisor).count() == 1
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [supervisor.email]
    assert referral.patient.family_name not in mail.outbox[0].body


@pytest.mark.parametrize(("sessions", "flagged"), [(3, False), (4, True)])
def test_no_reliable_improvement_after_4_treatment_sessions(team, sessions, flagged):
    pwp, _ = team
    referral = open_case(pwp)
    for n in range(sessions):
        log(pwp, referral, days_ago=30 - n * 7, phq=15 - n, gad=10)  # falls 1 a week: not reliable
    sweep()
    assert ("no_improvement" in reasons(referral)) is flagged


def test_reliable_improvement_below_caseness_is_not_flagged(team):
    pwp, _ = team
    referral = open_case(pwp)
    for n, (phq, gad) in enumerate([(16, 12), (13, 10), (11, 8), (9, 7)]):  # PHQ-9 fell 7, GAD-7 5
        log(pwp, referral, days_ago=30 - n * 7, phq=phq, gad=gad)
    sweep()
    assert "no_improvement" not in reasons(referral)


@pytest.mark.parametrize(("rise", "flagged"), [(5, False), (6, True)])
def test_reliable_deterioration_at_the_reliable_change(team, rise, flagged):
    pwp, _ = team
    referral = open_case(pwp)
    log(pwp, referral, days_ago=14, phq=10, gad=8)
    log(pwp, referral, days_ago=7, phq=10 + rise, gad=8)
    sweep()
    assert ("deterioration" in reasons(referral)) is flagged


@pytest.mark.parametrize(("pattern", "flagged"), [(["5", "3"], False), (["3", "3"], True), (["3", "3", "5"], False)])
def test_two_dnas_in_a_row(team, pattern, flagged):
    pwp, _ = team
    referral = open_case(pwp)
    for n, attendance in enumerate(pattern):
        log(pwp, referral, days_ago=20 - n * 7, attendance=attendance)
    sweep()
    assert ("dna" in reasons(referral)) is flagged


def test_proposed_step_change_and_awaiting_step_decision(team):
    pwp, supervisor = team
    referral = open_case(pwp)
    awaiting = open_case(pwp, status="assessed")
    step_change_propose(
        user=pwp, referral=referral, kind="step_up", to_step=3, reason="No progress", effective_on=timezone.localdate()
    )
    sweep()
    assert reasons(referral) == {"step_change"} and reasons(awaiting) == {"awaiting_step"}
    case_review_record(
        user=supervisor,
        referral=referral,
        decisions=["step_up"],
        next_review_on=timezone.localdate() + timedelta(days=7),
    )
    referral.refresh_from_db()
    assert referral.current_step == 3 and reasons(referral) == set()


def test_pwp_request_is_a_flag_with_the_question(team):
    pwp, supervisor = team
    referral = open_case(pwp)
    flag_request(user=pwp, referral=referral, question="Should we step up?")
    flag_request(user=pwp, referral=referral, question="Also: risk from partner")
    flag = Flag.objects.get(reason="pwp_request")
    assert "step up" in flag.detail and "partner" in flag.detail
    with pytest.raises(Exception, match="holding the case"):
        flag_request(user=supervisor, referral=referral, question="x")


# Issue 14, item 13: the change criteria read the case's own anxiety measure,
# chosen as the outcome chooses it (the ADSM when paired, else GAD-7).
def _log_with_spin(pwp, referral, rows):
    from tests.factories import log_session
    from tests.reports.factories import items_for

    for n, (phq, gad, spin) in enumerate(rows):
        extra = {"SPIN": items_for("SPIN", spin)} if spin is not None else None
        log_session(pwp, referral, days_ago=40 - n * 7, phq=phq, gad=gad, extra=extra)


def test_no_improvement_reads_the_paired_adsm_not_gad7(team):
    pwp, _ = team
    referral = open_case(pwp, problem_descriptor="F401")  # social phobia: SPIN
    # SPIN fell 25 to below its cut-off of 19; GAD-7 flat at caseness, PHQ-9 flat below it
    _log_with_spin(pwp, referral, [(9, 12, 40), (9, 12, 30), (9, 12, 20), (9, 12, 15)])
    sweep()
    assert "no_improvement" not in reasons(referral)


def test_reliable_deterioration_reads_the_paired_adsm_not_gad7(team):
    pwp, _ = team
    referral = open_case(pwp, problem_descriptor="F401")
    _log_with_spin(pwp, referral, [(9, 12, 20), (9, 12, 35)])  # SPIN rose 15 (reliable change 10)
    sweep()
    assert "deterioration" in reasons(referral)


def test_a_single_adsm_score_leaves_gad7_as_the_anxiety_measure(team):
    pwp, _ = team
    referral = open_case(pwp, problem_descriptor="F401")
    _log_with_spin(pwp, referral, [(9, 8, 40), (9, 14, None)])  # one SPIN: GAD-7 rose 6
    sweep()
    assert "deterioration" in reasons(referral)
    improved = open_case(pwp, problem_descriptor="F401")
    _log_with_spin(pwp, improved, [(9, 12, 40), (9, 12, None), (9, 12, None), (9, 12, None)])
    sweep()
    assert "no_improvement" in reasons(improved)  # GAD-7 flat, at caseness
