"""Who is on duty, and telling them at once (issue 20; DOMAIN.md "Patients taking
part": a positive risk answer from a patient, on the self-referral form or a
questionnaire, reaches a clinician the same day).

One rule for both patient-facing apps: the service's duty worker
(supervision.DutyWorker) when one is set and still an active clinician of the
service; where none is, every active supervisor of the service; where there is
none, its service managers, so that a risk answer does not go to nobody.
Notifications carry no patient detail in their email (supervision/sweep.py
`email_notifications`); the email is queued through the outbox in the writer's
transaction and sent by the worker seconds after it commits, whatever the time."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.utils import timezone

from accounts.models import CLINICAL_ROLES, Role, User

from .models import DutyWorker, Flag, Notification, NotificationKind

logger = logging.getLogger(__name__)


def _standing_duty_worker(service_id: int | None):
    """The service's DutyWorker row while its user is still an active clinician
    of that service (a queryset of at most one row); none otherwise."""
    return DutyWorker.objects.filter(
        service_id=service_id,
        user__is_active=True,
        user__service_id=service_id,
        user__role__in=CLINICAL_ROLES,
    )


def duty_clinician_ids(service_id: int | None) -> list[int]:
    """User ids (sorted) told of a patient's risk answer for the service, by the
    first rule that names anyone: `[duty worker]` when one is set and is still an
    active clinician of the service; else the service's active supervisors; else
    its active service managers, so that the answer reaches someone who can act
    (DOMAIN.md "Patients taking part"). Empty only for a service with none of
    these, which is logged (the service id only). At most three queries; raises
    nothing."""
    duty = _standing_duty_worker(service_id).values_list("user_id", flat=True).first()
    if duty is not None:
        return [duty]
    active = User.objects.filter(service_id=service_id, is_active=True)
    for role in (Role.SUPERVISOR, Role.SERVICE_MANAGER):
        ids = sorted(active.filter(role=role).values_list("pk", flat=True))
        if ids:
            return ids
    logger.warning("service %s: no duty worker, supervisor or manager to tell of a risk answer", service_id)
    return []


def is_duty_worker(user) -> bool:
    """True when `user` is their own service's duty worker and still an active
    clinician there (the same rule as `duty_clinician_ids`); one query."""
    if not getattr(user, "service_id", None):
        return False
    return _standing_duty_worker(user.service_id).filter(user_id=user.pk).exists()


def notify_at_once(user_ids: Iterable[int | None], *, kind: str, message: str, flag: Flag | None = None) -> list[int]:
    """In-app notifications of `kind` (NotificationKind) to each user id (None and
    repeats dropped), in the caller's transaction, and their email queued through
    the outbox (task `supervision.email_notifications`, notification ids only): the
    worker sends it seconds after the commit, and no mail server holds up the
    caller's request. With a `flag`, one per flag and user: a notification the
    flag's own handler made a moment before (the case's supervisors, kind
    "supervision") and not yet emailed takes this `kind` and `message`, so it is
    emailed with these words; one already emailed is left alone. `message` is shown in the app
    behind log-in, never emailed. Must run inside the writer's transaction
    (outbox_enqueue raises RuntimeError otherwise). Returns the ids queued."""
    from outbox.services import outbox_enqueue

    made = []
    now = timezone.now()
    for user_id in sorted({u for u in user_ids if u}):
        if flag is not None:
            notification, created = Notification.objects.get_or_create(
                flag=flag, user_id=user_id, defaults={"message": message, "kind": kind, "created_at": now}
            )
            if not created:
                if notification.emailed_at is None and notification.kind != kind:
                    Notification.objects.filter(pk=notification.pk, emailed_at__isnull=True).update(
                        kind=kind, message=message
                    )
                    made.append(notification.pk)
                continue
        else:
            notification = Notification.objects.create(user_id=user_id, kind=kind, message=message, created_at=now)
        made.append(notification.pk)
    if made:
        outbox_enqueue(task="supervision.email_notifications", args=[",".join(str(pk) for pk in made)])
    return made


__all__ = ["NotificationKind", "duty_clinician_ids", "is_duty_worker", "notify_at_once"]
