from datetime import time, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import AccessLog
from appointments import services
from appointments.models import Appointment, AppointmentStatus
from sessions.models import TherapySession
from supervision.models import Flag
from supervision.sweep import sweep

from .conftest import appointment_at, next_weekday


def book(user, referral, *, day=None, at=time(10, 0), minutes=30, **extra):
    return services.appointment_book(
        user=user,
        referral=referral,
        practitioner=extra.pop("practitioner", user),
        start_date=day or next_weekday(0),
        start_time=at,
        duration_minutes=minutes,
        appointment_type=extra.pop("appointment_type", "02"),
        medium=extra.pop("medium", "02"),
        **extra,
    )


def test_a_booking_within_working_hours_is_stored_as_its_instant_and_audited(pwp, referral):
    appointment = book(pwp, referral, at=time(10, 0))
    local = timezone.localtime(appointment.starts_at)
    assert (local.hour, local.minute) == (10, 0)
    assert appointment.duration_minutes == 30
    assert appointment.status == AppointmentStatus.BOOKED
    assert AccessLog.objects.filter(object_type="appointment", object_id=str(appointment.pk), action="create").exists()


def test_an_overlapping_booking_is_refused_with_the_time_it_clashes_with(pwp, referral):
    book(pwp, referral, at=time(10, 0))
    with pytest.raises(ValidationError) as exc:
        book(pwp, referral, at=time(10, 15))
    message = exc.value.message_dict["start_time"][0]
    assert "already has an appointment from 10:00 to 10:30" in message
    assert Appointment.objects.count() == 1


def test_back_to_back_bookings_are_allowed(pwp, referral):
    book(pwp, referral, at=time(10, 0))
    book(pwp, referral, at=time(10, 30))
    assert Appointment.objects.count() == 2


def test_the_database_itself_refuses_a_double_booking(pwp, referral):
    start = timezone.now() + timedelta(days=3)
    appointment_at(referral, pwp, start)
    with pytest.raises(IntegrityError, match="appointment_no_double_booking"), transaction.atomic():
        appointment_at(referral, pwp, start + timedelta(minutes=10))


def test_a_cancelled_booking_releases_its_time(pwp, referral):
    first = book(pwp, referral, at=time(11, 0))
    services.appointment_cancel(user=pwp, appointment=first, by="patient", reason="Work")
    second = book(pwp, referral, at=time(11, 0))
    first.refresh_from_db()
    assert first.status == AppointmentStatus.CANCELLED_BY_PATIENT and first.attendance_code == "2"
    assert second.status == AppointmentStatus.BOOKED


def test_outside_working_hours_needs_a_reason(pwp, referral):
    with pytest.raises(ValidationError) as exc:
        book(pwp, referral, at=time(18, 0))
    assert "outside Pat Practitioner's working hours on Mondays (09:00-17:00)" in str(exc.value)
    saturday = book(pwp, referral, day=next_weekday(5), at=time(10, 0), outside_hours_reason="Patient works weekdays")
    assert saturday.outside_hours_reason == "Patient works weekdays"


@pytest.mark.parametrize(("day", "kind"), [((2027, 3, 28), "does not exist"), ((2027, 10, 31), "happens twice")])
def test_a_wall_clock_time_a_clock_change_skips_or_repeats_is_refused(pwp, referral, day, kind):
    from datetime import date

    with pytest.raises(ValidationError) as exc:
        book(pwp, referral, day=date(*day), at=time(1, 30), outside_hours_reason="Night clinic")
    assert kind in exc.value.message_dict["start_time"][0]
    assert not Appointment.objects.exists()


def test_a_booking_in_the_past_is_refused(pwp, referral):
    with pytest.raises(ValidationError) as exc:
        book(pwp, referral, day=timezone.localdate() - timedelta(days=7), outside_hours_reason="x")
    assert "past" in str(exc.value)


def test_rebooking_moves_the_appointment_and_keeps_the_old_one_as_rebooked(pwp, referral):
    old = book(pwp, referral, at=time(9, 0))
    new = services.appointment_rebook(
        user=pwp,
        appointment=old,
        by="provider",
        reason="Clinic closed",
        start_date=next_weekday(1),
        start_time=time(9, 0),
        duration_minutes=30,
        outside_hours_reason="",
    )
    old.refresh_from_db()
    assert old.status == AppointmentStatus.REBOOKED and old.rebooked_by == "4"
    assert new.rebooked_from == old and new.status == AppointmentStatus.BOOKED
    # the old slot is free again
    book(pwp, referral, at=time(9, 0))


def test_a_dna_is_a_care_contact_linked_to_the_booking_and_two_in_a_row_raise_the_flag(pwp, referral):
    past = [timezone.now() - timedelta(days=d) for d in (14, 7)]
    for when in past:
        appointment = appointment_at(referral, pwp, when)
        services.appointment_outcome_record(user=pwp, appointment=appointment, status=AppointmentStatus.DNA)
        appointment.refresh_from_db()
        assert appointment.status == AppointmentStatus.DNA
        assert appointment.session.attendance == "3"
        assert appointment.session.started_at == when
    sweep()
    assert Flag.objects.filter(referral=referral, reason="dna", resolved_at__isnull=True).exists()


def test_one_dna_raises_no_flag(pwp, referral):
    appointment = appointment_at(referral, pwp, timezone.now() - timedelta(days=2))
    services.appointment_outcome_record(user=pwp, appointment=appointment, status=AppointmentStatus.DNA)
    sweep()
    assert not Flag.objects.filter(referral=referral, reason="dna").exists()


def test_a_future_appointment_cannot_be_missed(pwp, referral):
    appointment = book(pwp, referral)
    with pytest.raises(ValidationError):
        services.appointment_outcome_record(user=pwp, appointment=appointment, status=AppointmentStatus.DNA)
    assert not TherapySession.objects.exists()


def test_an_outcome_is_recorded_once(pwp, referral):
    appointment = appointment_at(referral, pwp, timezone.now() - timedelta(hours=2))
    services.appointment_outcome_record(user=pwp, appointment=appointment, status=AppointmentStatus.DNA)
    with pytest.raises(ValidationError, match="already"):
        services.appointment_outcome_record(user=pwp, appointment=appointment, status=AppointmentStatus.DNA)
    assert TherapySession.objects.count() == 1
