"""Reads about access: who read a patient's record, for a service manager."""

from __future__ import annotations

from django.db.models import Q
from django.http import Http404

from .audit import audit_record
from .models import AccessAction, AccessLog, Role, User


def record_access_for_manager(*, user: User, patient_id):
    """The access log entries of one patient's record (reads of it, and list
    pages that showed it), newest first, for a service manager of a service the
    patient has a referral with. 404 for any other user or record; the read of
    the access log is itself audited."""
    from patients.models import Patient

    if user.role != Role.SERVICE_MANAGER:
        raise Http404("No such record")
    try:
        if not Patient.objects.visible_to(user).filter(pk=patient_id).exists():
            raise Http404("No such record")
    except (ValueError, TypeError) as exc:
        raise Http404("No such record") from exc
    audit_record(
        user=user, action=AccessAction.VIEW, object_type="access_log", object_id=patient_id, patient_id=patient_id
    )
    return AccessLog.objects.filter(
        Q(patient_id=patient_id) | Q(action=AccessAction.LIST, detail__contains={"patient_ids": [str(patient_id)]})
    ).order_by("-at", "-id")
