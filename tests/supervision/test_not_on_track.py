"""Not on track (issue 21): a session whose score lies above the service's expected
course's upper boundary for its measure, starting band and session number flags
the case in the follow-up of that session's save (supervision.flag_referral,
through the outbox), with the evidence in words; within the boundary, or with no
boundary estimated, nothing is flagged."""

import pytest

from feedback.models import ExpectedCourse, ExpectedCoursePoint
from supervision.models import REASON_PRIORITY, Flag, FlagReason
from supervision.sweep import sweep
from tests.factories import log_session

from .conftest import log, open_case


def _course(service, *, upper=12.0):
    course = ExpectedCourse.objects.create(
        service=service, version=1, method="test", percentile=0.75, min_sample=30, max_session=12, courses=100
    )
    for k, (expected, top) in enumerate([(16, 17), (11, upper), (9, 11)], start=1):
        ExpectedCoursePoint.objects.create(
            course=course,
            instrument="PHQ9",
            band="moderately severe",
            session_number=k,
            n=40,
            expected=expected,
            upper=top,
        )
    return course


def _flags(referral):
    return list(Flag.objects.filter(referral=referral, reason=FlagReason.NOT_ON_TRACK, resolved_at__isnull=True))


@pytest.mark.parametrize(("second", "flagged"), [(13, True), (12, False), (8, False)])
def test_a_session_above_the_upper_boundary_flags_the_case(team, second, flagged):
    pwp, _ = team
    _course(pwp.service, upper=12)
    referral = open_case(pwp)
    log(pwp, referral, days_ago=14, phq=16, gad=6)
    log(pwp, referral, days_ago=7, phq=second, gad=6)
    sweep(referral_ids=[referral.pk])  # what the session's follow-up runs
    flags = _flags(referral)
    assert bool(flags) is flagged
    if flagged:
        assert (
            flags[0].detail
            == "PHQ9 13 at session 2, above the expected course's upper boundary of 12.0 (expected 11.0)"
        )


def test_no_boundary_means_no_flag(team):
    pwp, _ = team
    referral = open_case(pwp)
    log(pwp, referral, days_ago=14, phq=16, gad=6)
    log(pwp, referral, days_ago=7, phq=24, gad=6)
    sweep(referral_ids=[referral.pk])
    assert _flags(referral) == []


def test_the_starting_score_is_never_off_track(team):
    pwp, _ = team
    _course(pwp.service)
    referral = open_case(pwp)
    log(pwp, referral, days_ago=7, phq=19, gad=6)  # above session 1's 75th percentile, but it is the start
    sweep(referral_ids=[referral.pk])
    assert _flags(referral) == []


def test_not_on_track_ranks_after_risk_and_before_the_overdue_review():
    assert REASON_PRIORITY[FlagReason.RISK] < REASON_PRIORITY[FlagReason.NOT_ON_TRACK]
    assert REASON_PRIORITY[FlagReason.NOT_ON_TRACK] < REASON_PRIORITY[FlagReason.OVERDUE_REVIEW]


# Issue 21 item 2 "on PHQ-9 or the case's anxiety measure": the measure the outcome
# judges the case on (sessions.measures.anxiety_measure_used: the descriptor's ADSM
# when it has paired scores, GAD-7 otherwise), never any other measure with scores.
def _anxiety_course(service, *, gad_start, spin_start):
    from feedback.course import starting_band

    course = ExpectedCourse.objects.create(
        service=service, version=1, method="test", percentile=0.75, min_sample=30, max_session=12, courses=100
    )
    for code, start in (("GAD7", gad_start), ("SPIN", spin_start)):
        for k in (1, 2):
            ExpectedCoursePoint.objects.create(
                course=course,
                instrument=code,
                band=starting_band(code, start),
                session_number=k,
                n=40,
                expected=start - 2,
                upper=start - 1,
            )
    return course


def _spin(total):
    items = [0] * 17
    for i in range(17):
        items[i] = min(4, total - sum(items))
    return items


@pytest.mark.parametrize(
    ("descriptor", "spin", "flagged", "evidence"),
    [
        # social phobia with paired SPIN: judged on SPIN; GAD-7 above its boundary is not its measure
        ("F401", (30, 26), False, None),
        ("F401", (30, 30), True, "SPIN 30 at session 2"),
        # social phobia with one SPIN only: not paired, so GAD-7 is its measure
        ("F401", (30, None), True, "GAD7 12 at session 2"),
        # depression: GAD-7 is its anxiety measure
        ("F32", (None, None), True, "GAD7 12 at session 2"),
    ],
)
def test_only_phq9_and_the_cases_own_anxiety_measure_are_checked(team, descriptor, spin, flagged, evidence):
    pwp, _ = team
    _anxiety_course(pwp.service, gad_start=12, spin_start=30)
    referral = open_case(pwp, problem_descriptor=descriptor)
    for days_ago, spin_total in zip((14, 7), spin, strict=True):
        extra = {"SPIN": _spin(spin_total)} if spin_total is not None else None
        log_session(pwp, referral, days_ago=days_ago, phq=10, gad=12, extra=extra)
    sweep(referral_ids=[referral.pk])
    flags = _flags(referral)
    assert bool(flags) is flagged
    if flagged:
        assert flags[0].detail.startswith(evidence)
