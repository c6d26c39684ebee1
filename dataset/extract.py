"""The monthly extract of the IAPT Data Set v2.1: every IDB table (dataset/spec.py),
empty ones included, as one CSV file per table in a zip with a manifest.

Which rows (DOMAIN.md "The national data set"; *confirm* the cumulative rule in
the TOS): the referrals of the service open at any time in the reporting month
(received on or before its last day, not ended before its first), their
patients, and every care contact, care activity and score of those referrals up
to the month's end, so that NHS England's referral-level derivations (first,
second and last therapy session, first and last scores) can be made from the
submission alone (dataset/derivations.py).

Streamed: every table is read with a server-side cursor in chunks and written
row by row into the zip, so memory does not grow with the month."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db.models import Q
from django.utils import timezone

from accounts.models import Service
from patients.models import Patient, Referral
from sessions.codes import ATTENDED
from sessions.models import MeasureScore, TherapySession

from . import codes, spec

CHUNK = 5000
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


def _local(instant: datetime) -> datetime:
    return timezone.localtime(instant)


def _fmt(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds")
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    return str(value)


# --- rows of each table, as dicts keyed by the spec's field names ---------------


def rows_header(scope: ExtractScope) -> Iterator[dict]:
    ods = scope.service.ods_code
    yield {
        "DatSetVer": spec.DATA_SET_VERSION,
        "OrgIDProv": ods,
        "OrgIDSubmit": ods,
        "PrimSystemInUse": "Talking Therapies case management (open source)",
        "ReportingPeriodStartDate": scope.period_start,
        "ReportingPeriodEndDate": scope.period_end,
        "DateTimeDatSetCreate": _local(timezone.now()).replace(microsecond=0, tzinfo=None),
    }


def _patients(scope: ExtractScope):
    return (
        Patient.objects.filter(pk__in=referrals_in(scope).values("patient_id"))
        .order_by("pk")
        .values_list(
            "pk", "nhs_number", "date_of_birth", "postcode", "sex", "ethnicity", "gp_practice_code", "gender_identity"
        )
    )


def rows_patients(scope: ExtractScope) -> Iterator[dict]:
    ods = scope.service.ods_code
    for pk, nhs_number, born, postcode, sex, ethnicity, gp, _identity in _patients(scope).iterator(chunk_size=CHUNK):
        yield {
            "LocalPatientId": local_id(pk),
            "OrgIDLocalPatientId": ods,
            "NHSNumber": nhs_number,
            "NHSNumberStatus": "01" if nhs_number else "",
            "PersonBirthDate": born,
            "Postcode": (postcode or "").upper(),
            "Gender": sex,
            # Gender identity is stored as free text, not the national code: left
            # empty and counted by the data-quality page.
            "GenderIdentity": "",
            "EthnicCategory": ethnicity,
            "LanguageCodePreferred": "",
            "GMPCodeReg": gp,
            "_patient": pk,
        }


def _referrals(scope: ExtractScope):
    return (
        referrals_in(scope)
        .order_by("pk")
        .values_list("pk", "patient_id", "received_on", "source", "ended_on", "end_code")
    )


def rows_referrals(scope: ExtractScope) -> Iterator[dict]:
    for pk, patient_id, received, source, ended, end_code in _referrals(scope).iterator(chunk_size=CHUNK):
        national, _exact = codes.source_of_referral(source)
        in_period = ended is not None and ended <= scope.period_end
        yield {
            "ServiceRequestId": local_id(pk),
            "LocalPatientId": local_id(patient_id),
            "OrgIDComm": "",
            "ReferralRequestReceivedDate": received,
            "SourceOfReferralIAPT": national,
            "ServDischDate": ended if in_period else None,
            "EndCode": end_code if in_period else "",
            "_referral": pk,
            "_patient": patient_id,
            "_source": source,
        }


def _sessions(scope: ExtractScope):
    return (
        TherapySession.objects.filter(referral__in=referrals_in(scope), started_at__lt=scope.end_instant)
        .order_by("referral_id", "started_at", "pk")
        .values_list(
            "pk",
            "referral_id",
            "started_at",
            "appointment_type",
            "medium",
            "attendance",
            "duration_minutes",
            "interventions",
        )
    )


def rows_contacts(scope: ExtractScope) -> Iterator[dict]:
    for pk, referral_id, started, app_type, medium, attendance, minutes, _interventions in _sessions(scope).iterator(
        chunk_size=CHUNK
    ):
        local = _local(started)
        yield {
            "CareContactId": local_id(pk),
            "ServiceRequestId": local_id(referral_id),
            "CareContDate": local.date(),
            "CareContTime": local.time().replace(microsecond=0),
            "AppType": app_type,
            "ConsMechanismMH": medium,
            "AttendOrDNACode": attendance,
            "ClinContDurOfCareCont": minutes,
            "LanguageCodeTreat": "",
            "InterpreterPresentInd": "",
            "_referral": referral_id,
        }


def care_activity_id(session_pk, n: int = 1) -> str:
    """The n-th care activity of a contact; scores hang on the first."""
    return f"{session_pk}-{n}"


def rows_activities(scope: ExtractScope) -> Iterator[dict]:
    """One care activity per intervention delivered at an attended contact (one,
    with no therapy type, where none was recorded), so every attended contact has
    an activity its scores can belong to."""
    for pk, referral_id, _started, _type, _medium, attendance, minutes, interventions in _sessions(scope).iterator(
        chunk_size=CHUNK
    ):
        if attendance not in ATTENDED:
            continue
        therapy_codes = [codes.therapy_type(i)[0] for i in interventions] or [""]
        for n, code in enumerate(therapy_codes, start=1):
            yield {
                "CareActId": care_activity_id(pk, n),
                "CareContactId": local_id(pk),
                "ServiceRequestId": local_id(referral_id),
                "CodeProcAndProcStatus": code,
                "ClinContactDurOfCareAct": minutes if n == 1 else None,
                "_referral": referral_id,
                "_intervention": interventions[n - 1] if interventions else "",
            }


def _problems(scope: ExtractScope):
    return (
        referrals_in(scope)
        .exclude(problem_descriptor="")
        .order_by("pk")
        .values_list("pk", "problem_descriptor", "assessed_on", "received_on")
    )


def rows_presenting_complaints(scope: ExtractScope) -> Iterator[dict]:
    for pk, descriptor, assessed, received in _problems(scope).iterator(chunk_size=CHUNK):
        yield {
            "ServiceRequestId": local_id(pk),
            "PresComp": descriptor,
            "PresCompCodSig": "02",
            "PresCompType": "P",
            "PresCompDate": assessed or received,
            "_referral": pk,
        }


def _scores(scope: ExtractScope):
    return (
        # Only the scores that count (sessions.models.counting_scores_sql): a patient's
        # unconfirmed pre-appointment answers are not submitted; once confirmed they
        # are the session's score (IDS607) (docs/decisions/027-questionnaires.md).
        MeasureScore.objects.counting()
        .filter(referral__in=referrals_in(scope), complete=True, taken_at__lt=scope.end_instant, total__isnull=False)
        .order_by("referral_id", "taken_at", "pk")
        .values_list("session_id", "referral_id", "instrument", "total", "taken_at")
    )


def rows_scores_at_activity(scope: ExtractScope) -> Iterator[dict]:
    for session_id, referral_id, instrument, total, _taken in _scores(scope).iterator(chunk_size=CHUNK):
        if session_id is None:
            continue
        yield {
            "CareActId": care_activity_id(session_id),
            "ServiceRequestId": local_id(referral_id),
            "CodedAssToolType": codes.assessment_tool(instrument).code,
            "PersScore": total,
            "_referral": referral_id,
            "_instrument": instrument,
        }


def rows_scores_outside_contact(scope: ExtractScope) -> Iterator[dict]:
    for session_id, referral_id, instrument, total, taken in _scores(scope).iterator(chunk_size=CHUNK):
        if session_id is not None:
            continue
        local = _local(taken)
        yield {
            "ServiceRequestId": local_id(referral_id),
            "CodedAssToolType": codes.assessment_tool(instrument).code,
            "PersScore": total,
            "AssToolCompDate": local.date(),
            "AssToolCompTime": local.time().replace(microsecond=0),
            "_referral": referral_id,
            "_instrument": instrument,
        }


def _none(scope: ExtractScope) -> Iterator[dict]:
    return iter(())


ROWS: dict[str, Callable[[ExtractScope], Iterable[dict]]] = {
    "IDS000Header": rows_header,
    "IDS001MPI": rows_patients,
    "IDS004EmpStatus": _none,  # employment status is not yet recorded by the product
    "IDS011SocPerCircumstances": _none,
    "IDS101Referral": rows_referrals,
    "IDS105OnwardReferral": _none,
    "IDS108WaitingTimePause": _none,
    "IDS201CareContact": rows_contacts,
    "IDS202CareActivity": rows_activities,
    "IDS205InternetTherLog": _none,
    "IDS602LongTermCondition": _none,
    "IDS603PresentingComplaints": rows_presenting_complaints,
    "IDS606CodedScoreAssessmentRefer": rows_scores_outside_contact,
    "IDS607CodedScoreAssessmentAct": rows_scores_at_activity,
    "IDS803CareCluster": _none,
    "IDS902Disability": _none,
}
assert set(ROWS) == set(spec.TABLES_BY_NAME), "every table of the specification has its rows"


# The database reads behind the tables (the benchmark COPYs the same rows as its reference).
QUERIES = {
    "IDS001MPI": _patients,
    "IDS101Referral": _referrals,
    "IDS201CareContact": _sessions,
    "IDS202CareActivity": _sessions,
    "IDS603PresentingComplaints": _problems,
    "IDS606CodedScoreAssessmentRefer": _scores,
    "IDS607CodedScoreAssessmentAct": _scores,
}


class _HashingWriter(io.RawIOBase):
    """Passes bytes to the zip entry and hashes them on the way."""

    def __init__(self, target):
        self.target = target
        self.sha256 = hashlib.sha256()

    def writable(self):
        return True

    def write(self, data):
        self.sha256.update(data)
        return self.target.write(data)


def iter_rows(scope: ExtractScope, table_name: str) -> Iterator[tuple[dict, dict]]:
    """(raw row, row in the spec's field order) for each row of one table. The raw
    row may carry keys beginning with '_' (the record's own keys, for links from
    the validation report); they never reach the file."""
    names = spec.table(table_name).field_names
    for row in ROWS[table_name](scope):
        yield row, {name: row.get(name) for name in names}


def write_extract(
    scope: ExtractScope, target, *, on_table: Callable[[str, int], None] | None = None, rows_hook=None
) -> dict:
    """Writes the zip (one `<table>.csv` per IDB table, UTF-8, a header row of the
    spec's field names, dates YYYY-MM-DD, times HH:MM:SS) and its `manifest.json`
    to `target` (a path or a binary file). Returns the manifest: specification
    version, provider, period, kind, and per table its file, row count and
    SHA-256. `on_table(name, rows)` is called after each table (progress);
    `rows_hook(name, row)` sees every row as it is written (validation)."""
    tables = []
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for table in spec.TABLES:
            filename = f"{table.name}.csv"
            count = 0
            with archive.open(filename, "w", force_zip64=True) as entry:
                hashing = _HashingWriter(entry)
                text = io.TextIOWrapper(hashing, encoding="utf-8", newline="", write_through=True)
                writer = csv.writer(text, lineterminator="\r\n")
                writer.writerow(table.field_names)
                for raw, row in iter_rows(scope, table.name):
                    if rows_hook is not None:
                        rows_hook(table.name, raw)
                    writer.writerow([_fmt(v) for v in row.values()])
                    count += 1
                text.flush()
                text.detach()
            tables.append({"name": table.name, "file": filename, "rows": count, "sha256": hashing.sha256.hexdigest()})
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
