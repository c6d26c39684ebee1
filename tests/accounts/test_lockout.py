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


def test_wrong_current_passwords_on_the_password_change_form_lock_out_and_end_the_session(client, db, settings):
    # issue 13, finding 7: the password-change form counts toward the same lockout as the log-in
    settings.AXES_FAILURE_LIMIT = 5
    user = UserFactory()
    assert attempt(client, user.username, "correct-horse-battery").status_code == 302
    change = {
        "old_password": "wrong-password",
        "new_password1": "n3w-pass-phrase!",
        "new_password2": "n3w-pass-phrase!",
    }
    for _ in range(4):
        response = client.post(reverse("password_change"), change, REMOTE_ADDR="10.0.0.1")
        assert response.status_code == 200 and response.context["form"].errors["old_password"]
    # the fifth wrong password locks the pair and ends the session
    assert client.post(reverse("password_change"), change, REMOTE_ADDR="10.0.0.1").status_code == 429
    assert "_auth_user_id" not in client.session
    assert AccessFailureLog.objects.filter(username=user.username, locked_out=True).exists()
    # and the log-in form refuses even the right password from that address
    assert attempt(client, user.username, "correct-horse-battery").status_code == 429
    user.refresh_from_db()
    assert user.check_password("correct-horse-battery")


def test_failed_log_ins_count_on_the_password_change_form_too(client, db, settings):
    settings.AXES_FAILURE_LIMIT = 3
    user = UserFactory()
    attempt(client, user.username, "wrong-password")
    attempt(client, user.username, "wrong-password")
    client.force_login(user)
    change = {
        "old_password": "wrong-password",
        "new_password1": "n3w-pass-phrase!",
        "new_password2": "n3w-pass-phrase!",
    }
    assert client.post(reverse("password_change"), change, REMOTE_ADDR="10.0.0.1").status_code == 429


def test_the_right_current_password_still_changes_it(client, db):
    user = UserFactory()
    client.force_login(user)
    change = {
        "old_password": "correct-horse-battery",
        "new_password1": "n3w-pass-phrase!",
        "new_password2": "n3w-pass-phrase!",
    }
    assert client.post(reverse("password_change"), change, REMOTE_ADDR="10.0.0.1").status_code == 302
    user.refresh_from_db()
    assert user.check_password("n3w-pass-phrase!")
