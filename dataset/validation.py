"""Validation of the monthly extract before it leaves (DOMAIN.md "The national data
set"): the data set's rules run over the rows as they are written, in one pass.

- errors block the submission: a mandatory field empty, a value off its code
  list, an NHS number failing its check, dates out of order (date of birth <=
  referral <= contacts <= discharge, presenting problems too), an end code that
  contradicts the contacts, a referral with two primary problems on its latest
  primary's date (no single current one), a score out of its range, a
  score whose care activity is missing;
- warnings do not block: a stored value mapped to the nearest national code, a
  code or field still to confirm in the TOS, a missing optional field, an
  assessed referral with no primary presenting problem.

Each finding names the record (the table and its local id) and carries the
record's own key so the page links to where it is fixed. Plain Python over
dicts: no Django imports, so the rules are tested as functions."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date

from patients import nhs_number
from sessions import measures
from sessions.codes import ATTENDED, TREATMENT_APPOINTMENT_TYPES

from . import codes, spec

ERROR, WARNING = "error", "warning"
MAX_FINDINGS_PER_RULE = 200  # the page lists at most this many per rule; the count is always whole

PRIMARY = "P"  # IDS603 PresCompType of a primary problem (dataset/spec.py)

SEEN_AND_TREATED = {"46", "47", "48", "49"}
SEEN_NOT_TREATED = {"10", "11", "12", "13", "14", "16", "17"}
NOT_SEEN = {"50"}


@dataclass(frozen=True)
class Finding:
    severity: str
    rule: str
    table: str
    record: str  # the table's local id of the record
    message: str
    referral: str = ""  # the product's referral key, for the link to fix it
    patient: str = ""  # the product's patient key


@dataclass
class Report:
    findings: list[Finding] = field(default_factory=list)
    counts: Counter = field(default_factory=Counter)  # (severity, rule) -> how many
    completeness: dict[str, list[int]] = field(default_factory=dict)  # "Table.Field" -> [filled, rows]

    @property
    def errors(self) -> int:
        return sum(n for (severity, _), n in self.counts.items() if severity == ERROR)

    @property
    def warnings(self) -> int:
        return sum(n for (severity, _), n in self.counts.items() if severity == WARNING)

    @property
    def blocks_submission(self) -> bool:
        return self.errors > 0

    def as_dict(self) -> dict:
        return {
            "errors": self.errors,
            "warnings": self.warnings,
            "counts": [{"severity": s, "rule": r, "count": n} for (s, r), n in sorted(self.counts.items(), key=str)],
            "findings": [f.__dict__ for f in self.findings],
            "completeness": {k: {"filled": v[0], "rows": v[1]} for k, v in sorted(self.completeness.items())},
        }


def _as_date(value) -> date | None:
    if value in (None, ""):
        return None
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def _filled(value) -> bool:
    return value not in (None, "")


# Fields whose completeness NHS England's data-quality reports measure
# (DOMAIN.md "Data quality as NHS England reports it"), as "Table.Field".
QUALITY_FIELDS = {
    "NHS number": "IDS001MPI.NHSNumber",
    "Postcode": "IDS001MPI.Postcode",
    "Gender": "IDS001MPI.Gender",
    "Ethnicity": "IDS001MPI.EthnicCategory",
    "GP practice": "IDS001MPI.GMPCodeReg",
    "Source of referral": "IDS101Referral.SourceOfReferralIAPT",
    "Appointment type": "IDS201CareContact.AppType",
    "Therapy type": "IDS202CareActivity.CodeProcAndProcStatus",
    "End code": "IDS101Referral.EndCode",
}


def _plan(f: spec.Field) -> tuple:
    """How `_shape` checks a field: the code list as a set where membership is the
    whole rule (`codes.is_valid`), else its name."""
    code_list = f.codes
    code_set = set(codes.CODE_LISTS[code_list]) if code_list in codes.CODE_LISTS and code_list not in _RULED else None
    return (f.name, f.mandatory, f.length if f.type == spec.TEXT else None, code_set, code_list)


_RULED = {"presenting_complaint", "assessment_tool"}  # lists codes.is_valid decides by a rule, not membership


def _off_list(code_list: str, values: set[str]) -> set[str]:
    """The values `codes.is_valid` rejects."""
    return {value for value in values if not codes.is_valid(code_list, value)}


class Validator:
    """Feed it every row as the extract writes it (`rows_of(table, rows)`, or
    `row(table, row)` one at a time), then call `finish()` for the cross-record
    rules and the report."""

    def __init__(self) -> None:
        self.report = Report()
        self.birth: dict[str, date | None] = {}
        self.referrals: dict[str, dict] = {}
        self.contacts: dict[str, dict] = defaultdict(
            lambda: {"first": None, "last": None, "attended": 0, "treatment": 0}
        )
        self.activities: set[str] = set()
        self.primary_problems: Counter = Counter()  # (referral, date) -> primaries on that date
        self.latest_primary: dict[str, date] = {}
        self.unconfirmed_tools: Counter = Counter()
        self.unconfirmed_codes: Counter = Counter()  # (table, code list, code) -> rows
        self.inexact_sources: Counter = Counter()
        self.rows: Counter = Counter()
        # Per table, once: each field's (name, mandatory, length to check, code
        # set or None, code list name) and how many rows had it filled.
        self.plans = {t.name: [_plan(f) for f in t.fields] for t in spec.TABLES}
        self.filled = {t.name: [0] * len(t.fields) for t in spec.TABLES}
        # The table's own rules as plain functions: bound methods kept on self would
        # make a reference cycle, and a validator's state would wait for the cyclic
        # garbage collector instead of going when the build drops it.
        self.handlers = {t.name: getattr(type(self), "_" + t.name, None) for t in spec.TABLES}
        self.tools: dict[str, tuple | None] = {}

    # -- helpers ---------------------------------------------------------------

    def add(self, severity, rule, table, record, message, *, referral="", patient="") -> None:
        self.report.counts[(severity, rule)] += 1
        if self.report.counts[(severity, rule)] <= MAX_FINDINGS_PER_RULE:
            self.report.findings.append(
                Finding(severity, rule, table, record, message, str(referral or ""), str(patient or ""))
            )

    def _shape(self, table: spec.Table, row: dict, record: str, keys: dict) -> None:
        """The field rules over one row (completeness is counted by `rows_of`)."""
        for name, mandatory, length, code_set, code_list in self.plans[table.name]:
            value = row.get(name)
            if value is None or value == "":
                if mandatory:
                    self.add(ERROR, "mandatory", table.name, record, f"{name} is mandatory and empty", **keys)
                continue
            text = value if type(value) is str else str(value)
            if length and len(text) > length:
                self.add(ERROR, "length", table.name, record, f"{name} is longer than {length} characters", **keys)
            if code_list and (text not in code_set if code_set is not None else not codes.is_valid(code_list, text)):
                self.add(ERROR, "code_list", table.name, record, f"{name} '{text}' is not a national code", **keys)

    # -- rows --------------------------------------------------------------------

    def row(self, table_name: str, row: dict) -> None:
        """One row of a table (a dict by the spec's field names, plus the private
        keys `_referral`, `_patient` ... where the table has them)."""
        self.rows_of(table_name, [row])

    def rows_of(self, table_name: str, rows: list[dict]) -> None:
        """Rows of one table in file order: the same findings, in the same order,
        as `row` for each. Each field is checked a column at a time; a row goes
        through the field-by-field check only when its column shows a fault."""
        if not rows:
            return
        table = spec.TABLES_BY_NAME[table_name]
        self.rows[table_name] += len(rows)
        filled = self.filled[table_name]
        faulty: set[int] = set()
        for i, (name, mandatory, length, code_set, code_list) in enumerate(self.plans[table_name]):
            column = [row.get(name) for row in rows]
            empty = column.count(None) + column.count("")
            filled[i] += len(column) - empty
            if empty and mandatory:
                faulty.update(j for j, value in enumerate(column) if value is None or value == "")
            present = set(column)
            present.discard(None)
            present.discard("")
            if not present:
                continue
            texts = {value if type(value) is str else str(value) for value in present}
            wrong = set()
            if length and max(map(len, texts)) > length:
                wrong.update(text for text in texts if len(text) > length)
            if code_list:
                wrong.update(texts - code_set if code_set is not None else _off_list(code_list, texts))
                if code_list != "assessment_tool":  # provisional tool codes are counted per instrument
                    unconfirmed = {text for text in texts - wrong if not codes.is_confirmed(code_list, text)}
                    for value in column:
                        if value is not None and str(value) in unconfirmed:
                            self.unconfirmed_codes[(table_name, code_list, str(value))] += 1
            if wrong:
                faulty.update(j for j, value in enumerate(column) if value is not None and str(value) in wrong)
        first = table.fields[0].name
        handler = self.handlers.get(table_name)
        for j, row in enumerate(rows):
            record = str(row.get(first, ""))
            keys = {"referral": row.get("_referral", ""), "patient": row.get("_patient", "")}
            if j in faulty:
                self._shape(table, row, record, keys)
            if handler is not None:
                handler(self, row, record, keys)

    def _IDS001MPI(self, row, record, keys):
        number = row.get("NHSNumber") or ""
        if number and not nhs_number.is_valid(number):
            self.add(ERROR, "nhs_number", "IDS001MPI", record, "NHS number fails the modulus 11 check", **keys)
        self.birth[record] = _as_date(row.get("PersonBirthDate"))

    def _IDS101Referral(self, row, record, keys):
        received = _as_date(row.get("ReferralRequestReceivedDate"))
        discharged = _as_date(row.get("ServDischDate"))
        born = self.birth.get(str(row.get("LocalPatientId")))
        if born and received and received < born:
            # fixed on the patient (the date of birth), so the link goes there
            self.add(
                ERROR,
                "date_order",
                "IDS101Referral",
                record,
                "referral received before the patient's date of birth",
                patient=keys["patient"],
            )
        if received and discharged and discharged < received:
            self.add(
                ERROR, "date_order", "IDS101Referral", record, "discharge before the referral was received", **keys
            )
        if discharged and not row.get("EndCode"):
            self.add(ERROR, "end_code", "IDS101Referral", record, "discharged with no end code", **keys)
        recorded_as = row.get("_source_recorded_as")
        if recorded_as:
            # decision 022: a local source the migration could only give the nearest code
            self.inexact_sources[recorded_as] += 1
            self.add(
                WARNING,
                "source_mapped",
                "IDS101Referral",
                record,
                f"source recorded as '{recorded_as}' is sent as the nearest national code"
                f" {row.get('SourceOfReferralIAPT')}: record the exact source",
                **keys,
            )
        self.referrals[record] = {
            "received": received,
            "discharged": discharged,
            "end_code": row.get("EndCode"),
            "assessed": bool(row.get("_assessed")),
            **keys,
        }

    def _IDS201CareContact(self, row, record, keys):
        referral = str(row.get("ServiceRequestId"))
        day = _as_date(row.get("CareContDate"))
        known = self.referrals.get(referral)
        if known is None:
            self.add(ERROR, "reference", "IDS201CareContact", record, "contact of a referral not in IDS101", **keys)
            return
        if day and known["received"] and day < known["received"]:
            self.add(
                ERROR, "date_order", "IDS201CareContact", record, "contact before the referral was received", **keys
            )
        if day and known["discharged"] and day > known["discharged"]:
            self.add(ERROR, "date_order", "IDS201CareContact", record, "contact after the discharge date", **keys)
        state = self.contacts[referral]
        state["first"] = min(filter(None, (state["first"], day)), default=None)
        state["last"] = max(filter(None, (state["last"], day)), default=None)
        if row.get("AttendOrDNACode") in ATTENDED:
            state["attended"] += 1
            if row.get("AppType") in TREATMENT_APPOINTMENT_TYPES:
                state["treatment"] += 1

    def _IDS202CareActivity(self, row, record, keys):
        self.activities.add(record)

    def _IDS603PresentingComplaints(self, row, record, keys):
        """Rows are dated: the latest primary counts (DOMAIN.md), so two primaries
        are history, not an error; two on the referral's latest primary date
        leave no single current primary (an error), checked in finish()."""
        day = _as_date(row.get("PresCompDate"))
        known = self.referrals.get(record)
        if known is not None and day is not None:
            if known["received"] and day < known["received"]:
                self.add(
                    ERROR,
                    "date_order",
                    "IDS603PresentingComplaints",
                    record,
                    "presenting problem dated before the referral was received",
                    **keys,
                )
            if known["discharged"] and day > known["discharged"]:
                self.add(
                    ERROR,
                    "date_order",
                    "IDS603PresentingComplaints",
                    record,
                    "presenting problem dated after the discharge date",
                    **keys,
                )
        if row.get("PresCompType") == PRIMARY and day is not None:
            self.primary_problems[(record, day)] += 1
            latest = self.latest_primary.get(record)
            if latest is None or day > latest:
                self.latest_primary[record] = day

    def _current_primary(self, record: str, referral: dict, keys: dict) -> None:
        """Exactly one current primary problem for a referral that has had an
        assessment (DOMAIN.md "The national data set": one primary problem, the
        latest counting). Two on the latest date is an error: which one counts
        cannot be told. None is a warning: NHS England measures the problem's
        completeness in its data-quality reports rather than rejecting the
        referral (DOMAIN.md "Data quality as NHS England reports it")."""
        latest = self.latest_primary.get(record)
        if latest is not None:
            if self.primary_problems[(record, latest)] > 1:
                self.add(
                    ERROR,
                    "one_primary",
                    "IDS603PresentingComplaints",
                    record,
                    f"more than one primary problem dated {latest:%d/%m/%Y}: which one counts cannot be told",
                    **keys,
                )
        elif referral.get("assessed"):
            self.add(
                WARNING,
                "no_primary",
                "IDS603PresentingComplaints",
                record,
                "assessed with no primary presenting problem recorded",
                **keys,
            )

    def _tool(self, tool: str) -> tuple | None:
        """(instrument, confirmed, highest score or None) of a tool code, once per code."""
        if tool not in self.tools:
            instrument = codes.instrument_for_tool(tool)
            self.tools[tool] = (
                None
                if instrument is None
                else (
                    instrument,
                    codes.assessment_tool(instrument).confirmed,
                    measures.instrument(instrument).max_total if instrument in measures.INSTRUMENTS else None,
                )
            )
        return self.tools[tool]

    def _score(self, table, row, record, keys):
        known = self._tool(str(row.get("CodedAssToolType") or ""))
        if known is None:
            return
        instrument, confirmed, highest = known
        if not confirmed:
            self.unconfirmed_tools[instrument] += 1
        try:
            score = float(row.get("PersScore"))
        except (TypeError, ValueError):
            self.add(ERROR, "score_range", table, record, "score is not a number", **keys)
            return
        if highest is not None and not 0 <= score <= highest:
            self.add(ERROR, "score_range", table, record, f"{instrument} score {score:g} out of range", **keys)

    def _IDS606CodedScoreAssessmentRefer(self, row, record, keys):
        self._score("IDS606CodedScoreAssessmentRefer", row, record, keys)

    def _IDS607CodedScoreAssessmentAct(self, row, record, keys):
        if record not in self.activities:
            self.add(
                ERROR, "reference", "IDS607CodedScoreAssessmentAct", record, "score of a missing care activity", **keys
            )
        self._score("IDS607CodedScoreAssessmentAct", row, record, keys)

    # -- cross-record rules and the report ----------------------------------------

    def finish(self) -> Report:
        for table in spec.TABLES:
            if self.rows[table.name]:
                for f, filled in zip(table.fields, self.filled[table.name], strict=True):
                    self.report.completeness[f"{table.name}.{f.name}"] = [filled, self.rows[table.name]]
        for record, referral in self.referrals.items():
            code = referral["end_code"] or ""
            state = self.contacts.get(record, {"attended": 0, "treatment": 0, "last": None})
            keys = {"referral": referral["referral"], "patient": referral["patient"]}
            self._current_primary(record, referral, keys)
            if code in SEEN_AND_TREATED and state["treatment"] == 0:
                self.add(
                    ERROR,
                    "end_code",
                    "IDS101Referral",
                    record,
                    f"end code {code} (seen and treated) with no attended treatment contact",
                    **keys,
                )
            elif code in NOT_SEEN and state["attended"] > 0:
                self.add(
                    ERROR,
                    "end_code",
                    "IDS101Referral",
                    record,
                    f"end code {code} (not seen) with an attended contact",
                    **keys,
                )
            elif code in SEEN_NOT_TREATED and state["treatment"] > 0:
                self.add(
                    ERROR,
                    "end_code",
                    "IDS101Referral",
                    record,
                    f"end code {code} (seen, not treated) with an attended treatment contact",
                    **keys,
                )
        for instrument, n in sorted(self.unconfirmed_tools.items()):
            self.add(
                WARNING,
                "unconfirmed_tool",
                "IDS607CodedScoreAssessmentAct",
                instrument,
                f"{n} {instrument} score(s) carry a provisional tool code: confirm its SNOMED CT code in the TOS",
            )
        for (table_name, list_name, code), n in sorted(self.unconfirmed_codes.items()):
            self.add(
                WARNING,
                "unconfirmed_code",
                table_name,
                f"{list_name}:{code}",
                f"{n} row(s) carry {list_name} code '{code}', marked unconfirmed: confirm it in the TOS",
            )
        for name in spec.unconfirmed():
            self.add(
                WARNING, "unconfirmed_spec", name.split(".")[0], name, f"{name}: name and type to confirm in the TOS"
            )
        return self.report


def validate_rows(tables: dict[str, list[dict]]) -> Report:
    """The report for whole tables held in memory (tests, re-validation of a file)."""
    validator = Validator()
    for table in spec.TABLES:
        validator.rows_of(table.name, tables.get(table.name, []))
    return validator.finish()
