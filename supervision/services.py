"""Writes of supervision: reviews (which resolve flags and carry step decisions
through), PWP requests, supervision sessions and clinical-skills logs."""

from __future__ import annotations

from datetime import date, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts import policy
from accounts.audit import audit_record
from accounts.models import AccessAction, Role, SupervisionAssignment, User
from accounts.policy import WriteAction
from patients.codes import OPEN_STATUSES
from patients.models import Referral
from stepped_care.models import StepChange, StepChangeKind, StepChangeStatus
from stepped_care.services import step_change_decide, step_change_record_confirmed

from .agenda import clock, minutes_for, order_agenda
from .models import (
    CaseReview,
    ClinicalSkillsSupervision,
    Decision,
    Flag,
    FlagReason,
    SupervisionSession,
    TrackDecision,
    TrackObstacle,
)

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
    track_decision: str = "",
    track_obstacle: str = "",
) -> CaseReview:
    """Records a case-management review. Resolves the overdue flag always and the
    other flags when a decision addresses them; a step up or discharge decision
    confirms the PWP's proposal (or records the supervisor's own) in the stepped
    care record and the referral.

    A case with an open not-on-track flag (issue 21 item 3) needs
    `track_decision` (a TrackDecision value), and `track_obstacle` (a
    TrackObstacle value) when that decision is to address an obstacle; the
    review then resolves that flag. Without such a flag both must be blank.
    ValidationError names the field otherwise. Who may review: accounts/policy.py (a
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
    errors.update(_track_errors(referral, decisions, track_decision, track_obstacle))
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
        track_decision=track_decision,
        track_obstacle=track_obstacle,
    )
    review.step_change = _carry_step_decision(user, referral, decisions, notes, end_code, step_up_practitioner)
    Referral.objects.filter(pk=referral.pk).update(last_reviewed_at=review.reviewed_at)
    resolvable = [
        FlagReason.OVERDUE_REVIEW,
        FlagReason.PWP_REQUEST,
        FlagReason.NO_IMPROVEMENT,
        FlagReason.DETERIORATION,
        FlagReason.DNA,
    ]
    resolvable += [reason for reason, needs in ADDRESSES.items() if needs & set(decisions)]
    if track_decision:
        resolvable.append(FlagReason.NOT_ON_TRACK)
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


def _track_errors(referral: Referral, decisions: list[str], track_decision: str, track_obstacle: str) -> dict:
    """Field errors of the not-on-track decision (issue 21 item 3)."""
    if track_decision and track_decision not in TrackDecision.values:
        return {"track_decision": "Choose what was decided about the case not on track."}
    if track_obstacle and track_obstacle not in TrackObstacle.values:
        return {"track_obstacle": "Choose the obstacle from the list."}
    flagged = Flag.objects.filter(referral=referral, reason=FlagReason.NOT_ON_TRACK, resolved_at__isnull=True).exists()
    if not flagged:
        if track_decision or track_obstacle:
            return {"track_decision": "The case is not flagged as not on track."}
        return {}
    if not track_decision:
        return {"track_decision": "The case is not on track: record what was decided about it."}
    if track_decision == TrackDecision.ADDRESS_OBSTACLE and not track_obstacle:
        return {"track_obstacle": "Name the obstacle to be addressed."}
    if track_decision != TrackDecision.ADDRESS_OBSTACLE and track_obstacle:
        return {"track_obstacle": "An obstacle is named only when the decision is to address one."}
    if track_decision == TrackDecision.STEP_UP and Decision.STEP_UP not in decisions:
        return {"track_decision": "A step up is also chosen among the decisions, so the step change is recorded."}
    return {}


def _proposal(referral: Referral) -> StepChange | None:
    return StepChange.objects.filter(referral=referral, status=StepChangeStatus.PROPOSED).first()


def _carry_step_decision(user, referral, decisions, notes, end_code, practitioner) -> StepChange | None:
    """Carries a step up or discharge through; returns the confirmed change, if any."""
    proposal = _proposal(referral)
    today = timezone.localdate()
    reason = notes or "Decided in case-management supervision."
    if Decision.STEP_UP in decisions:
        if proposal and proposal.kind == StepChangeKind.STEP_UP:
            return step_change_decide(user=user, change=proposal, confirm=True, practitioner=practitioner, note=notes)
        else:
            if proposal:
                step_change_decide(user=user, change=proposal, confirm=False, note="Superseded by a step up.")
            return step_change_record_confirmed(
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
            return step_change_decide(user=user, change=proposal, confirm=True, note=notes)
        else:
            if proposal:
                step_change_decide(user=user, change=proposal, confirm=False, note="Superseded by a discharge.")
            return step_change_record_confirmed(
                user=user,
                referral=referral,
                kind=StepChangeKind.DISCHARGE,
                reason=reason,
                effective_on=today,
                end_code=end_code,
            )
    elif proposal and Decision.CONTINUE in decisions:
        step_change_decide(user=user, change=proposal, confirm=False, note=notes or "Continue at this step.")
    return None


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
    # The supervisor is told in this transaction; the email follows from the
    # worker's run of the case's flag task, published through the outbox.
    from outbox.services import outbox_enqueue

    from .sweep import notify_now

    notify_now([flag.pk])
    outbox_enqueue(task="supervision.flag_referral", args=[referral.pk])
    return flag


def minutes_config() -> dict:
    """Minutes per case by reason (settings.SUPERVISION_MINUTES_PER_CASE, configurable)."""
    return {**MINUTES_PER_CASE, "default": DEFAULT_MINUTES_PER_CASE, **settings.SUPERVISION_MINUTES_PER_CASE}


def agenda_plan(flagged_cases, *, carried_before=frozenset()) -> list[tuple]:
    """(case, minutes) in agenda order for a new session: risk first, then the
    overdue cases the last session carried over, then the rest in priority
    order; each case takes the minutes of its most demanding flag. Every case is
    on the plan: those past the hour show as carried, never dropped."""
    minutes = minutes_config()
    cases = order_agenda(list(flagged_cases), set(carried_before))
    return [(case, minutes_for(case.reasons, minutes)) for case in cases]


def agenda_for(flagged_cases) -> tuple[list, list]:
    """The cases that fit the hour and the cases carried to the next session."""
    plan = agenda_plan(flagged_cases)
    slots = clock([(case.pk, m) for case, m in plan], settings.SUPERVISION_SESSION_MINUTES)
    fitted = [case for (case, _), slot in zip(plan, slots, strict=True) if slot.fits]
    later = [case for (case, _), slot in zip(plan, slots, strict=True) if not slot.fits]
    return fitted, later


@transaction.atomic
def supervision_session_start(
    *, user: User, supervisee: User, agenda_referral_ids, agenda_minutes=None
) -> SupervisionSession:
    """Opens case-management supervision with a supervisee, its agenda (referral
    ids in order) and each case's minutes on the clock."""
    if user.role != Role.SUPERVISOR or not _is_supervisor_of(user, supervisee.pk) or user.pk == supervisee.pk:
        raise ValidationError("Open supervision only with one of your supervisees.")
    ids = list(agenda_referral_ids)
    minutes = list(agenda_minutes) if agenda_minutes is not None else [DEFAULT_MINUTES_PER_CASE] * len(ids)
    session = SupervisionSession.objects.create(
        supervisor=user,
        supervisee=supervisee,
        agenda=ids,
        agenda_minutes=minutes,
        duration_minutes=settings.SUPERVISION_SESSION_MINUTES,
    )
    audit_record(
        user=user,
        action=AccessAction.CREATE,
        object_type="supervisionsession",
        object_id=session.pk,
        detail={"cases": len(ids)},
    )
    return session


@transaction.atomic
def supervision_agenda_change(*, user: User, session: SupervisionSession, referral_id, action: str) -> None:
    """The supervisor reorders the agenda (`up`, `down`) or adds one of the
    supervisee's open cases (`add`, at the end, with the minutes of its open
    flags). The clock is recomputed from the new order."""
    session = SupervisionSession.objects.select_for_update().get(pk=session.pk)
    if session.supervisor_id != user.pk:
        raise ValidationError("Only the supervisor of this session changes its agenda.")
    agenda = list(session.agenda)
    minutes = list(session.agenda_minutes) or [DEFAULT_MINUTES_PER_CASE] * len(agenda)
    minutes += [DEFAULT_MINUTES_PER_CASE] * (len(agenda) - len(minutes))
    if action == "add":
        referral = (
            Referral.objects.filter(
                pk=referral_id, assigned_practitioner_id=session.supervisee_id, status__in=OPEN_STATUSES
            )
            .only("pk", "patient_id")
            .first()
        )
        if referral is None:
            raise ValidationError({"referral": "Choose one of the practitioner's open cases."})
        if referral.pk in agenda:
            raise ValidationError({"referral": "This case is already on the agenda."})
        reasons = Flag.objects.filter(referral=referral, resolved_at__isnull=True).values_list("reason", flat=True)
        agenda.append(referral.pk)
        minutes.append(minutes_for(list(reasons), minutes_config()))
        audit_record(
            user=user,
            action=AccessAction.UPDATE,
            object_type="supervisionsession",
            object_id=session.pk,
            patient_id=referral.patient_id,
            detail={"agenda": "add"},
        )
    elif action in ("up", "down"):
        try:
            index = agenda.index(referral_id)
        except ValueError as exc:
            raise ValidationError({"referral": "This case is not on the agenda."}) from exc
        other = index - 1 if action == "up" else index + 1
        if 0 <= other < len(agenda):
            agenda[index], agenda[other] = agenda[other], agenda[index]
            minutes[index], minutes[other] = minutes[other], minutes[index]
    else:
        raise ValidationError({"action": "Move a case up or down, or add one."})
    session.agenda, session.agenda_minutes = agenda, minutes
    session.save(update_fields=["agenda", "agenda_minutes"])


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


def notification_mark_read(*, user: User, notification_ids=None) -> int:
    """Marks the user's notifications read (these ids, or all with None); returns how many."""
    from .models import Notification
    from .unread import forget_unread

    qs = Notification.objects.filter(user=user, read_at__isnull=True)
    if notification_ids is not None:
        ids = [int(i) for i in notification_ids if str(i).isdigit()]
        qs = qs.filter(pk__in=ids)
    count = qs.update(read_at=timezone.now())
    forget_unread([user.pk])
    return count
