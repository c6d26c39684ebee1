"""Fault drill (issue 23): Redis frozen (SIGSTOP) while PWPs save risk sessions,
in the production shape: gunicorn with 3 workers, a Celery worker with 2
processes, beat apart, on a Redis of the drill's own and the suite's PostgreSQL.

    make test PYTEST_ARGS="bench/drill_redis.py -s"     # about 2 minutes

Not part of `make test` (it is not a test_*.py file; given by name it runs).
Prints the figures the README quotes: save latency before and while Redis is
frozen (median, p95, max), the time from Redis's return until every follow-up
ran (outbox relayed by beat, every risk flag raised, every email sent), and
how many emails went per notification. Timings are this machine's, under the
drill's own load; they are reported, never asserted, except that nothing is
lost or sent twice.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import threading
import time
from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import Role
from outbox.models import OutboxMessage
from supervision.models import Flag, Notification
from tests.factories import ReferralFactory, SupervisionAssignmentFactory, UserFactory
from tests.live import ROOT, Browser, Gunicorn, RedisServer, child_env, database_url, production_worker, stop_worker

CLIENTS = 5
CASES_PER_CLIENT = 80
WARM_SECONDS, FROZEN_SECONDS, AFTER_SECONDS = 10, 20, 5
SUBJECT = "Subject: Talking Therapies: a case needs supervision (risk)"


def risk_session(minutes_ago: int) -> dict:
    return {
        "started_at": (timezone.localtime() - timedelta(minutes=minutes_ago)).strftime("%Y-%m-%dT%H:%M"),
        "appointment_type": "02",
        "attendance": "5",
        "medium": "02",
        "duration_minutes": "30",
        "notes": "Drill",
        **{f"PHQ9_{i}": "2" for i in range(1, 10)},
        **{f"GAD7_{i}": "1" for i in range(1, 8)},
        "risk_recorded": "on",
        "risk_to_self": "medium",
        "risk_to_others": "none",
        "risk_from_others": "none",
        "level": "medium",
        "plan": "Safety plan agreed",
    }


def pct(values, q):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


@pytest.mark.celery
@pytest.mark.django_db(transaction=True)
def test_drill_redis_frozen(tmp_path):
    supervisor = UserFactory(role=Role.SUPERVISOR, email="sup@example.invalid")
    pwps, cases = [], {}
    for _ in range(CLIENTS):
        pwp = UserFactory(role=Role.PWP, service=supervisor.service)
        SupervisionAssignmentFactory(supervisor=supervisor, supervisee=pwp)
        pwps.append(pwp)
        cases[pwp.pk] = [
            ReferralFactory(
                patient__service=pwp.service,
                assigned_practitioner=pwp,
                opened_at=timezone.now() - timedelta(days=5),
                last_reviewed_at=None,
            ).pk
            for _ in range(CASES_PER_CLIENT)
        ]
    broker = RedisServer(tmp_path / "redis")
    broker.start()
    mail_dir = tmp_path / "mail"
    env = child_env(
        DATABASE_URL=database_url(),
        REDIS_URL=broker.url,
        EMAIL_BACKEND="django.core.mail.backends.filebased.EmailBackend",
        EMAIL_FILE_PATH=str(mail_dir),
    )
    site = Gunicorn(env, workers=3)
    worker = production_worker(env, tmp_path / "worker.log")
    beat = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "iapt", "beat", "--schedule", str(tmp_path / "beat-schedule")],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )
    phase = {"name": "warm"}
    timings: dict[str, list[float]] = {"warm": [], "frozen": [], "after": []}
    failures: list[str] = []
    stop = threading.Event()

    def client(pwp):
        browser = Browser(site.base)
        browser.login(pwp.username, "correct-horse-battery")
        for k, referral_id in enumerate(cases[pwp.pk]):
            if stop.is_set():
                return
            name = phase["name"]
            started = time.monotonic()
            status, body = browser.post(f"/referrals/{referral_id}/sessions/new/", risk_session(60 + k), timeout=30)
            timings[name].append(time.monotonic() - started)
            if status != 302:
                failures.append(f"{status} {body[:200]}")

    threads = [threading.Thread(target=client, args=(pwp,)) for pwp in pwps]
    try:
        for thread in threads:
            thread.start()
        time.sleep(WARM_SECONDS)
        broker.freeze()
        phase["name"] = "frozen"
        time.sleep(FROZEN_SECONDS)
        phase["name"] = "after"
        broker.thaw()
        thawed = time.monotonic()
        time.sleep(AFTER_SECONDS)
        stop.set()
        for thread in threads:
            thread.join(60)
        saved = sum(len(v) for v in timings.values())

        def drained() -> bool:
            return (
                not OutboxMessage.objects.filter(sent_at__isnull=True).exists()
                and Flag.objects.filter(reason="risk").count() == saved
                and Notification.objects.count() == saved
                and not Notification.objects.filter(emailed_at__isnull=True).exists()
            )

        deadline = time.monotonic() + 240
        while not drained() and time.monotonic() < deadline:
            time.sleep(0.5)
        drain = time.monotonic() - thawed
        time.sleep(2)
        emails = sum(p.read_text().count(SUBJECT) for p in mail_dir.iterdir()) if mail_dir.exists() else 0
    finally:
        stop.set()
        beat.terminate()
        beat.wait(20)
        stop_worker(worker)
        site.stop()
        broker.kill()

    print("\n--- Redis frozen drill ---")
    print(f"clients {CLIENTS}, gunicorn 3 workers, Celery worker 2 processes, beat; frozen {FROZEN_SECONDS} s")
    for name in ("warm", "frozen", "after"):
        t = timings[name]
        if t:
            print(
                f"saves {name:>6}: n={len(t):4d} median {statistics.median(t):.3f} s"
                f" p95 {pct(t, 0.95):.3f} s max {max(t):.3f} s"
            )
    print(f"failed saves: {len(failures)}")
    print(f"drained {'yes' if drained() else 'NO'}: {drain:.1f} s after Redis returned")
    print(f"risk flags {Flag.objects.filter(reason='risk').count()}, notifications {Notification.objects.count()}")
    print(f"emails sent {emails} for {Notification.objects.count()} notifications")
    assert not failures, failures[:5]
    assert drained()
    assert emails == Notification.objects.count() == saved
