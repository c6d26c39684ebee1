"""The monthly extract written from the database (dataset/extract.py): every table
present with the spec's fields in order, the right referrals and rows, a manifest
that matches the files, and NHS England's derivations made from the files alone
equal to the service report, referral by referral."""

import csv
import hashlib
import io
import json
import random
import zipfile
from datetime import date

import pytest
from django.db import connection

from dataset import codes, spec
from dataset.derivations import derive, key_metrics
from dataset.extract import ExtractScope, local_id, read_extract, write_extract
from patients.codes import ReferralSource
from reports.sql import outcome_rows_sql
from tests.factories import ServiceFactory
from tests.reports.factories import Case, Visit, build, random_cases

pytestmark = pytest.mark.django_db

MONTH = (date(2026, 3, 1), date(2026, 3, 31))


def _written(service, month=MONTH):
    buffer = io.BytesIO()
    scope = ExtractScope.for_month(service, month[0].year, month[0].month)
    manifest = write_extract(scope, buffer)
    buffer.seek(0)
    return buffer, manifest


def test_every_table_is_present_with_its_fields_in_order_even_when_empty():
    service = ServiceFactory()
    buffer, manifest = _written(service)
    with zipfile.ZipFile(buffer) as archive:
        assert sorted(archive.namelist()) == sorted([f"{t.name}.csv" for t in spec.TABLES] + ["manifest.json"])
        for table in spec.TABLES:
            header = next(csv.reader(io.TextIOWrapper(archive.open(f"{table.name}.csv"), encoding="utf-8")))
            assert header == table.field_names, table.name
    assert [t["name"] for t in manifest["tables"]] == [t.name for t in spec.TABLES]
    assert {t["name"]: t["rows"] for t in manifest["tables"]}["IDS000Header"] == 1


def test_the_manifest_counts_and_checksums_match_the_files():
    service = ServiceFactory()
    build(service=service, cases=random_cases(random.Random(7), n=30, period=MONTH))
    buffer, manifest = _written(service)
    with zipfile.ZipFile(buffer) as archive:
        stored = json.loads(archive.read("manifest.json"))
        assert stored["tables"] == manifest["tables"]
        assert stored["specification"] == spec.SPEC_VERSION and stored["provider"] == service.ods_code
        for entry in manifest["tables"]:
            data = archive.read(entry["file"])
            assert hashlib.sha256(data).hexdigest() == entry["sha256"]
            assert data.count(b"\r\n") - 1 == entry["rows"]


def test_the_rows_are_the_referrals_open_in_the_month_coded_nationally():
    service = ServiceFactory()
    cases = [
        Case(received_on=date(2026, 1, 5), ended_on=date(2026, 2, 27), visits=[Visit(3), Visit(20)]),  # ended before
        Case(
            received_on=date(2026, 2, 1),
            ended_on=date(2026, 3, 10),
            visits=[Visit(3), Visit(30)],
            source=ReferralSource.SELF,
        ),
        Case(received_on=date(2026, 3, 31), status="received", ended_on=None),  # received on the last day
        Case(received_on=date(2026, 4, 1), status="received", ended_on=None),  # after the month
        Case(
            received_on=date(2026, 2, 20),
            status="in_treatment",
            ended_on=None,
            visits=[Visit(1, "01", scores={"PHQ9": 15, "GAD7": 12}), Visit(30, "02", scores={"PHQ9": 12})],
        ),
    ]
    referrals = build(service=service, cases=cases)
    buffer, _manifest = _written(service)
    tables = read_extract(buffer)
    ids = {row["ServiceRequestId"] for row in tables["IDS101Referral"]}
    assert ids == {local_id(r.pk) for r in referrals[1:3]} | {local_id(referrals[4].pk)}
    self_referral = next(r for r in tables["IDS101Referral"] if r["ServiceRequestId"] == local_id(referrals[1].pk))
    assert self_referral["SourceOfReferralIAPT"] == "B1"
    assert (self_referral["ServDischDate"], self_referral["EndCode"]) == ("2026-03-10", "46")
    assert {row["LocalPatientId"] for row in tables["IDS001MPI"]} == {
        local_id(r.patient_id) for r in (referrals[1], referrals[2], referrals[4])
    }
    scores = [r for r in tables["IDS607CodedScoreAssessmentAct"] if r["ServiceRequestId"] == local_id(referrals[4].pk)]
    assert sorted((r["CodedAssToolType"], r["PersScore"]) for r in scores) == [
        ("445455005", "12"),
        ("720433000", "12"),
        ("720433000", "15"),
    ]
    # every score belongs to a care activity of the extract
    activities = {row["CareActId"] for row in tables["IDS202CareActivity"]}
    assert all(row["CareActId"] in activities for row in tables["IDS607CodedScoreAssessmentAct"])
    # a field with a code list holds only national codes
    for row in tables["IDS201CareContact"]:
        assert codes.is_valid("consultation_mechanism", row["ConsMechanismMH"])


def _report_rows(service, month):
    sql, params = outcome_rows_sql(service_id=service.pk, date_from=month[0], date_to=month[1])
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        names = [c.name for c in cursor.description]
        return {row[0]: dict(zip(names, row, strict=True)) for row in cursor.fetchall()}


@pytest.mark.parametrize("seed", [3, 11, 29])
def test_derivations_from_the_files_alone_equal_the_service_report_referral_by_referral(seed):
    service = ServiceFactory()
    referrals = build(service=service, cases=random_cases(random.Random(seed), n=250, period=MONTH))
    buffer, _ = _written(service)
    derived = derive(read_extract(buffer))
    report = _report_rows(service, MONTH)
    by_local = {local_id(r.pk): str(r.pk) for r in referrals}
    assert {by_local[pid] for pid in derived} == set(report)
    compared = 0
    for pid, d in derived.items():
        row = report[by_local[pid]]
        if d.ServDischDate is None:
            continue  # open at the month's end: its later contacts are not in this month's files
        compared += 1
        assert d.TreatmentCareContact_Count == row["treatment_sessions"]
        assert d.TherapySession_FirstDate == row["first_treatment_on"]
        assert d.TherapySession_SecondDate == row["second_treatment_on"]
        assert d.CompletedTreatment_Flag is row["finished_treatment"], pid
        assert d.Recovery_Flag is (row["finished_treatment"] and row["recovered"]), pid
        assert d.ReliableImprovement_Flag is (row["finished_treatment"] and row["reliable_improvement"]), pid
        assert d.ReliableDeterioration_Flag is (row["finished_treatment"] and row["reliable_deterioration"]), pid
    assert compared > 10


def test_key_metrics_count_the_month_as_nhs_england_does():
    service = ServiceFactory()
    cases = [
        # finished, recovered, first treatment 20 days after referral
        Case(
            received_on=date(2026, 2, 1),
            ended_on=date(2026, 3, 20),
            visits=[Visit(20, scores={"PHQ9": 15, "GAD7": 12}), Visit(40, scores={"PHQ9": 5, "GAD7": 4})],
        ),  # fmt: skip
        # ended before treatment
        Case(received_on=date(2026, 2, 1), ended_on=date(2026, 3, 5), end_code="50", visits=[]),
        # ended treated once
        Case(received_on=date(2026, 1, 1), ended_on=date(2026, 3, 6), end_code="47", visits=[Visit(60)]),
        # finished but first treatment after 18 weeks, not at caseness by scores
        Case(
            received_on=date(2025, 9, 1),
            ended_on=date(2026, 3, 25),
            visits=[Visit(130, scores={"PHQ9": 5, "GAD7": 4}), Visit(150, scores={"PHQ9": 4, "GAD7": 3})],
        ),  # fmt: skip
    ]
    build(service=service, cases=cases)
    buffer, _ = _written(service)
    metrics = key_metrics(derive(read_extract(buffer)), *MONTH)
    assert metrics["Count_FinishedCourseTreatment"] == 2
    assert metrics["Count_NotAtCaseness"] == 1
    assert metrics["Count_Recovery"] == 1
    assert metrics["Percentage_Recovery"] == 1.0
    assert metrics["EndedBeforeTreatment"] == 1
    assert metrics["EndedTreatedOnce"] == 1
    assert metrics["Count_FirstTreatment6WeeksFinishedCourseTreatment"] == 1
    assert metrics["Count_FirstTreatment18WeeksFinishedCourseTreatment"] == 1


def test_every_presenting_problem_travels_dated_and_the_latest_primary_chooses_the_adsm_in_both():
    """IDS603 carries the primary and secondary rows with their dates (decision
    023); the primary changed from GAD (GAD-7) to social phobia (SPIN) counts for
    the report and for the derivation from the files, so they agree that the
    referral recovered (on GAD-7 alone it would not have)."""
    service = ServiceFactory()
    spin = Case(
        received_on=date(2026, 1, 10),
        ended_on=date(2026, 3, 20),
        descriptor="F401",
        problems=[("P", "F411", 0), ("S", "F32", 0), ("P", "F401", 30)],
        visits=[
            Visit(5, "01", scores={"PHQ9": 8, "GAD7": 9, "SPIN": 40}),
            Visit(20, scores={"PHQ9": 7, "GAD7": 9, "SPIN": 30}),
            Visit(50, scores={"PHQ9": 6, "GAD7": 9, "SPIN": 12}),
        ],
    )
    removed = Case(received_on=date(2026, 2, 1), status="in_treatment", descriptor="F32")
    referrals = build(service=service, cases=[spin, removed])
    wrong = referrals[1].presenting_problems.create(kind="S", code="F99", recorded_on=date(2026, 2, 2))
    wrong.removed_at = wrong.recorded_at
    wrong.save()
    buffer, _ = _written(service)
    tables = read_extract(buffer)
    rows = sorted(
        (r["ServiceRequestId"] == local_id(referrals[0].pk), r["PresCompDate"], r["PresCompType"], r["PresComp"])
        for r in tables["IDS603PresentingComplaints"]
    )
    assert rows == [
        (False, "2026-02-01", "P", "F32"),  # the removed secondary does not travel
        (True, "2026-01-10", "P", "F411"),
        (True, "2026-01-10", "S", "F32"),
        (True, "2026-02-09", "P", "F401"),
    ]
    derived = derive(tables)[local_id(referrals[0].pk)]
    report = _report_rows(service, MONTH)[str(referrals[0].pk)]
    assert report["finished_treatment"] is True
    assert derived.Recovery_Flag is True and report["recovered"] is True
    # the report's one column is the latest primary, as the files say
    referrals[0].refresh_from_db()
    assert referrals[0].problem_descriptor == "F401"
