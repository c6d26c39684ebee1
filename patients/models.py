import uuid
from datetime import date

from django.contrib.postgres.fields import ArrayField
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.db.models.functions import Coalesce

from accounts.models import Service, Team, User

from . import nhs_number
from .codes import (
    EMPLOYMENT_STATUS_CHOICES,
    GENDER_IDENTITY_CHOICES,
    LONG_TERM_CONDITION_CHOICES,
    PREFERRED_LANGUAGE_CHOICES,
    EndCode,
    Ethnicity,
    PresentingProblemType,
    ProblemDescriptor,
    ReferralSource,
    ReferralStatus,
    Sex,
)
from .querysets import PatientQuerySet, ReferralQuerySet


class NameKey(models.Func):
    """The case- and accent-insensitive search key of a name: the SQL function
    patient_name_key (lower(unaccent(name)), declared IMMUTABLE so it can be
    indexed; patients/migrations/0003_patient_name_search.py)."""

    function = "patient_name_key"
    output_field = models.TextField()


def validate_nhs_number(value: str) -> None:
    if not nhs_number.is_valid(value):
        raise ValidationError(
            "This is not a valid NHS number: it must be 10 digits and pass the modulus 11 check.",
            code="invalid_nhs_number",
        )


def validate_uk_mobile(value: str) -> None:
    """A UK mobile number, 07xxx xxxxxx or +44 7xxx xxxxxx (spaces and dashes
    ignored): where text message reminders can go (issue 18)."""
    import re

    if value and not re.fullmatch(r"(\+447|07)[0-9]{9}", re.sub(r"[ -]", "", value)):
        raise ValidationError("Enter a UK mobile number, such as 07700 900123.", code="invalid_mobile")


class Patient(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="patients")
    nhs_number = models.CharField("NHS number", max_length=10, validators=[validate_nhs_number])
    given_name = models.CharField(max_length=100)
    family_name = models.CharField(max_length=100)
    date_of_birth = models.DateField()
    sex = models.CharField(max_length=2, choices=Sex.choices)
    # The national data set's codes (DOMAIN.md "The national data set", IDS001/IDS004/
    # IDS602; patients/national_codes.py), each blank where the data set permits it.
    # Database defaults too: bulk loads (bench/synthetic.py) insert rows without them.
    gender_identity = models.CharField(max_length=1, choices=GENDER_IDENTITY_CHOICES, blank=True)
    gender_identity_described = models.CharField(
        "gender identity in the patient's own words", max_length=100, blank=True, default="", db_default=""
    )
    ethnicity = models.CharField(max_length=2, choices=Ethnicity.choices, default=Ethnicity.NOT_STATED)
    phone = models.CharField(max_length=20, blank=True)
    email = models.EmailField(blank=True)
    address = models.CharField(max_length=300, blank=True)
    postcode = models.CharField(max_length=10, blank=True)
    contact_preferences = ArrayField(models.CharField(max_length=20), default=list, blank=True)
    consent_to_contact = models.BooleanField(default=False)
    consent_to_leave_messages = models.BooleanField(default=False)
    # Appointment reminders (issue 18): a UK mobile number and consent per channel.
    # Database defaults too: bulk loads (bench/synthetic.py) insert rows without them.
    mobile = models.CharField(
        "mobile number", max_length=20, blank=True, default="", db_default="", validators=[validate_uk_mobile]
    )
    consent_sms_reminders = models.BooleanField("consents to text message reminders", default=False, db_default=False)
    consent_email_reminders = models.BooleanField("consents to email reminders", default=False, db_default=False)
    preferred_language = models.CharField(
        max_length=4, choices=PREFERRED_LANGUAGE_CHOICES, blank=True, default="", db_default=""
    )
    interpreter_required = models.BooleanField(default=False, db_default=False)
    employment_status = models.CharField(
        max_length=2, choices=EMPLOYMENT_STATUS_CHOICES, blank=True, default="", db_default=""
    )
    employment_status_recorded_on = models.DateField(null=True, blank=True)
    long_term_conditions = ArrayField(
        models.CharField(max_length=18, choices=LONG_TERM_CONDITION_CHOICES),
        default=list,
        blank=True,
        db_default=models.Value([], output_field=ArrayField(models.CharField(max_length=18))),
        help_text="Long-term physical health conditions (SNOMED CT)",
    )
    gp_practice_code = models.CharField("GP practice ODS code", max_length=10, blank=True)
    gp_practice_name = models.CharField("GP practice", max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    version = models.PositiveIntegerField(default=1)

    objects = PatientQuerySet.as_manager()

    class Meta:
        ordering = ["family_name", "given_name"]
        constraints = [
            models.UniqueConstraint(fields=["service", "nhs_number"], name="patient_unique_nhs_number_per_service"),
            models.CheckConstraint(condition=Q(nhs_number__regex=r"^[0-9]{10}$"), name="patient_nhs_number_digits"),
        ]
        # Find a patient by family name, whatever the case, accents or apostrophe typed.
        indexes = [models.Index(NameKey("family_name"), name="patient_family_name_key_idx")]

    def __str__(self):
        return f"{self.given_name} {self.family_name}"

    @property
    def full_name(self) -> str:
        return f"{self.given_name} {self.family_name}"

    @property
    def nhs_number_display(self) -> str:
        n = self.nhs_number
        return f"{n[:3]} {n[3:6]} {n[6:]}"

    @property
    def long_term_condition_labels(self) -> list[str]:
        labels = dict(LONG_TERM_CONDITION_CHOICES)
        return [labels.get(code, code) for code in self.long_term_conditions]

    def age_on(self, on: date) -> int:
        dob = self.date_of_birth
        return on.year - dob.year - ((on.month, on.day) < (dob.month, dob.day))


class Referral(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="referrals")
    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="referrals")
    team = models.ForeignKey(Team, null=True, blank=True, on_delete=models.PROTECT, related_name="referrals")
    source = models.CharField(max_length=20, choices=ReferralSource.choices)  # SourceOfReferralIAPT
    # The local source the referral was registered with where migration 0006 could only
    # give the nearest national code (decision 022): kept, and listed by the validation
    # report, until someone records the exact source (which clears it).
    source_recorded_as = models.CharField(max_length=20, blank=True, default="", db_default="")
    received_on = models.DateField()
    problem_descriptor = models.CharField(max_length=5, choices=ProblemDescriptor.choices, blank=True)
    status = models.CharField(max_length=20, choices=ReferralStatus.choices, default=ReferralStatus.RECEIVED)
    current_step = models.PositiveSmallIntegerField(null=True, blank=True)
    assigned_practitioner = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="caseload"
    )
    # Dates the session services keep, so waits and reviews are read without
    # aggregating sessions (the truth stays in the sessions themselves).
    assessed_on = models.DateField(null=True, blank=True)
    first_treatment_on = models.DateField(null=True, blank=True)
    second_treatment_on = models.DateField(null=True, blank=True)
    last_contact_on = models.DateField(null=True, blank=True)
    last_reviewed_at = models.DateTimeField(null=True, blank=True)
    opened_at = models.DateTimeField(null=True, blank=True, help_text="Allocated to a caseload")
    ended_on = models.DateField(null=True, blank=True)
    end_code = models.CharField(max_length=2, choices=EndCode.choices, blank=True)
    reason_notes = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(User, null=True, on_delete=models.PROTECT, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)
    version = models.PositiveIntegerField(default=1)

    objects = ReferralQuerySet.as_manager()

    class Meta:
        ordering = ["-received_on"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(status=ReferralStatus.ENDED) & Q(ended_on__isnull=False) & ~Q(end_code=""))
                | (~Q(status=ReferralStatus.ENDED) & Q(ended_on__isnull=True) & Q(end_code="")),
                name="referral_ended_has_date_and_code",
            ),
            models.CheckConstraint(
                condition=Q(current_step__isnull=True) | Q(current_step__in=[1, 2, 3]), name="referral_step_range"
            ),
            models.CheckConstraint(condition=Q(source__in=ReferralSource.values), name="referral_source_national_code"),
            models.CheckConstraint(
                condition=Q(ended_on__isnull=True) | Q(ended_on__gte=models.F("received_on")),
                name="referral_ends_after_received",
            ),
        ]
        indexes = [
            models.Index(fields=["service", "received_on"]),
            models.Index(fields=["assigned_practitioner", "status"]),
            models.Index(fields=["status", "current_step", "received_on"]),
            # The sweep's overdue criterion (supervision/sweep.py): open allocated cases by the
            # date their four-weekly review counts from, so it reads only the overdue ones.
            models.Index(
                Coalesce("last_reviewed_at", "opened_at"),
                # ORs, not IN: the definition then reads back the same (bench/synthetic.py
                # drops and recreates it), and the planner still matches the sweep's IN list.
                condition=(
                    Q(status=ReferralStatus.ASSESSED)
                    | Q(status=ReferralStatus.WAITING)
                    | Q(status=ReferralStatus.IN_TREATMENT)
                )
                & Q(assigned_practitioner__isnull=False),
                name="referral_review_due_idx",
            ),
        ]

    def __str__(self):
        return f"Referral received {self.received_on:%d/%m/%Y}"

    @property
    def is_open(self) -> bool:
        return self.status != ReferralStatus.ENDED

    @property
    def days_to_assessment(self) -> int | None:
        return (self.assessed_on - self.received_on).days if self.assessed_on else None

    @property
    def days_to_first_treatment(self) -> int | None:
        return (self.first_treatment_on - self.received_on).days if self.first_treatment_on else None

    @property
    def days_first_to_second_treatment(self) -> int | None:
        if self.first_treatment_on and self.second_treatment_on:
            return (self.second_treatment_on - self.first_treatment_on).days
        return None


class PresentingProblem(models.Model):
    """One presenting problem of a referral as the data set carries it (IDS603
    PresentingComplaints: ICD-10 code, primary or secondary, dated; DOMAIN.md "The
    national data set"). The latest primary counts: the live primary row with the
    latest `recorded_on` (one live primary per date, held below). Rows are never
    deleted: a removed one keeps its row with `removed_at`, so the record shows
    the history and the audit log matches it.

    `Referral.problem_descriptor` is the current primary's code, kept by
    patients.services.presenting_problem_record / _remove alone, in the same
    transaction (decision 023)."""

    referral = models.ForeignKey(Referral, on_delete=models.PROTECT, related_name="presenting_problems")
    kind = models.CharField("type", max_length=1, choices=PresentingProblemType.choices)
    code = models.CharField("problem (ICD-10)", max_length=5, choices=ProblemDescriptor.choices)
    recorded_on = models.DateField("date recorded")
    recorded_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)
    removed_at = models.DateTimeField(null=True, blank=True)
    removed_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-recorded_on", "-pk"]
        constraints = [
            # One live primary per date, so "the latest primary" is never a tie.
            models.UniqueConstraint(
                fields=["referral", "recorded_on"],
                condition=Q(kind=PresentingProblemType.PRIMARY, removed_at__isnull=True),
                name="presenting_problem_one_primary_per_day",
            ),
            # A secondary problem is listed once while it stands.
            models.UniqueConstraint(
                fields=["referral", "code"],
                condition=Q(kind=PresentingProblemType.SECONDARY, removed_at__isnull=True),
                name="presenting_problem_secondary_once",
            ),
            models.CheckConstraint(
                condition=Q(kind__in=PresentingProblemType.values), name="presenting_problem_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(code__in=ProblemDescriptor.values), name="presenting_problem_code_valid"
            ),
        ]
        indexes = [models.Index(fields=["referral", "kind", "-recorded_on"], name="presenting_problem_latest_idx")]

    def __str__(self):
        return f"{self.get_kind_display()} problem {self.code} from {self.recorded_on:%d/%m/%Y}"

    @property
    def group(self) -> str:
        from .presenting import group_label

        return group_label(self.code)
