"""Reads of the clinical record for a user: access-checked, audited, with
query counts that do not grow with the caseload or the record."""

from __future__ import annotations

from django.db.models import Count, DateTimeField, F, IntegerField, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils import timezone

from accounts.audit import audit_view
from accounts.models import Role, User
from patients.models import Referral

from .codes import ATTENDED, TREATMENT_APPOINTMENT_TYPES
from .models import MeasureScore, RiskAssessment, TherapySession

RISK_MARKER_LEVELS = ("medium", "high")
CASELOAD_SORTS = {
    "patient": ("patient__family_name", "patient__given_name"),
    "step": ("current_step", "patient__family_name"),
    "problem": ("problem_descriptor", "patient__family_name"),
    "sessions": ("-sessions_count", "patient__family_name"),
    "last_contact": (F("last_contact_on").asc(nulls_first=True), "patient__family_name"),
    "phq9": (F("phq9_last").desc(nulls_last=True), "patient__family_name"),
    "gad7": (F("gad7_last").desc(nulls_last=True), "patient__family_name"),
    "review": (F("review_anchor").asc(nulls_first=True), "patient__family_name"),
    "risk": (F("risk_marker").desc(nulls_last=True), F("review_anchor").asc(nulls_first=True)),
}


def _score(instrument: str, *, latest: bool, field: str = "total"):
    order = "-taken_at" if latest else "taken_at"
    return Subquery(
        MeasureScore.objects.filter(referral=OuterRef("pk"), instrument=instrument, complete=True)
        .order_by(order, "-id" if latest else "id")
        .values(field)[:1]
    )


def with_caseload_figures(qs):
    """Annotates each referral with what the caseload shows, as subqueries so the
    page is one query whatever the caseload's size."""
    latest_risk = RiskAssessment.objects.filter(referral=OuterRef("pk")).order_by("-recorded_at", "-id")
    latest_item9 = Subquery(
        MeasureScore.objects.filter(referral=OuterRef("pk"), instrument="PHQ9")
        .order_by("-taken_at", "-id")
        .annotate(item9=F("items__8"))
        .values("item9")[:1],
        output_field=IntegerField(),
    )
    qs = qs.annotate(
        sessions_count=Coalesce(
            Subquery(
                TherapySession.objects.filter(referral=OuterRef("pk"), attendance__in=ATTENDED)
                .order_by()
                .values("referral")
                .annotate(n=Count("id"))
                .values("n")[:1],
                output_field=IntegerField(),
            ),
            Value(0),
        ),
        treatment_count=Coalesce(
            Subquery(
                TherapySession.objects.filter(
                    referral=OuterRef("pk"), attendance__in=ATTENDED, appointment_type__in=TREATMENT_APPOINTMENT_TYPES
                )
                .order_by()
                .values("referral")
                .annotate(n=Count("id"))
                .values("n")[:1],
                output_field=IntegerField(),
            ),
            Value(0),
        ),
        phq9_first=_score("PHQ9", latest=False),
        phq9_last=_score("PHQ9", latest=True),
        phq9_band=_score("PHQ9", latest=True, field="band"),
        gad7_first=_score("GAD7", latest=False),
        gad7_last=_score("GAD7", latest=True),
        gad7_band=_score("GAD7", latest=True, field="band"),
        latest_risk_level=Subquery(latest_risk.values("level")[:1]),
        latest_item9=latest_item9,
        review_anchor=Coalesce("last_reviewed_at", "opened_at", output_field=DateTimeField()),
    ).annotate(
        risk_marker=Q(latest_risk_level__in=RISK_MARKER_LEVELS) | Q(latest_item9__gt=0),
    )
    return _with_open_flags(qs)


def _with_open_flags(qs):
    try:
        from supervision.models import Flag
    except ImportError:
        return qs.annotate(open_flags=Value(0))
    return qs.annotate(
        open_flags=Coalesce(
            Subquery(
                Flag.objects.filter(referral=OuterRef("pk"), resolved_at__isnull=True)
                .order_by()
                .values("referral")
                .annotate(n=Count("id"))
                .values("n")[:1],
                output_field=IntegerField(),
            ),
            Value(0),
        )
    )


def caseload_for_user(*, user: User, filters: dict | None = None, sort: str = "risk"):
    """My caseload (DOMAIN.md "Who uses it"): every open case the practitioner holds."""
    filters = filters or {}
    qs = with_caseload_figures(Referral.objects.for_caseload(user).select_related("patient"))
    if filters.get("step"):
        qs = qs.filter(current_step=filters["step"])
    if filters.get("problem_descriptor"):
        qs = qs.filter(problem_descriptor=filters["problem_descriptor"])
    if filters.get("status"):
        qs = qs.filter(status=filters["status"])
    if filters.get("risk_only"):
        qs = qs.filter(risk_marker=True)
    if filters.get("overdue_only"):
        qs = qs.filter(review_anchor__lt=timezone.now() - timezone.timedelta(days=28))
    return qs.order_by(*CASELOAD_SORTS.get(sort, CASELOAD_SORTS["risk"]))


def record_for_user(*, user: User, referral: Referral) -> dict:
    """Everything the record page shows for one referral, in a fixed number of queries."""
    sessions = list(
        TherapySession.objects.filter(referral=referral)
        .select_related("practitioner")
        .prefetch_related("measures")
        .order_by("started_at", "id")
    )
    risks = list(RiskAssessment.objects.filter(referral=referral).select_related("recorded_by"))
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
