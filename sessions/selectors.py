"""Reads of the clinical record for a user: access-checked, audited, with
query counts that do not grow with the caseload or the record."""

from __future__ import annotations

from django.contrib.postgres.expressions import ArraySubquery
from django.db.models import F, OuterRef
from django.db.models.functions import JSONObject
from django.http import Http404

from accounts.audit import audit_view
from accounts.models import Role, User
from patients.models import Referral

from .models import MeasureScore, RiskAssessment, TherapySession


def record_for_user(*, user: User, referral: Referral) -> dict:
    """Everything the record page shows for one referral, in a fixed number of
    queries. Each session carries its measures as `measure_list` (plain dicts:
    instrument, complete, total, band), read in the sessions' own query: one
    query and no model instance per measure, for a record of any length."""
    measures = ArraySubquery(
        MeasureScore.objects.filter(session=OuterRef("pk"))
        .order_by("id")
        .values(
            json=JSONObject(
                instrument="instrument", complete="complete", total="total", band="band", not_in_work="not_in_work"
            )
        )
    )
    sessions = list(
        TherapySession.objects.filter(referral=referral)
        .select_related("practitioner")
        .annotate(measure_list=measures)
        .order_by("started_at", "id")
    )
    # Who recorded a risk is not shown on the record or the case review: no join.
    risks = list(RiskAssessment.objects.filter(referral=referral))
    from stepped_care.models import StepChange

    steps = list(StepChange.objects.filter(referral=referral).select_related("proposed_by", "decided_by"))
    return {"sessions": sessions, "risks": risks, "step_changes": steps}


# Single sessions and risk events, and lists of them, for the API. Referral
# administrators (and system administrators) see no clinical content: empty
# lists and 404s, as on the pages.

CLINICAL_READ_ROLES = frozenset({Role.PWP, Role.HIT, Role.SUPERVISOR, Role.SERVICE_MANAGER})


def therapy_sessions_for_user(*, user: User):
    if getattr(user, "role", None) not in CLINICAL_READ_ROLES:
        return TherapySession.objects.none()
    return (
        TherapySession.objects.visible_to(user)
        .annotate(patient_id=F("referral__patient_id"))
        .prefetch_related("measures")
    )


def therapy_session_get_for_user(*, user: User, session_id) -> TherapySession:
    try:
        session = therapy_sessions_for_user(user=user).get(pk=session_id)
    except (TherapySession.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404("No such session") from exc
    audit_view(user=user, obj=session, patient_id=session.patient_id)
    return session


def risk_events_for_user(*, user: User):
    if getattr(user, "role", None) not in CLINICAL_READ_ROLES:
        return RiskAssessment.objects.none()
    from patients.querysets import referral_access_q

    return RiskAssessment.objects.filter(referral_access_q(user, prefix="referral__")).annotate(
        patient_id=F("referral__patient_id")
    )


def risk_event_get_for_user(*, user: User, risk_id) -> RiskAssessment:
    try:
        risk = risk_events_for_user(user=user).get(pk=risk_id)
    except (RiskAssessment.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404("No such risk event") from exc
    audit_view(user=user, obj=risk, patient_id=risk.patient_id)
    return risk
