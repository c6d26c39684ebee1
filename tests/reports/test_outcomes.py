"""The national outcome definitions (DOMAIN.md "Outcomes") at every boundary."""

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reports.outcomes import (
    Contact,
    ScorePoint,
    count_treatment_appointments,
    rates,
    referral_outcome,
    within_weeks,
)

D0 = date(2026, 1, 5)


def course(n_treatment=3, extra=()):
    contacts = [Contact(D0, "01", "5")]
    contacts += [Contact(D0 + timedelta(days=7 * (k + 1)), "02", "5") for k in range(n_treatment)]
    return contacts + list(extra)


def pts(instrument, first, last):
    return [ScorePoint(D0, instrument, first), ScorePoint(D0 + timedelta(days=60), instrument, last)]


def outcome(phq=(15, 5), anx=(12, 4), descriptor="F32", contacts=None, extra_points=()):
    points = pts("PHQ9", *phq) + pts("GAD7", *anx) + list(extra_points)
    return referral_outcome(problem_descriptor=descriptor, contacts=contacts or course(), points=points)


@pytest.mark.parametrize(
    ("contacts", "count"),
    [
        ([Contact(D0, "02", "5"), Contact(D0, "02", "5")], 2),
        ([Contact(D0, "02", "5")], 1),
        ([Contact(D0, "02", "6"), Contact(D0, "03", "5"), Contact(D0, "05", "5")], 3),  # late but seen counts
        ([Contact(D0, "02", "3"), Contact(D0, "02", "7"), Contact(D0, "02", "2"), Contact(D0, "02", "4")], 0),
        ([Contact(D0, "01", "5"), Contact(D0, "04", "5"), Contact(D0, "06", "5")], 0),
    ],
)
def test_treatment_appointments(contacts, count):
    assert count_treatment_appointments(contacts) == count


def test_exactly_two_treatment_sessions_finish_a_course():
    assert outcome(contacts=course(2)).finished_treatment
    assert not outcome(contacts=course(1)).finished_treatment
    assert not outcome(contacts=course(1)).recovered


def test_dnas_do_not_count():
    contacts = course(1, extra=[Contact(D0 + timedelta(days=30), "02", "3")])
    assert not outcome(contacts=contacts).finished_treatment


@pytest.mark.parametrize(
    ("phq", "anx", "caseness", "recovered"),
    [
        ((10, 9), (5, 5), True, True),  # PHQ-9 exactly at caseness at start, below on both at the end
        ((9, 2), (7, 2), False, False),  # neither at caseness at start: cannot recover
        ((9, 2), (8, 7), True, True),  # GAD-7 exactly at caseness at start
        ((15, 10), (12, 3), True, False),  # PHQ-9 ends exactly at caseness: not recovered
        ((15, 9), (12, 8), True, False),  # GAD-7 ends exactly at caseness
        ((15, 9), (12, 7), True, True),
    ],
)
def test_caseness_and_recovery_boundaries(phq, anx, caseness, recovered):
    result = outcome(phq=phq, anx=anx)
    assert result.at_caseness_start is caseness
    assert result.recovered is recovered


@pytest.mark.parametrize(
    ("phq", "anx", "improved", "deteriorated"),
    [
        ((15, 9), (10, 10), True, False),  # PHQ-9 fell exactly 6 (its reliable change)
        ((15, 10), (10, 10), False, False),  # fell 5: not reliable
        ((15, 15), (10, 6), True, False),  # GAD-7 fell exactly 4
        ((15, 15), (10, 7), False, False),
        ((9, 15), (10, 10), False, True),  # rose exactly 6
        ((15, 9), (6, 10), False, False),  # one fell reliably, the other rose reliably: neither
        ((10, 16), (6, 10), False, True),
    ],
)
def test_reliable_change_boundaries(phq, anx, improved, deteriorated):
    result = outcome(phq=phq, anx=anx)
    assert result.reliable_improvement is improved
    assert result.reliable_deterioration is deteriorated


def test_reliable_recovery_needs_both():
    assert outcome(phq=(15, 9), anx=(12, 7)).reliable_recovery  # recovered, fell 6
    assert not outcome(phq=(11, 9), anx=(9, 7)).reliable_recovery  # recovered but not reliably improved
    assert outcome(phq=(11, 9), anx=(9, 7)).recovered


def test_adsm_is_used_when_paired_and_gad7_is_the_back_up():
    # Panic (F410): PDSS caseness >= 8, reliable change 5.
    with_adsm = outcome(phq=(6, 4), anx=(6, 6), descriptor="F410", extra_points=pts("PDSS", 14, 6))
    assert with_adsm.anxiety_measure == "PDSS"
    assert with_adsm.at_caseness_start and with_adsm.recovered and with_adsm.reliable_improvement
    one_pdss = [ScorePoint(D0, "PDSS", 14)]
    backup = outcome(phq=(6, 4), anx=(6, 6), descriptor="F410", extra_points=one_pdss)
    assert backup.anxiety_measure == "GAD7" and not backup.at_caseness_start


def test_no_paired_scores_means_no_outcome_flags():
    result = referral_outcome(problem_descriptor="F32", contacts=course(3), points=[ScorePoint(D0, "PHQ9", 20)])
    assert result.finished_treatment and not result.has_paired_scores
    assert not (result.recovered or result.reliable_improvement or result.at_caseness_start)


def test_rates_use_the_national_denominators():
    outcomes = [
        outcome(phq=(15, 5), anx=(12, 4)),  # recovered, reliably improved
        outcome(phq=(15, 12), anx=(12, 10)),  # not recovered
        outcome(phq=(5, 3), anx=(5, 3)),  # not at caseness: out of the recovery denominator
        outcome(contacts=course(1)),  # not finished: out of everything
    ]
    r = rates(outcomes)
    assert (r.finished, r.not_caseness_at_start, r.recovered) == (3, 1, 1)
    assert r.recovery_rate == 0.5 and r.reliable_recovery_rate == 0.5
    assert r.reliable_improvement_rate == pytest.approx(1 / 3)
    assert rates([]).recovery_rate is None


@pytest.mark.parametrize(
    ("days", "six", "eighteen"), [(42, True, True), (43, False, True), (126, False, True), (127, False, False)]
)
def test_waits(days, six, eighteen):
    assert within_weeks(D0, D0 + timedelta(days=days), 6) is six
    assert within_weeks(D0, D0 + timedelta(days=days), 18) is eighteen
    assert not within_weeks(D0, None, 18)


scores = st.tuples(st.integers(0, 27), st.integers(0, 27))
anx_scores = st.tuples(st.integers(0, 21), st.integers(0, 21))


@given(scores, anx_scores, st.integers(0, 5))
def test_properties(phq, anx, n):
    result = outcome(phq=phq, anx=anx, contacts=course(n))
    assert not (result.reliable_improvement and result.reliable_deterioration)
    if result.reliable_recovery:
        assert result.recovered and result.reliable_improvement
    if result.recovered:
        assert result.at_caseness_start and result.finished_treatment
    if n < 2:
        assert not any([result.recovered, result.reliable_improvement, result.reliable_deterioration])


# Issue 14, item 12: a finished referral leaves the recovery denominator only when
# its first scores show it is not at caseness (NHS England's NotCaseness flag).
def test_no_first_scores_is_not_not_at_caseness():
    result = referral_outcome(problem_descriptor="F32", contacts=course(), points=[])
    assert result.finished_treatment and not result.not_caseness_start and not result.recovered
    assert (rates([result]).not_caseness_at_start, rates([result]).recovery_rate) == (0, 0.0)


def test_first_scores_at_caseness_without_pairs_stay_in_the_denominator():
    points = [ScorePoint(D0, "PHQ9", 15), ScorePoint(D0, "GAD7", 12)]
    result = referral_outcome(problem_descriptor="F32", contacts=course(), points=points)
    assert not result.has_paired_scores and not result.not_caseness_start
    spec = rates([result, outcome()])
    assert (spec.finished, spec.not_caseness_at_start, spec.recovered) == (2, 0, 1)
    assert spec.recovery_rate == 0.5 and spec.finished_without_paired_scores == 1


@pytest.mark.parametrize(
    ("points", "out"),
    [
        ([ScorePoint(D0, "PHQ9", 9), ScorePoint(D0, "GAD7", 7)], True),  # both below: out, even unpaired
        ([ScorePoint(D0, "PHQ9", 9)], False),  # no first anxiety score
        ([ScorePoint(D0, "GAD7", 7)], False),  # no first PHQ-9
        ([ScorePoint(D0, "PHQ9", 10), ScorePoint(D0, "GAD7", 7)], False),
        ([ScorePoint(D0, "PHQ9", 9), ScorePoint(D0, "GAD7", 8)], False),
    ],
)
def test_not_at_caseness_needs_both_first_scores_below(points, out):
    result = referral_outcome(problem_descriptor="F32", contacts=course(), points=points)
    assert result.not_caseness_start is out


def test_not_at_caseness_needs_a_finished_course():
    points = [ScorePoint(D0, "PHQ9", 5), ScorePoint(D0, "GAD7", 3)]
    result = referral_outcome(problem_descriptor="F32", contacts=course(n_treatment=1), points=points)
    assert not result.not_caseness_start


# Item 14: no change, the ended split, open referrals without contact.
@pytest.mark.parametrize(
    ("phq", "anx", "no_change"),
    [((15, 10), (12, 9), True), ((15, 9), (12, 9), False), ((10, 16), (8, 8), False), ((15, 15), (12, 12), True)],
)
def test_no_change_is_neither_reliable_improvement_nor_deterioration(phq, anx, no_change):
    assert outcome(phq=phq, anx=anx).no_change is no_change


def test_no_change_needs_paired_scores():
    result = referral_outcome(problem_descriptor="F32", contacts=course(), points=[ScorePoint(D0, "PHQ9", 15)])
    assert not result.no_change


def test_the_ended_split():
    from reports.outcomes import ended_split

    assert [ended_split(n) for n in (0, 1, 2, 5)] == ["before_treatment", "treated_once", "finished", "finished"]


@pytest.mark.parametrize(
    ("ended_on", "dates", "expected"),
    [
        (None, [date(2026, 3, 31)], True),  # 91 days before 30 June
        (None, [date(2026, 4, 1)], False),  # exactly 90
        (None, [], False),  # never treated: no last treatment date
        (None, [date(2026, 1, 21), date(2026, 7, 10)], True),  # as of the period's end
        (date(2026, 6, 30), [date(2026, 1, 21)], False),  # ended on the last day: not open
        (date(2026, 7, 1), [date(2026, 1, 21)], True),  # ended after the period: open at its end
    ],
)
def test_open_without_contact_for_over_90_days(ended_on, dates, expected):
    from reports.outcomes import open_without_contact

    assert open_without_contact(ended_on=ended_on, treatment_dates=dates, period_end=date(2026, 6, 30)) is expected


# Item 11: the waiting-time standards over the courses finished in the period.
def test_waiting_times_over_finished_courses():
    from reports.outcomes import waiting_times

    received = date(2026, 1, 1)
    waits = waiting_times(
        [
            (received, received + timedelta(days=42)),
            (received, received + timedelta(days=43)),
            (received, received + timedelta(days=126)),
            (received, received + timedelta(days=127)),
        ]
    )
    assert (waits.finished, waits.within_6_weeks, waits.within_18_weeks) == (4, 1, 3)
    assert (waits.within_6_weeks_rate, waits.within_18_weeks_rate) == (0.25, 0.75)
    assert waiting_times([]).within_6_weeks_rate is None


def test_the_anxiety_measure_rule_is_one_rule():
    from sessions.measures import anxiety_measure_used

    assert anxiety_measure_used("F401", 2) == "SPIN"
    assert anxiety_measure_used("F401", 1) == "GAD7"
    assert anxiety_measure_used("F32", 5) == "GAD7"
    assert anxiety_measure_used("", 0) == "GAD7"
