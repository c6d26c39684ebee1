"""Redis dies while a PWP saves a session: the save still completes at once and
loses nothing; the follow-up work (the risk flag and the supervisor's
notification email) happens once Redis is back, exactly once."""

import subprocess
import sys
import time
from datetime import timedelta

import pytest
import redis
from django.utils import timezone

from accounts.models import Role
from outbox.models import OutboxMessage
from sessions.models import MeasureScore, RiskAssessment, TherapySession
from supervision.models import Flag, Notification
from tests.factories import ReferralFactory, SupervisionAssignmentFactory, UserFactory
from tests.live import (
    ROOT,
    Browser,
    Gunicorn,
    RedisServer,
    celery_worker,
    child_env,
    database_url,
    stop_worker,
    wait_for,
)

SAVE_BUDGET_SECONDS = 2  # issue 7: "the save completes within 2 seconds"


def session_with_risk() -> dict:
    return {
        "started_at": (timezone.localtime() - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
        "appointment_type": "02",
        "attendance": "5",
        "medium": "02",
        "duration_minutes": "30",
        "notes": "Reviewed the activity diary",
        **{f"PHQ9_{i}": "2" for i in range(1, 10)},
        **{f"GAD7_{i}": "1" for i in range(1, 8)},
        "risk_recorded": "on",
        "risk_to_self": "medium",
        "risk_to_others": "none",
        "risk_from_others": "none",
        "level": "medium",
        "plan": "Safety plan agreed",
    }


def relay(env) -> str:
    done = subprocess.run(
        [sys.executable, "manage.py", "outbox_relay"], env=env, cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def queue_drained(url) -> bool:
    client = redis.Redis(unix_socket_path=url.removeprefix("unix://"))
    try:
        return client.llen("celery") == 0 and client.hlen("unacked") == 0
    finally:
        client.close()


@pytest.mark.celery
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("fault", ["killed", "frozen"])
def test_session_saved_while_redis_is_down_and_followup_runs_once_when_it_is_back(tmp_path, fault):
    # given a PWP with a case, a supervisor to notify, and the site on its own Redis
    pwp = UserFactory(role=Role.PWP)
    supervisor = UserFactory(role=Role.SUPERVISOR, service=pwp.service, email="sup@example.invalid")
    SupervisionAssignmentFactory(supervisor=supervisor, supervisee=pwp)
    referral = ReferralFactory(
        patient__service=pwp.service,
        assigned_practitioner=pwp,
        opened_at=timezone.now() - timedelta(days=5),
        last_reviewed_at=None,
    )
    broker = RedisServer(tmp_path / "redis")
    broker.start()
    mail_dir = tmp_path / "mail"
    env = child_env(
        DATABASE_URL=database_url(),
        REDIS_URL=broker.url,
        EMAIL_BACKEND="django.core.mail.backends.filebased.EmailBackend",
        EMAIL_FILE_PATH=str(mail_dir),
    )
    site = Gunicorn(env)
    worker = None
    try:
        browser = Browser(site.base)
        browser.login(pwp.username, "correct-horse-battery")
        assert browser.get(f"/referrals/{referral.pk}/sessions/new/")[0] == 200

        # when Redis dies (or hangs, taking connections but never answering) and the PWP saves a session with a risk
        broker.kill() if fault == "killed" else broker.freeze()
        started = time.monotonic()
        status, body = browser.post(f"/referrals/{referral.pk}/sessions/new/", session_with_risk(), timeout=30)
        elapsed = time.monotonic() - started

        # then the save completed at once, with everything in it
        assert status == 302, body[:2000]
        assert elapsed < SAVE_BUDGET_SECONDS, f"the save took {elapsed:.2f}s with Redis down"
        assert browser.get(f"/referrals/{referral.pk}/record/")[0] == 200
        session = TherapySession.objects.get(referral=referral)
        assert session.notes == "Reviewed the activity diary"
        assert set(MeasureScore.objects.filter(session=session).values_list("instrument", "total")) == {
            ("PHQ9", 18),
            ("GAD7", 7),
        }
        assert RiskAssessment.objects.filter(referral=referral, level="medium").count() == 1
        message = OutboxMessage.objects.get()
        assert message.task == "supervision.flag_referral" and message.args == [str(referral.pk)]
        assert message.sent_at is None and message.attempts == 1 and message.last_error
        # the risk flag and the supervisor's notification are in the save's own transaction
        # (issue 16); the email, the follow-up, waits for Redis
        assert list(Flag.objects.values_list("reason", flat=True)) == ["risk"]
        assert Notification.objects.filter(user=supervisor, emailed_at__isnull=True).count() == 1

        # when Redis is back, the relay runs (the command beat's task also runs) and a worker consumes
        broker.start() if fault == "killed" else broker.thaw()
        worker = celery_worker(env)
        # (a frozen Redis may have taken the first publish after all: then the relay sends it again)
        assert "Published 1 message(s); 0 still waiting." in relay(env)
        wait_for(
            lambda: Notification.objects.filter(emailed_at__isnull=False).exists(),
            timeout=60,
            what="the supervisor's notification",
        )
        # and the message is delivered a second time (a relay racing the commit hook)
        OutboxMessage.objects.update(sent_at=None)
        assert "Published 1 message(s)" in relay(env)
        wait_for(lambda: queue_drained(broker.url), timeout=60, what="the worker to take the second delivery")
        time.sleep(1)  # the solo worker acks after the task returns

        # then the follow-up happened, exactly once
        assert list(Flag.objects.values_list("referral_id", "reason")) == [(referral.pk, "risk")]
        assert Notification.objects.filter(user=supervisor).count() == 1
        mails = [p.read_text() for p in mail_dir.iterdir()]
        assert sum(m.count("Subject: Talking Therapies: a case needs supervision") for m in mails) == 1
        assert referral.patient.family_name not in "".join(mails)
        assert OutboxMessage.objects.filter(sent_at__isnull=True).count() == 0
    finally:
        output = site.stop()
        if worker is not None:
            output += stop_worker(worker)
        broker.kill()
    assert "Traceback" not in output, output


def test_the_relay_is_on_beats_schedule(settings):
    assert {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()} >= {"outbox.relay"}
