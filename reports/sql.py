"""The record-level outcome rows, as one SQL statement (DOMAIN.md "Outcomes").

One row per referral of a service (or team) that was open at any time in a
period: received on or before its last day and not ended before its first.
The same SELECT feeds the report's aggregates, the CSV and XLSX exports, and
the benchmark's `COPY (...) TO STDOUT`, so the national definitions are written
once in SQL; tests hold them to the pure rules of reports/outcomes.py.

How it works:
- `ref` picks the referrals (an index range scan on service and received_on);
- CONTACT_SUMMARY (`c`) reads a referral's care contacts once, counts attended
  treatment appointments (types 02/03/05, attendance 5/6) and DNAs with FILTER,
  and numbers the attended treatment appointments to find the first and second;
- MEASURE_SUMMARY (`m`) numbers each measure's complete scores from the first
  and from the last with two window functions and keeps the first and last;
- live (exports, CSV, the check) they run as LATERALs per referral; the report
  reads them stored in reports_referraloutcome (stored=True), where
  reports/outcome_summary.py keeps the same two fragments' results;
- the anxiety measure is the problem descriptor's ADSM when it has paired ADSM
  scores, else GAD-7 (the national back-up rule), by the SQL text the
  supervision criteria share (sessions/anxiety_sql.py);
- `not_caseness_start` takes a finished referral out of the recovery
  denominator only when its first scores are below caseness on both measures
  (docs/decisions/014);
- thresholds and reliable change values are query parameters read from
  sessions.measures.INSTRUMENTS, so a change of reference data flows through.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.conf import settings

from patients.codes import ReferralStatus
from sessions import anxiety_sql
from sessions.anxiety_sql import DEFAULT_ANXIETY_INSTRUMENT, DEPRESSION_INSTRUMENT
from sessions.codes import ASSESSMENT_APPOINTMENT_TYPES, ATTENDED, DID_NOT_ATTEND, TREATMENT_APPOINTMENT_TYPES


@dataclass(frozen=True)
class Column:
    name: str
    kind: str  # text, int, date, decimal, bool
    identifiable: bool = False  # selected only for an identifiable export
    internal: bool = False  # used to build export cells, never written as is


# The SELECT's columns, in order. exports.py maps them to cells.
COLUMNS: tuple[Column, ...] = (
    Column("referral_id", "text", internal=True),
    Column("patient_id", "text", internal=True),
    Column("nhs_number", "text", internal=True),
    Column("given_name", "text", identifiable=True),
    Column("family_name", "text", identifiable=True),
    Column("date_of_birth", "date", internal=True),
    Column("age_at_referral", "int"),
    Column("sex", "text"),
    Column("ethnicity", "text"),
    Column("service_ods", "text"),
    Column("team", "text"),
    Column("source", "text"),
    Column("problem_descriptor", "text"),
    Column("status", "text"),
    Column("current_step", "int"),
    Column("received_on", "date"),
    Column("assessed_on", "date"),
    Column("first_treatment_on", "date"),
    Column("second_treatment_on", "date"),
    Column("last_treatment_on", "date"),
    Column("ended_on", "date"),
    Column("end_code", "text"),
    Column("days_to_assessment", "int"),
    Column("days_to_first_treatment", "int"),
    Column("days_first_to_second_treatment", "int"),
    Column("appointments", "int"),
    Column("attended_contacts", "int"),
    Column("treatment_sessions", "int"),
    Column("dna_count", "int"),
    Column("phq9_first", "decimal"),
    Column("phq9_last", "decimal"),
    Column("phq9_scores", "int"),
    Column("anxiety_instrument", "text"),
    Column("anxiety_first", "decimal"),
    Column("anxiety_last", "decimal"),
    Column("anxiety_scores", "int"),
    Column("ended", "bool"),
    Column("finished_treatment", "bool"),
    Column("paired_scores", "bool"),
    Column("at_caseness_start", "bool"),
    Column("not_caseness_start", "bool"),
    Column("recovered", "bool"),
    Column("reliable_improvement", "bool"),
    Column("reliable_deterioration", "bool"),
    Column("reliable_recovery", "bool"),
    Column("no_change", "bool"),
)


def column_names(*, identifiable: bool = False) -> list[str]:
    return [c.name for c in COLUMNS if identifiable or not c.identifiable]


def _instrument_params() -> tuple[str, str, dict]:
    """VALUES lists, with their parameters, for the anxiety measure of every
    problem descriptor that has an ADSM, and for the thresholds of every anxiety
    measure (sessions/anxiety_sql.py, shared with the supervision criteria)."""
    params: dict = {}
    instruments, descriptors = anxiety_sql.reference_values(params)
    return instruments, descriptors, params


# The two per-referral summaries, written once. The live SELECT below runs them
# as LATERALs for every referral (exports, CSV, the check); the refresh of
# reports/outcome_summary.py runs the same text for queued referrals and stores
# the result in reports_referraloutcome, which the report's aggregates read.
# Both expect the referral as `r` and its ADSM (if any) as `da.instrument`.
# The care contacts, read once through the (referral, started_at) index.
CONTACT_SUMMARY = """(
    SELECT count(*) AS appointments,
           count(*) FILTER (WHERE x.attended) AS attended_contacts,
           count(*) FILTER (WHERE x.attended AND x.treatment) AS treatment_sessions,
           count(*) FILTER (WHERE x.dna) AS dna_count,
           min(x.day) FILTER (WHERE x.attended AND x.assessment) AS assessed_on,
           min(x.day) FILTER (WHERE x.attended AND x.treatment AND x.treatment_n = 1) AS first_treatment_on,
           min(x.day) FILTER (WHERE x.attended AND x.treatment AND x.treatment_n = 2) AS second_treatment_on,
           max(x.day) FILTER (WHERE x.attended AND x.treatment) AS last_treatment_on
    FROM (
        SELECT (s.started_at AT TIME ZONE %(tz)s)::date AS day,
               s.attendance = ANY(%(attended)s::text[]) AS attended,
               s.appointment_type = ANY(%(treatment)s::text[]) AS treatment,
               s.appointment_type = ANY(%(assessment)s::text[]) AS assessment,
               s.attendance = %(dna)s AS dna,
               row_number() OVER (
                   PARTITION BY s.attendance = ANY(%(attended)s::text[])
                                AND s.appointment_type = ANY(%(treatment)s::text[])
                   ORDER BY s.started_at, s.id
               ) AS treatment_n
        FROM therapy_sessions_therapysession s
        WHERE s.referral_id = r.id
    ) x
)"""
CONTACT_COLUMNS = (
    "appointments",
    "attended_contacts",
    "treatment_sessions",
    "dna_count",
    "assessed_on",
    "first_treatment_on",
    "second_treatment_on",
    "last_treatment_on",
)
# Each measure's complete scores numbered from the first and from the last
# (window functions over the (referral, instrument, taken_at) index): the
# paired scores are the first and the last.
MEASURE_SUMMARY = """(
    SELECT max(y.total) FILTER (WHERE y.kind = 'phq' AND y.from_first = 1) AS phq_first,
           max(y.total) FILTER (WHERE y.kind = 'phq' AND y.from_last = 1) AS phq_last,
           count(*) FILTER (WHERE y.kind = 'phq') AS phq_scores,
           max(y.total) FILTER (WHERE y.kind = 'gad' AND y.from_first = 1) AS gad_first,
           max(y.total) FILTER (WHERE y.kind = 'gad' AND y.from_last = 1) AS gad_last,
           count(*) FILTER (WHERE y.kind = 'gad') AS gad_scores,
           max(y.instrument) FILTER (WHERE y.kind = 'adsm') AS adsm,
           max(y.total) FILTER (WHERE y.kind = 'adsm' AND y.from_first = 1) AS adsm_first,
           max(y.total) FILTER (WHERE y.kind = 'adsm' AND y.from_last = 1) AS adsm_last,
           count(*) FILTER (WHERE y.kind = 'adsm') AS adsm_scores
    FROM (
        SELECT ms.instrument, ms.total,
               CASE WHEN ms.instrument = %(phq)s THEN 'phq' WHEN ms.instrument = %(gad)s THEN 'gad' ELSE 'adsm' END
                   AS kind,
               row_number() OVER (PARTITION BY ms.instrument ORDER BY ms.taken_at, ms.id) AS from_first,
               row_number() OVER (PARTITION BY ms.instrument ORDER BY ms.taken_at DESC, ms.id DESC) AS from_last
        FROM therapy_sessions_measurescore ms
        WHERE ms.referral_id = r.id
          AND ms.complete AND ms.total IS NOT NULL
          AND ms.instrument IN (%(phq)s, %(gad)s, da.instrument)
          AND ms.reported_by = 'clinician' -- the scores that count: sessions.models.counting_scores_sql
    ) y
)"""
MEASURE_COLUMNS = (
    "phq_first",
    "phq_last",
    "phq_scores",
    "gad_first",
    "gad_last",
    "gad_scores",
    "adsm",
    "adsm_first",
    "adsm_last",
    "adsm_scores",
)
SUMMARY_COLUMNS = CONTACT_COLUMNS + MEASURE_COLUMNS
SUMMARY_TABLE = "reports_referraloutcome"


def _live_summaries() -> str:
    return f"CROSS JOIN LATERAL {CONTACT_SUMMARY} c\nCROSS JOIN LATERAL {MEASURE_SUMMARY} m"


def _stored_summaries() -> str:
    """The stored summary under the same names, c and m, so every expression
    after it is the live SELECT's own. Read by its primary key for each of the
    scope's referrals (OFFSET 0 keeps the LATERAL a per-referral index probe):
    a hash join would read the summary of every referral in the country.
    A LEFT join, so a referral whose summary is missing (written with the
    triggers off) still has its row, marked summary_missing for the caller
    to build and read again rather than drop."""
    measure = ", ".join(f"c.{name}" for name in MEASURE_COLUMNS)
    return (
        f"LEFT JOIN LATERAL (SELECT so.* FROM {SUMMARY_TABLE} so WHERE so.referral_id = r.id OFFSET 0) c ON true\n"  # noqa: S608 - fixed names
        f"CROSS JOIN LATERAL (SELECT {measure}) m"
    )


# The patient of each referral: a join for the live SELECT, which reads every
# session and measure of the scope anyway; a per-referral primary-key probe for
# the stored one, for the same reason as the summary (the patients of the whole
# country would be read to find the scope's).
_PATIENT_JOIN = "JOIN patients_patient p ON p.id = r.patient_id"
_PATIENT_PROBE = (
    "CROSS JOIN LATERAL (SELECT pp.nhs_number, pp.given_name, pp.family_name, pp.date_of_birth, pp.sex, "
    "pp.ethnicity FROM patients_patient pp WHERE pp.id = r.patient_id OFFSET 0) p"
)


def descriptor_values(params: dict) -> str:
    """The `da` VALUES list (descriptor, its ADSM), its parameters added to params."""
    _, descriptors, extra = _instrument_params()
    params.update({k: v for k, v in extra.items() if k.startswith("d")})
    return descriptors


def summary_params() -> dict:
    """The parameters the two summaries read (national codes, the time zone)."""
    return {
        "tz": settings.TIME_ZONE,
        "attended": sorted(ATTENDED),
        "treatment": sorted(TREATMENT_APPOINTMENT_TYPES),
        "assessment": sorted(ASSESSMENT_APPOINTMENT_TYPES),
        "dna": DID_NOT_ATTEND,
        "phq": DEPRESSION_INSTRUMENT,
        "gad": DEFAULT_ANXIETY_INSTRUMENT,
    }


def outcome_rows_sql(
    *,
    service_id: int,
    date_from: date,
    date_to: date,
    team_id: int | None = None,
    identifiable: bool = False,
    ordered: bool = True,
    stored: bool = False,
) -> tuple[str, dict]:
    """The record-level SELECT and its named parameters (psycopg2 style).
    Aggregates over it pass ordered=False to spare the sort. stored=True reads
    the contact and measure summaries from reports_referraloutcome instead of
    computing them (the report; its caller refreshes the queued referrals
    first); every other column is computed by the same expressions."""
    instrument_values, descriptor_values, params = _instrument_params()
    params.update(
        summary_params(),
        service_id=service_id,
        date_from=date_from,
        date_to=date_to,
        ended=ReferralStatus.ENDED.value,
    )
    summaries = _stored_summaries() if stored else _live_summaries()
    patient = _PATIENT_PROBE if stored else _PATIENT_JOIN
    missing = "c.referral_id IS NULL AS summary_missing," if stored else ""
    team_clause = ""
    if team_id is not None:
        params["team_id"] = team_id
        team_clause = "AND r.team_id = %(team_id)s"
    names = "p.given_name, p.family_name," if identifiable else ""
    order = "ORDER BY r.received_on, r.id" if ordered else ""
    anxiety_choice = anxiety_sql.choice_sql("m", instrument_values)
    phq_first_case = anxiety_sql.at_caseness_sql("m.phq_first", anxiety=False)
    phq_last_case = anxiety_sql.at_caseness_sql("m.phq_last", anxiety=False)
    anx_first_case = anxiety_sql.at_caseness_sql("a.first", anxiety=True)
    anx_last_case = anxiety_sql.at_caseness_sql("a.last", anxiety=True)
    sql = f"""
WITH ref AS (
    SELECT r.id, r.patient_id, r.team_id, r.source, r.received_on, r.problem_descriptor, r.status,
           r.current_step, r.assessed_on, r.first_treatment_on, r.second_treatment_on, r.ended_on, r.end_code
    FROM patients_referral r
    WHERE r.service_id = %(service_id)s {team_clause}
      AND r.received_on <= %(date_to)s
      AND (r.ended_on IS NULL OR r.ended_on >= %(date_from)s)
)
SELECT r.id::text AS referral_id,
       r.patient_id::text AS patient_id,
       {missing}
       p.nhs_number,
       {names}
       p.date_of_birth,
       date_part('year', age(r.received_on, p.date_of_birth))::int AS age_at_referral,
       p.sex,
       p.ethnicity,
       sv.ods_code AS service_ods,
       COALESCE(t.name, '') AS team,
       r.source,
       r.problem_descriptor,
       r.status,
       r.current_step,
       r.received_on,
       d.assessed_on,
       d.first_treatment_on,
       d.second_treatment_on,
       d.last_treatment_on,
       r.ended_on,
       r.end_code,
       d.assessed_on - r.received_on AS days_to_assessment,
       d.first_treatment_on - r.received_on AS days_to_first_treatment,
       d.second_treatment_on - d.first_treatment_on AS days_first_to_second_treatment,
       COALESCE(c.appointments, 0) AS appointments,
       COALESCE(c.attended_contacts, 0) AS attended_contacts,
       COALESCE(c.treatment_sessions, 0) AS treatment_sessions,
       COALESCE(c.dna_count, 0) AS dna_count,
       m.phq_first AS phq9_first,
       m.phq_last AS phq9_last,
       COALESCE(m.phq_scores, 0) AS phq9_scores,
       a.code AS anxiety_instrument,
       a.first AS anxiety_first,
       a.last AS anxiety_last,
       COALESCE(a.scores, 0) AS anxiety_scores,
       g.ended,
       -- Outcome flags belong to ended referrals; an open one has none yet.
       CASE WHEN g.ended THEN g.finished END AS finished_treatment,
       CASE WHEN g.ended THEN m.phq_scores >= 2 AND a.scores >= 2 END AS paired_scores,
       CASE WHEN g.ended THEN o.caseness_start END AS at_caseness_start,
       -- Out of the recovery denominator only when the first scores show it
       -- (NHS England's NotCaseness flag): no first score is not "not at caseness".
       CASE WHEN g.ended THEN g.finished AND COALESCE(NOT k.phq_first AND NOT k.anx_first, false)
            END AS not_caseness_start,
       CASE WHEN g.ended THEN o.recovered END AS recovered,
       CASE WHEN g.ended THEN o.improved END AS reliable_improvement,
       CASE WHEN g.ended THEN o.deteriorated END AS reliable_deterioration,
       CASE WHEN g.ended THEN o.recovered AND o.improved END AS reliable_recovery,
       CASE WHEN g.ended THEN g.judged AND NOT o.improved AND NOT o.deteriorated END AS no_change
FROM ref r
{patient}
JOIN accounts_service sv ON sv.id = %(service_id)s
LEFT JOIN accounts_team t ON t.id = r.team_id
LEFT JOIN (VALUES
    {descriptor_values}
) AS da(descriptor, instrument) ON da.descriptor = r.problem_descriptor
{summaries}
-- Dates from the sessions (the truth); the referral's own dates only where no session holds one.
CROSS JOIN LATERAL (
    SELECT COALESCE(c.assessed_on, r.assessed_on) AS assessed_on,
           COALESCE(c.first_treatment_on, r.first_treatment_on) AS first_treatment_on,
           COALESCE(c.second_treatment_on, r.second_treatment_on) AS second_treatment_on,
           c.last_treatment_on
) d
-- The anxiety measure: the ADSM when it has paired scores, else GAD-7 (the national back-up rule).
{anxiety_choice}
-- Caseness at the first and the last score, with each measure's own cut-off.
CROSS JOIN LATERAL (
    SELECT {phq_first_case} AS phq_first,
           {phq_last_case} AS phq_last,
           {anx_first_case} AS anx_first,
           {anx_last_case} AS anx_last,
           m.phq_last - m.phq_first <= -(%(phq_rc)s::numeric) AS phq_fell,
           m.phq_last - m.phq_first >= %(phq_rc)s::numeric AS phq_rose,
           a.last - a.first <= -ai.rc AS anx_fell,
           a.last - a.first >= ai.rc AS anx_rose
) k
-- Flags need a finished course (2 attended treatment appointments) and paired
-- scores (a first and a last) on both measures.
CROSS JOIN LATERAL (
    SELECT r.status = %(ended)s AS ended,
           c.treatment_sessions >= 2 AS finished,
           c.treatment_sessions >= 2 AND m.phq_scores >= 2 AND a.scores >= 2 AS judged
) g
CROSS JOIN LATERAL (
    SELECT g.judged AND COALESCE(k.phq_first OR k.anx_first, false) AS caseness_start,
           g.judged AND COALESCE((k.phq_first OR k.anx_first) AND NOT k.phq_last AND NOT k.anx_last, false)
               AS recovered,
           g.judged AND COALESCE((k.phq_fell OR k.anx_fell) AND NOT (k.phq_rose OR k.anx_rose), false) AS improved,
           g.judged AND COALESCE((k.phq_rose OR k.anx_rose) AND NOT (k.phq_fell OR k.anx_fell), false)
               AS deteriorated
) o
{order}
"""  # noqa: S608 - only fixed fragments are interpolated; every value is a parameter
    return sql, params


def copy_statement(raw_cursor, sql: str, params: dict) -> str:
    """`COPY (the SELECT) TO STDOUT WITH CSV HEADER`, its parameters bound by the
    driver (COPY takes none), for psycopg2's copy_expert: the benchmark's
    baseline for the streamed export."""
    bound = raw_cursor.mogrify(sql, params).decode()
    return f"COPY ({bound}) TO STDOUT WITH (FORMAT csv, HEADER true)"
