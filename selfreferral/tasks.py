"""Thin tasks: the self-referral's row id in, a message out (selfreferral/messages.py)."""

from celery import shared_task

from . import messages


@shared_task(name="selfreferral.acknowledge", autoretry_for=(Exception,), retry_backoff=30, max_retries=5)
def acknowledge(self_referral_id):
    return messages.acknowledge(str(self_referral_id))


@shared_task(name="selfreferral.reply", autoretry_for=(Exception,), retry_backoff=30, max_retries=5)
def reply(self_referral_id):
    return messages.reply(str(self_referral_id))
