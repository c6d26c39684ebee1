"""Reads a user makes of patients and referrals, with the access policy and the audit."""

from __future__ import annotations

from django.db.models import Q, TextField, Value
from django.http import Http404

from accounts.audit import audit_record, audit_view
from accounts.models import AccessAction, AccessLog, AccessLogPatient, Role, User

from . import nhs_number
from .models import NameKey, Patient, Referral
from .names import normalise_name


def patient_get_for_user(*, user: User, patient_id) -> Patient:
    """404, not 403, outside the relationship: no enumeration of records."""
    try:
        patient = Patient.objects.visible_to(user).get(pk=patient_id)
    except (Patient.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404("No such patient") from exc
    audit_view(user=user, obj=patient, patient_id=patient.pk)
    return patient


def referral_get_for_user(
    *, user: User, referral_id, for_update: bool = False, related=("patient", "assigned_practitioner", "team")
) -> Referral:
    """The referral if the user may see it (404 otherwise), its read audited.
    `related` names the relations the caller shows; a write path that shows
    none (the session form's POST) reads the row alone, a join less per save."""
    qs = Referral.objects.visible_to(user)
    if related:  # select_related() with no names would follow every foreign key
        qs = qs.select_related(*related)
    if for_update:
        qs = qs.select_for_update(of=("self",))
    try:
        referral = qs.get(pk=referral_id)
    except (Referral.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404("No such referral") from exc
    audit_view(user=user, obj=referral, patient_id=referral.patient_id)
    return referral


def patient_referrals_for_user(*, user: User, patient: Patient):
    return Referral.objects.visible_to(user).filter(patient=patient).select_related("assigned_practitioner", "team")


def referral_list_for_user(*, user: User, filters: dict | None = None):
    """The referral list of the user's service (or caseload), filtered. The list
    view audits the page of rows it shows."""
    qs = Referral.objects.visible_to(user).with_list_related()
    filters = filters or {}
    if filters.get("status"):
        qs = qs.filter(status=filters["status"])
    if filters.get("step"):
        qs = qs.filter(current_step=filters["step"])
    if filters.get("problem_descriptor"):
        qs = qs.filter(problem_descriptor=filters["problem_descriptor"])
    if filters.get("source"):
        qs = qs.filter(source=filters["source"])
    if filters.get("team"):
        qs = qs.filter(team=filters["team"])
    if filters.get("practitioner"):
        qs = qs.filter(assigned_practitioner=filters["practitioner"])
    if filters.get("received_from"):
        qs = qs.filter(received_on__gte=filters["received_from"])
    if filters.get("received_to"):
        qs = qs.filter(received_on__lte=filters["received_to"])
    return qs.order_by("-received_on", "id")


def audit_list(*, user: User, object_type: str, rows) -> None:
    """One audit entry for a page of patient rows: which records were shown."""
    ids = [str(getattr(row, "patient_id", row.pk)) for row in rows]
    if ids:
        audit_record(
            user=user, action=AccessAction.LIST, object_type=object_type, detail={"patient_ids": ids, "count": len(ids)}
        )


SEARCH_LIMIT = 50


def patient_search_for_user(*, user: User, query: str) -> list[Patient]:
    """Patients the user may see whose NHS number is the query (spaces allowed)
    or whose family name is it (any case, with or without accents, any
    apostrophe: patients/names.py). The search is audited with what it
    found, never with what was typed: the term is itself an identifier."""
    number = nhs_number.normalise(query)
    qs = Patient.objects.visible_to(user)
    if number.isascii() and number.isdigit():
        by = "nhs_number"
        qs = qs.filter(nhs_number=number)
    else:
        # The same key on both sides (indexed): any case, accents or not, any apostrophe.
        by = "name"
        qs = qs.annotate(name_key=NameKey("family_name")).filter(
            name_key=NameKey(Value(normalise_name(query), output_field=TextField()))
        )
    patients = list(qs.order_by("family_name", "given_name", "pk")[:SEARCH_LIMIT])
    audit_record(
        user=user,
        action=AccessAction.SEARCH,
        object_type="patient",
        detail={"by": by, "count": len(patients), "patient_ids": [str(p.pk) for p in patients]},
    )
    return patients


# Clinical records that hang off a referral (sessions, risk, step changes,
# flags, reviews): the referral's access policy, and referral administrators
# (who see no clinical notes) see none of them.

CLINICAL_READ_ROLES = frozenset({Role.PWP, Role.HIT, Role.SUPERVISOR, Role.SERVICE_MANAGER})


def clinical_records_for_user(*, user: User, model):
    from django.db.models import F

    from .querysets import referral_access_q

    if getattr(user, "role", None) not in CLINICAL_READ_ROLES:
        return model.objects.none()
    return model.objects.filter(referral_access_q(user, prefix="referral__")).annotate(
        patient_id=F("referral__patient_id")
    )


def clinical_record_get_for_user(*, user: User, model, pk):
    """404 outside the relationship; the read is audited."""
    try:
        obj = clinical_records_for_user(user=user, model=model).get(pk=pk)
    except (model.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404("Not found") from exc
    audit_view(user=user, obj=obj, patient_id=obj.patient_id)
    return obj


def record_access_for_manager(*, user: User, patient_id):
    """The access log entries of one patient's record, newest first: reads of
    it, the list pages, searches and supervision pages that showed it (their
    detail's patient_ids) and the exports and downloads that held it (their
    manifest, AccessLogPatient), for a service manager of a service the
    patient has a referral with. 404 for any other user or record; the read of
    the access log is itself audited."""
    if user.role != Role.SERVICE_MANAGER:
        raise Http404("No such record")
    try:
        if not Patient.objects.visible_to(user).filter(pk=patient_id).exists():
            raise Http404("No such record")
    except (ValueError, TypeError) as exc:
        raise Http404("No such record") from exc
    audit_record(
        user=user, action=AccessAction.VIEW, object_type="access_log", object_id=patient_id, patient_id=patient_id
    )
    # Two branches joined by UNION, each on its own index: the patient_id index
    # and the GIN index on the detail (a BitmapOr), and the manifest's primary
    # key. One OR of all three would scan the whole log: a hashed IN-subquery
    # cannot join a bitmap OR.
    named = AccessLog.objects.filter(Q(patient_id=patient_id) | Q(detail__contains={"patient_ids": [str(patient_id)]}))
    exported = AccessLog.objects.filter(
        pk__in=AccessLogPatient.objects.filter(patient_id=patient_id).values("access_log_id")
    )
    return named.union(exported).order_by("-at", "-id")


# Practitioners, for whoever allocates referrals (issue 14 item 10).

ALLOCATING_ROLES = frozenset({Role.REFERRAL_ADMIN, Role.SERVICE_MANAGER, Role.SUPERVISOR})
PRACTITIONER_ROLES = (Role.PWP, Role.HIT, Role.SUPERVISOR)
# The step a practitioner works at (DOMAIN.md "Stepped care"): PWPs and their
# supervisors at step 2, high-intensity therapists at step 3.
STEP_BY_ROLE = {Role.PWP: 2, Role.SUPERVISOR: 2, Role.HIT: 3}


def practitioners_for_allocation(*, user: User):
    """The active practitioners of the user's service, each with `caseload_count`
    (open referrals on it), for those who allocate referrals (referral
    administrators, service managers, supervisors; services.referral_allocate
    allows the same). 404 for anyone else. One query for any number of rows
    (the caseload is a correlated count on the (practitioner, status) index).
    No patient data: nothing to audit."""
    from django.db.models import Count, IntegerField, OuterRef, Subquery
    from django.db.models.functions import Coalesce

    if getattr(user, "role", None) not in ALLOCATING_ROLES or user.service_id is None:
        raise Http404("No such list")
    open_cases = (
        Referral.objects.open()
        .filter(assigned_practitioner=OuterRef("pk"))
        .order_by()
        .values("assigned_practitioner")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return (
        User.objects.filter(service_id=user.service_id, role__in=PRACTITIONER_ROLES, is_active=True)
        .select_related("team")
        .annotate(caseload_count=Coalesce(Subquery(open_cases, output_field=IntegerField()), 0))
        .order_by("last_name", "first_name", "pk")
    )


def presenting_problems_for_record(referral) -> dict:
    """The referral's presenting problems for its record page, newest first,
    removed ones included (the history), and the id of the one that counts (the
    latest live primary; DOMAIN.md "The national data set"). One query; the
    caller has read the referral through referral_get_for_user (audited)."""
    from .codes import PresentingProblemType

    problems = list(referral.presenting_problems.select_related("recorded_by", "removed_by"))
    current = next((p.pk for p in problems if p.kind == PresentingProblemType.PRIMARY and p.removed_at is None), None)
    return {"problems": problems, "current_primary_id": current}
