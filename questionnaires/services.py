"""Questionnaires before the appointment (issue 20 item 3; DOMAIN.md "Patients
taking part"): the link's issue and sending, the date-of-birth check, the
patient's answers and their submission as patient-reported scores outside a
contact (IDS606), and the at-once alert on a PHQ-9 item 9 answer above 0.

Every write here is atomic and audited as the patient's own (PATIENT_ACTOR:
the access log's user is empty, its username "patient"). A wrong, expired,
used or locked link and a wrong date of birth give the same answer (None)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from notifications_python_client.errors import HTTPError

from accounts.audit import audit_record
from accounts.models import AccessAction
from appointments import clock
from appointments.models import Appointment, AppointmentStatus
from appointments.notify import notify_client
from appointments.reminders import EMAIL_RE, valid_uk_mobile
from patients.models import Referral
from sessions import measures
from sessions.measures_due import measures_due
from sessions.models import CompletionChannel, MeasureScore, ReportedBy

from .models import MAX_DOB_ATTEMPTS, LinkKind, QuestionnaireLink
from .tokens import new_token, token_hash


@dataclass(frozen=True)
class _PatientActor:
    """The access log's actor for a patient's own reads and writes: no user row."""

    pk: None = None
    username: str = "patient"
    role: str = "patient"


PATIENT_ACTOR = _PatientActor()
RISK_MESSAGE = "Risk: a patient's answer before their appointment (PHQ-9 item 9) needs a clinician today."


def questionnaire_instruments(referral: Referral) -> list[str]:
    """The measures the patient answers before the next session: PHQ-9, the
    problem's anxiety measure (its ADSM, or GAD-7), and WSAS, each only when due
    (sessions/measures_due.py, the session form's own rule)."""
    offered = ["PHQ9", measures.anxiety_instrument_for(referral.problem_descriptor or ""), "WSAS"]
    return measures_due(referral, list(dict.fromkeys(offered)))


def _channel(patient) -> str | None:
    """A channel the patient consented to (the reminders' consents), SMS first."""
    if patient.consent_sms_reminders and valid_uk_mobile(patient.mobile):
        return "sms"
    if patient.consent_email_reminders and re.match(EMAIL_RE, patient.email or ""):
        return "email"
    return None


@transaction.atomic
def link_issue(*, appointment_id, kind: str, now: datetime | None = None) -> tuple[QuestionnaireLink, str] | None:
    """Makes the (appointment, kind) link once: (link, token), or None when the
    appointment is not booked or has begun, the patient consented to no channel,
    nothing is due, the questionnaire was already done, or this link was made
    before (a task run twice). Earlier unused links of the appointment stop
    working: only the newest message's link opens."""
    now = now or timezone.now()
    appointment = (
        Appointment.objects.select_for_update(of=("self",))
        .select_related("referral__patient")
        .filter(pk=appointment_id)
        .first()
    )
    if appointment is None or appointment.status != AppointmentStatus.BOOKED or appointment.starts_at <= now:
        return None
    if QuestionnaireLink.objects.filter(appointment=appointment, used_at__isnull=False).exists():
        return None
    channel = _channel(appointment.referral.patient)
    instruments = questionnaire_instruments(appointment.referral) if channel else []
    if not instruments:
        return None
    token, hashed = new_token()
    try:
        with transaction.atomic():
            link = QuestionnaireLink.objects.create(
                appointment=appointment,
                referral=appointment.referral,
                kind=kind,
                channel=channel,
                token_hash=hashed,
                instruments=instruments,
                created_at=now,
                expires_at=appointment.ends_at,
            )
    except IntegrityError:
        return None  # made before: sent once only
    QuestionnaireLink.objects.filter(appointment=appointment, used_at__isnull=True).exclude(pk=link.pk).update(
        expires_at=now
    )
    audit_record(
        user=None,
        action=AccessAction.CREATE,
        object_type="questionnairelink",
        object_id=link.pk,
        patient_id=appointment.referral.patient_id,
    )
    return link, token


def link_url(token: str) -> str:
    return settings.SITE_URL.rstrip("/") + reverse("questionnaires:start", args=[token])


def link_send(*, appointment_id, kind: str = LinkKind.BOOKED) -> bool:
    """Issues the link and sends it through Notify: the date and time of the
    appointment and the link, no name and nothing clinical. True when sent."""
    client = notify_client()
    if client is None:
        return False  # messaging not configured: no link is made that nobody receives
    issued = link_issue(appointment_id=appointment_id, kind=kind)
    if issued is None:
        return False
    link, token = issued
    appointment = link.appointment
    patient = appointment.referral.patient
    local = clock.london_wall_clock(appointment.starts_at)
    personalisation = {
        "date": f"{local:%A} {local.day} {local:%B %Y}",
        "time": f"{local:%H:%M}",
        "link": link_url(token),
    }
    try:
        if link.channel == "sms":
            response = client.send_sms_notification(
                phone_number=re.sub(r"[ -]", "", patient.mobile),
                template_id=settings.QUESTIONNAIRE_SMS_TEMPLATE_ID,
                personalisation=personalisation,
                reference=str(link.pk),
            )
        else:
            response = client.send_email_notification(
                email_address=patient.email,
                template_id=settings.QUESTIONNAIRE_EMAIL_TEMPLATE_ID,
                personalisation=personalisation,
                reference=str(link.pk),
            )
    except HTTPError:
        return False
    QuestionnaireLink.objects.filter(pk=link.pk).update(sent_at=timezone.now(), notify_id=response["id"])
    return True


def day_before_due(*, now: datetime | None = None) -> list:
    """Booked appointments on tomorrow's date (Europe/London) whose questionnaire
    is not done and that have no day-before link yet: ids."""
    now = now or timezone.now()
    tomorrow = timezone.localtime(now).date() + timedelta(days=1)
    return list(
        Appointment.objects.filter(status=AppointmentStatus.BOOKED, starts_at__date=tomorrow, starts_at__gt=now)
        .exclude(questionnaire_links__used_at__isnull=False)
        .exclude(questionnaire_links__kind=LinkKind.DAY_BEFORE)
        .values_list("pk", flat=True)
    )


@transaction.atomic
def link_open(*, token: str, date_of_birth: date | None, now: datetime | None = None) -> QuestionnaireLink | None:
    """The link, when the token is a usable link's and the date of birth is its
    patient's; None otherwise, the same for every cause. A wrong date counts
    against the link; the MAX_DOB_ATTEMPTS-th locks it."""
    now = now or timezone.now()
    link = (
        QuestionnaireLink.objects.select_for_update(of=("self",))
        .select_related("referral__patient", "appointment")
        .filter(token_hash=token_hash(token))
        .first()
    )
    # a cancelled or rebooked appointment's link no longer opens (the new booking sends its own)
    if link is None or not link.usable(now) or link.appointment.status != AppointmentStatus.BOOKED:
        return None
    patient_id = link.referral.patient_id
    if date_of_birth != link.referral.patient.date_of_birth:
        link.failed_attempts += 1
        if link.failed_attempts >= MAX_DOB_ATTEMPTS:
            link.locked_at = now
        link.save(update_fields=["failed_attempts", "locked_at"])
        audit_record(
            user=PATIENT_ACTOR,
            action=AccessAction.VIEW,
            object_type="questionnairelink",
            object_id=link.pk,
            patient_id=patient_id,
            detail={"refused": "date of birth", "locked": link.locked_at is not None},
        )
        return None
    link.verified_at = now
    link.save(update_fields=["verified_at"])
    audit_record(
        user=PATIENT_ACTOR,
        action=AccessAction.VIEW,
        object_type="questionnairelink",
        object_id=link.pk,
        patient_id=patient_id,
    )
    return link


def link_verified(link_id) -> QuestionnaireLink | None:
    """The link a browser session verified, while it is still usable."""
    if not link_id:
        return None
    link = (
        QuestionnaireLink.objects.select_related("referral", "appointment")
        .filter(pk=link_id, verified_at__isnull=False)
        .first()
    )
    ok = link is not None and link.usable() and link.appointment.status == AppointmentStatus.BOOKED
    return link if ok else None


@transaction.atomic
def answers_save(*, link: QuestionnaireLink, code: str, items: list) -> None:
    """Keeps one measure's answers (validated by the server's scoring) until submission."""
    if code not in link.instruments:
        raise ValueError(f"{code} is not asked on this link")
    measures.score(code, items)  # ValueError for an answer out of range
    locked = QuestionnaireLink.objects.select_for_update().get(pk=link.pk)
    locked.answers = {**locked.answers, code: items}
    locked.save(update_fields=["answers"])
    link.answers = locked.answers
    audit_record(
        user=PATIENT_ACTOR,
        action=AccessAction.UPDATE,
        object_type="questionnairelink",
        object_id=link.pk,
        patient_id=link.referral.patient_id,
        detail={"measure": code},
    )


@dataclass(frozen=True)
class Submitted:
    scores: list[MeasureScore]
    item9_risk: bool


@transaction.atomic
def questionnaire_submit(*, link: QuestionnaireLink, now: datetime | None = None) -> Submitted | None:
    """Stores every answered measure as a patient-reported score outside a
    contact (IDS606: completed now, online), uses the link up, and, for a PHQ-9
    item 9 above 0, alerts at once (risk_alert_now). None when the link was
    used or expired meanwhile, or a measure is unanswered (nothing stored)."""
    now = now or timezone.now()
    locked = QuestionnaireLink.objects.select_for_update().select_related("referral").get(pk=link.pk)
    if not locked.usable(now) or any(code not in locked.answers for code in locked.instruments):
        return None
    rows = []
    item9 = False
    for code in locked.instruments:
        items = locked.answers[code]
        result = measures.score(code, items)
        item9 = item9 or result.item9_risk
        rows.append(
            MeasureScore(
                session=None,
                referral=locked.referral,
                taken_at=now,
                completed_at=now,
                completion_channel=CompletionChannel.PATIENT_ONLINE,
                reported_by=ReportedBy.PATIENT,
                instrument=code,
                items=measures.stored_items(items),
                total=result.total,
                band=result.band or "",
                caseness=result.caseness,
                complete=result.complete,
                not_in_work=result.not_in_work,
                reference_version=measures.REFERENCE_VERSION,
            )
        )
    scores = MeasureScore.objects.bulk_create(rows)
    locked.used_at = now
    locked.save(update_fields=["used_at"])
    QuestionnaireLink.objects.filter(appointment_id=locked.appointment_id, used_at__isnull=True).update(expires_at=now)
    audit_record(
        user=PATIENT_ACTOR,
        action=AccessAction.CREATE,
        object_type="measurescore",
        object_id=locked.pk,
        patient_id=locked.referral.patient_id,
        detail={"measures": list(locked.instruments)},
    )
    if item9:
        risk_alert_now(locked.referral)
    return Submitted(scores=scores, item9_risk=item9)


def risk_alert_now(referral: Referral) -> list[int]:
    """A patient's PHQ-9 item 9 above 0, in the writer's transaction, whatever
    the time: the case's risk flag through supervision's at-once machinery (the
    outbox's in-transaction handler; its supervisors are notified there), and a
    notification to the practitioner holding the case and the service's duty
    clinicians (supervision/duty.py: the duty worker, or its supervisors where
    none is set, or its managers), their emails queued in the same transaction
    and sent by the worker at once (a link only, no patient detail). Returns the
    ids of the notifications queued for email here."""
    from outbox.services import outbox_enqueue
    from supervision.duty import NotificationKind, duty_clinician_ids, notify_at_once
    from supervision.models import Flag, FlagReason

    outbox_enqueue(task="supervision.flag_referral", args=[referral.pk])
    flag = Flag.objects.filter(referral=referral, reason=FlagReason.RISK, resolved_at__isnull=True).first()
    if flag is None:  # the case is not open (the criteria only flag open cases): flag it all the same
        flag = Flag.objects.create(referral=referral, reason=FlagReason.RISK, detail="PHQ-9 item 9 before appointment")
    return notify_at_once(
        [referral.assigned_practitioner_id, *duty_clinician_ids(referral.service_id)],
        kind=NotificationKind.PATIENT_RISK,
        message=RISK_MESSAGE,
        flag=flag,
    )
