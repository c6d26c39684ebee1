"""A service manager opens the service report, changes the period and
downloads the record-level CSV; a PWP and a supervisor get 404 for both."""

import csv
import re
from datetime import date

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import AccessLog, Role
from reports import periods
from tests.factories import ServiceFactory, UserFactory
from tests.reports.factories import Case, Visit, build

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def course(received: date, ended: date | None, n_family: str) -> Case:
    return Case(
        received_on=received,
        status="ended" if ended else "in_treatment",
        ended_on=ended,
        family_name=n_family,
        visits=[
            Visit(0, "01", scores={"PHQ9": 16, "GAD7": 12}),
            Visit(1, "02", scores={"PHQ9": 10, "GAD7": 8}),
            Visit(2, "02", scores={"PHQ9": 6, "GAD7": 5}),
        ],
    )


@pytest.fixture
def service_with_referrals():
    service = ServiceFactory(ods_code="E2E01", name="Riverside Talking Therapies")
    manager = UserFactory(username="manager1", service=service, role=Role.SERVICE_MANAGER, band=8)
    pwp = UserFactory(username="pwp1", service=service, role=Role.PWP)
    supervisor = UserFactory(username="supervisor1", service=service, role=Role.SUPERVISOR, band=7)
    this_month = timezone.localdate().replace(day=1)
    earlier = periods.add_months(this_month, -5)
    # three referrals this month (still in treatment), two five months ago that ended then
    build(service=service, practitioner=pwp, cases=[course(this_month, None, f"Current{k}") for k in range(3)])
    build(
        service=service,
        practitioner=pwp,
        cases=[course(earlier, earlier.replace(day=20), f"Earlier{k}") for k in range(2)],
    )
    return service, manager, pwp, supervisor, this_month, earlier


def test_manager_opens_the_report_changes_the_period_and_downloads_the_csv(
    page, login, service_with_referrals, tmp_path
):
    service, manager, pwp, supervisor, this_month, earlier = service_with_referrals
    # given the manager logs in: the report is their landing page
    login("manager1")
    expect(page.get_by_role("heading", name="Service report")).to_be_visible()
    expect(page.locator("#report-scope")).to_contain_text("Riverside Talking Therapies")
    page.wait_for_selector("#chart-referrals[data-drawn='true']")  # the trend charts are drawn

    # when they choose the month five months ago
    page.get_by_label("Period", exact=True).select_option("month")
    page.get_by_label("Month in the period").fill(f"{earlier:%Y-%m}")
    page.get_by_role("button", name="Show report").click()
    page.wait_for_load_state("networkidle")

    # then the figures are that month's
    expect(page.locator("#report-period")).to_have_text(f"{earlier:%B %Y}")
    expect(page.locator("#fig-received")).to_have_text("2")
    expect(page.locator("#fig-finished")).to_have_text("2")
    expect(page.locator("#fig-recovery-rate")).to_have_text("100.0%")

    # and this month's are different
    page.get_by_label("Month in the period").fill(f"{this_month:%Y-%m}")
    page.get_by_role("button", name="Show report").click()
    page.wait_for_load_state("networkidle")
    expect(page.locator("#report-period")).to_have_text(f"{this_month:%B %Y}")
    expect(page.locator("#fig-received")).to_have_text("3")
    expect(page.locator("#fig-finished")).to_have_text("0")

    # when they download the CSV for this month
    assert page.get_by_label("CSV (one row per referral)").is_checked()
    with page.expect_download() as download_info:
        page.get_by_role("button", name="Download").click()
    download = download_info.value
    path = tmp_path / download.suggested_filename
    download.save_as(path)

    # then it holds this month's three referrals, pseudonymised, and the export is audited
    assert download.suggested_filename.endswith("-pseudonymised.csv")
    with open(path, newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 3
    assert {row["received_on"] for row in rows} == {this_month.isoformat()}
    assert "nhs_number" not in rows[0]
    assert all(re.fullmatch(r"v1-[0-9a-f]{64}", row["patient_pseudonym"]) for row in rows)
    assert "Current" not in path.read_text()
    log = AccessLog.objects.get(action="export")
    assert log.username == "manager1" and log.detail["row_count"] == 3
    assert log.detail["filters"]["date_from"] == this_month.isoformat()


@pytest.mark.parametrize("username", ["pwp1", "supervisor1"])
def test_a_pwp_and_a_supervisor_get_404_for_the_report_and_the_export(page, login, service_with_referrals, username):
    login(username)
    assert page.get_by_role("link", name="Service report").count() == 0
    assert page.goto("/reports/").status == 404
    assert page.goto("/reports/export/").status == 404
    # a real POST, with the CSRF token, is refused the same way
    token = next(c["value"] for c in page.context.cookies() if c["name"] == "csrftoken")
    response = page.request.post(
        "/reports/export/",
        form={"period": "year", "format": "csv"},
        headers={"X-CSRFToken": token, "Referer": page.url},
    )
    assert response.status == 404
    assert not AccessLog.objects.filter(action="export").exists()
