import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
import redis
from django.conf import settings

from tests.logging_guard import NHSNumberLogHandler

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def _media_and_email(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(scope="session", autouse=True)
def nhs_number_log_guard():
    """Runs the whole suite's logging, at every level, through a handler that
    looks for NHS numbers (tests/logging_guard.py)."""
    handler = NHSNumberLogHandler()
    root = logging.getLogger()
    previous_level = root.level
    # The console keeps its level; only this handler sees the DEBUG records.
    quietened = [h for h in root.handlers if h.level == logging.NOTSET]
    for existing in quietened:
        existing.setLevel(previous_level)
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    yield handler
    root.removeHandler(handler)
    root.setLevel(previous_level)
    for existing in quietened:
        existing.setLevel(logging.NOTSET)


@pytest.fixture(autouse=True)
def _no_nhs_number_logged(nhs_number_log_guard):
    """Fails the test during which a log record held an NHS number."""
    nhs_number_log_guard.offending.clear()
    yield
    offending = list(nhs_number_log_guard.offending)
    nhs_number_log_guard.offending.clear()
    if offending:
        pytest.fail("an NHS number was logged:\n" + "\n".join(offending), pytrace=False)


@pytest.fixture
def settings_module_value():
    """Reads a setting as another settings module sets it, in a fresh process
    (production needs its secrets from the environment)."""

    def _value(module: str, name: str) -> str:
        env = {
            **{k: v for k, v in os.environ.items() if k not in ("OTP_REQUIRED", "DJANGO_ALLOW_ASYNC_UNSAFE")},
            "DJANGO_SETTINGS_MODULE": module,
            "DJANGO_SECRET_KEY": "a-production-like-secret-key-for-this-test-only-0123456789",
            "DJANGO_ALLOWED_HOSTS": "iapt.example.nhs.uk",
            "PSEUDONYMISATION_KEY": "another-secret-key-for-pseudonyms-0123",
        }
        code = f"import django; django.setup(); from django.conf import settings; print(settings.{name})"
        out = subprocess.run(
            [sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True, check=True
        )
        return out.stdout.strip().splitlines()[-1]

    return _value


@pytest.fixture
def service(db):
    from tests.factories import ServiceFactory

    return ServiceFactory()


@pytest.fixture
def broker_queue():
    """The default queue on the suite's real Redis, emptied afterwards (no worker reads it)."""
    client = redis.Redis.from_url(settings.REDIS_URL)
    client.delete("celery")
    yield client
    client.delete("celery")
    client.close()


@pytest.fixture
def smtp_server(settings):
    """A real SMTP server (aiosmtpd) on 127.0.0.1, and Django's SMTP backend sending to it."""
    import socket

    from aiosmtpd.controller import Controller

    class Inbox:
        def __init__(self):
            self.envelopes = []

        async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
            self.envelopes.append(envelope)
            return "250 Message accepted"

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    yield inbox
    controller.stop()
