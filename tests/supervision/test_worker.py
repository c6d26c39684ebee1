"""The flag job through the broker to a real Celery worker process."""

import os
import time
import uuid
from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from supervision.models import Flag
from supervision.tasks import flag_cases
from tests.live import celery_worker, database_url, stop_worker

from .conftest import open_case


@pytest.mark.celery
@pytest.mark.django_db(transaction=True)
def test_flag_job_runs_on_a_real_worker(team):
    pwp, _ = team
    referrals = [open_case(pwp, opened_at=timezone.now() - timedelta(days=40)) for _ in range(3)]
    queue = f"test-{uuid.uuid4().hex[:8]}"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "iapt.settings.test",
        "DATABASE_URL": database_url(),
        "REDIS_URL": settings.REDIS_URL,
    }
    worker = celery_worker(env, queue=queue)
    try:
        flag_cases.apply_async(queue=queue)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and Flag.objects.filter(reason="overdue_review").count() < 3:
            time.sleep(0.5)
        assert {f.referral_id for f in Flag.objects.filter(reason="overdue_review")} == {r.pk for r in referrals}
    finally:
        output = stop_worker(worker)
    assert "Traceback" not in output, output
