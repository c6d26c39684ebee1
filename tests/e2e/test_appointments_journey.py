"""The issue's journey in a real browser: a PWP books a first appointment from
the waiting list, the patient's reminder goes to the stand-in Notify at its
lead time, the PWP opens the appointment and logs the session from it, books
the next one and sees it on the caseload; a DNA is recorded against a booking."""

from datetime import time, timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import Role
from appointments import reminders
from appointments.models import Appointment, AppointmentStatus, ReminderLeadTime, WorkingHours
from sessions.models import TherapySession
from tests.appointments.conftest import appointment_at
from tests.factories import ReferralFactory, UserFactory
from tests.notify_standin import NotifyStandIn

from .test_session_journey import choose_items

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def notify(settings):
    standin = NotifyStandIn().start()
    settings.NOTIFY_API_KEY = standin.api_key
    settings.NOTIFY_BASE_URL = standin.base_url
    settings.NOTIFY_SMS_TEMPLATE_ID = "11111111-1111-4111-8111-111111111111"
    settings.NOTIFY_EMAIL_TEMPLATE_ID = "22222222-2222-4222-8222-222222222222"
    yield standin
    standin.stop()


@pytest.fixture
def pwp_with_waiting_patient():
    pwp = UserFactory(username="pwp18", role=Role.PWP, first_name="Pat", last_name="Diary")
    for weekday in range(7):
        WorkingHours.objects.create(practitioner=pwp, weekday=weekday, start_time=time(0), end_time=time(23, 59))
    ReminderLeadTime.objects.create(service=pwp.service, minutes_before=120)
    waiting = ReferralFactory(
        patient__service=pwp.service,
        patient__given_name="Sam",
        patient__family_name="Waitwell",
        patient__mobile="07700 900123",
        patient__consent_sms_reminders=True,
        assigned_practitioner=pwp,
        status="assessed",
        assessed_on=timezone.localdate() - timedelta(days=10),
        received_on=timezone.localdate() - timedelta(days=30),
    )
    return pwp, waiting


def book_first_appointment(page, name: str, *, appointment_type: str):
    """From the waiting list, books `name`'s first appointment five minutes from
    now, 30 minutes, by telephone (consultation medium 02); returns its start."""
    page.get_by_role("link", name="Waiting lists").click()
    page.get_by_role("link", name=f"Book a first appointment for {name}").click()
    start = timezone.localtime() + timedelta(minutes=5)
    page.get_by_label("Date").fill(start.strftime("%Y-%m-%d"))
    page.get_by_label("Start time (UK time)").fill(start.strftime("%H:%M"))
    page.get_by_label("Duration (minutes)").fill("30")
    page.get_by_label("Appointment type").select_option(appointment_type)
    page.get_by_label("Consultation medium").select_option("02")
    if start.date() != (start + timedelta(minutes=30)).date():  # a run just before midnight
        page.get_by_label("Reason for booking outside working hours (only if it is)").fill("Late test run")
    page.get_by_role("button", name="Book appointment").click()
    expect(page.get_by_text("Appointment booked for")).to_be_visible()
    return start


def test_pwp_books_from_the_waiting_list_reminder_goes_session_logged_next_booked(
    page, login, pwp_with_waiting_patient, notify
):
    pwp, referral = pwp_with_waiting_patient
    login("pwp18")
    # the waiting list shows no appointment yet, and books one
    start = book_first_appointment(page, "Sam Waitwell", appointment_type="02")
    appointment = Appointment.objects.get(referral=referral)

    # the waiting list now shows when
    page.get_by_role("link", name="Waiting lists").click()
    expect(page.locator("table.waiting-list")).to_contain_text(
        timezone.localtime(appointment.starts_at).strftime("%H:%M")
    )

    # beat's sweep and the worker's send, at the lead time (two hours before)
    ids = reminders.due_appointment_ids(now=timezone.now())
    assert ids == [str(appointment.pk)]
    reminders.reminders_send(appointment_ids=ids)
    reminders.reminders_delivery_check()
    [sms] = notify.sent("sms")
    assert sms["phone_number"] == "07700900123"
    assert sms["personalisation"]["time"] == timezone.localtime(appointment.starts_at).strftime("%H:%M")

    # the PWP opens the appointment from the diary: the reminder and its delivery show
    page.get_by_role("link", name="My diary").click()
    page.get_by_role("link", name="Waitwell, Sam").click()
    expect(page.locator("#reminders")).to_contain_text("Sent to GOV.UK Notify")
    expect(page.locator("#reminders")).to_contain_text("delivered")

    # and logs the session from it: time, type and medium already filled in
    page.get_by_role("link", name="Open and log the session").click()
    expect(page.get_by_label("Consultation medium")).to_have_value("02")
    choose_items(page, "PHQ9", [1, 1, 1, 1, 1, 1, 1, 1, 0])
    choose_items(page, "GAD7", [1, 1, 1, 1, 1, 1, 1])
    page.get_by_role("button", name="Save session").click()
    expect(page.get_by_text("Session saved.")).to_be_visible()
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.ATTENDED
    assert appointment.session == TherapySession.objects.get(referral=referral)

    # books the next one from the record, a week on
    page.get_by_role("link", name="Book an appointment").click()
    following = start + timedelta(days=7)
    page.get_by_label("Date").fill(following.strftime("%Y-%m-%d"))
    page.get_by_label("Start time (UK time)").fill("10:00")
    page.get_by_label("Appointment type").select_option("02")
    page.get_by_role("button", name="Book appointment").click()
    expect(page.get_by_text("Appointment booked for")).to_be_visible()

    # and the caseload shows it
    page.get_by_role("link", name="My caseload").click()
    expect(page.locator("td.next-appointment")).to_have_text(f"{following:%d/%m/%Y} 10:00")


def test_a_dna_is_recorded_against_a_booking(page, login, pwp_with_waiting_patient):
    pwp, referral = pwp_with_waiting_patient
    missed = appointment_at(referral, pwp, timezone.now() - timedelta(hours=1))
    login("pwp18")
    # the diary of the day the missed appointment fell on (an hour ago is yesterday just after midnight)
    page.goto(f"/appointments/diary/?day={timezone.localtime(missed.starts_at).date().isoformat()}")
    page.get_by_role("link", name="Waitwell, Sam").click()
    page.get_by_role("link", name="Did not attend or cancelled on the day").click()
    page.get_by_label("Did not attend (3)").check()
    page.get_by_role("button", name="Record outcome").click()
    expect(page.locator("#appointment-status")).to_have_text("Did not attend (attendance code 3)")
    expect(page.get_by_role("link", name="Book another appointment")).to_be_visible()
    missed.refresh_from_db()
    assert missed.status == AppointmentStatus.DNA and missed.session.attendance == "3"
