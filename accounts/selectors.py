"""Reads about access: the staff changes of a service, for a service manager.
(Who read a patient's record is the patients floor's: patients/selectors.py.)"""

from __future__ import annotations

from django.http import Http404

from .models import AccessLog, Role, User

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
