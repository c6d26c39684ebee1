"""Writes of supervision: reviews (which resolve flags and carry step decisions
through), PWP requests, supervision sessions and clinical-skills logs."""

from __future__ import annotations

from datetime import date, timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts import policy
from accounts.audit import audit_record
from accounts.models import AccessAction, Role, SupervisionAssignment, User
from accounts.policy import WriteAction
from patients.models import Referral
from stepped_care.models import StepChange, StepChangeKind, StepChangeStatus
from stepped_care.services import step_change_decide, step_change_record_confirmed

from .models import CaseReview, ClinicalSkillsSupervision, Decision, Flag, FlagReason, SupervisionSession

AGENDA_MINUTES = 60
MINUTES_PER_CASE = {FlagReason.RISK: 10, FlagReason.STEP_CHANGE: 8, FlagReason.DETERIORATION: 8}
DEFAULT_MINUTES_PER_CASE = 5
CLINICAL_SKILLS_LOG_WINDOW_DAYS = 365  # an older date is a typing error

# Which decisions address which flag (DOMAIN.md "Supervision"); the overdue
# review and the PWP's request are resolved by any review.
ADDRESSES = {
    FlagReason.RISK: {Decision.RISK_ACTION},
    FlagReason.STEP_CHANGE: {Decision.STEP_UP, Decision.DISCHARGE, Decision.CONTINUE},
    FlagReason.AWAITING_STEP: {Decision.CONTINUE, Decision.STEP_UP, Decision.SIGNPOST, Decision.DISCHARGE},
}


def _is_supervisor_of(supervisor: User, practitioner_id) -> bool:
    return (
        supervisor.pk == practitioner_id
        or SupervisionAssignment.objects.current().filter(supervisor=supervisor, supervisee_id=practitioner_id).exists()
    )


@transaction.atomic
def case_review_record(
    *,
    user: User,
    referral: Referral,
    decisions: list[str],
    next_review_on: date,
    notes: str = "",
    session: SupervisionSession | None = None,
    risk_action: str = "",
    risk_action_owner: User | None = None,
    risk_action_due: date | None = None,
    end_code: str = "",
    step_up_practitioner: User | None = None,
) -> CaseReview:
    """Records a case-management review. Resolves the overdue flag always and the
    other flags when a decision addresses them; a step up or discharge decision
    confirms the PWP's proposal (or records the supervisor's own) in the stepped
    care record and the referral. Who may review: accounts/policy.py (a
    supervisor of the practitioner holding the case, never the holder;
    PermissionDenied for anyone else)."""
    referral = Referral.objects.select_for_update().get(pk=referral.pk)
    policy.require(WriteAction.CASE_REVIEW_RECORD, user, referral)
    errors: dict[str, str] = {}
    today = timezone.localdate()
    if not referral.is_open:
        errors["decisions"] = "This referral has ended."
    unknown = set(decisions) - set(Decision.values)
    if not decisions or unknown:
        errors["decisions"] = "Choose at least one decision."
    if next_review_on is None or next_review_on <= today:
        errors["next_review_on"] = "The next review is a date after today."
    elif next_review_on > today + timedelta(days=28):
        errors["next_review_on"] = "Every open case is reviewed at least every four weeks (28 days)."
    if Decision.RISK_ACTION in decisions:
        if not risk_action.strip():
            errors["risk_action"] = "Describe the risk action."
        if risk_action_owner is None:
            errors["risk_action_owner"] = "Name who owns the risk action."
        if risk_action_due is None or risk_action_due < today:
            errors["risk_action_due"] = "Give the date the risk action is due."
    if Decision.STEP_UP in decisions and Decision.DISCHARGE in decisions:
        errors["decisions"] = "A case is stepped up or discharged, not both."
    if Decision.DISCHARGE in decisions and not end_code:
        proposal = _proposal(referral)
        if not (proposal and proposal.kind == StepChangeKind.DISCHARGE):
            errors["end_code"] = "Choose the national end code for the discharge."
    if errors:
        raise ValidationError(errors)

    review = CaseReview.objects.create(
        referral=referral,
        session=session,
        reviewer=user,
        decisions=list(decisions),
        notes=notes,
        next_review_on=next_review_on,
        risk_action=risk_action,
        risk_action_owner=risk_action_owner,
        risk_action_due=risk_action_due,
        end_code=end_code,
    )
    _carry_step_decision(user, referral, decisions, notes, end_code, step_up_practitioner)
    Referral.objects.filter(pk=referral.pk).update(last_reviewed_at=review.reviewed_at)
    resolvable = [
        FlagReason.OVERDUE_REVIEW,
        FlagReason.PWP_REQUEST,
        FlagReason.NO_IMPROVEMENT,
        FlagReason.DETERIORATION,
        FlagReason.DNA,
    ]
    resolvable += [reason for reason, needs in ADDRESSES.items() if needs & set(decisions)]
    Flag.objects.filter(referral=referral, resolved_at__isnull=True, reason__in=resolvable).update(
        resolved_at=review.reviewed_at, resolved_by_review=review
    )
    audit_record(
        user=user,
        action=AccessAction.CREATE,
        object_type="casereview",
        object_id=review.pk,
        patient_id=referral.patient_id,
    )
    return review


def _proposal(referral: Referral) -> StepChange | None:
    return StepChange.objects.filter(referral=referral, status=StepChangeStatus.PROPOSED).first()


def _carry_step_decision(user, referral, decisions, notes, end_code, practitioner) -> None:
    proposal = _proposal(referral)
    today = timezone.localdate()
    reason = notes or "Decided in case-management supervision."
    if Decision.STEP_UP in decisions:
        if proposal and proposal.kind == StepChangeKind.STEP_UP:
            step_change_decide(user=user, change=proposal, confirm=True, practitioner=practitioner, note=notes)
        else:
            if proposal:
                step_change_decide(user=user, change=proposal, confirm=False, note="Superseded by a step up.")
            step_change_record_confirmed(
                user=user,
                referral=referral,
                kind=StepChangeKind.STEP_UP,
                reason=reason,
                effective_on=today,
                to_step=3,
                practitioner=practitioner,
            )
    elif Decision.DISCHARGE in decisions:
        if proposal and proposal.kind in (StepChangeKind.DISCHARGE, StepChangeKind.STEP_DOWN) and not end_code:
            step_change_decide(user=user, change=proposal, confirm=True, note=notes)
        else:
            if proposal:
                step_change_decide(user=user, change=proposal, confirm=False, note="Superseded by a discharge.")
            step_change_record_confirmed(
                user=user,
                referral=referral,
                kind=StepChangeKind.DISCHARGE,
                reason=reason,
                effective_on=today,
                end_code=end_code,
            )
    elif proposal and Decision.CONTINUE in decisions:
        step_change_decide(user=user, change=proposal, confirm=False, note=notes or "Continue at this step.")


@transaction.atomic
def flag_request(*, user: User, referral: Referral, question: str) -> Flag:
    """A PWP asks for a case to be brought to supervision: only the practitioner
    holding the case (accounts/policy.py; PermissionDenied otherwise)."""
    policy.require(WriteAction.FLAG_REQUEST, user, referral)
    if not question.strip():
        raise ValidationError({"question": "Write what you want to discuss."})
    try:
        with transaction.atomic():
            flag = Flag.objects.create(
                referral=referral, reason=FlagReason.PWP_REQUEST, raised_by=user, detail=question.strip()
            )
    except IntegrityError:
        flag = Flag.objects.get(referral=referral, reason=FlagReason.PWP_REQUEST, resolved_at__isnull=True)
        flag.detail = f"{flag.detail}\n{question.strip()}"
        flag.save(update_fields=["detail"])
    audit_record(
        user=user, action=AccessAction.CREATE, object_type="flag", object_id=flag.pk, patient_id=referral.patient_id
    )
    return flag


def agenda_for(flagged_cases) -> tuple[list, list]:
    """Fits the prioritised cases into the hour: each case takes the minutes of
    its most demanding flag; the rest wait for the next session."""
    fitted, later, used = [], [], 0
    for case in flagged_cases:
        minutes = max((MINUTES_PER_CASE.get(r, DEFAULT_MINUTES_PER_CASE) for r in case.reasons), default=5)
        if used + minutes <= AGENDA_MINUTES:
            fitted.append(case)
            used += minutes
        else:
            later.append(case)
    return fitted, later


@transaction.atomic
def supervision_session_start(*, user: User, supervisee: User, agenda_referral_ids) -> SupervisionSession:
    if user.role != Role.SUPERVISOR or not _is_supervisor_of(user, supervisee.pk) or user.pk == supervisee.pk:
        raise ValidationError("Open supervision only with one of your supervisees.")
    return SupervisionSession.objects.create(supervisor=user, supervisee=supervisee, agenda=list(agenda_referral_ids))


@transaction.atomic
def clinical_skills_log(
    *, user: User, held_on: date, format: str, attendees, duration_minutes: int = 60, topics: str = ""
) -> ClinicalSkillsSupervision:
    errors = {}
    if user.role != Role.SUPERVISOR:
        raise ValidationError("Only supervisors log clinical-skills supervision.")
    if held_on > timezone.localdate():
        errors["held_on"] = "The date cannot be in the future."
    elif held_on < timezone.localdate() - timedelta(days=CLINICAL_SKILLS_LOG_WINDOW_DAYS):
        errors["held_on"] = "Log clinical-skills supervision within a year of holding it."
    attendees = list(attendees)
    if not attendees:
        errors["attendees"] = "Choose who attended."
    if format == "individual" and len(attendees) != 1:
        errors["attendees"] = "Individual supervision has one attendee."
    if errors:
        raise ValidationError(errors)
    log = ClinicalSkillsSupervision.objects.create(
        supervisor=user, held_on=held_on, format=format, duration_minutes=duration_minutes, topics=topics
    )
    log.attendees.set(attendees)
    return log
