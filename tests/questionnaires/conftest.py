from datetime import time, timedelta

import pytest
from django.utils import timezone

from accounts.models import Role
from appointments.services import appointment_book
from supervision.models import DutyWorker
from tests.appointments.conftest import next_weekday
from tests.factories import ReferralFactory, UserFactory
from tests.notify_standin import NotifyStandIn


@pytest.fixture
def notify(settings):
    """The stand-in Notify on 127.0.0.1; the real client talks to it."""
    standin = NotifyStandIn().start()
    settings.NOTIFY_API_KEY = standin.api_key
    settings.NOTIFY_BASE_URL = standin.base_url
    settings.QUESTIONNAIRE_SMS_TEMPLATE_ID = "33333333-3333-4333-8333-333333333333"
    settings.QUESTIONNAIRE_EMAIL_TEMPLATE_ID = "44444444-4444-4444-8444-444444444444"
    yield standin
    standin.stop()


@pytest.fixture
def pwp(db):
    from appointments.models import WorkingHours

    user = UserFactory(role=Role.PWP)
    for weekday in range(5):
        WorkingHours.objects.create(practitioner=user, weekday=weekday, start_time=time(8), end_time=time(18))
    return user


@pytest.fixture
def duty(pwp):
    user = UserFactory(role=Role.SUPERVISOR, service=pwp.service)
    DutyWorker.objects.create(service=pwp.service, user=user)
    return user


@pytest.fixture
def referral(pwp):
    return ReferralFactory(
        patient__service=pwp.service,
        assigned_practitioner=pwp,
        patient__mobile="07700 900123",
        patient__consent_sms_reminders=True,
    )


@pytest.fixture
def appointment(pwp, referral):
    return appointment_book(
        user=pwp,
        referral=referral,
        practitioner=pwp,
        start_date=next_weekday(1),
        start_time=time(10),
        duration_minutes=30,
        appointment_type="02",
        medium="02",
    )


def later(minutes: int = 0):
    return timezone.now() + timedelta(minutes=minutes)


@pytest.fixture(autouse=True)
def generous_rate_limit(settings):
    """Every test client comes from 127.0.0.1 and the count lives in Redis for an
    hour: the limit is tested on its own address (test_the_link_page_is_rate_limited_per_address)."""
    settings.QUESTIONNAIRE_RATE_PER_HOUR = 100_000
