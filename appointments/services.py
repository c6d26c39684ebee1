"""Every write of appointments: booking, rebooking, cancelling, recording the
outcome and linking the care contact. Validated, atomic, audited
(DOMAIN.md "Appointments and messages"; issue 18)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.audit import audit_record
from accounts.models import AccessAction, Role, User
from patients.models import Referral
from sessions import services as session_services
from sessions.models import TherapySession

from . import clock
from .models import (
    ATTENDANCE_CODE,
    STATUS_OF_ATTENDANCE,
    Appointment,
    AppointmentStatus,
    ClinicTemplate,
    Reminder,
    ReminderStatus,
    WorkingHours,
)

BOOKABLE_ROLES = frozenset({Role.PWP, Role.HIT, Role.SUPERVISOR})
BOOKING_ROLES = frozenset({Role.PWP, Role.HIT, Role.SUPERVISOR, Role.SERVICE_MANAGER, Role.REFERRAL_ADMIN})
CLOCK_SKEW = timedelta(minutes=10)
DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
# Outcomes recorded without the session form: nobody was seen.
NOT_SEEN_OUTCOMES = (
    AppointmentStatus.DNA,
    AppointmentStatus.LATE_NOT_SEEN,
    AppointmentStatus.CANCELLED_BY_PATIENT,
    AppointmentStatus.CANCELLED_BY_PROVIDER,
)


def working_hours_check(*, practitioner: User, starts_at: datetime, ends_at: datetime) -> str | None:
    """None when [starts_at, ends_at) lies within one of the practitioner's
    working-hours rows for that weekday (Europe/London wall clock); otherwise the
    sentence saying why not."""
    start, end = clock.london_wall_clock(starts_at), clock.london_wall_clock(ends_at)
    weekday = start.weekday()
    rows = list(WorkingHours.objects.filter(practitioner=practitioner, weekday=weekday))
    if end.date() == start.date():
        for row in rows:
            if row.start_time <= start.time() and end.time() <= row.end_time:
                return None
    name = practitioner.get_full_name() or practitioner.username
    if not rows:
        return f"{name} has no working hours on {DAY_NAMES[weekday]}s."
    hours = ", ".join(f"{r.start_time:%H:%M}-{r.end_time:%H:%M}" for r in rows)
    return f"This is outside {name}'s working hours on {DAY_NAMES[weekday]}s ({hours})."


def _start_instant(day: date, at: time) -> datetime:
    try:
        return clock.london_instant(day, at)
    except clock.WallClockError as exc:
        raise ValidationError({"start_time": str(exc)}) from exc


def _validate_booking(
    *, user: User, referral: Referral, practitioner: User, starts_at: datetime, duration_minutes: int
) -> dict:
    errors: dict[str, list[str]] = {}
    if user.role not in BOOKING_ROLES:
        errors.setdefault("__all__", []).append("Only practitioners and referral administrators book appointments.")
    if not referral.is_open:
        errors.setdefault("__all__", []).append("This referral has ended: no new appointments can be booked.")
    if practitioner.role not in BOOKABLE_ROLES or not practitioner.is_active:
        errors.setdefault("practitioner", []).append("Choose a practitioner who sees patients.")
    elif practitioner.service_id != referral.service_id:
        errors.setdefault("practitioner", []).append("Choose a practitioner of the referral's service.")
    if starts_at < timezone.now() - CLOCK_SKEW:
        errors.setdefault("start_date", []).append("An appointment cannot be booked in the past.")
    if not (5 <= duration_minutes <= 240):
        errors.setdefault("duration_minutes", []).append("Duration must be between 5 and 240 minutes.")
    return errors


def _overlap_message(*, practitioner: User, starts_at: datetime, ends_at: datetime) -> str:
    other = (
        Appointment.objects.holding_time()
        .filter(practitioner=practitioner, starts_at__lt=ends_at, ends_at__gt=starts_at)
        .order_by("starts_at")
        .first()
    )
    name = practitioner.get_full_name() or practitioner.username
    if other is None:
        return f"{name} already has an appointment at this time."
    a, b = clock.london_wall_clock(other.starts_at), clock.london_wall_clock(other.ends_at)
    return (
        f"{name} already has an appointment from {a:%H:%M} to {b:%H:%M} on {a:%d/%m/%Y}: "
        "choose a time that does not overlap it."
    )


def _create(**fields) -> Appointment:
    """Inserts under a savepoint so the exclusion constraint's refusal becomes a
    field error, not a broken transaction."""
    try:
        with transaction.atomic():
            return Appointment.objects.create(**fields)
    except IntegrityError as exc:
        if "appointment_no_double_booking" in str(exc):
            raise ValidationError(
                {
                    "start_time": _overlap_message(
                        practitioner=fields["practitioner"], starts_at=fields["starts_at"], ends_at=fields["ends_at"]
                    )
                }
            ) from exc
        raise


# Called with each new booking inside its transaction by floors above this one
# (questionnaires: the link sent when an appointment is booked, issue 20 item 3).
BOOKED_HOOKS: list = []


@transaction.atomic
def appointment_book(
    *,
    user: User,
    referral: Referral,
    practitioner: User,
    start_date: date,
    start_time: time,
    duration_minutes: int,
    appointment_type: str,
    medium: str,
    location: str = "",
    video_link: str = "",
    outside_hours_reason: str = "",
    rebooked_from: Appointment | None = None,
) -> Appointment:
    """Books an appointment at a Europe/London wall-clock date and time.

    Refuses (ValidationError, by field): a wall-clock time that a clock change
    skips or repeats (appointments/clock.py); a time in the past; a practitioner
    outside the referral's service; a time outside the practitioner's working
    hours unless `outside_hours_reason` is given; a time overlapping another
    booking of the practitioner that still holds time (the database's exclusion
    constraint `appointment_no_double_booking` is the final word)."""
    starts_at = _start_instant(start_date, start_time)
    errors = _validate_booking(
        user=user, referral=referral, practitioner=practitioner, starts_at=starts_at, duration_minutes=duration_minutes
    )
    if errors:
        raise ValidationError(errors)
    ends_at = starts_at + timedelta(minutes=duration_minutes)
    outside = working_hours_check(practitioner=practitioner, starts_at=starts_at, ends_at=ends_at)
    outside_hours_reason = (outside_hours_reason or "").strip()
    if outside and not outside_hours_reason:
        raise ValidationError(
            {"outside_hours_reason": f"{outside} Give a reason to book outside working hours, or choose another time."}
        )
    if medium == "11" and not video_link:
        raise ValidationError({"video_link": "Give the video link for a video appointment."})
    appointment = _create(
        referral=referral,
        practitioner=practitioner,
        starts_at=starts_at,
        ends_at=ends_at,
        appointment_type=appointment_type,
        medium=medium,
        location=location,
        video_link=video_link,
        outside_hours_reason=outside_hours_reason if outside else "",
        rebooked_from=rebooked_from,
        created_by=user,
    )
    audit_record(
        user=user,
        action=AccessAction.CREATE,
        object_type="appointment",
        object_id=appointment.pk,
        patient_id=referral.patient_id,
    )
    for hook in BOOKED_HOOKS:
        hook(appointment)
    return appointment


def _locked(appointment: Appointment) -> Appointment:
    return Appointment.objects.select_for_update().select_related("referral").get(pk=appointment.pk)


def _status_saved(*, user: User, appointment: Appointment, fields: list[str]) -> Appointment:
    """Saves a booking whose status changed (the fields named, its version), cancels
    its reminders not yet sent and audits the change. Inside the caller's transaction."""
    appointment.version += 1
    appointment.save(update_fields=[*fields, "version", "updated_at"])
    _cancel_unsent_reminders(appointment)
    audit_record(
        user=user,
        action=AccessAction.UPDATE,
        object_type="appointment",
        object_id=appointment.pk,
        patient_id=appointment.referral.patient_id,
        detail={"status": appointment.status},
    )
    return appointment


def _cancel_unsent_reminders(appointment: Appointment) -> None:
    # Rows still "sending" are claims a worker holds; the sender re-reads the
    # appointment under its lock, so nothing new is claimed after this commits.
    Reminder.objects.filter(appointment=appointment, status=ReminderStatus.SENDING, notify_id__isnull=True).update(
        status=ReminderStatus.CANCELLED
    )


@transaction.atomic
def appointment_cancel(*, user: User, appointment: Appointment, by: str, reason: str = "") -> Appointment:
    """Cancels a booked appointment, by the patient (national attendance code 2)
    or the provider (code 4). Raises ValidationError if it is no longer booked."""
    status = {"patient": AppointmentStatus.CANCELLED_BY_PATIENT, "provider": AppointmentStatus.CANCELLED_BY_PROVIDER}
    if by not in status:
        raise ValidationError({"by": "Say who cancelled: the patient or the service."})
    appointment = _locked(appointment)
    if appointment.status != AppointmentStatus.BOOKED:
        raise ValidationError(f"This appointment is already {appointment.get_status_display().lower()}.")
    appointment.status = status[by]
    appointment.cancel_reason = reason.strip()
    return _status_saved(user=user, appointment=appointment, fields=["status", "cancel_reason"])


@transaction.atomic
def appointment_rebook(*, user: User, appointment: Appointment, by: str, reason: str = "", **booking) -> Appointment:
    """Moves a booked appointment to a new time: the old one becomes "rebooked"
    (asked for by the patient, code 2, or the provider, code 4) and releases its
    time, its unsent reminders are cancelled, and the new booking (validated as
    appointment_book does) gets reminders of its own."""
    if by not in ("patient", "provider"):
        raise ValidationError({"by": "Say who asked to rebook: the patient or the service."})
    old = _locked(appointment)
    if old.status != AppointmentStatus.BOOKED:
        raise ValidationError(f"This appointment is already {old.get_status_display().lower()}.")
    old.status = AppointmentStatus.REBOOKED
    old.rebooked_by = "2" if by == "patient" else "4"
    old.cancel_reason = reason.strip()
    old.version += 1
    old.save(update_fields=["status", "rebooked_by", "cancel_reason", "version", "updated_at"])
    _cancel_unsent_reminders(old)
    booking.setdefault("practitioner", old.practitioner)
    booking.setdefault("appointment_type", old.appointment_type)
    booking.setdefault("medium", old.medium)
    booking.setdefault("location", old.location)
    booking.setdefault("video_link", old.video_link)
    booking.setdefault("duration_minutes", old.duration_minutes)
    return appointment_book(user=user, referral=old.referral, rebooked_from=old, **booking)


@transaction.atomic
def appointment_session_link(*, user: User, appointment: Appointment, session: TherapySession) -> Appointment:
    """Links the care contact logged from a booking to it and sets the booking's
    outcome from the contact's national attendance code (5 attended, 6 late and
    seen, 7 late not seen, 3 DNA, 2/4 cancelled). Called in the session form's
    transaction, so both commit together or neither does."""
    appointment = _locked(appointment)
    if appointment.status != AppointmentStatus.BOOKED or appointment.session_id:
        raise ValidationError("This appointment already has its outcome recorded.")
    if session.referral_id != appointment.referral_id:
        raise ValidationError("The session belongs to another referral.")
    appointment.session = session
    appointment.status = STATUS_OF_ATTENDANCE[session.attendance]
    return _status_saved(user=user, appointment=appointment, fields=["session", "status"])


@transaction.atomic
def appointment_outcome_record(*, user: User, appointment: Appointment, status: str) -> Appointment:
    """Records that a booked appointment did not happen (did not attend, arrived
    late and not seen, or cancelled on the day) as a care contact with that
    national attendance code, linked to the booking. Its care contact counts
    in the existing supervision criteria: two DNAs in a row raise the flag
    (DOMAIN.md "Supervision"; supervision/sweep.py reads the contacts)."""
    if status not in NOT_SEEN_OUTCOMES:
        raise ValidationError({"status": "Choose did not attend, arrived late and not seen, or cancelled."})
    locked = _locked(appointment)
    if locked.status != AppointmentStatus.BOOKED:
        raise ValidationError(f"This appointment is already {locked.get_status_display().lower()}.")
    if locked.starts_at > timezone.now() + CLOCK_SKEW and status in (
        AppointmentStatus.DNA,
        AppointmentStatus.LATE_NOT_SEEN,
    ):
        raise ValidationError({"status": "An appointment that has not started yet cannot be missed."})
    session = session_services.therapy_session_record(
        user=user,
        referral=locked.referral,
        started_at=min(locked.starts_at, timezone.now()),
        appointment_type=locked.appointment_type,
        attendance=ATTENDANCE_CODE[status],
        medium=locked.medium,
        duration_minutes=None,
    )
    return appointment_session_link(user=user, appointment=locked, session=session)


@transaction.atomic
def working_hours_set(
    *, user: User, practitioner: User, weekday: int, start_time: time, end_time: time
) -> WorkingHours:
    """Adds working hours to a practitioner's week (their own, or as a manager)."""
    if user != practitioner and user.role not in (Role.SERVICE_MANAGER, Role.REFERRAL_ADMIN):
        raise ValidationError("You may set only your own working hours.")
    if not 0 <= weekday <= 6:
        raise ValidationError({"weekday": "Choose a day of the week."})
    if end_time <= start_time:
        raise ValidationError({"end_time": "The end must be after the start."})
    return WorkingHours.objects.create(
        practitioner=practitioner, weekday=weekday, start_time=start_time, end_time=end_time
    )


@transaction.atomic
def clinic_template_create(*, user: User, practitioner: User, **fields) -> ClinicTemplate:
    """Adds a repeating clinic (available slots every week) to a practitioner's diary."""
    if user != practitioner and user.role not in (Role.SERVICE_MANAGER, Role.REFERRAL_ADMIN):
        raise ValidationError("You may set only your own clinics.")
    template = ClinicTemplate(practitioner=practitioner, **fields)
    template.full_clean()
    template.save()
    return template


@transaction.atomic
def letter_send(*, user: User, referral: Referral, kind: str, appointment: Appointment | None = None):
    """Sends a letter by post as a precompiled PDF through GOV.UK Notify
    (its reference is the letter's id), or records it "not sent: messaging not
    configured". An appointment letter needs a booked appointment; a GP
    discharge letter an ended referral. Audited as an export of the record."""
    import io

    from notifications_python_client.errors import HTTPError

    from . import letters
    from .models import Letter, LetterKind
    from .notify import notify_client

    if kind == LetterKind.APPOINTMENT:
        if appointment is None or appointment.status != AppointmentStatus.BOOKED:
            raise ValidationError("Only a booked appointment has an appointment letter.")
        pdf = letters.appointment_letter_pdf(appointment)
    elif kind == LetterKind.GP_DISCHARGE:
        if referral.is_open:
            raise ValidationError("The discharge letter is written when the referral has ended.")
        pdf = letters.gp_discharge_letter_pdf(referral)
    else:
        raise ValidationError({"kind": "Choose an appointment letter or a discharge letter."})
    client = notify_client()
    letter = Letter(referral=referral, appointment=appointment, kind=kind, created_by=user)
    if client is None:
        letter.status, letter.error = ReminderStatus.NOT_CONFIGURED, "messaging not configured"
    else:
        try:
            response = client.send_precompiled_letter_notification(reference=str(letter.pk), pdf_file=io.BytesIO(pdf))
        except HTTPError as exc:
            letter.status, letter.error = ReminderStatus.FAILED, str(exc.message)[:300]
        else:
            letter.status, letter.notify_id = ReminderStatus.SENT, response["id"]
    letter.save()
    audit_record(
        user=user,
        action=AccessAction.EXPORT,
        object_type="letter",
        object_id=letter.pk,
        patient_id=referral.patient_id,
        detail={"kind": kind, "status": letter.status},
    )
    return letter
