from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q
from django.utils import timezone

from .codes import APPOINTMENT_TYPES, ATTENDANCE, CONSULTATION_MEDIUM, RISK_LEVELS, RISK_TRIGGERS, THERAPY_TYPE_CHOICES


class TherapySessionQuerySet(models.QuerySet):
    def visible_to(self, user):
        from patients.querysets import referral_access_q

        return self.filter(referral_access_q(user, prefix="referral__"))

    def attended(self):
        from .codes import ATTENDED

        return self.filter(attendance__in=ATTENDED)


class TherapySession(models.Model):
    """A care contact: one appointment with its national codes and measures."""

    # No index of its own: the unique (referral, started_at, appointment_type) below
    # serves every lookup by referral, and by referral and time.
    referral = models.ForeignKey("patients.Referral", on_delete=models.PROTECT, related_name="sessions", db_index=False)
    practitioner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="sessions")
    started_at = models.DateTimeField()
    appointment_type = models.CharField(max_length=2, choices=list(APPOINTMENT_TYPES.items()))
    attendance = models.CharField(max_length=1, choices=list(ATTENDANCE.items()))
    medium = models.CharField("consultation medium", max_length=2, choices=list(CONSULTATION_MEDIUM.items()))
    duration_minutes = models.PositiveSmallIntegerField(null=True, blank=True)
    interventions = ArrayField(models.CharField(max_length=30), default=list, blank=True)
    # IDS202 therapy type as a SNOMED CT procedure code (DOMAIN.md "The national data
    # set"; patients/national_codes.py), on each attended contact where therapy was
    # delivered; blank otherwise. Database default: bulk loads insert rows without it.
    therapy_type = models.CharField(max_length=18, choices=THERAPY_TYPE_CHOICES, blank=True, default="", db_default="")
    notes = models.TextField(blank=True)
    step = models.PositiveSmallIntegerField(null=True, blank=True)
    risk_recorded = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    version = models.PositiveIntegerField(default=1)
    idempotency_key = models.CharField(max_length=100, blank=True)

    objects = TherapySessionQuerySet.as_manager()

    class Meta:
        ordering = ["started_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(appointment_type__in=list(APPOINTMENT_TYPES)), name="session_appointment_type_code"
            ),
            models.CheckConstraint(condition=Q(attendance__in=list(ATTENDANCE)), name="session_attendance_code"),
            models.CheckConstraint(condition=Q(medium__in=list(CONSULTATION_MEDIUM)), name="session_medium_code"),
            models.CheckConstraint(
                condition=Q(duration_minutes__isnull=True) | Q(duration_minutes__lte=240),
                name="session_duration_range",
            ),
            models.UniqueConstraint(
                fields=["created_by", "idempotency_key"],
                condition=~Q(idempotency_key=""),
                name="session_unique_idempotency_key",
            ),
            # One care contact per referral, start time and appointment type (issue 14
            # item 1): a double submit, a retried API call or an import cannot record
            # a contact twice (a duplicate would count as a second treatment appointment).
            models.UniqueConstraint(
                fields=["referral", "started_at", "appointment_type"],
                name="session_unique_contact",
                violation_error_message="This contact is already recorded: same referral, time and appointment type.",
            ),
        ]

    def __str__(self):
        return f"{self.get_appointment_type_display()} on {timezone.localtime(self.started_at):%d/%m/%Y %H:%M}"

    @property
    def intervention_labels(self) -> list[str]:
        from stepped_care.decision_support import LABELS

        return [LABELS.get(code, code) for code in self.interventions]


class ReportedBy(models.TextChoices):
    """Whose report a score is (DOMAIN.md "Patients taking part")."""

    CLINICIAN = "clinician", "Clinician (taken or confirmed in a contact)"
    PATIENT = "patient", "Patient (completed before the appointment, not yet confirmed)"


class CompletionChannel(models.TextChoices):
    """How a score outside a contact was completed (IDS606: the data set dates and
    times it; the channel is kept for the record and the confirmation)."""

    PATIENT_ONLINE = "patient_online", "Completed by the patient online (questionnaire link)"
    CLINICIAN = "clinician", "Entered by a clinician outside a contact"


def counting_scores_sql(alias: str = "m") -> str:
    """The SQL condition for a score that counts in outcomes, caseness, flags and
    feedback: the clinician's (a session's, or a referral-level score a
    clinician entered). A patient's pre-appointment answers count only through
    the session score the practitioner confirms from them, never by themselves
    (docs/decisions/027-questionnaires.md, DOMAIN.md "Patients taking part")."""
    return f"{alias}.reported_by = '{ReportedBy.CLINICIAN.value}'"


class MeasureScoreQuerySet(models.QuerySet):
    def counting(self):
        """Scores that count (see counting_scores_sql)."""
        return self.filter(reported_by=ReportedBy.CLINICIAN)

    def awaiting_confirmation(self):
        """A patient's pre-appointment answers not yet confirmed in a session."""
        return self.filter(reported_by=ReportedBy.PATIENT, session__isnull=True, confirmed_as__isnull=True)


class MeasureScore(models.Model):
    """One measure, item by item: taken at a session (IDS607), or outside a
    contact (IDS606: no session, its referral, completion date-time and
    channel). Totals, bands and caseness are computed by the server
    (sessions/measures.py); database checks hold the ranges (migration 0002).
    An incomplete measure has no total, never zeros."""

    # Neither key has an index of its own: the unique (session, instrument) and
    # the (referral, instrument, taken_at) index lead with them (bench: fewer
    # indexes to keep on every session logged and to build after a bulk load).
    session = models.ForeignKey(
        TherapySession, null=True, blank=True, on_delete=models.CASCADE, related_name="measures", db_index=False
    )
    # The score's referral: the session's (denormalised so outcome reports read one
    # table), or the referral a score outside a contact belongs to.
    referral = models.ForeignKey(
        "patients.Referral", on_delete=models.PROTECT, related_name="measure_scores", db_index=False
    )
    taken_at = models.DateTimeField()
    instrument = models.CharField(max_length=10)
    items = ArrayField(models.SmallIntegerField(null=True))
    total = models.DecimalField(max_digits=6, decimal_places=2, null=True, blank=True)
    band = models.CharField(max_length=40, blank=True)
    caseness = models.BooleanField(null=True)
    complete = models.BooleanField()
    # WSAS item 1 "not applicable: not in work": the item is stored null and the
    # total is of items 2-5, out of 32 (sessions/measures.py, DOMAIN.md "Measures").
    not_in_work = models.BooleanField(default=False, db_default=False)  # raw loaders (bench) need not know it
    reference_version = models.CharField(max_length=20)
    # IDS606 (a score outside a contact): when and how it was completed. taken_at
    # equals completed_at for such a score, so every reader orders by taken_at.
    completed_at = models.DateTimeField(null=True, blank=True)
    completion_channel = models.CharField(
        max_length=20, choices=CompletionChannel.choices, blank=True, default="", db_default=""
    )
    reported_by = models.CharField(
        max_length=10, choices=ReportedBy.choices, default=ReportedBy.CLINICIAN, db_default=ReportedBy.CLINICIAN
    )
    # A patient's pre-appointment answers, once the practitioner confirmed them:
    # the session's score they became (so they are never counted twice).
    confirmed_as = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="confirmed_from"
    )

    objects = MeasureScoreQuerySet.as_manager()

    class Meta:
        ordering = ["taken_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(session__isnull=False)
                | Q(completed_at__isnull=False, taken_at=models.F("completed_at")) & ~Q(completion_channel=""),
                name="measure_in_session_or_completed_outside",
            ),
            models.CheckConstraint(
                condition=Q(reported_by=ReportedBy.CLINICIAN) | Q(session__isnull=True),
                name="measure_patient_reported_outside_contact",
            ),
            models.UniqueConstraint(fields=["session", "instrument"], name="measure_one_per_session_instrument"),
            models.CheckConstraint(
                condition=Q(complete=False, total__isnull=True) | Q(complete=True), name="measure_incomplete_no_total"
            ),
            models.CheckConstraint(
                condition=Q(not_in_work=False) | Q(instrument="WSAS", items__0__isnull=True),
                name="measure_not_in_work_is_wsas_item_1",
            ),
        ]
        indexes = [
            models.Index(fields=["referral", "instrument", "taken_at"]),
            # The session form's prefill: a referral's answers awaiting confirmation.
            models.Index(
                fields=["referral", "taken_at"],
                condition=Q(reported_by=ReportedBy.PATIENT, confirmed_as__isnull=True),
                name="measure_awaiting_confirmation",
            ),
        ]

    def __str__(self):
        if self.total is None:
            return f"{self.instrument} incomplete"
        return f"{self.instrument} {self.total}" + (" of 32 (not in work)" if self.not_in_work else "")

    @property
    def out_of(self):
        """The most the total can be: 32 for a WSAS not in work, else the instrument's maximum."""
        from .measures import INSTRUMENTS, WSAS_NOT_IN_WORK_OUT_OF

        if self.not_in_work:
            return WSAS_NOT_IN_WORK_OUT_OF
        instrument = INSTRUMENTS.get(self.instrument)
        return None if instrument is None or instrument.scoring == "items" else instrument.max_total


class RiskAssessment(models.Model):
    """A risk assessment or risk event: its own record, on the record and caseload."""

    referral = models.ForeignKey("patients.Referral", on_delete=models.PROTECT, related_name="risk_assessments")
    session = models.ForeignKey(
        TherapySession, null=True, blank=True, on_delete=models.PROTECT, related_name="risk_assessments"
    )
    recorded_at = models.DateTimeField(default=timezone.now)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    trigger = models.CharField(max_length=20, choices=list(RISK_TRIGGERS.items()))
    risk_to_self = models.CharField(max_length=10, choices=list(RISK_LEVELS.items()))
    risk_to_others = models.CharField(max_length=10, choices=list(RISK_LEVELS.items()))
    risk_from_others = models.CharField(max_length=10, choices=list(RISK_LEVELS.items()))
    level = models.CharField("overall level", max_length=10, choices=list(RISK_LEVELS.items()))
    plan = models.TextField("safety plan")
    actions = models.TextField(blank=True)

    class Meta:
        ordering = ["-recorded_at"]
        indexes = [models.Index(fields=["referral", "recorded_at"])]

    def __str__(self):
        return f"Risk {self.level} on {timezone.localtime(self.recorded_at):%d/%m/%Y}"


class Amendment(models.Model):
    """An ended referral is read-only; a correction is recorded beside it, with
    its reason, never written over the original."""

    referral = models.ForeignKey("patients.Referral", on_delete=models.PROTECT, related_name="amendments")
    text = models.TextField()
    reason = models.CharField(max_length=1000)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["recorded_at"]

    def __str__(self):
        return f"Amendment {timezone.localtime(self.recorded_at):%d/%m/%Y}"


class SessionDraft(models.Model):
    """What a practitioner has typed into a session or assessment form and not
    yet saved (issue 15: no typed word lost). One per user, referral and form;
    it records no session. It holds clinical text, so it is read and written
    only by the practitioner through the same access rules as the record,
    audited, removed when the session is saved or the draft discarded, and
    purged after DRAFT_RETENTION_DAYS (manage.py purge_records)."""

    KINDS = [("session", "Session"), ("assessment", "Assessment")]

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    referral = models.ForeignKey("patients.Referral", on_delete=models.PROTECT, related_name="session_drafts")
    kind = models.CharField(max_length=20, choices=KINDS)
    data = models.JSONField(default=dict)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "referral", "kind"], name="sessiondraft_one_per_user_form"),
        ]
        indexes = [models.Index(fields=["updated_at"], name="sessiondraft_updated_idx")]

    def __str__(self):
        return f"Draft {timezone.localtime(self.updated_at):%d/%m/%Y %H:%M}"
