"""Appointment reminders through GOV.UK Notify, exactly once per appointment,
lead time and channel (issue 18; DOMAIN.md "Appointments and messages";
decision 018).

- The sweep (beat, every minute) selects booked appointments with a reminder
  due and not yet recorded, in one statement, and queues their ids in batches.
- The send task claims each due (appointment, lead time, channel) by inserting
  its unique Reminder row (ON CONFLICT DO NOTHING) and commits the claim before
  anything goes to Notify: a second task, a redelivered one or a second sweep
  finds the row and sends nothing.
- A claim whose worker died between the claim and recording Notify's answer
  stays "sending"; after REMINDER_CLAIM_STALE_SECONDS the sweep hands it to the
  resume task, which takes it over and asks Notify for a notification with the
  reminder's id as its reference (GET /v2/notifications?reference=) before
  sending: found, it is recorded as sent; not found, it is sent now. None is
  sent twice and none is lost.
- Messages carry no clinical content and no name: the date, time, medium and
  how to change the appointment (the template holds the words).

Rules: a lead time is due when the appointment starts within it; when several
are due at once (a late booking) only the shortest is sent. Only channels the
patient consented to, with a valid UK mobile number or email address."""

from __future__ import annotations

import re
import uuid
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from notifications_python_client.errors import HTTPError

from . import clock
from .models import Appointment, Reminder, ReminderChannel, ReminderStatus
from .notify import notify_client

MOBILE_RE = r"^(\+447|07)[0-9]{9}$"  # after removing spaces and dashes
EMAIL_RE = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
HORIZON_DAYS = 14  # the longest lead time a service may set (ReminderLeadTime's check)
FINAL_DELIVERY = frozenset({"delivered", "permanent-failure", "temporary-failure", "technical-failure"})
MEDIUM_WORDS = {"01": "in person", "02": "by telephone", "11": "by video"}

DUE_SQL = """
SELECT a.id, l.minutes_before, c.channel
FROM appointments_appointment a
JOIN patients_referral r ON r.id = a.referral_id
JOIN patients_patient p ON p.id = r.patient_id
JOIN appointments_reminderleadtime l ON l.service_id = r.service_id
CROSS JOIN (VALUES ('sms'), ('email')) AS c(channel)
WHERE a.status = 'booked'
  AND a.starts_at > %(now)s AND a.starts_at <= %(now)s + make_interval(days => %(horizon)s)
  AND a.starts_at - make_interval(mins => l.minutes_before) <= %(now)s
  AND NOT EXISTS (
    SELECT 1 FROM appointments_reminderleadtime s
    WHERE s.service_id = l.service_id AND s.minutes_before < l.minutes_before
      AND a.starts_at - make_interval(mins => s.minutes_before) <= %(now)s)
  AND CASE c.channel
    WHEN 'sms' THEN p.consent_sms_reminders AND regexp_replace(p.mobile, '[ -]', '', 'g') ~ %(mobile_re)s
    ELSE p.consent_email_reminders AND p.email ~ %(email_re)s END
  AND NOT EXISTS (
    SELECT 1 FROM appointments_reminder m
    WHERE m.appointment_id = a.id AND m.minutes_before = l.minutes_before AND m.channel = c.channel)
  {extra}
"""

# Both statements are built from constants only; every value is a parameter.
CLAIM_SQL = f"""
INSERT INTO appointments_reminder
  (id, appointment_id, minutes_before, channel, status, claimed_at, delivery_status, error)
SELECT gen_random_uuid(), due.id, due.minutes_before, due.channel, %(status)s, %(now)s, '', %(error)s
FROM ({DUE_SQL.format(extra="AND a.id = %(appointment)s")}) AS due
ON CONFLICT (appointment_id, minutes_before, channel) DO NOTHING
RETURNING id
"""  # noqa: S608


def valid_uk_mobile(value: str) -> bool:
    """A UK mobile number (07xxx xxxxxx or +44 7xxx xxxxxx), spaces and dashes ignored."""
    return bool(re.match(MOBILE_RE, re.sub(r"[ -]", "", value or "")))


def _params(now: datetime, **extra) -> dict:
    return {"now": now, "horizon": HORIZON_DAYS, "mobile_re": MOBILE_RE, "email_re": EMAIL_RE, **extra}


def due_appointment_ids(*, now: datetime) -> list[str]:
    """Ids of booked appointments with at least one reminder due and unrecorded."""
    sql = f"SELECT DISTINCT due.id FROM ({DUE_SQL.format(extra='')}) AS due"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, _params(now))
        return [str(row[0]) for row in cursor.fetchall()]


def stale_reminder_ids(*, now: datetime) -> list[str]:
    cutoff = now - timedelta(seconds=settings.REMINDER_CLAIM_STALE_SECONDS)
    return [
        str(pk)
        for pk in Reminder.objects.filter(
            status=ReminderStatus.SENDING, notify_id__isnull=True, claimed_at__lt=cutoff
        ).values_list("id", flat=True)
    ]


def reminders_sweep(*, now: datetime | None = None, queue: str | None = None) -> int:
    """Queues the send task for every appointment with a reminder due (in
    batches of REMINDER_SEND_BATCH ids) and the resume task for stale claims.
    Returns how many appointments were queued. Safe to run at any time, twice,
    or concurrently: the claim decides what is sent."""
    # By name: tasks.py imports this module (tasks call the rules, not the reverse).
    from celery import current_app

    now = now or timezone.now()
    ids = due_appointment_ids(now=now)
    batch = settings.REMINDER_SEND_BATCH
    options = {"queue": queue} if queue else {}
    for start in range(0, len(ids), batch):
        current_app.send_task("appointments.send_reminders", args=[ids[start : start + batch]], **options)
    stale = stale_reminder_ids(now=now)
    for start in range(0, len(stale), batch):
        current_app.send_task("appointments.resume_reminders", args=[stale[start : start + batch]], **options)
    return len(ids)


def _claim(appointment_id: str, *, now: datetime, configured: bool) -> list[uuid.UUID]:
    """Inserts (and commits) the due reminder rows of one appointment, with the
    appointment's row locked so a cancellation or rebooking waits or wins."""
    with transaction.atomic():
        locked = (
            Appointment.objects.select_for_update()
            .filter(pk=appointment_id, status="booked")
            .values_list("id", flat=True)
            .first()
        )
        if locked is None:
            return []
        status = ReminderStatus.SENDING if configured else ReminderStatus.NOT_CONFIGURED
        error = "" if configured else "messaging not configured"
        with connection.cursor() as cursor:
            cursor.execute(CLAIM_SQL, _params(now, appointment=locked, status=status, error=error))
            return [row[0] for row in cursor.fetchall()] if configured else []


def _personalisation(appointment: Appointment) -> dict:
    local = clock.london_wall_clock(appointment.starts_at)
    return {
        "date": f"{local:%A} {local.day} {local:%B %Y}",
        "time": f"{local:%H:%M}",
        "medium": MEDIUM_WORDS.get(appointment.medium, ""),
        "change": settings.REMINDER_CHANGE_CONTACT,
    }


def _deliver(client, reminder: Reminder) -> None:
    """Sends one claimed reminder with its id as Notify's reference and records
    Notify's id; a refusal (4xx) is recorded as failed, anything else leaves the
    claim for the resume task."""
    appointment = reminder.appointment
    patient = appointment.referral.patient
    personalisation = _personalisation(appointment)
    try:
        if reminder.channel == ReminderChannel.SMS:
            response = client.send_sms_notification(
                phone_number=re.sub(r"[ -]", "", patient.mobile),
                template_id=settings.NOTIFY_SMS_TEMPLATE_ID,
                personalisation=personalisation,
                reference=str(reminder.pk),
            )
        else:
            response = client.send_email_notification(
                email_address=patient.email,
                template_id=settings.NOTIFY_EMAIL_TEMPLATE_ID,
                personalisation=personalisation,
                reference=str(reminder.pk),
            )
    except HTTPError as exc:
        if exc.status_code and 400 <= exc.status_code < 500 and exc.status_code != 429:
            Reminder.objects.filter(pk=reminder.pk, status=ReminderStatus.SENDING).update(
                status=ReminderStatus.FAILED, error=str(exc.message)[:300]
            )
        return
    _record_sent(reminder.pk, response["id"])


def _record_sent(reminder_id, notify_id) -> None:
    Reminder.objects.filter(pk=reminder_id, status=ReminderStatus.SENDING).update(
        status=ReminderStatus.SENT, notify_id=notify_id, sent_at=timezone.now(), error=""
    )


def _claimed(ids) -> list[Reminder]:
    return list(Reminder.objects.filter(pk__in=ids).select_related("appointment__referral__patient"))


def reminders_send(*, appointment_ids: list[str], now: datetime | None = None) -> int:
    """Claims and sends the due reminders of these appointments. Returns how
    many were claimed for sending (0 when messaging is not configured: the rows
    are recorded "not sent: messaging not configured")."""
    client = notify_client()
    sent = 0
    for appointment_id in appointment_ids:
        ids = _claim(appointment_id, now=now or timezone.now(), configured=client is not None)
        for reminder in _claimed(ids):
            _deliver(client, reminder)
            sent += 1
    return sent


def reminders_resume(*, reminder_ids: list[str], now: datetime | None = None) -> int:
    """Takes over stale claims (their worker died): asks Notify whether it has
    the reminder (by reference) and records it, or sends it if Notify has none
    and the appointment is still booked and ahead."""
    client = notify_client()
    if client is None:
        return 0
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=settings.REMINDER_CLAIM_STALE_SECONDS)
    done = 0
    for reminder_id in reminder_ids:
        taken = Reminder.objects.filter(
            pk=reminder_id, status=ReminderStatus.SENDING, notify_id__isnull=True, claimed_at__lt=cutoff
        ).update(claimed_at=now)
        if not taken:
            continue  # another resumer has it, or it was recorded meanwhile
        found = client.get_all_notifications(reference=str(reminder_id)).get("notifications", [])
        if found:
            _record_sent(reminder_id, found[0]["id"])
        else:
            reminder = _claimed([reminder_id])[0]
            if reminder.appointment.status != "booked" or reminder.appointment.starts_at <= now:
                Reminder.objects.filter(pk=reminder_id).update(status=ReminderStatus.CANCELLED)
                continue
            _deliver(client, reminder)
        done += 1
    return done


def reminders_delivery_check(*, now: datetime | None = None, limit: int = 500) -> int:
    """Reads back Notify's delivery status of reminders sent in the last week
    whose status is not final, and records it on the reminder."""
    client = notify_client()
    if client is None:
        return 0
    now = now or timezone.now()
    pending = list(
        Reminder.objects.filter(status=ReminderStatus.SENT, sent_at__gte=now - timedelta(days=7))
        .exclude(delivery_status__in=FINAL_DELIVERY)
        .values_list("id", "notify_id")[:limit]
    )
    for reminder_id, notify_id in pending:
        try:
            status = client.get_notification_by_id(str(notify_id))["status"]
        except HTTPError:
            continue
        Reminder.objects.filter(pk=reminder_id).update(delivery_status=status[:30], delivery_checked_at=now)
    return len(pending)
