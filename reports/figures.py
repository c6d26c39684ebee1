"""The service report's figures, computed in the database.

Every referral-level figure is an aggregate over the record-level outcome rows
of reports/sql.py (one query with GROUPING SETS gives the totals and every
breakdown), read from the stored outcome summary (reports/outcome_summary.py)
after the service's queued referrals are refreshed; activity comes from the
care contacts, caseloads and the workforce from one annotated query over the
staff. Python only turns counts into rates, using the same rules as
reports/outcomes.py.

Queries per report: refresh of the queued summaries 1, referral figures and
trend 1, activity and step-ups 1, staff 1 (4 in all, whatever the size of the
service).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.db import connection
from django.db.models import Count, IntegerField, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.capacity import capacity_share
from accounts.models import Role, User
from patients.codes import END_CODE_GROUPS, OPEN_STATUSES, EndCode, ReferralSource, Sex
from patients.models import Referral
from sessions.codes import ATTENDED, DID_NOT_ATTEND, TREATMENT_APPOINTMENT_TYPES
from sessions.models import TherapySession
from stepped_care.models import StepChangeKind, StepChangeStatus

from . import periods, reference
from .outcome_summary import outcomes_enqueue_missing, outcomes_refresh
from .outcomes import NATIONAL_STANDARDS
from .sql import outcome_rows_sql

# Appointments the patient was expected at: attended, late (seen or not) and
# DNA; cancellations by either side are not missed appointments.
EXPECTED_ATTENDANCE = ("5", "6", "7", DID_NOT_ATTEND)
COUNTS = (
    "received",
    "self_referrals",
    "assessed",
    "entered_treatment",
    "within_6_weeks",
    "within_18_weeks",
    "second_treatment",
    "second_over_28",
    "second_over_90",
    "ended",
    "ended_before_treatment",
    "ended_treated_once",
    "finished",
    "not_caseness",
    "finished_unpaired",
    "recovered",
    "reliably_improved",
    "reliably_deteriorated",
    "reliably_recovered",
    "no_change",
    "open_treated",
    "open_no_contact",
)
BREAKDOWNS = ("source", "end_code", "age_band", "sex", "ethnic_group")


def ratio(numerator: int | None, denominator: int | None) -> float | None:
    return numerator / denominator if denominator else None


def _scope_args(scope, *, date_from: date | None = None) -> dict:
    return {
        "service_id": scope.service.pk,
        "team_id": scope.team.pk if scope.team else None,
        "date_from": date_from or scope.date_from,
        "date_to": scope.date_to,
    }


def _age_band_sql(params: dict) -> str:
    whens = []
    for index, (label, low, high) in enumerate(reference.AGE_BANDS):
        params[f"age{index}"] = label
        params[f"age{index}_lo"] = low
        if high is None:
            whens.append(f"WHEN o.age_at_referral >= %(age{index}_lo)s THEN %(age{index})s")
        else:
            params[f"age{index}_hi"] = high
            whens.append(f"WHEN o.age_at_referral BETWEEN %(age{index}_lo)s AND %(age{index}_hi)s THEN %(age{index})s")
    return "CASE " + " ".join(whens) + " ELSE 'Not known' END"


def _ethnic_group_sql(params: dict) -> str:
    whens = []
    for index, (label, codes) in enumerate(reference.ETHNIC_GROUPS.items()):
        params[f"eth{index}"] = label
        params[f"eth{index}_codes"] = list(codes)
        whens.append(f"WHEN o.ethnicity = ANY(%(eth{index}_codes)s::text[]) THEN %(eth{index})s")
    return "CASE " + " ".join(whens) + " ELSE 'Not stated or not known' END"


def _counts_sql(p: str = "") -> str:
    """The FILTERed counts, over rows flagged received_in/assessed_in/... for the period."""
    return f"""
    count(*) FILTER (WHERE {p}received_in) AS received,
    count(*) FILTER (WHERE {p}received_in AND {p}source = %(self_source)s) AS self_referrals,
    count(*) FILTER (WHERE {p}assessed_in) AS assessed,
    count(*) FILTER (WHERE {p}entered_in) AS entered_treatment,
    count(*) FILTER (WHERE {p}ended_in AND {p}finished_treatment AND {p}days_to_first_treatment <= %(six_weeks)s)
        AS within_6_weeks,
    count(*) FILTER (WHERE {p}ended_in AND {p}finished_treatment AND {p}days_to_first_treatment <= %(eighteen_weeks)s)
        AS within_18_weeks,
    count(*) FILTER (WHERE {p}second_in) AS second_treatment,
    count(*) FILTER (WHERE {p}second_in AND {p}days_first_to_second_treatment > %(over_a)s) AS second_over_28,
    count(*) FILTER (WHERE {p}second_in AND {p}days_first_to_second_treatment > %(over_b)s) AS second_over_90,
    count(*) FILTER (WHERE {p}ended_in) AS ended,
    count(*) FILTER (WHERE {p}ended_in AND {p}first_treatment_on IS NULL) AS ended_before_treatment,
    count(*) FILTER (WHERE {p}ended_in AND {p}treatment_sessions = 1) AS ended_treated_once,
    count(*) FILTER (WHERE {p}ended_in AND {p}finished_treatment) AS finished,
    count(*) FILTER (WHERE {p}ended_in AND {p}finished_treatment AND {p}not_caseness_start) AS not_caseness,
    count(*) FILTER (WHERE {p}ended_in AND {p}finished_treatment AND NOT {p}paired_scores) AS finished_unpaired,
    count(*) FILTER (WHERE {p}ended_in AND {p}finished_treatment AND {p}recovered) AS recovered,
    count(*) FILTER (WHERE {p}ended_in AND {p}finished_treatment AND {p}reliable_improvement) AS reliably_improved,
    count(*) FILTER (WHERE {p}ended_in AND {p}finished_treatment AND {p}reliable_deterioration)
        AS reliably_deteriorated,
    count(*) FILTER (WHERE {p}ended_in AND {p}finished_treatment AND {p}reliable_recovery) AS reliably_recovered,
    count(*) FILTER (WHERE {p}ended_in AND {p}finished_treatment AND {p}no_change) AS no_change,
    count(*) FILTER (WHERE {p}open_treated) AS open_treated,
    count(*) FILTER (WHERE {p}open_no_contact) AS open_no_contact"""


def _period_flags_params(params: dict, start: date, end: date) -> None:
    params.update(
        p_from=start,
        p_to=end,
        self_source=ReferralSource.SELF.value,
        six_weeks=reference.WAITS.six_weeks_days,
        eighteen_weeks=reference.WAITS.eighteen_weeks_days,
        over_a=reference.WAITS.second_over_days[0],
        over_b=reference.WAITS.second_over_days[1],
        no_contact=reference.WAITS.no_contact_days,
    )


# Flags of a row for the report's period; `in_period` is the scope of the
# referral figures (open at any time in the period), the trend reading more.
PERIOD_FLAGS = """
           o.received_on <= %(p_to)s AND (o.ended_on IS NULL OR o.ended_on >= %(p_from)s) AS in_period,
           o.received_on BETWEEN %(p_from)s AND %(p_to)s AS received_in,
           o.received_on <= %(p_to)s AND (o.ended_on IS NULL OR o.ended_on >= %(p_from)s)
               AND o.assessed_on BETWEEN %(p_from)s AND %(p_to)s AS assessed_in,
           o.received_on <= %(p_to)s AND (o.ended_on IS NULL OR o.ended_on >= %(p_from)s)
               AND o.first_treatment_on BETWEEN %(p_from)s AND %(p_to)s AS entered_in,
           o.received_on <= %(p_to)s AND (o.ended_on IS NULL OR o.ended_on >= %(p_from)s)
               AND o.second_treatment_on BETWEEN %(p_from)s AND %(p_to)s AS second_in,
           o.ended_on BETWEEN %(p_from)s AND %(p_to)s AS ended_in,
           -- Open at the period's end and treated by then (NHS England's OpenReferral) ...
           o.received_on <= %(p_to)s AND (o.ended_on IS NULL OR o.ended_on > %(p_to)s)
               AND o.last_treatment_on IS NOT NULL AND o.first_treatment_on <= %(p_to)s AS open_treated,
           -- ... and its last treatment on or before that day over 90 days before it
           -- (OpenReferralOver90daysNoContact). The stored last treatment answers
           -- unless it came after the period; only then are the sessions read.
           o.received_on <= %(p_to)s AND (o.ended_on IS NULL OR o.ended_on > %(p_to)s)
               AND o.first_treatment_on <= %(p_to)s - %(no_contact)s - 1
               AND CASE WHEN o.last_treatment_on <= %(p_to)s
                        THEN o.last_treatment_on < %(p_to)s - %(no_contact)s
                        ELSE NOT EXISTS (
                            SELECT 1 FROM therapy_sessions_therapysession s
                            WHERE s.referral_id = o.referral_id::uuid
                              AND s.attendance = ANY(%(attended)s::text[])
                              AND s.appointment_type = ANY(%(treatment)s::text[])
                              AND (s.started_at AT TIME ZONE %(tz)s)::date
                                  BETWEEN %(p_to)s - %(no_contact)s AND %(p_to)s)
                   END AS open_no_contact"""
TREND_FLAGS = """
           o.received_on BETWEEN %(t_from)s AND %(p_to)s AS t_received_in,
           o.first_treatment_on BETWEEN %(t_from)s AND %(p_to)s AS t_entered_in,
           o.ended_on BETWEEN %(t_from)s AND %(p_to)s AS t_ended_in,
           date_trunc('month', o.received_on)::date AS received_month,
           date_trunc('month', o.first_treatment_on)::date AS entered_month,
           date_trunc('month', o.ended_on)::date AS ended_month"""
MONTHS = ("received_month", "entered_month", "ended_month")
TREND_COUNTS = """
    count(*) FILTER (WHERE t_received_in) AS t_received,
    count(*) FILTER (WHERE t_entered_in) AS t_entered_treatment,
    count(*) FILTER (WHERE t_ended_in AND finished_treatment AND days_to_first_treatment <= %(six_weeks)s)
        AS t_within_6_weeks,
    count(*) FILTER (WHERE t_ended_in AND finished_treatment AND days_to_first_treatment <= %(eighteen_weeks)s)
        AS t_within_18_weeks,
    count(*) FILTER (WHERE t_ended_in AND finished_treatment) AS t_finished,
    count(*) FILTER (WHERE t_ended_in AND finished_treatment AND not_caseness_start) AS t_not_caseness,
    count(*) FILTER (WHERE t_ended_in AND finished_treatment AND recovered) AS t_recovered"""
# The trend's counts by the month each counts in: referrals by the month received,
# entering treatment by the month of the first treatment, endings (and the
# waiting-time standards, measured on finished courses) by the month ended.
TREND_BY_MONTH = {
    "received_month": ("received",),
    "entered_month": ("entered_treatment",),
    "ended_month": ("finished", "not_caseness", "recovered", "within_6_weeks", "within_18_weeks"),
}


def _trend_range(scope) -> tuple[date, date]:
    """At least the twelve months ending with the period; months from the
    future would be empty, so the trend ends today at the latest."""
    last_day = max(scope.date_from, min(scope.date_to, timezone.localdate()))
    return periods.trend_start(periods.Period(scope.date_from, last_day, scope.label)), last_day


def referral_figures(scope, *, stored: bool = True) -> tuple[dict, list[dict]]:
    """The referral figures of the period (totals and every breakdown: source,
    end code, age band, sex, ethnic group) and the monthly trend, in ONE query
    over the outcome rows of the trend's range (which starts on or before the
    period), with GROUPING SETS. Reads the stored summaries, after refreshing
    the service's queued referrals (a handful: the beat task drains the queue
    every minute), so the figures are as of now; stored=False computes them
    live (the tests hold one to the other)."""
    if stored:
        outcomes_refresh(service_id=scope.service.pk)
    result, months, missing = _referral_figures(scope, stored=stored)
    if missing:
        # Summaries written with the triggers off are missing, not zero: build
        # them now, and read again, rather than drop those referrals.
        outcomes_enqueue_missing(service_id=scope.service.pk)
        outcomes_refresh(service_id=scope.service.pk)
        result, months, missing = _referral_figures(scope, stored=stored)
    return result, months


def _referral_figures(scope, *, stored: bool) -> tuple[dict, list[dict], int]:
    start, last_day = _trend_range(scope)
    rows_sql, params = outcome_rows_sql(**_scope_args(scope, date_from=start), ordered=False, stored=stored)
    _period_flags_params(params, scope.date_from, scope.date_to)
    params["t_from"] = start
    age_band = _age_band_sql(params)
    ethnic_group = _ethnic_group_sql(params)
    keys = (*BREAKDOWNS, *MONTHS)
    sql = f"""
WITH o AS ({rows_sql}),
b AS (
    SELECT o.source, o.end_code, o.sex, o.treatment_sessions, o.days_to_first_treatment,
           o.days_first_to_second_treatment, o.finished_treatment, o.at_caseness_start, o.recovered,
           o.reliable_improvement, o.reliable_deterioration, o.reliable_recovery,
           o.first_treatment_on, o.paired_scores, o.not_caseness_start, o.no_change,
           {"o.summary_missing," if stored else ""}
           {PERIOD_FLAGS},
           {TREND_FLAGS},
           {age_band} AS age_band,
           {ethnic_group} AS ethnic_group
    FROM o
)
SELECT GROUPING({", ".join(keys)}) AS grouping_id, {", ".join(keys)},
       count(*) FILTER (WHERE in_period) AS period_rows,
       {"count(*) FILTER (WHERE summary_missing)" if stored else "0"} AS summaries_missing,
       {_counts_sql()},
       {TREND_COUNTS}
FROM b
GROUP BY GROUPING SETS ((), {", ".join(f"({key})" for key in keys)})
"""  # noqa: S608 - fixed fragments only; values are parameters
    result: dict = {"total": dict.fromkeys(COUNTS, 0), **{name: {} for name in BREAKDOWNS}}
    by_month: dict = {}
    missing = 0
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        names = [c.name for c in cursor.description]
        for row in cursor.fetchall():
            record = dict(zip(names, row, strict=True))
            counts = {key: record[key] for key in COUNTS}
            # GROUPING() sets a bit for every column not grouped in this row's set.
            grouped = [name for bit, name in enumerate(reversed(keys)) if not record["grouping_id"] & (1 << bit)]
            if not grouped:
                result["total"] = counts
                missing = record["summaries_missing"]
            elif grouped[0] in TREND_BY_MONTH:
                if record[grouped[0]] is not None:
                    month = by_month.setdefault(record[grouped[0]], {})
                    month.update({name: record[f"t_{name}"] for name in TREND_BY_MONTH[grouped[0]]})
            elif record["period_rows"]:  # a value seen only before the period is no row of the breakdown
                result[grouped[0]][record[grouped[0]]] = counts
    months = []
    for month in periods.months_in(start, last_day):
        row = {name: 0 for names in TREND_BY_MONTH.values() for name in names} | by_month.get(month, {})
        at_caseness = row["finished"] - row["not_caseness"]
        months.append(
            {
                "month": month,
                "label": f"{month:%b %Y}",
                "received": row["received"],
                "entered_treatment": row["entered_treatment"],
                "finished": row["finished"],
                "recovery_rate": ratio(row["recovered"], at_caseness),
                "within_6_weeks": ratio(row["within_6_weeks"], row["finished"]),
                "within_18_weeks": ratio(row["within_18_weeks"], row["finished"]),
            }
        )
    return result, months, missing


def referral_counts(scope, *, stored: bool = True) -> dict:
    """The period's totals and breakdowns (referral_figures)."""
    return referral_figures(scope, stored=stored)[0]


def trend(scope, *, stored: bool = True) -> list[dict]:
    """Monthly referrals, recovery and waits over at least the twelve months
    ending with the period (referral_figures)."""
    return referral_figures(scope, stored=stored)[1]


def _bounds(start: date, end: date) -> tuple[datetime, datetime]:
    """The aware datetimes from the start of the first day to the start of the day after the last."""
    return (
        timezone.make_aware(datetime.combine(start, time.min)),
        timezone.make_aware(datetime.combine(end + timedelta(days=1), time.min)),
    )


def _referral_scope_q(scope, prefix: str = "") -> Q:
    q = Q(**{f"{prefix}service_id": scope.service.pk})
    if scope.team:
        q &= Q(**{f"{prefix}team_id": scope.team.pk})
    return q


# The scope's referrals as one array, reached through the (service, received_on)
# index; the care contacts and step changes are then read through their
# (referral, ...) indexes with `= ANY(array)`, one index scan each. A join on the
# referral let the planner read every session of the period nationally (a
# sequential scan of the sessions: 1.2 s at national scale for one service).
ACTIVITY = """
WITH scope AS MATERIALIZED (
    SELECT ARRAY(SELECT r.id FROM patients_referral r WHERE r.service_id = %(service_id)s {team}) AS ids
)
SELECT count(*) AS appointments,
       count(*) FILTER (WHERE s.attendance = ANY(%(expected)s::text[])) AS expected,
       count(*) FILTER (WHERE s.attendance = %(dna)s) AS dna,
       count(*) FILTER (WHERE {treatment}) AS treatment_sessions,
       count(*) FILTER (WHERE {treatment} AND s.step = 2) AS step2_treatment,
       count(*) FILTER (WHERE {treatment} AND s.step = 2 AND u.role = %(pwp)s) AS step2_pwp_treatment,
       (SELECT count(*) FROM stepped_care_stepchange c
        WHERE c.referral_id = ANY((SELECT ids FROM scope)::uuid[])
          AND c.kind = %(step_up)s AND c.status = %(confirmed)s
          AND c.effective_on BETWEEN %(date_from)s AND %(date_to)s) AS step_ups
FROM therapy_sessions_therapysession s
LEFT JOIN accounts_user u ON u.id = s.practitioner_id
WHERE s.referral_id = ANY((SELECT ids FROM scope)::uuid[])
  AND s.started_at >= %(start)s AND s.started_at < %(end)s
"""


def activity(scope) -> dict:
    """Care contacts in the period (DNA rate, treatment at step 2 by PWPs) and
    confirmed step-ups, in one statement."""
    start, end = _bounds(scope.date_from, scope.date_to)
    params = {
        "service_id": scope.service.pk,
        "team_id": scope.team.pk if scope.team else None,
        "start": start,
        "end": end,
        "date_from": scope.date_from,
        "date_to": scope.date_to,
        "expected": list(EXPECTED_ATTENDANCE),
        "attended": sorted(ATTENDED),
        "treatment_types": sorted(TREATMENT_APPOINTMENT_TYPES),
        "dna": DID_NOT_ATTEND,
        "pwp": Role.PWP.value,
        "step_up": StepChangeKind.STEP_UP.value,
        "confirmed": StepChangeStatus.CONFIRMED.value,
    }
    sql = ACTIVITY.format(
        team="AND r.team_id = %(team_id)s" if scope.team else "",
        treatment="s.attendance = ANY(%(attended)s::text[]) AND s.appointment_type = ANY(%(treatment_types)s::text[])",
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        names = [c.name for c in cursor.description]
        counts = dict(zip(names, cursor.fetchone(), strict=True))
    counts["dna_rate"] = ratio(counts["dna"], counts["expected"])
    counts["step2_share"] = ratio(counts["step2_treatment"], counts["treatment_sessions"])
    counts["step2_pwp_share"] = ratio(counts["step2_pwp_treatment"], counts["treatment_sessions"])
    return counts


def _count_subquery(qs) -> Coalesce:
    """COUNT(*) of a correlated referral queryset, 0 when none."""
    counted = qs.order_by().values("assigned_practitioner").annotate(n=Count("pk")).values("n")[:1]
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


@dataclass
class StaffRow:
    user: User
    kind: str
    open_cases: int
    capacity: int
    overdue_reviews: int
    patients_helped_year: int
    expected_helped_year: int | None

    @property
    def load(self) -> float | None:
        return ratio(self.open_cases, self.capacity)

    @property
    def reviewed_in_time(self) -> int:
        return self.open_cases - self.overdue_reviews


def staff_kind(user: User) -> str:
    """Workforce group (DOMAIN.md "Who uses it"): trainee, qualified or senior
    PWP; supervisor; high-intensity therapist."""
    if user.role == Role.HIT:
        return "hit_trainee" if user.is_trainee else "hit"
    if user.role == Role.SUPERVISOR:
        return "supervisor"
    if user.is_trainee:
        return "pwp_trainee"
    if (user.band or 0) >= reference.WORKFORCE.senior_band:
        return "pwp_senior"
    return "pwp_qualified"


@dataclass
class StaffFigures:
    rows: list[StaffRow] = field(default_factory=list)
    on: date | None = None

    def of(self, *kinds) -> list[StaffRow]:
        return [r for r in self.rows if r.kind in kinds]


def staff(scope, *, now: datetime | None = None) -> StaffFigures:
    """Caseload against capacity (trainee rules, accounts/capacity.py),
    supervision compliance (every open case reviewed within 28 days, a case
    never reviewed counting from its opening: DOMAIN.md "Supervision") and
    patients helped in the year to the period's end: one query."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    review_due = now - timedelta(days=reference.SUPERVISION.review_days)
    year_start, year_end = _bounds(scope.date_to - timedelta(days=364), scope.date_to)
    open_cases = Referral.objects.filter(assigned_practitioner=OuterRef("pk"), status__in=OPEN_STATUSES)
    overdue = open_cases.annotate(due_from=Coalesce("last_reviewed_at", "opened_at", "created_at")).filter(
        due_from__lt=review_due
    )
    helped = (
        TherapySession.objects.filter(
            practitioner=OuterRef("pk"), attendance__in=ATTENDED, started_at__gte=year_start, started_at__lt=year_end
        )
        .order_by()
        .values("practitioner")
        .annotate(n=Count("referral__patient_id", distinct=True))
        .values("n")
    )
    users = User.objects.filter(service=scope.service, is_active=True, role__in=[Role.PWP, Role.HIT, Role.SUPERVISOR])
    if scope.team:
        users = users.filter(team=scope.team)
    users = users.annotate(
        open_cases=_count_subquery(open_cases),
        overdue_reviews=_count_subquery(overdue),
        helped_year=Coalesce(Subquery(helped[:1], output_field=IntegerField()), Value(0)),
    ).order_by("role", "last_name", "first_name")
    rows = []
    for user in users:
        kind = staff_kind(user)
        share = capacity_share(is_trainee=user.is_trainee, training_start=user.training_start, on=scope.date_to)
        rows.append(
            StaffRow(
                user=user,
                kind=kind,
                open_cases=user.open_cases,
                capacity=user.capacity(on=today),
                overdue_reviews=user.overdue_reviews,
                patients_helped_year=user.helped_year,
                expected_helped_year=(
                    round(reference.WORKFORCE.patients_per_qualified_pwp_year * share)
                    if kind.startswith("pwp")
                    else None
                ),
            )
        )
    return StaffFigures(rows=rows, on=today)


PWP_KINDS = ("pwp_trainee", "pwp_qualified", "pwp_senior", "supervisor")
QUALIFIED_PWP_KINDS = ("pwp_qualified", "pwp_senior")


def workforce(staff_figures: StaffFigures) -> dict:
    """Skill mix against the 40:60 PWP to high-intensity guide, qualified staff
    to trainees against 1:2, patients helped per qualified PWP against 250.
    Supervisors are counted on the PWP side: here they supervise step 2."""
    rows = staff_figures.rows
    counts = {kind: len(staff_figures.of(kind)) for kind in (*PWP_KINDS, "hit", "hit_trainee")}
    pwps = sum(counts[k] for k in PWP_KINDS)
    hits = counts["hit"] + counts["hit_trainee"]
    trainees = counts["pwp_trainee"] + counts["hit_trainee"]
    qualified = len(rows) - trainees
    qualified_pwps = staff_figures.of(*QUALIFIED_PWP_KINDS)
    helped = sum(r.patients_helped_year for r in qualified_pwps)
    guides = reference.WORKFORCE
    return {
        "counts": counts,
        "pwps": pwps,
        "hits": hits,
        "pwp_share": ratio(pwps, pwps + hits),
        "hit_share": ratio(hits, pwps + hits),
        "pwp_share_guide": guides.pwp_share,
        "hit_share_guide": guides.hit_share,
        "qualified": qualified,
        "trainees": trainees,
        "trainees_per_qualified": ratio(trainees, qualified),
        "trainees_per_qualified_guide": guides.trainees_per_qualified,
        "trainee_ratio_ok": qualified > 0 and trainees <= guides.trainees_per_qualified * qualified,
        "qualified_pwps": len(qualified_pwps),
        "helped_per_qualified_pwp": ratio(helped, len(qualified_pwps)),
        "helped_guide": guides.patients_per_qualified_pwp_year,
    }


def supervision_compliance(staff_figures: StaffFigures) -> dict:
    pwp_rows = [r for r in staff_figures.rows if r.kind in ("pwp_trainee", "pwp_qualified", "pwp_senior")]
    open_cases = sum(r.open_cases for r in pwp_rows)
    in_time = sum(r.reviewed_in_time for r in pwp_rows)
    return {
        "open_cases": open_cases,
        "reviewed_in_time": in_time,
        "overdue": open_cases - in_time,
        "rate": ratio(in_time, open_cases),
        "review_days": reference.SUPERVISION.review_days,
    }


def outcome_rates(counts: dict) -> dict:
    """The rates of reports/outcomes.rates(), from counts made in SQL."""
    at_caseness = counts["finished"] - counts["not_caseness"]
    return {
        "at_caseness": at_caseness,
        "recovery_rate": ratio(counts["recovered"], at_caseness),
        "reliable_recovery_rate": ratio(counts["reliably_recovered"], at_caseness),
        "reliable_improvement_rate": ratio(counts["reliably_improved"], counts["finished"]),
        "reliable_deterioration_rate": ratio(counts["reliably_deteriorated"], counts["finished"]),
        # Waiting-time standards over the courses finished in the period (docs/decisions/014).
        "within_6_weeks_rate": ratio(counts["within_6_weeks"], counts["finished"]),
        "within_18_weeks_rate": ratio(counts["within_18_weeks"], counts["finished"]),
        "no_change_rate": ratio(counts["no_change"], counts["finished"]),
        "finished_unpaired_rate": ratio(counts["finished_unpaired"], counts["finished"]),
        "open_no_contact_rate": ratio(counts["open_no_contact"], counts["open_treated"]),
        "second_over_28_rate": ratio(counts["second_over_28"], counts["second_treatment"]),
        "second_over_90_rate": ratio(counts["second_over_90"], counts["second_treatment"]),
        "self_referral_rate": ratio(counts["self_referrals"], counts["received"]),
    }


def _labelled(breakdown: dict, labels: dict, order=None) -> list[dict]:
    keys = list(order) if order is not None else sorted(breakdown, key=lambda k: (k is None, str(k)))
    rows = []
    for key in keys:
        if key not in breakdown:
            continue
        counts = breakdown[key]
        rows.append({"key": key, "label": labels.get(key, key or "Not recorded"), **counts, **outcome_rates(counts)})
    return rows


@dataclass
class ServiceReport:
    scope: object
    total: dict
    rates: dict
    standards: dict
    sources: list
    end_codes: list
    end_code_groups: list
    equality: dict
    activity: dict
    staff: StaffFigures
    workforce: dict
    supervision: dict
    trend: list


def service_report(scope, *, now: datetime | None = None) -> ServiceReport:
    counts, trend_months = referral_figures(scope)
    total = counts["total"]
    ended_by_code = {k: v for k, v in counts["end_code"].items() if k}
    groups = []
    for group, codes in END_CODE_GROUPS.items():
        groups.append(
            {
                "label": group.replace("_", " ").capitalize(),
                "ended": sum(ended_by_code.get(code, {}).get("ended", 0) for code in codes),
            }
        )
    for breakdown in ("source", "age_band", "sex", "ethnic_group"):
        for row in counts[breakdown].values():
            row["share"] = ratio(row["received"], total["received"])
    staff_figures = staff(scope, now=now)
    age_order = [label for label, _, _ in reference.AGE_BANDS] + ["Not known"]
    return ServiceReport(
        scope=scope,
        total=total,
        rates=outcome_rates(total),
        standards={
            **NATIONAL_STANDARDS,
            "second_over_days": reference.WAITS.second_over_days,
            "no_contact_days": reference.WAITS.no_contact_days,
        },
        sources=[r for r in _labelled(counts["source"], dict(ReferralSource.choices)) if r["received"]],
        end_codes=[r for r in _labelled(ended_by_code, dict(EndCode.choices), order=EndCode.values) if r["ended"]],
        end_code_groups=groups,
        equality={
            "age_band": _labelled(counts["age_band"], {}, order=age_order),
            "sex": _labelled(counts["sex"], dict(Sex.choices), order=Sex.values),
            "ethnic_group": _labelled(counts["ethnic_group"], {}, order=list(reference.ETHNIC_GROUPS)),
        },
        activity=activity(scope),
        staff=staff_figures,
        workforce=workforce(staff_figures),
        supervision=supervision_compliance(staff_figures),
        trend=trend_months,
    )
