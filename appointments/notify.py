"""The GOV.UK Notify client, from settings (environment). None when no API key
is set: reminders are then recorded as "not sent: messaging not configured"."""

from __future__ import annotations

from django.conf import settings
from notifications_python_client.notifications import NotificationsAPIClient


def notify_client() -> NotificationsAPIClient | None:
    key = getattr(settings, "NOTIFY_API_KEY", "")
    if not key:
        return None
    return NotificationsAPIClient(key, base_url=settings.NOTIFY_BASE_URL, timeout=settings.NOTIFY_TIMEOUT_SECONDS)
