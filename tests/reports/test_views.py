"""The report page and the exports: who may see them, what they contain,
the audit entries they leave, and the query budget of the page."""

import csv
import hashlib
import hmac
import io
import random
from datetime import date

import openpyxl
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import AccessLog, Role
from patients.codes import EndCode, ReferralSource
from reports.exports import pseudonymise
from reports.models import ExportJob
from tests.factories import ServiceFactory, TeamFactory, UserFactory

from .factories import Case, Visit, build, random_cases

PERIOD = {"period": "custom", "date_from": "2026-04-01", "date_to": "2026-06-30"}
B = date(2026, 4, 6)


def simple_cases(n, *, team=None, **overrides):
    cases = []
    for k in range(n):
        visits = [
            Visit(0, "01", scores={"PHQ9": 15, "GAD7": 12}),
            Visit(7, "02", scores={"PHQ9": 9, "GAD7": 7}),
            Visit(14, "02", scores={"PHQ9": 5 + k % 7, "GAD7": 4}),
        ]
        spec = dict(received_on=B, ended_on=date(2026, 4, 30), visits=visits, team=team, family_name=f"Patient{k}")
        spec.update(overrides)
        cases.append(Case(**spec))
    return cases


def export(client, **data):
    return client.post(reverse("reports:export"), {**PERIOD, "format": "csv", **data})


def read_csv(response) -> list[dict]:
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(body)))


# --- access -------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.PWP, Role.HIT, Role.SUPERVISOR, Role.REFERRAL_ADMIN])
def test_other_roles_get_404_for_the_report_and_every_export(client, service, manager, role):
    job = ExportJob.objects.create(requested_by=manager, filters={}, format="csv")
    client.force_login(UserFactory(role=role, service=service))
    assert client.get(reverse("reports:service_report")).status_code == 404
    assert export(client).status_code == 404
    assert client.get(reverse("reports:export")).status_code == 404
    for name in ("export_job", "export_job_status", "export_job_download"):
        assert client.get(reverse(f"reports:{name}", args=[job.pk])).status_code == 404
    assert not AccessLog.objects.filter(action="export").exists()


def test_the_export_takes_only_a_post(client, manager):
    client.force_login(manager)
    assert client.get(reverse("reports:export")).status_code == 405


def test_a_manager_sees_only_their_own_service(client, service, manager):
    other = ServiceFactory()
    build(service=other, cases=simple_cases(4))
    build(service=service, cases=simple_cases(2))
    client.force_login(manager)
    response = client.get(reverse("reports:service_report"), {**PERIOD, "service": other.pk})
    assert response.status_code == 200
    assert response.context["scope"].service == service
    assert response.context["report"].total["received"] == 2
    rows = read_csv(export(client, service=other.pk))
    assert len(rows) == 2 and {r["service_ods"] for r in rows} == {service.ods_code}


def test_a_manager_cannot_pick_another_services_team(client, service, manager):
    other_team = TeamFactory(service=ServiceFactory())
    client.force_login(manager)
    response = client.get(reverse("reports:service_report"), {**PERIOD, "team": other_team.pk})
    assert response.context["scope"].team is None
    assert "team" in response.context["form"].errors


def test_another_managers_export_job_is_404(client, service, manager):
    job = ExportJob.objects.create(requested_by=manager, filters={}, format="csv")
    client.force_login(UserFactory(role=Role.SERVICE_MANAGER, service=service))
    assert client.get(reverse("reports:export_job", args=[job.pk])).status_code == 404
    assert client.get(reverse("reports:export_job_download", args=[job.pk])).status_code == 404


def test_a_system_administrator_reports_on_any_service_but_never_exports_records(client, sysadmin, service):
    build(service=service, cases=simple_cases(3))
    client.force_login(sysadmin)
    response = client.get(reverse("reports:service_report"), {**PERIOD, "service": service.pk})
    assert response.status_code == 200 and response.context["report"].total["received"] == 3
    assert not response.context["can_export_identifiable"]
    response = export(client, service=service.pk, identifiable="on", reason="Audit")
    assert response.status_code == 302
    # not even pseudonymised (issue 13 finding 5; tests/reports/test_export_access.py)
    assert export(client, service=service.pk).status_code == 302
    assert not AccessLog.objects.filter(action="export").exists()


def test_the_manager_lands_on_the_report_and_the_nav_links_it(client, manager, sysadmin):
    client.force_login(manager)
    response = client.get("/", follow=True)
    assert response.redirect_chain[-1][0] == reverse("reports:service_report")
    assert b'href="/reports/"' in response.content
    client.force_login(sysadmin)
    assert b'href="/reports/"' in client.get(reverse("reports:service_report")).content


# --- the page -----------------------------------------------------------------


def test_the_page_shows_each_section_and_the_chart_data(client, service, manager):
    build(service=service, cases=simple_cases(5))
    client.force_login(manager)
    response = client.get(reverse("reports:service_report"), PERIOD)
    html = response.content.decode()
    for heading in (
        "Referrals",
        "Waits",
        "Outcomes",
        "Monthly trends",
        "Caseload and supervision",
        "Equality monitoring",
        "Workforce",
        "Activity",
        "Export",
    ):
        assert f">{heading}</h2>" in html, heading
    assert 'id="report-chart-data" type="application/json"' in html
    assert "vendor/chartjs/chart.umd.js" in html and "js/reports_charts.js" in html
    assert "<script>" not in html  # no inline script: a strict CSP comes later
    assert response.context["chart_data"]["received"][-3:] == [5, 0, 0]


def test_changing_the_period_changes_the_figures(client, service, manager):
    build(service=service, cases=simple_cases(3))
    build(service=service, cases=simple_cases(2, received_on=date(2026, 7, 6), ended_on=date(2026, 7, 31)))
    client.force_login(manager)
    q1 = client.get(reverse("reports:service_report"), {"period": "quarter", "month": "2026-05"})
    q2 = client.get(reverse("reports:service_report"), {"period": "quarter", "month": "2026-08"})
    month = client.get(reverse("reports:service_report"), {"period": "month", "month": "2026-07"})
    assert q1.context["scope"].date_from == date(2026, 4, 1) and q1.context["report"].total["received"] == 3
    assert q2.context["scope"].date_from == date(2026, 7, 1) and q2.context["report"].total["received"] == 2
    assert month.context["scope"].label == "July 2026" and month.context["report"].total["received"] == 2


def _page_queries(client, manager):
    client.force_login(manager)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("reports:service_report"), PERIOD)
    assert response.status_code == 200
    return len(queries)


def test_the_report_page_has_a_query_budget_whatever_the_size(client, service, manager, django_assert_max_num_queries):
    # Budget: session and user (2), the manager's permissions (2), the team
    # choices (1), the scope's service (1), the figures (4: the refresh of the
    # service's queued outcome summaries, the referral figures with the trend,
    # activity with step-ups, the staff), the recent exports (1), the form's
    # team choice when bound (1): 12.
    practitioners = [UserFactory(service=service, role=Role.PWP) for _ in range(2)]
    build(
        service=service,
        cases=random_cases(random.Random(1), n=10, period=(B, date(2026, 6, 30))),
        practitioner=practitioners[0],
    )
    small = _page_queries(client, manager)
    for k in range(3):
        build(
            service=service,
            cases=random_cases(random.Random(k), n=60, period=(B, date(2026, 6, 30))),
            practitioner=UserFactory(service=service, role=Role.PWP),
        )
    with django_assert_max_num_queries(12):
        client.get(reverse("reports:service_report"), PERIOD)
    assert _page_queries(client, manager) == small


# --- exports ------------------------------------------------------------------


def test_the_csv_is_pseudonymised_and_audited(client, service, manager, settings):
    settings.PSEUDONYMISATION_KEY = "a-key-for-this-test"
    referrals = build(service=service, cases=simple_cases(3, date_of_birth=date(1990, 7, 9)))
    client.force_login(manager)
    response = export(client)
    assert response["Content-Type"].startswith("text/csv")
    assert "pseudonymised" in response["Content-Disposition"]
    rows = read_csv(response)
    assert len(rows) == 3
    text = "\n".join(",".join(r.values()) for r in rows) + ",".join(rows[0])
    for referral in referrals:
        patient = referral.patient
        for identifier in (patient.nhs_number, patient.family_name, patient.email, patient.phone, "1990-07-09"):
            assert identifier not in text
    expected = {
        "v1-"
        + hmac.new(b"a-key-for-this-test", f"nhs_number:{r.patient.nhs_number}".encode(), hashlib.sha256).hexdigest()
        for r in referrals
    }
    assert {r["patient_pseudonym"] for r in rows} == expected
    assert {r["birth_year"] for r in rows} == {"1990"}
    row = rows[0]
    assert (row["treatment_sessions"], row["phq9_first"], row["anxiety_instrument"], row["finished_treatment"]) == (
        "2",
        "15",
        "GAD7",
        "1",
    )
    log = AccessLog.objects.get(action="export")
    assert log.username == "manager" and log.object_type == "report_export"
    assert log.detail["row_count"] == 3 and not log.detail["identifiable"]
    assert log.detail["filters"]["date_from"] == "2026-04-01" and log.detail["filters"]["service_id"] == service.pk


def test_the_keyed_hash_is_stable_for_a_key_and_changes_with_it(client, service, manager, settings):
    build(service=service, cases=simple_cases(1))
    client.force_login(manager)
    settings.PSEUDONYMISATION_KEY = "key-one"
    first = read_csv(export(client))[0]["patient_pseudonym"]
    assert read_csv(export(client))[0]["patient_pseudonym"] == first
    settings.PSEUDONYMISATION_KEY = "key-two"
    assert read_csv(export(client))[0]["patient_pseudonym"] != first


def test_cells_are_safe_from_formula_injection(client, service, manager, identifiable_manager):
    team = TeamFactory(service=service, name='=HYPERLINK("http://evil.invalid")')
    build(service=service, cases=simple_cases(1, team=team, given_name="+SUM(A1)", family_name="@cmd"))
    client.force_login(manager)
    (row,) = read_csv(export(client, identifiable="on", reason="Clinical audit of Q1"))
    assert row["team"] == '\'=HYPERLINK("http://evil.invalid")'
    assert (row["given_name"], row["family_name"]) == ("'+SUM(A1)", "'@cmd")
    response = export(client, format="xlsx", identifiable="on", reason="Clinical audit of Q1")
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))["Records"]
    values = [cell.value for cell in sheet[2]]
    assert '\'=HYPERLINK("http://evil.invalid")' in values and "'+SUM(A1)" in values
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)


def test_an_identifiable_export_needs_the_permission_and_a_reason(client, service, manager):
    referrals = build(service=service, cases=simple_cases(2))
    client.force_login(manager)
    # without the permission: refused, nothing exported, nothing logged as exported
    response = export(client, identifiable="on", reason="Audit")
    assert response.status_code == 302
    assert not AccessLog.objects.filter(action="export").exists()
    # with it but no reason: refused
    from django.contrib.auth.models import Permission

    manager.user_permissions.add(Permission.objects.get(codename="export_identifiable"))
    client.force_login(type(manager).objects.get(pk=manager.pk))
    assert export(client, identifiable="on", reason="  ").status_code == 302
    assert not AccessLog.objects.filter(action="export").exists()
    # with both
    rows = read_csv(export(client, identifiable="on", reason="Safeguarding review requested by the GP"))
    assert {r["nhs_number"] for r in rows} == {r.patient.nhs_number for r in referrals}
    assert {r["family_name"] for r in rows} == {"Patient0", "Patient1"}
    assert "email" not in rows[0] and "phone" not in rows[0]
    log = AccessLog.objects.get(action="export")
    assert log.detail["identifiable"] and log.detail["reason"] == "Safeguarding review requested by the GP"
    assert log.detail["row_count"] == 2


def test_the_xlsx_has_a_sheet_per_section_and_the_records(client, service, manager):
    build(service=service, cases=simple_cases(4))
    client.force_login(manager)
    response = export(client, format="xlsx")
    assert response["Content-Disposition"].endswith('.xlsx"')
    book = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    assert book.sheetnames == [
        "Summary",
        "Referrals",
        "Waits",
        "Outcomes",
        "Activity",
        "Caseload and supervision",
        "Workforce",
        "Equality",
        "Trend",
        "Code lists",
        "Records",
    ]
    # the code lists used, code beside its words (issue 15); the records keep the codes and add the words
    codes = {(r[0], r[1]): r[2] for r in book["Code lists"].iter_rows(min_row=2, values_only=True)}
    assert codes[("end_code", "46")] == dict(EndCode.choices)["46"] and ("source", ReferralSource.GP) in codes
    head = list(book["Records"].iter_rows(max_row=1, values_only=True))[0]
    assert "end_code" in head and "end_code_label" in head and "sex_label" in head
    referrals = {row[0].value: row[1].value for row in book["Referrals"].iter_rows() if row[0].value}
    assert referrals["Referrals received"] == 4 and referrals["Finished a course of treatment"] == 4
    records = list(book["Records"].iter_rows(values_only=True))
    assert records[0][:3] == ("referral_pseudonym", "patient_pseudonym", "birth_year") and len(records) == 5
    assert AccessLog.objects.get(action="export").detail["format"] == "xlsx"


def test_the_records_continue_on_another_sheet_past_the_row_limit(tmp_path, service):
    from reports.exports import XlsxWriter

    writer = XlsxWriter(tmp_path / "split.xlsx")
    records = [
        {"referral_id": str(k), "nhs_number": "9990000001", "date_of_birth": date(1990, 1, 1), **{n: k for n in ()}}
        for k in range(5)
    ]
    from reports.exports import SHARED_KEYS

    for record in records:
        record.update(dict.fromkeys(SHARED_KEYS))
    assert writer.write_records(records, identifiable=False, max_rows=3) == 5
    writer.close()
    book = openpyxl.load_workbook(tmp_path / "split.xlsx")
    assert book.sheetnames == ["Records", "Records (2)", "Records (3)"]
    assert sum(sheet.max_row - 1 for sheet in book) == 5
    assert pseudonymise("1") != pseudonymise("1", purpose="referral")


# --- issue 14: the national definitions in the page, the API, the CSV and the XLSX


def issue_14_cases():
    january = date(2026, 1, 1)
    return [
        *simple_cases(1),  # finished, first treated at 7 days, recovered
        # finished in the period with no scores at all: stays in the recovery denominator
        Case(received_on=B, ended_on=date(2026, 4, 30), visits=[Visit(0, "01"), Visit(7, "02"), Visit(14, "02")]),
        # finished in the period, first treated 60 days after referral (in February)
        Case(
            received_on=date(2025, 12, 1),
            ended_on=date(2026, 4, 30),
            visits=[
                Visit(0, "01", scores={"PHQ9": 15, "GAD7": 12}),
                Visit(60, "02"),
                Visit(140, "02", scores={"PHQ9": 14, "GAD7": 11}),
            ],
        ),
        Case(received_on=B, ended_on=date(2026, 4, 20), end_code="11", visits=[Visit(0, "01")]),  # before treatment
        Case(received_on=B, ended_on=date(2026, 4, 20), end_code="47", visits=[Visit(0, "01"), Visit(7, "02")]),
        # open, last treated on 11 January: no contact for 170 days at 30 June
        Case(received_on=january, status="in_treatment", visits=[Visit(5, "01"), Visit(10, "02")]),
    ]


def test_the_new_national_figures_reach_the_page_and_the_api(client, service, manager):
    build(service=service, cases=issue_14_cases())
    client.force_login(manager)
    report = client.get(reverse("reports:service_report"), PERIOD).context["report"]
    t, r = report.total, report.rates
    assert (t["finished"], t["within_6_weeks"], t["within_18_weeks"]) == (3, 2, 3)
    assert (t["not_caseness"], t["finished_unpaired"], r["at_caseness"]) == (0, 1, 3)
    assert (t["ended_before_treatment"], t["ended_treated_once"], t["no_change"]) == (1, 1, 1)
    assert (t["open_treated"], t["open_no_contact"]) == (1, 1)
    html = client.get(reverse("reports:service_report"), PERIOD).content.decode()
    for figure in ("fig-finished-unpaired", "fig-no-change-rate", "fig-open-no-contact", "fig-ended-treated-once"):
        assert f'id="{figure}"' in html, figure
    assert "(2 of 3)" in html  # within 6 weeks, of the courses finished
    api = client.get("/api/v1/reports/service/", {"date_from": "2026-04-01", "date_to": "2026-06-30"})
    assert api.status_code == 200, api.content
    body = api.json()
    assert body["total"]["finished_unpaired"] == 1 and body["total"]["open_no_contact"] == 1
    assert body["total"]["ended_before_treatment"] == 1 and body["total"]["ended_treated_once"] == 1
    assert body["rates"]["within_6_weeks_rate"] == pytest.approx(2 / 3)
    assert body["rates"]["recovery_rate"] == pytest.approx(1 / 3)
    assert body["rates"]["no_change_rate"] == pytest.approx(1 / 3)
    assert body["rates"]["open_no_contact_rate"] == 1.0


def test_the_new_national_figures_reach_the_csv_and_the_xlsx(client, service, manager):
    build(service=service, cases=issue_14_cases())
    client.force_login(manager)
    records = read_csv(export(client))
    unscored = [r for r in records if r["finished_treatment"] == "1" and r["phq9_scores"] == "0"]
    assert len(unscored) == 1 and unscored[0]["not_caseness_start"] == "0" and unscored[0]["paired_scores"] == "0"
    assert sum(r["no_change"] == "1" for r in records) == 1
    assert {r["last_treatment_on"] for r in records} >= {"2026-01-11"}
    book = openpyxl.load_workbook(io.BytesIO(b"".join(export(client, format="xlsx").streaming_content)))

    def rows(sheet):
        return {row[0].value.strip(): [c.value for c in row[1:]] for row in book[sheet].iter_rows() if row[0].value}

    assert rows("Referrals")["ended before treatment"][0] == 1
    assert rows("Referrals")["ended after one treatment session"][0] == 1
    waits = rows("Waits")
    assert waits["Finished a course, first treated within 6 weeks of referral"][:2] == [2, 3]
    assert waits["Open and treated, no treatment contact for over 90 days"][:2] == [1, 1]
    outcomes = rows("Outcomes")
    assert outcomes["data quality: finished without paired scores"][:2] == [1, 3]
    assert outcomes["No change"][:2] == [1, 3]
    assert outcomes["Recovered"][:2] == [1, 3]


def test_the_csv_keeps_the_codes_and_adds_their_words(client, service, manager):
    build(service=service, cases=simple_cases(2))
    client.force_login(manager)
    rows = read_csv(export(client))
    row = rows[0]
    assert row["end_code"] and row["end_code_label"] == dict(EndCode.choices)[row["end_code"]]
    assert row["source_label"] and row["problem_descriptor_label"].startswith(row["problem_descriptor"][:3])
    assert set(row) >= {"sex_label", "ethnicity_label", "status_label"}
