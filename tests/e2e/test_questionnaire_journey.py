"""Questionnaires before the appointment (issue 20 item 3), in real Chromium: the
patient opens the link on a phone, gives their date of birth, answers PHQ-9 and
GAD-7 one page each, checks and sends; the PWP opens the session form, finds the
answers filled in, goes through them and saves. axe-core: 0 violations on every
patient page (JavaScript on); the same journey with JavaScript off (locators,
fill and click only: evaluate waits for ever there)."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import Role
from questionnaires import services
from questionnaires.models import LinkKind
from sessions.models import MeasureScore, ReportedBy
from sessions.services import therapy_session_record
from tests.appointments.conftest import appointment_at
from tests.factories import ReferralFactory, UserFactory, gad7, phq9

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PHQ = [1, 2, 1, 1, 0, 1, 1, 0, 0]  # total 7
GAD = [2, 1, 1, 1, 1, 0, 0]  # total 6
WORDS = ["Not at all", "Several days", "More than half the days", "Nearly every day"]


@pytest.fixture(autouse=True)
def generous_rate_limit(settings):
    settings.QUESTIONNAIRE_RATE_PER_HOUR = 100_000  # the browser comes from 127.0.0.1 in every run


@pytest.fixture
def booked():
    pwp = UserFactory(username="pwp1", role=Role.PWP)
    referral = ReferralFactory(
        patient__service=pwp.service,
        patient__given_name="Robin",
        patient__family_name="Exampleton",
        patient__mobile="07700 900123",
        patient__consent_sms_reminders=True,
        assigned_practitioner=pwp,
        problem_descriptor="F32",
        received_on=timezone.localdate() - timedelta(days=40),
    )
    # the assessment took WSAS, so PHQ-9 and GAD-7 are what is due now
    therapy_session_record(
        user=pwp,
        referral=referral,
        started_at=timezone.now() - timedelta(days=14),
        appointment_type="01",
        attendance="5",
        medium="02",
        measure_items={"PHQ9": phq9(15), "GAD7": gad7(12), "WSAS": [3, 3, 3, 3, 3]},
        enqueue_followup=False,
    )
    appointment = appointment_at(referral, pwp, timezone.now() + timedelta(hours=3))
    _link, token = services.link_issue(appointment_id=appointment.pk, kind=LinkKind.BOOKED)
    return pwp, referral, token


def answer(page, values):
    for number, value in enumerate(values, start=1):
        group = page.get_by_role("group", name=re.compile(rf"^{number}\. "))
        group.get_by_label(WORDS[value], exact=True).check()
    page.get_by_role("button", name="Continue").click()


def patient_journey(page, referral, token, axe_check=None):
    dob = referral.patient.date_of_birth
    page.goto(f"/q/{token}/")
    if axe_check:
        axe_check(page, "questionnaire: date of birth (phone)")
    page.get_by_label("Day").fill(str(dob.day))
    page.get_by_label("Month").fill(str(dob.month))
    page.get_by_label("Year").fill(str(dob.year))
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("PHQ-9 (depression)")
    assert token not in page.url  # the token leaves the address bar
    # a page sent half answered says which question, and keeps what was chosen
    page.get_by_role("group", name=re.compile(r"^1\. ")).get_by_label("Several days", exact=True).check()
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("link", name="Select an answer for question 2")).to_be_visible()
    if axe_check:
        axe_check(page, "questionnaire: PHQ-9 with errors (phone)")
    answer(page, PHQ)
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile("GAD-7"))
    if axe_check:
        axe_check(page, "questionnaire: GAD-7 (phone)")
    answer(page, GAD)
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your answers")
    if axe_check:
        axe_check(page, "questionnaire: check your answers (phone)")
    page.get_by_role("button", name="Send my answers").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Answers sent")
    if axe_check:
        axe_check(page, "questionnaire: sent (phone)")


def test_patient_answers_on_a_phone_and_the_pwp_confirms_them_in_the_session(
    public_page, page, login, booked, axe_check
):
    pwp, referral, token = booked
    patient = public_page(javascript=True)
    patient_journey(patient, referral, token, axe_check)
    # nothing scrolls sideways on the phone
    assert patient.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    stored = MeasureScore.objects.filter(referral=referral, reported_by=ReportedBy.PATIENT)
    assert sorted((m.instrument, m.total) for m in stored) == [("GAD7", 6), ("PHQ9", 7)]

    # the PWP opens the session form: the answers are there, to go through
    login("pwp1")
    page.goto(f"/referrals/{referral.pk}/sessions/new/")
    expect(page.locator("#patient-answers")).to_be_visible()
    for number, value in enumerate(PHQ, start=1):
        expect(page.locator(f"#id_PHQ9_{number}_{value}")).to_be_checked()
    expect(page.locator("#total-PHQ9")).to_contain_text("Total 7")
    page.get_by_label("Notes").fill("Went through the questionnaires with the patient")
    page.get_by_role("button", name="Save session").click()
    page.wait_for_selector("#measures-chart")
    latest = MeasureScore.objects.counting().filter(referral=referral, instrument="PHQ9").order_by("-taken_at")[0]
    assert latest.total == 7 and latest.session_id is not None
    assert stored.get(instrument="PHQ9").confirmed_as_id == latest.pk


def test_patient_answers_with_javascript_off(public_page, booked):
    _pwp, referral, token = booked
    patient_journey(public_page(javascript=False), referral, token)
    assert MeasureScore.objects.filter(referral=referral, reported_by=ReportedBy.PATIENT).count() == 2
