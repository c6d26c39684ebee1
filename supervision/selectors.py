"""Reads for supervisors: flagged caseloads of their own supervisees only."""

from __future__ import annotations

from datetime import timedelta

from django.contrib.postgres.expressions import ArraySubquery
from django.db.models import Count, DateTimeField, Exists, F, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils import timezone

from accounts.models import Role, SupervisionAssignment, SupervisionKind, User
from patients.codes import OPEN_STATUSES
from patients.models import Referral

from .models import Flag, FlagReason, SupervisionSession


def supervisees_of(user: User):
    ids = (
        SupervisionAssignment.objects.current()
        .filter(supervisor=user, kind=SupervisionKind.CASE_MANAGEMENT)
        .values("supervisee_id")
    )
    return User.objects.filter(pk__in=ids).order_by("last_name", "first_name")


def flagged_cases(*, user: User, supervisee_id=None, reason: str | None = None):
    """Supervisees' open cases with open flags, prioritised: risk first, then the
    most overdue (longest since review), then the other criteria."""
    if user.role != Role.SUPERVISOR:
        raise Http404
    open_flags = Flag.objects.filter(referral=OuterRef("pk"), resolved_at__isnull=True)
    qs = (
        Referral.objects.filter(status__in=OPEN_STATUSES, assigned_practitioner__in=supervisees_of(user).values("pk"))
        .filter(Exists(open_flags))
        .select_related("patient", "assigned_practitioner")
        .annotate(
            reasons=ArraySubquery(open_flags.order_by("reason").values("reason")),
            has_risk=Exists(open_flags.filter(reason=FlagReason.RISK)),
            has_overdue=Exists(open_flags.filter(reason=FlagReason.OVERDUE_REVIEW)),
            question=Subquery(open_flags.filter(reason=FlagReason.PWP_REQUEST).values("detail")[:1]),
            review_anchor=Coalesce("last_reviewed_at", "opened_at", output_field=DateTimeField()),
        )
    )
    if supervisee_id:
        qs = qs.filter(assigned_practitioner_id=supervisee_id)
    if reason:
        qs = qs.filter(Exists(open_flags.filter(reason=reason)))
    return qs.order_by("-has_risk", "-has_overdue", F("review_anchor").asc(nulls_first=True), "id")


def counts_per_supervisee(*, user: User) -> list[dict]:
    rows = (
        Flag.objects.filter(
            resolved_at__isnull=True,
            referral__status__in=OPEN_STATUSES,
            referral__assigned_practitioner__in=supervisees_of(user).values("pk"),
        )
        .values("referral__assigned_practitioner")
        .annotate(
            cases=Count("referral", distinct=True),
            risk=Count("referral", filter=Q(reason=FlagReason.RISK), distinct=True),
            overdue=Count("referral", filter=Q(reason=FlagReason.OVERDUE_REVIEW), distinct=True),
        )
    )
    by_id = {row["referral__assigned_practitioner"]: row for row in rows}
    return [
        {"supervisee": s, **{k: by_id.get(s.pk, {}).get(k, 0) for k in ("cases", "risk", "overdue")}}
        for s in supervisees_of(user)
    ]


def supervision_session_for_user(*, user: User, session_id) -> SupervisionSession:
    try:
        return SupervisionSession.objects.select_related("supervisee").get(pk=session_id, supervisor=user)
    except (SupervisionSession.DoesNotExist, ValueError) as exc:
        raise Http404 from exc


def compliance(*, user: User, weeks: int = 12) -> list[dict]:
    """Per supervisee: the share of open cases reviewed within 28 days, and the
    weeks (of the last `weeks`) with no case-management supervision."""
    now = timezone.now()
    supervisees = list(supervisees_of(user))
    cases = (
        Referral.objects.filter(status__in=OPEN_STATUSES, assigned_practitioner__in=[s.pk for s in supervisees])
        .values("assigned_practitioner")
        .annotate(
            open=Count("id"),
            reviewed=Count("id", filter=Q(last_reviewed_at__gte=now - timedelta(days=28))),
        )
    )
    by_id = {row["assigned_practitioner"]: row for row in cases}
    start = timezone.localdate() - timedelta(weeks=weeks)
    held: dict[int, set] = {}
    for supervisee_id, started_at in SupervisionSession.objects.filter(
        supervisee__in=supervisees, started_at__date__gte=start
    ).values_list("supervisee_id", "started_at"):
        held.setdefault(supervisee_id, set()).add(timezone.localtime(started_at).isocalendar()[:2])
    all_weeks = {(timezone.localdate() - timedelta(weeks=w)).isocalendar()[:2] for w in range(weeks)}
    out = []
    for s in supervisees:
        row = by_id.get(s.pk, {"open": 0, "reviewed": 0})
        out.append(
            {
                "supervisee": s,
                "open": row["open"],
                "reviewed": row["reviewed"],
                "share": row["reviewed"] / row["open"] if row["open"] else None,
                "weeks_without": len(all_weeks - held.get(s.pk, set())),
            }
        )
    return out


def flags_for_user(*, user: User):
    from patients.selectors import clinical_records_for_user

    return clinical_records_for_user(user=user, model=Flag)


def flag_get_for_user(*, user: User, flag_id) -> Flag:
    from patients.selectors import clinical_record_get_for_user

    return clinical_record_get_for_user(user=user, model=Flag, pk=flag_id)


def case_reviews_for_user(*, user: User):
    from patients.selectors import clinical_records_for_user

    from .models import CaseReview

    return clinical_records_for_user(user=user, model=CaseReview)


def case_review_get_for_user(*, user: User, review_id):
    from patients.selectors import clinical_record_get_for_user

    from .models import CaseReview

    return clinical_record_get_for_user(user=user, model=CaseReview, pk=review_id)
