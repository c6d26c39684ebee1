"""Issue 21 item 2: the record shows the expected course and its upper boundary
behind the patient's PHQ-9 and anxiety-measure lines (through sessions.hooks,
registered by feedback), says in words where no boundary exists, and shows the
PWP "not on track" with its evidence right after the session's save."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role
from feedback.models import ExpectedCourse, ExpectedCoursePoint
from sessions.services import therapy_session_record
from tests.factories import ReferralFactory, SupervisionAssignmentFactory, UserFactory, gad7, log_session, phq9


@pytest.fixture
def pwp(db):
    pwp = UserFactory(role=Role.PWP)
    SupervisionAssignmentFactory(supervisor=UserFactory(role=Role.SUPERVISOR, service=pwp.service), supervisee=pwp)
    return pwp


def _case(pwp):
    return ReferralFactory(
        patient__service=pwp.service,
        assigned_practitioner=pwp,
        received_on=timezone.localdate() - timedelta(days=120),
        opened_at=timezone.now() - timedelta(days=30),
        last_reviewed_at=None,
    )


def _course(service):
    course = ExpectedCourse.objects.create(
        service=service, version=3, method="test", percentile=0.75, min_sample=30, max_session=12, courses=100
    )
    for k, (expected, upper) in enumerate([(16, 17), (11, 12), (9, 11)], start=1):
        ExpectedCoursePoint.objects.create(
            course=course,
            instrument="PHQ9",
            band="moderately severe",
            session_number=k,
            n=40,
            expected=expected,
            upper=upper,
        )
    return course


def test_a_stalled_session_shows_not_on_track_and_the_expected_course_on_the_record(client, pwp):
    _course(pwp.service)
    referral = _case(pwp)
    log_session(pwp, referral, days_ago=14, phq=16, gad=6)
    # the session's save, with its follow-up through the outbox as the form's POST has it
    therapy_session_record(
        user=pwp,
        referral=referral,
        started_at=timezone.now() - timedelta(days=7),
        appointment_type="02",
        attendance="5",
        medium="02",
        measure_items={"PHQ9": phq9(15), "GAD7": gad7(6)},
    )
    client.force_login(pwp)
    response = client.get(reverse("sessions:record", args=[referral.pk]))
    content = response.content.decode()
    assert 'id="not-on-track"' in content
    assert "PHQ9 15 at session 2, above the expected course&#x27;s upper boundary of 12.0 (expected 11.0)" in content
    series = {s["code"]: s for s in response.context["chart_series"]}
    expected = series["PHQ9"]["expected"]
    assert expected["available"] and expected["version"] == 3 and expected["band"] == "moderately severe"
    # placed at the patient's first and second scores; session 3 not yet reached
    assert [(p["x"], p["expected"], p["upper"]) for p in expected["points"]] == [
        (series["PHQ9"]["points"][0]["x"], 16, 17),
        (series["PHQ9"]["points"][1]["x"], 11, 12),
    ]
    assert "at session 2 expected 11.0, upper boundary 12.0" in content
    # GAD-7 (the case's anxiety measure) has no estimate: said in words, nothing drawn
    assert series["GAD7"]["expected"]["available"] is False
    assert "GAD7</strong>: no expected course drawn. Too few finished courses" in content


def test_no_course_no_notice_and_the_chart_says_why(client, pwp):
    referral = _case(pwp)
    log_session(pwp, referral, days_ago=14, phq=16, gad=6)
    log_session(pwp, referral, days_ago=7, phq=24, gad=6)
    client.force_login(pwp)
    response = client.get(reverse("sessions:record", args=[referral.pk]))
    content = response.content.decode()
    assert 'id="not-on-track"' not in content
    assert content.count("no expected course drawn") == 2  # PHQ-9 and GAD-7
    assert "js/record_chart.js" in content and "<script>" not in content  # strict CSP: no inline script


@pytest.mark.parametrize("sessions", [2, 12])
def test_the_record_stays_in_a_fixed_number_of_queries(client, pwp, django_assert_max_num_queries, sessions):
    _course(pwp.service)
    referral = _case(pwp)
    for n in range(sessions):
        log_session(pwp, referral, days_ago=100 - 7 * n, phq=16, gad=6)
    client.force_login(pwp)
    # tests/sessions/test_views.py's budget of 12, plus the expected course's points and the open flag
    with django_assert_max_num_queries(14):
        response = client.get(reverse("sessions:record", args=[referral.pk]))
    assert len(response.context["chart_series"][0]["expected"]["points"]) == min(sessions, 3)
