"""Reminders through the stand-in Notify on 127.0.0.1 with the real client."""

from datetime import timedelta

import pytest
from django.utils import timezone

from appointments import reminders, services
from appointments.models import Appointment, Reminder, ReminderStatus

from .conftest import appointment_at

pytestmark = pytest.mark.django_db


def soon(referral, pwp, hours=1, **fields) -> Appointment:
    return appointment_at(referral, pwp, timezone.now() + timedelta(hours=hours), **fields)


def run(now=None):
    """What the beat sweep and the queued tasks do, in this process."""
    now = now or timezone.now()
    ids = reminders.due_appointment_ids(now=now)
    reminders.reminders_send(appointment_ids=ids, now=now)
    return ids


def test_with_no_key_reminders_are_recorded_as_not_configured(settings, pwp, referral, lead_times):
    settings.NOTIFY_API_KEY = ""
    appointment = soon(referral, pwp)
    run()
    rows = list(Reminder.objects.filter(appointment=appointment))
    assert {(r.channel, r.minutes_before, r.status) for r in rows} == {
        ("sms", 120, ReminderStatus.NOT_CONFIGURED),
        ("email", 120, ReminderStatus.NOT_CONFIGURED),
    }
    assert rows[0].get_status_display() == "Not sent: messaging not configured"
    run()  # and again: nothing new
    assert Reminder.objects.count() == 2


def test_a_due_reminder_goes_once_by_each_consented_channel_with_no_clinical_content(notify, pwp, referral, lead_times):
    appointment = soon(referral, pwp, hours=1)
    run()
    run()  # a second sweep, as beat runs every minute
    sms, email = notify.sent("sms"), notify.sent("email")
    assert len(sms) == 1 and len(email) == 1
    assert sms[0]["phone_number"] == "07700900123"
    assert email[0]["email_address"] == "patient@example.invalid"
    assert set(sms[0]["personalisation"]) == {"date", "time", "medium", "change"}
    text = " ".join(sms[0]["personalisation"].values())
    patient = referral.patient
    for secret in (patient.given_name, patient.family_name, patient.nhs_number, "F32", "depression"):
        assert secret not in text
    assert sms[0]["personalisation"]["medium"] == "by telephone"
    rows = {r.channel: r for r in Reminder.objects.filter(appointment=appointment)}
    assert rows["sms"].status == ReminderStatus.SENT
    assert str(rows["sms"].notify_id) == sms[0]["id"]
    assert sms[0]["reference"] == str(rows["sms"].pk)  # what the resume task looks up


def test_only_the_shortest_due_lead_time_is_sent_and_the_longer_one_before(notify, pwp, referral, lead_times):
    appointment = soon(referral, pwp, hours=30)
    run()  # 30 hours before: the two-day reminder only
    assert {r.minutes_before for r in Reminder.objects.filter(appointment=appointment)} == {2880}
    run(now=timezone.now() + timedelta(hours=29))  # an hour before: the two-hour one
    assert sorted(r.minutes_before for r in Reminder.objects.filter(appointment=appointment, channel="sms")) == [
        120,
        2880,
    ]
    assert len(notify.sent("sms")) == 2


def test_no_reminder_before_its_lead_time(notify, pwp, referral, lead_times):
    soon(referral, pwp, hours=24 * 5)
    run()
    assert notify.sent() == [] and not Reminder.objects.exists()


@pytest.mark.parametrize(
    ("fields", "channels"),
    [
        ({"consent_sms_reminders": False}, {"email"}),
        ({"consent_email_reminders": False}, {"sms"}),
        ({"mobile": "01632 960123"}, {"email"}),  # a landline gets no text message
        ({"mobile": "07700 9001"}, {"email"}),  # too short
        ({"email": ""}, {"sms"}),
    ],
)
def test_only_consented_channels_with_a_valid_address(notify, pwp, referral, lead_times, fields, channels):
    for name, value in fields.items():
        setattr(referral.patient, name, value)
    referral.patient.save()
    soon(referral, pwp)
    run()
    assert {n["type"] for n in notify.sent()} == channels


def test_a_rebooked_appointment_gets_its_own_reminders_and_the_old_gets_none_more(notify, pwp, referral, lead_times):
    from datetime import time

    from .conftest import next_weekday

    appointment = soon(referral, pwp, hours=40)
    run()
    assert len(notify.sent("sms")) == 1
    new = services.appointment_rebook(
        user=pwp,
        appointment=appointment,
        by="patient",
        start_date=next_weekday(2),
        start_time=time(10, 0),
        duration_minutes=30,
    )
    # an hour before the old time: nothing for the old appointment
    run(now=appointment.starts_at - timedelta(hours=1))
    assert len(notify.sent("sms")) == 1
    # two days before the new one: its own reminder
    run(now=new.starts_at - timedelta(hours=47))
    assert [n["reference"] for n in notify.sent("sms")][1] == str(
        Reminder.objects.get(appointment=new, channel="sms").pk
    )


def test_delivery_status_is_read_back(notify, pwp, referral, lead_times):
    appointment = soon(referral, pwp)
    run()
    notify.delivery_status = "permanent-failure"
    for n in notify.notifications:
        n["status"] = "delivered" if n["type"] == "sms" else "permanent-failure"
    assert reminders.reminders_delivery_check() == 2
    statuses = {r.channel: r.delivery_status for r in Reminder.objects.filter(appointment=appointment)}
    assert statuses == {"sms": "delivered", "email": "permanent-failure"}


def test_a_wrong_key_is_refused_by_notify_and_recorded_as_failed(notify, settings, pwp, referral, lead_times):
    settings.NOTIFY_API_KEY = f"test_key-{notify.service_id}-{'0' * 8}-0000-4000-8000-{'0' * 12}"
    soon(referral, pwp)
    run()
    assert notify.sent() == []
    assert [r[2] for r in notify.requests] == [403, 403]
    assert set(Reminder.objects.values_list("status", flat=True)) == {ReminderStatus.FAILED}


def test_a_stale_claim_that_notify_has_is_recorded_not_sent_again(notify, settings, pwp, referral, lead_times):
    # given a claim whose worker died after Notify accepted the text message
    appointment = soon(referral, pwp)
    claimed_at = timezone.now() - timedelta(seconds=settings.REMINDER_CLAIM_STALE_SECONDS + 5)
    reminder = Reminder.objects.create(
        appointment=appointment, minutes_before=120, channel="sms", claimed_at=claimed_at
    )
    from notifications_python_client.notifications import NotificationsAPIClient

    client = NotificationsAPIClient(notify.api_key, base_url=notify.base_url)
    accepted = client.send_sms_notification("07700900123", "t", reference=str(reminder.pk))
    # and another whose worker died before Notify heard of it
    lost = Reminder.objects.create(appointment=appointment, minutes_before=120, channel="email", claimed_at=claimed_at)
    # when the sweep finds them stale and the resume task runs
    assert set(reminders.stale_reminder_ids(now=timezone.now())) == {str(reminder.pk), str(lost.pk)}
    reminders.reminders_resume(reminder_ids=[str(reminder.pk), str(lost.pk)])
    # then the first is recorded with Notify's id and the second is sent, once each
    reminder.refresh_from_db()
    lost.refresh_from_db()
    assert reminder.status == ReminderStatus.SENT and str(reminder.notify_id) == accepted["id"]
    assert lost.status == ReminderStatus.SENT
    assert len(notify.sent("sms")) == 1 and len(notify.sent("email")) == 1


def test_a_fresh_claim_is_not_taken_over(notify, pwp, referral, lead_times):
    appointment = soon(referral, pwp)
    reminder = Reminder.objects.create(appointment=appointment, minutes_before=120, channel="sms")
    assert reminders.stale_reminder_ids(now=timezone.now()) == []
    assert reminders.reminders_resume(reminder_ids=[str(reminder.pk)]) == 0
    assert notify.sent() == []


def test_the_sweep_reads_due_appointments_in_one_statement(
    notify, pwp, referral, lead_times, django_assert_num_queries
):
    for hours in (1, 2, 3, 4):
        soon(referral, pwp, hours=hours)
    # the due ids, then the stale claims
    with django_assert_num_queries(2):
        ids = reminders.due_appointment_ids(now=timezone.now())
        reminders.stale_reminder_ids(now=timezone.now())
    assert len(ids) == 4


def test_valid_uk_mobile():
    assert reminders.valid_uk_mobile("07700 900123")
    assert reminders.valid_uk_mobile("+447700900123")
    assert not reminders.valid_uk_mobile("01632 960123")
    assert not reminders.valid_uk_mobile("")
