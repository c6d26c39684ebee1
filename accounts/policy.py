"""The write-access policy: one function per write action on a case, used by the
page, the API and the service alike (docs/decisions/012).

Reads stay with the selectors (a record outside the relationship is 404, see
patients/querysets.py); these functions answer the next question, for a record
the user can already see: may this user make this write? Each takes the user and
the referral (any object with `assigned_practitioner_id` and `service_id`) and
returns a bool; `require` raises PermissionDenied (HTTP 403 on a page and in the
API) with the reason.

The rules (DOMAIN.md "Who uses it", "Stepped care", "Supervision"; issue 13):

- sessions, assessments, risk events, amendments: the practitioner holding the
  case, or a current supervisor of that practitioner (covering);
- a step change or discharge proposal: the practitioner holding the case and
  their supervisor;
- deciding a proposal, and a case review: a current supervisor of the holder
  who is not the holder (nobody reviews or decides their own case);
- asking for supervision: the practitioner holding the case;
- allocation: referral administrators, service managers and supervisors of the
  referral's service.

Service managers and referral administrators make no clinical write; the
system administrator makes none at all.
"""

from __future__ import annotations

from enum import StrEnum

from django.core.exceptions import PermissionDenied

from .models import Role, SupervisionAssignment


class WriteAction(StrEnum):
    SESSION_RECORD = "session_record"  # a therapy session, and the assessment (a first session)
    RISK_RECORD = "risk_record"
    AMENDMENT_RECORD = "amendment_record"
    STEP_CHANGE_PROPOSE = "step_change_propose"  # step up, step down or discharge
    STEP_CHANGE_DECIDE = "step_change_decide"
    CASE_REVIEW_RECORD = "case_review_record"
    FLAG_REQUEST = "flag_request"  # "bring this case to supervision"
    REFERRAL_ALLOCATE = "referral_allocate"


PRACTITIONER_ROLES = frozenset({Role.PWP, Role.HIT, Role.SUPERVISOR})
ALLOCATING_ROLES = frozenset({Role.REFERRAL_ADMIN, Role.SERVICE_MANAGER, Role.SUPERVISOR})


def _active(user) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.is_active)


def holds(user, referral) -> bool:
    """The user is the practitioner holding the case."""
    return (
        _active(user)
        and user.role in PRACTITIONER_ROLES
        and referral.assigned_practitioner_id is not None
        and referral.assigned_practitioner_id == user.pk
    )


def supervises_holder(user, referral) -> bool:
    """The user is a supervisor with a current supervision assignment over the
    practitioner holding the case, and is not that practitioner. One query."""
    practitioner_id = referral.assigned_practitioner_id
    if not _active(user) or user.role != Role.SUPERVISOR or practitioner_id in (None, user.pk):
        return False
    return SupervisionAssignment.objects.current().filter(supervisor=user, supervisee_id=practitioner_id).exists()


def can_record_session(user, referral) -> bool:
    return holds(user, referral) or supervises_holder(user, referral)


def can_record_risk(user, referral) -> bool:
    return holds(user, referral) or supervises_holder(user, referral)


def can_record_amendment(user, referral) -> bool:
    return holds(user, referral) or supervises_holder(user, referral)


def can_propose_step_change(user, referral) -> bool:
    """The practitioner holding the case and their supervisor."""
    return holds(user, referral) or supervises_holder(user, referral)


def can_decide_step_change(user, referral) -> bool:
    """A supervisor of the holder who is not the holder."""
    return supervises_holder(user, referral)


def can_review_case(user, referral) -> bool:
    """A supervisor of the holder who is not the holder: nobody reviews their own case."""
    return supervises_holder(user, referral)


def can_request_supervision(user, referral) -> bool:
    return holds(user, referral)


def can_allocate(user, referral) -> bool:
    return (
        _active(user)
        and user.role in ALLOCATING_ROLES
        and user.service_id is not None
        and user.service_id == referral.service_id
    )


RULES = {
    WriteAction.SESSION_RECORD: (
        can_record_session,
        "Only the practitioner holding the case, or their supervisor, records sessions on it.",
    ),
    WriteAction.RISK_RECORD: (
        can_record_risk,
        "Only the practitioner holding the case, or their supervisor, records risk on it.",
    ),
    WriteAction.AMENDMENT_RECORD: (
        can_record_amendment,
        "Only the practitioner holding the case, or their supervisor, amends its record.",
    ),
    WriteAction.STEP_CHANGE_PROPOSE: (
        can_propose_step_change,
        "Only the practitioner holding the case, or their supervisor, proposes a step change or discharge.",
    ),
    WriteAction.STEP_CHANGE_DECIDE: (
        can_decide_step_change,
        "Only a supervisor of the practitioner holding the case decides a step change or discharge.",
    ),
    WriteAction.CASE_REVIEW_RECORD: (
        can_review_case,
        "Only a supervisor of the practitioner holding the case reviews it; nobody reviews their own case.",
    ),
    WriteAction.FLAG_REQUEST: (
        can_request_supervision,
        "Only the practitioner holding the case asks for it to be brought to supervision.",
    ),
    WriteAction.REFERRAL_ALLOCATE: (
        can_allocate,
        "Only referral administrators, service managers and supervisors of the service allocate referrals.",
    ),
}


def allowed(action: WriteAction | str, user, referral) -> bool:
    """Whether `user` may make the write `action` on `referral`'s case."""
    return RULES[WriteAction(action)][0](user, referral)


def require(action: WriteAction | str, user, referral) -> None:
    """Raises PermissionDenied (a 403 on the page and in the API, nothing
    written) when `user` may not make the write `action` on `referral`'s case."""
    rule, message = RULES[WriteAction(action)]
    if not rule(user, referral):
        raise PermissionDenied(message)
