"""Large exports: a Celery job with progress, a download only for its owner,
expiry, and runs that are safe to repeat."""

import csv
import io
from datetime import timedelta
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import AccessLog, Role
from reports import services, tasks
from reports.models import ExportJob, ExportStatus
from tests.factories import UserFactory

from .factories import build
from .test_views import PERIOD, export, simple_cases


@pytest.fixture
def inline_worker(monkeypatch):
    """Publishing the task (from the outbox, after the commit) runs it at once, as a worker would."""
    from iapt.celery import app

    monkeypatch.setattr(app, "send_task", lambda name, args=(), **options: app.tasks[name](*args))


def test_a_large_export_runs_as_a_job_with_progress_and_an_expiring_link(
    client, service, manager, settings, inline_worker, django_capture_on_commit_callbacks
):
    # given an export larger than a request should stream
    settings.EXPORT_SYNC_MAX_ROWS = 3
    build(service=service, cases=simple_cases(5))
    client.force_login(manager)
    # when the manager asks for it
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = export(client)
    # then a job is queued (only its id goes to the broker) and its page shows progress
    job = ExportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("reports:export_job", args=[job.pk])
    assert len(callbacks) == 1
    job.refresh_from_db()
    assert job.status == ExportStatus.DONE and job.rows_written == 5 and job.rows_total == 5
    assert job.expires_at - job.finished_at == timedelta(hours=settings.EXPORT_TTL_HOURS)
    page = client.get(reverse("reports:export_job", args=[job.pk]))
    assert b"Ready to download" in page.content and b"js/reports_job.js" in page.content
    status = client.get(reverse("reports:export_job_status", args=[job.pk])).json()
    assert status["percent"] == 100 and status["downloadUrl"].endswith("/download/")
    # the download is the file, and is audited
    download = client.get(status["downloadUrl"])
    rows = list(csv.DictReader(io.StringIO(b"".join(download.streaming_content).decode("utf-8-sig"))))
    assert len(rows) == 5
    deliveries = sorted(log.detail["delivery"] for log in AccessLog.objects.filter(action="export"))
    assert deliveries == ["job", "job download"]
    assert all(log.detail["row_count"] == 5 for log in AccessLog.objects.filter(action="export"))
    # once expired, the link no longer works and the sweep deletes the file
    path = Path(settings.EXPORT_ROOT) / job.file_path
    assert path.exists()
    ExportJob.objects.filter(pk=job.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    response = client.get(status["downloadUrl"])
    assert response.status_code == 302
    assert client.get(reverse("reports:export_job_status", args=[job.pk])).json()["downloadUrl"] is None
    assert tasks.expire_exports() == 1
    assert not path.exists()
    assert ExportJob.objects.get(pk=job.pk).status == ExportStatus.EXPIRED


def test_a_job_is_safe_to_run_twice(service, manager):
    build(service=service, cases=simple_cases(2))
    scope = services.report_scope_for_user(user=manager, filters={**PERIOD, "service_id": service.pk})
    job = ExportJob.objects.create(requested_by=manager, filters=scope.filters(), format="xlsx", rows_total=2)
    first = services.export_job_run(job_id=job.pk)
    assert first.status == ExportStatus.DONE
    assert services.export_job_run(job_id=job.pk) is None  # already done: nothing happens
    assert AccessLog.objects.filter(action="export").count() == 1
    assert list(Path(services._export_root()).iterdir()) == [Path(services._export_root()) / f"{job.pk}.xlsx"]


def test_a_stale_running_job_is_taken_over(service, manager):
    scope = services.report_scope_for_user(user=manager, filters={**PERIOD, "service_id": service.pk})
    fresh = ExportJob.objects.create(
        requested_by=manager,
        filters=scope.filters(),
        format="csv",
        status=ExportStatus.RUNNING,
        started_at=timezone.now(),
    )
    stale = ExportJob.objects.create(
        requested_by=manager,
        filters=scope.filters(),
        format="csv",
        status=ExportStatus.RUNNING,
        started_at=timezone.now() - timedelta(hours=3),
    )
    assert services.export_job_run(job_id=fresh.pk) is None
    assert services.export_job_run(job_id=stale.pk).status == ExportStatus.DONE


def test_a_job_checks_access_again_when_it_runs(service, manager):
    scope = services.report_scope_for_user(user=manager, filters={**PERIOD, "service_id": service.pk})
    job = ExportJob.objects.create(requested_by=manager, filters=scope.filters(), format="csv")
    manager.role = Role.PWP  # moved to another role since asking
    manager.save()
    assert services.export_job_run(job_id=job.pk).status == ExportStatus.FAILED
    assert not list(Path(services._export_root()).iterdir())
    assert not AccessLog.objects.filter(action="export").exists()


def test_an_identifiable_job_needs_the_permission(service, manager):
    scope = services.report_scope_for_user(user=manager, filters={**PERIOD, "service_id": service.pk})
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        services.export_job_request(user=manager, scope=scope, fmt="csv", identifiable=True, reason="Audit")
    assert not ExportJob.objects.exists()


def test_only_the_owner_downloads(client, service, manager):
    scope = services.report_scope_for_user(user=manager, filters={**PERIOD, "service_id": service.pk})
    job = ExportJob.objects.create(requested_by=manager, filters=scope.filters(), format="csv")
    services.export_job_run(job_id=job.pk)
    other = UserFactory(role=Role.SERVICE_MANAGER, service=service)
    client.force_login(other)
    assert client.get(reverse("reports:export_job_download", args=[job.pk])).status_code == 404
    client.force_login(manager)
    assert client.get(reverse("reports:export_job_download", args=[job.pk])).status_code == 200
