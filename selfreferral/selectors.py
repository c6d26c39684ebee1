"""Reads of incoming self-referrals for staff (issue 20 item 2), with access
checks (404 outside the user's service or role) and their audit rows."""

from __future__ import annotations

from django.http import Http404

from accounts.audit import audit_record
from accounts.models import AccessAction, Role, User
from supervision.duty import is_duty_worker

from .codes import Status
from .matching import matches_for
from .models import SelfReferral

READING_ROLES = frozenset({Role.REFERRAL_ADMIN, Role.SERVICE_MANAGER, Role.SUPERVISOR})
LIST_LIMIT = 200


def _check(user: User) -> bool:
    """Administrators, managers and supervisors of the service read its
    self-referrals; so does its duty worker, whoever they are, since an urgent
    one is theirs to act on today (supervision/duty.py). 404 otherwise. Returns
    whether the user is shown matches with existing patients: not the duty
    worker as such, who has no relationship to those patients' records."""
    if user.service_id is None:
        raise Http404
    if user.role in READING_ROLES:
        return True
    if is_duty_worker(user):
        return False
    raise Http404


def _attach_matches(rows: list[SelfReferral], shown: bool) -> None:
    matches = matches_for(rows) if shown and rows else {}
    for row in rows:
        row.match = matches.get(row.pk)
        row.match_withheld = not shown


def incoming_for_user(*, user: User) -> list[SelfReferral]:
    """The service's self-referrals waiting for a decision, urgent first, then
    oldest first (at most LIST_LIMIT), each with `.match` (matching.Match or None).
    Audited as one list entry naming the matched patients shown. Shape: 3 queries
    (rows, NHS number matches, name key matches) + 1 audit insert + the rows' name keys."""
    shown = _check(user)
    rows = list(
        SelfReferral.objects.filter(service_id=user.service_id, status=Status.NEW).order_by(
            "-urgent", "submitted_at", "pk"
        )[:LIST_LIMIT]
    )
    _attach_matches(rows, shown)
    if rows:
        audit_record(
            user=user,
            action=AccessAction.LIST,
            object_type="incoming_self_referrals",
            detail={
                "self_referral_ids": [str(r.pk) for r in rows],
                "patient_ids": sorted({str(r.match.patient.pk) for r in rows if r.match}),
                "count": len(rows),
            },
        )
    return rows


def waiting_counts(*, user: User) -> dict:
    """{"waiting": n, "urgent": n} for the user's service (one query; no patient detail)."""
    from django.db.models import Count, Q

    if user.role not in READING_ROLES or user.service_id is None:
        return {"waiting": 0, "urgent": 0}
    return SelfReferral.objects.filter(service_id=user.service_id, status=Status.NEW).aggregate(
        waiting=Count("pk"), urgent=Count("pk", filter=Q(urgent=True))
    )


def self_referral_get_for_user(*, user: User, self_referral_id) -> SelfReferral:
    """One self-referral of the user's service with `.match`; 404 otherwise. Audited
    as a view (with the matched patient, whose record it discloses)."""
    shown = _check(user)
    row = (
        SelfReferral.objects.select_related("decided_by", "patient")
        .filter(pk=self_referral_id, service_id=user.service_id)
        .first()
    )
    if row is None:
        raise Http404
    _attach_matches([row], shown and row.status == Status.NEW)
    row.match_withheld = not shown
    audit_record(
        user=user,
        action=AccessAction.VIEW,
        object_type="self_referral",
        object_id=row.pk,
        patient_id=row.match.patient.pk if row.match else row.patient_id,
    )
    return row
