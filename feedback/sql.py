"""The nightly estimation of the expected course as one SQL statement
(PostgreSQL's percentile_cont), tested against feedback/course.py, the
specification, band by band and session by session."""

from __future__ import annotations

from sessions.codes import ATTENDED, TREATMENT_APPOINTMENT_TYPES

from . import course

ESTIMATE_SQL = """
WITH finished AS (
    SELECT r.id
    FROM patients_referral r
    WHERE r.service_id = %(service_id)s AND r.ended_on IS NOT NULL {where}
      AND (SELECT count(*) FROM therapy_sessions_therapysession s
           WHERE s.referral_id = r.id AND s.attendance = ANY(%(attended)s)
             AND s.appointment_type = ANY(%(treatment_types)s)) >= 2
), scored AS (
    SELECT m.instrument, m.total::float8 AS total,
           row_number() OVER w AS k,
           first_value(m.total::float8) OVER w AS first_total
    FROM therapy_sessions_measurescore m
    JOIN finished f ON f.id = m.referral_id
    WHERE m.complete AND m.total IS NOT NULL AND m.instrument = ANY(%(instruments)s)
      AND m.reported_by = 'clinician' -- the scores that count: sessions.models.counting_scores_sql
    WINDOW w AS (PARTITION BY m.referral_id, m.instrument ORDER BY m.taken_at, m.id)
), banded AS (
    SELECT instrument, k, total, {band} AS band FROM scored WHERE k <= %(max_session)s
)
SELECT instrument, band, k, count(*) AS n,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY total) AS expected,
       percentile_cont(%(percentile)s) WITHIN GROUP (ORDER BY total) AS upper
FROM banded
GROUP BY instrument, band, k
HAVING count(*) >= %(min_sample)s
ORDER BY instrument, band, k
"""


def band_case(params: dict, prefix: str = "") -> str:
    """CASE over (instrument, first_total) giving the starting band's label, from
    course.band_edges; every bound and label a parameter, named with `prefix` so
    a statement that has other parameters (the supervision sweep's anxiety
    reference lists use i0, i1, ...) keeps them apart."""
    whens = []
    for i, code in enumerate(course.ESTIMATED):
        c, u, lab = f"{prefix}i{i}", f"{prefix}u{i}", f"{prefix}l{i}"
        params[c] = code
        for j, (upper, label) in enumerate(course.band_edges(code)):
            params[f"{u}_{j}"], params[f"{lab}_{j}"] = float(upper), label
            whens.append(f"WHEN instrument = %({c})s AND first_total <= %({u}_{j})s THEN %({lab}_{j})s")
        last = len(course.band_edges(code)) - 1
        whens.append(f"WHEN instrument = %({c})s THEN %({lab}_{last})s")
    return "CASE " + " ".join(whens) + " END"


def estimate_sql(
    *,
    service_id: int,
    percentile: float = course.DEFAULT_PERCENTILE,
    min_sample: int = course.DEFAULT_MIN_SAMPLE,
    max_session: int = course.MAX_SESSION,
    holdout: str | None = None,
) -> tuple[str, dict]:
    """The statement and its parameters. `holdout` "train" or "test" splits the
    finished courses by a hash of the referral id (one in five held out) for the
    evaluation; None uses them all."""
    params = {
        "service_id": service_id,
        "attended": list(ATTENDED),
        "treatment_types": list(TREATMENT_APPOINTMENT_TYPES),
        "instruments": list(course.ESTIMATED),
        "max_session": max_session,
        "percentile": percentile,
        "min_sample": min_sample,
    }
    where = ""
    if holdout == "train":
        where = "AND abs(hashtext(r.id::text)) %% 5 <> 0"
    elif holdout == "test":
        where = "AND abs(hashtext(r.id::text)) %% 5 = 0"
    return ESTIMATE_SQL.format(where=where, band=band_case(params)), params
