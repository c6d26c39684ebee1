"""NHS England's referral-level derived values, reproduced from the extract alone
(DOMAIN.md "The national data set": CompletedTreatment, NotCaseness, Recovery,
ReliableImprovement, ReliableDeterioration, NoChange flags; first, second and
last therapy session dates; first and last scores), and the month's key metrics
as NHS England's "Key Metrics" monthly SQL counts them (nhsengland/
Talking-Therapies, "KM monthly update.sql": Count_FinishedCourseTreatment,
Count_NotAtCaseness, Count_Recovery, EndedBeforeTreatment, EndedTreatedOnce,
the 6 and 18 week counts over finished courses, OpenReferralOver90daysNoContact).

The outcome rules themselves are the product's pure specification
(reports/outcomes.py), applied to what the files say: the derivations and the
service report cannot drift apart. Plain Python over the tables' rows (dicts of
strings as `extract.read_extract` gives them); no Django imports."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time

from reports import outcomes
from sessions import measures
from sessions.codes import ATTENDED, TREATMENT_APPOINTMENT_TYPES

from . import codes


@dataclass(frozen=True)
class Derived:
    """One referral's derived values, named as NHS England's tables name them."""

    PathwayID: str
    ReferralRequestReceivedDate: date
    ServDischDate: date | None
    EndCode: str
    CompletedTreatment_Flag: bool
    NotCaseness_Flag: bool
    Recovery_Flag: bool
    ReliableImprovement_Flag: bool
    ReliableDeterioration_Flag: bool
    NoChange_Flag: bool
    TreatmentCareContact_Count: int
    TherapySession_FirstDate: date | None
    TherapySession_SecondDate: date | None
    TherapySession_LastDate: date | None
    PHQ9_FirstScore: float | None
    PHQ9_LastScore: float | None
    Anxiety_Measure: str
    Anxiety_FirstScore: float | None
    Anxiety_LastScore: float | None


def _date(value: str) -> date | None:
    return date.fromisoformat(value[:10]) if value else None


def _when(day: str, clock: str) -> datetime:
    return datetime.combine(date.fromisoformat(day[:10]), time.fromisoformat(clock) if clock else time.min)


def _sort_key(contact_id: str):
    # Care contact ids are the product's integer keys: sort numerically, as the record does.
    return (0, int(contact_id), "") if contact_id.isdigit() else (1, 0, contact_id)


def derive(tables: dict[str, list[dict]]) -> dict[str, Derived]:
    """The derived values of every referral in IDS101, keyed by ServiceRequestId.

    Outcome flags follow reports/outcomes.py (DOMAIN.md "Outcomes") on the
    referral's contacts (IDS201) and scores (IDS607 at a care activity, dated by
    its contact; IDS606 outside a contact, dated by its completion), for a
    referral discharged in the extract; NotCaseness needs both first scores
    below caseness (never set by missing scores); NoChange is a finished
    course with paired scores and neither reliable change."""
    contacts = defaultdict(list)
    contact_when = {}
    for row in tables.get("IDS201CareContact", []):
        when = _when(row["CareContDate"], row.get("CareContTime", ""))
        contact_when[row["CareContactId"]] = (when, _sort_key(row["CareContactId"]))
        contacts[row["ServiceRequestId"]].append(
            (when, _sort_key(row["CareContactId"]), row["AppType"], row["AttendOrDNACode"])
        )
    activity_contact = {row["CareActId"]: row["CareContactId"] for row in tables.get("IDS202CareActivity", [])}
    points = defaultdict(list)
    for row in tables.get("IDS607CodedScoreAssessmentAct", []):
        contact = activity_contact.get(row["CareActId"])
        instrument = codes.instrument_for_tool(row["CodedAssToolType"])
        if contact is None or instrument is None or contact not in contact_when:
            continue
        when, key = contact_when[contact]
        points[row["ServiceRequestId"]].append((when, key, instrument, float(row["PersScore"])))
    for row in tables.get("IDS606CodedScoreAssessmentRefer", []):
        instrument = codes.instrument_for_tool(row["CodedAssToolType"])
        if instrument is None:
            continue
        when = _when(row["AssToolCompDate"], row.get("AssToolCompTime", ""))
        points[row["ServiceRequestId"]].append((when, (2, 0, ""), instrument, float(row["PersScore"])))
    problem = {}
    for row in sorted(tables.get("IDS603PresentingComplaints", []), key=lambda r: r["PresCompDate"]):
        if row.get("PresCompType", "P") == "P":
            problem[row["ServiceRequestId"]] = row["PresComp"]  # the latest primary counts

    derived = {}
    for row in tables.get("IDS101Referral", []):
        pid = row["ServiceRequestId"]
        mine = sorted(contacts.get(pid, []), key=lambda c: (c[0], c[1]))
        treatment_days = [c[0].date() for c in mine if c[2] in TREATMENT_APPOINTMENT_TYPES and c[3] in ATTENDED]
        scored = [
            outcomes.ScorePoint(when, instrument, total)
            for when, _key, instrument, total in sorted(points.get(pid, []), key=lambda p: (p[0], p[1]))
        ]
        outcome = outcomes.referral_outcome(
            problem_descriptor=problem.get(pid, ""),
            contacts=[outcomes.Contact(c[0], c[2], c[3]) for c in mine],
            points=scored,
        )
        discharged = _date(row.get("ServDischDate", ""))
        ended = discharged is not None
        finished = ended and outcome.finished_treatment
        not_caseness = finished and _not_caseness(outcome, scored)
        paired = finished and outcome.has_paired_scores
        derived[pid] = Derived(
            PathwayID=pid,
            ReferralRequestReceivedDate=_date(row["ReferralRequestReceivedDate"]),
            ServDischDate=discharged,
            EndCode=row.get("EndCode", ""),
            CompletedTreatment_Flag=finished,
            NotCaseness_Flag=not_caseness,
            Recovery_Flag=paired and outcome.recovered,
            ReliableImprovement_Flag=paired and outcome.reliable_improvement,
            ReliableDeterioration_Flag=paired and outcome.reliable_deterioration,
            NoChange_Flag=paired and not outcome.reliable_improvement and not outcome.reliable_deterioration,
            TreatmentCareContact_Count=len(treatment_days),
            TherapySession_FirstDate=treatment_days[0] if treatment_days else None,
            TherapySession_SecondDate=treatment_days[1] if len(treatment_days) > 1 else None,
            TherapySession_LastDate=treatment_days[-1] if treatment_days else None,
            PHQ9_FirstScore=outcome.phq9_first,
            PHQ9_LastScore=outcome.phq9_last,
            Anxiety_Measure=outcome.anxiety_measure,
            Anxiety_FirstScore=outcome.anx_first,
            Anxiety_LastScore=outcome.anx_last,
        )
    return derived


def _not_caseness(outcome: outcomes.Outcome, points: list[outcomes.ScorePoint]) -> bool:
    """NotCaseness: shown by scores, never by their absence (DOMAIN.md "Outcomes"):
    the first PHQ-9 below 10 and the first score of the anxiety measure below
    its cut-off."""
    first = {}
    for point in points:
        first.setdefault(point.instrument, point.total)
    phq9, anxiety = first.get("PHQ9"), first.get(outcome.anxiety_measure)
    if phq9 is None or anxiety is None:
        return False
    return not measures.is_caseness("PHQ9", phq9) and not measures.is_caseness(outcome.anxiety_measure, anxiety)


def key_metrics(derived: dict[str, Derived], period_start: date, period_end: date) -> dict[str, int | float | None]:
    """The month's key metrics, as NHS England's Key Metrics monthly SQL counts them."""

    def in_period(day):
        return day is not None and period_start <= day <= period_end

    ended = [d for d in derived.values() if in_period(d.ServDischDate)]
    finished = [d for d in ended if d.CompletedTreatment_Flag]
    not_caseness = sum(d.NotCaseness_Flag for d in finished)
    recovered = sum(d.Recovery_Flag for d in finished)
    reliably_recovered = sum(d.Recovery_Flag and d.ReliableImprovement_Flag for d in finished)
    within = {
        weeks: sum(
            1
            for d in finished
            if d.TherapySession_FirstDate is not None
            and (d.TherapySession_FirstDate - d.ReferralRequestReceivedDate).days <= weeks * 7
        )
        for weeks in (6, 18)
    }
    at_caseness = len(finished) - not_caseness

    def ratio(n, d):
        return n / d if d else None

    return {
        "Count_Referrals": sum(1 for d in derived.values() if in_period(d.ReferralRequestReceivedDate)),
        "Count_Access": sum(1 for d in derived.values() if in_period(d.TherapySession_FirstDate)),
        "Count_FinishedCourseTreatment": len(finished),
        "Count_NotAtCaseness": not_caseness,
        "Count_Recovery": recovered,
        "Count_ReliableRecovery": reliably_recovered,
        "Count_ReliableImprovement": sum(d.ReliableImprovement_Flag for d in finished),
        "Count_ReliableDeterioration": sum(d.ReliableDeterioration_Flag for d in finished),
        "Count_NoChange": sum(d.NoChange_Flag for d in finished),
        "EndedBeforeTreatment": sum(1 for d in ended if d.TherapySession_FirstDate is None),
        "EndedTreatedOnce": sum(1 for d in ended if d.TreatmentCareContact_Count == 1),
        "Count_FirstTreatment6WeeksFinishedCourseTreatment": within[6],
        "Count_FirstTreatment18WeeksFinishedCourseTreatment": within[18],
        "OpenReferralOver90daysNoContact": sum(
            1
            for d in derived.values()
            if d.ServDischDate is None
            and d.TherapySession_LastDate is not None
            and (period_end - d.TherapySession_LastDate).days > 90
        ),
        "Percentage_Recovery": ratio(recovered, at_caseness),
        "Percentage_ReliableRecovery": ratio(reliably_recovered, at_caseness),
        "Percentage_ReliableImprovement": ratio(sum(d.ReliableImprovement_Flag for d in finished), len(finished)),
        "Percentage_ReliableDeterioration": ratio(sum(d.ReliableDeterioration_Flag for d in finished), len(finished)),
    }
