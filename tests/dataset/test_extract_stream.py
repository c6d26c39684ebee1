"""The monthly extract as PostgreSQL formats it (dataset/extract.py): each value
as the data set has it (local times across the clock change, scores without
trailing zeros, codes mapped as dataset/codes.py maps them), the validated build
writing the very bytes of the plain one, and the validation seeing the rows the
files hold (DOMAIN.md "The national data set")."""

import csv
import io
import random
import zipfile
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from django.db import connection

from dataset import codes
from dataset.extract import (
    ExtractScope,
    assessment_tool_sql,
    local_id,
    read_extract,
    write_extract,
)
from patients.codes import ReferralSource
from patients.models import Patient
from sessions.models import MeasureScore, TherapySession
from tests.factories import ServiceFactory
from tests.reports.factories import Case, Visit, build, random_cases

pytestmark = pytest.mark.django_db

MONTH = (date(2026, 3, 1), date(2026, 3, 31))


def _write(service, **kwargs):
    buffer = io.BytesIO()
    manifest = write_extract(ExtractScope.for_month(service, 2026, 3), buffer, **kwargs)
    buffer.seek(0)
    return buffer, manifest


def _sql_value(expression_for, value):
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + expression_for("CAST(%(v)s AS varchar)"), {"v": value})
        return cursor.fetchone()[0] or ""


def test_the_tool_code_map_in_sql_is_dataset_codes_map():
    # sources and therapy types are stored as national codes and written as stored (decision 022)
    for instrument in ["PHQ9", "GAD7", "WSAS", "MI", "SPIN"]:
        assert _sql_value(assessment_tool_sql, instrument) == codes.assessment_tool(instrument).code, instrument


def test_each_value_is_written_as_the_data_set_has_it():
    service = ServiceFactory()
    treated, later = build(
        service=service,
        cases=[
            Case(
                received_on=date(2026, 3, 2),
                ended_on=date(2026, 3, 30),
                descriptor="F400",
                visits=[Visit(1, "01", scores={"PHQ9": 15, "MI": 2.3}), Visit(20, attendance="3"), Visit(25)],
            ),
            Case(received_on=date(2026, 2, 1), ended_on=date(2026, 4, 2), end_code="47", visits=[Visit(3)]),
        ],
    )
    Patient.objects.filter(pk=treated.patient_id).update(postcode="ab1 2cd")
    first, missed, last = TherapySession.objects.filter(referral=treated).order_by("started_at")
    # 29 March 2026, 01:30:15.9 UTC: the clocks have gone forward, 02:30:15 in London
    TherapySession.objects.filter(pk=last.pk).update(
        started_at=datetime(2026, 3, 29, 1, 30, 15, 900000, tzinfo=UTC), duration_minutes=None
    )
    TherapySession.objects.filter(pk=first.pk).update(
        interventions=["couple_therapy", "cbt", "gsh"], therapy_type="1129471000000105", duration_minutes=50
    )
    TherapySession.objects.filter(pk=last.pk).update(therapy_type="")
    tables = read_extract(_write(service)[0])

    patient = next(r for r in tables["IDS001MPI"] if r["LocalPatientId"] == local_id(treated.patient_id))
    assert (patient["Postcode"], patient["NHSNumberStatus"], patient["GenderIdentity"]) == ("AB1 2CD", "01", "")
    referral = {r["ServiceRequestId"]: r for r in tables["IDS101Referral"]}
    assert (referral[local_id(later.pk)]["ServDischDate"], referral[local_id(later.pk)]["EndCode"]) == ("", "")
    assert referral[local_id(treated.pk)]["ServDischDate"] == "2026-03-30"
    contacts = {r["CareContactId"]: r for r in tables["IDS201CareContact"]}
    assert (contacts[str(last.pk)]["CareContDate"], contacts[str(last.pk)]["CareContTime"]) == (
        "2026-03-29",
        "02:30:15",
    )
    assert contacts[str(last.pk)]["ClinContDurOfCareCont"] == ""
    assert contacts[str(first.pk)]["CareContTime"] == "10:00:00"  # Greenwich time before the change
    activities = [r for r in tables["IDS202CareActivity"] if r["ServiceRequestId"] == local_id(treated.pk)]
    assert [(a["CareActId"], a["CodeProcAndProcStatus"], a["ClinContactDurOfCareAct"]) for a in activities] == [
        (f"{first.pk}-1", "1129471000000105", "50"),  # one activity a contact, its stored therapy type
        (f"{last.pk}-1", "", ""),  # attended, nothing recorded: one activity for its scores; the missed one has none
    ]
    scores = sorted(
        (r["CareActId"], r["CodedAssToolType"], r["PersScore"]) for r in tables["IDS607CodedScoreAssessmentAct"]
    )
    assert scores == [(f"{first.pk}-1", "720433000", "15"), (f"{first.pk}-1", "LOCAL:MI", "2.3")]
    # stored with its two places, written without the trailing zero
    assert MeasureScore.objects.get(session=first, instrument="MI").total == Decimal("2.30")
    problems = {r["ServiceRequestId"]: r for r in tables["IDS603PresentingComplaints"]}
    assert (problems[local_id(treated.pk)]["PresComp"], problems[local_id(treated.pk)]["PresCompDate"]) == (
        "F400",
        "2026-03-02",
    )


def test_the_validated_build_writes_the_same_bytes_and_validates_the_rows_the_files_hold():
    service = ServiceFactory()
    build(service=service, cases=random_cases(random.Random(5), n=120, period=MONTH))
    seen: dict[str, list[dict]] = {}
    validated, validated_manifest = _write(service, rows_hook=lambda table, row: seen.setdefault(table, []).append(row))
    plain, plain_manifest = _write(service)
    with zipfile.ZipFile(validated) as a, zipfile.ZipFile(plain) as b:
        for entry in plain_manifest["tables"]:
            if entry["name"] != "IDS000Header":  # carries the time it was made
                assert a.read(entry["file"]) == b.read(entry["file"]), entry["name"]
    by_name = {t["name"]: t for t in validated_manifest["tables"]}
    for entry in plain_manifest["tables"]:
        assert by_name[entry["name"]]["rows"] == entry["rows"], entry["name"]
        if entry["name"] != "IDS000Header":
            assert by_name[entry["name"]]["sha256"] == entry["sha256"], entry["name"]
    files = read_extract(plain)
    assert sum(len(rows) for rows in files.values()) > 500
    for name, rows in files.items():
        hooked = seen.get(name, [])
        assert len(hooked) == len(rows), name
        for file_row, hook_row in zip(rows, hooked, strict=True):
            if name != "IDS000Header":
                assert {k: hook_row[k] for k in file_row} == file_row, name
    referral = seen["IDS101Referral"][0]
    assert local_id(referral["_referral"].replace("-", "")) == referral["ServiceRequestId"]
    assert referral["SourceOfReferralIAPT"] in ReferralSource.values and referral["_source_recorded_as"] == ""


def test_a_value_with_a_comma_or_a_quote_is_quoted_and_read_back_whole():
    service = ServiceFactory()
    (referral,) = build(service=service, cases=[Case(received_on=date(2026, 3, 2), status="received")])
    Patient.objects.filter(pk=referral.patient_id).update(gp_practice_code='A1,"2')
    TherapySession.objects.create(
        referral=referral,
        practitioner=referral.assigned_practitioner,
        created_by=referral.assigned_practitioner,
        started_at=datetime(2026, 3, 3, 10, tzinfo=UTC),
        appointment_type="02",
        attendance="5",
        medium="02",
        interventions=["cbt"],
        therapy_type=codes.OTHER_LOW_INTENSITY,
    )
    type(referral).objects.filter(pk=referral.pk).update(source_recorded_as='emp,"loyer')
    seen = []
    buffer, _ = _write(service, rows_hook=lambda table, row: seen.append(row) if table == "IDS001MPI" else None)
    with zipfile.ZipFile(buffer) as archive:
        raw = archive.read("IDS001MPI.csv").decode()
    assert list(csv.reader(io.StringIO(raw)))[1][-1] == 'A1,"2'
    assert seen[0]["GMPCodeReg"] == 'A1,"2' and seen[0]["_patient"] == str(referral.patient_id)
    # a stored code with a comma and a quote (no form lets one in) does not shift the private columns
    plain, _ = _write(service)
    with zipfile.ZipFile(buffer) as validated, zipfile.ZipFile(plain) as unvalidated:
        activities = validated.read("IDS202CareActivity.csv")
        assert activities == unvalidated.read("IDS202CareActivity.csv")
        assert validated.read("IDS101Referral.csv") == unvalidated.read("IDS101Referral.csv")
    (activity,) = list(csv.DictReader(io.StringIO(activities.decode())))
    assert activity["CodeProcAndProcStatus"] == codes.OTHER_LOW_INTENSITY
