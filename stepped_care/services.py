"""Step decisions and changes (DOMAIN.md "Stepped care"): a PWP proposes, a
supervisor confirms; every change is history with date, reason and who."""

from __future__ import annotations

from datetime import date, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts import policy
from accounts.audit import audit_record
from accounts.models import AccessAction, Role, User
from accounts.policy import WriteAction
from patients.codes import EndCode, ReferralStatus
from patients.models import Referral

from .models import StepChange, StepChangeKind, StepChangeStatus

PROPOSAL_HORIZON = timedelta(days=365)  # further ahead is a typing error, not a plan


def _audit(user, referral, change, what):
    audit_record(
        user=user,
        action=AccessAction.UPDATE,
        object_type="referral",
        object_id=referral.pk,
        patient_id=referral.patient_id,
        detail={"change": what, "step_change": change.pk},
    )


def _lock(referral: Referral) -> Referral:
    return Referral.objects.select_for_update().get(pk=referral.pk)


def discharge_errors(*, referral: Referral, ended_on: date, end_code: str) -> dict[str, str]:
    """The discharge rules of stepped_care/discharge.py applied to the referral's
    recorded contacts (one aggregate query): the end date between the last
    recorded contact and today, the end code agreeing with the contacts.
    Field name -> message; empty when the discharge may go ahead."""
    from django.db.models import Max, Q

    from patients.contact_codes import ATTENDED, TREATMENT_APPOINTMENT_TYPES

    from . import discharge

    # Through the referral's own relation: the care contacts are the sessions app's,
    # a floor above, so this floor names no model of it.
    facts = referral.sessions.aggregate(
        last=Max("started_at"),
        attended_any=Max("pk", filter=Q(attendance__in=ATTENDED)),
        attended_treatment=Max(
            "pk", filter=Q(attendance__in=ATTENDED, appointment_type__in=TREATMENT_APPOINTMENT_TYPES)
        ),
    )
    errors = {}
    last_contact_on = timezone.localtime(facts["last"]).date() if facts["last"] else None
    if message := discharge.end_date_error(
        ended_on, received_on=referral.received_on, last_contact_on=last_contact_on, today=timezone.localdate()
    ):
        errors["effective_on"] = message
    if message := discharge.end_code_error(
        end_code,
        attended_any=facts["attended_any"] is not None,
        attended_treatment=facts["attended_treatment"] is not None,
    ):
        errors["end_code"] = message
    return errors


@transaction.atomic
def step_decision_record(
    *,
    user: User,
    referral: Referral,
    step: int,
    reason: str,
    exclusions=(),
    override_reason: str = "",
    effective_on: date | None = None,
) -> StepChange:
    """The step decision at assessment. Step 2 is refused for the exclusions
    (under 18, psychosis, bipolar, complex or enduring problems) unless an
    override reason is given, which is recorded. Made with the assessment, so
    by whoever may record a session on the case (accounts/policy.py)."""
    referral = _lock(referral)
    policy.require(WriteAction.SESSION_RECORD, user, referral)
    errors = {}
    if step not in (1, 2, 3):
        errors["step"] = "Choose step 1, 2 or 3."
    if step == 2 and exclusions and not override_reason.strip():
        errors["override_reason"] = (
            "This person meets an exclusion for step 2; signpost them, or give the reason to override."
        )
    if not reason.strip():
        errors["reason"] = "Give the reason for the step decision."
    if not referral.is_open:
        errors["step"] = "This referral has ended."
    if errors:
        raise ValidationError(errors)
    change = StepChange.objects.create(
        referral=referral,
        kind=StepChangeKind.ALLOCATION,
        status=StepChangeStatus.CONFIRMED,
        from_step=referral.current_step,
        to_step=step,
        effective_on=effective_on or timezone.localdate(),
        reason=reason,
        exclusions=list(exclusions),
        override_reason=override_reason,
        proposed_by=user,
        decided_by=user,
        decided_at=timezone.now(),
    )
    referral.current_step = step
    if referral.assigned_practitioner_id is None and user.role in (Role.PWP, Role.HIT):
        referral.assigned_practitioner = user
    if referral.opened_at is None:
        referral.opened_at = timezone.now()
    if referral.status in (ReferralStatus.RECEIVED, ReferralStatus.ASSESSED):
        referral.status = ReferralStatus.WAITING
    referral.version += 1
    referral.save()
    _audit(user, referral, change, "step_decision")
    return change


@transaction.atomic
def step_change_propose(
    *,
    user: User,
    referral: Referral,
    kind: str,
    reason: str,
    effective_on: date,
    to_step: int | None = None,
    end_code: str = "",
    raise_flag: bool = True,
) -> StepChange:
    """A practitioner proposes a step up, step down or discharge; the supervisor
    confirms. Who may propose: accounts/policy.py (the practitioner holding the
    case and their supervisor; PermissionDenied for anyone else). The proposal
    brings the case to supervision at once (`raise_flag`; off when the supervisor
    records their own decision, which needs no flag)."""
    referral = _lock(referral)
    policy.require(WriteAction.STEP_CHANGE_PROPOSE, user, referral)
    errors = {}
    if not referral.is_open:
        errors["kind"] = "This referral has ended."
    if kind not in (StepChangeKind.STEP_UP, StepChangeKind.STEP_DOWN, StepChangeKind.DISCHARGE):
        errors["kind"] = "Propose a step up, step down or discharge."
    if kind == StepChangeKind.STEP_UP and (to_step is None or (referral.current_step or 0) >= to_step):
        errors["to_step"] = "A step up goes to a higher step than the current one."
    if kind == StepChangeKind.STEP_DOWN and (to_step is None or to_step >= (referral.current_step or 4)):
        errors["to_step"] = "A step down goes to a lower step than the current one."
    if kind == StepChangeKind.DISCHARGE and end_code not in EndCode.values:
        errors["end_code"] = "Choose the national end code."
    if not reason.strip():
        errors["reason"] = "Give the reason."
    if effective_on < referral.received_on:
        errors["effective_on"] = "The date cannot be before the referral was received."
    elif effective_on > timezone.localdate() + PROPOSAL_HORIZON:
        errors["effective_on"] = "A proposal takes effect within the next year."
    if kind == StepChangeKind.DISCHARGE and not errors:
        # DOMAIN.md "Referrals and their codes": the end date and the end code agree with the record.
        errors.update(discharge_errors(referral=referral, ended_on=effective_on, end_code=end_code))
    if StepChange.objects.filter(referral=referral, status=StepChangeStatus.PROPOSED).exists():
        errors["kind"] = "A proposal is already awaiting the supervisor's decision."
    if errors:
        raise ValidationError(errors)
    change = StepChange.objects.create(
        referral=referral,
        kind=kind,
        from_step=referral.current_step,
        to_step=to_step if kind != StepChangeKind.DISCHARGE else None,
        effective_on=effective_on,
        reason=reason,
        end_code=end_code if kind == StepChangeKind.DISCHARGE else "",
        proposed_by=user,
    )
    _audit(user, referral, change, "step_change_proposed")
    # The proposal's flag is raised in this transaction (issue 16 item 4): the outbox
    # runs supervision's in-transaction handler now and publishes the rest of the
    # case's criteria to the worker.
    if raise_flag:
        from outbox.services import outbox_enqueue

        outbox_enqueue(task="supervision.flag_referral", args=[referral.pk])
    return change


@transaction.atomic
def step_change_decide(
    *, user: User, change: StepChange, confirm: bool, practitioner: User | None = None, note: str = ""
) -> StepChange:
    """The supervisor confirms (or declines) a proposal. A confirmed step change
    moves the referral's step (and, stepping up, its practitioner when one is
    named); a confirmed discharge ends the referral with the national end code.
    Who may decide: accounts/policy.py (a supervisor of the practitioner holding
    the case who is not that practitioner; PermissionDenied for anyone else)."""
    change = StepChange.objects.select_for_update().get(pk=change.pk)
    referral = _lock(change.referral)
    policy.require(WriteAction.STEP_CHANGE_DECIDE, user, referral)
    if change.status != StepChangeStatus.PROPOSED:
        raise ValidationError("This proposal has already been decided.")
    # Checked again at confirmation: contacts may have been recorded, and days
    # passed, since the proposal.
    if (
        confirm
        and change.kind == StepChangeKind.DISCHARGE
        and (
            errors := discharge_errors(
                referral=referral, ended_on=max(change.effective_on, referral.received_on), end_code=change.end_code
            )
        )
    ):
        raise ValidationError(
            {
                name: f"{message} The proposed discharge cannot be confirmed as it stands: decline it, "
                "and the practitioner proposes it again."
                for name, message in errors.items()
            }
        )
    change.status = StepChangeStatus.CONFIRMED if confirm else StepChangeStatus.DECLINED
    change.decided_by = user
    change.decided_at = timezone.now()
    if note:
        change.reason = f"{change.reason}\n\nSupervisor: {note}"
    if confirm:
        change.from_practitioner_id = referral.assigned_practitioner_id
        if change.kind != StepChangeKind.DISCHARGE:
            change.to_practitioner_id = practitioner.pk if practitioner else referral.assigned_practitioner_id
    change.save()
    if confirm:
        if change.kind == StepChangeKind.DISCHARGE:
            _end(referral, end_code=change.end_code, ended_on=max(change.effective_on, referral.received_on))
        else:
            referral.current_step = change.to_step
            if practitioner is not None:
                referral.assigned_practitioner = practitioner
            referral.version += 1
            referral.save()
    _audit(user, referral, change, "step_change_confirmed" if confirm else "step_change_declined")
    return change


@transaction.atomic
def step_change_record_confirmed(
    *,
    user: User,
    referral: Referral,
    kind: str,
    reason: str,
    effective_on: date,
    to_step: int | None = None,
    end_code: str = "",
    practitioner: User | None = None,
) -> StepChange:
    """A supervisor's own decision in supervision: propose and confirm in one step."""
    change = step_change_propose(
        user=user,
        referral=referral,
        kind=kind,
        reason=reason,
        effective_on=effective_on,
        to_step=to_step,
        end_code=end_code,
        raise_flag=False,
    )
    return step_change_decide(user=user, change=change, confirm=True, practitioner=practitioner)


def _end(referral: Referral, *, end_code: str, ended_on: date) -> None:
    referral.status = ReferralStatus.ENDED
    referral.end_code = end_code
    referral.ended_on = ended_on
    referral.version += 1
    referral.save()
