"""The drill's burst (issue 23, finding 2): after a Redis outage the relay
publishes one follow-up per session saved meanwhile, a worker with two processes
raises the risk flags of one supervisor's cases concurrently, and every risk
notification's email goes exactly once."""

from datetime import timedelta

import pytest
from django.utils import timezone

from outbox.models import OutboxMessage
from supervision.models import Notification
from supervision.sweep import EMAIL_GRACE, email_notifications_due
from tests.live import RedisServer, child_env, database_url, production_worker, relay, stop_worker, wait_for

from .conftest import RISK, log, open_case

BURST = 120
SUBJECT = "Subject: Talking Therapies: a case needs supervision"


@pytest.mark.celery
@pytest.mark.django_db(transaction=True)
def test_a_burst_of_risk_flags_sends_every_email_once(tmp_path, team):
    # given BURST risky sessions saved while Redis was down: their follow-ups wait in the outbox
    pwp, supervisor = team
    cases = [open_case(pwp) for _ in range(BURST)]
    for case in cases:
        log(pwp, case, days_ago=1, item9=2, risk=RISK)
    OutboxMessage.objects.bulk_create(
        OutboxMessage(
            task="supervision.flag_referral", args=[str(case.pk)], created_at=timezone.now() - timedelta(minutes=5)
        )
        for case in cases
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
    worker = production_worker(env, tmp_path / "worker.log")
    try:
        # when Redis is back and the relay publishes them all at once
        assert f"Published {BURST} message(s)" in relay(env)
        wait_for(
            lambda: Notification.objects.filter(emailed_at__isnull=False).count() == BURST,
            timeout=60,
            what="every notification's email",
        )
    finally:
        stop_worker(worker)
        broker.kill()

    # then each risk flag notified the supervisor once and each email went once
    assert Notification.objects.filter(user=supervisor).count() == BURST
    mails = [p.read_text() for p in mail_dir.iterdir()]
    assert sum(m.count(SUBJECT) for m in mails) == BURST
    # and the periodic sweep, after the grace period, finds nothing left to send
    assert email_notifications_due(now=timezone.now() + EMAIL_GRACE + timedelta(seconds=1)) == 0
