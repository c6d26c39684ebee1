"""My caseload: every open case a practitioner holds, as one SQL statement of
LATERAL joins over the referral, its sessions and measures (sessions), its risk
events, its open supervision flags and its next booking. It joins four floors
(sessions, stepped care, appointments, supervision), so it lives on the highest. Access-checked
through the referral's own queryset; query count constant in the caseload's
size (docs/decisions/010-caseload-pages-and-lateral-sql.md)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db import connection
from django.db.models import F
from django.utils import timezone

from accounts.models import User
from appointments.hooks import caseload_next_appointment
from patients.codes import ProblemDescriptor, ReferralStatus
from patients.models import Referral
from sessions.codes import ATTENDED, TREATMENT_APPOINTMENT_TYPES
from sessions.models import counting_scores_sql

from .models import Flag

RISK_MARKER_LEVELS = ("medium", "high")
CASELOAD_PAGE_SIZE = 50

# The caseload's sort options, as ORDER BY clauses over the columns of
# CASELOAD_SQL (constants: nothing the user sends is written into the SQL). The
# referral id breaks ties so that pages never overlap or skip a case.
CASELOAD_SORTS = {
    "patient": "c.family_name, c.given_name",
    "step": "c.current_step, c.family_name",
    "problem": "c.problem_descriptor, c.family_name",
    "sessions": "c.sessions_count DESC, c.family_name",
    "last_contact": "c.last_contact_on ASC NULLS FIRST, c.family_name",
    "phq9": "c.phq9_last DESC NULLS LAST, c.family_name",
    "gad7": "c.gad7_last DESC NULLS LAST, c.family_name",
    "review": "c.review_anchor ASC NULLS FIRST, c.family_name",
    # DOMAIN.md "Supervision": risk first, then the longest since review.
    "risk": "c.risk_marker DESC, c.review_anchor ASC NULLS FIRST",
}

# One pass per table and per case, as LATERAL joins (the ORM cannot write
# them): the session counts; the first and latest complete PHQ-9 and GAD-7 and
# the latest PHQ-9's item 9 (complete or not), from one read of the case's
# measures through the (referral, instrument, taken_at) index; the latest risk
# level; the open flags. `{base}` is the access-checked, filtered ORM query of
# the caseload's referrals. The window counts are taken over every matching
# case before LIMIT, so a page still knows the whole caseload's size.
CASELOAD_SQL = """
SELECT c.*, count(*) OVER () AS total_count, count(*) FILTER (WHERE c.risk_marker) OVER () AS risk_count
FROM (
    SELECT b.*, COALESCE(b.last_reviewed_at, b.opened_at) AS review_anchor,
           ss.sessions_count, ss.treatment_count,
           ms.phq9_first, ms.phq9_last, ms.phq9_band, ms.gad7_first, ms.gad7_last, ms.gad7_band,
           rk.level AS latest_risk_level, fl.open_flags,
           (COALESCE(rk.level = ANY(%(risk_levels)s), false) OR COALESCE(ms.latest_item9 > 0, false)) AS risk_marker
    FROM ({base}) b
    CROSS JOIN LATERAL (
        SELECT count(*) FILTER (WHERE s.attendance = ANY(%(attended)s)) AS sessions_count,
               count(*) FILTER (WHERE s.attendance = ANY(%(attended)s)
                                  AND s.appointment_type = ANY(%(treatment_types)s)) AS treatment_count
        FROM therapy_sessions_therapysession s
        WHERE s.referral_id = b.id
    ) ss
    CROSS JOIN LATERAL (
        SELECT a.phq9[1] AS phq9_last, a.phq9[cardinality(a.phq9)] AS phq9_first, a.phq9_band[1] AS phq9_band,
               a.gad7[1] AS gad7_last, a.gad7[cardinality(a.gad7)] AS gad7_first, a.gad7_band[1] AS gad7_band,
               a.item9[1] AS latest_item9
        FROM (
            -- Every aggregate in the same order (latest first), so the case's
            -- measures are sorted once; the first score is the array's last.
            SELECT array_agg(m.total ORDER BY m.taken_at DESC, m.id DESC)
                       FILTER (WHERE m.instrument = 'PHQ9' AND m.complete AND {counting}) AS phq9,
                   array_agg(m.band ORDER BY m.taken_at DESC, m.id DESC)
                       FILTER (WHERE m.instrument = 'PHQ9' AND m.complete AND {counting}) AS phq9_band,
                   array_agg(m.total ORDER BY m.taken_at DESC, m.id DESC)
                       FILTER (WHERE m.instrument = 'GAD7' AND m.complete AND {counting}) AS gad7,
                   array_agg(m.band ORDER BY m.taken_at DESC, m.id DESC)
                       FILTER (WHERE m.instrument = 'GAD7' AND m.complete AND {counting}) AS gad7_band,
                   array_agg(m.items[9] ORDER BY m.taken_at DESC, m.id DESC) FILTER (WHERE m.instrument = 'PHQ9')
                       AS item9
            FROM therapy_sessions_measurescore m
            WHERE m.referral_id = b.id AND m.instrument IN ('PHQ9', 'GAD7')
              -- A patient's unconfirmed answers show only through the risk marker
              -- (item 9); their totals count once confirmed (decision 027).
              AND ({counting} OR m.instrument = 'PHQ9')
        ) a
    ) ms
    LEFT JOIN LATERAL (
        SELECT r.level FROM therapy_sessions_riskassessment r
        WHERE r.referral_id = b.id
        ORDER BY r.recorded_at DESC, r.id DESC
        LIMIT 1
    ) rk ON true
    CROSS JOIN LATERAL (
        SELECT count(*) AS open_flags FROM {flags} f WHERE f.referral_id = b.id AND f.resolved_at IS NULL
    ) fl
) c
WHERE {where}
ORDER BY {order}, c.id
LIMIT %(limit)s OFFSET %(offset)s
"""


@dataclass(slots=True)
class CaseloadRow:
    """One open case as the caseload shows it (no model instance: the page
    reads 250 of these, and attribute access is all the template needs)."""

    pk: uuid.UUID
    patient_id: uuid.UUID
    family_name: str
    given_name: str
    status: str
    current_step: int | None
    problem_descriptor: str
    last_contact_on: date | None
    last_reviewed_at: datetime | None
    opened_at: datetime | None
    review_anchor: datetime | None
    sessions_count: int
    treatment_count: int
    phq9_first: int | None
    phq9_last: int | None
    phq9_band: str | None
    gad7_first: int | None
    gad7_last: int | None
    gad7_band: str | None
    latest_risk_level: str | None
    open_flags: int
    risk_marker: bool
    days_since_review: int | None = None
    record_url: str = ""  # set by the view
    session_url: str = ""  # set by the view
    next_appointment_at: datetime | None = None  # the next booking (appointments/hooks.py)

    @property
    def status_label(self) -> str:
        return _STATUS_LABELS.get(self.status, self.status)

    @property
    def problem_label(self) -> str:
        """The descriptor with its words ("F41.1 Generalised anxiety disorder"), issue 15."""
        return _PROBLEM_LABELS.get(self.problem_descriptor, self.problem_descriptor or "")

    def __getitem__(self, name: str):
        # The template engine tries `row[name]` before `row.name`; answering it
        # spares an exception per cell (a sixth of the rows' rendering time).
        try:
            return getattr(self, name)
        except AttributeError:
            raise KeyError(name) from None


_STATUS_LABELS = dict(ReferralStatus.choices)
_PROBLEM_LABELS = dict(ProblemDescriptor.choices)


@dataclass(slots=True)
class CaseloadPage:
    """A page of the caseload and what is true of the whole of it (after the
    filters): the count of cases and of cases with a risk marker."""

    rows: list[CaseloadRow]
    total: int
    risk_count: int
    page: int
    page_size: int | None  # None: every case on one page

    @property
    def pages(self) -> int:
        return 1 if not self.page_size else max(1, -(-self.total // self.page_size))

    @property
    def first(self) -> int:
        return (self.page - 1) * (self.page_size or 0) + 1 if self.rows else 0

    @property
    def last(self) -> int:
        return self.first + len(self.rows) - 1 if self.rows else 0


def _whole_score(value):
    # PHQ-9 and GAD-7 totals are whole numbers (sums of items), stored as decimals.
    return None if value is None else int(value)


def caseload_for_user(
    *,
    user: User,
    filters: dict | None = None,
    sort: str = "risk",
    page: int = 1,
    page_size: int | None = CASELOAD_PAGE_SIZE,
) -> CaseloadPage:
    """My caseload (DOMAIN.md "Who uses it"): every open case the practitioner
    holds, sorted over the whole caseload and cut into pages of `page_size`
    (None: all of them), in one query whatever the caseload's size (two for a
    page number past the end, which falls back to the first page)."""
    filters = filters or {}
    base = Referral.objects.for_caseload(user)
    if filters.get("step"):
        base = base.filter(current_step=filters["step"])
    if filters.get("problem_descriptor"):
        base = base.filter(problem_descriptor=filters["problem_descriptor"])
    if filters.get("status"):
        base = base.filter(status=filters["status"])
    base_sql, base_params = (
        base.order_by()
        .values(
            "id",
            "patient_id",
            "status",
            "current_step",
            "problem_descriptor",
            "last_contact_on",
            "last_reviewed_at",
            "opened_at",
            family_name=F("patient__family_name"),
            given_name=F("patient__given_name"),
        )
        .query.sql_with_params()
    )
    where, params = ["true"], {}
    if filters.get("risk_only"):
        where.append("c.risk_marker")
    if filters.get("overdue_only"):
        where.append("c.review_anchor < %(overdue_before)s")
        params["overdue_before"] = timezone.now() - timedelta(days=28)
    page = max(1, page)
    # The ORM's placeholders are positional; the rest of the statement names its
    # own. A literal %% in the ORM's SQL must stay %% through this formatting.
    base_sql = base_sql.replace("%%", "%%%%") % tuple(f"%(base_{n})s" for n in range(len(base_params)))
    params.update({f"base_{n}": value for n, value in enumerate(base_params)})
    params.update(
        risk_levels=list(RISK_MARKER_LEVELS),
        attended=sorted(ATTENDED),
        treatment_types=sorted(TREATMENT_APPOINTMENT_TYPES),
        limit=page_size,
        offset=(page - 1) * (page_size or 0),
    )
    sql = CASELOAD_SQL.format(
        counting=counting_scores_sql("m"),
        base=base_sql,
        flags=_flag_table(),
        where=" AND ".join(where),
        order=CASELOAD_SORTS.get(sort, CASELOAD_SORTS["risk"]),
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        names = [column.name for column in cursor.description]
        records = [dict(zip(names, values, strict=True)) for values in cursor.fetchall()]
    if not records and page > 1:  # past the last page (an old link): the first page instead
        return caseload_for_user(user=user, filters=filters, sort=sort, page=1, page_size=page_size)
    today = timezone.localdate()
    rows = []
    for record in records:
        anchor = record["review_anchor"]
        rows.append(
            CaseloadRow(
                pk=record["id"],
                patient_id=record["patient_id"],
                family_name=record["family_name"],
                given_name=record["given_name"],
                status=record["status"],
                current_step=record["current_step"],
                problem_descriptor=record["problem_descriptor"],
                last_contact_on=record["last_contact_on"],
                last_reviewed_at=record["last_reviewed_at"],
                opened_at=record["opened_at"],
                review_anchor=anchor,
                sessions_count=record["sessions_count"],
                treatment_count=record["treatment_count"],
                phq9_first=_whole_score(record["phq9_first"]),
                phq9_last=_whole_score(record["phq9_last"]),
                phq9_band=record["phq9_band"],
                gad7_first=_whole_score(record["gad7_first"]),
                gad7_last=_whole_score(record["gad7_last"]),
                gad7_band=record["gad7_band"],
                latest_risk_level=record["latest_risk_level"],
                open_flags=record["open_flags"],
                risk_marker=record["risk_marker"],
                days_since_review=None if anchor is None else (today - timezone.localdate(anchor)).days,
            )
        )
    caseload_next_appointment(rows)  # one query for the page's rows
    return CaseloadPage(
        rows=rows,
        total=records[0]["total_count"] if records else 0,
        risk_count=records[0]["risk_count"] if records else 0,
        page=page,
        page_size=page_size,
    )


def _flag_table() -> str:
    return connection.ops.quote_name(Flag._meta.db_table)
