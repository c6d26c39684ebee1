"""Redis is killed (SIGKILL) while the worker runs a task: the worker rides out
the outage and, once Redis is back, drains the outbox by itself; no person
restarts anything (issue 23, finding 1)."""

import time
from datetime import timedelta

import psycopg2
import pytest
from django.db import connection
from django.utils import timezone
from kombu import Connection

from accounts.models import Role
from iapt.celery import app
from iapt.settings.base import celery_broker_url
from outbox.models import OutboxMessage
from supervision.models import Flag
from tests.factories import SupervisionAssignmentFactory, UserFactory
from tests.live import RedisServer, child_env, database_url, production_worker, relay, stop_worker, wait_for
from tests.supervision.conftest import RISK, log, open_case


def own_connection():
    s = connection.settings_dict
    return psycopg2.connect(
        dbname=s["NAME"], user=s["USER"], host=s["HOST"] or None, port=s["PORT"] or None, password=s["PASSWORD"]
    )


def waiting_on_a_lock(cursor) -> bool:
    cursor.execute(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
    )
    return cursor.fetchone()[0] > 0


@pytest.mark.celery
@pytest.mark.django_db(transaction=True)
def test_worker_with_a_task_in_flight_survives_redis_being_killed_and_drains_the_outbox(tmp_path):
    # given a worker as make run and docker-compose start it (prefork, 2 processes)
    # on a Redis of the test's own, running the flag job, held mid-run by another
    # session's lock on the flag table
    pwp = UserFactory(role=Role.PWP)
    supervisor = UserFactory(role=Role.SUPERVISOR, service=pwp.service, email="sup@example.invalid")
    SupervisionAssignmentFactory(supervisor=supervisor, supervisee=pwp)
    risky = open_case(pwp)
    log(pwp, risky, days_ago=1, item9=2, risk=RISK)
    broker = RedisServer(tmp_path / "redis")
    broker.start()
    env = child_env(DATABASE_URL=database_url(), REDIS_URL=broker.url)
    log_path = tmp_path / "worker.log"
    worker = production_worker(env, log_path)
    blocker, watcher = own_connection(), own_connection()
    watcher.autocommit = True
    try:
        with blocker.cursor() as cursor:
            cursor.execute("LOCK TABLE supervision_flag")
        with Connection(celery_broker_url(broker.url)) as conn:
            app.send_task("supervision.flag_cases", connection=conn)
        with watcher.cursor() as cursor:
            wait_for(lambda: waiting_on_a_lock(cursor), timeout=30, what="the flag job to wait on the lock")

        # when Redis is killed with the task in flight, stays down a while, then comes back
        broker.kill()
        time.sleep(3)
        blocker.rollback()  # the in-flight job finishes while the broker is away
        time.sleep(3)
        broker.start()
        # and a session saved during the outage left its follow-up in the outbox
        Flag.objects.all().delete()
        OutboxMessage.objects.create(task="supervision.flag_referral", args=[str(risky.pk)])
        OutboxMessage.objects.update(created_at=timezone.now() - timedelta(minutes=5))
        time.sleep(5)  # the worker reconnects (or has died: today it exits with an AttributeError)

        # then the same worker is still running, and the relay's publish reaches it
        assert worker.poll() is None, log_path.read_text()
        assert "Published 1 message(s)" in relay(env)
        wait_for(
            lambda: Flag.objects.filter(referral=risky, reason="risk").exists(),
            timeout=30,
            what="the worker to consume the outbox's message",
        )
        assert worker.poll() is None, log_path.read_text()
    finally:
        blocker.close()
        watcher.close()
        stop_worker(worker)
        broker.kill()
    assert "AttributeError" not in log_path.read_text(), log_path.read_text()
