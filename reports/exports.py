"""Record-level and report exports: streamed CSV and constant-memory XLSX.

Rows come from the outcome SELECT (reports/sql.py) through a server-side
cursor, a chunk at a time, and leave as soon as they are formatted: memory
stays flat however many referrals a period holds.

Pseudonymised by default: no names or contact details, the NHS number replaced
by a keyed hash (HMAC-SHA256 with settings.PSEUDONYMISATION_KEY, stable for a
key, so exports made with one key link up and nobody without the key can
reverse or recompute them), the date of birth reduced to the year. Every text
cell is safe from spreadsheet formula injection.
"""

from __future__ import annotations

import csv
import functools
import hashlib
import hmac
import io
from collections.abc import Callable, Iterable, Iterator
from datetime import date, datetime
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.utils import timezone

from .sql import COLUMNS, outcome_rows_sql


def _code_lists() -> dict[str, dict[str, str]]:
    """The national code lists a record row carries, code -> words (issue 15:
    a person reads the words; the export keeps the codes and adds the words)."""
    from patients.codes import EndCode, Ethnicity, ProblemDescriptor, ReferralSource, ReferralStatus, Sex

    return {
        "sex": dict(Sex.choices),
        "ethnicity": dict(Ethnicity.choices),
        "source": dict(ReferralSource.choices),
        "problem_descriptor": dict(ProblemDescriptor.choices),
        "status": dict(ReferralStatus.choices),
        "end_code": dict(EndCode.choices),
    }


CODE_LISTS = _code_lists()
LABEL_KEYS = tuple(f"{name}_label" for name in CODE_LISTS)  # after the codes, at the end of each row

CHUNK_ROWS = 2000
CSV_FLUSH_BYTES = 64 * 1024
XLSX_MAX_ROWS = 1_048_576  # Excel's limit per sheet, the header row included
# A cell starting with one of these is read as a formula by spreadsheet programs.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")

PSEUDONYMISED_KEYS = ("referral_pseudonym", "patient_pseudonym", "birth_year")
IDENTIFIABLE_KEYS = ("referral_id", "nhs_number", "given_name", "family_name", "date_of_birth")
SHARED_KEYS = tuple(c.name for c in COLUMNS if not c.internal and not c.identifiable)
KINDS = (
    {c.name: c.kind for c in COLUMNS}
    | {
        "referral_pseudonym": "text",
        "patient_pseudonym": "text",
        "birth_year": "int",
    }
    | dict.fromkeys(LABEL_KEYS, "text")
)


def safe_cell(value):
    """Text that a spreadsheet would run as a formula gets a leading quote."""
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


def pseudonymise(value: str, *, key: str | None = None, purpose: str = "nhs_number", version: str | None = None) -> str:
    """A keyed hash of an identifier: the same for the same key, unlinkable
    without it. The purpose separates hashes of different identifiers.

    Returns `v<version>-<64 hex digits>`: the key's version (settings.
    PSEUDONYMISATION_KEY_VERSION unless given) says which key made it, so two
    exports can be linked only when their versions agree (reports/keys.py)."""
    key = settings.PSEUDONYMISATION_KEY if key is None else key
    version = settings.PSEUDONYMISATION_KEY_VERSION if version is None else version
    if not key:
        raise ImproperlyConfigured("PSEUDONYMISATION_KEY is not set: exports cannot be pseudonymised.")
    digest = _keyed_hmac(key).copy()  # the keyed state is computed once per key, not once per cell
    digest.update(f"{purpose}:{value}".encode())
    return f"v{version}-{digest.hexdigest()}"


@functools.lru_cache(maxsize=8)
def _keyed_hmac(key: str):
    return hmac.new(key.encode(), digestmod=hashlib.sha256)


def headers(*, identifiable: bool) -> list[str]:
    return list((IDENTIFIABLE_KEYS if identifiable else PSEUDONYMISED_KEYS) + SHARED_KEYS + LABEL_KEYS)


def record_cells(record: dict, *, identifiable: bool, key: str | None = None) -> list:
    """One export row's values (typed: dates, numbers, booleans, text)."""
    if identifiable:
        lead = [record[k] for k in IDENTIFIABLE_KEYS]
    else:
        dob = record["date_of_birth"]
        lead = [
            pseudonymise(record["referral_id"], key=key, purpose="referral"),
            pseudonymise(record["nhs_number"], key=key),
            dob.year if dob else None,
        ]
    labels = [CODE_LISTS[name].get(record.get(name) or "", "") for name in CODE_LISTS]
    return lead + [record[k] for k in SHARED_KEYS] + labels


def iter_records(scope, *, identifiable: bool = False, chunk_size: int = CHUNK_ROWS) -> Iterator[dict]:
    """The outcome rows of a scope, one dict at a time, from a server-side
    cursor fetching chunk_size rows at once."""
    sql, params = outcome_rows_sql(
        service_id=scope.service.pk,
        team_id=scope.team.pk if scope.team else None,
        date_from=scope.date_from,
        date_to=scope.date_to,
        identifiable=identifiable,
    )
    cursor = connection.chunked_cursor()
    try:
        cursor.execute(sql, params)
        names = None
        while True:
            rows = cursor.fetchmany(chunk_size)
            if not rows:
                break
            if names is None:  # a named cursor describes its columns after the first fetch
                names = [column.name for column in cursor.description]
            for row in rows:
                yield dict(zip(names, row, strict=True))
    finally:
        cursor.close()


# Formatting by exact type, one lookup per cell: a national export writes
# about 80 million cells, where a chain of isinstance checks per cell adds up.
# Other types (datetimes, subclasses) take the general path below.
_CSV_BY_TYPE = {
    type(None): lambda value: "",
    bool: lambda value: "1" if value else "0",
    Decimal: lambda value: format(value.normalize(), "f"),
    date: date.isoformat,
    int: lambda value: str(value) if value >= 0 else safe_cell(str(value)),
    str: safe_cell,
}


def _csv_text(value) -> str:
    formatter = _CSV_BY_TYPE.get(type(value))
    if formatter is not None:
        return formatter(value)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, datetime):
        return timezone.localtime(value).isoformat() if timezone.is_aware(value) else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return safe_cell(str(value))


BOM = "\ufeff"


def csv_chunks(
    records: Iterable[dict],
    *,
    identifiable: bool,
    key: str | None = None,
    on_rows: Callable[[int], None] | None = None,
    flush_bytes: int = CSV_FLUSH_BYTES,
) -> Iterator[str]:
    """The CSV text in chunks of about flush_bytes: the UTF-8 byte-order mark,
    the header, then a row per referral. on_rows(n) is told how many rows have
    been written so far.

    The mark is what tells Excel (what service managers open) that the file is
    UTF-8; without it `Brontë` shows as `BrontÃ«` (issue 14 item 5). Every CSV
    for people comes from here: the page's download, the job's file and
    `export_audit`. Python reads it with encoding="utf-8-sig"."""
    buffer = io.StringIO()
    buffer.write(BOM)
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(headers(identifiable=identifiable))
    count = 0
    for record in records:
        writer.writerow([_csv_text(v) for v in record_cells(record, identifiable=identifiable, key=key)])
        count += 1
        if buffer.tell() >= flush_bytes:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
            if on_rows:
                on_rows(count)
    yield buffer.getvalue()
    if on_rows:
        on_rows(count)


class XlsxWriter:
    """A workbook written in xlsxwriter's constant-memory mode: each row is
    flushed to disk once the next begins, so sheets are written top to bottom,
    one after another."""

    def __init__(self, path):
        import xlsxwriter

        self.workbook = xlsxwriter.Workbook(
            str(path),
            {
                "constant_memory": True,
                "strings_to_formulas": False,
                "strings_to_urls": False,
                "strings_to_numbers": False,
                "default_date_format": "dd/mm/yyyy",
            },
        )
        self.bold = self.workbook.add_format({"bold": True})
        self.date = self.workbook.add_format({"num_format": "dd/mm/yyyy"})
        self.percent = self.workbook.add_format({"num_format": "0.0%"})
        self.sheet = None
        self.row = 0

    def add_sheet(self, name: str) -> None:
        self.sheet = self.workbook.add_worksheet(name[:31])
        self.row = 0

    def write_row(self, values: Iterable, *, bold: bool = False, percent_columns: Iterable[int] = ()) -> None:
        percent_columns = set(percent_columns)
        for col, value in enumerate(values):
            self._write(col, value, bold=bold, percent=col in percent_columns)
        self.row += 1

    def blank(self) -> None:
        self.row += 1

    def _write(self, col: int, value, *, bold: bool = False, percent: bool = False) -> None:
        sheet, row = self.sheet, self.row
        if value is None:
            return
        if isinstance(value, bool):
            sheet.write_number(row, col, 1 if value else 0)
        elif isinstance(value, int | float | Decimal):
            sheet.write_number(row, col, float(value), self.percent if percent else None)
        elif isinstance(value, datetime):
            sheet.write_datetime(row, col, timezone.localtime(value).replace(tzinfo=None), self.date)
        elif isinstance(value, date):
            sheet.write_datetime(row, col, datetime(value.year, value.month, value.day), self.date)  # noqa: DTZ001
        else:
            sheet.write_string(row, col, str(safe_cell(str(value))), self.bold if bold else None)

    def write_records(
        self,
        records: Iterable[dict],
        *,
        identifiable: bool,
        key: str | None = None,
        on_rows: Callable[[int], None] | None = None,
        every: int = CHUNK_ROWS,
        sheet_name: str = "Records",
        max_rows: int = XLSX_MAX_ROWS,
    ) -> int:
        """Record-level rows, continued on a further sheet past Excel's row limit."""
        head = headers(identifiable=identifiable)
        count = 0
        part = 1
        self.add_sheet(sheet_name)
        self.write_row(head, bold=True)
        for record in records:
            if self.row >= max_rows:
                part += 1
                self.add_sheet(f"{sheet_name} ({part})")
                self.write_row(head, bold=True)
            self.write_row(record_cells(record, identifiable=identifiable, key=key))
            count += 1
            if on_rows and count % every == 0:
                on_rows(count)
        if on_rows:
            on_rows(count)
        return count

    def close(self) -> None:
        self.workbook.close()


def write_report(writer: XlsxWriter, report, *, identifiable: bool, generated_by: str = "") -> None:
    """The service report, a sheet per section, as on the report page."""
    scope, total, rates, standards = report.scope, report.total, report.rates, report.standards
    writer.add_sheet("Summary")
    writer.write_row(["Talking Therapies service report"], bold=True)
    writer.write_row(["Service", scope.service.name])
    writer.write_row(["ODS code", scope.service.ods_code])
    writer.write_row(["Team", scope.team.name if scope.team else "All teams"])
    writer.write_row(["Period", scope.label or f"{scope.date_from:%d/%m/%Y} to {scope.date_to:%d/%m/%Y}"])
    writer.write_row(["From", scope.date_from])
    writer.write_row(["To", scope.date_to])
    writer.write_row(["Generated", timezone.localtime().strftime("%d/%m/%Y %H:%M")])
    if generated_by:
        writer.write_row(["Generated by", generated_by])
    writer.write_row(["Records", "identifiable" if identifiable else "pseudonymised (keyed hash, year of birth)"])

    writer.add_sheet("Referrals")
    writer.write_row(["Figure", "Count", "Share"], bold=True)
    writer.write_row(["Referrals received", total["received"]])
    writer.write_row(
        ["  of which self-referrals", total["self_referrals"], rates["self_referral_rate"]], percent_columns=[2]
    )
    writer.write_row(["Assessed", total["assessed"]])
    writer.write_row(["Entered treatment", total["entered_treatment"]])
    writer.write_row(["Ended", total["ended"]])
    writer.write_row(["  ended before treatment", total["ended_before_treatment"]])
    writer.write_row(["  ended after one treatment session", total["ended_treated_once"]])
    writer.write_row(["Finished a course of treatment", total["finished"]])
    writer.blank()
    writer.write_row(["Source", "Received", "Share"], bold=True)
    for row in report.sources:
        writer.write_row(
            [row["label"], row["received"], _share(row["received"], total["received"])], percent_columns=[2]
        )
    writer.blank()
    writer.write_row(["End code", "Ended", "Share"], bold=True)
    for row in report.end_codes:
        writer.write_row([row["label"], row["ended"], _share(row["ended"], total["ended"])], percent_columns=[2])
    writer.blank()
    writer.write_row(["End code group", "Ended"], bold=True)
    for row in report.end_code_groups:
        writer.write_row([row["label"], row["ended"]])

    writer.add_sheet("Waits")
    writer.write_row(["Figure", "Count", "Of", "Share", "Standard"], bold=True)
    writer.write_row(
        [
            "Finished a course, first treated within 6 weeks of referral",
            total["within_6_weeks"],
            total["finished"],
            rates["within_6_weeks_rate"],
            standards["within_6_weeks"],
        ],
        percent_columns=[3, 4],
    )
    writer.write_row(
        [
            "Finished a course, first treated within 18 weeks of referral",
            total["within_18_weeks"],
            total["finished"],
            rates["within_18_weeks_rate"],
            standards["within_18_weeks"],
        ],
        percent_columns=[3, 4],
    )
    low, high = standards["second_over_days"]
    writer.write_row(
        [
            f"First to second treatment over {low} days",
            total["second_over_28"],
            total["second_treatment"],
            rates["second_over_28_rate"],
        ],
        percent_columns=[3],
    )
    writer.write_row(
        [
            f"First to second treatment over {high} days",
            total["second_over_90"],
            total["second_treatment"],
            rates["second_over_90_rate"],
        ],
        percent_columns=[3],
    )
    writer.write_row(
        [
            f"Open and treated, no treatment contact for over {standards['no_contact_days']} days",
            total["open_no_contact"],
            total["open_treated"],
            rates["open_no_contact_rate"],
        ],
        percent_columns=[3],
    )

    writer.add_sheet("Outcomes")
    writer.write_row(["Figure", "Count", "Of", "Rate", "National standard"], bold=True)
    writer.write_row(["Finished a course of treatment", total["finished"]])
    writer.write_row(["  not at caseness at the start (by first scores)", total["not_caseness"], total["finished"]])
    writer.write_row(
        [
            "  data quality: finished without paired scores",
            total["finished_unpaired"],
            total["finished"],
            rates["finished_unpaired_rate"],
        ],
        percent_columns=[3],
    )
    writer.write_row(
        ["Recovered", total["recovered"], rates["at_caseness"], rates["recovery_rate"], standards["recovery_rate"]],
        percent_columns=[3, 4],
    )
    writer.write_row(
        [
            "Reliable improvement",
            total["reliably_improved"],
            total["finished"],
            rates["reliable_improvement_rate"],
            _standard_text(standards["reliable_improvement_rate"]),
        ],
        percent_columns=[3],
    )
    writer.write_row(
        [
            "Reliable recovery",
            total["reliably_recovered"],
            rates["at_caseness"],
            rates["reliable_recovery_rate"],
            _standard_text(standards["reliable_recovery_rate"]),
        ],
        percent_columns=[3],
    )
    writer.write_row(
        [
            "Reliable deterioration",
            total["reliably_deteriorated"],
            total["finished"],
            rates["reliable_deterioration_rate"],
        ],
        percent_columns=[3],
    )
    writer.write_row(["No change", total["no_change"], total["finished"], rates["no_change_rate"]], percent_columns=[3])

    activity = report.activity
    writer.add_sheet("Activity")
    writer.write_row(["Figure", "Count", "Of", "Share"], bold=True)
    writer.write_row(
        ["Did not attend", activity["dna"], activity["expected"], activity["dna_rate"]], percent_columns=[3]
    )
    writer.write_row(["Step-ups (confirmed)", activity["step_ups"]])
    writer.write_row(
        [
            "Treatment sessions at step 2",
            activity["step2_treatment"],
            activity["treatment_sessions"],
            activity["step2_share"],
        ],
        percent_columns=[3],
    )
    writer.write_row(
        [
            "Treatment sessions at step 2 by PWPs",
            activity["step2_pwp_treatment"],
            activity["treatment_sessions"],
            activity["step2_pwp_share"],
        ],
        percent_columns=[3],
    )

    writer.add_sheet("Caseload and supervision")
    writer.write_row(
        [
            "Practitioner",
            "Role",
            "Open cases",
            "Capacity",
            "Load",
            "Reviewed within 28 days",
            "Overdue review",
            "Patients helped in the year",
            "Expected in the year",
        ],
        bold=True,
    )
    for row in report.staff.rows:
        writer.write_row(
            [
                row.user.get_full_name() or row.user.username,
                KIND_LABELS[row.kind],
                row.open_cases,
                row.capacity,
                row.load,
                row.reviewed_in_time,
                row.overdue_reviews,
                row.patients_helped_year,
                row.expected_helped_year,
            ],
            percent_columns=[4],
        )
    supervision = report.supervision
    writer.blank()
    writer.write_row(
        [
            "PWP open cases reviewed within 28 days",
            supervision["reviewed_in_time"],
            supervision["open_cases"],
            supervision["rate"],
        ],
        percent_columns=[3],
    )

    workforce = report.workforce
    writer.add_sheet("Workforce")
    writer.write_row(["Group", "Headcount"], bold=True)
    for kind, count in workforce["counts"].items():
        writer.write_row([KIND_LABELS[kind], count])
    writer.blank()
    writer.write_row(["Measure", "Value", "Guide"], bold=True)
    writer.write_row(
        ["PWP share of PWP + high-intensity", workforce["pwp_share"], workforce["pwp_share_guide"]],
        percent_columns=[1, 2],
    )
    writer.write_row(
        [
            "Trainees per qualified practitioner",
            workforce["trainees_per_qualified"],
            workforce["trainees_per_qualified_guide"],
        ]
    )
    writer.write_row(
        [
            "Patients helped per qualified PWP in the year",
            workforce["helped_per_qualified_pwp"],
            workforce["helped_guide"],
        ]
    )

    writer.add_sheet("Equality")
    for title, key in (("Age at referral", "age_band"), ("Sex", "sex"), ("Ethnic group", "ethnic_group")):
        writer.write_row(
            [title, "Referrals", "Share", "Entered treatment", "Finished", "Recovered", "Recovery rate"], bold=True
        )
        for row in report.equality[key]:
            writer.write_row(
                [
                    row["label"],
                    row["received"],
                    _share(row["received"], total["received"]),
                    row["entered_treatment"],
                    row["finished"],
                    row["recovered"],
                    row["recovery_rate"],
                ],
                percent_columns=[2, 6],
            )
        writer.blank()

    writer.add_sheet("Trend")
    writer.write_row(
        [
            "Month",
            "Referrals",
            "Entered treatment",
            "Finished courses: first treated within 6 weeks",
            "Finished courses: first treated within 18 weeks",
            "Finished treatment",
            "Recovery rate",
        ],
        bold=True,
    )
    for month in report.trend:
        writer.write_row(
            [
                month["label"],
                month["received"],
                month["entered_treatment"],
                month["within_6_weeks"],
                month["within_18_weeks"],
                month["finished"],
                month["recovery_rate"],
            ],
            percent_columns=[3, 4, 6],
        )


def write_code_lists(writer: XlsxWriter) -> None:
    """A sheet of the national code lists the records use, code beside its words (issue 15)."""
    writer.add_sheet("Code lists")
    writer.write_row(["Column", "Code", "Meaning"], bold=True)
    for name, codes in CODE_LISTS.items():
        for code, label in codes.items():
            writer.write_row([name, code, label])


KIND_LABELS = {
    "pwp_trainee": "PWP trainee",
    "pwp_qualified": "PWP (qualified)",
    "pwp_senior": "Senior PWP",
    "supervisor": "Supervisor",
    "hit": "High-intensity therapist",
    "hit_trainee": "High-intensity trainee",
}


def _share(part, whole):
    return part / whole if whole else None


def _standard_text(value) -> str:
    if isinstance(value, tuple):
        return f"{value[0]:.0%} to {value[1]:.0%} (ambition)"
    return f"{value:.0%}"
