"""Reads about access: who read a patient's record, and the staff changes of a
service, for a service manager."""

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


STAFF_CHANGE_OBJECT_TYPES = ("user", "supervision_assignment")


def staff_changes_for_user(*, user: User):
    """Audited changes to staff accounts and supervision assignments, newest
    first: role, service, team, permissions, active state, password and second
    factor resets, who supervises whom (accounts/services.py). A service
    manager sees those touching their service (before or after the change); a
    system administrator sees every one. 404 for any other role.

    Returns a QuerySet of AccessLog; its detail holds {"event", "subject",
    "changes": {field: {"before", "after"}}, "service_ids"}."""
    entries = AccessLog.objects.filter(object_type__in=STAFF_CHANGE_OBJECT_TYPES).order_by("-at", "-id")
    if user.role == Role.SYSTEM_ADMIN:
        return entries
    if user.role == Role.SERVICE_MANAGER and user.service_id is not None:
        return entries.filter(detail__contains={"service_ids": [user.service_id]})
    raise Http404("No such page")
