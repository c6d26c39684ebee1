"""Not on track (issue 21): a session whose score lies above the service's expected
course's upper boundary for its measure, starting band and session number flags
the case in the follow-up of that session's save (supervision.flag_referral,
through the outbox), with the evidence in words; within the boundary, or with no
boundary estimated, nothing is flagged."""

import pytest

from feedback.models import ExpectedCourse, ExpectedCoursePoint
from supervision.models import REASON_PRIORITY, Flag, FlagReason
from supervision.sweep import sweep

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
