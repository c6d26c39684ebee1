"""The nightly estimation in SQL (feedback/sql.py, services.py) against the
specification (feedback/course.py), band by band and session by session, on
generated courses; versions, and what the chart is given."""

import random
from datetime import date

import pytest
from django.utils import timezone

from feedback import course
from feedback.models import ExpectedCourse
from feedback.services import expected_course_estimate, expected_series
from feedback.tasks import estimate_expected_courses
from reports.outcomes import finished_treatment
from tests.factories import ServiceFactory
from tests.reports.factories import Case, Visit, build, random_cases

pytestmark = pytest.mark.django_db


def _pure(referrals, **options):
    courses = []
    for referral in referrals:
        if referral.ended_on is None:
            continue
        sessions = list(referral.sessions.all())
        from reports.outcomes import Contact

        if not finished_treatment([Contact(s.started_at, s.appointment_type, s.attendance) for s in sessions]):
            continue
        by_code = {}
        for m in referral.measure_scores.filter(complete=True, total__isnull=False).order_by("taken_at", "pk"):
            by_code.setdefault(m.instrument, []).append(float(m.total))
        courses.extend(by_code.items())
    return course.estimate(courses, **options)


@pytest.mark.parametrize("seed", [5, 17])
def test_sql_estimation_equals_the_specification(seed):
    service = ServiceFactory()
    referrals = build(
        service=service, cases=random_cases(random.Random(seed), n=300, period=(date(2025, 4, 1), date(2026, 3, 31)))
    )
    estimated = expected_course_estimate(service=service, percentile=0.8, min_sample=3)
    stored = {(p.instrument, p.band, p.session_number): p for p in estimated.points.all()}
    expected = _pure(referrals, percentile=0.8, min_sample=3)
    assert set(stored) == set(expected) and len(stored) > 5
    for key, point in expected.items():
        assert stored[key].n == point.n, key
        assert stored[key].expected == pytest.approx(point.expected), key
        assert stored[key].upper == pytest.approx(point.upper), key


def _finished(start_phq9, second):
    return Case(
        received_on=date(2026, 1, 5),
        ended_on=date(2026, 3, 1),
        visits=[Visit(5, scores={"PHQ9": start_phq9}), Visit(12, scores={"PHQ9": second}), Visit(19)],
    )


def test_each_run_is_a_new_version_with_its_sample_and_the_chart_gets_the_newest():
    service = ServiceFactory()
    build(service=service, cases=[_finished(16, 10 + i % 5) for i in range(6)])
    first = expected_course_estimate(service=service, min_sample=5)
    second = expected_course_estimate(service=service, min_sample=5)
    assert (first.version, second.version, second.courses) == (1, 2, 6)
    series = expected_series(service_id=service.pk, instrument="PHQ9", first_total=17)
    assert series["available"] and series["version"] == 2 and series["sessions"] == [1, 2]
    assert series["n"] == [6, 6] and series["expected"][1] == 11.5  # median of 10, 10, 11, 12, 13, 14


def test_a_band_with_too_few_courses_has_no_boundary_and_the_chart_says_why():
    service = ServiceFactory()
    build(service=service, cases=[_finished(16, 12) for _ in range(3)])
    expected_course_estimate(service=service, min_sample=30)
    series = expected_series(service_id=service.pk, instrument="PHQ9", first_total=16)
    assert series["available"] is False and "no boundary is drawn" in series["reason"]


def test_the_nightly_task_estimates_every_service(settings):
    settings.OUTCOME_FEEDBACK = {"percentile": 0.75, "min_sample": 1}
    services = [ServiceFactory(), ServiceFactory()]
    build(service=services[0], cases=[_finished(16, 12)])
    assert estimate_expected_courses() >= 2
    assert ExpectedCourse.objects.filter(service=services[0]).get().points.exists()
    assert ExpectedCourse.objects.filter(service=services[1]).get().courses == 0


def test_bad_parameters_are_refused():
    with pytest.raises(ValueError):
        expected_course_estimate(service=ServiceFactory(), percentile=0.4)
    assert timezone.now()
