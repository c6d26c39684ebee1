"""The national outcome definitions for a referral that has ended (DOMAIN.md
"Outcomes"). Pure functions, no Django imports: they are the specification the
SQL in reports/sql.py is tested against, referral by referral."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sessions import measures
from sessions.codes import (
    APPOINTMENT_TYPES,
    ATTENDANCE,
    ATTENDED,
    CONSULTATION_MEDIUM,
    TREATMENT_APPOINTMENT_TYPES,
)

__all__ = [
    "APPOINTMENT_TYPES",
    "ATTENDANCE",
    "CONSULTATION_MEDIUM",
    "ATTENDED",
    "TREATMENT_APPOINTMENT_TYPES",
    "NATIONAL_STANDARDS",
    "Contact",
    "ScorePoint",
    "Outcome",
    "Rates",
    "count_treatment_appointments",
    "finished_treatment",
    "paired_scores",
    "anxiety_measure_used",
    "referral_outcome",
    "rates",
    "within_weeks",
    "waiting_times",
    "Waits",
    "ended_split",
    "open_without_contact",
    "NO_CONTACT_DAYS",
]

NATIONAL_STANDARDS = {
    "recovery_rate": 0.50,
    "reliable_recovery_rate": (0.48, 0.51),
    "reliable_improvement_rate": (0.67, 0.69),
    "within_6_weeks": 0.75,
    "within_18_weeks": 0.95,
}


@dataclass(frozen=True)
class Contact:
    when: date | datetime
    appointment_type: str
    attendance: str


@dataclass(frozen=True)
class ScorePoint:
    when: date | datetime
    instrument: str
    total: float


@dataclass(frozen=True)
class Outcome:
    finished_treatment: bool
    treatment_appointments: int
    anxiety_measure: str
    phq9_first: float | None
    phq9_last: float | None
    anx_first: float | None
    anx_last: float | None
    has_paired_scores: bool
    at_caseness_start: bool
    recovered: bool
    reliable_improvement: bool
    reliable_deterioration: bool
    reliable_recovery: bool
    not_caseness_start: bool = False
    no_change: bool = False


def count_treatment_appointments(contacts: Iterable[Contact]) -> int:
    """Attended (on time, or late but seen) appointments of a treatment type
    (treatment, assessment and treatment, review and treatment)."""
    return sum(1 for c in contacts if c.appointment_type in TREATMENT_APPOINTMENT_TYPES and c.attendance in ATTENDED)


def finished_treatment(contacts: Iterable[Contact]) -> bool:
    """Finished a course of treatment: at least 2 attended treatment appointments."""
    return count_treatment_appointments(contacts) >= 2


def paired_scores(points: Sequence[ScorePoint], instrument: str) -> tuple[float, float] | None:
    """The first and the last score of a measure in the course (None without two scores)."""
    mine = sorted((p for p in points if p.instrument == instrument and p.total is not None), key=lambda p: p.when)
    if len(mine) < 2:
        return None
    return mine[0].total, mine[-1].total


def anxiety_measure_used(problem_descriptor: str, points: Sequence[ScorePoint]) -> str:
    """The ADSM when the descriptor has one and it has paired scores; GAD-7 otherwise
    (the national back-up rule: sessions.measures.anxiety_measure_used, the one
    rule the supervision criteria use too)."""
    adsm = measures.anxiety_instrument_for(problem_descriptor or "")
    scored = sum(1 for p in points if p.instrument == adsm and p.total is not None)
    return measures.anxiety_measure_used(problem_descriptor or "", scored)


def first_score(points: Sequence[ScorePoint], instrument: str) -> float | None:
    """The first complete score of a measure in the course (None without one)."""
    mine = sorted((p for p in points if p.instrument == instrument and p.total is not None), key=lambda p: p.when)
    return mine[0].total if mine else None


def _caseness(code: str, total: float) -> bool:
    return bool(measures.is_caseness(code, total))


def referral_outcome(*, problem_descriptor: str, contacts: Sequence[Contact], points: Sequence[ScorePoint]) -> Outcome:
    """Every national outcome flag of one ended referral.

    - at caseness at the start: first PHQ-9 >= 10 or first anxiety score at caseness;
    - recovery: at caseness at the start and below caseness at the end on both;
    - reliable improvement: one measure fell by its reliable change or more and
      neither rose by its reliable change or more; deterioration the mirror;
    - reliable recovery: recovery and reliable improvement.
    - not at caseness at the start (what takes a finished referral out of the
      recovery denominator; NHS England's NotCaseness flag): a finished course
      whose first PHQ-9 is below caseness AND whose first anxiety score is below
      its cut-off. It must be shown by scores: a missing first score leaves the
      referral in the denominator (DOMAIN.md "Outcomes"; docs/decisions/014);
    - no change: paired scores, neither reliable improvement nor deterioration.
    Every other flag needs a finished course of treatment and paired scores on
    both measures."""
    treatment = count_treatment_appointments(contacts)
    finished = treatment >= 2
    anxiety = anxiety_measure_used(problem_descriptor, points)
    phq = paired_scores(points, "PHQ9")
    anx = paired_scores(points, anxiety)
    paired = phq is not None and anx is not None
    caseness_start = recovered = improved = deteriorated = False
    if finished and paired:
        caseness_start = _caseness("PHQ9", phq[0]) or _caseness(anxiety, anx[0])
        recovered = caseness_start and not _caseness("PHQ9", phq[1]) and not _caseness(anxiety, anx[1])
        changes = [
            (phq[1] - phq[0], measures.reliable_change("PHQ9")),
            (anx[1] - anx[0], measures.reliable_change(anxiety)),
        ]
        fell = any(change <= -rc for change, rc in changes)
        rose = any(change >= rc for change, rc in changes)
        improved = fell and not rose
        deteriorated = rose and not fell
    phq_start, anx_start = first_score(points, "PHQ9"), first_score(points, anxiety)
    not_caseness = (
        finished
        and phq_start is not None
        and anx_start is not None
        and not _caseness("PHQ9", phq_start)
        and not _caseness(anxiety, anx_start)
    )
    return Outcome(
        finished_treatment=finished,
        treatment_appointments=treatment,
        anxiety_measure=anxiety,
        phq9_first=phq[0] if phq else None,
        phq9_last=phq[1] if phq else None,
        anx_first=anx[0] if anx else None,
        anx_last=anx[1] if anx else None,
        has_paired_scores=paired,
        at_caseness_start=caseness_start,
        recovered=recovered,
        reliable_improvement=improved,
        reliable_deterioration=deteriorated,
        reliable_recovery=recovered and improved,
        not_caseness_start=not_caseness,
        no_change=finished and paired and not improved and not deteriorated,
    )


@dataclass(frozen=True)
class Rates:
    finished: int
    not_caseness_at_start: int
    recovered: int
    reliably_improved: int
    reliably_deteriorated: int
    reliably_recovered: int
    finished_without_paired_scores: int
    no_change: int
    recovery_rate: float | None
    reliable_recovery_rate: float | None
    reliable_improvement_rate: float | None
    reliable_deterioration_rate: float | None


def _ratio(numerator: int, denominator: int) -> float | None:
    return numerator / denominator if denominator else None


def rates(outcomes: Iterable[Outcome]) -> Rates:
    """Recovery rate = recovered / (finished - not at caseness at the start);
    reliable recovery the same denominator; reliable improvement and
    deterioration over all who finished. "Not at caseness" is the positive
    flag of Outcome.not_caseness_start: a finished referral without first
    scores stays in the denominator (NHS England, Key Metrics monthly SQL:
    Percentage_Recovery subtracts only NotCaseness_Flag = 'True'). Finished
    without paired scores is counted apart, as data quality."""
    finished = [o for o in outcomes if o.finished_treatment]
    not_caseness = sum(1 for o in finished if o.not_caseness_start)
    recovered = sum(o.recovered for o in finished)
    improved = sum(o.reliable_improvement for o in finished)
    deteriorated = sum(o.reliable_deterioration for o in finished)
    reliable_recovered = sum(o.reliable_recovery for o in finished)
    at_caseness = len(finished) - not_caseness
    return Rates(
        finished=len(finished),
        not_caseness_at_start=not_caseness,
        recovered=recovered,
        reliably_improved=improved,
        reliably_deteriorated=deteriorated,
        reliably_recovered=reliable_recovered,
        finished_without_paired_scores=sum(1 for o in finished if not o.has_paired_scores),
        no_change=sum(o.no_change for o in finished),
        recovery_rate=_ratio(recovered, at_caseness),
        reliable_recovery_rate=_ratio(reliable_recovered, at_caseness),
        reliable_improvement_rate=_ratio(improved, len(finished)),
        reliable_deterioration_rate=_ratio(deteriorated, len(finished)),
    )


def within_weeks(referral_date: date, first_treatment_date: date | None, weeks: int) -> bool:
    """Entered treatment within N weeks (N * 7 days) of referral."""
    return first_treatment_date is not None and (first_treatment_date - referral_date).days <= weeks * 7


@dataclass(frozen=True)
class Waits:
    finished: int
    within_6_weeks: int
    within_18_weeks: int

    @property
    def within_6_weeks_rate(self) -> float | None:
        return _ratio(self.within_6_weeks, self.finished)

    @property
    def within_18_weeks_rate(self) -> float | None:
        return _ratio(self.within_18_weeks, self.finished)


def waiting_times(finished_courses: Iterable[tuple[date, date | None]]) -> Waits:
    """The 6 and 18 week waiting-time standards (DOMAIN.md "Outcomes",
    docs/decisions/014). The cohort is the referrals that FINISHED a course of
    treatment with their end date in the period, given as (referral date,
    first attended treatment date); within 6 weeks = at most 42 days from
    referral to first treatment, 18 weeks = at most 126. Source: NHS England,
    nhsengland/Talking-Therapies "Key Metrics Dashboard/KM monthly update.sql",
    Count_FirstTreatment6WeeksFinishedCourseTreatment and its percentage
    (lines 101-127 at commit 8458b2e)."""
    courses = list(finished_courses)
    return Waits(
        finished=len(courses),
        within_6_weeks=sum(within_weeks(received, first, 6) for received, first in courses),
        within_18_weeks=sum(within_weeks(received, first, 18) for received, first in courses),
    )


def ended_split(treatment_appointments: int) -> str:
    """Where an ended referral falls (DOMAIN.md "Outcomes", NHS England's
    EndedBeforeTreatment / EndedTreatedOnce / CompletedTreatment): "before_treatment"
    with no attended treatment appointment, "treated_once" with one, "finished"
    with two or more."""
    if treatment_appointments == 0:
        return "before_treatment"
    return "treated_once" if treatment_appointments == 1 else "finished"


NO_CONTACT_DAYS = 90


def open_without_contact(
    *, ended_on: date | None, treatment_dates: Iterable[date], period_end: date, days: int = NO_CONTACT_DAYS
) -> bool:
    """Open at the period's end with its last attended treatment appointment on
    or before that day more than `days` days before it (NHS England's
    OpenReferralOver90daysNoContact: ServDischDate IS NULL AND
    DATEDIFF(TherapySession_LastDate, ReportingPeriodEndDate) > 90). A referral
    never treated has no last treatment date and is not counted."""
    if ended_on is not None and ended_on <= period_end:
        return False
    before = [d for d in treatment_dates if d <= period_end]
    return bool(before) and (period_end - max(before)).days > days


def open_treated(*, ended_on: date | None, treatment_dates: Iterable[date], period_end: date) -> bool:
    """Open at the period's end with at least one attended treatment appointment
    by then: the denominator of the share without contact (NHS England's
    OpenReferral)."""
    if ended_on is not None and ended_on <= period_end:
        return False
    return any(d <= period_end for d in treatment_dates)
