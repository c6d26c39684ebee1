"""A large export through the Redis broker to a real Celery worker process."""

import os
import time
import uuid

import pytest
from django.urls import reverse

from iapt.celery import app as celery_app
from reports.models import ExportJob, ExportStatus
from tests.live import celery_worker, database_url, stop_worker

from .factories import build
from .test_views import export, simple_cases


@pytest.mark.celery
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_runs_the_export_and_reports_progress(client, service, manager, settings, monkeypatch):
    # given a service whose export is too large for a request
    settings.EXPORT_SYNC_MAX_ROWS = 1
    build(service=service, cases=simple_cases(4))
    queue = f"test-reports-{uuid.uuid4().hex[:8]}"  # this worker alone consumes it
    publish = celery_app.send_task  # the outbox publishes it after commit: to this test's queue
    monkeypatch.setattr(celery_app, "send_task", lambda name, **options: publish(name, queue=queue, **options))
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "iapt.settings.test",
        "DATABASE_URL": database_url(),
        "REDIS_URL": settings.REDIS_URL,
        "EXPORT_ROOT": str(settings.EXPORT_ROOT),
    }
    worker = celery_worker(env, queue=queue)
    try:
        # when the manager asks for it
        client.force_login(manager)
        response = export(client, format="xlsx")
        job = ExportJob.objects.get()
        assert response["Location"] == reverse("reports:export_job", args=[job.pk])
        deadline = time.monotonic() + 60
        while job.status in (ExportStatus.QUEUED, ExportStatus.RUNNING) and time.monotonic() < deadline:
            time.sleep(0.3)
            job.refresh_from_db()
    finally:
        output = stop_worker(worker)
    # then the worker wrote it, and its owner can download it
    assert "Traceback" not in output, output
    assert job.status == ExportStatus.DONE, job.error
    assert job.rows_written == 4
    status = client.get(reverse("reports:export_job_status", args=[job.pk])).json()
    assert status["percent"] == 100
    download = client.get(status["downloadUrl"])
    assert download.status_code == 200 and b"".join(download.streaming_content)[:2] == b"PK"
