"""The transactional outbox: follow-up Celery work that survives a broker outage.

A service calls `outbox_enqueue` inside its own transaction. After commit the
message is published at once with a short broker timeout; when the broker is
down the failure is recorded on the row and the request carries on. The relay
(`outbox.relay`, every minute from beat, or `manage.py outbox_relay`) publishes
whatever is still unsent. A message may be published twice (the relay and the
commit hook racing, or a crash between publish and marking it sent), so every
consumer task is idempotent."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import timedelta

import redis.exceptions
from django.db import transaction
from django.utils import timezone
from kombu.exceptions import KombuError

from .models import OutboxMessage

logger = logging.getLogger(__name__)

# What a broker that is down, refusing or too slow raises from a publish.
BROKER_ERRORS = (KombuError, redis.exceptions.RedisError, OSError, TimeoutError)
RELAY_BATCH = 500
# A publish gives up within about a second on a Redis that is down (connect) or
# hung (reply), on top of CELERY_BROKER_TRANSPORT_OPTIONS. Only publishing uses
# these: a worker's blocking reads keep the longer socket timeout they need.
PUBLISH_TRANSPORT_OPTIONS = {"socket_connect_timeout": 1, "socket_timeout": 1}


def outbox_enqueue(*, task: str, args: Sequence = ()) -> OutboxMessage:
    """Records `task(*args)` in the caller's transaction and publishes it after commit."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("outbox_enqueue belongs inside the transaction of the write that needs it.")
    message = OutboxMessage.objects.create(task=task, args=[str(a) for a in args])
    transaction.on_commit(lambda: outbox_publish(message_ids=[message.pk]), robust=True)
    return message


def outbox_publish(*, message_ids: Sequence[int] | None = None, older_than: timedelta | None = None) -> int:
    """Publishes unsent messages (the given ones, or all older than `older_than`)
    and marks them sent. Stops at the first broker error, which it records on the
    row; it never raises one. Rows another process is publishing are skipped."""
    from iapt.celery import app

    published: list[int] = []
    with transaction.atomic(), app.connection_for_write(transport_options=PUBLISH_TRANSPORT_OPTIONS) as broker:
        pending = OutboxMessage.objects.select_for_update(skip_locked=True).filter(sent_at__isnull=True)
        if message_ids is not None:
            pending = pending.filter(pk__in=list(message_ids))
        if older_than is not None:
            pending = pending.filter(created_at__lte=timezone.now() - older_than)
        for message in pending.order_by("pk")[:RELAY_BATCH]:
            try:
                app.send_task(message.task, args=message.args, retry=False, connection=broker)
            except BROKER_ERRORS as exc:
                message.attempts += 1
                message.last_error = f"{type(exc).__name__}: {exc}"[:300]
                message.save(update_fields=["attempts", "last_error"])
                logger.warning("outbox: broker unavailable, %s left for the relay", message.task)
                break
            published.append(message.pk)
        if published:
            OutboxMessage.objects.filter(pk__in=published).update(sent_at=timezone.now())
    return len(published)


def outbox_relay(*, older_than: timedelta = timedelta(seconds=30)) -> int:
    """Publishes every message still unsent after `older_than` (the commit hook
    normally sends them at once; this is the catch-up once the broker is back)."""
    total = 0
    while True:
        sent = outbox_publish(older_than=older_than)
        total += sent
        if sent < RELAY_BATCH:
            return total
