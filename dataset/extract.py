"""The monthly extract of the IAPT Data Set v2.1: every IDB table (dataset/spec.py),
empty ones included, as one CSV file per table in a zip with a manifest.

Which rows (DOMAIN.md "The national data set"; *confirm* the cumulative rule in
the TOS): the referrals of the service open at any time in the reporting month
(received on or before its last day, not ended before its first), their
patients, and every care contact, care activity and score of those referrals up
to the month's end, so that NHS England's referral-level derivations (first,
second and last therapy session, first and last scores) can be made from the
submission alone (dataset/derivations.py).

Streamed: PostgreSQL formats every table's rows (one SELECT per table, `queries()`)
and COPY's bytes go through a fixed buffer into the zip entry, hashed and counted
on the way, so memory does not grow with the month. Python touches each row only
when a hook (the validation) must see it (docs/benchmarks.md "Case 7")."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.db import connection
from django.db.models import Q
from django.utils import timezone

from accounts.models import Service
from patients.models import Patient, PresentingProblem, Referral
from sessions.codes import ATTENDED
from sessions.models import MeasureScore, TherapySession, counting_scores_sql

from . import codes, spec

BUFFER = 1 << 20  # bytes between COPY and the zip entry
BATCH = 2000  # rows a hook is given at a time
# Deflate's fastest level: CSV of codes and ids still shrinks to about a fifth,
# at a fraction of the default level's time (docs/benchmarks.md "Case 7").
COMPRESSLEVEL = 1
MANIFEST_NAME = "manifest.json"
KINDS = ("primary", "refresh")


@dataclass(frozen=True)
class ExtractScope:
    """A provider's month: the service (its ODS code is the provider's), the
    reporting period (a calendar month) and the submission window's kind."""

    service: Service
    period_start: date
    period_end: date
    kind: str = "primary"

    @classmethod
    def for_month(cls, service: Service, year: int, month: int, kind: str = "primary") -> ExtractScope:
        """The calendar month; ValueError for a month that does not exist or an unknown kind."""
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}")
        start = date(year, month, 1)
        end = (start.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
        return cls(service=service, period_start=start, period_end=end, kind=kind)

    @property
    def end_instant(self) -> datetime:
        """The first instant after the period (Europe/London midnight)."""
        return timezone.make_aware(datetime.combine(self.period_end + timedelta(days=1), time.min))


def local_id(value) -> str:
    """A local identifier within an(20): a UUID's first 20 hex digits (80 bits),
    an integer key as it is."""
    text = value.hex if hasattr(value, "hex") else str(value)
    return text[:20]


def referrals_in(scope: ExtractScope):
    """Referrals of the service open at any time in the period."""
    return Referral.objects.filter(service=scope.service, received_on__lte=scope.period_end).filter(
        Q(ended_on__isnull=True) | Q(ended_on__gte=scope.period_start)
    )


# --- each table as one SELECT that PostgreSQL formats ---------------------------
#
# Every value leaves the server as the text the file holds: dates YYYY-MM-DD,
# times of day HH:MM:SS in Europe/London (truncated to the second), scores with
# no trailing zeros, local ids as `local_id` makes them, codes mapped by CASE
# expressions generated from dataset/codes.py. An empty value is NULL, so COPY
# writes it as nothing (COPY writes an empty string as ""). Each table may carry
# private columns (the record's own keys, for the validation report's links);
# they come first, are keys or codes (never quoted), and never reach the file.


def _table(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _column(model, field: str) -> str:
    return connection.ops.quote_name(model._meta.get_field(field).column)


def _literal(code: str) -> str:
    """A code as an SQL literal; codes are letters, digits and ':' '_' '-' only."""
    if not _CODE.fullmatch(code):
        raise ValueError(f"not a code: {code!r}")
    return f"'{code}'"


_CODE = re.compile(r"[A-Za-z0-9_:.\-]*")


def _case(expression: str, mapping: dict[str, str], default: str = "NULL") -> str:
    """CASE expression WHEN stored THEN code ... ELSE default END ('' maps to NULL)."""
    whens = " ".join(
        f"WHEN {_literal(stored)} THEN {_literal(code) if code else 'NULL'}" for stored, code in sorted(mapping.items())
    )
    return f"(CASE {expression} {whens} ELSE {default} END)" if whens else default


def _uuid_id(expression: str) -> str:
    """`local_id` of a UUID in SQL: its first 20 hex digits."""
    return f"left(replace({expression}::text, '-', ''), 20)"


def _text(expression: str) -> str:
    return f"NULLIF({expression}, '')"


def _private_code(expression: str) -> str:
    """A stored code as a private column: commas, quotes and line breaks taken out,
    so COPY never quotes it and `_Rows` can cut the private columns off at the
    first commas (a code holding one is off every list either way)."""
    return f"NULLIF(translate({expression}, ',\"' || chr(10) || chr(13), ''), '')"


def _date(expression: str) -> str:
    return f"to_char({expression}, 'YYYY-MM-DD')"


def _local_date(expression: str) -> str:
    return f"to_char({expression} AT TIME ZONE %(tz)s, 'YYYY-MM-DD')"


def _local_time(expression: str) -> str:
    return f"to_char({expression} AT TIME ZONE %(tz)s, 'HH24:MI:SS')"


def assessment_tool_sql(expression: str) -> str:
    """CodedAssToolType of an instrument code (`codes.assessment_tool`), in SQL."""
    mapping = {instrument: tool.code for instrument, tool in codes.ASSESSMENT_TOOLS.items()}
    provisional = codes.assessment_tool("").code  # the prefix of a provisional code ('LOCAL:')
    return _case(expression, mapping, f"({_literal(provisional)} || {expression})")


@dataclass(frozen=True)
class TableQuery:
    """One table's SELECT: the spec's fields in order as (name, SQL text
    expression), the private columns, and the FROM ... ORDER BY clause. Its
    parameters are the scope's (`scope_params`)."""

    fields: tuple[tuple[str, str], ...]
    private: tuple[tuple[str, str], ...]
    source: str

    def sql(self, *, private: bool = False) -> str:
        columns = [*(self.private if private else ()), *self.fields]
        return "SELECT " + ", ".join(f'{expr} AS "{name}"' for name, expr in columns) + " " + self.source


def scope_params(scope: ExtractScope) -> dict:
    return {
        "service": scope.service.pk,
        "start": scope.period_start,
        "end": scope.period_end,
        "end_instant": scope.end_instant,
        "tz": settings.TIME_ZONE,
        "ods": scope.service.ods_code,
    }


def _referrals_in_sql() -> str:
    """The ids of the referrals of the service open at any time in the period (`referrals_in`)."""
    r = Referral
    # names from the models, values as parameters
    return (
        f"SELECT {_column(r, 'id')} FROM {_table(r)} WHERE {_column(r, 'service')} = %(service)s"  # noqa: S608
        f" AND {_column(r, 'received_on')} <= %(end)s"
        f" AND ({_column(r, 'ended_on')} IS NULL OR {_column(r, 'ended_on')} >= %(start)s)"
    )


def _queries() -> dict[str, TableQuery]:
    p, r, s, m, q = Patient, Referral, TherapySession, MeasureScore, PresentingProblem

    def qc(name):
        return "q." + _column(q, name)

    def pc(name):
        return "p." + _column(p, name)

    def rc(name):
        return "r." + _column(r, name)

    def sc(name):
        return "s." + _column(s, name)

    def mc(name):
        return "m." + _column(m, name)

    patients_in = f"SELECT {_column(r, 'patient')} FROM {_table(r)} WHERE {_column(r, 'id')} IN ({_referrals_in_sql()})"  # noqa: S608
    attended = ", ".join(_literal(code) for code in sorted(ATTENDED))
    in_period = f"{rc('ended_on')} <= %(end)s"

    def per_referral(model, alias: str, condition: str) -> str:
        """FROM the period's referrals, each one's rows of `model` found by its
        index leading with the referral (OFFSET 0 keeps the planner from turning
        it into one scan of the whole table for every service)."""
        return (
            f"FROM ({_referrals_in_sql()}) AS rr CROSS JOIN LATERAL (SELECT * FROM {_table(model)} {alias}"  # noqa: S608
            f" WHERE {alias}.{_column(model, 'referral')} = rr.{_column(r, 'id')} AND {condition} OFFSET 0) AS {alias}"
        )

    sessions_from = per_referral(s, "s", f"{sc('started_at')} < %(end_instant)s")
    attended_from = per_referral(s, "s", f"{sc('started_at')} < %(end_instant)s AND {sc('attendance')} IN ({attended})")
    # Only the scores that count (sessions.models.counting_scores_sql): a patient's
    # unconfirmed pre-appointment answers are not submitted; once confirmed they
    # are the session's score (IDS607) (docs/decisions/027-questionnaires.md).
    scores_from = per_referral(
        m,
        "m",
        f"{mc('complete')} AND {mc('taken_at')} < %(end_instant)s AND {mc('total')} IS NOT NULL"
        f" AND {counting_scores_sql('m')}",
    )
    scores_order = f"ORDER BY {mc('referral')}, {mc('taken_at')}, {mc('id')}"
    return {
        "IDS001MPI": TableQuery(
            fields=(
                ("LocalPatientId", _uuid_id(pc("id"))),
                ("OrgIDLocalPatientId", "%(ods)s"),
                ("NHSNumber", _text(pc("nhs_number"))),
                ("NHSNumberStatus", f"(CASE WHEN {_text(pc('nhs_number'))} IS NOT NULL THEN '01' END)"),
                ("PersonBirthDate", _date(pc("date_of_birth"))),
                ("Postcode", _text(f"upper({pc('postcode')})")),
                ("Gender", _text(pc("sex"))),
                ("GenderIdentity", _text(pc("gender_identity"))),
                ("EthnicCategory", _text(pc("ethnicity"))),
                ("LanguageCodePreferred", _text(pc("preferred_language"))),
                ("GMPCodeReg", _text(pc("gp_practice_code"))),
            ),
            private=(("_patient", pc("id")),),
            source=(
                f"FROM {_table(p)} p WHERE {pc('id')} IN ({patients_in}) ORDER BY {pc('id')}"  # noqa: S608
            ),
        ),
        # The patient's employment status as recorded (one status per patient: the
        # product keeps the latest, not the assessment and discharge pair; decision 022).
        "IDS004EmpStatus": TableQuery(
            fields=(
                ("LocalPatientId", _uuid_id(pc("id"))),
                ("EmployStatus", _text(pc("employment_status"))),
                (
                    "EmployStatusRecDate",
                    f"coalesce({_date(pc('employment_status_recorded_on'))}, {_local_date(pc('updated_at'))})",
                ),
                # not collected (decision 022): hours worked and employment support
                ("WeekHoursWorked", "NULL"),
                ("EmpSupportReferral", "NULL"),
                ("EmpSupportDischargeDate", "NULL"),
            ),
            private=(("_patient", pc("id")),),
            source=(
                f"FROM {_table(p)} p WHERE {pc('id')} IN ({patients_in})"  # noqa: S608
                f" AND {pc('employment_status')} <> '' ORDER BY {pc('id')}"
            ),
        ),
        # One row per long-term condition (SNOMED CT) of each patient.
        "IDS602LongTermCondition": TableQuery(
            fields=(("LocalPatientId", _uuid_id(pc("id"))), ("LongTermCondition", "c.code")),
            private=(("_patient", pc("id")),),
            source=(
                f"FROM {_table(p)} p CROSS JOIN LATERAL unnest({pc('long_term_conditions')}) WITH ORDINALITY"  # noqa: S608
                f" AS c(code, n) WHERE {pc('id')} IN ({patients_in}) ORDER BY {pc('id')}, c.n"
            ),
        ),
        "IDS101Referral": TableQuery(
            fields=(
                ("ServiceRequestId", _uuid_id(rc("id"))),
                ("LocalPatientId", _uuid_id(rc("patient"))),
                ("OrgIDComm", "NULL"),
                ("ReferralRequestReceivedDate", _date(rc("received_on"))),
                ("SourceOfReferralIAPT", _text(rc("source"))),  # stored as the national code (decision 022)
                ("ServDischDate", f"(CASE WHEN {in_period} THEN {_date(rc('ended_on'))} END)"),
                ("EndCode", f"(CASE WHEN {in_period} THEN {_text(rc('end_code'))} END)"),
            ),
            private=(
                ("_referral", rc("id")),
                ("_patient", rc("patient")),
                ("_source_recorded_as", _private_code(rc("source_recorded_as"))),
                # assessed by the period's end: a referral that must have a primary problem (decision 023)
                ("_assessed", f"(CASE WHEN {rc('assessed_on')} <= %(end)s THEN '1' END)"),
            ),
            source=f"FROM {_table(r)} r WHERE {rc('id')} IN ({_referrals_in_sql()}) ORDER BY {rc('id')}",
        ),
        "IDS201CareContact": TableQuery(
            fields=(
                ("CareContactId", f"{sc('id')}::text"),
                ("ServiceRequestId", _uuid_id(sc("referral"))),
                ("CareContDate", _local_date(sc("started_at"))),
                ("CareContTime", _local_time(sc("started_at"))),
                ("AppType", _text(sc("appointment_type"))),
                ("ConsMechanismMH", _text(sc("medium"))),
                ("AttendOrDNACode", _text(sc("attendance"))),
                ("ClinContDurOfCareCont", f"{sc('duration_minutes')}::text"),
                ("LanguageCodeTreat", "NULL"),
                ("InterpreterPresentInd", "NULL"),
            ),
            private=(("_referral", sc("referral")),),
            source=f"{sessions_from} ORDER BY {sc('referral')}, {sc('started_at')}, {sc('id')}",  # noqa: S608
        ),
        # One care activity per attended contact, with the therapy type the contact
        # stores (a SNOMED CT procedure code, NULL where none was delivered), so every
        # attended contact has an activity its scores can belong to (decision 022).
        "IDS202CareActivity": TableQuery(
            fields=(
                ("CareActId", f"({sc('id')}::text || '-1')"),
                ("CareContactId", f"{sc('id')}::text"),
                ("ServiceRequestId", _uuid_id(sc("referral"))),
                ("CodeProcAndProcStatus", _text(sc("therapy_type"))),
                ("ClinContactDurOfCareAct", f"{sc('duration_minutes')}::text"),
            ),
            private=(("_referral", sc("referral")),),
            source=f"{attended_from} ORDER BY {sc('referral')}, {sc('started_at')}, {sc('id')}",
        ),
        # Every presenting problem standing (not removed as recorded in error) of the
        # extracted referrals, primary and secondary, dated up to the period's end
        # (decision 023): NHS England takes the latest primary by date itself.
        "IDS603PresentingComplaints": TableQuery(
            fields=(
                ("ServiceRequestId", _uuid_id(qc("referral"))),
                ("PresComp", qc("code")),
                ("PresCompCodSig", "'02'"),
                ("PresCompType", qc("kind")),
                ("PresCompDate", _date(qc("recorded_on"))),
            ),
            private=(("_referral", qc("referral")), ("_problem", qc("id"))),
            source=(
                f"FROM {_table(q)} q WHERE {qc('referral')} IN ({_referrals_in_sql()})"  # noqa: S608
                f" AND {qc('removed_at')} IS NULL AND {qc('recorded_on')} <= %(end)s"
                f" ORDER BY {qc('referral')}, {qc('recorded_on')}, {qc('id')}"
            ),
        ),
        "IDS606CodedScoreAssessmentRefer": TableQuery(
            fields=(
                ("ServiceRequestId", _uuid_id(mc("referral"))),
                ("CodedAssToolType", assessment_tool_sql(mc("instrument"))),
                ("PersScore", f"trim_scale({mc('total')})::text"),
                ("AssToolCompDate", _local_date(mc("taken_at"))),
                ("AssToolCompTime", _local_time(mc("taken_at"))),
            ),
            private=(("_referral", mc("referral")),),
            source=f"{scores_from} WHERE {mc('session')} IS NULL {scores_order}",
        ),
        "IDS607CodedScoreAssessmentAct": TableQuery(
            fields=(
                ("CareActId", f"({mc('session')}::text || '-1')"),
                ("ServiceRequestId", _uuid_id(mc("referral"))),
                ("CodedAssToolType", assessment_tool_sql(mc("instrument"))),
                ("PersScore", f"trim_scale({mc('total')})::text"),
            ),
            private=(("_referral", mc("referral")),),
            source=f"{scores_from} WHERE {mc('session')} IS NOT NULL {scores_order}",
        ),
    }


def header_row(scope: ExtractScope) -> dict:
    """IDS000Header's one row."""
    ods = scope.service.ods_code
    return {
        "DatSetVer": spec.DATA_SET_VERSION,
        "OrgIDProv": ods,
        "OrgIDSubmit": ods,
        "PrimSystemInUse": "Talking Therapies case management (open source)",
        "ReportingPeriodStartDate": scope.period_start.isoformat(),
        "ReportingPeriodEndDate": scope.period_end.isoformat(),
        "DateTimeDatSetCreate": timezone.localtime(timezone.now()).replace(tzinfo=None).isoformat(timespec="seconds"),
    }


# Tables the product does not collect: present, header row only.
EMPTY_TABLES = frozenset(
    {
        "IDS011SocPerCircumstances",
        "IDS105OnwardReferral",
        "IDS108WaitingTimePause",
        "IDS205InternetTherLog",
        "IDS803CareCluster",
        "IDS902Disability",
    }
)


def queries() -> dict[str, TableQuery]:
    """Every table with rows from the database, by name (the bench COPYs these same statements)."""
    found = _queries()
    for name, query in found.items():
        assert [f for f, _ in query.fields] == spec.table(name).field_names, name
    return found


assert set(_queries()) | EMPTY_TABLES | {"IDS000Header"} == set(spec.TABLES_BY_NAME), "every table has its rows"


def copy_statement(scope: ExtractScope, query: TableQuery, *, private: bool = False) -> str:
    """The COPY ... TO STDOUT statement of one table for the scope, parameters bound."""
    with connection.cursor() as cursor:
        select = cursor.mogrify(query.sql(private=private), scope_params(scope)).decode()
    return f"COPY ({select}) TO STDOUT WITH (FORMAT csv, HEADER)"


class _Entry(io.RawIOBase):
    """The bytes COPY writes (LF line ends), passed to the zip entry with CRLF line
    ends (RFC 4180, as the files have always been written) and hashed on the way."""

    def __init__(self, target):
        self.target = target
        self.sha256 = hashlib.sha256()

    def writable(self):
        return True

    def write(self, data):
        out = bytes(data).replace(b"\n", b"\r\n")
        self.sha256.update(out)
        self.target.write(out)
        return len(data)


class _Rows:
    """What COPY writes, one row per call (PostgreSQL sends each row as one
    message), when the rows also go to a hook: gathered `BATCH` rows at a time,
    stripped of their private columns on the way to the file, and given to the
    hook as dicts of strings (the spec's field names and the private keys), an
    empty value as ''."""

    def __init__(self, out, table_name: str, query: TableQuery, hook):
        self.out = out
        self.table_name = table_name
        self.k = len(query.private)
        self.names = [name for name, _ in (*query.private, *query.fields)]
        self.hook = hook
        self.header = True
        self.pending: list[bytes] = []

    def write(self, data):
        if self.header:  # the header row: the file's is its public part
            self.header = False
            self.out.write(data.split(b",", self.k)[self.k])
            return len(data)
        self.pending.append(data)
        if len(self.pending) >= BATCH:
            self.flush()
        return len(data)

    def flush(self) -> None:
        if not self.pending:
            return
        batch, self.pending = self.pending, []
        k = self.k
        self.out.write(b"".join([row.split(b",", k)[k] for row in batch]))
        text = b"".join(batch).decode("utf-8")
        if '"' in text:
            values = csv.reader(io.StringIO(text, newline=""))
        else:
            values = (line.split(",") for line in text[:-1].split("\n"))
        names = self.names
        self.hook(self.table_name, [dict(zip(names, row, strict=True)) for row in values])


def _write_table(scope, query: TableQuery, table_name: str, entry, rows_hook) -> int:
    """COPYs one table into the entry; returns its row count."""
    out = io.BufferedWriter(entry, buffer_size=BUFFER)
    with connection.cursor() as cursor:
        if rows_hook is None:
            cursor.copy_expert(copy_statement(scope, query), out)
        else:
            rows = _Rows(out, table_name, query, rows_hook)
            cursor.copy_expert(copy_statement(scope, query, private=True), rows)
            rows.flush()
        count = cursor.rowcount
    out.flush()
    out.detach()
    return count


def _write_python(entry, names: list[str], rows: list[dict], table_name: str, rows_hook) -> int:
    text = io.TextIOWrapper(entry, encoding="utf-8", newline="", write_through=True)
    writer = csv.writer(text, lineterminator="\n")  # _Entry makes it CRLF, as COPY's rows
    writer.writerow(names)
    for row in rows:
        writer.writerow([row.get(name, "") for name in names])
    text.flush()
    text.detach()
    if rows_hook is not None and rows:
        rows_hook(table_name, rows)
    return len(rows)


def write_extract(
    scope: ExtractScope,
    target,
    *,
    on_table: Callable[[str, int], None] | None = None,
    rows_hook: Callable[[str, dict], None] | None = None,
    rows_batch_hook: Callable[[str, list[dict]], None] | None = None,
    compresslevel: int = COMPRESSLEVEL,
) -> dict:
    """Writes the zip (one `<table>.csv` per IDB table, UTF-8, CRLF line ends, a
    header row of the spec's field names, dates YYYY-MM-DD, times HH:MM:SS) and its
    `manifest.json` to `target` (a path or a binary file). Returns the manifest:
    specification version, provider, period, kind, and per table its file, row
    count and SHA-256 of the file's bytes. `on_table(name, rows)` is called after
    each table (progress); `rows_hook(name, row)` sees every row as the file holds
    it (a dict of strings by field name, '' for empty, plus the private keys
    `_referral`, `_patient`, `_source_recorded_as` where the table has them);
    `rows_batch_hook(name, rows)` sees the same rows, a list of up to `BATCH` at a
    time, in file order (the validation: `Validator.rows_of`).

    PostgreSQL formats every row (`queries()`) and COPY's bytes stream through a
    1 MB buffer into the zip entry, deflated at `compresslevel`: memory does not
    grow with the month."""
    tables = []
    found = queries()
    if rows_hook is not None:
        batch_hook = rows_batch_hook

        def rows_batch_hook(name, rows):
            if batch_hook is not None:
                batch_hook(name, rows)
            for row in rows:
                rows_hook(name, row)

    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=compresslevel) as archive:
        for table in spec.TABLES:
            filename = f"{table.name}.csv"
            with archive.open(filename, "w", force_zip64=True) as raw:
                entry = _Entry(raw)
                if table.name in found:
                    count = _write_table(scope, found[table.name], table.name, entry, rows_batch_hook)
                else:
                    rows = [header_row(scope)] if table.name == "IDS000Header" else []
                    count = _write_python(entry, table.field_names, rows, table.name, rows_batch_hook)
            tables.append({"name": table.name, "file": filename, "rows": count, "sha256": entry.sha256.hexdigest()})
            if on_table is not None:
                on_table(table.name, count)
        manifest = {
            "specification": spec.SPEC_VERSION,
            "data_set_version": spec.DATA_SET_VERSION,
            "codes_version": codes.CODES_VERSION,
            "provider": scope.service.ods_code,
            "period_start": scope.period_start.isoformat(),
            "period_end": scope.period_end.isoformat(),
            "kind": scope.kind,
            "created_at": timezone.now().isoformat(timespec="seconds"),
            "tables": tables,
        }
        archive.writestr(MANIFEST_NAME, json.dumps(manifest, indent=2))
    return manifest


def read_extract(source) -> dict[str, list[dict]]:
    """The tables of a written extract as lists of dicts of strings (tests, the
    derivations, the reader of NHS England's returns). For a month's file this
    holds the month in memory: use it on test-sized data."""
    out = {}
    with zipfile.ZipFile(source) as archive:
        for table in spec.TABLES:
            with archive.open(f"{table.name}.csv") as raw:
                out[table.name] = list(csv.DictReader(io.TextIOWrapper(raw, encoding="utf-8", newline="")))
    return out
