"""A worker killed in the middle of the flag job: the sweep is one transaction,
so nothing of the killed run survives, and the redelivered run (acks_late with
reject_on_worker_lost) leaves exactly the flags of one clean run."""

import os
import signal
import time
import uuid
from datetime import timedelta

import psutil
import psycopg2
import pytest
import redis
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from supervision.models import Flag, Notification
from supervision.sweep import sweep
from supervision.tasks import flag_cases
from tests.live import celery_worker, child_env, database_url, stop_worker, wait_for

from .conftest import RISK, log, open_case


def state():
    flags = sorted((str(f.referral_id), f.reason, f.resolved_at is None) for f in Flag.objects.all())
    notes = sorted(
        (str(n.flag.referral_id), n.flag.reason, n.user_id) for n in Notification.objects.select_related("flag")
    )
    return flags, notes


def clean_run_state():
    """What one uninterrupted run leaves, computed and then rolled back."""
    with transaction.atomic():
        sweep()
        expected = state()
        transaction.set_rollback(True)
    return expected


def own_connection():
    s = connection.settings_dict
    conn = psycopg2.connect(
        dbname=s["NAME"], user=s["USER"], host=s["HOST"] or None, port=s["PORT"] or None, password=s["PASSWORD"]
    )
    conn.autocommit = False
    return conn


def backends_waiting_on_a_lock(cursor) -> list[int]:
    cursor.execute(
        "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
        " AND pid <> pg_backend_pid()"
    )
    return [row[0] for row in cursor.fetchall()]


@pytest.mark.celery
@pytest.mark.django_db(transaction=True)
def test_flag_job_killed_mid_run_is_redelivered_and_leaves_one_clean_runs_state(team):
    # given cases that raise overdue, risk and DNA flags (and a risk notification)
    pwp, _ = team
    overdue = open_case(pwp, opened_at=timezone.now() - timedelta(days=40))
    risky = open_case(pwp)
    log(pwp, risky, days_ago=1, item9=2, risk=RISK)
    missed = open_case(pwp)
    log(pwp, missed, days_ago=14)
    log(pwp, missed, days_ago=7, attendance="3")
    log(pwp, missed, days_ago=1, attendance="3")
    expected = clean_run_state()
    assert {reason for _, reason, _ in expected[0]} >= {"overdue_review", "risk", "dna"}
    assert not Flag.objects.exists()
    assert str(overdue.pk) in {ref for ref, _, _ in expected[0]}

    # and another session holding, uncommitted, the DNA flag the job will insert
    # after its overdue and risk flags: the job waits there, mid-transaction
    blocker = own_connection()
    with blocker.cursor() as cursor:
        cursor.execute(
            "INSERT INTO supervision_flag (referral_id, reason, raised_at, detail) VALUES (%s, 'dna', now(), '')",
            [str(missed.pk)],
        )
    queue = f"test-{uuid.uuid4().hex[:8]}"
    worker = celery_worker(
        child_env(DATABASE_URL=database_url(), REDIS_URL=settings.REDIS_URL), queue=queue, pool="prefork"
    )
    watcher = own_connection()
    watcher.autocommit = True
    try:
        flag_cases.apply_async(queue=queue)
        with watcher.cursor() as cursor:
            waiting = wait_for(
                lambda: backends_waiting_on_a_lock(cursor), timeout=60, what="the flag job to reach the DNA flag"
            )
            # its overdue and risk flags are written, uncommitted: it waits on the DNA insert
            cursor.execute("SELECT query FROM pg_stat_activity WHERE pid = %s", waiting[:1])
            assert "'dna'" in cursor.fetchone()[0]

        # when the pool process running it is killed
        children = psutil.Process(worker.pid).children()
        assert len(children) == 1
        killed = children[0].pid
        os.kill(killed, signal.SIGKILL)
        wait_for(
            lambda: [c.pid for c in psutil.Process(worker.pid).children()] not in ([], [killed]),
            timeout=60,
            what="the worker to replace its pool process",
        )
        # then nothing of the killed run is visible (its transaction never committed)
        assert not Flag.objects.exists() and not Notification.objects.exists()

        # when the other session lets go, the redelivered job runs to the end
        blocker.rollback()
        wait_for(
            lambda: state() == expected,
            timeout=60,
            what="the redelivered job to leave one clean run's flags",
        )

        # then a further run (beat's next hour) changes nothing either
        flag_cases.apply_async(queue=queue)
        wait_for(lambda: _queue_empty(queue), timeout=60, what="the next run")
        assert state() == expected
        assert Notification.objects.filter(emailed_at__isnull=False).count() == len(expected[1])
    finally:
        blocker.close()
        watcher.close()
        output = stop_worker(worker)
    assert "WorkerLostError" in output or "exited with 'signal 9" in output, output


def _queue_empty(queue: str) -> bool:
    """Nothing waiting in the test's queue, nor taken and not yet acknowledged."""
    client = redis.Redis.from_url(settings.REDIS_URL)
    try:
        return client.llen(queue) == 0 and not any(queue.encode() in v for v in client.hvals("unacked"))
    finally:
        client.close()


@pytest.mark.celery
@pytest.mark.django_db(transaction=True)
def test_flag_job_whose_whole_worker_is_killed_is_rerun_by_another_worker_within_the_visibility_timeout(team):
    # given the flag job held mid-run (as above) on a worker that will die whole,
    # not just a pool process: its message stays in Redis's unacknowledged set
    pwp, _ = team
    risky = open_case(pwp)
    log(pwp, risky, days_ago=1, item9=2, risk=RISK)
    missed = open_case(pwp)
    log(pwp, missed, days_ago=14)
    log(pwp, missed, days_ago=7, attendance="3")
    log(pwp, missed, days_ago=1, attendance="3")
    expected = clean_run_state()
    blocker = own_connection()
    with blocker.cursor() as cursor:
        cursor.execute(
            "INSERT INTO supervision_flag (referral_id, reason, raised_at, detail) VALUES (%s, 'dna', now(), '')",
            [str(missed.pk)],
        )
    queue = f"test-{uuid.uuid4().hex[:8]}"
    # a visibility timeout of seconds, not production's 10 minutes, so the test is short
    env = child_env(DATABASE_URL=database_url(), REDIS_URL=settings.REDIS_URL, CELERY_VISIBILITY_TIMEOUT="8")
    worker = celery_worker(env, queue=queue, pool="prefork")
    watcher = own_connection()
    watcher.autocommit = True
    replacement = None
    try:
        flag_cases.apply_async(queue=queue)
        with watcher.cursor() as cursor:
            wait_for(lambda: backends_waiting_on_a_lock(cursor), timeout=60, what="the flag job to reach the DNA flag")

        # when the whole worker is killed, the other session lets go, and another worker starts
        for process in [psutil.Process(worker.pid), *psutil.Process(worker.pid).children()]:
            process.kill()
        worker.wait(10)
        blocker.rollback()
        assert not Flag.objects.exists()  # nothing of the killed run
        killed_at = time.monotonic()
        replacement = celery_worker(env, queue=queue, pool="prefork")

        # then that worker takes the unacknowledged message once the visibility timeout
        # has passed (not kombu's default hour) and the run leaves one clean run's flags
        wait_for(lambda: state() == expected, timeout=60, what="another worker to rerun the flag job")
        assert time.monotonic() - killed_at < 60
        wait_for(lambda: _queue_empty(queue), timeout=30, what="the rerun to be acknowledged")
    finally:
        blocker.close()
        watcher.close()
        if replacement is not None:
            stop_worker(replacement)
    assert Notification.objects.filter(emailed_at__isnull=False).count() == len(expected[1])
