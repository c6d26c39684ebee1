"""Is outcome feedback any good? (issue 21, DOMAIN.md "Outcome feedback"). The
boundaries are estimated on four in five of a service's finished courses (split
by a hash of the referral id) and tried on the fifth they never saw: at sessions
2, 3 and 4, the share of eventually not-recovered courses that were flagged
(sensitivity) and of eventually recovered courses that were not (specificity).
Recovery is the national definition (reports/outcomes.py), over held-out courses
at caseness at the start with paired scores, the only ones it is defined for.
A course is flagged at session k when its PHQ-9 or its anxiety measure (the
outcome's choice) lies above the boundary at k."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from django.db import connection

from feedback import course
from feedback.services import estimate_rows

from .outcomes import Contact, ScorePoint, referral_outcome

HELD_OUT_SQL = """
SELECT r.id, r.problem_descriptor, s.started_at, s.appointment_type, s.attendance, m.instrument, m.total, m.taken_at
FROM patients_referral r
JOIN therapy_sessions_therapysession s ON s.referral_id = r.id
LEFT JOIN therapy_sessions_measurescore m ON m.session_id = s.id AND m.complete AND m.total IS NOT NULL
WHERE r.service_id = %(service_id)s AND r.ended_on IS NOT NULL AND abs(hashtext(r.id::text)) %% 5 = 0
ORDER BY r.id, s.started_at, s.id, m.id
"""


@dataclass(frozen=True)
class Evaluation:
    session_number: int
    recovered: int
    not_recovered: int
    flagged_not_recovered: int
    flagged_recovered: int
    without_boundary: int

    @property
    def sensitivity(self) -> float | None:
        return self.flagged_not_recovered / self.not_recovered if self.not_recovered else None

    @property
    def specificity(self) -> float | None:
        return (self.recovered - self.flagged_recovered) / self.recovered if self.recovered else None


def _held_out(service_id: int):
    """Per held-out ended referral: descriptor, contacts, and score points in time order."""
    courses: dict = {}
    with connection.cursor() as cursor:
        cursor.execute(HELD_OUT_SQL, {"service_id": service_id})
        seen_sessions = defaultdict(set)
        for rid, descriptor, started, app_type, attendance, instrument, total, taken in cursor:
            entry = courses.setdefault(rid, {"descriptor": descriptor, "contacts": [], "points": []})
            key = (started, app_type, attendance)
            if (started, app_type) not in seen_sessions[rid]:
                seen_sessions[rid].add((started, app_type))
                entry["contacts"].append(Contact(*key))
            if instrument is not None:
                entry["points"].append(ScorePoint(taken, instrument, float(total)))
    return courses


def evaluate(
    *,
    service_id: int,
    percentile: float = course.DEFAULT_PERCENTILE,
    min_sample: int = course.DEFAULT_MIN_SAMPLE,
    sessions: tuple[int, ...] = (2, 3, 4),
) -> list[Evaluation]:
    """Sensitivity and specificity of boundaries estimated without the held-out fifth."""
    boundaries = {
        (i, b, k): course.Point(i, b, k, n, e, u)
        for i, b, k, n, e, u in estimate_rows(
            service_id=service_id,
            percentile=percentile,
            min_sample=min_sample,
            max_session=max(sessions),
            holdout="train",
        )
    }
    counts = {k: defaultdict(int) for k in sessions}
    for entry in _held_out(service_id).values():
        outcome = referral_outcome(
            problem_descriptor=entry["descriptor"], contacts=entry["contacts"], points=entry["points"]
        )
        if not (outcome.finished_treatment and outcome.has_paired_scores and outcome.at_caseness_start):
            continue
        by_code = defaultdict(list)
        for point in sorted(entry["points"], key=lambda p: p.when):
            by_code[point.instrument].append(point.total)
        for k in sessions:
            verdicts = [
                course.not_on_track(boundaries, code, by_code[code][0], k, by_code[code][k - 1])
                for code in ("PHQ9", outcome.anxiety_measure)
                if len(by_code[code]) >= k
            ]
            c = counts[k]
            if not any(v is not None for v in verdicts):
                c["without_boundary"] += 1
                continue
            flagged = any(verdicts)
            if outcome.recovered:
                c["recovered"] += 1
                c["flagged_recovered"] += flagged
            else:
                c["not_recovered"] += 1
                c["flagged_not_recovered"] += flagged
    return [
        Evaluation(
            k,
            counts[k]["recovered"],
            counts[k]["not_recovered"],
            counts[k]["flagged_not_recovered"],
            counts[k]["flagged_recovered"],
            counts[k]["without_boundary"],
        )
        for k in sessions
    ]
