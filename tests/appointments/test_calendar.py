from datetime import timedelta

from django.test import Client
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from appointments import calendar
from appointments.models import AppointmentStatus

from .conftest import appointment_at


def test_the_feed_shows_initials_and_reference_only_and_stops_when_revoked(pwp, referral):
    appointment_at(referral, pwp, timezone.now() + timedelta(days=2))
    appointment_at(referral, pwp, timezone.now() + timedelta(days=3), status=AppointmentStatus.CANCELLED_BY_PATIENT)
    token = calendar.calendar_feed_create(user=pwp)
    anonymous = Client()
    url = reverse("appointments:calendar_feed", args=[token])
    response = anonymous.get(url)
    assert response.status_code == 200 and response["Content-Type"].startswith("text/calendar")
    events = list(Calendar.from_ical(response.content).walk("VEVENT"))
    assert len(events) == 1  # the cancelled one is left out
    summary = str(events[0]["SUMMARY"])
    patient = referral.patient
    assert (
        summary == f"{patient.given_name[0]}.{patient.family_name[0]}. ref {calendar.referral_reference(referral.pk)}"
    )
    body = response.content.decode()
    assert patient.family_name not in body and patient.nhs_number not in body
    calendar.calendar_feed_revoke(user=pwp)
    assert anonymous.get(url).status_code == 404


def test_a_new_address_ends_the_old_one_and_a_wrong_token_is_404(pwp, client):
    old = calendar.calendar_feed_create(user=pwp)
    client.force_login(pwp)
    response = client.post(reverse("appointments:calendar"), {"action": "create"})
    assert response.context["url"].endswith(".ics")
    assert Client().get(reverse("appointments:calendar_feed", args=[old])).status_code == 404
    assert Client().get("/calendar/not-a-token.ics").status_code == 404
    assert Client().get("/calendar/00000000-0000-4000-8000-000000000000.ics").status_code == 404
    new = response.context["url"].rsplit("/", 1)[1]
    assert Client().get(f"/calendar/{new}").status_code == 200
