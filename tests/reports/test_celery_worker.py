"""A large export through the Redis broker to a real Celery worker process."""

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import quote

import pytest
from django.db import connection
from django.urls import reverse

from iapt.celery import app as celery_app
from reports.models import ExportJob, ExportStatus

from .factories import build
from .test_views import export, simple_cases

ROOT = Path(__file__).resolve().parents[2]


def worker_database_url() -> str:
    s = connection.settings_dict
    host = quote(s["HOST"] or "", safe="") if (s["HOST"] or "").startswith("/") else (s["HOST"] or "")
    port = f":{s['PORT']}" if s["PORT"] else ""
    return f"postgres://{s['USER']}@{host}{port}/{s['NAME']}"


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
        "DATABASE_URL": worker_database_url(),
        "REDIS_URL": settings.REDIS_URL,
        "EXPORT_ROOT": str(settings.EXPORT_ROOT),
    }
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "iapt",
            "worker",
            "--pool=solo",
            "--without-heartbeat",
            "--without-mingle",
            "--without-gossip",
            "-Q",
            queue,
            "--loglevel=WARNING",
        ],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
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
        worker.terminate()
        try:
            output = worker.communicate(timeout=20)[0].decode()
        except subprocess.TimeoutExpired:
            worker.kill()
            output = ""
    # then the worker wrote it, and its owner can download it
    assert "Traceback" not in output, output
    assert job.status == ExportStatus.DONE, job.error
    assert job.rows_written == 4
    status = client.get(reverse("reports:export_job_status", args=[job.pk])).json()
    assert status["percent"] == 100
    download = client.get(status["downloadUrl"])
    assert download.status_code == 200 and b"".join(download.streaming_content)[:2] == b"PK"
