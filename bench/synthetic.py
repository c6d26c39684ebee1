"""A synthetic national year, built through the real schema with set-based SQL.

    python manage.py generate_synthetic --referrals 2000000

Every row is computed in PostgreSQL from `generate_series` and a seeded hash
(`hashint8extended`), so the same seed gives the same year and nothing passes
through Python row by row. Per-referral attributes go to a temporary staging
table first; sessions, measures, risk assessments, reviews, flags and step
changes are then each one `INSERT ... SELECT` from it. Session ids are computed
(referral number x 21 + session number) so measures need no join back.

Ratios (DOMAIN.md "Scale"): a service per ~14,000 referrals (one larger
service holds 1.5% of the year, 30,000 at national size, for the report
benchmark), four teams per service, a practitioner per ~200 referrals (65%
PWPs, a fifth of them trainees; 35% HITs), a supervisor per six
practitioners, a manager and a referral administrator per service. One PWP of
the first service carries a heavy caseload (250 open cases by default) for the
caseload benchmark.

Clinical shape: referrals received over the 365 days before `today`, the older
the more likely ended; end codes in national proportions; an assessment then
treatment sessions a week or two apart (about 5 sessions per referral on
average, up to 20); PHQ-9 and GAD-7 item by item at every attended session
following a trajectory per referral (60% improving, 30% flat, 10%
deteriorating), PHQ-9 item 9 above 0 for about 4% of referrals with a risk
assessment beside it; reviews for open cases, about 10% of them overdue.

The denormalised referral dates (assessed, first and second treatment, last
contact, last review) are computed from the same expressions as the sessions,
so they agree with them the way the session services keep them. The first two
treatment sessions and the last one are always attended, which keeps those
dates closed-form; DNAs and cancellations fall in between, except for 5% of
the cases in treatment whose last two appointments are DNAs (the one before
them attended).

The report's outcome summaries (reports/outcome_summary.py) are not built
here: the load turns their triggers off and queues every referral once, and
the refresh (`manage.py refresh_outcomes`, the beat task, or the report page
for its own service) builds them; the bench times that as its own step.

For large loads the secondary indexes, unique and foreign-key constraints of
the loaded tables are dropped first and recreated (and validated) at the end,
in the same transaction: a failure leaves nothing behind.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from patients.codes import ReferralSource, ReferralStatus
from sessions import measures

DROP_INDEXES_FROM = 10_000  # below this, keeping the indexes is faster than rebuilding them
REFERRALS_PER_SERVICE = 14_000
REFERRALS_PER_PRACTITIONER = 200
PRACTITIONERS_PER_SUPERVISOR = 6
TEAMS_PER_SERVICE = 4
BIG_SERVICE_SHARE = 0.015
MAX_SESSIONS = 20  # ids are referral number x 21 + session number

LOADED_TABLES = (
    "patients_patient",
    "patients_referral",
    "patients_presentingproblem",
    "therapy_sessions_therapysession",
    "therapy_sessions_measurescore",
    "therapy_sessions_riskassessment",
    "supervision_casereview",
    "supervision_flag",
    "supervision_supervisionsession",
    "stepped_care_stepchange",
    "reports_outcomequeue",
)

STAGING_TABLES = ("syn_service", "syn_staff", "syn_ref", "syn_score")

GIVEN = "'{Amira,Ben,Chloe,Dev,Ella,Finn,Grace,Hamza,Isla,Jack,Kaya,Leo,Maya,Noah,Olivia,Priya,Sam,Tom,Zara,Yusuf}'"
FAMILY = (
    "'{Ahmed,Brown,Clarke,Davies,Evans,Fletcher,Green,Hughes,Iqbal,Jones,Khan,Lewis,Morris,Nowak,"
    "Owen,Patel,Roberts,Smith,Taylor,Walker,Williams,Wilson,Wright,Young}'"
)


@dataclass
class GenerateResult:
    referrals: int = 0
    sessions: int = 0
    measures: int = 0
    services: int = 0
    staff: int = 0
    seconds: float = 0.0
    steps: dict[str, float] = field(default_factory=dict)


def plan_services(referrals: int) -> list[int]:
    """Referrals per service: one larger service (1.5% of the year, at least an
    even share), the rest spread evenly."""
    count = max(1, round(referrals / REFERRALS_PER_SERVICE))
    if count == 1:
        return [referrals]
    big = max(referrals // count, round(referrals * BIG_SERVICE_SHARE))
    rest = referrals - big
    others = count - 1
    return [big] + [rest // others + (1 if i < rest % others else 0) for i in range(others)]


def _u(n: str, k: int) -> str:
    """A uniform number in [0, 1) from the referral (or session) number and a salt."""
    return f"pg_temp.u({n}, {k})"


def _pick(u: str, choices: list[tuple[float, str]]) -> str:
    """CASE over cumulative probabilities: [(0.45, "'A1'"), ...]; the last is the rest."""
    whens = []
    cumulative = 0.0
    for p, value in choices[:-1]:
        cumulative += p
        whens.append(f"WHEN {u} < {cumulative:.4f} THEN {value}")
    return f"(CASE {' '.join(whens)} ELSE {choices[-1][1]} END)"


def spread_items(total: int, count: int, rot: int) -> list[int]:
    """`count` item answers (0-3) summing to `total`, rotated so the larger
    answers fall on different questions for different sessions."""
    return [total // count + (1 if (i + rot) % count < total % count else 0) for i in range(count)]


# Session j of referral r (j = 0: the assessment; 1..k: treatment sessions).
_SESSION_U = "(r.n * 32 + j)"
_ATTENDANCE = (
    "(CASE WHEN r.dna_tail AND j >= r.k - 1 THEN '3' "
    "WHEN j <= 2 OR j = r.k OR (r.dna_tail AND j = r.k - 2) THEN "
    + _pick(_u(_SESSION_U, 41), [(0.95, "'5'"), (0.05, "'6'")])
    + " ELSE "
    + _pick(
        _u(_SESSION_U, 42),
        [(0.80, "'5'"), (0.04, "'6'"), (0.07, "'3'"), (0.04, "'2'"), (0.03, "'4'"), (0.02, "'7'")],
    )
    + " END)"
)
_DAY_OFFSET = "(CASE WHEN j = 0 THEN r.assess_off ELSE r.t0_off + (j - 1) * r.iv END)"
_STARTED_AT = (
    f"(((r.received_on + {_DAY_OFFSET}) + make_time(9 + floor({_u(_SESSION_U, 43)} * 8)::int, "
    f"(floor({_u(_SESSION_U, 44)} * 4)::int) * 15, 0)) AT TIME ZONE %(tz)s)"
)
_SESSIONS_FROM = "FROM syn_ref r CROSS JOIN LATERAL generate_series(0, r.k) AS j WHERE r.nsess > 0"
_ITEM9 = "(CASE WHEN r.risk AND j <= 1 THEN 1 ELSE 0 END)"
_PROGRESS = "(CASE WHEN r.k = 0 THEN 0.0 ELSE j::float8 / r.k END)"
_NOISE = f"(CASE WHEN j = 0 THEN 0 ELSE floor({_u(_SESSION_U, 45)} * 5)::int - 2 END)"


# Where a referral's scores start and how far they move over its course:
# 60% improve, 30% stay flat, 10% deteriorate (traj 0, 1, 2).
_TRAJECTORY = """CROSS JOIN LATERAL (
        SELECT CASE WHEN r.at_caseness THEN 10 + floor(r.u_phq * 12) ELSE 3 + floor(r.u_phq * 7) END AS phq,
               CASE WHEN r.at_caseness THEN 8 + floor(r.u_gad * 10) ELSE 2 + floor(r.u_gad * 6) END AS gad,
               CASE r.traj WHEN 0 THEN -(8 + r.u_dphq * 10) WHEN 1 THEN -2 + r.u_dphq * 4
                           ELSE 6 + r.u_dphq * 6 END AS dphq,
               CASE r.traj WHEN 0 THEN -(6 + r.u_dgad * 8) WHEN 1 THEN -2 + r.u_dgad * 3
                           ELSE 4 + r.u_dgad * 5 END AS dgad
    ) AS x"""


class Generator:
    def __init__(self, *, referrals: int, seed: int, today: date, drop_indexes: bool, heavy_caseload: int, log):
        self.n = referrals
        self.seed = seed
        self.today = today
        self.drop_indexes = drop_indexes
        self.heavy_caseload = heavy_caseload
        self.log = log
        self.result = GenerateResult(referrals=referrals)
        self.params = {"today": today, "tz": settings.TIME_ZONE, "now": timezone.now()}

    def sql(self, cursor, sql: str, params: dict | None = None) -> None:
        """Every statement gets the parameters, so a literal % is always written %%."""
        cursor.execute(sql, {**self.params, **(params or {})})

    def step(self, name: str, cursor, sql: str, params: dict | None = None) -> int:
        started = time.perf_counter()
        self.sql(cursor, sql, params)
        seconds = time.perf_counter() - started
        self.result.steps[name] = self.result.steps.get(name, 0.0) + seconds
        self.log(f"  {name}: {cursor.rowcount if cursor.rowcount >= 0 else ''} rows in {seconds:.1f} s")
        return cursor.rowcount

    def run(self) -> GenerateResult:
        started = time.perf_counter()
        with transaction.atomic(), connection.cursor() as cursor:
            self.sql(cursor, "SELECT 1 FROM accounts_service WHERE ods_code LIKE 'SY%%' LIMIT 1")
            if cursor.fetchone():
                raise ValueError("Synthetic data is already loaded in this database (services SY...).")
            self.sql(cursor, f"DROP TABLE IF EXISTS {', '.join(STAGING_TABLES)}")
            for setting in ("synchronous_commit = off", "maintenance_work_mem = '1GB'", "work_mem = '256MB'"):
                self.sql(cursor, f"SET LOCAL {setting}")
            # A bulk load queues no cases for the incremental flag sweep (supervision/sweep.py):
            # it is followed by a full sweep, as the bench and `flag_cases --full` do.
            self.sql(cursor, "SELECT set_config('iapt.sweep_queue', 'off', true)")
            # Nor row by row for the report's outcome summaries: every referral is queued
            # once below, and the refresh builds them all (`refresh_outcomes`, the beat task).
            self.sql(cursor, "SELECT set_config('iapt.outcome_queue', 'off', true)")
            self.sql(
                cursor,
                "CREATE OR REPLACE FUNCTION pg_temp.u(n bigint, k int) RETURNS float8 "
                "LANGUAGE sql IMMUTABLE PARALLEL SAFE "
                f"AS $$ SELECT (hashint8extended(n, k::bigint + {int(self.seed) * 1000}) & 2147483647)::float8 "
                "/ 2147483648.0 $$",
            )
            self.services(cursor)
            self.staff(cursor)
            self.referral_staging(cursor)
            dropped = self.drop(cursor) if self.drop_indexes else ([], [])
            self.patients_and_referrals(cursor)
            self.outcome_queue()
            self.clinical(cursor)
            self.supervision(cursor)
            self.recreate(cursor, *dropped)
            self.finish(cursor)
            # Temporary tables go at commit; dropped now too, for a caller's longer transaction.
            self.sql(cursor, f"DROP TABLE {', '.join(STAGING_TABLES)}")
        self.result.seconds = time.perf_counter() - started
        return self.result

    # -- organisation -------------------------------------------------------
    def services(self, cursor) -> None:
        sizes = plan_services(self.n)
        rows = []
        for index, size in enumerate(sizes, start=1):
            practitioners = max(4, -(-size // REFERRALS_PER_PRACTITIONER))
            hits = max(1, round(practitioners * 0.35))
            pwps = practitioners - hits
            supervisors = max(1, -(-practitioners // PRACTITIONERS_PER_SUPERVISOR))
            rows.append((index, size, pwps, hits, supervisors))
        self.result.services = len(rows)
        self.big = sizes[0]
        self.others = max(len(sizes) - 1, 1)
        self.sql(
            cursor,
            "CREATE TEMP TABLE syn_service (idx int PRIMARY KEY, referrals int, n_pwp int, n_hit int, n_sup int, "
            "id bigint) ON COMMIT DROP",
        )
        cursor.executemany(
            "INSERT INTO syn_service (idx, referrals, n_pwp, n_hit, n_sup) VALUES (%s, %s, %s, %s, %s)", rows
        )
        self.step(
            "services",
            cursor,
            """INSERT INTO accounts_service (name, provider, ods_code)
               SELECT 'Synthetic service ' || idx, 'Synthetic provider ' || ((idx - 1) / 3 + 1),
                      'SY' || lpad(idx::text, 5, '0')
               FROM syn_service ORDER BY idx""",
        )
        self.sql(
            cursor,
            "UPDATE syn_service s SET id = sv.id FROM accounts_service sv "
            "WHERE sv.ods_code = 'SY' || lpad(s.idx::text, 5, '0')",
        )
        self.step(
            "teams",
            cursor,
            f"""INSERT INTO accounts_team (service_id, name)
                SELECT s.id, 'Team ' || chr(64 + t) FROM syn_service s, generate_series(1, {TEAMS_PER_SERVICE}) t""",
        )

    def staff(self, cursor) -> None:
        # Ord 0 of the first service's PWPs is the heavy caseload; the others share the rest.
        self.sql(
            cursor,
            """CREATE TEMP TABLE syn_staff ON COMMIT DROP AS
               SELECT s.idx AS service_idx, s.id AS service_id, k.kind, k.ord,
                      'syn-' || s.idx || '-' || k.kind || '-' || k.ord AS username,
                      (SELECT t.id FROM accounts_team t WHERE t.service_id = s.id
                       ORDER BY t.name OFFSET k.ord %% 4 LIMIT 1) AS team_id,
                      NULL::bigint AS id, NULL::bigint AS supervisor_id
               FROM syn_service s CROSS JOIN LATERAL (
                   SELECT 'pwp' AS kind, g AS ord FROM generate_series(0, s.n_pwp - 1) g
                   UNION ALL SELECT 'hit', g FROM generate_series(0, s.n_hit - 1) g
                   UNION ALL SELECT 'supervisor', g FROM generate_series(0, s.n_sup - 1) g
                   UNION ALL SELECT 'manager', 0
                   UNION ALL SELECT 'referral_admin', 0
               ) k""",
        )
        self.result.staff = self.step(
            "staff",
            cursor,
            f"""INSERT INTO accounts_user (password, last_login, is_superuser, username, first_name, last_name, email,
                    is_staff, is_active, date_joined, role, band, is_trainee, training_start, service_id, team_id)
                SELECT '!synthetic', NULL, false, st.username,
                       ({GIVEN}::text[])[1 + (hashtext(st.username) & 1023) %% 20],
                       ({FAMILY}::text[])[1 + (hashtext(st.username || 'f') & 1023) %% 24],
                       '', false, true, %(now)s, st.kind,
                       CASE st.kind WHEN 'pwp' THEN CASE WHEN st.ord %% 5 = 4 THEN 4
                                                         WHEN st.ord %% 3 = 0 THEN 6 ELSE 5 END
                                    WHEN 'hit' THEN 7 WHEN 'supervisor' THEN 7 WHEN 'manager' THEN 8 ELSE 3 END,
                       st.kind = 'pwp' AND st.ord %% 5 = 4,
                       CASE WHEN st.kind = 'pwp' AND st.ord %% 5 = 4
                            THEN %(today)s::date - (120 + (st.ord * 37) %% 400) END,
                       st.service_id,
                       CASE WHEN st.kind IN ('pwp', 'hit', 'supervisor') THEN st.team_id END
                FROM syn_staff st ORDER BY st.service_idx, st.kind, st.ord""",
        )
        self.sql(cursor, "UPDATE syn_staff st SET id = u.id FROM accounts_user u WHERE u.username = st.username")
        self.sql(
            cursor,
            """UPDATE syn_staff st SET supervisor_id = sup.id
               FROM syn_service s, syn_staff sup
               WHERE st.kind IN ('pwp', 'hit') AND s.idx = st.service_idx AND sup.service_idx = st.service_idx
                 AND sup.kind = 'supervisor' AND sup.ord = st.ord %% s.n_sup""",
        )
        self.sql(cursor, "CREATE INDEX ON syn_staff (service_idx, kind, ord)")
        self.step(
            "supervision assignments",
            cursor,
            """INSERT INTO accounts_supervisionassignment (supervisor_id, supervisee_id, kind, started, ended)
               SELECT supervisor_id, id, 'case_management', %(today)s::date - 400, NULL
               FROM syn_staff WHERE supervisor_id IS NOT NULL""",
        )

    # -- referrals ----------------------------------------------------------
    def referral_staging(self, cursor) -> None:
        u = lambda k: _u("b.n", k)  # noqa: E731 - a short alias keeps the SQL readable
        source = _pick(
            u(11),
            [(0.45, f"'{ReferralSource.GP}'"), (0.38, f"'{ReferralSource.SELF}'"),
             (0.06, f"'{ReferralSource.OTHER_PRIMARY_CARE}'"), (0.06, f"'{ReferralSource.SECONDARY_CARE}'"),
             (0.02, f"'{ReferralSource.EMPLOYER}'"), (0.02, f"'{ReferralSource.VOLUNTARY}'"),
             (0.01, f"'{ReferralSource.OTHER}'")],
        )  # fmt: skip
        descriptor = _pick(
            u(12),
            [(0.22, "'F32'"), (0.08, "'F33'"), (0.20, "'F411'"), (0.30, "'F412'"), (0.05, "'F410'"),
             (0.04, "'F401'"), (0.04, "'F431'"), (0.03, "'F42'"), (0.02, "'F400'"), (0.01, "'F402'"),
             (0.01, "'F452'")],
        )  # fmt: skip
        open_status = _pick(u(31), [(0.04, "'assessed'"), (0.22, "'waiting'"), (0.74, "'in_treatment'")])
        end_code = _pick(
            "b.u_sub",
            [(0.12, "'50'"), (0.04, "'10'"), (0.06, "'11'"), (0.03, "'12'"), (0.03, "'13'"), (0.05, "'14'"),
             (0.04, "'16'"), (0.002, "'17'"), (0.388, "'46'"), (0.10, "'47'"), (0.07, "'48'"), (0.002, "'49'"),
             (0.03, "'95'"), (0.03, "'96'")],
        )  # fmt: skip
        sql = f"""
CREATE TEMP TABLE syn_ref ON COMMIT DROP AS
-- Each step is fenced (OFFSET 0) so its columns are computed once per row
-- rather than re-expanded into every expression of the next step.
WITH b AS (
    SELECT n,
           CASE WHEN n <= %(big)s THEN 1 ELSE 2 + ((n - %(big)s - 1) %% %(others)s) END AS service_idx,
           %(today)s::date - floor({u(1)} * 365)::int AS received_on,
           {u(2)} AS u_state, {u(3)} AS u_sub, {u(4)} AS u_k
    FROM generate_series(1, %(n)s) AS b(n)
    OFFSET 0
), s1 AS (
    SELECT b.*, %(today)s::date - b.received_on AS age,
           CASE WHEN %(today)s::date - b.received_on < 2 THEN 'received'
                WHEN b.u_state < least(0.97, (%(today)s::date - b.received_on) / 120.0) THEN 'ended'
                WHEN b.u_sub < CASE WHEN %(today)s::date - b.received_on < 30 THEN 0.45 ELSE 0.06 END THEN 'received'
                ELSE {open_status} END AS status,
           {source} AS source, {descriptor} AS problem_descriptor
    FROM b
    OFFSET 0
), s2 AS (
    SELECT s1.*,
           CASE WHEN s1.status = 'ended' THEN {end_code.replace("b.u_sub", "s1.u_sub")} ELSE '' END AS end_code
    FROM s1
    OFFSET 0
), s3 AS (
    SELECT s2.*,
           CASE WHEN s2.status = 'received' OR s2.end_code = '50' THEN 0
                WHEN s2.status = 'in_treatment' THEN 1 + floor(s2.u_k * 10)::int
                WHEN s2.end_code = '46' THEN 4 + floor(s2.u_k * 16)::int
                WHEN s2.end_code IN ('47', '48', '49') THEN 1 + floor(s2.u_k * 6)::int
                ELSE 0 END AS k_wanted,
           s2.status <> 'received' AND s2.end_code <> '50' AS seen,
           s2.age - 1 AS span,
           least(s2.age - 1, 3 + floor({_u("s2.n", 5)} * 30)::int) AS assess_off
    FROM s2
    OFFSET 0
), s4 AS (
    SELECT s3.*,
           s3.assess_off + least(s3.span - s3.assess_off, floor({_u("s3.n", 6)} * 35)::int) AS t0_raw
    FROM s3
    OFFSET 0
), s5 AS (
    SELECT s4.*,
           CASE WHEN s4.k_wanted = 0 THEN 0
                ELSE least(s4.k_wanted, greatest(1, (s4.span - s4.t0_raw) / 7 + 1)) END AS k
    FROM s4
    OFFSET 0
), s6 AS (
    SELECT s5.*,
           CASE WHEN s5.k > 1 THEN least(7 + floor({_u("s5.n", 7)} * 8)::int, (s5.span - s5.t0_raw) / (s5.k - 1))
                ELSE 7 END AS iv
    FROM s5
    OFFSET 0
), s7 AS (
    -- An open case in treatment has its latest session in the last fortnight.
    SELECT s6.*,
           CASE WHEN s6.status = 'in_treatment'
                THEN greatest(s6.t0_raw, s6.span - (s6.k - 1) * s6.iv - floor({_u("s6.n", 8)} * 14)::int)
                ELSE s6.t0_raw END AS t0_off,
           -- A few open cases whose last two appointments were missed (DNA).
           s6.status = 'in_treatment' AND s6.k >= 4 AND {_u("s6.n", 32)} < 0.05 AS dna_tail
    FROM s6
    OFFSET 0
), s8 AS (
    SELECT s7.n, s7.service_idx, sv.id AS service_id, s7.received_on, s7.status, s7.end_code, s7.source,
       s7.problem_descriptor, s7.assess_off, s7.t0_off, s7.iv, s7.k,
       CASE WHEN s7.seen THEN 1 + s7.k ELSE 0 END AS nsess,
       CASE WHEN NOT s7.seen THEN NULL WHEN s7.k = 0 THEN s7.assess_off
            WHEN s7.dna_tail THEN s7.t0_off + (s7.k - 3) * s7.iv
            ELSE s7.t0_off + (s7.k - 1) * s7.iv END AS last_off, s7.dna_tail,
       CASE WHEN s7.status IN ('received', 'assessed') OR s7.end_code = '50' THEN NULL
            WHEN s7.status = 'ended' AND s7.k = 0 THEN 2
            WHEN {_u("s7.n", 9)} < 0.25 THEN 3 ELSE 2 END AS current_step,
       {_u("s7.n", 10)} AS u_prac,
       {_pick(_u("s7.n", 13), [(0.60, "0"), (0.30, "1"), (0.10, "2")])} AS traj,
       {_u("s7.n", 14)} < 0.88 AS at_caseness,
       {_u("s7.n", 15)} AS u_phq, {_u("s7.n", 16)} AS u_gad, {_u("s7.n", 17)} AS u_dphq, {_u("s7.n", 18)} AS u_dgad,
       s7.seen AND {_u("s7.n", 19)} < 0.04 AS risk,
       {_u("s7.n", 20)} AS u_overdue, {_u("s7.n", 21)} AS u_review,
       gen_random_uuid() AS patient_id, gen_random_uuid() AS referral_id
    FROM s7 JOIN syn_service sv ON sv.idx = s7.service_idx
    OFFSET 0
)
-- Practitioners: PWPs hold step 2 and the assessed (awaiting a decision), HITs
-- step 3; the first PWP of the first service is left for the heavy caseload.
SELECT s8.*, st.id AS practitioner_id, st.supervisor_id
FROM s8 JOIN syn_service s ON s.idx = s8.service_idx
LEFT JOIN syn_staff st
       ON s8.nsess > 0 AND st.service_idx = s8.service_idx
      AND st.kind = CASE WHEN s8.current_step = 3 THEN 'hit' ELSE 'pwp' END
      AND st.ord = CASE WHEN s8.current_step = 3 THEN floor(s8.u_prac * s.n_hit)::int
                        WHEN s8.service_idx = 1 AND s.n_pwp > 1 THEN 1 + floor(s8.u_prac * (s.n_pwp - 1))::int
                        ELSE floor(s8.u_prac * s.n_pwp)::int END
"""
        self.step("referral staging", cursor, sql, {"n": self.n, "big": self.big, "others": self.others})
        if self.heavy_caseload:
            self.step(
                "heavy caseload",
                cursor,
                """UPDATE syn_ref r SET practitioner_id = st.id, supervisor_id = st.supervisor_id
                   FROM syn_staff st
                   WHERE st.service_idx = 1 AND st.kind = 'pwp' AND st.ord = 0
                     AND r.n IN (SELECT n FROM syn_ref WHERE service_idx = 1 AND current_step = 2
                                   AND status IN ('waiting', 'in_treatment') ORDER BY n LIMIT %(heavy)s)""",
                {"heavy": self.heavy_caseload},
            )
        self.sql(cursor, "CREATE UNIQUE INDEX ON syn_ref (n)")
        self.sql(cursor, "ANALYZE syn_ref")

    def drop(self, cursor) -> tuple[list, list]:
        """Secondary indexes, unique and foreign-key constraints of the loaded
        tables, with their definitions for recreate()."""
        self.sql(
            cursor,
            """SELECT c.conrelid::regclass::text, c.conname, pg_get_constraintdef(c.oid), c.contype
               FROM pg_constraint c
               WHERE c.conrelid = ANY(%(tables)s::regclass[]) AND c.contype IN ('f', 'u')
               ORDER BY c.contype DESC""",
            {"tables": list(LOADED_TABLES)},
        )
        constraints = cursor.fetchall()
        self.sql(
            cursor,
            """SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)
               FROM pg_index i
               WHERE i.indrelid = ANY(%(tables)s::regclass[]) AND NOT i.indisprimary
                 AND NOT EXISTS (SELECT 1 FROM pg_constraint c
                                 WHERE c.conindid = i.indexrelid AND c.conrelid = i.indrelid)""",
            {"tables": list(LOADED_TABLES)},
        )
        indexes = cursor.fetchall()
        started = time.perf_counter()
        # Pending deferred checks (the staff rows) would block ALTER TABLE: run them now.
        self.sql(cursor, "SET CONSTRAINTS ALL IMMEDIATE")
        self.sql(cursor, "SET CONSTRAINTS ALL DEFERRED")
        for table, name, _definition, _kind in constraints:
            self.sql(cursor, f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
        for name, _definition in indexes:
            self.sql(cursor, f"DROP INDEX {name}")
        self.result.steps["drop indexes"] = time.perf_counter() - started
        self.log(f"  dropped {len(indexes)} indexes and {len(constraints)} constraints")
        return constraints, indexes

    def recreate(self, cursor, constraints, indexes) -> None:
        for _name, definition in indexes:
            self.step("recreate indexes", cursor, definition)
        # Unique constraints first: the foreign keys need them.
        for table, name, definition, _kind in sorted(constraints, key=lambda c: c[3] != "u"):
            self.step("recreate constraints", cursor, f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')

    def patients_and_referrals(self, cursor) -> None:
        # NHS numbers: "99" + six digits (a permutation of n / 9) + the ninth
        # digit + the modulus 11 check digit. Within a group of ten ninth digits
        # at most one gives a check of 10 (weight 2 spreads them over the
        # remainders); it is skipped, so 9 valid numbers per group, all distinct.
        self.step(
            "patients",
            cursor,
            f"""
INSERT INTO patients_patient (id, service_id, nhs_number, given_name, family_name, date_of_birth, sex,
    gender_identity, ethnicity, phone, email, address, postcode, contact_preferences, consent_to_contact,
    consent_to_leave_messages, gp_practice_code, gp_practice_name, created_at, updated_at, version)
SELECT r.patient_id, r.service_id, nhs.number,
       ({GIVEN}::text[])[1 + floor({_u("r.n", 22)} * 20)::int],
       ({FAMILY}::text[])[1 + floor({_u("r.n", 23)} * 24)::int],
       r.received_on - (18 * 365 + floor({_u("r.n", 24)} * 62 * 365)::int),
       {_pick(_u("r.n", 25), [(0.64, "'2'"), (0.35, "'1'"), (0.01, "'X'")])},
       '',
       {
                _pick(
                    _u("r.n", 26),
                    [
                        (0.74, "'A'"),
                        (0.02, "'B'"),
                        (0.05, "'C'"),
                        (0.02, "'D'"),
                        (0.02, "'F'"),
                        (0.03, "'H'"),
                        (0.03, "'J'"),
                        (0.01, "'K'"),
                        (0.02, "'M'"),
                        (0.02, "'N'"),
                        (0.01, "'R'"),
                        (0.01, "'S'"),
                        (0.02, "'Z'"),
                    ],
                )
            },
       '', '', '', '', '{{}}', true, true, '', '',
       r.received_on + time '10:00', r.received_on + time '10:00', 1
FROM syn_ref r
CROSS JOIN LATERAL (SELECT ((r.n - 1) / 9 * 7919) %% 1000000 AS g, (r.n - 1) %% 9 AS j) AS grp
CROSS JOIN LATERAL (
    SELECT 9 * 10 + 9 * 9 + (grp.g / 100000) %% 10 * 8 + (grp.g / 10000) %% 10 * 7 + (grp.g / 1000) %% 10 * 6
           + (grp.g / 100) %% 10 * 5 + (grp.g / 10) %% 10 * 4 + grp.g %% 10 * 3 AS s8
) AS w
CROSS JOIN LATERAL (SELECT ((6 * (1 - w.s8)) %% 11 + 11) %% 11 AS bad) AS b
CROSS JOIN LATERAL (SELECT grp.j + (grp.j >= b.bad)::int AS d) AS nine
CROSS JOIN LATERAL (
    SELECT '99' || lpad(grp.g::text, 6, '0') || nine.d || ((11 - (w.s8 + 2 * nine.d) %% 11) %% 11) AS number
) AS nhs
""",
        )
        self.step(
            "referrals",
            cursor,
            f"""
INSERT INTO patients_referral (id, patient_id, service_id, team_id, source, received_on, problem_descriptor, status,
    current_step, assigned_practitioner_id, assessed_on, first_treatment_on, second_treatment_on, last_contact_on,
    last_reviewed_at, opened_at, ended_on, end_code, reason_notes, created_at, created_by_id, updated_at, version)
SELECT r.referral_id, r.patient_id, r.service_id,
       (SELECT t.id FROM accounts_team t WHERE t.service_id = r.service_id ORDER BY t.id
        OFFSET (r.n %% {TEAMS_PER_SERVICE}) LIMIT 1),
       r.source, r.received_on, r.problem_descriptor, r.status, r.current_step, r.practitioner_id,
       CASE WHEN r.nsess > 0 THEN r.received_on + r.assess_off END,
       CASE WHEN r.k >= 1 THEN r.received_on + r.t0_off END,
       CASE WHEN r.k >= 2 THEN r.received_on + r.t0_off + r.iv END,
       r.received_on + r.last_off,
       rv.reviewed_at,
       CASE WHEN r.nsess > 0 THEN (r.received_on + r.assess_off + time '17:00') AT TIME ZONE %(tz)s END,
       e.ended_on, r.end_code, '', r.received_on + time '10:00', adm.id, r.received_on + time '10:00', 1
FROM syn_ref r
JOIN syn_staff adm ON adm.service_idx = r.service_idx AND adm.kind = 'referral_admin'
CROSS JOIN LATERAL (
    SELECT CASE WHEN r.status = 'ended'
                THEN least(%(today)s::date,
                           r.received_on
                           + COALESCE(r.last_off, least(r.age_span, 14 + floor({_u("r.n", 27)} * 40)::int))
                           + floor({_u("r.n", 28)} * 10)::int) END AS ended_on
) AS e
CROSS JOIN LATERAL (SELECT {self._reviewed_at_sql()} AS reviewed_at) AS rv
""".replace("r.age_span", "(%(today)s::date - r.received_on)"),
        )
        self.presenting_problems(cursor)

    def presenting_problems(self, cursor) -> None:
        """Presenting problems (IDS603; decision 023), one INSERT ... SELECT: every
        referral's primary (its problem_descriptor), dated its assessment, or its
        receipt when not assessed; a fifth of the assessed have a secondary."""
        from patients.codes import PresentingProblemType, ProblemDescriptor

        self.step(
            "presenting problems",
            cursor,
            f"""
INSERT INTO patients_presentingproblem (referral_id, kind, code, recorded_on, recorded_by_id, recorded_at)
SELECT r.referral_id, %(primary)s, r.problem_descriptor,
       r.received_on + CASE WHEN r.nsess > 0 THEN r.assess_off ELSE 0 END, r.practitioner_id,
       r.received_on + time '10:00'
FROM syn_ref r
WHERE r.problem_descriptor <> ''
UNION ALL
SELECT r.referral_id, %(secondary)s,
       CASE WHEN r.problem_descriptor IN (%(depression)s, %(recurrent)s) THEN %(gad)s ELSE %(depression)s END,
       r.received_on + r.assess_off, r.practitioner_id, r.received_on + time '10:00'
FROM syn_ref r
WHERE r.nsess > 0 AND r.problem_descriptor <> '' AND {_u("r.n", 33)} < 0.2
""",
            {
                "primary": PresentingProblemType.PRIMARY.value,
                "secondary": PresentingProblemType.SECONDARY.value,
                "depression": ProblemDescriptor.DEPRESSION.value,
                "recurrent": ProblemDescriptor.RECURRENT_DEPRESSION.value,
                "gad": ProblemDescriptor.GAD.value,
            },
        )

    def _reviewed_at_sql(self) -> str:
        """The last case-management review: open allocated cases mostly within
        28 days, about 10% overdue (reviewed 29-58 days ago, or never); ended
        treated cases at their last session (the discharge review)."""
        opened_ago = "(%(today)s::date - (r.received_on + r.assess_off))"
        review_day = f"""(CASE
            WHEN r.status IN ('assessed', 'waiting', 'in_treatment') AND r.u_overdue < 0.17 AND {opened_ago} > 28
                THEN CASE WHEN 29 + floor(r.u_review * 30)::int < {opened_ago}
                          THEN %(today)s::date - (29 + floor(r.u_review * 30)::int) END
            WHEN r.status IN ('assessed', 'waiting', 'in_treatment')
                THEN CASE WHEN {opened_ago} < 7 AND r.u_review < 0.5 THEN NULL
                          ELSE %(today)s::date - floor(r.u_review * least(27, {opened_ago}))::int END
            WHEN r.status = 'ended' AND r.end_code IN ('46', '47', '48') AND r.k > 0 THEN r.received_on + r.last_off
        END)"""
        return f"(({review_day}) + time '14:00') AT TIME ZONE %(tz)s"

    def outcome_queue(self) -> None:
        """Every referral queued for its outcome summary, under the current definition
        (reports/outcome_summary.py): one INSERT instead of the triggers row by row."""
        from reports.outcome_summary import outcomes_requeue_all

        started = time.perf_counter()
        queued = outcomes_requeue_all()
        self.result.steps["outcome queue"] = time.perf_counter() - started
        self.log(f"  outcome queue: {queued} rows in {self.result.steps['outcome queue']:.1f} s")

    # -- sessions and measures ----------------------------------------------
    def clinical(self, cursor) -> None:
        self.sql(cursor, "SELECT COALESCE(max(id), 0) + 1 FROM therapy_sessions_therapysession")
        self.session_base = cursor.fetchone()[0]
        step2 = "'{gsh,ccbt,ba,exercise,pure_self_help,psychoeducation_group,problem_solving,sleep_hygiene}'"
        step3 = "'{cbt,ipt,counselling,ba_hi,emdr}'"
        self.result.sessions = self.step(
            "sessions",
            cursor,
            f"""
INSERT INTO therapy_sessions_therapysession (id, referral_id, practitioner_id, started_at, appointment_type,
    attendance, medium, duration_minutes, interventions, notes, step, risk_recorded, created_at, created_by_id,
    version, idempotency_key)
SELECT %(base)s + r.n * 21 + j, r.referral_id, r.practitioner_id, {_STARTED_AT},
       CASE WHEN j = 0 THEN '01' WHEN {_u(_SESSION_U, 46)} < 0.1 THEN '05' ELSE '02' END,
       {_ATTENDANCE},
       {_pick(_u(_SESSION_U, 47), [(0.5, "'02'"), (0.22, "'01'"), (0.23, "'11'"), (0.03, "'10'"), (0.02, "'98'")])},
       CASE WHEN j = 0 THEN 45 ELSE 25 + floor({_u(_SESSION_U, 48)} * 11)::int END,
       CASE WHEN j = 0 THEN '{{}}'::varchar[]
            WHEN r.current_step = 3 THEN ARRAY[({step3}::varchar[])[1 + r.n %% 5]]
            ELSE ARRAY[({step2}::varchar[])[1 + r.n %% 8]] END,
       '', COALESCE(r.current_step, 2), r.risk AND j <= 1,
       {_STARTED_AT} + interval '40 minutes', r.practitioner_id, 1, ''
{_SESSIONS_FROM}
""",
            {"base": self.session_base},
        )
        self.score_table(cursor)
        self.result.measures = self.step(
            "measures",
            cursor,
            f"""
INSERT INTO therapy_sessions_measurescore (session_id, referral_id, taken_at, instrument, items, total, band,
    caseness, complete, reference_version)
SELECT t.session_id, t.referral_id, t.taken_at, l.instrument, l.items, l.total, l.band, l.caseness, true, %(version)s
FROM (
    SELECT %(base)s + r.n * 21 + j AS session_id, r.referral_id, {_STARTED_AT} AS taken_at,
           {_ITEM9} AS item9,
           (r.n + j) %% 9 AS rot,
           least(24, greatest(0, round(x.phq + x.dphq * {_PROGRESS})::int + {_NOISE} - {_ITEM9})) AS phq8,
           least(21, greatest(0, round(x.gad + x.dgad * {_PROGRESS})::int + {_NOISE})) AS gad
    {_SESSIONS_FROM.replace("WHERE", _TRAJECTORY + " WHERE")}
      AND {_ATTENDANCE} IN ('5', '6')
    OFFSET 0  -- a fence: each session's values are computed once
) AS t
CROSS JOIN LATERAL (VALUES ((100 + t.phq8) * 20 + t.item9 * 10 + t.rot), ((200 + t.gad) * 20 + t.rot)) AS v(key)
JOIN syn_score l ON l.key = v.key
""",
            {"base": self.session_base, "version": measures.REFERENCE_VERSION},
        )
        self.step(
            "risk assessments",
            cursor,
            f"""
INSERT INTO therapy_sessions_riskassessment (referral_id, session_id, recorded_at, recorded_by_id, trigger,
    risk_to_self, risk_to_others, risk_from_others, level, plan, actions)
SELECT r.referral_id, %(base)s + r.n * 21 + j, {_STARTED_AT}, r.practitioner_id, 'phq9_item9',
       lv.level, 'none', 'none', lv.level,
       'Safety plan agreed: crisis line numbers given, GP informed, review at next session.', ''
FROM syn_ref r CROSS JOIN LATERAL generate_series(0, least(r.k, 1)) AS j
CROSS JOIN LATERAL (SELECT CASE WHEN {_u("r.n", 29)} < 0.8 THEN 'low' ELSE 'medium' END AS level) AS lv
WHERE r.risk
""",
            {"base": self.session_base},
        )

    def score_table(self, cursor) -> None:
        """Every item pattern the trajectories produce, scored once by the real
        scoring code (sessions/measures.py): the load joins to it instead of
        computing items, totals, bands and caseness 17 million times."""
        self.sql(
            cursor,
            "CREATE TEMP TABLE syn_score (key int PRIMARY KEY, instrument text, items smallint[], total numeric, "
            "band text, caseness boolean) ON COMMIT DROP",
        )
        rows = []
        for rot in range(9):
            for value in range(25):
                for item9 in (0, 1):
                    items = spread_items(value, 8, rot) + [item9]
                    key = (100 + value) * 20 + item9 * 10 + rot
                    rows.append((key, "PHQ9", items, measures.score("PHQ9", items)))
            for value in range(22):
                items = spread_items(value, 7, rot)
                rows.append(((200 + value) * 20 + rot, "GAD7", items, measures.score("GAD7", items)))
        cursor.executemany(
            "INSERT INTO syn_score VALUES (%s, %s, %s::smallint[], %s, %s, %s)",
            [(key, code, items, r.total, r.band or "", r.caseness) for key, code, items, r in rows],
        )
        self.sql(cursor, "ANALYZE syn_score")

    # -- supervision and stepped care ---------------------------------------
    def supervision(self, cursor) -> None:
        self.sql(cursor, "SELECT COALESCE(max(id), 0) + 1 FROM supervision_casereview")
        review_base = cursor.fetchone()[0]
        self.step(
            "case reviews",
            cursor,
            """
INSERT INTO supervision_casereview (id, referral_id, session_id, reviewer_id, reviewed_at, decisions, notes,
    next_review_on, risk_action, risk_action_owner_id, risk_action_due, end_code)
SELECT %(base)s + r.n, r.referral_id, NULL, r.supervisor_id, ref.last_reviewed_at,
       CASE WHEN r.status = 'ended' THEN ARRAY['discharge'] ELSE ARRAY['continue'] END::varchar[], '',
       (ref.last_reviewed_at AT TIME ZONE %(tz)s)::date + 28, '', NULL, NULL,
       CASE WHEN r.status = 'ended' THEN r.end_code ELSE '' END
FROM syn_ref r JOIN patients_referral ref ON ref.id = r.referral_id
WHERE ref.last_reviewed_at IS NOT NULL AND r.supervisor_id IS NOT NULL
""",
            {"base": review_base},
        )
        # History: the flag each review dealt with, resolved by it.
        self.step(
            "resolved flags",
            cursor,
            """
INSERT INTO supervision_flag (referral_id, reason, raised_at, raised_by_id, detail, resolved_at, resolved_by_review_id)
SELECT cr.referral_id, CASE WHEN r.risk THEN 'risk' ELSE 'overdue_review' END, cr.reviewed_at - interval '2 days',
       NULL, '', cr.reviewed_at, cr.id
FROM supervision_casereview cr JOIN syn_ref r ON cr.id = %(base)s + r.n
WHERE r.risk OR r.u_review < 0.5
""",
            {"base": review_base},
        )
        self.step(
            "supervision sessions",
            cursor,
            """
INSERT INTO supervision_supervisionsession (supervisor_id, supervisee_id, started_at, duration_minutes, agenda, notes)
SELECT st.supervisor_id, st.id, ((%(today)s::date - 7 * w - (st.ord %% 5)) + time '11:00') AT TIME ZONE %(tz)s,
       60, '{}', ''
FROM syn_staff st CROSS JOIN generate_series(0, 11) AS w
WHERE st.supervisor_id IS NOT NULL AND (hashint4(st.id::int * 16 + w) & 15) <> 0
""",
        )
        self.step(
            "step changes",
            cursor,
            f"""
INSERT INTO stepped_care_stepchange (referral_id, kind, status, from_step, to_step, effective_on, reason, end_code,
    exclusions, override_reason, proposed_by_id, proposed_at, decided_by_id, decided_at)
SELECT r.referral_id, c.kind, 'confirmed', c.from_step, c.to_step, c.day, c.reason, '', '{{}}', '',
       r.practitioner_id, (c.day + time '16:00') AT TIME ZONE %(tz)s,
       r.supervisor_id, (c.day + time '16:30') AT TIME ZONE %(tz)s
FROM syn_ref r
CROSS JOIN LATERAL (SELECT r.k > 0 AND {_u("r.n", 30)} < 0.3 AS up) AS stepped
CROSS JOIN LATERAL (
    SELECT 'allocation' AS kind, NULL::int AS from_step,
           CASE WHEN r.current_step = 3 AND stepped.up THEN 2 ELSE r.current_step END AS to_step,
           r.received_on + r.assess_off AS day, 'Step decision at assessment' AS reason
    UNION ALL
    SELECT 'step_up', 2, 3, r.received_on + r.t0_off, 'No reliable improvement at step 2: stepped up to CBT'
    WHERE r.current_step = 3 AND stepped.up
) AS c
WHERE r.current_step IS NOT NULL AND r.supervisor_id IS NOT NULL
""",
        )

    def finish(self, cursor) -> None:
        for table in ("therapy_sessions_therapysession", "supervision_casereview"):
            self.sql(
                cursor,
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT COALESCE(max(id), 1) FROM {table}))",
            )
        started = time.perf_counter()
        for table in (*LOADED_TABLES, "accounts_user", "accounts_team", "accounts_service"):
            self.sql(cursor, f"ANALYZE {table}")
        self.result.steps["analyze"] = time.perf_counter() - started
        self.log(f"  analyze: {self.result.steps['analyze']:.1f} s")


def generate(
    *,
    referrals: int,
    seed: int = 1,
    today: date | None = None,
    drop_indexes: bool | None = None,
    heavy_caseload: int = 250,
    log: Callable[[str], None] = lambda message: None,
) -> GenerateResult:
    """Builds the synthetic year in one transaction; see the module docstring."""
    if referrals < 1:
        raise ValueError("--referrals must be at least 1.")
    if drop_indexes is None:
        drop_indexes = referrals >= DROP_INDEXES_FROM
    return Generator(
        referrals=referrals,
        seed=seed,
        today=today or timezone.localdate(),
        drop_indexes=drop_indexes,
        heavy_caseload=heavy_caseload,
        log=log,
    ).run()


OPEN_ALLOCATED = (ReferralStatus.ASSESSED, ReferralStatus.WAITING, ReferralStatus.IN_TREATMENT)
