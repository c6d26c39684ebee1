"""Every write of sessions, measures and risk: validated, atomic, audited.

The same functions serve the web forms and the API, so no rule lives only in
a form or a serializer."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts import policy
from accounts.audit import audit_record
from accounts.models import AccessAction, User
from accounts.policy import WriteAction
from patients.codes import ReferralStatus
from patients.models import Referral

from . import measures
from .codes import (
    APPOINTMENT_TYPES,
    ASSESSMENT_APPOINTMENT_TYPES,
    ATTENDANCE,
    ATTENDED,
    CONSULTATION_MEDIUM,
    EMPLOYMENT_SUPPORT,
    RISK_LEVELS,
    THERAPY_TYPE,
    TREATMENT_APPOINTMENT_TYPES,
    therapy_type_for,
)
from .models import MeasureScore, ReportedBy, RiskAssessment, TherapySession

CLOCK_SKEW = timedelta(minutes=10)  # a device clock a little ahead is not "the future"


@dataclass(frozen=True)
class RiskInput:
    risk_to_self: str
    risk_to_others: str
    risk_from_others: str
    level: str
    plan: str
    actions: str = ""


def check_can_record(*, user: User, referral: Referral, action: WriteAction = WriteAction.SESSION_RECORD) -> None:
    """Only the practitioner holding the case (or covering as its supervisor)
    records sessions and risk on it (accounts/policy.py: PermissionDenied), and
    only while the referral is open (ValidationError)."""
    policy.require(action, user, referral)
    if not referral.is_open:
        raise ValidationError("This referral has ended; its record is read-only except for a recorded amendment.")


def _validate_session(
    *,
    referral: Referral,
    started_at: datetime,
    appointment_type: str,
    attendance: str,
    medium: str,
    duration_minutes: int | None,
    measure_items: dict,
    interventions,
    notes: str = "",
) -> dict:
    errors: dict[str, list[str]] = {}

    def add(field, message):
        errors.setdefault(field, []).append(message)

    if timezone.is_naive(started_at):
        add("started_at", "Give the date and time with a time zone.")
    elif started_at > timezone.now() + CLOCK_SKEW:
        add("started_at", "A session cannot be recorded in the future.")
    elif timezone.localtime(started_at).date() < referral.received_on:
        add("started_at", "A session cannot be before the referral was received.")
    if "\x00" in (notes or ""):
        add("notes", "Remove the control characters from this text.")
    if appointment_type not in APPOINTMENT_TYPES:
        add("appointment_type", "Choose a national appointment type.")
    if attendance not in ATTENDANCE:
        add("attendance", "Choose a national attendance code.")
    if medium not in CONSULTATION_MEDIUM:
        add("medium", "Choose a national consultation medium.")
    if duration_minutes is not None and not (0 <= duration_minutes <= 240):
        add("duration_minutes", "Duration must be between 0 and 240 minutes.")
    if attendance not in ATTENDED and any(measure_items.values()):
        add("attendance", "A session the patient did not attend, or that was cancelled, records no measures.")
    from stepped_care.decision_support import STEP2_INTERVENTIONS, STEP3_INTERVENTIONS

    known = {code for code, _ in STEP2_INTERVENTIONS} | {code for code, _ in STEP3_INTERVENTIONS}
    unknown = [i for i in interventions if i not in known]
    if unknown:
        add("interventions", f"Unknown intervention: {', '.join(unknown)}.")
    scores = {}
    for code, items in measure_items.items():
        if not items or all(item is None for item in items):
            continue
        if code not in measures.INSTRUMENTS:
            add("measures", f"Unknown measure {code}.")
            continue
        try:
            scores[code] = (list(items), measures.score(code, items))
        except ValueError as exc:
            add(code, str(exc))
    if errors:
        raise ValidationError(errors)
    return scores


def session_therapy_type(*, therapy_type: str, appointment_type: str, attendance: str, interventions) -> str:
    """The IDS202 therapy type (SNOMED CT procedure code) a contact stores
    (DOMAIN.md "The national data set"): none unless the patient attended; the
    practitioner's choice where given (a ValidationError for a code not on the
    national list); else employment support for appointment type 10, else the
    code the first intervention defaults to (patients/national_codes.py)."""
    if therapy_type and therapy_type not in THERAPY_TYPE:
        raise ValidationError({"therapy_type": "Choose a national therapy type (a SNOMED CT procedure code)."})
    if attendance not in ATTENDED:
        return ""
    if therapy_type:
        return therapy_type
    if appointment_type == "10":
        return EMPLOYMENT_SUPPORT
    return therapy_type_for(interventions[0]) if interventions else ""


@transaction.atomic
def therapy_session_record(
    *,
    user: User,
    referral: Referral,
    started_at: datetime,
    appointment_type: str,
    attendance: str,
    medium: str,
    duration_minutes: int | None = None,
    interventions=(),
    therapy_type: str = "",
    notes: str = "",
    measure_items: dict | None = None,
    risk_recorded: bool = False,
    risk: RiskInput | None = None,
    idempotency_key: str = "",
    enqueue_followup: bool = True,
    referral_locked: bool = False,
    confirm_patient_answers: bool = False,
) -> TherapySession:
    """Records a care contact with its measures (DOMAIN.md "Measures"): the
    server scores every measure; PHQ-9 item 9 above 0, or risk recorded by the
    practitioner, requires a risk assessment before the session is complete, and
    brings the case to supervision.

    The referral is read again under its row lock, unless the caller says it
    read it so in the transaction this joins (`referral_locked`: the session
    form's POST, the assessment service), which saves a statement per session."""
    if not referral_locked:
        referral = Referral.objects.select_for_update().get(pk=referral.pk)
    check_can_record(user=user, referral=referral)
    measure_items = measure_items or {}
    scores = _validate_session(
        referral=referral,
        started_at=started_at,
        appointment_type=appointment_type,
        attendance=attendance,
        medium=medium,
        duration_minutes=duration_minutes,
        measure_items=measure_items,
        interventions=interventions,
        notes=notes,
    )
    item9 = "PHQ9" in scores and scores["PHQ9"][1].item9_risk
    if (item9 or risk_recorded) and risk is None:
        raise ValidationError(
            {
                "risk": "PHQ-9 item 9 is above 0 or risk was recorded: complete the risk assessment "
                "(risk to self, to others, from others, level and plan) before saving."
            }
        )
    if risk is not None:
        _validate_risk(risk)
    therapy_type = session_therapy_type(
        therapy_type=therapy_type, appointment_type=appointment_type, attendance=attendance, interventions=interventions
    )
    try:
        session = TherapySession.objects.create(
            referral=referral,
            practitioner=user,
            started_at=started_at,
            appointment_type=appointment_type,
            attendance=attendance,
            medium=medium,
            duration_minutes=duration_minutes,
            interventions=list(interventions),
            therapy_type=therapy_type,
            notes=notes,
            step=referral.current_step,
            risk_recorded=bool(risk_recorded or item9),
            created_by=user,
            idempotency_key=idempotency_key,
        )
    except IntegrityError as exc:
        # Raised inside this function's atomic block, which rolls it back (a
        # savepoint when nested): the caller's transaction stays usable.
        if _constraint(exc) == "session_unique_contact":
            raise ValidationError({"started_at": duplicate_contact_message(started_at, appointment_type)}) from exc
        raise
    MeasureScore.objects.bulk_create(
        MeasureScore(
            session=session,
            referral=referral,
            taken_at=started_at,
            instrument=code,
            items=measures.stored_items(items),
            total=result.total,
            band=result.band or "",
            caseness=result.caseness,
            complete=result.complete,
            not_in_work=result.not_in_work,
            reference_version=measures.REFERENCE_VERSION,
        )
        for code, (items, result) in scores.items()
    )
    if scores and confirm_patient_answers:  # the form showed them (sessions/forms.py)
        _confirm_patient_answers(referral=referral, session=session)
    if risk is not None:
        RiskAssessment.objects.create(
            referral=referral,
            session=session,
            recorded_by=user,
            recorded_at=started_at,
            trigger="phq9_item9" if item9 else "practitioner",
            **risk.__dict__,
        )
    _update_referral_dates(referral, session)
    audit_record(
        user=user,
        action=AccessAction.CREATE,
        object_type="therapysession",
        object_id=session.pk,
        patient_id=referral.patient_id,
    )
    if enqueue_followup:  # a bulk load (the demo) runs the sweep once at the end instead
        _after_commit_flag(referral.pk)
    return session


# The latest unconfirmed answers of each measure the session recorded become its
# score's "confirmed_from" (one statement; the partial index measure_awaiting_confirmation).
_CONFIRM_SQL = """
UPDATE therapy_sessions_measurescore p SET confirmed_as_id = s.id
FROM (SELECT DISTINCT ON (instrument) id, instrument FROM therapy_sessions_measurescore
      WHERE referral_id = %(referral)s AND reported_by = %(patient)s AND confirmed_as_id IS NULL
        AND session_id IS NULL
      ORDER BY instrument, taken_at DESC, id DESC) latest
JOIN therapy_sessions_measurescore s ON s.session_id = %(session)s AND s.instrument = latest.instrument
WHERE p.id = latest.id
"""


def _confirm_patient_answers(*, referral: Referral, session: TherapySession) -> None:
    """A patient's answers before the appointment, gone through in the session
    (the form shows them filled; DOMAIN.md "Patients taking part"): the values
    saved are the session's scores, which count; the patient's rows are linked
    to them (confirmed_as) and never count themselves, so nothing counts twice
    (docs/decisions/027-questionnaires.md)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            _CONFIRM_SQL, {"referral": referral.pk, "session": session.pk, "patient": ReportedBy.PATIENT.value}
        )


def _constraint(exc: IntegrityError) -> str:
    """The name of the database constraint an IntegrityError reports ('' if none)."""
    diag = getattr(exc.__cause__, "diag", None)
    return getattr(diag, "constraint_name", None) or ""


def duplicate_contact_message(started_at: datetime, appointment_type: str) -> str:
    local = timezone.localtime(started_at)
    kind = APPOINTMENT_TYPES.get(appointment_type, appointment_type)
    return (
        f"This contact is already recorded ({kind}, {local:%d/%m/%Y} at {local:%H:%M}, this referral); "
        "it was not recorded twice. Open the record to see it, or correct the time or appointment type."
    )


def _validate_risk(risk: RiskInput) -> None:
    errors = {}
    for field in ("risk_to_self", "risk_to_others", "risk_from_others", "level"):
        if getattr(risk, field) not in RISK_LEVELS:
            errors[field] = "Choose a level."
    if not risk.plan.strip():
        errors["plan"] = "Write the safety plan and actions agreed."
    for field in ("plan", "actions"):
        if "\x00" in (getattr(risk, field) or ""):
            errors[field] = "Remove the control characters from this text."
    if errors:
        raise ValidationError(errors)


def _update_referral_dates(referral: Referral, session: TherapySession) -> None:
    """Keeps the referral's derived dates (waits, last contact, status) in step
    with its sessions; the sessions stay the truth."""
    if session.attendance not in ATTENDED:
        return
    day = timezone.localtime(session.started_at).date()
    fields = ["last_contact_on", "updated_at", "version"]
    referral.last_contact_on = max(filter(None, [referral.last_contact_on, day]))
    if session.appointment_type in ASSESSMENT_APPOINTMENT_TYPES and (
        referral.assessed_on is None or day < referral.assessed_on
    ):
        referral.assessed_on = day
        fields.append("assessed_on")
        if referral.status == ReferralStatus.RECEIVED:
            referral.status = ReferralStatus.ASSESSED
            fields.append("status")
    if session.appointment_type in TREATMENT_APPOINTMENT_TYPES:
        # The two earliest attended treatment days, kept from the referral's own
        # columns (read under the row lock) instead of re-reading every session:
        # the same answer as sorting them all, since only this service adds one.
        first, second = referral.first_treatment_on, referral.second_treatment_on
        if first is None or day < first:
            first, second = day, first
        elif second is None or day < second:
            second = day
        referral.first_treatment_on, referral.second_treatment_on = first, second
        fields += ["first_treatment_on", "second_treatment_on"]
        if referral.status in (ReferralStatus.RECEIVED, ReferralStatus.ASSESSED, ReferralStatus.WAITING):
            referral.status = ReferralStatus.IN_TREATMENT
            fields.append("status")
    referral.version += 1
    referral.save(update_fields=sorted(set(fields)))


def _after_commit_flag(referral_id) -> None:
    """Clinical flags for this case are raised after commit by the supervision
    job (a task that takes the referral's id, never patient data). The outbox row
    is part of this transaction, so a broker outage delays the flag, never loses it."""
    from outbox.services import outbox_enqueue

    outbox_enqueue(task="supervision.flag_referral", args=[referral_id])


@transaction.atomic
def risk_event_record(*, user: User, referral: Referral, risk: RiskInput, trigger: str = "event") -> RiskAssessment:
    check_can_record(user=user, referral=referral, action=WriteAction.RISK_RECORD)
    _validate_risk(risk)
    assessment = RiskAssessment.objects.create(referral=referral, recorded_by=user, trigger=trigger, **risk.__dict__)
    audit_record(
        user=user,
        action=AccessAction.CREATE,
        object_type="riskassessment",
        object_id=assessment.pk,
        patient_id=referral.patient_id,
    )
    _after_commit_flag(referral.pk)
    return assessment


@transaction.atomic
def assessment_record(
    *,
    user: User,
    referral: Referral,
    problem_descriptor: str,
    step: int,
    step_reason: str,
    exclusions=(),
    override_reason: str = "",
    secondary_problems=(),
    **session_kwargs,
) -> TherapySession:
    """The first contact (DOMAIN.md "Stepped care"): measures, risk, problem
    descriptor and the step decision. The under-18 exclusion is computed from the
    date of birth, never ticked by hand. The problem descriptor is recorded as
    the primary presenting problem and `secondary_problems` (ICD-10 codes) as
    secondary ones, all dated the day of the assessment (IDS603; decision 023)."""
    from patients.codes import PresentingProblemType, ProblemDescriptor
    from patients.services import presenting_problems_at_assessment
    from stepped_care.services import step_decision_record

    if problem_descriptor not in ProblemDescriptor.values:
        raise ValidationError({"problem_descriptor": "Choose the problem descriptor."})
    secondary_problems = list(dict.fromkeys(secondary_problems))
    if problem_descriptor in secondary_problems:
        raise ValidationError({"secondary_problems": "The primary problem is not also a secondary one."})
    if any(code not in ProblemDescriptor.values for code in secondary_problems):
        raise ValidationError({"secondary_problems": "Choose problems from the list."})
    referral = Referral.objects.select_for_update().get(pk=referral.pk)
    session = therapy_session_record(user=user, referral=referral, referral_locked=True, **session_kwargs)
    if session.attendance not in ATTENDED:
        raise ValidationError({"attendance": "An assessment the patient did not attend records no step decision."})
    presenting_problems_at_assessment(
        user=user,
        referral=referral,
        on=timezone.localtime(session.started_at).date(),
        problems=[(PresentingProblemType.PRIMARY, problem_descriptor)]
        + [(PresentingProblemType.SECONDARY, code) for code in secondary_problems],
    )
    exclusions = list(exclusions)
    age = referral.patient.age_on(timezone.localtime(session.started_at).date())
    if age < 18 and "under18" not in exclusions:
        exclusions.append("under18")
    step_decision_record(
        user=user,
        referral=referral,
        step=step,
        reason=step_reason,
        exclusions=exclusions,
        override_reason=override_reason,
        effective_on=timezone.localtime(session.started_at).date(),
    )
    return session


@transaction.atomic
def amendment_record(*, user: User, referral: Referral, text: str, reason: str):
    from .models import Amendment

    policy.require(WriteAction.AMENDMENT_RECORD, user, referral)
    errors = {}
    if referral.is_open:
        errors["text"] = "Open referrals are edited directly; amendments are for ended ones."
    if not text.strip():
        errors["text"] = "Write the amendment."
    if not reason.strip():
        errors["reason"] = "Give the reason for amending an ended record."
    if errors:
        raise ValidationError(errors)
    amendment = Amendment.objects.create(referral=referral, text=text, reason=reason, recorded_by=user)
    audit_record(
        user=user,
        action=AccessAction.UPDATE,
        object_type="referral",
        object_id=referral.pk,
        patient_id=referral.patient_id,
        detail={"change": "amendment", "amendment": amendment.pk},
    )
    return amendment
