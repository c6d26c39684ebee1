"""Who is on duty, and telling them at once (issue 20; DOMAIN.md "Patients taking
part": a positive risk answer from a patient, on the self-referral form or a
questionnaire, reaches a clinician the same day).

One rule for both patient-facing apps: the service's duty worker
(supervision.DutyWorker) when one is set and still an active clinician of the
service; where none is, every active supervisor of the service, so that a risk
answer never goes to nobody. Notifications carry no patient detail in their
email (supervision/sweep.py `email_notifications`), and are emailed as soon as
the writer's transaction commits, whatever the time."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone

from accounts.models import CLINICAL_ROLES, Role, User

from .models import DutyWorker, Flag, Notification, NotificationKind


def duty_clinician_ids(service_id) -> list[int]:
    """User ids told of a patient's risk answer for the service: `[duty worker]`
    when one is set and is an active clinician of the service, else the ids of
    the service's active supervisors (sorted; may be empty only for a service
    with neither). Two queries at most."""
    duty = (
        DutyWorker.objects.filter(
            service_id=service_id,
            user__is_active=True,
            user__service_id=service_id,
            user__role__in=CLINICAL_ROLES,
        )
        .values_list("user_id", flat=True)
        .first()
    )
    if duty is not None:
        return [duty]
    return sorted(
        User.objects.filter(service_id=service_id, role=Role.SUPERVISOR, is_active=True).values_list("pk", flat=True)
    )


def is_duty_worker(user) -> bool:
    """True when `user` is the set duty worker of their own service (one query)."""
    if not getattr(user, "service_id", None):
        return False
    return DutyWorker.objects.filter(service_id=user.service_id, user_id=user.pk).exists()


def notify_at_once(user_ids: Iterable[int | None], *, kind: str, message: str, flag: Flag | None = None) -> list[int]:
    """In-app notifications of `kind` (NotificationKind) to each user id (None and
    repeats dropped), in the caller's transaction, emailed right after it commits.
    With a `flag`, at most one per flag and user (an existing one is kept, not
    sent again). `message` is shown in the app behind log-in, never emailed.
    Returns the ids of the notifications made here."""
    from .sweep import email_notifications

    made = []
    now = timezone.now()
    for user_id in sorted({u for u in user_ids if u}):
        if flag is not None:
            notification, created = Notification.objects.get_or_create(
                flag=flag, user_id=user_id, defaults={"message": message, "kind": kind, "created_at": now}
            )
            if not created:
                continue
        else:
            notification = Notification.objects.create(user_id=user_id, kind=kind, message=message, created_at=now)
        made.append(notification.pk)
    if made:
        transaction.on_commit(lambda: email_notifications(made))
    return made


__all__ = ["NotificationKind", "duty_clinician_ids", "is_duty_worker", "notify_at_once"]
