from datetime import date, time, timedelta

import pytest
from django.utils import timezone

from accounts.models import Role
from appointments.models import Appointment, ReminderLeadTime, WorkingHours
from tests.factories import ReferralFactory, UserFactory
from tests.notify_standin import NotifyStandIn


def next_weekday(weekday: int = 0, *, weeks: int = 1) -> date:
    """A date `weeks` weeks ahead on the given weekday (0 Monday)."""
    day = timezone.localdate() + timedelta(days=7 * weeks)
    return day + timedelta(days=(weekday - day.weekday()) % 7)


@pytest.fixture
def pwp(db):
    user = UserFactory(role=Role.PWP, first_name="Pat", last_name="Practitioner")
    for weekday in range(5):
        WorkingHours.objects.create(practitioner=user, weekday=weekday, start_time=time(9), end_time=time(17))
    return user


@pytest.fixture
def referral(pwp):
    return ReferralFactory(
        patient__service=pwp.service,
        assigned_practitioner=pwp,
        patient__mobile="07700 900123",
        patient__email="patient@example.invalid",
        patient__consent_sms_reminders=True,
        patient__consent_email_reminders=True,
    )


@pytest.fixture
def lead_times(pwp):
    # two days and two hours before, as the example
    return [
        ReminderLeadTime.objects.create(service=pwp.service, minutes_before=2 * 24 * 60),
        ReminderLeadTime.objects.create(service=pwp.service, minutes_before=120),
    ]


def appointment_at(referral, practitioner, starts_at, *, minutes=30, **fields) -> Appointment:
    """An appointment written directly (a past one, which the service refuses to book)."""
    return Appointment.objects.create(
        referral=referral,
        practitioner=practitioner,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(minutes=minutes),
        appointment_type=fields.pop("appointment_type", "02"),
        medium=fields.pop("medium", "02"),
        created_by=practitioner,
        **fields,
    )


@pytest.fixture
def notify(settings):
    """The stand-in Notify on 127.0.0.1, and the settings that point the real client at it."""
    standin = NotifyStandIn().start()
    settings.NOTIFY_API_KEY = standin.api_key
    settings.NOTIFY_BASE_URL = standin.base_url
    settings.NOTIFY_SMS_TEMPLATE_ID = "11111111-1111-4111-8111-111111111111"
    settings.NOTIFY_EMAIL_TEMPLATE_ID = "22222222-2222-4222-8222-222222222222"
    yield standin
    standin.stop()
