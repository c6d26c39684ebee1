"""An export whose worker dies finishes or fails visibly, never hangs "running"
(issue 23, finding 3). Real worker processes are killed with SIGKILL mid-job:
the job is held at a known point by another session's lock on the referrals
the export reads (no test-only hook in the code)."""

import os
import signal
import uuid
from datetime import timedelta
from pathlib import Path

import psutil
import psycopg2
import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from iapt.celery import app as celery_app
from reports import services
from reports.models import ExportJob, ExportStatus
from tests.live import celery_worker, child_env, database_url, stop_worker, wait_for

from .factories import build
from .test_views import PERIOD, export, simple_cases

HEARTBEAT, STALE = 1, 3  # seconds, for these tests (production: 15 and 90)


def own_connection():
    s = connection.settings_dict
    return psycopg2.connect(
        dbname=s["NAME"], user=s["USER"], host=s["HOST"] or None, port=s["PORT"] or None, password=s["PASSWORD"]
    )


@pytest.fixture
def queued_export(client, service, manager, settings, monkeypatch):
    """A manager's export, large enough to be a job, published to a queue of this
    test's own; returns (job, queue, worker env)."""
    settings.EXPORT_SYNC_MAX_ROWS = 1
    settings.EXPORT_HEARTBEAT_SECONDS, settings.EXPORT_STALE_SECONDS = HEARTBEAT, STALE
    build(service=service, cases=simple_cases(4))
    queue = f"test-export-{uuid.uuid4().hex[:8]}"
    publish = celery_app.send_task  # the outbox publishes after commit: to this test's queue
    monkeypatch.setattr(celery_app, "send_task", lambda name, **options: publish(name, queue=queue, **options))
    env = child_env(
        DATABASE_URL=database_url(),
        REDIS_URL=settings.REDIS_URL,
        EXPORT_ROOT=str(settings.EXPORT_ROOT),
        EXPORT_HEARTBEAT_SECONDS=str(HEARTBEAT),
        EXPORT_STALE_SECONDS=str(STALE),
    )
    return client, queue, env


def hold_the_export(blocker) -> None:
    with blocker.cursor() as cursor:
        cursor.execute("LOCK TABLE patients_referral IN ACCESS EXCLUSIVE MODE")


def waiting_on_a_lock() -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        return cursor.fetchone()[0] > 0


def parts(settings) -> list[Path]:
    return sorted(Path(settings.EXPORT_ROOT).glob("*.part"))


def wait_until_running_and_held(job, settings) -> None:
    wait_for(
        lambda: ExportJob.objects.get(pk=job.pk).status == ExportStatus.RUNNING and waiting_on_a_lock(),
        timeout=60,
        what="the export to start and wait on the referrals",
    )
    assert len(parts(settings)) == 1  # its .part file is on disk


def wait_until_finished(job) -> ExportJob:
    return wait_for(
        lambda: (j := ExportJob.objects.get(pk=job.pk)).status in (ExportStatus.DONE, ExportStatus.FAILED) and j,
        timeout=60,
        what="the export to finish",
    )


@pytest.mark.celery
@pytest.mark.django_db(transaction=True)
def test_an_export_whose_pool_process_is_killed_is_run_again_and_completes(queued_export, manager, settings):
    # given a worker running a manager's export, held mid-job
    client, queue, env = queued_export
    client.force_login(manager)
    export(client)  # queued; no worker yet
    job = ExportJob.objects.get()
    blocker = own_connection()
    hold_the_export(blocker)
    worker = celery_worker(env, queue=queue, pool="prefork")
    try:
        wait_until_running_and_held(job, settings)

        # when the pool process running it is killed, and the lock goes
        (child,) = psutil.Process(worker.pid).children()
        os.kill(child.pid, signal.SIGKILL)
        blocker.rollback()

        # then the redelivered task runs it again from the start, once the dead run's heartbeat is stale
        job = wait_until_finished(job)
    finally:
        blocker.close()
        output = stop_worker(worker)
    assert job.status == ExportStatus.DONE, (job.error, output)
    assert job.attempts == 2 and job.rows_written == 4
    assert parts(settings) == []
    status = client.get(reverse("reports:export_job_status", args=[job.pk])).json()
    download = client.get(status["downloadUrl"])
    assert download.status_code == 200
    body = b"".join(download.streaming_content).decode()
    assert len(body.strip().splitlines()) == 1 + 4  # the header and each referral once, not twice


@pytest.mark.celery
@pytest.mark.django_db(transaction=True)
def test_an_export_whose_whole_worker_is_killed_is_requeued_by_the_reaper_and_completes(
    queued_export, manager, settings
):
    # given a worker running a manager's export, held mid-job
    client, queue, env = queued_export
    client.force_login(manager)
    export(client)  # queued; no worker yet
    job = ExportJob.objects.get()
    blocker = own_connection()
    hold_the_export(blocker)
    worker = celery_worker(env, queue=queue, pool="prefork")
    replacement = None
    try:
        wait_until_running_and_held(job, settings)

        # when the whole worker is killed (its message stays unacknowledged in Redis)
        processes = [psutil.Process(worker.pid), *psutil.Process(worker.pid).children()]
        for process in processes:
            process.kill()
        worker.wait(10)
        blocker.rollback()
        # then while its heartbeat is fresh the reaper leaves it alone
        assert services.export_jobs_reap()["requeued"] == 0
        # and once it is stale, the reaper (beat, every minute) queues it again and removes the .part file
        wait_for(
            lambda: ExportJob.objects.filter(
                pk=job.pk, heartbeat_at__lt=timezone.now() - timedelta(seconds=STALE)
            ).exists(),
            timeout=30,
            what="the dead run's heartbeat to go stale",
        )
        assert services.export_jobs_reap() == {"requeued": 1, "failed": 0, "parts_removed": 1}
        assert ExportJob.objects.get(pk=job.pk).status == ExportStatus.QUEUED
        assert parts(settings) == []

        # and a worker (a new one, as docker-compose's restart starts) runs it to the end
        replacement = celery_worker(env, queue=queue, pool="prefork")
        job = wait_until_finished(job)
    finally:
        blocker.close()
        output = stop_worker(replacement) if replacement is not None else ""
    assert job.status == ExportStatus.DONE, (job.error, output)
    assert job.attempts == 2 and job.rows_written == 4
    assert client.get(reverse("reports:export_job_download", args=[job.pk])).status_code == 200


@pytest.mark.django_db
def test_an_export_that_keeps_losing_its_worker_fails_visibly_with_try_again(client, service, manager, settings):
    # given a job whose worker died on its last allowed run, and the .part file it left
    settings.EXPORT_STALE_SECONDS = STALE
    scope = services.report_scope_for_user(user=manager, filters={**PERIOD, "service_id": service.pk})
    long_ago = timezone.now() - timedelta(minutes=5)
    job = ExportJob.objects.create(
        requested_by=manager,
        filters=scope.filters(),
        format="csv",
        rows_total=10,
        rows_written=4,
        status=ExportStatus.RUNNING,
        started_at=long_ago,
        heartbeat_at=long_ago,
        attempts=settings.EXPORT_MAX_ATTEMPTS,
    )
    part = services._export_root() / f"{job.pk}.csv.part"
    part.write_text("half a file")

    # when the reaper runs
    assert services.export_jobs_reap() == {"requeued": 0, "failed": 1, "parts_removed": 1}

    # then the job failed, saying why, and its page offers to try again
    job.refresh_from_db()
    assert job.status == ExportStatus.FAILED and job.error == services.WORKER_LOST
    assert not part.exists()
    client.force_login(manager)
    page = client.get(reverse("reports:export_job", args=[job.pk])).content.decode()
    assert "the background worker running it stopped 3 times" in page
    assert "Try again" in page
    assert client.get(reverse("reports:export_job_status", args=[job.pk])).json()["status"] == "failed"

    # when the manager tries again, a new job is queued with the same choices
    response = client.post(reverse("reports:export_job_retry", args=[job.pk]))
    again = ExportJob.objects.exclude(pk=job.pk).get()
    assert response.status_code == 302 and response["Location"] == reverse("reports:export_job", args=[again.pk])
    assert again.status == ExportStatus.QUEUED and again.filters == job.filters and again.format == "csv"
    # and a job that did not fail cannot be "tried again"
    assert client.post(reverse("reports:export_job_retry", args=[again.pk])).status_code == 302
    assert ExportJob.objects.count() == 2


@pytest.mark.django_db
def test_only_the_owner_can_try_again(client, service, manager):
    from accounts.models import Role
    from tests.factories import UserFactory

    scope = services.report_scope_for_user(user=manager, filters={**PERIOD, "service_id": service.pk})
    job = ExportJob.objects.create(
        requested_by=manager, filters=scope.filters(), format="csv", status=ExportStatus.FAILED
    )
    client.force_login(UserFactory(role=Role.SERVICE_MANAGER, service=service))
    assert client.post(reverse("reports:export_job_retry", args=[job.pk])).status_code == 404
    assert ExportJob.objects.count() == 1


def test_the_reaper_is_on_beats_schedule(settings):
    schedule = {entry["task"]: entry["schedule"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert schedule["reports.reap_exports"] <= 60
