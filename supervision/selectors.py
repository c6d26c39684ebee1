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

from .models import Decision, Flag, FlagReason, SupervisionSession


def supervisees_of(user: User):
    ids = (
        SupervisionAssignment.objects.current()
        .filter(supervisor=user, kind=SupervisionKind.CASE_MANAGEMENT)
        .values("supervisee_id")
    )
    return User.objects.filter(pk__in=ids).order_by("last_name", "first_name")


def flagged_cases(*, user: User, supervisee_id=None, reason: str | None = None):
    """Supervisees' open cases with open flags, prioritised: risk first, then not
    on track (issue 21: after risk, before overdue; models.REASON_PRIORITY), then
    the most overdue (longest since review), then the other criteria."""
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
            has_not_on_track=Exists(open_flags.filter(reason=FlagReason.NOT_ON_TRACK)),
            has_overdue=Exists(open_flags.filter(reason=FlagReason.OVERDUE_REVIEW)),
            question=Subquery(open_flags.filter(reason=FlagReason.PWP_REQUEST).values("detail")[:1]),
            review_anchor=Coalesce("last_reviewed_at", "opened_at", output_field=DateTimeField()),
        )
    )
    if supervisee_id:
        qs = qs.filter(assigned_practitioner_id=supervisee_id)
    if reason:
        qs = qs.filter(Exists(open_flags.filter(reason=reason)))
    return qs.order_by("-has_risk", "-has_not_on_track", "-has_overdue", F("review_anchor").asc(nulls_first=True), "id")


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
    """Per supervisee: the share of open cases reviewed within 28 days, the weeks
    (of the last `weeks`) with no case-management supervision, the cases carried
    over (on an agenda past its clock and not reviewed in that session) and the
    minutes per case reviewed in supervision, from the agenda's clock (issue 16
    item 7); and the not-on-track loop (issue 21: `_loop_row`'s keys). Five
    queries whatever the number of supervisees or sessions."""
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
    sessions = list(
        SupervisionSession.objects.filter(supervisee__in=supervisees, started_at__date__gte=start).values_list(
            "pk", "supervisee_id", "started_at", "agenda", "agenda_minutes", "duration_minutes"
        )
    )
    from .agenda import clock
    from .models import CaseReview

    reviewed_in: dict[int, set] = {}
    for session_id, referral_id in CaseReview.objects.filter(session_id__in=[row[0] for row in sessions]).values_list(
        "session_id", "referral_id"
    ):
        reviewed_in.setdefault(session_id, set()).add(referral_id)
    carried: dict[int, int] = {}
    clock_minutes: dict[int, list] = {}
    for session_id, supervisee_id, started_at, agenda, minutes, duration in sessions:
        held.setdefault(supervisee_id, set()).add(timezone.localtime(started_at).isocalendar()[:2])
        minutes = list(minutes) + [5] * (len(agenda) - len(minutes))
        done = reviewed_in.get(session_id, set())
        for slot in clock(list(zip(agenda, minutes, strict=True)), duration):
            if not slot.fits and slot.referral_id not in done:
                carried[supervisee_id] = carried.get(supervisee_id, 0) + 1
            if slot.referral_id in done:
                clock_minutes.setdefault(supervisee_id, []).append(slot.minutes)
    all_weeks = {(timezone.localdate() - timedelta(weeks=w)).isocalendar()[:2] for w in range(weeks)}
    off_track = _not_on_track_loop(supervisees, since=now - timedelta(weeks=weeks))
    out = []
    for s in supervisees:
        row = by_id.get(s.pk, {"open": 0, "reviewed": 0})
        spent = clock_minutes.get(s.pk, [])
        out.append(
            {
                "supervisee": s,
                "open": row["open"],
                "reviewed": row["reviewed"],
                "share": row["reviewed"] / row["open"] if row["open"] else None,
                "weeks_without": len(all_weeks - held.get(s.pk, set())),
                "carried": carried.get(s.pk, 0),
                "cases_in_sessions": len(spent),
                "minutes_per_case": round(sum(spent) / len(spent), 1) if spent else None,
                **off_track.get(s.pk, _loop_row([])),
            }
        )
    return out


NOT_ON_TRACK_REVIEW_DAYS = 7  # issue 21 item 3: reviewed within 7 days of the flag


def _loop_row(rows: list[tuple]) -> dict:
    """One supervisee's not-on-track figures from (raised_at, reviewed_at,
    phq_at_review, phq_latest) rows: `not_on_track` flags raised, `nt_reviewed_7`
    reviewed (by the review that resolved the flag) within 7 days of it, its share,
    and of the reviewed cases with a PHQ-9 after the review, `nt_followed` how many,
    `nt_phq_change` the mean change from the PHQ-9 at the review (the latest on or
    before it) to the latest since (points; negative is better), `nt_phq_fell` and
    `nt_phq_rose` how many moved by at least PHQ-9's reliable change (DOMAIN.md
    "Measures")."""
    from sessions import measures

    rc = measures.INSTRUMENTS["PHQ9"].reliable_change
    window = timedelta(days=NOT_ON_TRACK_REVIEW_DAYS)
    reviewed = sum(1 for raised, at, _, _ in rows if at is not None and at - raised <= window)
    moves = [float(latest - start) for _, at, start, latest in rows if at and start is not None and latest is not None]
    return {
        "not_on_track": len(rows),
        "nt_reviewed_7": reviewed,
        "nt_share": reviewed / len(rows) if rows else None,
        "nt_followed": len(moves),
        "nt_phq_change": round(sum(moves) / len(moves), 1) if moves else None,
        "nt_phq_fell": sum(1 for m in moves if m <= -rc),
        "nt_phq_rose": sum(1 for m in moves if m >= rc),
    }


def _not_on_track_loop(supervisees: list, *, since) -> dict:
    """Issue 21 item 3, the loop closed: per supervisee id, `_loop_row` over the
    not-on-track flags raised since `since` on the cases they hold now (the case's
    practitioner at the flag is not kept apart from its current one). One query."""
    from sessions.models import MeasureScore

    phq = (
        MeasureScore.objects.counting()
        .filter(referral_id=OuterRef("referral_id"), instrument="PHQ9", complete=True, total__isnull=False)
        .order_by("-taken_at", "-id")
    )
    reviewed_at = OuterRef("resolved_by_review__reviewed_at")
    rows = (
        Flag.objects.filter(
            reason=FlagReason.NOT_ON_TRACK,
            raised_at__gte=since,
            referral__assigned_practitioner__in=[s.pk for s in supervisees],
        )
        .annotate(
            practitioner=F("referral__assigned_practitioner_id"),
            reviewed_at=F("resolved_by_review__reviewed_at"),
            phq_at_review=Subquery(phq.filter(taken_at__lte=reviewed_at).values("total")[:1]),
            phq_latest=Subquery(phq.filter(taken_at__gt=reviewed_at).values("total")[:1]),
        )
        .values_list("practitioner", "raised_at", "reviewed_at", "phq_at_review", "phq_latest")
    )
    grouped: dict[int, list] = {}
    for practitioner, *row in rows:
        grouped.setdefault(practitioner, []).append(tuple(row))
    return {pk: _loop_row(found) for pk, found in grouped.items()}


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


def case_facts(referral_ids) -> dict:
    """The facts `supervision.agenda.reasons_in_words` is written from, for each
    case: in five queries whatever the number of cases (referrals, open flags,
    complete PHQ-9/GAD-7 and item 9, risk assessments, sessions, proposals)."""
    from sessions.models import MeasureScore, RiskAssessment, TherapySession
    from stepped_care.models import StepChange, StepChangeStatus

    from .agenda import CaseFacts, Score

    ids = list(referral_ids)
    facts = {rid: CaseFacts() for rid in ids}
    if not ids:
        return facts
    local = timezone.localdate
    for rid, opened_at, reviewed_at, assessed_on in Referral.objects.filter(pk__in=ids).values_list(
        "pk", "opened_at", "last_reviewed_at", "assessed_on"
    ):
        f = facts[rid]
        f.opened_on = local(opened_at) if opened_at else None
        f.last_reviewed_on = local(reviewed_at) if reviewed_at else None
        f.assessed_on = assessed_on
    for rid, reason, raised_at, detail in Flag.objects.filter(
        referral_id__in=ids, resolved_at__isnull=True
    ).values_list("referral_id", "reason", "raised_at", "detail"):
        facts[rid].flag_raised_on[reason] = local(raised_at)
        if reason == FlagReason.PWP_REQUEST:
            facts[rid].question = detail
    for rid, instrument, taken_at, total, complete, item9 in (
        MeasureScore.objects.counting()
        .filter(referral_id__in=ids, instrument__in=("PHQ9", "GAD7"))
        .order_by("taken_at", "id")
        .values_list("referral_id", "instrument", "taken_at", "total", "complete", "items__8")
    ):
        f, day = facts[rid], local(taken_at)
        if complete:
            (f.phq9 if instrument == "PHQ9" else f.gad7).append(Score(day, float(total)))
        if instrument == "PHQ9" and item9 is not None:
            f.item9.append((day, item9))
    levels = dict(RiskAssessment._meta.get_field("level").choices)
    for rid, recorded_at, level, trigger in (
        RiskAssessment.objects.filter(referral_id__in=ids)
        .order_by("recorded_at", "id")
        .values_list("referral_id", "recorded_at", "level", "trigger")
    ):
        facts[rid].risks.append((local(recorded_at), levels.get(level, level), trigger))
    from sessions.codes import ATTENDED, TREATMENT_APPOINTMENT_TYPES

    for rid, started_at, attendance, kind in (
        TherapySession.objects.filter(referral_id__in=ids)
        .order_by("started_at", "id")
        .values_list("referral_id", "started_at", "attendance", "appointment_type")
    ):
        facts[rid].attendances.append((local(started_at), attendance))
        if attendance in ATTENDED and kind in TREATMENT_APPOINTMENT_TYPES:
            facts[rid].treatment_sessions += 1
    for rid, kind, to_step, proposed_at, first, last in StepChange.objects.filter(
        referral_id__in=ids, status=StepChangeStatus.PROPOSED
    ).values_list("referral_id", "kind", "to_step", "proposed_at", "proposed_by__first_name", "proposed_by__last_name"):
        facts[rid].proposal = (kind, to_step, local(proposed_at), f"{first} {last}".strip())
    return facts


def reasons_for(facts: dict, reasons_by_case: dict) -> dict:
    """Each case's reasons in words (supervision.agenda), with the national values."""
    from sessions import measures

    from .agenda import reasons_in_words

    phq, gad = measures.INSTRUMENTS["PHQ9"], measures.INSTRUMENTS["GAD7"]
    today = timezone.localdate()
    return {
        rid: reasons_in_words(
            facts[rid],
            reasons_by_case.get(rid, ()),
            today,
            phq_rc=phq.reliable_change,
            gad_rc=gad.reliable_change,
            phq_cut=phq.cutoff,
            gad_cut=gad.cutoff,
        )
        for rid in facts
    }


def carried_from_last_session(*, supervisor: User, supervisee_id, before=None) -> set:
    """The cases the supervisee's last case-management session did not reach:
    on its agenda, past its clock, and not reviewed in it."""

    qs = SupervisionSession.objects.filter(supervisor=supervisor, supervisee_id=supervisee_id)
    if before is not None:
        qs = qs.filter(started_at__lt=before)
    last = qs.order_by("-started_at", "-id").first()
    if last is None:
        return set()
    return set(carried_in(last)) - set(last.reviews.values_list("referral_id", flat=True))


def carried_in(session: SupervisionSession) -> list:
    """Agenda cases of `session` past its clock (reviewed or not)."""
    from .agenda import clock

    minutes = list(session.agenda_minutes) + [5] * (len(session.agenda) - len(session.agenda_minutes))
    return [
        s.referral_id
        for s in clock(list(zip(session.agenda, minutes, strict=False)), session.duration_minutes)
        if not s.fits
    ]


def _reasons_by_case(ids) -> tuple[dict, dict]:
    reasons: dict = {}
    for rid, reason in Flag.objects.filter(referral_id__in=list(ids), resolved_at__isnull=True).values_list(
        "referral_id", "reason"
    ):
        reasons.setdefault(rid, []).append(reason)
    return reasons, {rid: FlagReason.RISK in rs for rid, rs in reasons.items()}


def agenda_for_session(*, user: User, session: SupervisionSession) -> dict:
    """The agenda page's rows, in a fixed number of queries for any agenda:
    `rows` (id, name, risk, reasons in words, minutes, start and end on the
    clock, fits, the review made in this session and where a moved case went),
    `spare` minutes, `used` minutes, `add_options` (the supervisee's other open
    cases) and `audited` (the referrals whose names the page shows)."""
    from stepped_care.models import StepChange, StepChangeStatus

    from .agenda import clock, hhmm

    ids = list(session.agenda)
    minutes = list(session.agenda_minutes) + [5] * (len(ids) - len(session.agenda_minutes))
    visible = {r.pk: r for r in Referral.objects.visible_to(user).filter(pk__in=ids).select_related("patient")}
    reviews = {}
    for review in session.reviews.select_related("referral__patient").order_by("reviewed_at"):
        reviews[review.referral_id] = review
    moved = dict(
        StepChange.objects.filter(
            referral_id__in=list(reviews),
            status=StepChangeStatus.CONFIRMED,
            decided_by=user,
            decided_at__gte=session.started_at,
        ).values_list("referral_id", "pk")
    )
    reasons, risk = _reasons_by_case(ids)
    words = reasons_for(case_facts(ids), reasons)
    rows, used = [], 0
    for slot in clock(list(zip(ids, minutes, strict=True)), session.duration_minutes):
        rid = slot.referral_id
        referral = visible.get(rid) or (reviews[rid].referral if rid in reviews else None)
        review = reviews.get(rid)
        if slot.fits:
            used += slot.minutes
        rows.append(
            {
                "id": rid,
                "referral": referral,
                "visible": rid in visible,
                "has_risk": risk.get(rid, False),
                "reasons": words.get(rid, []),
                "minutes": slot.minutes,
                "start": hhmm(slot.start) if slot.fits else None,
                "end": hhmm(slot.end) if slot.fits else None,
                "fits": slot.fits,
                "review": review,
                "decisions": [Decision(d).label for d in review.decisions] if review else [],
                "moved_change_id": moved.get(rid),
            }
        )
    add_options = list(
        Referral.objects.filter(assigned_practitioner_id=session.supervisee_id, status__in=OPEN_STATUSES)
        .exclude(pk__in=ids)
        .select_related("patient")
        .order_by("patient__family_name", "patient__given_name", "pk")
    )
    return {
        "rows": rows,
        "fitted": [r for r in rows if r["fits"]],
        "carried": [r for r in rows if not r["fits"]],
        "used": used,
        "spare": session.duration_minutes - used,
        "spare_start": hhmm(used),
        "session_end": hhmm(session.duration_minutes),
        "add_options": add_options,
        "audited": [r["referral"] for r in rows if r["referral"] is not None] + add_options,
    }


def next_on_agenda(*, session: SupervisionSession, after) -> object | None:
    """The next case on the clock not yet reviewed in this session (None: back to the agenda)."""
    from .agenda import clock

    reviewed = set(session.reviews.values_list("referral_id", flat=True))
    minutes = list(session.agenda_minutes) + [5] * (len(session.agenda) - len(session.agenda_minutes))
    for slot in clock(list(zip(session.agenda, minutes, strict=True)), session.duration_minutes):
        if slot.fits and slot.referral_id != after and slot.referral_id not in reviewed:
            return slot.referral_id
    return None


def review_context(*, referral: Referral, record: dict) -> dict:
    """What the review page shows besides the record (issue 16 item 1): the
    reasons in words, the PWP's question, the score table, the latest notes and
    the previous reviews with whether each agreed action was done. `record` is
    `sessions.selectors.record_for_user`'s answer; three queries more."""
    from sessions.charts import CHARTED

    from .models import CaseReview

    reasons, _ = _reasons_by_case([referral.pk])
    facts = case_facts([referral.pk])
    words = reasons_for(facts, reasons)[referral.pk]
    sessions = record["sessions"]
    columns = [
        c for c in CHARTED if any(m["instrument"] == c and m["complete"] for s in sessions for m in s.measure_list)
    ]
    table = []
    for s in sessions:
        scores = {m["instrument"]: m for m in s.measure_list}
        table.append(
            {
                "session": s,
                "cells": [(scores[c]["total"] if c in scores and scores[c]["complete"] else None) for c in columns],
            }
        )
    notes = [s for s in reversed(sessions) if s.notes][:10]
    reviews = list(
        CaseReview.objects.filter(referral=referral)
        .select_related("reviewer", "risk_action_owner")
        .order_by("-reviewed_at")
    )
    for index, review in enumerate(reviews):
        later = reviews[index - 1] if index > 0 else None
        review.actions = review_actions(
            review, later=later, step_changes=record["step_changes"], risks=record["risks"], sessions=sessions
        )
        review.decision_labels = [Decision(d).label for d in review.decisions]
    return {
        "reasons": words,
        "question": facts[referral.pk].question,
        "score_columns": columns,
        "score_table": table,
        "notes_sessions": notes,
        "previous_reviews": reviews,
        # issue 21 item 3: the form asks what was decided about a case not on track
        "not_on_track": FlagReason.NOT_ON_TRACK in reasons.get(referral.pk, ()),
    }


def review_actions(review, *, later, step_changes, risks, sessions) -> list[dict]:
    """Whether each action a review agreed was carried out, as
    {"what", "status", "done": True/False/None (not yet due)}:
    a step up or discharge made (a confirmed change after the review); a risk
    action recorded by its owner by its date (a risk assessment they recorded
    between the review and the due date); a change of intervention (a later
    session with an intervention not used before); the next review held by its date."""
    today = timezone.localdate()
    at = review.reviewed_at - timedelta(minutes=1)
    out = []
    decided = [c for c in step_changes if c.status == "confirmed" and c.decided_at and c.decided_at >= at]
    if "step_up" in review.decisions:
        change = next((c for c in decided if c.kind == "step_up"), None)
        out.append(
            {
                "what": "Step up",
                "status": f"done: step {change.to_step} from {change.effective_on:%d/%m/%Y}" if change else "not done",
                "done": change is not None,
            }
        )
    if "discharge" in review.decisions:
        change = next((c for c in decided if c.kind in ("discharge", "step_down")), None)
        out.append(
            {
                "what": "Step down or discharge",
                "status": f"done: {change.get_kind_display().lower()} {change.effective_on:%d/%m/%Y}"
                if change
                else "not done",
                "done": change is not None,
            }
        )
    if "risk_action" in review.decisions and review.risk_action_due:
        owner = review.risk_action_owner
        met = [
            r
            for r in risks
            if owner is not None
            and r.recorded_by_id == owner.pk
            and at <= r.recorded_at
            and timezone.localdate(r.recorded_at) <= review.risk_action_due
        ]
        due = f"{review.risk_action_due:%d/%m/%Y}"
        if met:
            status, done = (
                f"done: risk reviewed by {owner.get_full_name()} on {timezone.localdate(met[0].recorded_at):%d/%m/%Y}",
                True,
            )
        elif review.risk_action_due < today:
            status, done = f"not done by {due} ({owner.get_full_name() if owner else 'no owner'})", False
        else:
            status, done = f"due {due}, owner {owner.get_full_name() if owner else '–'}", None
        out.append({"what": f"Risk action: {review.risk_action}", "status": status, "done": done})
    if "change_intervention" in review.decisions:
        before = {i for s in sessions if s.started_at < review.reviewed_at for i in s.interventions}
        new = next((s for s in sessions if s.started_at >= review.reviewed_at and set(s.interventions) - before), None)
        out.append(
            {
                "what": "Change intervention",
                "status": (
                    f"done: {', '.join(new.intervention_labels)} from {timezone.localdate(new.started_at):%d/%m/%Y}"
                )
                if new
                else "no session with a new intervention yet",
                "done": True if new else None,
            }
        )
    if later is not None:
        held = timezone.localdate(later.reviewed_at)
        on_time = held <= review.next_review_on
        out.append(
            {
                "what": f"Next review by {review.next_review_on:%d/%m/%Y}",
                "status": f"held {held:%d/%m/%Y}" + ("" if on_time else " (late)"),
                "done": on_time,
            }
        )
    elif review.next_review_on < today:
        out.append({"what": f"Next review by {review.next_review_on:%d/%m/%Y}", "status": "overdue", "done": False})
    return out


def notifications_for_user(*, user: User, limit: int = 50) -> list:
    """The user's latest notifications, each with `case_name` (only while the user
    may still see the case), `reason_label`, `reviewable` and `patient_id`: two queries."""
    from .models import Notification

    items = list(
        Notification.objects.filter(user=user)
        .select_related("flag__referral__patient")
        .order_by("-created_at", "-id")[:limit]
    )
    _annotate_notifications(user, items)
    return items


def _annotate_notifications(user: User, items) -> None:
    referral_ids = {n.flag.referral_id for n in items if n.flag_id}
    visible = set(Referral.objects.visible_to(user).filter(pk__in=referral_ids).values_list("pk", flat=True))
    for n in items:
        referral = n.flag.referral if n.flag_id else None
        shown = referral is not None and referral.pk in visible
        n.case_name = f"{referral.patient.family_name}, {referral.patient.given_name}" if shown else ""
        n.patient_id = referral.patient_id if shown else None
        n.reason_label = FlagReason(n.flag.reason).label if n.flag_id else ""
        n.reviewable = shown and referral.status in OPEN_STATUSES and referral.assigned_practitioner_id != user.pk


def notification_get_for_user(*, user: User, notification_id):
    from .models import Notification

    try:
        notification = Notification.objects.select_related("flag__referral__patient").get(pk=notification_id, user=user)
    except (Notification.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc
    _annotate_notifications(user, [notification])
    return notification


def record_not_on_track(referral, context: dict) -> None:
    """sessions.hooks: `not_on_track`, the open not-on-track flag of the case
    (its `detail` the evidence in words, `raised_at`), or None. One query. The
    record's reader already passed its access check."""
    context["not_on_track"] = (
        Flag.objects.filter(referral=referral, reason=FlagReason.NOT_ON_TRACK, resolved_at__isnull=True)
        .only("detail", "raised_at")
        .first()
    )
