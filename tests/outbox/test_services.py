from datetime import timedelta

from django.utils import timezone

from outbox.models import OutboxMessage
from outbox.services import outbox_enqueue, outbox_relay


def test_enqueue_writes_the_message_in_the_callers_transaction(db, django_capture_on_commit_callbacks, broker_queue):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        message = outbox_enqueue(task="supervision.flag_referral", args=["00000000-0000-0000-0000-000000000001"])
    assert message.sent_at is None and len(callbacks) == 1
    callbacks[0]()  # the commit hook publishes at once while the broker is up
    message.refresh_from_db()
    assert message.sent_at is not None and message.attempts == 0
    assert broker_queue.llen("celery") == 1


def test_the_relay_publishes_only_unsent_messages_older_than_its_threshold(db, broker_queue):
    old = OutboxMessage.objects.create(task="outbox.relay", created_at=timezone.now() - timedelta(minutes=5))
    fresh = OutboxMessage.objects.create(task="outbox.relay")
    sent = OutboxMessage.objects.create(
        task="outbox.relay", created_at=timezone.now() - timedelta(minutes=5), sent_at=timezone.now()
    )
    assert outbox_relay(older_than=timedelta(seconds=30)) == 1
    old.refresh_from_db()
    fresh.refresh_from_db()
    assert old.sent_at is not None and fresh.sent_at is None
    assert OutboxMessage.objects.get(pk=sent.pk).sent_at == sent.sent_at
    assert broker_queue.llen("celery") == 1
    assert outbox_relay(older_than=timedelta(seconds=30)) == 0  # nothing twice
