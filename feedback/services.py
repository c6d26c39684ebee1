"""Writes and reads of the expected course (feedback/course.py the rules,
feedback/sql.py the estimation)."""

from __future__ import annotations

from django.db import connection, transaction
from django.db.models import Max, Q, Subquery

from accounts.models import Service

from . import course
from .models import ExpectedCourse, ExpectedCoursePoint
from .sql import estimate_sql

FINISHED_COURSES_SQL = """
SELECT count(*) FROM patients_referral r
WHERE r.service_id = %(service_id)s AND r.ended_on IS NOT NULL
  AND (SELECT count(*) FROM therapy_sessions_therapysession s
       WHERE s.referral_id = r.id AND s.attendance = ANY(%(attended)s)
         AND s.appointment_type = ANY(%(treatment_types)s)) >= 2
"""


def estimate_rows(
    *, service_id: int, percentile: float, min_sample: int, max_session: int, holdout: str | None = None
) -> list[tuple]:
    """(instrument, band, session number, n, expected, upper) rows of one estimation."""
    sql, params = estimate_sql(
        service_id=service_id, percentile=percentile, min_sample=min_sample, max_session=max_session, holdout=holdout
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


@transaction.atomic
def expected_course_estimate(
    *,
    service: Service,
    percentile: float = course.DEFAULT_PERCENTILE,
    min_sample: int = course.DEFAULT_MIN_SAMPLE,
    max_session: int = course.MAX_SESSION,
) -> ExpectedCourse:
    """A new version of the service's expected course from its finished courses
    (one statement), stored with its parameters and sample size. Safe to run
    twice: each run is a new version; two at once take the service's row lock
    in turn. ValueError for a percentile outside (0.5, 1) or a minimum below 1."""
    if not 0.5 < percentile < 1:
        raise ValueError("percentile must lie between 0.5 and 1")
    if min_sample < 1:
        raise ValueError("the minimum sample must be at least 1")
    Service.objects.select_for_update().get(pk=service.pk)
    from sessions.codes import ATTENDED, TREATMENT_APPOINTMENT_TYPES

    with connection.cursor() as cursor:
        cursor.execute(
            FINISHED_COURSES_SQL,
            {
                "service_id": service.pk,
                "attended": list(ATTENDED),
                "treatment_types": list(TREATMENT_APPOINTMENT_TYPES),
            },
        )
        finished = cursor.fetchone()[0]
    version = (ExpectedCourse.objects.filter(service=service).aggregate(v=Max("version"))["v"] or 0) + 1
    estimated = ExpectedCourse.objects.create(
        service=service,
        version=version,
        method=course.METHOD,
        percentile=percentile,
        min_sample=min_sample,
        max_session=max_session,
        courses=finished,
    )
    ExpectedCoursePoint.objects.bulk_create(
        ExpectedCoursePoint(
            course=estimated, instrument=i, band=b, session_number=k, n=n, expected=expected, upper=upper
        )
        for i, b, k, n, expected, upper in estimate_rows(
            service_id=service.pk, percentile=percentile, min_sample=min_sample, max_session=max_session
        )
    )
    return estimated


def current_course(service_id: int) -> ExpectedCourse | None:
    return ExpectedCourse.objects.filter(service_id=service_id).order_by("-version").first()


def boundaries_of(expected: ExpectedCourse | None) -> dict[tuple[str, str, int], course.Point]:
    """The points of a version keyed as course.estimate keys them (empty for none)."""
    if expected is None:
        return {}
    return {
        (p.instrument, p.band, p.session_number): course.Point(
            p.instrument, p.band, p.session_number, p.n, p.expected, p.upper
        )
        for p in expected.points.all()
    }


def expected_series(*, service_id: int, instrument: str, first_total: float) -> dict:
    """What the record's chart draws behind a patient's line: for the measure and
    the starting score's band, the expected score and the upper boundary at each
    session number, with the version and sample sizes; `available` False (and
    why) when no boundary could be estimated."""
    expected = current_course(service_id)
    band = course.starting_band(instrument, first_total)
    points = (
        list(expected.points.filter(instrument=instrument, band=band).order_by("session_number")) if expected else []
    )
    if not points:
        return {
            "available": False,
            "band": band,
            "reason": "Too few finished courses in this service to estimate the expected course for this starting "
            "score; no national figures with a source are held, so no boundary is drawn and no case is flagged.",
        }
    return {
        "available": True,
        "band": band,
        "version": expected.version,
        "percentile": float(expected.percentile),
        "sessions": [p.session_number for p in points],
        "expected": [p.expected for p in points],
        "upper": [p.upper for p in points],
        "n": [p.n for p in points],
    }


NO_BOUNDARY = (
    "Too few finished courses in this service to estimate the expected course for this starting score; "
    "no national figures with a source are held, so no boundary is drawn and no case is flagged."
)


def expected_for_chart(*, service_id: int, starts: dict[str, float]) -> dict[str, dict]:
    """`expected_series` for several measures at once, in one query: `starts`
    maps a measure code to the case's starting (first complete) score; the answer
    maps each estimated code to expected_series's dict, with `points` a list of
    {session, expected, upper, n} ascending and no `sessions`/`expected`/`upper`
    lists. Codes not estimated (course.ESTIMATED) are left out."""
    bands = {code: course.starting_band(code, first) for code, first in starts.items() if code in course.ESTIMATED}
    if not bands:
        return {}
    newest = ExpectedCourse.objects.filter(service_id=service_id).order_by("-version").values("pk")[:1]
    which = Q()
    for code, band in bands.items():
        which |= Q(instrument=code, band=band)
    found: dict[str, list] = {}
    for p in (
        ExpectedCoursePoint.objects.filter(which, course_id=Subquery(newest))
        .select_related("course")
        .order_by("instrument", "session_number")
    ):
        found.setdefault(p.instrument, []).append(p)
    out = {}
    for code, band in bands.items():
        points = found.get(code)
        if not points:
            out[code] = {"available": False, "band": band, "reason": NO_BOUNDARY}
            continue
        expected = points[0].course
        out[code] = {
            "available": True,
            "band": band,
            "version": expected.version,
            "percentile": float(expected.percentile),
            "points": [
                {"session": p.session_number, "expected": p.expected, "upper": p.upper, "n": p.n} for p in points
            ],
        }
    return out


def record_expected_course(referral, context: dict) -> None:
    """sessions.hooks: adds `expected` to the chart series of PHQ-9 and of the
    case's own anxiety measure (sessions.measures.anxiety_measure_used, the
    measures the not-on-track flag reads): expected_for_chart's dict, its points
    placed at the patient's k-th score (`x`, the chart's date label) for each
    session number k the patient has reached. One query; none without a series."""
    from sessions import measures

    series = {s["code"]: s for s in context.get("chart_series") or ()}
    adsm = measures.anxiety_instrument_for(referral.problem_descriptor or "")
    adsm_scores = len(series[adsm]["points"]) if adsm in series else 0
    checked = ("PHQ9", measures.anxiety_measure_used(referral.problem_descriptor or "", adsm_scores))
    starts = {code: series[code]["points"][0]["y"] for code in checked if code in series}
    for code, expected in expected_for_chart(service_id=referral.service_id, starts=starts).items():
        dates = [p["x"] for p in series[code]["points"]]
        if expected["available"]:
            expected["points"] = [
                {**p, "x": dates[p["session"] - 1]} for p in expected["points"] if p["session"] <= len(dates)
            ]
            expected["latest"] = expected["points"][-1] if expected["points"] else None
        series[code]["expected"] = expected
