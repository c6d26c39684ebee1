from datetime import time, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role
from appointments import services
from appointments.models import Appointment, AppointmentStatus, ClinicTemplate
from sessions.models import TherapySession
from tests.factories import ReferralFactory, UserFactory
from tests.sessions.test_session_post import form_data

from .conftest import appointment_at, next_weekday


def booking_data(pwp, **overrides):
    data = {
        "practitioner": pwp.pk,
        "start_date": next_weekday(0).isoformat(),
        "start_time": "10:00",
        "duration_minutes": "30",
        "appointment_type": "01",
        "medium": "02",
        "location": "",
        "video_link": "",
        "outside_hours_reason": "",
    }
    data.update(overrides)
    return data


def test_booking_from_the_record_and_a_clash_shown_as_a_field_error(client, pwp, referral):
    client.force_login(pwp)
    url = reverse("appointments:book", args=[referral.pk])
    response = client.post(url, booking_data(pwp))
    appointment = Appointment.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("appointments:detail", args=[appointment.pk])
    response = client.post(url, booking_data(pwp, start_time="10:10"))
    assert response.status_code == 200
    assert "already has an appointment from 10:00 to 10:30" in response.content.decode()
    assert Appointment.objects.count() == 1


def test_a_skipped_clock_time_is_a_field_error(client, pwp, referral):
    client.force_login(pwp)
    response = client.post(
        reverse("appointments:book", args=[referral.pk]),
        booking_data(pwp, start_date="2027-03-28", start_time="01:30", outside_hours_reason="Night"),
    )
    assert response.status_code == 200
    assert "does not exist in the UK" in response.content.decode()
    assert not Appointment.objects.exists()


def test_the_booking_form_offers_free_clinic_slots(client, pwp, referral):
    ClinicTemplate.objects.create(
        practitioner=pwp,
        name="Monday clinic",
        weekday=0,
        start_time=time(9),
        slot_minutes=30,
        slot_count=4,
        valid_from=timezone.localdate(),
    )
    services.appointment_book(
        user=pwp,
        referral=referral,
        practitioner=pwp,
        start_date=next_weekday(0),
        start_time=time(9, 30),
        duration_minutes=30,
        appointment_type="02",
        medium="02",
    )
    client.force_login(pwp)
    response = client.get(reverse("appointments:book", args=[referral.pk]))
    slots = [s.starts_at for s in response.context["slots"]]
    taken = timezone.localtime(Appointment.objects.get().starts_at)
    assert taken not in slots
    assert taken - timedelta(minutes=30) in slots and taken + timedelta(minutes=30) in slots


def test_another_pwps_appointment_is_404(client, pwp, referral):
    appointment = appointment_at(referral, pwp, timezone.now() + timedelta(days=2))
    other = UserFactory(role=Role.PWP, service=pwp.service)
    client.force_login(other)
    for name in ("detail", "session", "outcome", "cancel", "rebook"):
        assert client.get(reverse(f"appointments:{name}", args=[appointment.pk])).status_code == 404, name
    assert client.get(reverse("appointments:book", args=[referral.pk])).status_code == 404
    assert client.get(reverse("appointments:diary") + f"?practitioner={pwp.pk}").status_code == 404


def test_opening_a_booking_fills_the_session_form_and_saving_links_it(client, pwp, referral):
    starts = (timezone.now() - timedelta(minutes=20)).replace(second=0, microsecond=0)
    appointment = appointment_at(referral, pwp, starts, minutes=25, appointment_type="05", medium="11")
    client.force_login(pwp)
    url = reverse("appointments:session", args=[appointment.pk])
    form = client.get(url).context["form"]
    assert form["started_at"].value() == timezone.localtime(starts).replace(tzinfo=None)
    assert form["appointment_type"].value() == "05" and form["medium"].value() == "11"
    assert form["duration_minutes"].value() == 25
    response = client.post(
        url,
        form_data(
            started_at=timezone.localtime(starts).strftime("%Y-%m-%dT%H:%M"),
            appointment_type="05",
            medium="11",
            duration_minutes="25",
        ),
    )
    assert response.status_code == 302
    appointment.refresh_from_db()
    session = TherapySession.objects.get()
    assert appointment.session == session and appointment.status == AppointmentStatus.ATTENDED
    assert (session.appointment_type, session.medium) == ("05", "11")
    # a second open of the same booking logs nothing more
    assert client.post(url, form_data()).status_code == 302
    assert TherapySession.objects.count() == 1


def test_a_late_arrival_seen_sets_the_booking_late_seen(client, pwp, referral):
    appointment = appointment_at(referral, pwp, timezone.now() - timedelta(minutes=40))
    client.force_login(pwp)
    client.post(reverse("appointments:session", args=[appointment.pk]), form_data(attendance="6"))
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.LATE_SEEN and appointment.attendance_code == "6"


def test_a_dna_recorded_on_the_web_offers_the_next_step(client, pwp, referral):
    appointment = appointment_at(referral, pwp, timezone.now() - timedelta(hours=1))
    client.force_login(pwp)
    response = client.post(reverse("appointments:outcome", args=[appointment.pk]), {"status": "dna"}, follow=True)
    assert "Book another appointment" in response.content.decode()
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.DNA and appointment.session.attendance == "3"


def test_a_bad_outcome_is_a_field_error_not_a_500(client, pwp, referral):
    appointment = appointment_at(referral, pwp, timezone.now() - timedelta(hours=1))
    client.force_login(pwp)
    response = client.post(reverse("appointments:outcome", args=[appointment.pk]), {"status": "attended"})
    assert response.status_code == 200 and response.context["form"].errors
    assert not TherapySession.objects.exists()


@pytest.mark.parametrize("size", [4, 40])
def test_the_week_view_reads_a_constant_number_of_queries(client, pwp, django_assert_num_queries, size):
    monday = next_weekday(0)
    referrals = [ReferralFactory(patient__service=pwp.service, assigned_practitioner=pwp) for _ in range(4)]
    from appointments.clock import london_instant

    for n in range(size):
        day, slot = monday + timedelta(days=n % 5), n // 5
        appointment_at(referrals[n % 4], pwp, london_instant(day, time(9 + slot // 2, 30 * (slot % 2))))
    client.force_login(pwp)
    # session, user, the appointments with their patients, working hours, clinic
    # templates, the audit insert: 6 whatever the number of appointments
    with django_assert_num_queries(6):
        response = client.get(reverse("appointments:diary_week") + f"?day={monday.isoformat()}")
    days = response.context["days"]
    assert sum(len(d.appointments) for d in days) == size
    assert days[0].free_minutes == 8 * 60 - 30 * len(days[0].appointments)


def test_the_caseload_and_waiting_list_show_the_bookings(client, pwp, referral):
    waiting = ReferralFactory(patient__service=pwp.service, assigned_practitioner=pwp, status="assessed")
    services.appointment_book(
        user=pwp,
        referral=referral,
        practitioner=pwp,
        start_date=next_weekday(1),
        start_time=time(14),
        duration_minutes=30,
        appointment_type="02",
        medium="02",
    )
    first = services.appointment_book(
        user=pwp,
        referral=waiting,
        practitioner=pwp,
        start_date=next_weekday(2),
        start_time=time(11),
        duration_minutes=30,
        appointment_type="02",
        medium="02",
    )
    client.force_login(pwp)
    rows = {r.pk: r for r in client.get(reverse("sessions:caseload")).context["rows"]}
    assert timezone.localtime(rows[referral.pk].next_appointment_at).hour == 14
    lists = client.get(reverse("stepped_care:waiting_lists")).context["lists"]
    shown = {r.pk: r.first_appointment_at for wl in lists for r in wl.rows}
    assert shown[waiting.pk] == first.starts_at


def test_a_session_posted_for_a_booking_already_recorded_is_refused_whole(client, pwp, referral, monkeypatch):
    # given the form opened while the booking was still booked
    appointment = appointment_at(referral, pwp, timezone.now() - timedelta(minutes=30))
    from django.test import RequestFactory

    from appointments import views as appointment_views

    opened = Appointment.objects.get(pk=appointment.pk)
    # when another request records a DNA before this form is saved
    services.appointment_outcome_record(user=pwp, appointment=appointment, status=AppointmentStatus.DNA)
    request = RequestFactory().post("/", form_data())
    request.user = pwp
    from django.contrib.messages.storage.fallback import FallbackStorage
    from django.contrib.sessions.backends.db import SessionStore

    request.session = SessionStore()
    request._messages = FallbackStorage(request)
    # (the view read the booking before the other request committed)
    monkeypatch.setattr(appointment_views.selectors, "appointment_get_for_user", lambda **kwargs: opened)
    response = appointment_views.appointment_session(request, appointment.pk)
    # then the form says so and no second care contact is left behind
    assert response.status_code == 200
    assert "already has its outcome recorded" in response.content.decode()
    assert TherapySession.objects.count() == 1
