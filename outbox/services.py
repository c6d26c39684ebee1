"""The transactional outbox: follow-up Celery work that survives a broker outage.

A service calls `outbox_enqueue` inside its own transaction. After commit the
message is published at once with a short broker timeout; when the broker is
down the failure is recorded on the row and the request carries on. The relay
(`outbox.relay`, every minute from beat, or `manage.py outbox_relay`) publishes
whatever is still unsent. A message may be published twice (the relay and the
commit hook racing, or a crash between publish and marking it sent), so every
consumer task is idempotent."""

from __future__ import annotations

import json
import logging
import os
import threading
from collections.abc import Callable, Sequence
from datetime import timedelta

import redis.exceptions
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone
from kombu.exceptions import KombuError

from .models import OutboxMessage

logger = logging.getLogger(__name__)

# What a broker that is down, refusing or too slow raises from a publish.
BROKER_ERRORS = (KombuError, redis.exceptions.RedisError, OSError, TimeoutError)
RELAY_BATCH = 500
# A publish gives up within half a second on a Redis that is down (connect) or
# hung (reply), on top of CELERY_BROKER_TRANSPORT_OPTIONS, and does not try to
# connect a second time (the broker's one retry made a save wait two timeouts, a
# median 1.5-2 s, while Redis was frozen: issue 23). A publish that fails is the
# relay's, so nothing is lost by giving up early. Only publishing uses these: a
# worker's blocking reads keep the longer socket timeout they need.
PUBLISH_TRANSPORT_OPTIONS = {"socket_connect_timeout": 0.5, "socket_timeout": 0.5, "max_retries": 0}


# Work a higher floor asks to run inside the writer's own transaction before its
# task is published (issue 16 item 4: a flag shows on the next page load, not
# after the worker). Registered from an AppConfig.ready(), keyed by task name; a
# handler takes the message's arguments (ids) and must be cheap and idempotent.
_IN_TRANSACTION: dict[str, Callable[..., object]] = {}


def outbox_register_in_transaction(*, task: str, handler: Callable[..., object]) -> None:
    """Runs `handler(*args)` in the enqueuing transaction for every `task` enqueued."""
    _IN_TRANSACTION[task] = handler


def outbox_enqueue(*, task: str, args: Sequence = ()) -> OutboxMessage:
    """Records `task(*args)` in the caller's transaction and publishes it after commit.
    A handler registered for the task runs first, in that same transaction."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("outbox_enqueue belongs inside the transaction of the write that needs it.")
    handler = _IN_TRANSACTION.get(task)
    if handler is not None:
        handler(*args)
    message = OutboxMessage.objects.create(task=task, args=[str(a) for a in args])
    transaction.on_commit(lambda: _publish_committed(message), robust=True)
    return message


def _publish_committed(message: OutboxMessage) -> None:
    """The commit hook: publishes the message just committed, then marks it sent
    in one statement (autocommit), or records the broker's error on it for the
    relay. It needs no claim: the relay takes only messages older than its
    threshold, and were the two ever to race the task is published twice, which
    every consumer allows; a crash between the publish and the mark likewise
    publishes twice, never loses. This runs after every session saved: a claim
    would be a transaction of its own (three round trips) on each."""
    from celery import current_app as app  # the project wires its Celery app (iapt/celery.py)

    try:
        app.send_task(message.task, args=message.args, retry=False, connection=_broker_connection())
    except BROKER_ERRORS as exc:
        _broker_failed(message.pk, message.task, exc)
        return
    OutboxMessage.objects.filter(pk=message.pk, sent_at__isnull=True).update(sent_at=timezone.now())


def _broker_failed(message_id: int, task: str, exc: Exception) -> None:
    _forget_broker_connection()
    OutboxMessage.objects.filter(pk=message_id).update(
        attempts=F("attempts") + 1, last_error=f"{type(exc).__name__}: {exc}"[:300]
    )
    logger.warning("outbox: broker unavailable, %s left for the relay", task)


def outbox_publish(*, message_ids: Sequence[int] | None = None, older_than: timedelta | None = None) -> int:
    """Publishes unsent messages (the given ones, or all older than `older_than`)
    and marks them sent. Stops at the first broker error, which it records on the
    row; it never raises one. Rows another process is publishing are skipped.

    One statement claims the rows (marks them sent and locks them, skipping rows
    another process holds) and returns them; the claim commits only with the
    publishes, so a crash between the two publishes twice, never loses a message."""
    claim = _claim_statement(message_ids=message_ids, older_than=older_than)
    if claim is None:
        return 0
    from celery import current_app as app  # the project wires its Celery app (iapt/celery.py)

    published = 0
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(*claim)
        rows = sorted(cursor.fetchall())
        for message_id, task, args in rows:
            try:
                app.send_task(task, args=_json(args), retry=False, connection=_broker_connection())
            except BROKER_ERRORS as exc:
                unsent = [row[0] for row in rows[published:]]
                OutboxMessage.objects.filter(pk__in=unsent).update(sent_at=None)
                _broker_failed(message_id, task, exc)
                break
            published += 1
    return published


def _claim_statement(*, message_ids: Sequence[int] | None, older_than: timedelta | None) -> tuple[str, list] | None:
    """UPDATE ... RETURNING that marks up to RELAY_BATCH unsent messages sent,
    skipping rows another process holds (None when asked for no message)."""
    conditions, params = ["sent_at IS NULL"], []
    if message_ids is not None:
        if not message_ids:
            return None
        conditions.append("id = ANY(%s)")
        params.append(list(message_ids))
    if older_than is not None:
        conditions.append("created_at <= %s")
        params.append(timezone.now() - older_than)
    table = OutboxMessage._meta.db_table
    where = " AND ".join(conditions)
    sql = (
        f"UPDATE {table} SET sent_at = %s WHERE id IN (SELECT id FROM {table} WHERE {where}"  # noqa: S608 - fixed fragments only; values are parameters
        " ORDER BY id LIMIT %s FOR UPDATE SKIP LOCKED) RETURNING id, task, args"
    )
    return sql, [timezone.now(), *params, RELAY_BATCH]


def _json(value):
    return json.loads(value) if isinstance(value, str) else value  # Django reads jsonb as text


# One publishing connection per process and thread, kept between requests:
# opening one (a Redis connection, a channel, the exchange declared) cost more
# than the publish itself, on every session saved. Dropped after a broker error,
# so the next publish connects afresh; made again in a forked child.
_broker = threading.local()


def _broker_connection():
    from celery import current_app as app  # the project wires its Celery app (iapt/celery.py)

    if getattr(_broker, "pid", None) != os.getpid() or _broker.connection is None:
        _broker.connection = app.connection_for_write(transport_options=PUBLISH_TRANSPORT_OPTIONS)
        _broker.pid = os.getpid()
    return _broker.connection


def _forget_broker_connection() -> None:
    broker, _broker.connection = getattr(_broker, "connection", None), None
    if broker is not None:
        broker.collect()  # frees the sockets without talking to a broker that may be hung


def outbox_relay(*, older_than: timedelta = timedelta(seconds=30)) -> int:
    """Publishes every message still unsent after `older_than` (the commit hook
    normally sends them at once; this is the catch-up once the broker is back)."""
    total = 0
    while True:
        sent = outbox_publish(older_than=older_than)
        total += sent
        if sent < RELAY_BATCH:
            return total
