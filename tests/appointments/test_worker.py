"""The reminder job on a real Celery worker, its pool process killed while a
message is in flight to Notify (sent by Notify, the answer lost): the
redelivered task and the resume of the stale claim leave every reminder sent
exactly once, none lost."""

import os
import signal
import uuid
from collections import Counter
from datetime import timedelta

import psutil
import pytest
from django.conf import settings
from django.utils import timezone

from appointments.models import Reminder, ReminderLeadTime, ReminderStatus
from appointments.reminders import reminders_sweep
from tests.factories import ReferralFactory
from tests.live import celery_worker, child_env, database_url, stop_worker, wait_for

from .conftest import appointment_at


def _worker_env(notify):
    return child_env(
        DATABASE_URL=database_url(),
        REDIS_URL=settings.REDIS_URL,
        NOTIFY_API_KEY=notify.api_key,
        NOTIFY_BASE_URL=notify.base_url,
        NOTIFY_SMS_TEMPLATE_ID=settings.NOTIFY_SMS_TEMPLATE_ID,
        NOTIFY_EMAIL_TEMPLATE_ID=settings.NOTIFY_EMAIL_TEMPLATE_ID,
        NOTIFY_TIMEOUT_SECONDS="60",
        REMINDER_CLAIM_STALE_SECONDS="2",
    )


@pytest.mark.celery
@pytest.mark.django_db(transaction=True)
def test_reminders_on_a_worker_killed_mid_send_are_sent_once_each_and_none_lost(notify, pwp, settings):
    # given five appointments an hour ahead, each due a text and an email
    ReminderLeadTime.objects.create(service=pwp.service, minutes_before=120)
    appointments = []
    for n in range(5):
        referral = ReferralFactory(
            patient__service=pwp.service,
            assigned_practitioner=pwp,
            patient__mobile="07700900123",
            patient__email=f"p{n}@example.invalid",
            patient__consent_sms_reminders=True,
            patient__consent_email_reminders=True,
        )
        appointments.append(
            appointment_at(referral, pwp, timezone.now() + timedelta(hours=1, minutes=10 * n), minutes=10)
        )
    # and Notify that takes the third message and never answers
    notify.hold_at = 3
    settings.REMINDER_CLAIM_STALE_SECONDS = 2  # the sweep here, as in the worker
    queue = f"test-{uuid.uuid4().hex[:8]}"
    worker = celery_worker(_worker_env(notify), queue=queue, pool="prefork")
    try:
        # when beat's sweep queues the job and the worker is killed mid-send
        assert reminders_sweep(queue=queue) == 5
        assert notify.holding.wait(timeout=90), "the worker never reached the third message"
        children = psutil.Process(worker.pid).children()
        assert len(children) == 1
        os.kill(children[0].pid, signal.SIGKILL)
        notify.release.set()
        # then the redelivered job sends the rest; the killed claim waits, unsent twice
        wait_for(
            lambda: Reminder.objects.filter(status=ReminderStatus.SENT).count() == 8,
            timeout=90,
            what="the redelivered job to send the other appointments' reminders",
        )
        stuck = list(Reminder.objects.filter(status=ReminderStatus.SENDING))
        assert len(stuck) == 2  # the held text (Notify has it) and the email never sent
        # when the next sweeps find the claims stale and resume them
        wait_for(
            lambda: (
                reminders_sweep(queue=queue) == 0 and Reminder.objects.filter(status=ReminderStatus.SENT).count() == 10
            ),
            timeout=90,
            what="the stale claims to be resumed",
        )
    finally:
        notify.release.set()
        output = stop_worker(worker)
    # then every reminder reached Notify exactly once and is recorded with Notify's id
    references = Counter(n["reference"] for n in notify.sent())
    rows = list(Reminder.objects.all())
    assert len(rows) == 10
    assert references == Counter({str(r.pk): 1 for r in rows}), output
    assert {str(r.notify_id) for r in rows} == {n["id"] for n in notify.sent()}
    assert "WorkerLostError" in output or "signal 9" in output, output
