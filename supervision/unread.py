"""The unread notification count in the navigation, without a query per page.

The count is kept in the cache (Redis) per user for at most UNREAD_TTL_SECONDS:
set at log-in, forgotten when the user reads a notification and when the worker
raises or emails one, and read from the database only when the cache has no
entry. A notification raised inside a web request (a flag at once) reaches the
count when the worker's run follows, or within the minute. A cache that is down
falls back to the database: the count never breaks a page."""

from __future__ import annotations

import logging

from django.core.cache import cache

logger = logging.getLogger(__name__)
UNREAD_TTL_SECONDS = 60
NOTIFIED_ROLES = frozenset({"pwp", "hit", "supervisor"})


def _key(user_id) -> str:
    return f"supervision:unread:{user_id}"


def _count(user_id) -> int:
    from .models import Notification

    return Notification.objects.filter(user_id=user_id, read_at__isnull=True).count()


def unread_count(user) -> int:
    """The user's unread notifications (int >= 0)."""
    try:
        value = cache.get(_key(user.pk))
    except Exception:  # noqa: BLE001 - any cache failure: read the database instead
        logger.warning("unread count: cache unavailable")
        return _count(user.pk)
    if value is None:
        value = remember_unread(user.pk)
    return value


def remember_unread(user_id) -> int:
    value = _count(user_id)
    try:
        cache.set(_key(user_id), value, UNREAD_TTL_SECONDS)
    except Exception:  # noqa: BLE001 - the cache is an optimisation only
        logger.warning("unread count: cache unavailable")
    return value


def forget_unread(user_ids) -> None:
    try:
        cache.delete_many([_key(user_id) for user_id in user_ids])
    except Exception:  # noqa: BLE001 - an entry left behind expires within UNREAD_TTL_SECONDS
        logger.warning("unread count: cache unavailable")


def on_login(sender, request, user, **kwargs) -> None:
    """user_logged_in: the count is read once at log-in, not on every page."""
    if getattr(user, "role", None) in NOTIFIED_ROLES:
        remember_unread(user.pk)
