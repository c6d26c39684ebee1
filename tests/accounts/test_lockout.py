"""Lockout after repeated failures (django-axes), per username and address, logged."""

import logging

from axes.models import AccessAttempt, AccessFailureLog
from django.test import Client
from django.urls import reverse

from tests.factories import UserFactory


def attempt(client, username, password, ip="10.0.0.1"):
    return client.post(reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=ip)


def test_five_failures_lock_the_username_at_that_address(client, db, settings, caplog):
    settings.AXES_FAILURE_LIMIT = 5
    user = UserFactory()
    caplog.set_level(logging.WARNING, logger="axes")
    for _ in range(4):
        assert attempt(client, user.username, "wrong-password").status_code == 200
    # the fifth failure locks
    assert attempt(client, user.username, "wrong-password").status_code == 429
    # and now even the right password is refused from that address
    response = attempt(client, user.username, "correct-horse-battery")
    assert response.status_code == 429
    assert "Too many failed log-in attempts" in response.content.decode()
    assert "_auth_user_id" not in client.session
    # stored with who and where, and logged
    record = AccessAttempt.objects.get(username=user.username)
    assert record.ip_address == "10.0.0.1" and record.failures_since_start >= 5
    assert AccessFailureLog.objects.filter(username=user.username, locked_out=True).exists()
    lockouts = [r.getMessage() for r in caplog.records if "locking out" in r.getMessage().lower()]
    assert lockouts and "10.0.0.1" in lockouts[0] and user.username not in lockouts[0]


def test_the_lock_is_per_user_and_address(client, db, settings):
    settings.AXES_FAILURE_LIMIT = 3
    user, colleague = UserFactory(), UserFactory()
    for _ in range(3):
        attempt(client, user.username, "wrong-password")
    # the same user from another address, and a colleague from the same address, still log in
    assert attempt(client, user.username, "correct-horse-battery", ip="10.0.0.2").status_code == 302
    client.logout()
    assert attempt(client, colleague.username, "correct-horse-battery").status_code == 302


def test_a_success_before_the_limit_resets_the_count(client, db, settings):
    settings.AXES_FAILURE_LIMIT = 3
    user = UserFactory()
    attempt(client, user.username, "wrong-password")
    attempt(client, user.username, "wrong-password")
    assert attempt(client, user.username, "correct-horse-battery").status_code == 302
    client.logout()
    attempt(client, user.username, "wrong-password")
    attempt(client, user.username, "wrong-password")
    assert attempt(client, user.username, "correct-horse-battery").status_code == 302


def test_in_process_log_in_without_a_request_still_checks_the_password(client, db):
    user = UserFactory()
    assert client.login(username=user.username, password="correct-horse-battery")
    assert not Client().login(username=user.username, password="wrong-password")
    assert not AccessAttempt.objects.exists()
