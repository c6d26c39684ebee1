"""The flag job through the broker to a real Celery worker process."""

import os
import subprocess
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from supervision.models import Flag
from supervision.tasks import flag_cases

from .conftest import open_case

ROOT = Path(__file__).resolve().parents[2]


def worker_database_url() -> str:
    s = connection.settings_dict
    host = quote(s["HOST"] or "", safe="") if (s["HOST"] or "").startswith("/") else (s["HOST"] or "")
    port = f":{s['PORT']}" if s["PORT"] else ""
    return f"postgres://{s['USER']}@{host}{port}/{s['NAME']}"


@pytest.mark.celery
@pytest.mark.django_db(transaction=True)
def test_flag_job_runs_on_a_real_worker(team):
    pwp, _ = team
    referrals = [open_case(pwp, opened_at=timezone.now() - timedelta(days=40)) for _ in range(3)]
    queue = f"test-{uuid.uuid4().hex[:8]}"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "iapt.settings.test",
        "DATABASE_URL": worker_database_url(),
        "REDIS_URL": settings.REDIS_URL,
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
        flag_cases.apply_async(queue=queue)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and Flag.objects.filter(reason="overdue_review").count() < 3:
            time.sleep(0.5)
        assert {f.referral_id for f in Flag.objects.filter(reason="overdue_review")} == {r.pk for r in referrals}
    finally:
        worker.terminate()
        try:
            output = worker.communicate(timeout=20)[0].decode()
        except subprocess.TimeoutExpired:
            worker.kill()
            output = ""
    assert "Traceback" not in output, output
