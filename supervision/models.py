from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q
from django.utils import timezone


class FlagReason(models.TextChoices):
    """What brings a case to supervision (DOMAIN.md "Supervision")."""

    RISK = "risk", "Risk"
    OVERDUE_REVIEW = "overdue_review", "Not reviewed in 28 days"
    AWAITING_STEP = "awaiting_step", "New assessment awaiting a step decision"
    NO_IMPROVEMENT = "no_improvement", "No reliable improvement after 4 treatment sessions"
    DETERIORATION = "deterioration", "Reliable deterioration"
    DNA = "dna", "Two DNAs in a row"
    STEP_CHANGE = "step_change", "Proposed step change or discharge"
    PWP_REQUEST = "pwp_request", "PWP asks for supervision"
    NOT_ON_TRACK = "not_on_track", "Not on track against the expected course of recovery"


# Risk first, then not on track (issue 21: after risk, before overdue), then the
# overdue review, then the clinical criteria.
REASON_PRIORITY = {
    FlagReason.RISK: 0,
    FlagReason.NOT_ON_TRACK: 1,
    FlagReason.OVERDUE_REVIEW: 2,
    FlagReason.PWP_REQUEST: 3,
    FlagReason.DETERIORATION: 3,
    FlagReason.STEP_CHANGE: 3,
    FlagReason.AWAITING_STEP: 3,
    FlagReason.NO_IMPROVEMENT: 4,
    FlagReason.DNA: 4,
}


class Decision(models.TextChoices):
    """The decisions a supervisor records per case (DOMAIN.md "Supervision")."""

    CONTINUE = "continue", "Continue"
    CHANGE_INTERVENTION = "change_intervention", "Change intervention"
    STEP_UP = "step_up", "Step up to step 3"
    DISCHARGE = "discharge", "Step down or discharge"
    SIGNPOST = "signpost", "Signpost or refer on"
    RISK_ACTION = "risk_action", "Risk action"


class TrackDecision(models.TextChoices):
    """What the review of a not-on-track case decided about it (issue 21 item 3;
    Delgadillo et al. 2018: feedback helps when the case is discussed and acted on)."""

    CONTINUE_WITH_CHANGE = "continue_with_change", "Continue, with a change to the treatment"
    STEP_UP = "step_up", "Step up"
    ADDRESS_OBSTACLE = "address_obstacle", "Address an obstacle to progress"
    OTHER = "other", "Other (say what in the notes)"


class TrackObstacle(models.TextChoices):
    """The obstacle a not-on-track review names, when it decides to address one: a
    short list of the usual reasons a low-intensity course stalls; "other" is said
    in the notes. Our list, for clinical review (docs/decisions/021)."""

    ENGAGEMENT = "engagement", "Engagement or motivation (sessions, between-session work)"
    ALLIANCE = "alliance", "The working relationship with the practitioner"
    LIFE_EVENTS = "life_events", "Life events or social circumstances"
    OTHER_PROBLEM = "other_problem", "Another problem (physical health, substances, a second disorder)"
    OTHER = "other", "Other (say what in the notes)"


class SupervisionSession(models.Model):
    """Case-management supervision: weekly, one hour, one to one."""

    supervisor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    supervisee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="case_management_sessions"
    )
    started_at = models.DateTimeField(default=timezone.now)
    duration_minutes = models.PositiveSmallIntegerField(default=60)
    agenda = ArrayField(models.UUIDField(), default=list, blank=True, help_text="Referral ids, in order")
    # The clock: minutes allotted to each agenda case, in the agenda's order (issue 16).
    # Cases past the session's length are carried to the next session.
    agenda_minutes = ArrayField(models.PositiveSmallIntegerField(), default=list, blank=True)
    notes = models.TextField(blank=True)

    class Meta:
        ordering = ["-started_at"]
        indexes = [models.Index(fields=["supervisee", "started_at"])]

    def __str__(self):
        return f"Case-management supervision {timezone.localtime(self.started_at):%d/%m/%Y}"


class CaseReview(models.Model):
    referral = models.ForeignKey("patients.Referral", on_delete=models.PROTECT, related_name="case_reviews")
    session = models.ForeignKey(
        SupervisionSession, null=True, blank=True, on_delete=models.PROTECT, related_name="reviews"
    )
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reviewed_at = models.DateTimeField(default=timezone.now)
    decisions = ArrayField(models.CharField(max_length=30, choices=Decision.choices))
    notes = models.TextField(blank=True)
    next_review_on = models.DateField()
    risk_action = models.TextField(blank=True)
    risk_action_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    risk_action_due = models.DateField(null=True, blank=True)
    end_code = models.CharField(max_length=2, blank=True)
    # Issue 21 item 3: required when the case had an open not-on-track flag.
    # db_default: bulk loaders (bench/synthetic.py) insert reviews in SQL without them.
    track_decision = models.CharField(max_length=24, choices=TrackDecision.choices, blank=True, db_default="")
    track_obstacle = models.CharField(max_length=16, choices=TrackObstacle.choices, blank=True, db_default="")

    class Meta:
        ordering = ["-reviewed_at"]
        indexes = [models.Index(fields=["referral", "reviewed_at"])]
        constraints = [
            models.CheckConstraint(condition=~Q(decisions=[]), name="review_has_a_decision"),
        ]

    def __str__(self):
        return f"Review {timezone.localtime(self.reviewed_at):%d/%m/%Y}"


class Flag(models.Model):
    referral = models.ForeignKey("patients.Referral", on_delete=models.PROTECT, related_name="flags")
    reason = models.CharField(max_length=20, choices=FlagReason.choices)
    raised_at = models.DateTimeField(default=timezone.now)
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    detail = models.TextField(blank=True, help_text="The PWP's question, for a request")
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by_review = models.ForeignKey(
        CaseReview, null=True, blank=True, on_delete=models.PROTECT, related_name="resolved_flags"
    )

    class Meta:
        ordering = ["raised_at"]
        constraints = [
            # At most one open flag per case and reason: the sweep relies on it (ON CONFLICT).
            models.UniqueConstraint(
                fields=["referral", "reason"], condition=Q(resolved_at__isnull=True), name="flag_one_open_per_reason"
            ),
            models.CheckConstraint(
                condition=Q(resolved_by_review__isnull=True) | Q(resolved_at__isnull=False),
                name="flag_resolved_by_review_has_time",
            ),
        ]
        indexes = [models.Index(fields=["referral"], condition=Q(resolved_at__isnull=True), name="flag_open_idx")]

    def __str__(self):
        return f"{self.get_reason_display()} ({'open' if self.resolved_at is None else 'resolved'})"


class ClinicalSkillsSupervision(models.Model):
    """Clinical-skills supervision: one hour a fortnight, individual or group; logged for compliance."""

    FORMATS = [("individual", "Individual"), ("group", "Group")]
    supervisor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    attendees = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="clinical_skills_sessions")
    held_on = models.DateField()
    format = models.CharField(max_length=10, choices=FORMATS)
    duration_minutes = models.PositiveSmallIntegerField(default=60)
    topics = models.TextField(blank=True)

    class Meta:
        ordering = ["-held_on"]

    def __str__(self):
        return f"Clinical-skills supervision {self.held_on:%d/%m/%Y}"


class NotificationKind(models.TextChoices):
    """What a notification asks of its reader; it chooses the email's words and
    where the notification's link goes (never any patient detail in either)."""

    SUPERVISION = "supervision", "A case needs case-management supervision"
    PATIENT_RISK = "patient_risk", "A patient's answer before their appointment needs a clinician today"
    URGENT_SELF_REFERRAL = "urgent_self_referral", "An urgent self-referral is waiting"


class Notification(models.Model):
    """In-app notice; sent once per flag and recipient (the unique constraint holds it)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    flag = models.ForeignKey(Flag, null=True, blank=True, on_delete=models.CASCADE, related_name="notifications")
    # db_default: the sweep's own INSERT (sweep.py) names no kind: a case for supervision
    kind = models.CharField(
        max_length=24,
        choices=NotificationKind.choices,
        default=NotificationKind.SUPERVISION,
        db_default=NotificationKind.SUPERVISION,
    )
    message = models.CharField(max_length=300)
    created_at = models.DateTimeField(default=timezone.now)
    emailed_at = models.DateTimeField(null=True, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [models.UniqueConstraint(fields=["flag", "user"], name="notification_once_per_flag_user")]
        # The email sweep (supervision/sweep.py email_notifications_due) reads only the unsent.
        indexes = [
            models.Index(fields=["created_at"], condition=Q(emailed_at__isnull=True), name="notification_email_due_idx")
        ]

    def __str__(self):
        return self.message


class SweepQueue(models.Model):
    """Cases with new evidence since the hourly sweep last committed (supervision/sweep.py).

    Filled by statement-level triggers (migration 0002_perf_sweep_queue) on every table
    whose rows the criteria read, in the writer's own transaction: an entry exists only
    once its evidence is committed, and the sweep deletes exactly the entries its
    snapshot sees, so evidence committed during a sweep waits for the next one. No
    foreign key and no unique index, so writers never wait on a running sweep.
    """

    referral_id = models.UUIDField()

    def __str__(self):
        return f"queued case {self.referral_id}"


class DutyWorker(models.Model):
    """The clinician on duty for a service: told at once of a risk answer from a
    patient, on the self-referral form or a questionnaire before an appointment
    (DOMAIN.md "Patients taking part": it reaches a clinician the same day;
    supervision/duty.py says who is told when none is set). One per service,
    kept by the system administrator in the admin; a clinician of that service."""

    service = models.OneToOneField("accounts.Service", on_delete=models.CASCADE, related_name="duty_worker")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    def __str__(self):
        return f"Duty worker of {self.service}"

    def clean(self):
        from django.core.exceptions import ValidationError

        from accounts.models import CLINICAL_ROLES

        user = self.user if self.user_id else None
        if user is not None and (
            user.service_id != self.service_id or user.role not in CLINICAL_ROLES or not user.is_active
        ):
            raise ValidationError({"user": "The duty worker is an active clinician of this service."})
