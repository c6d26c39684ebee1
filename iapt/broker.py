"""The Redis broker transport the project uses: kombu's, with one fix so a
worker survives Redis dying while it holds an unacknowledged task (issue 23).

What happens with kombu 5.7's own transport: Redis dies while the worker waits
on BRPOP with an acks-late task running. Celery's consumer drops the connection
(`Connection.collect()` then `Connection.close()`, celery/worker/consumer/
consumer.py `on_connection_error_after_connected`). The first close of the
channel reads the pending BRPOP reply first; with the broker gone that raises
`ConnectionError` *before* the channel is marked closed, and `collect()`
swallows it. `collect()` then detaches the transport (`transport.client =
None`). The second close finds the channel still open, goes on to restore the
unacknowledged message, builds a Redis client from `transport.client` (now
None) and dies in `_connparams` with `AttributeError: 'NoneType' object has no
attribute 'hostname'`, which is no connection error, so the worker exits 1.
An idle worker has nothing to restore and reconnects, which is why only a
worker with a task in flight died.

The fix: when the broker is already gone, there is no BRPOP reply to drain, so
the close goes on (the channel is marked closed at the first attempt, and the
second is a no-op). The unacknowledged message stays in Redis's `unacked` hash
and is redelivered after the visibility timeout (iapt/settings/base.py).
"""

from __future__ import annotations

from kombu.transport import TRANSPORT_ALIASES, _transport_cache, redis


class Channel(redis.Channel):
    def close(self):
        if self._in_poll and not self.closed:
            try:
                self._brpop_read()
            except redis.Empty:
                pass
            except self.connection_errors:
                pass  # the broker is gone: nothing left to read; close the rest
        super().close()


class Transport(redis.Transport):
    Channel = Channel


def install() -> None:
    """Makes `redis://` and `redis+socket://` broker URLs use this transport."""
    TRANSPORT_ALIASES["redis"] = f"{__name__}:Transport"
    _transport_cache.pop("redis", None)
