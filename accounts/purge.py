"""The retention purge (accounts/retention.py): counts what is past its period,
then deletes it set-based, one statement per table per chunk of patients, and
writes one audit entry per purge. Run by `manage.py purge_records`."""

from __future__ import annotations

import datetime as dt

from dateutil.relativedelta import relativedelta
from django.apps import apps
from django.db import connection, transaction
from django.db.models import Exists, Max, OuterRef, Q
from django.db.models.functions import Greatest
from django.utils import timezone

from .audit import audit_record
from .models import AccessAction, AccessLog
from .retention import SCHEDULE_VERSION, retention_years

# A patient's whole record, children before parents (every foreign key here is
# PROTECT): (model, the lookup from it to the patient). tests/accounts/test_purge.py
# fails when a model that points at one of these is missing from the list.
CLINICAL_RECORD_PLAN: tuple[tuple[str, str], ...] = (
    ("supervision.Notification", "flag__referral__patient"),
    ("supervision.Flag", "referral__patient"),
    ("supervision.CaseReview", "referral__patient"),
    ("stepped_care.StepChange", "referral__patient"),
    ("appointments.Reminder", "appointment__referral__patient"),
    ("appointments.Letter", "referral__patient"),
    ("appointments.Appointment", "referral__patient"),
    ("therapy_sessions.Amendment", "referral__patient"),
    ("therapy_sessions.RiskAssessment", "referral__patient"),
    ("therapy_sessions.MeasureScore", "referral__patient"),
    ("therapy_sessions.TherapySession", "referral__patient"),
    ("patients.Referral", "patient"),
    ("patients.Patient", "pk"),
)
LOGIN_RECORD_MODELS = ("axes.AccessAttempt", "axes.AccessFailureLog", "axes.AccessLog")
CHUNK = 5000


def cutoff_for(record_class: str, *, today: dt.date | None = None) -> dt.date:
    """Records whose clock is before this day are past their period. A whole
    day, so that the database's own floor (now() - 6 years) is never crossed by
    a few milliseconds."""
    today = today or timezone.localdate()
    return today - relativedelta(years=retention_years(record_class))


def _start_of(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def clinical_records_due(cutoff: dt.date):
    """Patients none of whose referrals is open and whose last contact (the
    latest receipt, last contact or end of any referral; registration for a
    patient with no referral) is before the cutoff."""
    from patients.codes import OPEN_STATUSES
    from patients.models import Patient, Referral

    open_referral = Referral.objects.filter(patient=OuterRef("pk"), status__in=OPEN_STATUSES)
    return (
        Patient.objects.alias(
            last=Max(Greatest("referrals__received_on", "referrals__last_contact_on", "referrals__ended_on"))
        )
        .filter(~Exists(open_referral))
        .filter(Q(last__lt=cutoff) | Q(last__isnull=True, created_at__lt=_start_of(cutoff)))
    )


def _clinical_querysets(patient_ids):
    for label, path in CLINICAL_RECORD_PLAN:
        model = apps.get_model(label)
        yield label, model.objects.filter(**{f"{path}__in": patient_ids})


def _login_querysets(cutoff: dt.date):
    for label in LOGIN_RECORD_MODELS:
        yield label, apps.get_model(label).objects.filter(attempt_time__lt=_start_of(cutoff))


def records_count(*, record_class: str, today: dt.date | None = None) -> dict[str, int]:
    """What a purge of the class would delete now, per table (the dry run)."""
    cutoff = cutoff_for(record_class, today=today)
    if record_class == "clinical_record":
        due = clinical_records_due(cutoff).values("pk")
        return {label: qs.count() for label, qs in _clinical_querysets(due)}
    if record_class == "access_log":
        return {"accounts.AccessLog": AccessLog.objects.filter(at__lt=_start_of(cutoff)).count()}
    return {label: qs.count() for label, qs in _login_querysets(cutoff)}


@transaction.atomic
def records_purge(*, record_class: str, today: dt.date | None = None) -> dict[str, int]:
    """Deletes the records of the class past their period and writes the audit
    entry of the purge (what, how many, the cutoff, the schedule version).
    All or nothing: one transaction."""
    cutoff = cutoff_for(record_class, today=today)
    deleted: dict[str, int] = {}
    if record_class == "clinical_record":
        patient_ids = list(clinical_records_due(cutoff).values_list("pk", flat=True))
        deleted = {label: 0 for label, _ in CLINICAL_RECORD_PLAN}
        for start in range(0, len(patient_ids), CHUNK):
            for label, qs in _clinical_querysets(patient_ids[start : start + CHUNK]):
                deleted[label] += qs._raw_delete(qs.db)
    elif record_class == "access_log":
        with connection.cursor() as cursor:
            # The only way past the append-only trigger, for this transaction only,
            # and still only for entries older than the 6-year floor.
            cursor.execute("SET LOCAL iapt.audit_purge = 'on'")
        qs = AccessLog.objects.filter(at__lt=_start_of(cutoff))
        deleted["accounts.AccessLog"] = qs._raw_delete(qs.db)
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL iapt.audit_purge = 'off'")
    else:
        for label, qs in _login_querysets(cutoff):
            deleted[label] = qs._raw_delete(qs.db)
    audit_record(
        user=None,
        action=AccessAction.PURGE,
        object_type=record_class,
        detail={
            "deleted": deleted,
            "cutoff": cutoff.isoformat(),
            "retention_years": retention_years(record_class),
            "schedule_version": SCHEDULE_VERSION,
        },
    )
    return deleted
