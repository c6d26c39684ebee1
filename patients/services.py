"""Every write to patients and referrals: validated, atomic, audited."""

from __future__ import annotations

from datetime import date

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts import policy
from accounts.audit import audit_record
from accounts.models import AccessAction, Role, Team, User
from accounts.policy import WriteAction

from . import nhs_number as nhs
from .codes import PresentingProblemType, ReferralStatus
from .models import Patient, PresentingProblem, Referral
from .names import normalise_name

MINIMUM_AGE = 18  # DOMAIN.md "Stepped care": people under 18 are not for this service
REGISTRATION_ROLES = frozenset({Role.REFERRAL_ADMIN, Role.SERVICE_MANAGER})
MAX_AGE_YEARS = 120  # a date of birth further back is a typing error (1900 for 2000)
# A referral received further back than this is a typing error (0019 for 2019): it
# would be past the clinical record's own retention (accounts/retention.py, 20 years).
MAX_REFERRAL_AGE_YEARS = 20


def age_at_referral_error(*, date_of_birth: date, received_on: date) -> str | None:
    """DOMAIN.md: the service is for adults; people under 18 are signposted to
    children and young people's services, with the reason recorded."""
    age = (
        received_on.year
        - date_of_birth.year
        - ((received_on.month, received_on.day) < (date_of_birth.month, date_of_birth.day))
    )
    if age < MINIMUM_AGE:
        return (
            f"The patient is {age} on the referral date. NHS Talking Therapies sees adults (18 and over): "
            "signpost to the children and young people's mental health service instead."
        )
    return None


def date_of_birth_error(date_of_birth: date | None, *, today: date) -> str | None:
    """The date rule of a date of birth, the same at registration and at every
    edit (web and API): not in the future, not over MAX_AGE_YEARS ago."""
    if date_of_birth is None:
        return "Give the date of birth."
    if date_of_birth > today:
        return "The date of birth cannot be in the future."
    if today.year - date_of_birth.year > MAX_AGE_YEARS:
        return f"Check the date of birth: the patient would be over {MAX_AGE_YEARS}."
    return None


def received_on_error(received_on: date | None, *, date_of_birth: date, today: date) -> str | None:
    """The date rule of a referral's received date, the same at registration and
    at every edit (web and API): not in the future, not over
    MAX_REFERRAL_AGE_YEARS ago, and the patient an adult on it (DOMAIN.md)."""
    if received_on is None:
        return "Give the date the referral was received."
    if received_on > today:
        return "The referral date cannot be in the future."
    if today.year - received_on.year > MAX_REFERRAL_AGE_YEARS:
        return f"Check the referral date: it would be over {MAX_REFERRAL_AGE_YEARS} years ago."
    return age_at_referral_error(date_of_birth=date_of_birth, received_on=received_on)


def _check_can_register(user: User) -> None:
    if user.role not in REGISTRATION_ROLES or user.service_id is None:
        raise ValidationError("Only referral administrators and service managers of a service register referrals.")


@transaction.atomic
def patient_register(
    *, user: User, nhs_number: str, given_name: str, family_name: str, date_of_birth: date, sex: str, **details
) -> Patient:
    _check_can_register(user)
    number = nhs.normalise(nhs_number)
    if not nhs.is_valid(number):
        raise ValidationError({"nhs_number": "This is not a valid NHS number."})
    if message := date_of_birth_error(date_of_birth, today=timezone.localdate()):
        raise ValidationError({"date_of_birth": message})
    patient = Patient(
        service_id=user.service_id,
        nhs_number=number,
        given_name=normalise_name(given_name),
        family_name=normalise_name(family_name),
        date_of_birth=date_of_birth,
        sex=sex,
        **details,
    )
    patient.full_clean(validate_unique=False)
    try:
        with transaction.atomic():
            patient.save(force_insert=True)
    except IntegrityError as exc:
        raise ValidationError({"nhs_number": "A patient with this NHS number is already registered."}) from exc
    audit_record(
        user=user, action=AccessAction.CREATE, object_type="patient", object_id=patient.pk, patient_id=patient.pk
    )
    return patient


@transaction.atomic
def referral_register(
    *,
    user: User,
    patient: Patient,
    source: str,
    received_on: date,
    problem_descriptor: str = "",
    team: Team | None = None,
    notes: str = "",
) -> Referral:
    _check_can_register(user)
    errors = {}
    if message := received_on_error(received_on, date_of_birth=patient.date_of_birth, today=timezone.localdate()):
        errors["received_on"] = message
    if team is not None and team.service_id != user.service_id:
        errors["team"] = "Choose a team of your own service."
    if patient.service_id != user.service_id:
        errors["patient"] = "The patient belongs to another service."
    if errors:
        raise ValidationError(errors)
    referral = Referral.objects.create(
        patient=patient,
        service_id=patient.service_id,
        team=team,
        source=source,
        received_on=received_on,
        status=ReferralStatus.RECEIVED,
        reason_notes=notes,
        created_by=user,
    )
    audit_record(
        user=user, action=AccessAction.CREATE, object_type="referral", object_id=referral.pk, patient_id=patient.pk
    )
    if problem_descriptor:
        # A problem known at referral is its first primary, dated the day it was received (decision 023).
        _primary_from_descriptor(user=user, referral=referral, code=problem_descriptor, recorded_on=received_on)
    return referral


def _primary_from_descriptor(*, user: User, referral: Referral, code: str, recorded_on: date) -> None:
    """A primary recorded through a form's or the API's `problem_descriptor` field:
    its errors are that field's."""
    try:
        _presenting_problem_add(
            user=user, referral=referral, kind=PresentingProblemType.PRIMARY, code=code, recorded_on=recorded_on
        )
    except ValidationError as exc:
        messages = [m for ms in exc.message_dict.values() for m in ms] if hasattr(exc, "error_dict") else exc.messages
        raise ValidationError({"problem_descriptor": messages}) from exc


@transaction.atomic
def patient_and_referral_register(*, user: User, patient_data: dict, referral_data: dict) -> Referral:
    """The registration form: one patient and their first referral, both or neither."""
    patient = patient_register(user=user, **patient_data)
    return referral_register(user=user, patient=patient, **referral_data)


@transaction.atomic
def referral_allocate(*, user: User, referral: Referral, practitioner: User, step: int) -> Referral:
    """Puts a referral on a practitioner's caseload at a step: referral
    administrators, service managers and supervisors of the referral's service
    allocate (accounts/policy.py; PermissionDenied for anyone else)."""
    policy.require(WriteAction.REFERRAL_ALLOCATE, user, referral)
    if step not in (1, 2, 3):
        raise ValidationError({"step": "Choose step 1, 2 or 3."})
    referral = Referral.objects.select_for_update().get(pk=referral.pk)
    if practitioner.role not in (Role.PWP, Role.HIT, Role.SUPERVISOR):
        raise ValidationError({"practitioner": "Allocate to a practitioner."})
    if practitioner.service_id != referral.service_id:
        raise ValidationError({"practitioner": "The practitioner works for another service."})
    if not referral.is_open:
        raise ValidationError("An ended referral cannot be allocated.")
    if step == 2:
        # The step decision at assessment (stepped_care, through the reverse
        # relation: no import of a higher floor) that recorded a step 2
        # exclusion without an override reason refuses step 2 (DOMAIN.md "Stepped care").
        decision = referral.step_changes.filter(kind="allocation").order_by("-effective_on", "-pk").first()
        if decision is not None and decision.exclusions and not decision.override_reason.strip():
            raise ValidationError(
                {
                    "step": "The assessment recorded an exclusion for step 2 and no reason to override it: "
                    "signpost, or allocate at step 3."
                }
            )
    referral.assigned_practitioner = practitioner
    referral.current_step = step
    if referral.opened_at is None:
        referral.opened_at = timezone.now()
    referral.version += 1
    referral.save(update_fields=["assigned_practitioner", "current_step", "opened_at", "version", "updated_at"])
    audit_record(
        user=user,
        action=AccessAction.UPDATE,
        object_type="referral",
        object_id=referral.pk,
        patient_id=referral.patient_id,
        detail={"change": "allocate"},
    )
    return referral


# Edits: compare-and-swap on the version the editor read (iapt/concurrency.py),
# the same check for the web forms and the API.

EDITING_ROLES = frozenset({Role.REFERRAL_ADMIN, Role.SERVICE_MANAGER, Role.PWP, Role.HIT, Role.SUPERVISOR})
# The patient's details that an edit may change (the NHS number stays): one list
# for the service, the web forms and the API.
PATIENT_EDITABLE_FIELDS = (
    "given_name",
    "family_name",
    "date_of_birth",
    "sex",
    "gender_identity",
    "gender_identity_described",
    "ethnicity",
    "preferred_language",
    "interpreter_required",
    "employment_status",
    "employment_status_recorded_on",
    "long_term_conditions",
    "phone",
    "email",
    "address",
    "postcode",
    "contact_preferences",
    "consent_to_contact",
    "consent_to_leave_messages",
    "mobile",
    "consent_sms_reminders",
    "consent_email_reminders",
    "gp_practice_code",
    "gp_practice_name",
)
PATIENT_EDITABLE = frozenset(PATIENT_EDITABLE_FIELDS)
REFERRAL_EDITABLE_FIELDS = ("source", "received_on", "problem_descriptor", "team", "notes")
REFERRAL_EDITABLE = frozenset(REFERRAL_EDITABLE_FIELDS)


def _check_can_edit(user: User) -> None:
    """The selector has already checked the relationship (404 outside it); of
    those inside it, everyone but the system administrator edits these details."""
    if user.role not in EDITING_ROLES:
        raise ValidationError("Your role does not edit patient or referral details.")


def _unknown_fields(changes: dict, allowed: frozenset) -> None:
    unknown = sorted(set(changes) - allowed)
    if unknown:
        raise ValidationError({name: "This field cannot be changed here." for name in unknown})


@transaction.atomic
def patient_update(*, user: User, patient: Patient, version: int, **changes) -> Patient:
    """Edits a patient's details if nobody saved them since `version` was read;
    VersionConflict (nothing written) otherwise."""
    from core.concurrency import compare_and_swap

    _check_can_edit(user)
    _unknown_fields(changes, PATIENT_EDITABLE)
    for name in ("given_name", "family_name"):
        if name in changes:
            changes[name] = normalise_name(changes[name] or "")
    candidate = Patient(**{f.attname: getattr(patient, f.attname) for f in Patient._meta.concrete_fields})
    for name, value in changes.items():
        setattr(candidate, name, value)
    errors = {}
    today = timezone.localdate()
    if "date_of_birth" in changes:
        # Registration's rules (issue 14 item 3): the date itself, and an adult on
        # every referral already recorded.
        message = date_of_birth_error(candidate.date_of_birth, today=today)
        if message is None:
            for received_on in patient.referrals.values_list("received_on", flat=True):
                if message := age_at_referral_error(date_of_birth=candidate.date_of_birth, received_on=received_on):
                    break
        if message:
            errors["date_of_birth"] = [message]
    try:
        candidate.full_clean(validate_unique=False, validate_constraints=False)
    except ValidationError as exc:
        for name, messages in exc.message_dict.items():
            errors.setdefault(name, []).extend(messages)
    if errors:
        raise ValidationError(errors)
    compare_and_swap(
        model=Patient,
        pk=patient.pk,
        version=version,
        changes={name: getattr(candidate, name) for name in changes},
        label="patient's details",
    )
    audit_record(
        user=user,
        action=AccessAction.UPDATE,
        object_type="patient",
        object_id=patient.pk,
        patient_id=patient.pk,
        detail={"fields": sorted(changes)},
    )
    patient.refresh_from_db()
    return patient


@transaction.atomic
def referral_update(*, user: User, referral: Referral, version: int, **changes) -> Referral:
    """Edits a referral's details (source, received date, problem descriptor,
    team, notes) if nobody saved it since `version` was read. An ended referral
    is read-only; the received date stays on or before the first contact."""
    from core.concurrency import compare_and_swap

    from .codes import ProblemDescriptor, ReferralSource

    _check_can_edit(user)
    _unknown_fields(changes, REFERRAL_EDITABLE)
    errors: dict[str, str] = {}
    if not referral.is_open:
        raise ValidationError("This referral has ended; its record is read-only except for a recorded amendment.")
    if "source" in changes and changes["source"] not in ReferralSource.values:
        errors["source"] = "Choose a referral source."
    if changes.get("problem_descriptor") and changes["problem_descriptor"] not in ProblemDescriptor.values:
        errors["problem_descriptor"] = "Choose a problem descriptor."
    if "received_on" in changes:
        received_on = changes["received_on"]
        first_contact = referral.sessions.order_by("started_at").values_list("started_at", flat=True).first()
        if message := received_on_error(
            received_on, date_of_birth=referral.patient.date_of_birth, today=timezone.localdate()
        ):
            errors["received_on"] = message
        elif first_contact and received_on > timezone.localtime(first_contact).date():
            errors["received_on"] = "The referral date cannot be after its first recorded contact."
        elif referral.presenting_problems.filter(removed_at__isnull=True, recorded_on__lt=received_on).exists():
            errors["received_on"] = "The referral date cannot be after a presenting problem recorded for it."
    team = changes.get("team")
    if team is not None and team.service_id != referral.service_id:
        errors["team"] = "Choose a team of this referral's service."
    if "notes" in changes and len(changes["notes"] or "") > 10000:
        errors["notes"] = "Keep the notes under 10,000 characters."
    if errors:
        raise ValidationError(errors)
    values = dict(changes)
    if "notes" in values:
        values["reason_notes"] = values.pop("notes") or ""
    # The problem descriptor is the current primary presenting problem: a change
    # here records a new primary dated today, through the one function that keeps
    # the two in step (decision 023); it is never cleared by an edit.
    problem = values.pop("problem_descriptor", None) or ""
    if not problem and changes.get("problem_descriptor") is not None and referral.problem_descriptor:
        raise ValidationError(
            {"problem_descriptor": "A recorded primary problem is changed, not cleared: remove it on the record."}
        )
    if values.get("source", referral.source) != referral.source:
        values["source_recorded_as"] = ""  # the exact source is now recorded (decision 022)
    compare_and_swap(model=Referral, pk=referral.pk, version=version, changes=values, label="referral")
    if problem and problem != referral.problem_descriptor:
        referral.refresh_from_db()
        _primary_from_descriptor(user=user, referral=referral, code=problem, recorded_on=timezone.localdate())
    audit_record(
        user=user,
        action=AccessAction.UPDATE,
        object_type="referral",
        object_id=referral.pk,
        patient_id=referral.patient_id,
        detail={"fields": sorted(changes)},
    )
    referral.refresh_from_db()
    return referral


# Presenting problems (IDS603): decision 023. The referral's problem_descriptor is
# the current primary's code and is written only here, in the transaction that
# adds or removes a row, so every reader (reports' SQL, supervision's sweep, the
# record pages) keeps reading one column.


def presenting_problem_date_error(referral: Referral, recorded_on: date | None, *, today: date) -> str | None:
    """The date a presenting problem is recorded on: given, not in the future, not
    before the referral was received and not after it ended (so the latest
    primary is also the latest as at the end of treatment; DOMAIN.md "The
    national data set": dates in order, referral <= contacts <= discharge)."""
    if recorded_on is None:
        return "Give the date the problem was recorded."
    if recorded_on > today:
        return "The date cannot be in the future."
    if recorded_on < referral.received_on:
        return f"The date cannot be before the referral was received ({referral.received_on:%d/%m/%Y})."
    if referral.ended_on and recorded_on > referral.ended_on:
        return f"The date cannot be after the referral ended ({referral.ended_on:%d/%m/%Y})."
    return None


def current_primary_code(referral_id) -> str:
    """The code of the latest live primary presenting problem, '' when none
    (DOMAIN.md: the latest primary counts). One query."""
    return (
        PresentingProblem.objects.filter(
            referral_id=referral_id, kind=PresentingProblemType.PRIMARY, removed_at__isnull=True
        )
        .order_by("-recorded_on", "-pk")
        .values_list("code", flat=True)
        .first()
        or ""
    )


def _presenting_problem_add(
    *, user: User | None, referral: Referral, kind: str, code: str, recorded_on: date
) -> PresentingProblem:
    """Adds one row and brings the referral's problem_descriptor to the current
    primary. The caller holds the referral's row (a lock or its compare-and-swap)
    and has checked who may write. ValidationError with field messages (code,
    kind, recorded_on); nothing written then."""
    from .codes import ProblemDescriptor

    errors: dict[str, str] = {}
    if kind not in PresentingProblemType.values:
        errors["kind"] = "Choose primary or secondary."
    if code not in ProblemDescriptor.values:
        errors["code"] = "Choose a problem from the list."
    if message := presenting_problem_date_error(referral, recorded_on, today=timezone.localdate()):
        errors["recorded_on"] = message
    if errors:
        raise ValidationError(errors)
    live = PresentingProblem.objects.filter(referral_id=referral.pk, removed_at__isnull=True)
    now = timezone.now()
    if kind == PresentingProblemType.PRIMARY:
        same_day = live.filter(kind=kind, recorded_on=recorded_on).first()
        if same_day is not None:
            if same_day.code == code:
                return same_day  # recorded already: no duplicate
            # A second primary on one day corrects the first (one live primary per date).
            same_day.removed_at, same_day.removed_by = now, user
            same_day.save(update_fields=["removed_at", "removed_by"])
    else:
        if live.filter(kind=kind, code=code).exists():
            raise ValidationError({"code": "This secondary problem is already recorded."})
        if current_primary_code(referral.pk) == code:
            raise ValidationError({"code": "This is the primary problem: choose a different secondary problem."})
    problem = PresentingProblem.objects.create(
        referral_id=referral.pk, kind=kind, code=code, recorded_on=recorded_on, recorded_by=user
    )
    _sync_problem_descriptor(referral)
    audit_record(
        user=user,
        action=AccessAction.CREATE,
        object_type="presentingproblem",
        object_id=problem.pk,
        patient_id=referral.patient_id,
        detail={"kind": kind},
    )
    return problem


def _sync_problem_descriptor(referral: Referral) -> None:
    code = current_primary_code(referral.pk)
    if referral.problem_descriptor != code:
        Referral.objects.filter(pk=referral.pk).update(problem_descriptor=code, updated_at=timezone.now())
        referral.problem_descriptor = code


def _check_presenting_write(user: User, referral: Referral) -> None:
    policy.require(WriteAction.SESSION_RECORD, user, referral)
    if not referral.is_open:
        raise ValidationError("This referral has ended; its record is read-only except for a recorded amendment.")


@transaction.atomic
def presenting_problem_record(
    *, user: User, referral: Referral, version: int, kind: str, code: str, recorded_on: date | None
) -> PresentingProblem:
    """Records a presenting problem (IDS603): a primary (a new primary from its
    date on replaces the one before as the one that counts; the earlier stays as
    history) or a secondary. The practitioner holding the case or their
    supervisor (PermissionDenied otherwise), on an open referral, if nobody
    saved the referral since `version` was read (VersionConflict, nothing
    written). ValidationError with field messages (kind, code, recorded_on)."""
    from core.concurrency import compare_and_swap

    _check_presenting_write(user, referral)
    # The compare-and-swap takes the referral's row lock before anything is read.
    referral.version = compare_and_swap(model=Referral, pk=referral.pk, version=version, changes={}, label="referral")
    problem = _presenting_problem_add(user=user, referral=referral, kind=kind, code=code, recorded_on=recorded_on)
    return problem


@transaction.atomic
def presenting_problem_remove(*, user: User, problem: PresentingProblem, version: int) -> PresentingProblem:
    """Removes a presenting problem recorded in error (a secondary no longer
    present, or a wrong primary): the row stays, marked removed, so the history
    keeps it; the current primary is then the latest one left. Same rules as
    presenting_problem_record."""
    from core.concurrency import compare_and_swap

    referral = problem.referral
    _check_presenting_write(user, referral)
    referral.version = compare_and_swap(model=Referral, pk=referral.pk, version=version, changes={}, label="referral")
    problem = PresentingProblem.objects.get(pk=problem.pk)
    if problem.removed_at is not None:
        raise ValidationError("This problem was removed already.")
    problem.removed_at, problem.removed_by = timezone.now(), user
    problem.save(update_fields=["removed_at", "removed_by"])
    _sync_problem_descriptor(referral)
    audit_record(
        user=user,
        action=AccessAction.DELETE,
        object_type="presentingproblem",
        object_id=problem.pk,
        patient_id=referral.patient_id,
        detail={"kind": problem.kind},
    )
    return problem


def presenting_problems_at_assessment(*, user: User, referral: Referral, on: date, problems) -> None:
    """The assessment's presenting problems, `problems` as (kind, code) pairs, all
    dated `on`. Called by the assessment service (sessions), which holds the
    referral's row lock and has checked who records; a secondary already standing
    is kept, not listed twice. Errors are keyed as the assessment form's fields."""
    standing = set(
        PresentingProblem.objects.filter(
            referral_id=referral.pk, kind=PresentingProblemType.SECONDARY, removed_at__isnull=True
        ).values_list("code", flat=True)
    )
    for kind, code in problems:
        if kind == PresentingProblemType.SECONDARY and code in standing:
            continue
        field = "problem_descriptor" if kind == PresentingProblemType.PRIMARY else "secondary_problems"
        try:
            _presenting_problem_add(user=user, referral=referral, kind=kind, code=code, recorded_on=on)
        except ValidationError as exc:
            raise ValidationError({field: exc.messages}) from exc
