"""The national data set's pure parts: the specification, the code lists and the
validation rules (dataset/spec.py, codes.py, validation.py), as plain functions."""

from datetime import date

import pytest

from dataset import codes, spec
from dataset.validation import ERROR, WARNING, validate_rows
from patients import national_codes
from patients.codes import ReferralSource
from sessions.codes import APPOINTMENT_TYPES, CONSULTATION_MEDIUM


def test_every_idb_table_of_domain_md_is_specified_once_with_unique_fields():
    names = [t.name for t in spec.TABLES]
    assert len(names) == len(set(names))
    for prefix in ("IDS000", "IDS001", "IDS004", "IDS011", "IDS101", "IDS105", "IDS108", "IDS201", "IDS202",
                   "IDS205", "IDS602", "IDS603", "IDS606", "IDS607", "IDS803", "IDS902"):  # fmt: skip
        assert sum(n.startswith(prefix) for n in names) == 1, prefix
    for table in spec.TABLES:
        assert len(table.field_names) == len(set(table.field_names)), table.name
        for f in table.fields:
            assert f.type in (spec.TEXT, spec.DATE, spec.TIME, spec.INTEGER, spec.DECIMAL)
            assert f.codes is None or f.codes in codes.CODE_LISTS or f.codes == "assessment_tool"


def test_code_lists_hold_exactly_the_national_codes():
    assert set(codes.END_CODE) == {"10", "11", "12", "13", "14", "16", "17", "46", "47", "48", "49", "50", "95", "96"}
    assert set(codes.CONSULTATION_MECHANISM) == {"01", "02", "04", "05", "09", "10", "11", "12", "13", "98"}
    assert set(codes.APPOINTMENT_TYPE) == {"01", "02", "03", "04", "05", "06", "10"}
    assert codes.ASSESSMENT_TOOLS["PHQ9"].code == "720433000" and codes.ASSESSMENT_TOOLS["GAD7"].code == "445455005"
    assert "1098051000000103" in codes.THERAPY_TYPE  # employment support


def test_every_stored_referral_source_is_a_national_code_and_each_list_has_one_home():
    # stored values are the national codes (decision 022): no map between them
    assert set(ReferralSource.values) == set(codes.SOURCE_OF_REFERRAL)
    assert not hasattr(codes, "source_of_referral") and not hasattr(codes, "LOCAL_SOURCE_OF_REFERRAL")
    assert codes.CONSULTATION_MECHANISM is CONSULTATION_MEDIUM and codes.APPOINTMENT_TYPE is APPOINTMENT_TYPES
    assert codes.CODES_VERSION == national_codes.CODES_VERSION


def test_unconfirmed_codes_are_marked_in_the_data():
    unconfirmed = national_codes.unconfirmed_codes()
    assert {"E1", "F3", "G2"} <= set(unconfirmed["source_of_referral"])
    assert "B1" not in unconfirmed["source_of_referral"]
    assert "LOCAL:WSAS1" in unconfirmed["assessment_tool"] and "720433000" not in unconfirmed["assessment_tool"]
    assert "748051000000105" in unconfirmed["therapy_type"]
    assert codes.is_confirmed("therapy_type", "1129471000000105")  # couple therapy for depression, named


def test_unconfirmed_tools_travel_with_a_provisional_code_that_maps_back():
    tool = codes.assessment_tool("SPIN")
    assert (tool.code, tool.confirmed) == ("LOCAL:SPIN", False)
    assert codes.instrument_for_tool(tool.code) == "SPIN"
    assert codes.instrument_for_tool("720433000") == "PHQ9"


@pytest.mark.parametrize(
    ("code", "group"),
    [
        ("F32", "Depression"),
        ("F422", "Obsessive-compulsive disorder"),
        ("F432", "Other F40-F43"),
        ("F50", "Other mental health problem"),
        ("F502", "Other mental health problem"),
        ("F411", "Generalised anxiety disorder"),
        ("F99", "Unspecified"),
        ("", "Unspecified"),
        ("Z00", "Other recorded problem"),
    ],  # fmt: skip
)
def test_presenting_complaint_groups(code, group):
    assert codes.presenting_complaint_group(code) == group


def _clean():
    return {
        "IDS000Header": [
            {
                "DatSetVer": "2.1",
                "OrgIDProv": "DEMO1",
                "OrgIDSubmit": "DEMO1",
                "ReportingPeriodStartDate": "2026-10-01",
                "ReportingPeriodEndDate": "2026-10-31",
                "DateTimeDatSetCreate": "2026-11-02T09:00:00",
            }  # fmt: skip
        ],
        "IDS001MPI": [
            {
                "LocalPatientId": "p1",
                "OrgIDLocalPatientId": "DEMO1",
                "NHSNumber": "9434765919",
                "PersonBirthDate": "1980-01-01",
                "Gender": "2",
                "EthnicCategory": "A",
            }  # fmt: skip
        ],
        "IDS101Referral": [
            {
                "ServiceRequestId": "r1",
                "LocalPatientId": "p1",
                "ReferralRequestReceivedDate": "2026-09-01",
                "SourceOfReferralIAPT": "A1",
                "ServDischDate": "2026-10-20",
                "EndCode": "46",
                "_source_recorded_as": "",
            }  # fmt: skip
        ],
        "IDS201CareContact": [
            {
                "CareContactId": str(n),
                "ServiceRequestId": "r1",
                "CareContDate": day,
                "CareContTime": "10:00:00",
                "AppType": "02",
                "ConsMechanismMH": "02",
                "AttendOrDNACode": "5",
            }  # fmt: skip
            for n, day in ((1, "2026-09-10"), (2, "2026-10-10"))
        ],
        "IDS202CareActivity": [
            {
                "CareActId": "1-1",
                "CareContactId": "1",
                "ServiceRequestId": "r1",
                "CodeProcAndProcStatus": "1026111000000108",
            }  # fmt: skip
        ],
        "IDS603PresentingComplaints": [
            {
                "ServiceRequestId": "r1",
                "PresComp": "F32",
                "PresCompCodSig": "02",
                "PresCompType": "P",
                "PresCompDate": "2026-09-10",
            }  # fmt: skip
        ],
        "IDS607CodedScoreAssessmentAct": [
            {"CareActId": "1-1", "ServiceRequestId": "r1", "CodedAssToolType": "720433000", "PersScore": "15"}
        ],
    }


def _rules(report, severity):
    return {(f.rule, f.record) for f in report.findings if f.severity == severity}


def test_a_clean_month_has_no_errors():
    report = validate_rows(_clean())
    assert report.errors == 0, report.findings
    assert not report.blocks_submission
    # warnings list what is still to confirm in the TOS
    assert ("unconfirmed_spec", "IDS011SocPerCircumstances") in _rules(report, WARNING)


@pytest.mark.parametrize(
    ("table", "index", "change", "rule"),
    [
        ("IDS001MPI", 0, {"NHSNumber": "9434765918"}, "nhs_number"),
        ("IDS001MPI", 0, {"PersonBirthDate": ""}, "mandatory"),
        ("IDS001MPI", 0, {"Gender": "M"}, "code_list"),
        ("IDS001MPI", 0, {"PersonBirthDate": "2026-09-02"}, "date_order"),
        ("IDS101Referral", 0, {"SourceOfReferralIAPT": "gp"}, "code_list"),
        ("IDS101Referral", 0, {"ServDischDate": "2026-08-01"}, "date_order"),
        ("IDS101Referral", 0, {"EndCode": ""}, "end_code"),
        ("IDS101Referral", 0, {"EndCode": "50"}, "end_code"),  # not seen, but attended
        ("IDS101Referral", 0, {"EndCode": "11"}, "end_code"),  # seen not treated, but treated
        ("IDS201CareContact", 1, {"CareContDate": "2026-10-25"}, "date_order"),  # after discharge
        ("IDS201CareContact", 0, {"CareContDate": "2026-08-25"}, "date_order"),  # before referral
        ("IDS201CareContact", 0, {"ConsMechanismMH": "03"}, "code_list"),
        ("IDS201CareContact", 0, {"ServiceRequestId": "r9"}, "reference"),
        ("IDS607CodedScoreAssessmentAct", 0, {"PersScore": "28"}, "score_range"),
        ("IDS607CodedScoreAssessmentAct", 0, {"CareActId": "9-1"}, "reference"),
        ("IDS202CareActivity", 0, {"CodeProcAndProcStatus": "12345"}, "code_list"),
    ],
)
def test_each_rule_finds_its_error_and_names_the_record(table, index, change, rule):
    tables = _clean()
    tables[table][index].update(change)
    report = validate_rows(tables)
    assert rule in {f.rule for f in report.findings if f.severity == ERROR}, report.findings
    assert report.blocks_submission


def test_seen_and_treated_end_code_needs_a_treatment_contact():
    tables = _clean()
    for contact in tables["IDS201CareContact"]:
        contact["AppType"] = "01"
    report = validate_rows(tables)
    assert ("end_code", "r1") in _rules(report, ERROR)


def test_two_primary_problems_on_the_latest_date_are_an_error():
    tables = _clean()
    tables["IDS603PresentingComplaints"].append(dict(tables["IDS603PresentingComplaints"][0], PresComp="F411"))
    assert ("one_primary", "r1") in _rules(validate_rows(tables), ERROR)


def test_a_later_primary_is_history_not_an_error_and_secondaries_do_not_count():
    # given: F32 from 10/09, then F411 from 01/10 (the latest counts), and a secondary on 01/10
    tables = _clean()
    first = tables["IDS603PresentingComplaints"][0]
    tables["IDS603PresentingComplaints"] += [
        dict(first, PresComp="F411", PresCompDate="2026-10-01"),
        dict(first, PresComp="F32", PresCompType="S", PresCompDate="2026-10-01"),
    ]
    # when
    report = validate_rows(tables)
    # then
    assert report.errors == 0, report.findings


def test_a_second_primary_on_an_earlier_date_than_the_latest_is_no_error():
    tables = _clean()
    first = tables["IDS603PresentingComplaints"][0]
    tables["IDS603PresentingComplaints"] += [dict(first, PresComp="F411"), dict(first, PresCompDate="2026-10-01")]
    # two on 10/09 (superseded), one on 01/10: the current one is single
    assert ("one_primary", "r1") not in _rules(validate_rows(tables), ERROR)


@pytest.mark.parametrize(("day", "rule"), [("2026-08-31", "date_order"), ("2026-10-21", "date_order")])
def test_a_problem_dated_outside_the_referral_is_an_error(day, rule):
    tables = _clean()
    tables["IDS603PresentingComplaints"][0]["PresCompDate"] = day
    assert (rule, "r1") in _rules(validate_rows(tables), ERROR)


def test_a_problem_code_off_the_national_list_is_an_error():
    tables = _clean()
    tables["IDS603PresentingComplaints"][0]["PresComp"] = "F20"  # schizophrenia: not a code this service records
    assert ("code_list", "r1") in _rules(validate_rows(tables), ERROR)


def test_an_assessed_referral_without_a_primary_is_a_warning_not_an_error():
    tables = _clean()
    tables["IDS101Referral"][0]["_assessed"] = True
    tables["IDS603PresentingComplaints"][0]["PresCompType"] = "S"
    report = validate_rows(tables)
    assert ("no_primary", "r1") in _rules(report, WARNING)
    assert ("no_primary", "r1") not in _rules(report, ERROR)
    # not assessed: nothing to say
    tables["IDS101Referral"][0]["_assessed"] = False
    assert ("no_primary", "r1") not in _rules(validate_rows(tables), WARNING)


def test_a_nearest_source_and_unconfirmed_codes_are_warnings_not_errors():
    tables = _clean()
    # a referral whose local source the migration could only give the nearest code
    tables["IDS101Referral"][0].update({"_source_recorded_as": "employer", "SourceOfReferralIAPT": "D1"})
    tables["IDS202CareActivity"][0]["CodeProcAndProcStatus"] = "748051000000105"  # name to confirm
    tables["IDS607CodedScoreAssessmentAct"].append(
        {"CareActId": "1-1", "ServiceRequestId": "r1", "CodedAssToolType": "LOCAL:SPIN", "PersScore": "30"}
    )
    report = validate_rows(tables)
    assert report.errors == 0, report.findings
    warnings = {(f.rule, f.record) for f in report.findings if f.severity == WARNING}
    assert {("source_mapped", "r1"), ("unconfirmed_tool", "SPIN")} <= warnings
    assert ("unconfirmed_code", "therapy_type:748051000000105") in warnings


def test_completeness_counts_filled_fields():
    tables = _clean()
    tables["IDS001MPI"].append(dict(tables["IDS001MPI"][0], LocalPatientId="p2", NHSNumber=""))
    report = validate_rows(tables)
    assert report.completeness["IDS001MPI.NHSNumber"] == [1, 2]


def test_first_working_day_skips_the_weekend():
    from dataset.services import first_working_day

    assert first_working_day(2026, 11) == date(2026, 11, 2)  # 1 November 2026 is a Sunday
    assert first_working_day(2026, 12) == date(2026, 12, 1)
