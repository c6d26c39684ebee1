"""Reads about access: who read a patient's record, for a service manager."""

from __future__ import annotations

from django.db.models import Q
from django.http import Http404

from .audit import audit_record
from .models import AccessAction, AccessLog, AccessLogPatient, Role, User


def record_access_for_manager(*, user: User, patient_id):
    """The access log entries of one patient's record, newest first: reads of
    it, the list pages, searches and supervision pages that showed it (their
    detail's patient_ids) and the exports and downloads that held it (their
    manifest, AccessLogPatient), for a service manager of a service the
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
    # Two branches joined by UNION, each on its own index: the patient_id index
    # and the GIN index on the detail (a BitmapOr), and the manifest's primary
    # key. One OR of all three would scan the whole log: a hashed IN-subquery
    # cannot join a bitmap OR.
    named = AccessLog.objects.filter(Q(patient_id=patient_id) | Q(detail__contains={"patient_ids": [str(patient_id)]}))
    exported = AccessLog.objects.filter(
        pk__in=AccessLogPatient.objects.filter(patient_id=patient_id).values("access_log_id")
    )
    return named.union(exported).order_by("-at", "-id")
