"""Appointments (bookings), a practitioner's working hours and clinic templates,
the service's reminder lead times and one row per reminder sent or not sent.

National codes (DOMAIN.md "Referrals and their codes"): the appointment type and
consultation medium of a care contact; the attendance code applies to the booking."""

import uuid

from django.conf import settings
from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import DateTimeRangeField, RangeOperators
from django.db import models
from django.db.models import F, Func, Q
from django.utils import timezone

from sessions.codes import APPOINTMENT_TYPES, CONSULTATION_MEDIUM


class TsTzRange(Func):
    function = "TSTZRANGE"
    output_field = DateTimeRangeField()


class AppointmentStatus(models.TextChoices):
    BOOKED = "booked", "Booked"
    ATTENDED = "attended", "Attended on time"
    LATE_SEEN = "late_seen", "Arrived late and was seen"
    LATE_NOT_SEEN = "late_not_seen", "Arrived late and could not be seen"
    DNA = "dna", "Did not attend"
    CANCELLED_BY_PATIENT = "cancelled_patient", "Cancelled by the patient"
    CANCELLED_BY_PROVIDER = "cancelled_provider", "Cancelled by the provider"
    REBOOKED = "rebooked", "Rebooked"


# The national attendance code (AttendOrDNACode, IDS201) of each outcome.
ATTENDANCE_CODE = {
    AppointmentStatus.ATTENDED: "5",
    AppointmentStatus.LATE_SEEN: "6",
    AppointmentStatus.LATE_NOT_SEEN: "7",
    AppointmentStatus.DNA: "3",
    AppointmentStatus.CANCELLED_BY_PATIENT: "2",
    AppointmentStatus.CANCELLED_BY_PROVIDER: "4",
}
STATUS_OF_ATTENDANCE = {code: status for status, code in ATTENDANCE_CODE.items()}
# Bookings that no longer hold the practitioner's time.
RELEASED = (
    AppointmentStatus.CANCELLED_BY_PATIENT,
    AppointmentStatus.CANCELLED_BY_PROVIDER,
    AppointmentStatus.REBOOKED,
)


class AppointmentQuerySet(models.QuerySet):
    def visible_to(self, user):
        from patients.querysets import referral_access_q

        return self.filter(referral_access_q(user, prefix="referral__"))

    def holding_time(self):
        return self.exclude(status__in=RELEASED)

    def overlapping(self, *, practitioner, start, end):
        """A practitioner's appointments overlapping [start, end), read through
        the exclusion constraint's GiST index (practitioner, tstzrange)."""
        from psycopg2.extras import DateTimeTZRange

        return self.alias(span=TsTzRange("starts_at", "ends_at")).filter(
            practitioner=practitioner, span__overlap=DateTimeTZRange(start, end, "[)")
        )


class Appointment(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    referral = models.ForeignKey("patients.Referral", on_delete=models.PROTECT, related_name="appointments")
    practitioner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="appointments")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    appointment_type = models.CharField(max_length=2, choices=list(APPOINTMENT_TYPES.items()))
    medium = models.CharField("consultation medium", max_length=2, choices=list(CONSULTATION_MEDIUM.items()))
    location = models.CharField(max_length=200, blank=True)
    video_link = models.URLField(blank=True)
    status = models.CharField(max_length=20, choices=AppointmentStatus.choices, default=AppointmentStatus.BOOKED)
    outside_hours_reason = models.CharField(max_length=300, blank=True)
    cancel_reason = models.CharField(max_length=300, blank=True)
    # Who asked for a rebooking (national attendance code 2 patient, 4 provider).
    rebooked_by = models.CharField(max_length=1, blank=True, choices=[("2", "The patient"), ("4", "The provider")])
    rebooked_from = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="rebooked_as"
    )
    session = models.OneToOneField(
        "therapy_sessions.TherapySession", null=True, blank=True, on_delete=models.PROTECT, related_name="appointment"
    )
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)
    version = models.PositiveIntegerField(default=1)

    objects = AppointmentQuerySet.as_manager()

    class Meta:
        ordering = ["starts_at"]
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="appointment_ends_after_start"),
            models.CheckConstraint(
                condition=Q(appointment_type__in=list(APPOINTMENT_TYPES)), name="appointment_type_code"
            ),
            models.CheckConstraint(condition=Q(medium__in=list(CONSULTATION_MEDIUM)), name="appointment_medium_code"),
            models.CheckConstraint(condition=Q(status__in=AppointmentStatus.values), name="appointment_status_known"),
            # No double booking of a practitioner (btree_gist: equality on the
            # practitioner with overlap of the time range, in one GiST index).
            ExclusionConstraint(
                name="appointment_no_double_booking",
                expressions=[
                    ("practitioner", RangeOperators.EQUAL),
                    (TsTzRange("starts_at", "ends_at"), RangeOperators.OVERLAPS),
                ],
                condition=~Q(status__in=[s.value for s in RELEASED]),
            ),
        ]
        indexes = [
            models.Index(fields=["referral", "starts_at"]),
            # The reminder sweep reads booked appointments starting soon.
            models.Index(fields=["starts_at"], condition=Q(status="booked"), name="appointment_booked_start_idx"),
        ]

    def __str__(self):
        return f"{self.get_appointment_type_display()} at {timezone.localtime(self.starts_at):%d/%m/%Y %H:%M}"

    @property
    def duration_minutes(self) -> int:
        return int((self.ends_at - self.starts_at).total_seconds() // 60)

    @property
    def attendance_code(self) -> str:
        return ATTENDANCE_CODE.get(self.status, "")

    @property
    def is_booked(self) -> bool:
        return self.status == AppointmentStatus.BOOKED


class WorkingHours(models.Model):
    """A practitioner's working hours on a weekday (0 Monday .. 6 Sunday), as
    Europe/London wall-clock times; several rows make a split day."""

    practitioner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="working_hours")
    weekday = models.PositiveSmallIntegerField()
    start_time = models.TimeField()
    end_time = models.TimeField()

    class Meta:
        ordering = ["practitioner", "weekday", "start_time"]
        constraints = [
            models.CheckConstraint(condition=Q(weekday__lte=6), name="working_hours_weekday"),
            models.CheckConstraint(condition=Q(end_time__gt=F("start_time")), name="working_hours_end_after_start"),
        ]

    def __str__(self):
        return f"{self.weekday}: {self.start_time:%H:%M}-{self.end_time:%H:%M}"


class ClinicTemplate(models.Model):
    """A practitioner's repeating available slots: every week on `weekday`, from
    `start_time`, `slot_count` slots of `slot_minutes` (wall-clock times)."""

    practitioner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="clinic_templates"
    )
    name = models.CharField(max_length=100)
    weekday = models.PositiveSmallIntegerField()
    start_time = models.TimeField()
    slot_minutes = models.PositiveSmallIntegerField(default=30)
    slot_count = models.PositiveSmallIntegerField(default=1)
    appointment_type = models.CharField(max_length=2, choices=list(APPOINTMENT_TYPES.items()), default="02")
    medium = models.CharField(max_length=2, choices=list(CONSULTATION_MEDIUM.items()), default="02")
    valid_from = models.DateField()
    valid_until = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["practitioner", "weekday", "start_time"]
        constraints = [
            models.CheckConstraint(condition=Q(weekday__lte=6), name="clinic_template_weekday"),
            models.CheckConstraint(
                condition=Q(slot_minutes__gte=5, slot_minutes__lte=240, slot_count__gte=1, slot_count__lte=48),
                name="clinic_template_slots_range",
            ),
        ]

    def __str__(self):
        return self.name


class ReminderChannel(models.TextChoices):
    SMS = "sms", "Text message"
    EMAIL = "email", "Email"


class ReminderLeadTime(models.Model):
    """A lead time the service sets: reminders go this many minutes before the
    appointment, by every channel the patient consented to."""

    service = models.ForeignKey("accounts.Service", on_delete=models.CASCADE, related_name="reminder_lead_times")
    minutes_before = models.PositiveIntegerField()

    class Meta:
        ordering = ["service", "-minutes_before"]
        constraints = [
            models.UniqueConstraint(fields=["service", "minutes_before"], name="reminder_lead_unique"),
            models.CheckConstraint(
                condition=Q(minutes_before__gte=15, minutes_before__lte=14 * 24 * 60), name="reminder_lead_range"
            ),
        ]

    def __str__(self):
        return f"{self.minutes_before} minutes before"


class ReminderStatus(models.TextChoices):
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent to GOV.UK Notify"
    NOT_CONFIGURED = "not_configured", "Not sent: messaging not configured"
    FAILED = "failed", "Not sent: refused by GOV.UK Notify"
    CANCELLED = "cancelled", "Cancelled: the appointment changed"


class Reminder(models.Model):
    """One reminder of one appointment at one lead time by one channel. The
    unique row is the claim: it is committed before the message goes to Notify,
    so a retry, a restarted worker or a second sweep never sends it twice
    (decision 018)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    appointment = models.ForeignKey(Appointment, on_delete=models.CASCADE, related_name="reminders")
    minutes_before = models.PositiveIntegerField()
    channel = models.CharField(max_length=10, choices=ReminderChannel.choices)
    status = models.CharField(max_length=20, choices=ReminderStatus.choices, default=ReminderStatus.SENDING)
    claimed_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    notify_id = models.UUIDField(null=True, blank=True)
    delivery_status = models.CharField(max_length=30, blank=True)
    delivery_checked_at = models.DateTimeField(null=True, blank=True)
    error = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["appointment", "-minutes_before", "channel"]
        constraints = [
            models.UniqueConstraint(
                fields=["appointment", "minutes_before", "channel"], name="reminder_once_per_lead_and_channel"
            ),
        ]
        indexes = [
            models.Index(fields=["claimed_at"], condition=Q(status="sending"), name="reminder_sending_idx"),
        ]

    def __str__(self):
        return f"{self.get_channel_display()} {self.minutes_before} min before: {self.get_status_display()}"


class LetterKind(models.TextChoices):
    APPOINTMENT = "appointment", "Appointment letter"
    GP_DISCHARGE = "gp_discharge", "Discharge letter to the GP"


class Letter(models.Model):
    """A letter sent by post through GOV.UK Notify (a precompiled PDF), or
    recorded as not sent when messaging is not configured."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    referral = models.ForeignKey("patients.Referral", on_delete=models.PROTECT, related_name="letters")
    appointment = models.ForeignKey(
        Appointment, null=True, blank=True, on_delete=models.PROTECT, related_name="letters"
    )
    kind = models.CharField(max_length=20, choices=LetterKind.choices)
    status = models.CharField(max_length=20, choices=ReminderStatus.choices)
    notify_id = models.UUIDField(null=True, blank=True)
    error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.get_kind_display()}: {self.get_status_display()}"


class CalendarFeed(models.Model):
    """A practitioner's secret iCalendar feed of their own diary. Only a hash
    of the secret is kept; revoking (or making a new one) ends the old URL."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feed")
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return f"Calendar feed of {self.user}"
