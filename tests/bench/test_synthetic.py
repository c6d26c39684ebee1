"""The synthetic national year (bench/synthetic.py), generated small and read
back through the real code: NHS numbers through the validator, measures
through the scoring rules, outcomes through the pure functions and the report
SQL, the sweep over it."""

from collections import Counter, defaultdict
from datetime import date, timedelta

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.models import F
from django.utils import timezone

from accounts.models import Role, Service, SupervisionAssignment, User
from bench import synthetic
from patients import nhs_number
from patients.models import Patient, Referral, validate_nhs_number
from reports import figures
from reports.outcomes import Contact, ScorePoint, rates, referral_outcome
from reports.selectors import ReportScope
from reports.sql import outcome_rows_sql
from sessions import measures
from sessions.codes import ATTENDED, TREATMENT_APPOINTMENT_TYPES
from sessions.models import MeasureScore, RiskAssessment, TherapySession
from supervision.models import CaseReview, Flag
from supervision.sweep import sweep

TODAY = date(2026, 3, 1)
OPEN_ALLOCATED = ("assessed", "waiting", "in_treatment")


@pytest.fixture
def year(db):
    return synthetic.generate(referrals=2000, seed=7, today=TODAY, heavy_caseload=60)


def test_counts_and_ratios(year):
    assert Referral.objects.count() == Patient.objects.count() == 2000
    assert year.sessions == TherapySession.objects.count()
    assert 4.0 <= year.sessions / 2000 <= 6.0  # about 5 sessions per referral
    assert year.measures == MeasureScore.objects.count()
    service = Service.objects.get()
    practitioners = User.objects.filter(role__in=[Role.PWP, Role.HIT]).count()
    supervisors = User.objects.filter(role=Role.SUPERVISOR).count()
    assert 2000 / practitioners == pytest.approx(synthetic.REFERRALS_PER_PRACTITIONER, rel=0.2)
    assert supervisors == -(-practitioners // synthetic.PRACTITIONERS_PER_SUPERVISOR)
    assert service.teams.count() == synthetic.TEAMS_PER_SERVICE
    # every practitioner has a current case-management supervisor
    assert SupervisionAssignment.objects.current().filter(kind="case_management").count() == practitioners


def test_presenting_problems_are_generated_in_step_with_the_descriptor(year):
    """IDS603 (decision 023): every referral's primary dated its assessment (or
    receipt), a fifth of the assessed with a secondary, and problem_descriptor
    the latest primary."""
    from patients.codes import PresentingProblemType
    from patients.models import PresentingProblem

    assert not Referral.objects.problem_descriptor_disagreeing().exists()
    primaries = PresentingProblem.objects.filter(kind=PresentingProblemType.PRIMARY)
    assert primaries.count() == Referral.objects.exclude(problem_descriptor="").count()
    assert not primaries.exclude(recorded_on__gte=F("referral__received_on")).exists()
    assessed = Referral.objects.filter(assessed_on__isnull=False)
    assert not primaries.filter(referral__in=assessed).exclude(recorded_on=F("referral__assessed_on")).exists()
    secondaries = PresentingProblem.objects.filter(kind=PresentingProblemType.SECONDARY).count()
    assert 0.12 < secondaries / assessed.count() < 0.28


def test_nhs_numbers_are_valid_and_distinct(year):
    numbers = list(Patient.objects.values_list("nhs_number", flat=True))
    assert len(set(numbers)) == len(numbers)
    for number in numbers:
        assert nhs_number.is_valid(number), number
        validate_nhs_number(number)  # raises ValidationError for an invalid one


def test_nhs_numbers_stay_distinct_past_the_first_groups(db):
    # The SQL mapping from referral number to NHS number, checked the plain way
    # far into the range the national year uses (2,000,000 numbers).
    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT n, '99' || lpad(g::text, 6, '0') || d || ((11 - (s8 + 2 * d) %% 11) %% 11)
               FROM (SELECT n, g, s8, j + (j >= ((6 * (1 - s8)) %% 11 + 11) %% 11)::int AS d
                     FROM (SELECT n, g, j, 171 + (g / 100000) %% 10 * 8 + (g / 10000) %% 10 * 7
                                  + (g / 1000) %% 10 * 6 + (g / 100) %% 10 * 5 + (g / 10) %% 10 * 4 + g %% 10 * 3 AS s8
                           FROM (SELECT n, ((n - 1) / 9 * 7919) %% 1000000 AS g, (n - 1) %% 9 AS j
                                 FROM generate_series(1999001, 2000000) n) a) b) c""",
            [],
        )
        rows = cursor.fetchall()
    assert len({number for _, number in rows}) == len(rows)
    assert all(nhs_number.is_valid(number) for _, number in rows)


def test_measures_are_scored_as_the_service_scores_them(year):
    for instrument, items, total, band, caseness, complete in MeasureScore.objects.values_list(
        "instrument", "items", "total", "band", "caseness", "complete"
    ):
        result = measures.score(instrument, items)
        assert (float(total), band, caseness, complete) == (result.total, result.band or "", result.caseness, True)
    # every attended session has both measures, no other session has any
    attended = TherapySession.objects.filter(attendance__in=ATTENDED).count()
    assert MeasureScore.objects.filter(instrument="PHQ9").count() == attended
    assert MeasureScore.objects.filter(instrument="GAD7").count() == attended


def test_item9_above_zero_has_a_risk_assessment(year):
    risky = MeasureScore.objects.filter(instrument="PHQ9", items__8__gt=0)
    assert 0 < risky.count() < MeasureScore.objects.filter(instrument="PHQ9").count() * 0.1
    assessed_sessions = set(RiskAssessment.objects.values_list("session_id", flat=True))
    assert {m.session_id for m in risky} <= assessed_sessions
    assert all(TherapySession.objects.filter(pk__in=assessed_sessions).values_list("risk_recorded", flat=True))


def test_state_mix_is_plausible(year):
    statuses = Counter(Referral.objects.values_list("status", flat=True))
    assert set(statuses) == {"received", "assessed", "waiting", "in_treatment", "ended"}
    assert 0.5 <= statuses["ended"] / 2000 <= 0.85
    assert statuses["in_treatment"] > statuses["waiting"] > statuses["assessed"]
    end_codes = Counter(Referral.objects.filter(status="ended").values_list("end_code", flat=True))
    assert end_codes.most_common(1)[0][0] == "46"  # completed treatment is the commonest ending
    assert end_codes["50"] > 0
    # the heavy caseload of the first PWP of the first service
    assert (
        Referral.objects.filter(assigned_practitioner__username="syn-1-pwp-0", status__in=OPEN_ALLOCATED).count() == 60
    )


def test_derived_referral_dates_agree_with_the_sessions(year):
    days = defaultdict(list)
    for referral_id, started_at, kind, attendance in TherapySession.objects.values_list(
        "referral_id", "started_at", "appointment_type", "attendance"
    ):
        if attendance in ATTENDED:
            days[referral_id].append((timezone.localtime(started_at).date(), kind))
        assert timezone.localtime(started_at).date() < TODAY
    for referral in Referral.objects.all():
        seen = sorted(days[referral.pk])
        treatment = [d for d, kind in seen if kind in TREATMENT_APPOINTMENT_TYPES]
        assert referral.first_treatment_on == (treatment[0] if treatment else None)
        assert referral.second_treatment_on == (treatment[1] if len(treatment) > 1 else None)
        assert referral.last_contact_on == (seen[-1][0] if seen else None)
        assert referral.assessed_on == (seen[0][0] if seen else None)
        if referral.ended_on:
            assert referral.received_on <= referral.ended_on <= TODAY
            assert not seen or seen[-1][0] <= referral.ended_on


def test_outcomes_through_the_pure_functions_and_the_report_sql(year):
    service = Service.objects.get()
    sql, params = outcome_rows_sql(service_id=service.pk, date_from=TODAY - timedelta(days=365), date_to=TODAY)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        names = [c.name for c in cursor.description]
        rows = {row[0]: dict(zip(names, row, strict=True)) for row in cursor.fetchall()}
    assert len(rows) == 2000
    contacts, points = defaultdict(list), defaultdict(list)
    for s in TherapySession.objects.all():
        contacts[s.referral_id].append(Contact(s.started_at, s.appointment_type, s.attendance))
    for m in MeasureScore.objects.all():
        points[m.referral_id].append(ScorePoint(m.taken_at, m.instrument, float(m.total)))
    outcomes = []
    for referral in Referral.objects.filter(status="ended"):
        outcome = referral_outcome(
            problem_descriptor=referral.problem_descriptor,
            contacts=contacts[referral.pk],
            points=points[referral.pk],
        )
        row = rows[str(referral.pk)]
        assert row["finished_treatment"] is outcome.finished_treatment
        assert row["recovered"] is outcome.recovered
        assert row["reliable_improvement"] is outcome.reliable_improvement
        assert row["reliable_deterioration"] is outcome.reliable_deterioration
        outcomes.append(outcome)
    national = rates(outcomes)
    # most improve, some stay flat, some deteriorate: rates near the national ones
    assert 0.35 <= national.recovery_rate <= 0.7
    assert 0.5 <= national.reliable_improvement_rate <= 0.85
    assert 0 < sum(o.reliable_deterioration for o in outcomes) < 0.2 * len(outcomes)
    # and the report's figures run on it
    report = figures.service_report(
        ReportScope(service=service, team=None, date_from=TODAY - timedelta(days=365), date_to=TODAY, label="year"),
        now=timezone.make_aware(timezone.datetime(2026, 3, 1, 9)),
    )
    assert report is not None


def test_about_a_tenth_of_open_cases_are_overdue_and_the_sweep_flags_them(year):
    now = timezone.make_aware(timezone.datetime(TODAY.year, TODAY.month, TODAY.day, 8))
    open_cases = Referral.objects.filter(status__in=OPEN_ALLOCATED)
    overdue = [
        r for r in open_cases if (TODAY - timezone.localtime(r.last_reviewed_at or r.opened_at).date()).days > 28
    ]
    assert 0.04 <= len(overdue) / open_cases.count() <= 0.2
    # reviews stand behind every last review date
    assert CaseReview.objects.count() == Referral.objects.filter(last_reviewed_at__isnull=False).count()
    assert Flag.objects.filter(resolved_at__isnull=True).count() == 0  # history only: the sweep raises the rest
    first = sweep(now=now, full=True)  # the bulk load queues nothing: the full sweep follows it
    assert first.raised["overdue_review"] == len(overdue)
    assert first.raised["risk"] > 0
    assert first.raised["dna"] > 0  # the cases whose last two appointments were missed
    second = sweep(now=now)
    assert second.raised_total == 0 and second.resolved == 0


def _schema():
    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT conrelid::regclass::text, conname, contype, convalidated FROM pg_constraint
               WHERE conrelid = ANY(%s::regclass[]) ORDER BY 1, 2""",
            [list(synthetic.LOADED_TABLES)],
        )
        constraints = cursor.fetchall()
        cursor.execute(
            "SELECT tablename, indexname, indexdef FROM pg_indexes WHERE tablename = ANY(%s) ORDER BY 1, 2",
            [list(synthetic.LOADED_TABLES)],
        )
        return constraints, cursor.fetchall()


def test_dropped_indexes_and_constraints_come_back_validated(db):
    before = _schema()
    result = synthetic.generate(referrals=300, today=TODAY, drop_indexes=True)
    assert result.referrals == 300 and "drop indexes" in result.steps
    assert _schema() == before
    assert all(validated for *_, validated in before[0])


def test_command(db, capsys):
    call_command("generate_synthetic", "--referrals", "200", "--today", "2026-03-01")
    assert "200 referrals" in capsys.readouterr().out
    with pytest.raises(CommandError, match="already loaded"):
        call_command("generate_synthetic", "--referrals", "200")
    with pytest.raises(CommandError, match="at least 1"):
        call_command("generate_synthetic", "--referrals", "0")
