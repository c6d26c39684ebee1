from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import Role
from sessions.models import MeasureScore, RiskAssessment, TherapySession
from sessions.services import therapy_session_record
from tests.factories import ReferralFactory, UserFactory, gad7, phq9

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def pwp_case():
    pwp = UserFactory(username="pwp1", role=Role.PWP)
    referral = ReferralFactory(
        patient__service=pwp.service,
        patient__given_name="Robin",
        patient__family_name="Exampleton",
        assigned_practitioner=pwp,
        problem_descriptor="F32",
        received_on=timezone.localdate() - timedelta(days=60),
    )
    therapy_session_record(
        user=pwp,
        referral=referral,
        started_at=timezone.now() - timedelta(days=14),
        appointment_type="02",
        attendance="5",
        medium="02",
        measure_items={"PHQ9": phq9(17), "GAD7": gad7(12)},
        enqueue_followup=False,
    )
    return pwp, referral


def choose_items(page, code, values):
    for number, value in enumerate(values, start=1):
        page.locator(f"input[name='{code}_{number}']").first.focus()
        page.keyboard.type(str(value))  # a digit picks the answer: keyboard only


def test_pwp_logs_a_session_by_keyboard_and_sees_the_new_point(page, login, pwp_case):
    pwp, referral = pwp_case
    login("pwp1")
    page.get_by_role("link", name="Exampleton, Robin").click()
    expect(page.locator("#measures-chart")).to_have_attribute("data-points", "2")  # PHQ-9 and GAD-7, one each

    page.get_by_role("link", name="Log a session").click()
    choose_items(page, "PHQ9", [1, 1, 1, 1, 1, 1, 1, 1, 0])
    expect(page.locator("#total-PHQ9")).to_contain_text("Total 8")
    expect(page.locator("#total-PHQ9")).to_contain_text("mild", ignore_case=True)
    choose_items(page, "GAD7", [1, 1, 1, 1, 1, 1, 1])
    expect(page.locator("#total-GAD7")).to_contain_text("below caseness")
    assert page.locator("#risk-assessment").is_hidden()
    page.get_by_label("Notes").fill("Reviewed activity diary")
    page.get_by_label("Notes").press("Tab")
    page.get_by_role("button", name="Save session").press("Enter")

    expect(page.locator("#measures-chart")).to_have_attribute("data-points", "4")
    last = MeasureScore.objects.filter(instrument="PHQ9").order_by("-taken_at").first()
    assert last.total == 8 and last.band.lower() == "mild"


def test_item9_brings_up_the_risk_assessment_and_the_caseload_marker(page, login, pwp_case):
    login("pwp1")
    page.goto(f"/referrals/{pwp_case[1].pk}/sessions/new/")
    choose_items(page, "PHQ9", [2, 2, 2, 2, 1, 1, 1, 1, 1])
    expect(page.locator("#risk-assessment")).to_be_visible()
    page.get_by_label("Risk to self").select_option("medium")
    page.get_by_label("Risk to others").select_option("none")
    page.get_by_label("Risk from others").select_option("none")
    page.get_by_label("Overall risk level").select_option("medium")
    page.get_by_label("Safety plan").fill("Crisis numbers given; call tomorrow")
    page.get_by_role("button", name="Save session").click()
    page.wait_for_selector("#risk-history")
    assert RiskAssessment.objects.get().trigger == "phq9_item9"
    page.get_by_role("link", name="My caseload").click()
    row = page.locator("#caseload-table tbody tr").filter(has_text="Exampleton, Robin")
    expect(row.locator(".risk-marker")).to_be_visible()


def test_invalid_form_keeps_what_was_typed(page, login, pwp_case):
    login("pwp1")
    page.goto(f"/referrals/{pwp_case[1].pk}/sessions/new/")
    future = (timezone.localtime() + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    page.get_by_label("Date and time").fill(future)
    choose_items(page, "PHQ9", [1, 2, 1, 2, 1, 2, 1, 0, 0])
    page.get_by_label("Notes").fill("Typed notes must survive")
    page.get_by_role("button", name="Save session").click()
    # the error summary at the top, focused, links to the field; the error also stands beside it
    summary = page.locator("#error-summary")
    expect(summary).to_be_focused()
    summary.get_by_role("link", name="A session cannot be recorded in the future").click()
    expect(page.get_by_label("Date and time")).to_be_focused()
    expect(page.locator("#error-summary ~ fieldset").get_by_text("cannot be recorded in the future")).to_be_visible()
    expect(page.get_by_label("Notes")).to_have_value("Typed notes must survive")
    expect(page.locator("#id_PHQ9_2_2")).to_be_checked()
    expect(page.locator("#total-PHQ9")).to_contain_text("Total 10")
    assert TherapySession.objects.count() == 1


def test_a_stalled_session_shows_not_on_track_and_the_expected_course_behind_the_line(page, login, pwp_case, axe_check):
    """Issue 21: the session's save flags the case at once; the record the PWP lands
    on says so with the evidence, and the chart draws the expected course and its
    upper boundary behind PHQ-9 (Chart.js, no inline script under the CSP)."""
    from feedback.models import ExpectedCourse, ExpectedCoursePoint
    from tests.factories import SupervisionAssignmentFactory

    pwp, referral = pwp_case
    SupervisionAssignmentFactory(supervisor=UserFactory(role=Role.SUPERVISOR, service=pwp.service), supervisee=pwp)
    course = ExpectedCourse.objects.create(
        service=pwp.service, version=1, method="test", percentile=0.75, min_sample=30, max_session=12, courses=90
    )
    for k, (expected, upper) in enumerate([(17, 18), (12, 13)], start=1):
        ExpectedCoursePoint.objects.create(
            course=course,
            instrument="PHQ9",
            band="moderately severe",
            session_number=k,
            n=40,
            expected=expected,
            upper=upper,
        )
    login("pwp1")
    page.get_by_role("link", name="Exampleton, Robin").click()
    page.get_by_role("link", name="Log a session").click()
    choose_items(page, "PHQ9", [2, 2, 2, 2, 2, 2, 2, 1, 0])  # 15: above session 2's boundary of 13
    choose_items(page, "GAD7", [1, 1, 1, 1, 1, 1, 1])
    page.get_by_role("button", name="Save session").press("Enter")

    expect(page.locator("#not-on-track")).to_contain_text("PHQ9 15 at session 2, above the expected course")
    expect(page.locator("#measures-chart")).to_have_attribute("data-expected", "1")
    expect(page.locator("#reliable-change")).to_contain_text("at session 2 expected 12.0, upper boundary 13.0")
    axe_check(page, "record, not on track")
