"""The self-referral's messages through GOV.UK Notify (issue 20): the
acknowledgement after a submit, and the reply after a rejection when staff ask
for one. The text carries the reference and the service's name only (no name,
no date of birth, nothing clinical: DOMAIN.md "Appointments and messages");
consented channels only, text message first. Each send is claimed first (one
UPDATE from PENDING to SENDING) so a task run twice sends once."""

from __future__ import annotations

import re

from django.conf import settings
from django.db import transaction
from notifications_python_client.errors import HTTPError

from appointments.notify import notify_client

from .codes import Channel, MessageStatus
from .models import SelfReferral

ACKNOWLEDGEMENT = (
    "{service} has received your self-referral, reference {reference}. We will contact you within 2 working days. "
    "If you need help now, call NHS 111 and choose option 2, or call 999 in an emergency."
)
REPLY = (
    "{service} has looked at your self-referral, reference {reference}, and cannot offer you an appointment. "
    "Please call your GP practice to talk about other help. If you need help now, call NHS 111 and choose option 2."
)


def _send(row: SelfReferral, text: str) -> tuple[str, str]:
    """(status, Notify id) after one attempt."""
    client = notify_client()
    sms_template = settings.NOTIFY_SELF_REFERRAL_SMS_TEMPLATE_ID
    email_template = settings.NOTIFY_SELF_REFERRAL_EMAIL_TEMPLATE_ID
    if client is None:
        return MessageStatus.NOT_CONFIGURED, ""
    personalisation = {"message": text, "reference": row.reference}
    try:
        if Channel.SMS in row.channels and row.mobile and sms_template:
            response = client.send_sms_notification(
                phone_number=re.sub(r"[ -]", "", row.mobile),
                template_id=sms_template,
                personalisation=personalisation,
                reference=str(row.pk),
            )
        elif Channel.EMAIL in row.channels and row.email and email_template:
            response = client.send_email_notification(
                email_address=row.email,
                template_id=email_template,
                personalisation=personalisation,
                reference=str(row.pk),
            )
        else:
            return MessageStatus.NOT_CONFIGURED, ""
    except HTTPError as exc:
        if exc.status_code and 400 <= exc.status_code < 500 and exc.status_code != 429:
            return MessageStatus.FAILED, ""
        raise
    return MessageStatus.SENT, response["id"]


def _deliver(self_referral_id, *, field: str, template: str) -> str:
    """Claims the row's pending message (`field`: acknowledgement or reply), sends it,
    records the outcome. Returns the status now held ("" when nothing was pending)."""
    with transaction.atomic():
        claimed = SelfReferral.objects.filter(pk=self_referral_id, **{field: MessageStatus.PENDING}).update(
            **{field: MessageStatus.SENDING}
        )
    if not claimed:
        return ""
    row = SelfReferral.objects.select_related("service").get(pk=self_referral_id)
    try:
        status, notify_id = _send(row, template.format(service=row.service.name, reference=row.reference))
    except Exception:
        # Left for a retry: give the claim back (Notify unreachable, 5xx, 429).
        SelfReferral.objects.filter(pk=row.pk, **{field: MessageStatus.SENDING}).update(
            **{field: MessageStatus.PENDING}
        )
        raise
    SelfReferral.objects.filter(pk=row.pk).update(**{field: status, f"{field}_notify_id": notify_id})
    return status


def acknowledge(self_referral_id) -> str:
    return _deliver(self_referral_id, field="acknowledgement", template=ACKNOWLEDGEMENT)


def reply(self_referral_id) -> str:
    return _deliver(self_referral_id, field="reply", template=REPLY)
