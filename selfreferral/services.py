"""Every write to self-referrals (issue 20): the public submit, and the staff's
accept, merge and reject. Atomic and audited; nothing enters the clinical record
(patients, referrals) until a member of staff accepts or merges.

Rules: adults only (DOMAIN.md "Patients taking part"; the under-18 page stores
nothing, so a submit for an under-18 is refused here too); a positive risk answer
reaches a clinician the same day (DOMAIN.md "Patients taking part"): the row is
urgent and the service's duty clinicians (supervision/duty.py) get an in-app
notification at once, its email queued in the submit's transaction."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from types import SimpleNamespace

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.audit import audit_record
from accounts.models import AccessAction, Role, Service, User
from outbox.services import outbox_enqueue
from patients import services as patient_services
from patients.codes import ReferralSource, Sex
from patients.models import Patient
from supervision.duty import NotificationKind, duty_clinician_ids, notify_at_once

from .codes import SILENT_REJECT_REASONS, Channel, Duration, MessageStatus, RejectReason, Status
from .matching import match_for
from .models import SelfReferral
from .reference import new_reference

DECIDING_ROLES = frozenset({Role.REFERRAL_ADMIN, Role.SERVICE_MANAGER})
# Who the audit log names for the public form's own writes (issue 20 item 4: the
# person's own, not a member of staff's).
PUBLIC = SimpleNamespace(pk=None, username="public self-referral", role="public")


def public_service() -> Service:
    """The service the public form refers people to: SELF_REFERRAL_SERVICE_ODS, or the first service."""
    qs = Service.objects.order_by("pk")
    if settings.SELF_REFERRAL_SERVICE_ODS:
        qs = qs.filter(ods_code=settings.SELF_REFERRAL_SERVICE_ODS)
    service = qs.first()
    if service is None:
        raise ValidationError("No service takes self-referrals here.")
    return service


@dataclass(frozen=True)
class Answers:
    """A validated self-referral, from the wizard's forms (selfreferral/forms.py)."""

    given_name: str
    family_name: str
    date_of_birth: date
    nhs_number: str
    address: str
    postcode: str
    gp_practice_name: str
    mobile: str
    email: str
    phone: str
    channels: list
    problem: str
    duration: str
    hopes: str
    risk_answers: dict
    stated_gender: str
    gender_identity: str
    ethnicity: str


def _has_message_channel(row: SelfReferral) -> bool:
    return (Channel.SMS in row.channels and bool(row.mobile)) or (Channel.EMAIL in row.channels and bool(row.email))


@transaction.atomic
def self_referral_submit(*, answers: Answers, submission_key: uuid.UUID, started_at: datetime) -> SelfReferral:
    """Stores one self-referral (one row per `submission_key`: a second submit of
    the same form returns the first row unchanged) and, after commit, sends the
    acknowledgement (task `selfreferral.acknowledge`, the row id only). Urgent when
    any risk answer is yes. Raises ValidationError for an under-18 (nothing stored)."""
    from patients.names import normalise_name
    from patients.services import age_at_referral_error

    today = timezone.localdate()
    if age_at_referral_error(date_of_birth=answers.date_of_birth, received_on=today):
        raise ValidationError("Self-referral is for adults (18 and over).")
    if answers.duration not in Duration.values:
        raise ValidationError({"duration": "Select how long you have felt like this"})
    existing = SelfReferral.objects.filter(submission_key=submission_key).first()
    if existing is not None:
        return existing
    service = public_service()
    urgent = any(bool(v) for v in answers.risk_answers.values())
    fields = {**answers.__dict__}
    fields["given_name"] = normalise_name(fields["given_name"])
    fields["family_name"] = normalise_name(fields["family_name"])
    row = SelfReferral(
        service=service,
        submission_key=submission_key,
        urgent=urgent,
        started_at=started_at,
        submitted_at=timezone.now(),
        **fields,
    )
    for _attempt in range(5):
        row.reference = new_reference()
        try:
            with transaction.atomic():
                row.save(force_insert=True)
            break
        except IntegrityError:
            existing = SelfReferral.objects.filter(submission_key=submission_key).first()
            if existing is not None:  # the same form, submitted twice at once
                return existing
            # else a reference drawn twice (about 1 in 10^11): draw again
    else:  # pragma: no cover - five clashes in a row
        raise ValidationError("Please try again.")
    audit_record(user=PUBLIC, action=AccessAction.CREATE, object_type="self_referral", object_id=row.pk)
    if _has_message_channel(row):
        SelfReferral.objects.filter(pk=row.pk).update(acknowledgement=MessageStatus.PENDING)
        row.acknowledgement = MessageStatus.PENDING
        outbox_enqueue(task="selfreferral.acknowledge", args=[str(row.pk)])
    else:
        SelfReferral.objects.filter(pk=row.pk).update(acknowledgement=MessageStatus.NO_CHANNEL)
    if urgent:
        _notify_duty(row)
    return row


def _notify_duty(row: SelfReferral) -> int:
    """An in-app notification for each of the service's duty clinicians
    (supervision/duty.py: the duty worker, or the supervisors where none is
    set, else its managers), its email queued through the outbox and sent by the
    worker at once: the reference only, never the person's name, and the email
    not even that. Returns the number of notifications made."""
    message = (
        f"Urgent self-referral {row.reference}: a risk question was answered yes. See Incoming self-referrals today."
    )
    return len(
        notify_at_once(duty_clinician_ids(row.service_id), kind=NotificationKind.URGENT_SELF_REFERRAL, message=message)
    )


def _lock_new(*, user: User, self_referral_id) -> SelfReferral:
    if user.role not in DECIDING_ROLES or user.service_id is None:
        raise ValidationError("Only referral administrators and service managers decide on self-referrals.")
    row = SelfReferral.objects.select_for_update().filter(pk=self_referral_id, service_id=user.service_id).first()
    if row is None:
        raise ValidationError("This self-referral is not one of your service's.")
    if row.status != Status.NEW:
        raise ValidationError(f"This self-referral was already decided: {row.get_status_display().lower()}.")
    return row


def _referral_notes(row: SelfReferral) -> str:
    parts = [
        f"Self-referral {row.reference}.",
        f"In their own words: {row.problem}",
        f"How long: {row.get_duration_display()}.",
    ]
    if row.hopes:
        parts.append(f"Hopes: {row.hopes}")
    if row.urgent:
        parts.append("A risk screening question was answered yes.")
    return "\n".join(parts)


def _decide(row: SelfReferral, *, user: User, status: str, **fields) -> None:
    row.status = status
    row.decided_at = timezone.now()
    row.decided_by = user
    for name, value in fields.items():
        setattr(row, name, value)
    row.save(update_fields=["status", "decided_at", "decided_by", *fields])


@transaction.atomic
def self_referral_accept(*, user: User, self_referral_id, nhs_number: str = "") -> SelfReferral:
    """Accepts as a new patient with a referral (source ReferralSource.SELF, received
    the day it was submitted). The NHS number is the person's own or, when they gave
    none, the one staff found (the record needs one: patients.models.Patient)."""
    row = _lock_new(user=user, self_referral_id=self_referral_id)
    number = row.nhs_number or nhs_number
    if not number:
        raise ValidationError({"nhs_number": "Find the person's NHS number (they did not give one) and enter it."})
    patient = patient_services.patient_register(
        user=user,
        nhs_number=number,
        given_name=row.given_name,
        family_name=row.family_name,
        date_of_birth=row.date_of_birth,
        sex=row.stated_gender or Sex.NOT_KNOWN,
        gender_identity=row.gender_identity,
        ethnicity=row.ethnicity,
        phone=row.phone,
        email=row.email,
        address=row.address,
        postcode=row.postcode,
        mobile=row.mobile,
        consent_to_contact=bool(row.channels),
        consent_to_leave_messages=Channel.VOICEMAIL in row.channels,
        consent_sms_reminders=Channel.SMS in row.channels and bool(row.mobile),
        consent_email_reminders=Channel.EMAIL in row.channels and bool(row.email),
        gp_practice_name=row.gp_practice_name,
    )
    return _register_and_decide(row, user=user, patient=patient, status=Status.ACCEPTED)


@transaction.atomic
def self_referral_merge(*, user: User, self_referral_id, patient_id) -> SelfReferral:
    """Adds a referral (source ReferralSource.SELF) to the patient the self-referral
    matches (selfreferral/matching.py); the patient's details are left as they are."""
    row = _lock_new(user=user, self_referral_id=self_referral_id)
    match = match_for(row)
    if match is None or str(match.patient.pk) != str(patient_id):
        raise ValidationError("This self-referral does not match that patient: accept it as new or reject it.")
    patient = Patient.objects.get(pk=match.patient.pk)
    return _register_and_decide(row, user=user, patient=patient, status=Status.MERGED, matched_by=match.rule)


def _register_and_decide(row: SelfReferral, *, user: User, patient: Patient, status: str, **detail) -> SelfReferral:
    """Accept and merge's common end: a self-referral (ReferralSource.SELF) on
    `patient`, received the day the person sent the form, the row decided with
    it, and the decision audited against the patient. Returns the row."""
    referral = patient_services.referral_register(
        user=user,
        patient=patient,
        source=ReferralSource.SELF,
        received_on=timezone.localdate(row.submitted_at),
        notes=_referral_notes(row),
    )
    _decide(row, user=user, status=status, patient=patient, referral=referral)
    audit_record(
        user=user,
        action=AccessAction.UPDATE,
        object_type="self_referral",
        object_id=row.pk,
        patient_id=patient.pk,
        detail={"decision": status, **detail},
    )
    return row


@transaction.atomic
def self_referral_reject(*, user: User, self_referral_id, reason: str, tell_person: bool) -> SelfReferral:
    """Rejects with a reason; when `tell_person` (never for a reason in
    SILENT_REJECT_REASONS) a reply goes out through Notify: task
    `selfreferral.reply`, the row id only, its text the reference and a number to call."""
    if reason not in RejectReason.values:
        raise ValidationError({"reason": "Choose a reason."})
    row = _lock_new(user=user, self_referral_id=self_referral_id)
    reply = MessageStatus.NONE
    if tell_person and reason not in SILENT_REJECT_REASONS:
        reply = MessageStatus.PENDING if _has_message_channel(row) else MessageStatus.NO_CHANNEL
    _decide(row, user=user, status=Status.REJECTED, reject_reason=reason, reply=reply)
    audit_record(
        user=user,
        action=AccessAction.UPDATE,
        object_type="self_referral",
        object_id=row.pk,
        detail={"decision": Status.REJECTED, "reason": reason, "reply": reply},
    )
    if reply == MessageStatus.PENDING:
        outbox_enqueue(task="selfreferral.reply", args=[str(row.pk)])
    return row
