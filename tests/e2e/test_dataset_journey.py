"""A service manager's monthly submission in Chromium: build the month, read the
validation report, follow its link to the record, fix it, build the month again
clean and download the zip."""

import zipfile
from datetime import date, timedelta

import pytest
from django.contrib.auth.models import Permission
from django.utils import timezone

from accounts.models import Role
from dataset import services
from dataset.models import DatasetExtract
from tests.factories import ServiceFactory, UserFactory
from tests.reports.factories import Case, Visit, build

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _build_latest():
    """What the worker does with the queued build (the outbox's task, run here in-process)."""
    extract = DatasetExtract.objects.order_by("-requested_at").first()
    services.dataset_extract_build(extract_id=extract.pk)
    return extract


def test_a_manager_builds_fixes_and_downloads_the_months_submission(page, login, tmp_path):
    # given: last month, with one patient whose date of birth comes after their referral
    service = ServiceFactory()
    manager = UserFactory(username="dsmanager", role=Role.SERVICE_MANAGER, service=service)
    manager.user_permissions.add(Permission.objects.get(codename="submit_dataset"))
    first = timezone.localdate().replace(day=1)
    start, end = (first - timedelta(days=1)).replace(day=1), first - timedelta(days=1)
    build(
        service=service,
        cases=[
            Case(received_on=start, ended_on=end, visits=[Visit(1), Visit(6)]),
            Case(received_on=start, ended_on=end, visits=[Visit(1), Visit(6)], date_of_birth=start + timedelta(1)),
        ],
    )
    login("dsmanager")
    # when: the month is built from the page
    page.get_by_role("link", name="National data set").click()
    page.get_by_label("Reporting month").fill(f"{start:%Y-%m}")
    page.get_by_label("Why you are building it").fill("October submission")
    page.get_by_role("button", name="Build the extract").click()
    _build_latest()
    page.reload()
    # then: the error blocks it and leads to the record
    assert page.get_by_text("block this submission").is_visible()
    page.get_by_role("link", name="Open the record").first.click()
    page.get_by_label("Date of birth").fill("1980-01-01")
    page.get_by_role("button", name="Save details").click()
    page.get_by_role("link", name="National data set").click()
    page.get_by_label("Reporting month").fill(f"{start:%Y-%m}")
    page.get_by_label("Submission window").select_option("refresh")
    page.get_by_label("Why you are building it").fill("Fixed a date of birth")
    page.get_by_role("button", name="Build the extract").click()
    _build_latest()
    page.reload()
    assert page.get_by_text("No errors: this extract can be submitted").is_visible()
    with page.expect_download() as download:
        page.get_by_role("link", name="Download the extract (zip)").click()
    path = tmp_path / "extract.zip"
    download.value.save_as(path)
    with zipfile.ZipFile(path) as archive:
        assert "IDS101Referral.csv" in archive.namelist() and "manifest.json" in archive.namelist()
    assert date.fromisoformat("1980-01-01") == manager.service.patients.order_by("date_of_birth").first().date_of_birth
