"""The monthly submission as a service manager uses it (dataset/services.py,
views.py): build a month, read the validation report, fix a flagged record,
build it again clean; the permission checked at every step, download included;
every step audited, the download naming every patient in the file."""

from datetime import date, timedelta

import pytest
from django.contrib.auth.models import Permission
from django.core.exceptions import ValidationError
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from accounts.models import AccessAction, AccessLog, Role
from dataset import services
from dataset.models import DatasetExtract, ExtractStatus
from outbox.models import OutboxMessage
from tests.factories import ServiceFactory, UserFactory
from tests.reports.factories import Case, Visit, build

pytestmark = pytest.mark.django_db


def _last_month():
    first = timezone.localdate().replace(day=1)
    start = (first - timedelta(days=1)).replace(day=1)
    return start, first - timedelta(days=1)


@pytest.fixture
def manager():
    user = UserFactory(role=Role.SERVICE_MANAGER, service=ServiceFactory())
    user.user_permissions.add(Permission.objects.get(codename="submit_dataset"))
    return user


def _month_with_a_bad_date_of_birth(manager):
    start, end = _last_month()
    received = start + timedelta(days=2)
    cases = [
        Case(received_on=received, ended_on=end, visits=[Visit(1), Visit(5)]),
        # the date of birth after the referral: the validation must block the submission
        Case(received_on=received, ended_on=end, visits=[Visit(1), Visit(5)], date_of_birth=received + timedelta(1)),
    ]
    return build(service=manager.service, cases=cases)


def test_a_manager_builds_the_month_sees_the_error_fixes_the_record_and_builds_it_clean(client, manager):
    # given
    referrals = _month_with_a_bad_date_of_birth(manager)
    client.force_login(manager)
    start, _end = _last_month()
    # when: the month is asked for in the browser
    response = client.post(
        reverse("dataset:extracts"), {"month": f"{start:%Y-%m}", "kind": "primary", "reason": "Monthly submission"}
    )
    extract = DatasetExtract.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("dataset:extract", args=[extract.pk])
    # the build is queued in the same transaction (the outbox), and the worker builds it
    assert OutboxMessage.objects.filter(task=services.BUILD_TASK, args=[str(extract.pk)]).exists()
    services.dataset_extract_build(extract_id=extract.pk)
    extract.refresh_from_db()
    assert extract.status == ExtractStatus.DONE and extract.errors >= 1
    page = client.get(reverse("dataset:extract", args=[extract.pk])).content.decode()
    assert "block this submission" in page
    fix_link = reverse("patients:edit", args=[referrals[1].patient_id])
    assert fix_link in page
    # then: the record is fixed and the month built again, clean
    patient = referrals[1].patient
    patient.date_of_birth = date(1980, 1, 1)
    patient.save(update_fields=["date_of_birth"])
    client.post(reverse("dataset:extracts"), {"month": f"{start:%Y-%m}", "kind": "refresh", "reason": "Fixed"})
    again = DatasetExtract.objects.exclude(pk=extract.pk).get()
    services.dataset_extract_build(extract_id=again.pk)
    again.refresh_from_db()
    assert again.errors == 0, again.validation["findings"]
    page = client.get(reverse("dataset:extract", args=[again.pk])).content.decode()
    assert "No errors: this extract can be submitted" in page
    # the download is the zip, audited with every patient in it
    response = client.get(reverse("dataset:download", args=[again.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    b"".join(response.streaming_content)
    entry = AccessLog.objects.filter(action=AccessAction.EXPORT, object_type="dataset_extract", user=manager).get()
    assert set(entry.detail["patient_ids"]) == {str(r.patient_id) for r in referrals}


@pytest.mark.parametrize("role", [Role.PWP, Role.SUPERVISOR, Role.REFERRAL_ADMIN, Role.SYSTEM_ADMIN])
def test_nobody_else_reaches_the_submission(client, role):
    user = UserFactory(role=role, service=ServiceFactory())
    user.user_permissions.add(Permission.objects.get(codename="submit_dataset"))
    client.force_login(user)
    assert client.get(reverse("dataset:extracts")).status_code == 404


def test_a_manager_without_the_permission_is_told_how_to_get_it_and_reaches_nothing(client, manager):
    start, _ = _last_month()
    extract = services.dataset_extract_request(user=manager, year=start.year, month=start.month, reason="Monthly")
    user = UserFactory(role=Role.SERVICE_MANAGER, service=manager.service)
    client.force_login(user)
    response = client.get(reverse("dataset:extracts"))
    assert response.status_code == 403 and "needs the submission permission" in response.content.decode()
    assert client.get(reverse("dataset:extract", args=[extract.pk])).status_code == 404
    assert client.get(reverse("dataset:download", args=[extract.pk])).status_code == 404


def test_the_download_checks_the_permission_again(client, manager):
    _month_with_a_bad_date_of_birth(manager)
    start, _ = _last_month()
    extract = services.dataset_extract_request(user=manager, year=start.year, month=start.month, reason="Monthly")
    services.dataset_extract_build(extract_id=extract.pk)
    manager.user_permissions.clear()
    client.force_login(manager)
    assert client.get(reverse("dataset:download", args=[extract.pk])).status_code == 404


def test_another_services_extract_is_404(client, manager):
    other = UserFactory(role=Role.SERVICE_MANAGER, service=ServiceFactory())
    other.user_permissions.add(Permission.objects.get(codename="submit_dataset"))
    start, _ = _last_month()
    extract = services.dataset_extract_request(user=other, year=start.year, month=start.month, reason="Monthly")
    client.force_login(manager)
    assert client.get(reverse("dataset:extract", args=[extract.pk])).status_code == 404


def test_bad_requests_are_field_errors_and_keep_what_was_typed(client, manager):
    client.force_login(manager)
    this_month = timezone.localdate()
    response = client.post(
        reverse("dataset:extracts"), {"month": f"{this_month:%Y-%m}", "kind": "primary", "reason": "typed reason"}
    )
    assert response.status_code == 200
    assert "Choose a month that has ended." in response.content.decode()
    assert "typed reason" in response.content.decode()
    response = client.post(reverse("dataset:extracts"), {"month": "2026-13", "kind": "primary", "reason": ""})
    assert "Enter a month as YYYY-MM" in response.content.decode()
    assert not DatasetExtract.objects.exists()
    with pytest.raises(ValidationError):
        services.dataset_extract_request(user=manager, year=2009, month=12, reason="x")


def test_a_build_runs_once_and_a_build_that_lost_its_worker_runs_again(manager):
    start, _ = _last_month()
    extract = services.dataset_extract_request(user=manager, year=start.year, month=start.month, reason="Monthly")
    assert services.dataset_extract_build(extract_id=extract.pk).status == ExtractStatus.DONE
    assert services.dataset_extract_build(extract_id=extract.pk) is None  # delivered twice: built once
    # a build whose worker died: its heartbeat stops, the sweep queues it, the next delivery builds it
    DatasetExtract.objects.filter(pk=extract.pk).update(
        status=ExtractStatus.RUNNING, heartbeat_at=timezone.now() - services.STALE_AFTER - timedelta(seconds=1)
    )
    assert services.dataset_extracts_rerun_stale() == 1
    assert services.dataset_extract_build(extract_id=extract.pk).status == ExtractStatus.DONE


def test_the_schedule_builds_last_month_on_the_first_working_day_only(manager):
    monday = date(2026, 11, 2)
    assert services.dataset_extracts_schedule(today=monday + timedelta(days=1)) == 0
    assert services.dataset_extracts_schedule(today=monday) >= 1
    extract = DatasetExtract.objects.get(service=manager.service)
    assert (extract.period_start, extract.period_end, extract.requested_by) == (
        date(2026, 10, 1),
        date(2026, 10, 31),
        None,
    )
    assert services.dataset_extracts_schedule(today=monday) == 0  # once a month


def test_requests_are_404_for_a_user_without_the_permission():
    user = UserFactory(role=Role.PWP, service=ServiceFactory())
    with pytest.raises(Http404):
        services.dataset_extract_request(user=user, year=2026, month=1, reason="x")
