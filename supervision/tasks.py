"""Thin Celery tasks: ids only, never patient data (the broker stores arguments)."""

from celery import shared_task

from . import sweep


@shared_task(name="supervision.flag_cases")
def flag_cases(full: bool = False) -> dict:
    """Hourly: incremental (cases with new evidence, and the overdue); nightly: full."""
    result = sweep.sweep(full=full)
    return {"raised": result.raised_total, "resolved": result.resolved}


@shared_task(name="supervision.flag_referral")
def flag_referral(referral_id: str) -> dict:
    """Raises the clinical flags of one case right after a session (risk at once)."""
    result = sweep.sweep(referral_ids=[referral_id])
    return {"raised": result.raised_total, "resolved": result.resolved}


@shared_task(name="supervision.email_notifications_due")
def email_notifications_due() -> int:
    """Every minute: emails any risk notification whose email has not gone after the grace period."""
    return sweep.email_notifications_due()


@shared_task(name="supervision.email_notifications")
def email_notifications(notification_ids: str) -> int:
    """Emails these notifications at once, each exactly once (supervision/duty.py
    `notify_at_once` queues it through the outbox): `notification_ids` is their
    ids joined by commas, as the outbox keeps each argument as a string."""
    return sweep.email_notifications([int(pk) for pk in notification_ids.split(",") if pk])
