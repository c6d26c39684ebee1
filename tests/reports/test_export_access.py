"""Record-level exports only for service managers, and downloads that check
the permission again when the file is fetched (issue 13 findings 5 and 6)."""

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.models import AccessLog, Role
from accounts.services import api_token_issue
from reports import services
from reports.models import ExportJob, ExportStatus

from .factories import build
from .test_views import PERIOD, export, simple_cases


def _api(user) -> APIClient:
    _, secret = api_token_issue(user=user, name="exports")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    return client


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_the_system_administrator_makes_no_record_level_export(client, sysadmin, service, fmt):
    """Finding 5: not even pseudonymised, on the page or over the API; the
    aggregated report stays theirs."""
    build(service=service, cases=simple_cases(3))
    client.force_login(sysadmin)
    page = client.get(reverse("reports:service_report"), {**PERIOD, "service": service.pk})
    assert page.status_code == 200 and page.context["report"].total["received"] == 3
    assert not page.context["can_export_records"] and b'id="export-form"' not in page.content
    response = export(client, service=service.pk, format=fmt)
    assert response.status_code == 302  # back to the report, with the reason
    body = {"date_from": "2026-04-01", "date_to": "2026-06-30", "service": service.pk, "format": fmt}
    assert _api(sysadmin).post("/api/v1/exports/", body, format="json").status_code == 403
    assert not AccessLog.objects.filter(action="export").exists()
    assert not ExportJob.objects.exists()


def test_a_queued_job_of_a_system_administrator_does_not_run(service, sysadmin):
    scope = services.report_scope_for_user(user=sysadmin, filters={**PERIOD, "service_id": service.pk})
    job = ExportJob.objects.create(requested_by=sysadmin, filters=scope.filters(), format="csv")
    assert services.export_job_run(job_id=job.pk).status == ExportStatus.FAILED
    assert not AccessLog.objects.filter(action="export").exists()


def _identifiable_job(service, manager):
    build(service=service, cases=simple_cases(2))
    scope = services.report_scope_for_user(user=manager, filters={**PERIOD, "service_id": service.pk})
    job = services.export_job_request(user=manager, scope=scope, fmt="csv", identifiable=True, reason="Audit")
    services.export_job_run(job_id=job.pk)
    job.refresh_from_db()
    assert job.status == ExportStatus.DONE
    return job


def test_a_withdrawn_identifiable_permission_stops_the_download(client, service, identifiable_manager):
    """Finding 6: the finished identifiable job answered 200 after the permission went."""
    manager = identifiable_manager
    job = _identifiable_job(service, manager)
    client.force_login(manager)
    api = _api(manager)
    assert client.get(reverse("reports:export_job_download", args=[job.pk])).status_code == 200
    assert api.get(f"/api/v1/exports/{job.pk}/download/").status_code == 200
    downloads = AccessLog.objects.filter(detail__delivery="job download").count()
    # when the permission is withdrawn
    manager.user_permissions.remove(
        Permission.objects.get(codename="export_identifiable", content_type__app_label="reports")
    )
    # then neither the page nor the API hands the file over, and no download is audited
    assert client.get(reverse("reports:export_job_download", args=[job.pk])).status_code == 403
    assert api.get(f"/api/v1/exports/{job.pk}/download/").status_code == 403
    assert AccessLog.objects.filter(detail__delivery="job download").count() == downloads


def test_a_manager_moved_to_another_role_or_service_downloads_nothing(client, service, manager):
    scope = services.report_scope_for_user(user=manager, filters={**PERIOD, "service_id": service.pk})
    job = services.export_job_request(user=manager, scope=scope, fmt="csv", identifiable=False)
    services.export_job_run(job_id=job.pk)
    client.force_login(manager)
    assert client.get(reverse("reports:export_job_download", args=[job.pk])).status_code == 200
    from tests.factories import ServiceFactory

    manager.service = ServiceFactory()
    manager.save()
    assert client.get(reverse("reports:export_job_download", args=[job.pk])).status_code == 404
    manager.service, manager.role = service, Role.SYSTEM_ADMIN
    manager.save()
    assert client.get(reverse("reports:export_job_download", args=[job.pk])).status_code in (403, 404)
    assert _api(manager).get(f"/api/v1/exports/{job.pk}/download/").status_code in (403, 404)
