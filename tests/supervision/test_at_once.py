"""The at-once check a write runs in its own transaction (supervision.sweep.
flags_raise_now, issue 21: one statement, AT_ONCE_SQL) raises the same flags,
with the same evidence, as the sweep's criteria run one after another
(CRITERIA), case by case: risk, deterioration, a proposed step change and not
on track, and nothing on a case that meets none."""

from django.db import connection
from django.utils import timezone

from feedback.models import ExpectedCourse, ExpectedCoursePoint
from stepped_care.services import step_change_propose
from supervision import sweep
from supervision.models import Flag

from .conftest import RISK, log, open_case


def _course(service):
    course = ExpectedCourse.objects.create(
        service=service, version=1, method="test", percentile=0.75, min_sample=30, max_session=12, courses=100
    )
    for code, band, points in (
        ("PHQ9", "moderately severe", [(16, 17), (11, 12), (9, 11)]),
        ("GAD7", "mild", [(7, 8), (5, 6), (4, 5)]),
    ):
        for k, (expected, upper) in enumerate(points, start=1):
            ExpectedCoursePoint.objects.create(
                course=course, instrument=code, band=band, session_number=k, n=40, expected=expected, upper=upper
            )


def _flags(referral_ids) -> set:
    return set(Flag.objects.filter(referral_id__in=referral_ids).values_list("referral_id", "reason", "detail"))


def _one_by_one(referral_id) -> None:
    params = sweep._params(timezone.now(), [referral_id])
    with connection.cursor() as cursor:
        for reason in sweep.AT_ONCE_REASONS:
            cursor.execute(sweep.CRITERIA[reason].format(only=sweep._ONLY), params)


def test_one_statement_raises_what_the_criteria_raise_one_by_one(team):
    # given cases that meet each at-once criterion, two at once, and none
    pwp, _ = team
    _course(pwp.service)
    stalled, improving, worse, risky, proposed = (open_case(pwp) for _ in range(5))
    for referral, (first, second) in ((stalled, (16, 13)), (improving, (16, 8)), (proposed, (16, 15))):
        log(pwp, referral, days_ago=14, phq=first, gad=6)
        log(pwp, referral, days_ago=7, phq=second, gad=9 if referral is stalled else 6)
    log(pwp, worse, days_ago=14, phq=16, gad=6)
    log(pwp, worse, days_ago=7, phq=24, gad=12)  # reliable deterioration and above both boundaries
    log(pwp, risky, days_ago=7, phq=12, gad=6, item9=1, risk=RISK)
    step_change_propose(
        user=pwp, referral=proposed, kind="step_up", to_step=3, reason="No progress", effective_on=timezone.localdate()
    )
    cases = [stalled.pk, improving.pk, worse.pk, risky.pk, proposed.pk]

    # when each case is checked by the one statement, then (flags cleared) by the criteria one by one
    Flag.objects.all().delete()
    for referral_id in cases:
        sweep.flags_raise_now(referral_id)
    at_once = _flags(cases)
    Flag.objects.all().delete()
    for referral_id in cases:
        _one_by_one(referral_id)
    one_by_one = _flags(cases)

    # then the flags and their evidence are the same, and each criterion was met somewhere
    assert at_once == one_by_one
    reasons = {(referral_id, reason) for referral_id, reason, _ in at_once}
    assert (stalled.pk, "not_on_track") in reasons and (worse.pk, "deterioration") in reasons
    assert (worse.pk, "not_on_track") in reasons and (risky.pk, "risk") in reasons
    assert (proposed.pk, "step_change") in reasons
    assert not any(referral_id == improving.pk for referral_id, _ in reasons)
    # the stalled case is off track on PHQ-9 by 1 and on GAD-7 by 3: the wider margin is the evidence
    details = {referral_id: detail for referral_id, reason, detail in at_once if reason == "not_on_track"}
    assert details[stalled.pk].startswith("GAD7 9 at session 2")
