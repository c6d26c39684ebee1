"""The retention purge of the clinical record (accounts/retention.py, class
"clinical_record"): a patient's whole record, once none of its referrals is open
and its last contact is past the period, deleted set-based, one statement per
table per chunk of patients, with one audit entry per purge. It lives beside
the records it deletes; the access core's own tables are purged by
accounts/purge.py. `records_count` and `records_purge` serve every record
class, for `manage.py purge_records`."""

from __future__ import annotations

import datetime as dt

from django.apps import apps
from django.db import transaction
from django.db.models import Exists, Max, OuterRef, Q
from django.db.models.functions import Greatest

from accounts import purge

from .codes import OPEN_STATUSES
from .models import Patient, Referral

cutoff_for = purge.cutoff_for

# A patient's whole record, children before parents (every foreign key here is
# PROTECT): (model, the lookup from it to the patient). tests/accounts/test_purge.py
# fails when a model that points at one of these is missing from the list.
CLINICAL_RECORD_PLAN: tuple[tuple[str, str], ...] = (
    ("therapy_sessions.SessionDraft", "referral__patient"),
    ("supervision.Notification", "flag__referral__patient"),
    ("supervision.Flag", "referral__patient"),
    ("supervision.CaseReview", "referral__patient"),
    ("stepped_care.StepChange", "referral__patient"),
    ("questionnaires.QuestionnaireLink", "referral__patient"),
    ("appointments.Reminder", "appointment__referral__patient"),
    ("appointments.Letter", "referral__patient"),
    ("appointments.Appointment", "referral__patient"),
    ("therapy_sessions.Amendment", "referral__patient"),
    ("therapy_sessions.RiskAssessment", "referral__patient"),
    ("therapy_sessions.MeasureScore", "referral__patient"),
    ("therapy_sessions.TherapySession", "referral__patient"),
    ("patients.PresentingProblem", "referral__patient"),
    ("patients.Referral", "patient"),
    ("patients.Patient", "pk"),
)
CHUNK = 5000


def clinical_records_due(cutoff: dt.date):
    """Patients none of whose referrals is open and whose last contact (the
    latest receipt, last contact or end of any referral; registration for a
    patient with no referral) is before the cutoff."""
    open_referral = Referral.objects.filter(patient=OuterRef("pk"), status__in=OPEN_STATUSES)
    return (
        Patient.objects.alias(
            last=Max(Greatest("referrals__received_on", "referrals__last_contact_on", "referrals__ended_on"))
        )
        .filter(~Exists(open_referral))
        .filter(Q(last__lt=cutoff) | Q(last__isnull=True, created_at__lt=purge.start_of(cutoff)))
    )


def _clinical_querysets(patient_ids):
    for label, path in CLINICAL_RECORD_PLAN:
        model = apps.get_model(label)
        yield label, model.objects.filter(**{f"{path}__in": patient_ids})


def records_count(*, record_class: str, today: dt.date | None = None) -> dict[str, int]:
    """What a purge of the class would delete now, per table (the dry run)."""
    if record_class != "clinical_record":
        return purge.records_count(record_class=record_class, today=today)
    due = clinical_records_due(cutoff_for(record_class, today=today)).values("pk")
    return {label: qs.count() for label, qs in _clinical_querysets(due)}


@transaction.atomic
def records_purge(*, record_class: str, today: dt.date | None = None) -> dict[str, int]:
    """Deletes the records of the class past their period and writes the audit
    entry of the purge (what, how many, the cutoff, the schedule version).
    All or nothing: one transaction."""
    if record_class != "clinical_record":
        return purge.records_purge(record_class=record_class, today=today)
    cutoff = cutoff_for(record_class, today=today)
    patient_ids = list(clinical_records_due(cutoff).values_list("pk", flat=True))
    deleted = {label: 0 for label, _ in CLINICAL_RECORD_PLAN}
    for start in range(0, len(patient_ids), CHUNK):
        for label, qs in _clinical_querysets(patient_ids[start : start + CHUNK]):
            deleted[label] += qs._raw_delete(qs.db)
    purge.purge_audit(record_class=record_class, cutoff=cutoff, deleted=deleted)
    return deleted
