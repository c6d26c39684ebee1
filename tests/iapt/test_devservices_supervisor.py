"""`make run` supervises its Celery worker (iapt/devservices.py): a worker that
dies, whatever the cause, is started again and takes work (issue 23)."""

import sys
import time
import uuid
from datetime import timedelta

import psutil
import pytest
from django.conf import settings
from django.utils import timezone

from accounts.models import Role
from iapt.devservices import WORKER_ARGS, Supervised
from supervision.models import Flag
from supervision.tasks import flag_cases
from tests.factories import UserFactory
from tests.live import child_env, database_url, wait_for
from tests.supervision.conftest import open_case


@pytest.mark.celery
@pytest.mark.django_db(transaction=True)
def test_a_supervised_worker_killed_with_sigkill_is_started_again_and_runs_tasks():
    # given make run's supervisor keeping a worker (on a queue of this test's own)
    pwp = UserFactory(role=Role.PWP)
    overdue = open_case(pwp, opened_at=timezone.now() - timedelta(days=40))
    queue = f"test-{uuid.uuid4().hex[:8]}"
    env = child_env(DATABASE_URL=database_url(), REDIS_URL=settings.REDIS_URL)
    command = [sys.executable, "-m", "celery", "-A", "iapt", "worker", *WORKER_ARGS, "--concurrency=1", "-Q", queue]
    worker = Supervised("celery worker", command, env=env, max_backoff=1)
    worker.start()
    try:
        first = worker.proc.pid
        # when the worker is killed outright, with its pool
        for process in [psutil.Process(first), *psutil.Process(first).children()]:
            process.kill()

        # then the supervisor starts another
        def restarted():
            worker.poll()
            return worker.restarts == 1 and worker.proc.pid != first and worker.proc.poll() is None

        wait_for(restarted, timeout=15, what="the supervisor to restart the worker")
        # and it takes work
        flag_cases.apply_async(queue=queue)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not Flag.objects.filter(referral=overdue).exists():
            worker.poll()
            time.sleep(0.3)
        assert Flag.objects.filter(referral=overdue, reason="overdue_review").exists()
        assert worker.restarts == 1
    finally:
        worker.stop()
    assert worker.proc.poll() is not None
